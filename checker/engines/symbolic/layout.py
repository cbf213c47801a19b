"""What the symbolic engine's state looks like for one scenario, and whether
the engine covers the scenario at all.

The Z3 state has a fixed number of task slots (`slots`): as many tasks as
the scenario can ever have at once, computed from its code where forks are
not in loops, else `max_tasks`. Every value a program can hold is a Z3 Int;
a status record (what wait returns) takes three cells (pid, kind, value).
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.kernel.clone_flags import legacy_split
from checker.kernel.fork import CLONE_NEWPID, CLONE_PARENT, CLONE_THREAD
from checker.kernel.model import uses_join, uses_signals
from checker.kernel.signals import SIG_KERNEL_ONLY_MASK, sigmask
from checker.lang import ir
from checker.lang.constants import NSIG, NSIG_STANDARD, SA_NODEFER, SIGCHLD, SIGKILL
from checker.lang.flow import reachable, successors
from checker.lang.pyexpr import EvalError, compile_program_expr

# Task.state letters as Z3 integers
STATE_CODES = {"R": 0, "S": 1, "D": 2, "T": 3, "Z": 4}
STATE_LETTERS = {v: k for k, v in STATE_CODES.items()}
# A local with no value: outside the 64-bit range no program value leaves
UNSET = 2**64
# Status record kinds (checker/kernel/wait.py Status)
NONE, EXITED, SIGNALED, STOPPED, CONTINUED = 0, 1, 2, 3, 4
# Slot.wopt of a task in no call, of a vfork parent (wpid: its child), of a
# task in pause or sigsuspend (Slot.saved: the mask sigsuspend saved), and
# of one in join (wpid: the thread it joins)
NO_CALL = -1
VFORK_CALL = -2
PAUSE_CALL = -3
JOIN_CALL = -4
# Slot.phase of a task in a call (model.py IN_CALL, RESTART, AGAIN)
IN_CALL, RESTART, AGAIN = 0, 1, 2
# Slot.act handler codes: SIG_DFL, SIG_IGN, then handler k of the task's
# program (in the order of ProgramIR.handlers) is HANDLER + k
DFL, IGN, HANDLER = 0, 1, 2


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

    It covers fork, vfork, clone with constant flags, threads and join,
    exec, exit and exit_thread, wait and waitpid, subreapers, re-parenting,
    init's reaping, signals (kill, raise, signal, sigaction, sigprocmask,
    pause, sigsuspend, handlers, stop and continue) with constant signal
    numbers, and all of the statement language. The rest is reported,
    never approximated.
    """
    for p in scenario.programs:
        for instr in p.code:
            if isinstance(instr, ir.Spawn) and instr.kind == "clone":
                why = _clone_flags(instr)
                if why:
                    return Unsupported(why, instr.pos.line)
            if isinstance(instr, ir.Syscall):
                why = _signal_args(instr)
                if why:
                    return Unsupported(why, instr.pos.line)
    if uses_signals(scenario) and "kill" in scenario.faults:
        return Unsupported("`faults { kill }`", 0)
    for live in scenario.liveness:
        return Unsupported("liveness properties", live.pos.line)
    if "zombies_eventually_reaped" in scenario.checks:
        return Unsupported("liveness properties (zombies_eventually_reaped)", 0)
    return None


def _clone_flags(instr: ir.Spawn) -> str:
    """Why a clone's flags are out of the encoding's reach, or ""."""
    word = static_value(instr.flags)
    if word is None:
        return "`clone` flags that are not a constant"
    flags, exit_signal = legacy_split(word)
    if flags & CLONE_NEWPID:
        return "pid namespaces (CLONE_NEWPID)"
    if not flags & (CLONE_THREAD | CLONE_PARENT) and NSIG_STANDARD < exit_signal <= NSIG:
        return "real-time signals"
    return ""


def static_value(e: object) -> int | None:
    """The value of an expression made of constants only, else None."""
    if not isinstance(e, ir.Expr) or any(
        not isinstance(x, (ir.Const, ir.Unary, ir.Binary)) for x in ir.walk(e)
    ):
        return None
    try:
        value = compile_program_expr(e, {})(None, None, (), ())
    except EvalError:
        return None
    return int(value)


