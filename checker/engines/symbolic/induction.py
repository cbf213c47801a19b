"""k-induction: proofs that a property holds at every depth.

Base case: bounded model checking from the initial state up to k steps (a
violation there is a real one, with its trace). Step case: from *any* k
consecutive states that keep the property (and the structural invariants
the model always keeps), the next state keeps it too. If the solver finds
no such k+1 states, the property is proved for unbounded depth; if it does,
they are a counterexample to induction (CTI): not a reachable run, but what
a strengthening `invariant` has to rule out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.bmc import Check, Found, Symbolic, bmc, checks, terminal
from checker.engines.symbolic.layout import EXITED, STATE_LETTERS, UNSET
from checker.engines.symbolic.rules import NO_CALL, R, S, Z, choice
from checker.engines.symbolic.sstate import SState, fresh
from checker.kernel.state import INIT_PID
from checker.lang import ir
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
    init in slot 0, distinct pids, parents that exist, task states that fit
    their pcs, zombies with an exit code, children lists in order."""
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
    for j, t in enumerate(s.slots):
        if j > 0:
            parts.append(
                z3.Implies(
                    t.alive, z3.And(t.pid >= 2, t.pid < rules.pid_max, t.prog >= 0, t.ppid != t.pid)
                )
            )
            parent = z3.Or([z3.And(p.alive, p.pid == t.ppid, p.st != Z) for p in s.slots])
            parts.append(z3.Implies(t.alive, parent))
        for u in s.slots[j + 1 :]:
            parts.append(z3.Implies(z3.And(t.alive, u.alive), t.pid != u.pid))
            same = z3.And(t.alive, u.alive, t.ppid == u.ppid)
            parts.append(z3.Implies(same, t.cpos != u.cpos))
        siblings = z3.Sum([z3.If(z3.And(c.alive, c.ppid == t.ppid), 1, 0) for c in s.slots])
        parts.append(
            z3.Implies(z3.And(t.alive, t.pid != INIT_PID), z3.And(t.cpos >= 0, t.cpos < siblings))
        )
        zombie = t.st == Z
        parts.append(
            z3.Implies(
                z3.And(t.alive, zombie), z3.And(t.xkind == EXITED, t.xval >= 0, t.xval <= 255)
            )
        )
        parts.append(z3.Implies(t.alive, z3.Or(t.st == R, t.st == S, zombie)))
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
            where.append(
                z3.And(t.prog == prog.index, z3.Or(z3.And(t.st == R, rest), asleep, zombie))
            )
        parts.append(z3.Implies(t.alive, z3.Or(where)))
    return z3.And(parts)


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
    # the step case: k+1 arbitrary consecutive states
    states = [fresh(sym.lay, f"t{i}") for i in range(k + 1)]
    solver = z3.Solver()
    if timeout:
        solver.set("timeout", int(timeout * 1000))
    for i, s in enumerate(states):
        solver.add(structural(sym, s))
        if i > 0:
            solver.add(sym.step(states[i - 1], s, choice(f"k{i}")))
    for c in todo:
        hyps = []
        for s in states[:-1]:
            bad, err = c.violated(s, terminal(sym, s))
            hyps.append(z3.Not(z3.Or(bad, err)))
        last = states[-1]
        bad, err = c.violated(last, terminal(sym, last))
        lit = z3.Bool(f"step:{c.name}")
        solver.add(z3.Implies(lit, z3.And(*hyps, z3.Or(bad, err))))
        answer = solver.check(lit)
        if answer == z3.unsat:
            proofs.append(Proof(c.name, PROVED, k))
        elif answer == z3.unknown:
            proofs.append(Proof(c.name, UNKNOWN, k, note="the solver timed out in the step case"))
        else:
            proofs.append(Proof(c.name, NOT_INDUCTIVE, k, cti=_tables(sym, solver.model(), states)))
    return _ordered(proofs, order)


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
