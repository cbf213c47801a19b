"""k-induction: proofs that a property holds at every depth.

Base case: bounded model checking from the initial state up to k steps (a
violation there is a real one, with its trace). Step case: from *any* k
consecutive states that keep the properties (and the structural invariants
the model always keeps), the next state keeps them too. The properties are
proved together, Houdini style: each is assumed in the k states before
while it is still believed inductive, so one `invariant` can strengthen
another. A property the solver can break is dropped from the assumptions
(not k-inductive) and the rest are asked again, until none breaks: those
are proved. What the solver finds for a dropped property is its
counterexample to induction (CTI): not a reachable run, but what a
strengthening `invariant` has to rule out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.bmc import Check, Found, Symbolic, bmc, checks, terminal
from checker.engines.symbolic.layout import (
    EXITED,
    NO_CALL,
    SIGNALED,
    STATE_LETTERS,
    UNSET,
    VFORK_CALL,
)
from checker.engines.symbolic.rules import D, R, S, Z, children_count, choice, leads
from checker.engines.symbolic.sstate import SState, fresh
from checker.engines.symbolic.terms import tgid
from checker.kernel.state import INIT_PID
from checker.lang import ir
from checker.lang.constants import LONG_MAX, LONG_MIN
from checker.lang.flow import reachable, successors

PROVED, VIOLATED, NOT_INDUCTIVE, UNKNOWN = "proved", "violated", "not k-inductive", "unknown"


@dataclass
class Proof:
    name: str
    status: str
    k: int
    found: Found | None = None  # VIOLATED: the run
    cti: list[list[tuple[object, ...]]] = field(default_factory=list)  # per state, its task rows
    note: str = ""


def structural(sym: Symbolic, s: SState) -> Any:
    """What every reachable state satisfies by construction of the model:
    init in slot 0, distinct pids, parents that exist, parent links that
    lead to init, task states that fit their pcs, zombies with an exit code,
    children lists in order, values a C `long` holds."""
    rules = sym.rules
    parts = [z3.Not(s.lost), s.last_pid >= 1, s.last_pid < rules.pid_max]
    init = s.slots[0]
    parts += [init.alive, init.pid == INIT_PID, init.ppid == 0, init.st != Z]
    if rules.default_init:
        parts += [init.prog == -1, init.st == S]
    else:
        parts.append(init.prog == sym.scenario.init)
    # per program: where a running task can rest (a visible instruction or
    # a choose the code reaches) and where a sleeping one waits
    resting = []
    waiting = []
    vforks = []
    for prog in sym.scenario.programs:
        reach = reachable_pcs(prog)
        resting.append([pc for pc in rules.resting_pcs(prog) if pc in reach])
        waiting.append(
            [
                pc
                for pc, instr in enumerate(prog.code)
                if isinstance(instr, ir.Syscall) and instr.name in ("wait", "waitpid")
            ]
        )
        vforks.append(
            [
                pc
                for pc, instr in enumerate(prog.code)
                if isinstance(instr, ir.Spawn) and instr.kind == "vfork"
            ]
        )
    for j, t in enumerate(s.slots):
        if j > 0:
            parts.append(
                z3.Implies(
                    t.alive, z3.And(t.pid >= 2, t.pid < rules.pid_max, t.prog >= 0, t.ppid != t.pid)
                )
            )
            parent = z3.Or([z3.And(p.alive, p.pid == t.ppid, p.st != Z) for p in s.slots])
            # init's threads have no parent in the namespace
            parts.append(z3.Implies(z3.And(t.alive, tgid(t) != INIT_PID), parent))
        # children lists: group leaders only (a thread is on none)
        for u in s.slots[j + 1 :]:
            parts.append(z3.Implies(z3.And(t.alive, u.alive), t.pid != u.pid))
            same = z3.And(t.alive, u.alive, leads(t), leads(u), t.ppid == u.ppid)
            parts.append(z3.Implies(same, t.cpos != u.cpos))
        siblings = children_count(s, t.ppid)
        parts.append(
            z3.Implies(
                z3.And(t.alive, leads(t), tgid(t) != INIT_PID),
                z3.And(t.cpos >= 0, t.cpos < siblings),
            )
        )
        zombie = t.st == Z
        if sym.lay.signals:
            # killed by a signal, stopped, asleep in pause or in a handler:
            # only the facts that hold whatever signals do
            exited = z3.And(t.xkind == EXITED, t.xval >= 0, t.xval <= 255)
            killed = z3.And(t.xkind == SIGNALED, t.xval >= 1, t.xval <= 31)
            parts.append(z3.Implies(z3.And(t.alive, zombie), z3.Or(exited, killed)))
            continue
        parts.append(
            z3.Implies(
                z3.And(t.alive, zombie), z3.And(t.xkind == EXITED, t.xval >= 0, t.xval <= 255)
            )
        )
        parts.append(z3.Implies(t.alive, z3.Or(t.st == R, t.st == S, t.st == D, zombie)))
        if j == 0 and rules.default_init:
            continue
        where = []
        for prog in sym.scenario.programs:
            rest = z3.Or([t.pc == pc for pc in resting[prog.index]] or [z3.BoolVal(False)])
            asleep = z3.And(
                t.st == S,
                z3.Or([t.pc == pc for pc in waiting[prog.index]] or [z3.BoolVal(False)]),
                t.wopt != NO_CALL,
            )
            # a vfork parent waits for its child at the vfork
            in_vfork = z3.And(
                t.st == D,
                z3.Or([t.pc == pc for pc in vforks[prog.index]] or [z3.BoolVal(False)]),
                t.wopt == VFORK_CALL,
            )
            where.append(
                z3.And(
                    t.prog == prog.index, z3.Or(z3.And(t.st == R, rest), asleep, in_vfork, zombie)
                )
            )
        parts.append(z3.Implies(t.alive, z3.Or(where)))
    parts += _parent_chains(s) + _long_values(s)
    return z3.And(parts)


def _parent_chains(s: SState) -> list[Any]:
    """Every live task's chain of parents ends at init: no parent cycles.
    True of every reachable state: a fork's child gets the forker as its
    parent, and an exiting task's children go to one of its ancestors (a
    subreaper) or to init (find_new_reaper), so the parent links always
    form a tree rooted at init. Written as reachability of slot 0 through
    parent links, in at most one step fewer than there are slots."""
    slots = s.slots
    reach = [z3.BoolVal(j == 0) for j in range(len(slots))]
    for _ in range(len(slots) - 1):
        reach = [reach[0]] + [
            z3.Or(
                reach[j],
                *[
                    z3.And(p.alive, p.pid == t.ppid, reach[m])
                    for m, p in enumerate(slots)
                    if m != j
                ],
            )
            for j, t in enumerate(slots)
            if j > 0
        ]
    return [z3.Implies(t.alive, reach[j]) for j, t in enumerate(slots) if j > 0]


def _long_values(s: SState) -> list[Any]:
    """Every cell of a live task's locals and `var`s is a C `long` or the
    UNSET marker (2**64, layout.py). True of every reachable state: the
    initial values are UNSET or constants the static check keeps within 64
    bits (check.py), and every value a step stores is a checked result
    (terms.py _ck: outside 64 bits the step fails and stores nothing), a
    copy of a cell, a pid, a status record's fields, 0 or 1, or a bitwise or
    masked result (in range by construction)."""
    parts = []
    for t in s.slots:
        cells = [c for cell in t.locals + t.mem for c in cell]
        ok = [z3.Or(c == UNSET, z3.And(c >= LONG_MIN, c <= LONG_MAX)) for c in cells]
        if ok:
            parts.append(z3.Implies(t.alive, z3.And(ok)))
    return parts


def _live_successors(instr: ir.Instr) -> tuple[int, ...]:
    """flow.successors, with an `if`/`while` on a constant going one way."""
    cond = instr.cond if isinstance(instr, ir.Branch) else None
    if isinstance(instr, ir.Branch) and isinstance(cond, ir.Const) and isinstance(cond.value, bool):
        return (instr.then_pc if cond.value else instr.else_pc,)
    return successors(instr)


def reachable_pcs(prog: ir.ProgramIR) -> frozenset[int]:
    """The pcs the program's control flow can reach from its entry (a forked
    child's start included)."""
    return reachable(prog.code, [prog.entry], _live_successors)