# the argument that is a signal number
SIGNAL_ARG = {"kill": 1, "raise": 0, "signal": 0, "sigaction": 0}
# the argument positions that must be constants: signal numbers, flags, masks
_STATIC_ARGS = {
    "kill": (1,),
    "raise": (0,),
    "signal": (0,),
    "sigaction": (0, 2),
    "sigprocmask": (0,),
}


def _signal_args(instr: ir.Syscall) -> str:
    """Why a signal call's arguments are out of the encoding's reach, or ""."""
    for k in _STATIC_ARGS.get(instr.name, ()):
        if static_value(instr.args[k]) is None:
            return f"a `{instr.name}` argument that is not a constant"
    if instr.name in ("sigprocmask", "sigsuspend"):
        members = instr.args[-1]
        assert isinstance(members, tuple)
        for e in members:
            if static_value(e) is None:
                return f"a `{instr.name}` set that is not made of constants"
    if instr.name in SIGNAL_ARG:
        value = static_value(instr.args[SIGNAL_ARG[instr.name]])
        if value is not None and NSIG_STANDARD < value <= NSIG:
            return "real-time signals"
    return ""


@dataclass(frozen=True)
class Layout:
    slots: int  # task slots
    locals: tuple[int, ...]  # cells per local slot index (1, or 3 for a status record)
    mem: tuple[int, ...]  # cells per `var` slot index
    named: tuple[int, ...]  # programs whose begun task PROG.X reads
    keep_zombie_values: bool
    status_locals: tuple[frozenset[int], ...]  # per program: local slots holding a status record
    status_mem: tuple[frozenset[int], ...]  # per program: `var` slots holding one
    # signals (all empty, and no signal field in the state, without them)
    signals: bool = False
    sigs: tuple[int, ...] = ()  # the signals with an entry in Slot.act (named by signal, sigaction)
    cands: tuple[int, ...] = ()  # the signals that can ever be pending
    frames: int = 0  # handler frames a task can have (nested handlers)
    # per program and pc: how many locals the frame running there has (the
    # program's, or its handler's)
    pc_locals: tuple[tuple[int, ...], ...] = ()
    pc_status: tuple[tuple[frozenset[int], ...], ...] = ()  # and which of them hold a status
    handlers: tuple[tuple[str, ...], ...] = ()  # per program, its handlers by code - HANDLER
    suspends: tuple[frozenset[int], ...] = ()  # per program, the pcs of sigsuspend
    # clone and threads (False and 0 without them, and no such field in the
    # state): thread groups, exit signals, shared handler tables
    threads: bool = False
    joins: int = 0  # threads ended and not joined yet an address space can hold
    join_pcs: tuple[frozenset[int], ...] = ()  # per program, the pcs of join
    exit_sigs: tuple[int, ...] = (SIGCHLD,)  # the exit signals a task can have, but 0 and -1


def frame_pcs(p: ir.ProgramIR) -> list[frozenset[int]]:
    """The pcs of each frame of a program's code: its own (first), then
    each handler's (they number their locals apart)."""
    handlers = [frozenset(reachable(p.code, [h.entry])) for h in p.handlers.values()]
    inside = frozenset().union(*handlers)
    return [frozenset(range(len(p.code))) - inside, *handlers]


def status_refs(
    scenario: ir.ScenarioIR,
) -> tuple[list[list[set[int]]], list[set[int]]]:
    """Per program, the local slots that hold a status record in each of
    its frames (frame_pcs order), and its `var` slots that do: the targets
    of wait and waitpid, and copies of them."""
    locs: list[list[set[int]]] = []
    mems: list[set[int]] = [set() for _ in scenario.programs]
    for p in scenario.programs:
        frames = frame_pcs(p)
        locs.append([set() for _ in frames])
        changed = True
        while changed:
            changed = False
            for f, pcs in enumerate(frames):
                chosen_locals = locs[p.index][f]

                def mark(
                    ref: ir.Ref | None, p: ir.ProgramIR = p, mine: set[int] = chosen_locals
                ) -> bool:
                    if ref is None or ref.kind == ir.ERRNO:
                        return False
                    chosen = mine if ref.kind == ir.LOCAL else mems[p.index]
                    if ref.slot in chosen:
                        return False
                    chosen.add(ref.slot)
                    return True

                for pc in sorted(pcs):
                    instr = p.code[pc]
                    if isinstance(instr, ir.Syscall) and instr.name in ("wait", "waitpid"):
                        changed |= mark(instr.target)
                    elif isinstance(instr, ir.Assign):
                        v = instr.value
                        if (isinstance(v, ir.Local) and v.slot in chosen_locals) or (
                            isinstance(v, ir.Var) and v.slot in mems[p.index]
                        ):
                            changed |= mark(instr.target)
    return locs, mems


