"""Control flow of lowered programs: successors, frames, and which tasks can
run an instruction.

Static checks over the IR (checker/lang/flagcheck.py) need three facts the
instruction list only holds implicitly: which instructions a frame's code
reaches (a handler's locals reuse the slot numbers of the program's), where
assignments to a slot can come from, and whether an instruction can run in
init's thread group, which matters because copy_process refuses CLONE_PARENT
from a task whose signal_struct has SIGNAL_UNKILLABLE (kernel/fork.c; the
model's clone step tests `tgid == 1`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from checker.lang import ir


def successors(instr: ir.Instr) -> tuple[int, ...]:
    """Where control can go after `instr` in the same program, a new task's
    start (a Spawn's child_pc) included. Exit, Return and a successful exec
    leave the program's code."""
    if isinstance(instr, ir.Branch):
        return (instr.then_pc, instr.else_pc)
    if isinstance(instr, ir.Jump):
        return (instr.target,)
    if isinstance(instr, ir.Choose):
        return instr.targets
    if isinstance(instr, ir.RepeatTest):
        return (instr.body_pc, instr.exit_pc)
    if isinstance(instr, ir.Spawn):
        return (instr.next, instr.child_pc)
    if isinstance(instr, (ir.Exit, ir.Return)):
        return ()
    nxt = getattr(instr, "next", None)  # every other instruction goes on at `next`
    return (nxt,) if isinstance(nxt, int) else ()


def reachable(
    code: tuple[ir.Instr, ...],
    roots: Iterable[int],
    step: Callable[[ir.Instr], tuple[int, ...]] = successors,
) -> frozenset[int]:
    """The pcs reachable from `roots` by `step` (by default `successors`)."""
    seen: set[int] = set()
    todo = [pc for pc in roots if 0 <= pc < len(code)]
    while todo:
        pc = todo.pop()
        if pc in seen:
            continue
        seen.add(pc)
        todo += [n for n in step(code[pc]) if 0 <= n < len(code) and n not in seen]
    return frozenset(seen)


def frames(program: ir.ProgramIR) -> list[frozenset[int]]:
    """The code of each frame: the program body's (with its fork and clone
    blocks, which run on a copy of the frame), then each handler's. A local
    slot number means a different variable in each."""
    roots = [program.entry] + [h.entry for h in program.handlers.values()]
    return [reachable(program.code, [root]) for root in roots]


class Runners:
    """For every program, the pcs that init's thread group can run and the
    pcs that any other task can run.

    A user `init { }` starts as pid 1 and the `start` programs as its
    children; init's fork children, and everything they exec, are other tasks; its threads (`thread { }`, CLONE_THREAD) stay in
    its group, and so does a program it execs. Handlers run in whichever task
    takes the signal, so in every task that runs the program's code.
    """

    def __init__(self, scenario: ir.ScenarioIR):
        self.programs = scenario.programs
        n = len(self.programs)
        self.group: list[set[int]] = [set() for _ in range(n)]
        self.other: list[set[int]] = [set() for _ in range(n)]
        todo: list[tuple[int, int, bool]] = []  # (program, pc, run by init's group)
        for p in self.programs:
            if p.kind == "init" or p.index in scenario.start:
                todo.append((p.index, p.entry, p.kind == "init"))
        while todo:
            prog, pc, in_group = todo.pop()
            code = self.programs[prog].code
            seen = self.group[prog] if in_group else self.other[prog]
            if not 0 <= pc < len(code) or pc in seen:
                continue
            if not seen:  # the first pc this kind of task runs: it can take signals
                todo += [(prog, h.entry, in_group) for h in self.programs[prog].handlers.values()]
            seen.add(pc)
            instr = code[pc]
            if isinstance(instr, ir.Spawn):
                todo.append((prog, instr.next, in_group))
                joins = instr.thread
                if joins is not False:
                    todo.append((prog, instr.child_pc, in_group))
                if joins is not True:
                    todo.append((prog, instr.child_pc, False))
                continue
            if isinstance(instr, ir.Exec):
                todo.append((instr.program, self.programs[instr.program].entry, in_group))
            todo += [(prog, n, in_group) for n in successors(instr)]

    def caller_is_init(self, program: int, pc: int) -> bool | None:
        """Whether the task running `pc` of `program` is in init's thread
        group: True, False, or None when it can be either. Code no task can
        reach counts as run by whatever its program starts as."""
        group, other = pc in self.group[program], pc in self.other[program]
        if group and other:
            return None
        if group or other:
            return group
        return self.programs[program].kind == "init"