def prove(sym: Symbolic, k: int, timeout: float | None = None) -> list[Proof]:
    base, _ = bmc(sym, k, timeout)
    proofs: list[Proof] = []
    todo: list[Check] = []
    order = checks(sym)
    for c in order:
        found = base.found.get(c.name)
        if found is not None:
            proofs.append(Proof(c.name, VIOLATED, found.depth, found))
        elif c.name in base.timed_out:
            proofs.append(Proof(c.name, UNKNOWN, k, note="the solver timed out in the base case"))
        elif base.complete:
            # every run ends within the base case: nothing else to see
            proofs.append(Proof(c.name, PROVED, base.depth, note="every run ends within the bound"))
        else:
            todo.append(c)
    if not todo:
        return _ordered(proofs, order)
    step = StepCase(sym, k, timeout)
    # the hypotheses: the state invariants whose base case holds. A property
    # asked of terminal states only (at_end) is never one: the k states
    # before the last each take a step, so it would say nothing there
    kept, timed_out = houdini(step, [c for c in todo if not c.at_end])
    for c in todo:
        if c in kept:
            proofs.append(Proof(c.name, PROVED, k))
            continue
        if c.name in timed_out:
            proofs.append(Proof(c.name, UNKNOWN, k, note=STEP_TIMEOUT))
            continue
        # dropped (or asked at the end only): its CTI against what is proved,
        # the property itself assumed before too, so the tables show what a
        # strengthening must rule out
        hyps = kept + ([] if c.at_end else [c])
        answer, model = step.ask(hyps, [c])
        if answer == z3.unsat:
            # inductive relative to the proved ones (which hold everywhere):
            # proved. Only an at_end property gets here: a dropped one was
            # broken under more assumptions than these, and that model
            # breaks it under these too.
            proofs.append(Proof(c.name, PROVED, k))
        elif answer == z3.unknown:
            proofs.append(Proof(c.name, UNKNOWN, k, note=STEP_TIMEOUT))
        else:
            assert model is not None
            proofs.append(Proof(c.name, NOT_INDUCTIVE, k, cti=_tables(sym, model, step.states)))
    return _ordered(proofs, order)