def task_bound(scenario: ir.ScenarioIR) -> int:
    """How many tasks can exist at once: init, the started programs, and
    every task their forks (and the images they exec) can create, when no
    fork can run twice in a loop (a fork on a cycle of the code) and no
    handler forks or execs; else max_tasks."""
    limit = scenario.settings.max_tasks
    memo: dict[tuple[int, int], int] = {}
    stack: list[tuple[int, int]] = []

    class Unbounded(Exception):
        pass

    def goes_on(instr: ir.Instr) -> tuple[int, ...]:
        # where the task itself goes; a fork's child is counted apart
        if isinstance(instr, ir.Spawn):
            return (instr.next,)
        return successors(instr)

    def created(prog: ir.ProgramIR, pc: int) -> tuple[int, frozenset[tuple[int, int]]]:
        """The most tasks a task at `pc` can create, with their descendants;
        and the loop heads on the walk's stack where a path was cut short
        (going round a loop without a fork creates nothing more). A count
        that depends on a cut is not remembered: from elsewhere, the loop's
        other exits may count more."""
        key = (prog.index, pc)
        if key in memo:
            return memo[key], frozenset()
        if key in stack:
            cycle = stack[stack.index(key) :]
            if any(isinstance(scenario.programs[p].code[q], ir.Spawn) for p, q in cycle):
                raise Unbounded
            return 0, frozenset((key,))
        stack.append(key)
        instr = prog.code[pc]
        best = 0
        cuts: frozenset[tuple[int, int]] = frozenset()
        for nxt in goes_on(instr):
            n, c = created(prog, nxt)
            best, cuts = max(best, n), cuts | c
        if isinstance(instr, ir.Exec):
            # the new image's forks are this task's too
            image = scenario.programs[instr.program]
            n, c = created(image, image.entry)
            best, cuts = max(best, n), cuts | c
        if isinstance(instr, ir.Spawn):
            n, c = created(prog, instr.child_pc)
            best, cuts = best + 1 + n, cuts | c
        stack.pop()
        best = min(best, limit)
        cuts = cuts - {key}
        if not cuts:
            memo[key] = best
        return best, cuts

    for p in scenario.programs:
        for h in p.handlers.values():
            # a handler may run any number of times
            if any(
                isinstance(p.code[k], (ir.Spawn, ir.Exec)) for k in reachable(p.code, [h.entry])
            ):
                return limit

    def count(prog: ir.ProgramIR) -> int:
        try:
            return created(prog, prog.entry)[0]
        except Unbounded:
            stack.clear()
            return limit

    total = 1
    if scenario.init is not None:
        total += count(scenario.programs[scenario.init])
    for k in scenario.start:
        total += 1 + count(scenario.programs[k])
        if total >= limit:
            return limit
    return min(total, limit)


def signal_numbers(scenario: ir.ScenarioIR) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """(sigs, cands, frames) of the layout: the signals whose action a
    program sets, the signals that can be pending (those sent, SIGCHLD of
    every exit, SIGKILL of a group exit), and how deep handlers can nest
    (each runs with its signal blocked, so once per signal; SA_NODEFER lets
    one interrupt itself, which the bound covers twice; deeper is `lost`)."""
    sigs: set[int] = set()
    cands = {SIGCHLD, SIGKILL}
    nodefer = False
    for p in scenario.programs:
        for instr in p.code:
            if not isinstance(instr, ir.Syscall) or instr.name not in SIGNAL_ARG:
                continue
            signo = static_value(instr.args[SIGNAL_ARG[instr.name]])
            if instr.name in ("signal", "sigaction"):
                standard = signo is not None and 1 <= signo <= NSIG_STANDARD
                if standard and signo and not sigmask(signo) & SIG_KERNEL_ONLY_MASK:
                    sigs.add(signo)
                if instr.name == "sigaction":
                    nodefer |= bool((static_value(instr.args[2]) or 0) & SA_NODEFER)
            elif signo is not None and 1 <= signo <= NSIG_STANDARD:
                cands.add(signo)
    cands.update(exit_signals(scenario))  # sent to the parent at a child's exit
    caught = [p for p in scenario.programs if p.handlers]
    frames = len(sigs) + (2 if nodefer else 0) if caught else 0
    return tuple(sorted(sigs)), tuple(sorted(cands)), frames


