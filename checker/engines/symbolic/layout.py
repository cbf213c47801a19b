"""What the symbolic engine's state looks like for one scenario, and whether
the engine covers the scenario at all.

The Z3 state has a fixed number of task slots (`slots`): as many tasks as
the scenario can ever have at once, computed from its code where forks are
not in loops, else `max_tasks`. Every value a program can hold is a Z3 Int;
a status record (what wait returns) takes three cells (pid, kind, value).
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.kernel.model import SIGNAL_CALLS, uses_join, uses_signals
from checker.lang import ir
from checker.lang.flow import reachable, successors

# Task.state letters as Z3 integers
STATE_CODES = {"R": 0, "S": 1, "D": 2, "T": 3, "Z": 4}
STATE_LETTERS = {v: k for k, v in STATE_CODES.items()}
# A local with no value: outside the 64-bit range no program value leaves
UNSET = 2**64
# Status record kinds (checker/kernel/wait.py Status)
NONE, EXITED, SIGNALED, STOPPED, CONTINUED = 0, 1, 2, 3, 4
# Slot.wopt of a task in no call, and of a vfork parent (wpid: its child)
NO_CALL = -1
VFORK_CALL = -2


@dataclass(frozen=True)
class Unsupported:
    """A construct the symbolic engine does not encode yet."""

    what: str
    line: int

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"the symbolic engine does not cover {self.what} yet{where}"


def unsupported(scenario: ir.ScenarioIR) -> Unsupported | None:
    """The first construct of the scenario the symbolic engine cannot encode.

    It covers the process lifecycle without signals, threads and clone:
    fork, vfork, exec, exit, wait and waitpid, subreapers, re-parenting,
    init's reaping, and all of the statement language. The rest is reported, never
    approximated.
    """
    if uses_signals(scenario):
        for p in scenario.programs:
            for instr in p.code:
                if isinstance(instr, ir.Spawn) and instr.kind in ("clone", "thread"):
                    return Unsupported(f"`{instr.kind}`", instr.pos.line)
                if isinstance(instr, ir.Syscall) and instr.name in SIGNAL_CALLS:
                    return Unsupported("signals", instr.pos.line)
        return Unsupported("signals", 0)
    if uses_join(scenario):
        return Unsupported("threads", 0)
    for p in scenario.programs:
        if p.handlers:
            return Unsupported("signal handlers", p.pos.line)
        for instr in p.code:
            if isinstance(instr, ir.Spawn) and instr.kind not in ("fork", "vfork"):
                return Unsupported(f"`{instr.kind}`", instr.pos.line)
            if isinstance(instr, ir.Return):
                return Unsupported("signal handlers", instr.pos.line)
    for live in scenario.liveness:
        return Unsupported("liveness properties", live.pos.line)
    if "zombies_eventually_reaped" in scenario.checks:
        return Unsupported("liveness properties (zombies_eventually_reaped)", 0)
    return None


@dataclass(frozen=True)
class Layout:
    slots: int  # task slots
    locals: tuple[int, ...]  # cells per local slot index (1, or 3 for a status record)
    mem: tuple[int, ...]  # cells per `var` slot index
    named: tuple[int, ...]  # programs whose begun task PROG.X reads
    keep_zombie_values: bool
    status_locals: tuple[frozenset[int], ...]  # per program: local slots holding a status record
    status_mem: tuple[frozenset[int], ...]  # per program: `var` slots holding one


def status_refs(scenario: ir.ScenarioIR) -> tuple[list[set[int]], list[set[int]]]:
    """Per program, the local and `var` slots that hold a status record:
    the targets of wait and waitpid, and copies of them."""
    locs: list[set[int]] = [set() for _ in scenario.programs]
    mems: list[set[int]] = [set() for _ in scenario.programs]
    for p in scenario.programs:

        def mark(ref: ir.Ref | None, p: ir.ProgramIR = p) -> bool:
            if ref is None or ref.kind == ir.ERRNO:
                return False
            chosen = locs[p.index] if ref.kind == ir.LOCAL else mems[p.index]
            if ref.slot in chosen:
                return False
            chosen.add(ref.slot)
            return True

        changed = True
        while changed:
            changed = False
            for instr in p.code:
                if isinstance(instr, ir.Syscall) and instr.name in ("wait", "waitpid"):
                    changed |= mark(instr.target)
                elif isinstance(instr, ir.Assign):
                    v = instr.value
                    if (isinstance(v, ir.Local) and v.slot in locs[p.index]) or (
                        isinstance(v, ir.Var) and v.slot in mems[p.index]
                    ):
                        changed |= mark(instr.target)
    return locs, mems


def task_bound(scenario: ir.ScenarioIR) -> int:
    """How many tasks can exist at once: init, the started programs, and
    every task their forks can create, when no fork can run twice in a loop
    (a fork reachable from itself); else max_tasks."""
    limit = scenario.settings.max_tasks
    memo: dict[tuple[int, int], int] = {}
    active: set[tuple[int, int]] = set()

    class Unbounded(Exception):
        pass

    def goes_on(instr: ir.Instr) -> tuple[int, ...]:
        # where the task itself goes; a fork's child is counted apart
        if isinstance(instr, ir.Spawn):
            return (instr.next,)
        return successors(instr)

    def created(prog: ir.ProgramIR, pc: int) -> int:
        """The most tasks a task at `pc` can create, with their descendants."""
        key = (prog.index, pc)
        if key in memo:
            return memo[key]
        if key in active:
            # a loop: fine unless it contains a fork, which the caller sees
            # as a fork reachable from itself
            raise Unbounded
        active.add(key)
        instr = prog.code[pc]
        best = 0
        for nxt in goes_on(instr):
            best = max(best, created(prog, nxt))
        if isinstance(instr, ir.Spawn):
            best += 1 + created(prog, instr.child_pc)
        active.discard(key)
        memo[key] = min(best, limit)
        return memo[key]

    def loop_free_fork_count(prog: ir.ProgramIR, pc: int) -> int:
        try:
            return created(prog, pc)
        except Unbounded:
            pass
        # a loop somewhere: bounded only if no fork is on any path from here
        memo.clear()
        active.clear()
        if any(isinstance(prog.code[k], ir.Spawn) for k in reachable(prog.code, [pc])):
            return limit
        return 0

    total = 1
    if scenario.init is not None:
        init = scenario.programs[scenario.init]
        total += loop_free_fork_count(init, init.entry)
    for k in scenario.start:
        prog = scenario.programs[k]
        total += 1 + loop_free_fork_count(prog, prog.entry)
        if total >= limit:
            return limit
    return min(total, limit)


def layout(scenario: ir.ScenarioIR, keep_zombie_values: bool) -> Layout:
    status_locals, status_mem = status_refs(scenario)
    n_locals = max((len(p.local_names) for p in scenario.programs), default=0)
    n_mem = max((len(p.var_names) for p in scenario.programs), default=0)
    any_local = set().union(*status_locals) if status_locals else set()
    any_mem = set().union(*status_mem) if status_mem else set()
    return Layout(
        slots=task_bound(scenario),
        locals=tuple(3 if k in any_local else 1 for k in range(n_locals)),
        mem=tuple(3 if k in any_mem else 1 for k in range(n_mem)),
        named=scenario.named,
        keep_zombie_values=keep_zombie_values,
        status_locals=tuple(frozenset(x) for x in status_locals),
        status_mem=tuple(frozenset(x) for x in status_mem),
    )
