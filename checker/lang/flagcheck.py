"""Static warnings for clone flags that copy_process refuses with EINVAL.

A `clone(FLAGS) { }` whose flags break a rule of kernel/fork.c (CLONE_THREAD
without CLONE_SIGHAND, ...) does not create a task: the call fails with
EINVAL, and the block never runs. That is rarely what the author meant, and
the model checker would only show it as a failed call in some trace, so
loading a scenario warns about it at the clone, with the rule's message:

- when no value the flags can take is valid: "... this clone always fails
  with EINVAL";
- when some values are invalid: "this clone fails with EINVAL when f = 0
  (CLONE_THREAD requires CLONE_SIGHAND)", with a value Z3 found.

The values a flags expression can take come from what the program can store
in the locals and `var`s it reads: constants, `any(LO..HI)` ranges and a
`var`'s initial value; anything else (a fork's result, a wait status, an
expression over other variables) leaves the variable unconstrained. The
question is then asked of the Z3 encoding of the rules
(checker/symbolic/clone_flags.py), built from the same table as the model's
clone step. A warning never stops the check.

z3 is imported only when a scenario has a clone with flags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from checker.errors import Diagnostic
from checker.lang import flow, ir

if TYPE_CHECKING:
    import z3  # type: ignore[import-untyped]

Slot = tuple[int, int]  # (ir.LOCAL or ir.VAR, slot), as z3expr.Slot
# What can be stored in a slot: an expression's value, or an any(LO..HI) range.
Source = ir.Expr | tuple[ir.Expr, ir.Expr]
# Every source of a slot, or None when something else (a fork's result, a
# system call's) can store into it as well.
Domain = tuple[Source, ...] | None


def clone_sites(program: ir.ProgramIR) -> list[tuple[int, ir.Spawn]]:
    """The clones with flags in a program's code (handlers included), with their pcs."""
    return [
        (pc, instr)
        for pc, instr in enumerate(program.code)
        if isinstance(instr, ir.Spawn) and instr.kind == "clone" and instr.flags is not None
    ]


def clone_warnings(scenario: ir.ScenarioIR) -> list[Diagnostic]:
    """A warning for every clone whose flags some value makes invalid, in
    source order."""
    sites = [(p, pc, spawn) for p in scenario.programs for pc, spawn in clone_sites(p)]
    if not sites:
        return []
    from checker.symbolic.z3expr import reads

    runners = flow.Runners(scenario)
    frames = {p.index: flow.frames(p) for p, _, _ in sites}
    out: list[Diagnostic] = []
    for program, pc, spawn in sites:
        assert spawn.flags is not None
        frame = frozenset().union(*(f for f in frames[program.index] if pc in f))
        domains = {slot: domain(program, slot, frame) for slot in reads(spawn.flags)}
        caller = runners.caller_is_init(program.index, pc)
        diag = spawn_warning(scenario.path, spawn, domains, caller)
        if diag is not None:
            out.append(diag)
    return sorted(out, key=Diagnostic.sort_key)


def domain(program: ir.ProgramIR, slot: Slot, frame: frozenset[int]) -> Domain:
    """Everything the program can store in a slot: for a local, the
    assignments in its frame's code; for a `var`, its initial value and
    every assignment in the program (the address space is shared by the
    tasks that run it with CLONE_VM)."""
    kind, number = slot
    sources: list[Source] = []
    pcs: Sequence[int] = sorted(frame)
    if kind == ir.VAR:
        sources.append(ir.Const(program.var_init[number]))
        pcs = range(len(program.code))
    for pc in pcs:
        instr = program.code[pc]
        target = getattr(instr, "target", None)
        if not isinstance(target, ir.Ref) or (target.kind, target.slot) != slot:
            continue
        if isinstance(instr, ir.Assign):
            sources.append(instr.value)
        elif isinstance(instr, ir.AnyAssign):
            sources.append((instr.lo, instr.hi))
        else:  # a spawn's pid, a system call's result
            return None
    return tuple(sources)