STEP_TIMEOUT = "the solver timed out in the step case"


class StepCase:
    """k+1 arbitrary consecutive states that keep the structural invariants,
    on one incremental solver: properties are assumed in the first k states
    and asked of the last under assumption literals."""

    def __init__(self, sym: Symbolic, k: int, timeout: float | None = None):
        self.sym = sym
        self.states = [fresh(sym.lay, f"t{i}") for i in range(k + 1)]
        self.ends = [terminal(sym, s) for s in self.states]
        self.solver = z3.Solver()
        if timeout:
            self.solver.set("timeout", int(timeout * 1000))
        for i, s in enumerate(self.states):
            self.solver.add(structural(sym, s))
            if i > 0:
                self.solver.add(sym.step(self.states[i - 1], s, choice(f"k{i}")))
        self._assumed: dict[str, Any] = {}  # name -> literal: it holds in the first k states
        self.bad: dict[str, Any] = {}  # name -> it is violated in the last state
        self.queries = 0

    def _assume(self, c: Check) -> Any:
        if c.name not in self._assumed:
            lit = z3.Bool(f"assume:{c.name}")
            holds = [
                z3.Not(z3.Or(*c.violated(s, end)))
                for s, end in zip(self.states[:-1], self.ends[:-1], strict=True)
            ]
            self.solver.add(z3.Implies(lit, z3.And(holds)))
            self._assumed[c.name] = lit
        return self._assumed[c.name]

    def _bad(self, c: Check) -> Any:
        if c.name not in self.bad:
            self.bad[c.name] = z3.Or(*c.violated(self.states[-1], self.ends[-1]))
        return self.bad[c.name]

    def ask(self, hyps: list[Check], goals: list[Check]) -> tuple[Any, z3.ModelRef | None]:
        """Can one of `goals` be violated in the last state when every one
        of `hyps` holds in the states before?"""
        self.queries += 1
        goal = z3.Bool(f"goal:{self.queries}")
        self.solver.add(z3.Implies(goal, z3.Or([self._bad(c) for c in goals])))
        answer = self.solver.check(*[self._assume(c) for c in hyps], goal)
        return answer, self.solver.model() if answer == z3.sat else None

    def broken(self, model: z3.ModelRef, among: list[Check]) -> list[Check]:
        """The properties the model violates in the last state."""
        return [c for c in among if z3.is_true(model.eval(self._bad(c), model_completion=True))]