def pc_local_counts(p: ir.ProgramIR) -> tuple[int, ...]:
    """How many locals the frame at each pc of the program has."""
    counts = [len(p.local_names)] * len(p.code)
    for pcs, h in zip(frame_pcs(p)[1:], p.handlers.values(), strict=True):
        for pc in pcs:
            counts[pc] = len(h.local_names)
    return tuple(counts)


def layout(scenario: ir.ScenarioIR, keep_zombie_values: bool) -> Layout:
    frame_status, status_mem = status_refs(scenario)
    status_locals = [frames[0] for frames in frame_status]
    pc_status = []
    for p, per_frame in zip(scenario.programs, frame_status, strict=True):
        where: list[frozenset[int]] = [frozenset()] * len(p.code)
        for pcs, slots in zip(frame_pcs(p), per_frame, strict=True):
            for pc in pcs:
                where[pc] = frozenset(slots)
        pc_status.append(tuple(where))
    n_locals = max(
        (
            len(names)
            for p in scenario.programs
            for names in (p.local_names, *(h.local_names for h in p.handlers.values()))
        ),
        default=0,
    )
    n_mem = max((len(p.var_names) for p in scenario.programs), default=0)
    any_local = set().union(*(x for frames in frame_status for x in frames))
    any_mem = set().union(*status_mem) if status_mem else set()
    sigs, cands, frames = signal_numbers(scenario) if uses_signals(scenario) else ((), (), 0)
    bound = task_bound(scenario)
    return Layout(
        slots=bound,
        locals=tuple(3 if k in any_local else 1 for k in range(n_locals)),
        mem=tuple(3 if k in any_mem else 1 for k in range(n_mem)),
        named=scenario.named,
        keep_zombie_values=keep_zombie_values,
        status_locals=tuple(frozenset(x) for x in status_locals),
        status_mem=tuple(frozenset(x) for x in status_mem),
        signals=uses_signals(scenario),
        sigs=sigs,
        cands=cands,
        frames=frames,
        pc_locals=tuple(pc_local_counts(p) for p in scenario.programs),
        pc_status=tuple(pc_status),
        handlers=tuple(tuple(p.handlers) for p in scenario.programs),
        suspends=tuple(_call_pcs(p, "sigsuspend") for p in scenario.programs),
        threads=uses_clone(scenario),
        joins=bound if uses_join(scenario) else 0,
        join_pcs=tuple(_call_pcs(p, "join") for p in scenario.programs),
        exit_sigs=exit_signals(scenario),
    )


def exit_signals(scenario: ir.ScenarioIR) -> tuple[int, ...]:
    """SIGCHLD, and the exit signals clone flags name (1..31)."""
    out = {SIGCHLD}
    for p in scenario.programs:
        for instr in p.code:
            if isinstance(instr, ir.Spawn) and instr.kind == "clone":
                _, exit_signal = legacy_split(static_value(instr.flags) or 0)
                if 1 <= exit_signal <= NSIG_STANDARD:
                    out.add(exit_signal)
    return tuple(sorted(out))


def uses_clone(scenario: ir.ScenarioIR) -> bool:
    """Whether a task can be created with clone flags of its own (a thread,
    a clone): then tasks have thread groups and exit signals."""
    return any(
        isinstance(instr, ir.Spawn) and instr.kind in ("clone", "thread")
        for p in scenario.programs
        for instr in p.code
    )


def _call_pcs(p: ir.ProgramIR, name: str) -> frozenset[int]:
    return frozenset(
        pc for pc, x in enumerate(p.code) if isinstance(x, ir.Syscall) and x.name == name
    )