def spawn_warning(
    path: str,
    spawn: ir.Spawn,
    domains: Mapping[Slot, Domain],
    caller_is_init: bool | None,
) -> Diagnostic | None:
    """The warning for one clone, or None when every value its flags can
    take is valid (or its flags read something this check cannot follow).

    `domains` gives what can be stored in each local and var the flags
    read (a slot missing from it is unconstrained); `caller_is_init` is None
    when the clone can run both in init's thread group and elsewhere.
    """
    import z3

    from checker.symbolic import clone_flags as C
    from checker.symbolic import z3expr as Z

    assert spawn.flags is not None
    names = Z.reads(spawn.flags)
    env = {slot: z3.BitVec(f"{name}#{slot[0]}.{slot[1]}", Z.WIDTH) for slot, name in names.items()}
    try:
        term = Z.compile_expr(spawn.flags, env)
    except Z.Unsupported:
        return None
    word = Z.to_int(term.value)
    init = z3.Bool("caller_is_init") if caller_is_init is None else z3.BoolVal(caller_is_init)

    solver = z3.Solver()
    solver.add(term.defined)  # an overflow stops the task before the call
    for slot, var in env.items():
        solver.add(_within(var, domains.get(slot)))
    if solver.check() != z3.sat:
        return None  # the clone is never called

    if not _satisfiable(solver, z3.Not(C.any_invalid(word, init))):
        for rule in C.RULES:  # one rule that holds for every value, in the kernel's order
            if not _satisfiable(solver, z3.Not(C.invalid(rule, word, init))):
                why = rule.message
                break
        else:
            why = " or ".join(
                r.message for r in C.RULES if _satisfiable(solver, C.invalid(r, word, init))
            )
        return Diagnostic(path, spawn.pos, f"{why}: this clone always fails with EINVAL", "warning")

    # Some values are invalid: an example, preferably one that needs no init
    # caller, with the smallest values (as unsigned: small and non-negative
    # first), so that it reads well and does not change from run to run.
    tries = [z3.Not(init), init] if caller_is_init is None else [z3.BoolVal(True)]
    for extra in tries:
        example = z3.Optimize()
        example.add(*solver.assertions(), extra, C.any_invalid(word, init))
        for var in env.values():
            example.minimize(var)
        if example.check() != z3.sat:
            continue
        model = example.model()
        when = [f"{names[slot]} = {Z.signed(model.eval(var, True))}" for slot, var in env.items()]
        if caller_is_init is None and z3.is_true(model.eval(init, True)):
            when.append("it is called by init")
        rule = next(r for r in C.RULES if z3.is_true(model.eval(C.invalid(r, word, init), True)))
        message = f"this clone fails with EINVAL when {_and(when)} ({rule.message})"
        return Diagnostic(path, spawn.pos, message, "warning")
    return None


def _satisfiable(solver: z3.Solver, cond: z3.BoolRef) -> bool:
    import z3

    solver.push()
    solver.add(cond)
    try:
        return bool(solver.check() == z3.sat)
    finally:
        solver.pop()


def _within(var: z3.BitVecRef, sources: Domain) -> z3.BoolRef:
    """The values a slot can hold: one of its constant sources, or in one of
    its constant ranges; anything, if some source is not constant."""
    import z3

    from checker.symbolic import z3expr as Z

    if not sources:
        return z3.BoolVal(True)
    options = []
    for source in sources:
        try:
            if isinstance(source, tuple):
                lo, hi = (Z.compile_expr(e, {}) for e in source)
                options.append(
                    z3.And(
                        lo.defined,
                        hi.defined,
                        Z.to_int(lo.value) <= var,
                        var <= Z.to_int(hi.value),
                    )
                )
            else:
                value = Z.compile_expr(source, {})
                options.append(z3.And(value.defined, var == Z.to_int(value.value)))
        except Z.Unsupported:  # it reads another variable, or the kernel's state
            return z3.BoolVal(True)
    return z3.Or(*options)


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