def houdini(step: StepCase, candidates: list[Check]) -> tuple[list[Check], set[str]]:
    """The largest subset of `candidates` that is k-inductive together (the
    greatest fixpoint): assume all of them, drop those the solver can break
    in the last state, repeat. Returns what is kept, and the names of those
    dropped because the solver timed out on them."""
    kept = list(candidates)
    timed_out: set[str] = set()
    while kept:
        answer, model = step.ask(kept, kept)
        if answer == z3.unsat:
            break
        if answer == z3.sat:
            assert model is not None
            out = step.broken(model, kept)
            assert out, "the model violates none of the properties asked"
            kept = [c for c in kept if c not in out]
            continue
        # the joint question timed out: one by one, so that one hard property
        # does not hide the others; one that times out again is dropped
        # (fewer assumptions are always sound), and then the rest are asked
        # again under what is left
        dropped = False
        for c in list(kept):
            answer, model = step.ask(kept, [c])
            if answer == z3.unsat:
                continue
            kept.remove(c)
            dropped = True
            if answer == z3.unknown:
                timed_out.add(c.name)
            else:
                break  # broken: ask the rest jointly again
        if not dropped:
            break  # each is kept by the others: a fixpoint
    return kept, timed_out


def _ordered(proofs: list[Proof], order: list[Check]) -> list[Proof]:
    names = [c.name for c in order]
    return sorted(proofs, key=lambda p: names.index(p.name))


def _tables(sym: Symbolic, m: z3.ModelRef, states: list[SState]) -> list[list[tuple[object, ...]]]:
    """Each state of a CTI as process-table rows: pid, ppid, state,
    program, pc (with its line), locals, vars."""
    programs = sym.scenario.programs

    def num(x: Any) -> int:
        v = m.eval(x, model_completion=True)
        return v.as_signed_long() if z3.is_bv_value(v) else v.as_long()

    tables = []
    for s in states:
        rows: list[tuple[object, ...]] = []
        for t in s.slots:
            if not z3.is_true(m.eval(t.alive, model_completion=True)):
                continue
            prog = num(t.prog)
            st = STATE_LETTERS.get(num(t.st), "?")
            if 0 <= prog < len(programs):
                p = programs[prog]
                pc = num(t.pc)
                line = p.code[pc].pos.line if 0 <= pc < len(p.code) and st != "Z" else None
                locs = ", ".join(
                    f"{n}={_show(num(t.locals[k][0]))}"
                    for k, n in enumerate(p.local_names)
                    if not n.startswith("$")
                )
                mem = ", ".join(f"{n}={_show(num(t.mem[k][0]))}" for k, n in enumerate(p.var_names))
                name = p.name
            else:
                line, locs, mem, name = None, "", "", "init"
            rows.append((num(t.pid), num(t.ppid), st, name, line, locs, mem))
        rows.sort(key=lambda r: r[0])  # type: ignore[arg-type, return-value]
        tables.append(rows)
    return tables


def _show(v: int) -> str:
    return "unset" if v == UNSET else str(v)
