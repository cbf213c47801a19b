"""The step function: a State and one task's next instruction -> successor States.

`Kernel(scenario)` gives the three things an engine needs (stateright's
model interface): `initial()`, `successors(state)` and, for traces,
`explain(state, target)`, which replays one step with events recorded. The
rules themselves live in fork.py, exit.py and wait.py; this module runs the
instruction IR and calls them.

One step is one task taking one visible instruction (SEMANTICS.md section 7).
Silent instructions (jumps, `choose`, `repeat` counting) are folded into the
step of the next visible one: after every step a task's pc is settled onto a
visible instruction or a `choose`, and a `choose` is expanded when the task
is scheduled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from checker.kernel import events as E
from checker.kernel import signals as sig
from checker.kernel.clone_flags import legacy_split, violations
from checker.kernel.exec import Image, begin_new_exec
from checker.kernel.exit import (
    ExitContext,
    do_exit,
    do_group_exit,
    do_notify_parent_cldstop,
)
from checker.kernel.fork import (
    CLONE_NEWPID,
    CLONE_PARENT,
    CLONE_THREAD,
    CLONE_VFORK,
    THREAD_FLAGS,
    VFORK_FLAGS,
    CloneArgs,
    copy_process,
)
from checker.kernel.state import (
    CONT_NOTIFY,
    DEFAULT_INIT,
    DISK_SLEEP,
    INIT_PID,
    NO_MM,
    RUNNING,
    SLEEPING,
    ZOMBIE,
    Frame,
    State,
    Task,
    Tx,
    exited_status,
    get,
    image_name,
    leader_of,
    live_threads,
    new_task,
    other_threads,
    ppid_of,
)
from checker.kernel.wait import (
    ANY_CHILD,
    ERROR,
    FAILED,
    NOTHING,
    NOTHING_YET,
    REAPED,
    REPORTED,
    SLEEP,
    WaitCall,
    do_wait,
    status_record,
)
from checker.lang import ir
from checker.lang.constants import (
    EAGAIN,
    EDEADLK,
    EINTR,
    EINVAL,
    ENOENT,
    EPERM,
    ESRCH,
    INT_MIN,
    NSIG,
    NSIG_STANDARD,
    SA_RESTART,
    SIGCHLD,
    WALL,
    c_int,
)
from checker.lang.pyexpr import EvalError, compile_program_expr


class Failure(NamedTuple):
    """A step that violates a property and ends its path (a failed assert,
    an arithmetic error, a user init that ends)."""

    property: str
    message: str
    pid: int


class Pruned(NamedTuple):
    """`assume` was false (or `any` had an empty range): the path is cut."""

    pid: int


ANY_LIMIT = 100_000  # values one `any` may take in the explicit explorer


class Incomplete(Exception):
    """The search met something the explicit explorer does not enumerate or
    the model leaves out: it stops, and the verdict is incomplete."""


class TooManyValues(Incomplete):
    """An `any(LO..HI)` with more values than the explicit explorer enumerates."""

    def __init__(self, text: str, count: int):
        super().__init__(
            f"`{text}` has {count:,} values (the explicit explorer enumerates "
            f"at most {ANY_LIMIT:,})"
        )
        self.text = text
        self.count = count


class NotModelled(Incomplete):
    """A step that needs something the model leaves out (SEMANTICS 8)."""

    def __init__(self, text: str, what: str):
        super().__init__(f"`{text}`: {what}")


class RealTimeSignal(Incomplete):
    """A computed signal number in 32..64: real-time signals are not modelled
    (SEMANTICS 6.2)."""

    def __init__(self, text: str, number: int):
        super().__init__(f"`{text}` uses signal {number}: real-time signals are not modelled")


# Task.call[0]: where in a call the task is (the rest of the tuple is the
# call's arguments, evaluated once at the call, as the kernel holds them).
IN_CALL = 0  # asleep in the call, or woken and not yet back in it: the call goes on first
# The call returned -ERESTARTSYS and get_signal is still at work (it
# discarded a signal, or stopped the task): a handler it now sets up makes
# the call fail with EINTR (or restart, with SA_RESTART); if none, the call
# runs again (arch_do_signal_or_restart).
RESTART = 1
# A handler with SA_RESTART returned: the call runs again with the same
# arguments; a signal taken before that is an ordinary one (rt_sigreturn
# cleared the restart, orig_ax = -1).
AGAIN = 2

SIGNAL_CALLS = frozenset(
    ("kill", "raise", "signal", "sigaction", "sigprocmask", "sigsuspend", "pause")
)
# Calls a signal handler may interrupt that go on after it (SEMANTICS 5.5,
# 6.7): wait and waitpid restart with SA_RESTART; join always does (glibc
# retries the futex wait).
RESTARTABLE = frozenset(("wait", "waitpid", "join"))


class ModelError(Exception):
    """A mistake in the scenario that only exploration can find (reported
    like a static error, with the trace that found it)."""

    def __init__(self, message: str, state: State | None = None):
        super().__init__(message)
        self.message = message
        self.state = state
        self.path: list[State] = []  # the states leading to it, once the engine knows them


Successor = State | Failure | Pruned
Fn = Callable[..., Any]


class Step(NamedTuple):
    """One step as a trace shows it."""

    pid: int
    program: str
    instr: ir.Instr | None  # None for init's reaping
    events: tuple[E.Event, ...]
    target: Successor


def _set(values: tuple[object, ...], slot: int, value: object) -> tuple[object, ...]:
    return (*values[:slot], value, *values[slot + 1 :])


def _with_task(s: State, i: int, task: Task) -> State:
    """The state with task i replaced."""
    return State((*s.tasks[:i], task, *s.tasks[i + 1 :]), s.mems, s.sighands, s.last_pid, s.named)


def _stable_args(instr: ir.Instr) -> bool:
    """Whether a call's arguments read only constants and locals, which
    cannot change while the task sleeps (getppid() can, by re-parenting, and
    a `var` lives in memory another task may share)."""

    def stable(e: ir.Expr) -> bool:
        if isinstance(e, ir.SelfQuery):
            return e.func != "getppid"
        return isinstance(e, (ir.Const, ir.Local, ir.Errno, ir.Unary, ir.Binary, ir.StatusField))

    if not isinstance(instr, ir.Syscall):
        return True
    return all(stable(x) for a in instr.args if isinstance(a, ir.Expr) for x in ir.walk(a))


def uses_signals(scenario: ir.ScenarioIR) -> bool:
    """Whether a signal can ever be pending: some program sends one, installs
    a handler, blocks one, or creates a child whose exit signal is not
    SIGCHLD. Without these, every exit's SIGCHLD is dropped at once (SIG_DFL
    ignores it), and the model can skip the signal machinery."""
    for p in scenario.programs:
        for instr in p.code:
            if isinstance(instr, ir.Syscall) and instr.name in SIGNAL_CALLS:
                return True
            # a clone child may have another exit signal; a thread group
            # ends through SIGKILL queued on each thread (zap_other_threads)
            if isinstance(instr, ir.Spawn) and instr.kind in ("clone", "thread"):
                return True
    return False


def uses_join(scenario: ir.ScenarioIR) -> bool:
    return any(
        isinstance(instr, ir.Syscall) and instr.name == "join"
        for p in scenario.programs
        for instr in p.code
    )


def uses_task_values(scenario: ir.ScenarioIR) -> bool:
    """Whether some property reads `T.X`, so zombies must keep their values."""
    exprs = [p.expr for p in scenario.invariants + scenario.finals]
    exprs += [o.expr for o in scenario.observes]
    exprs += [e for x in scenario.expects for e in x.exprs]
    exprs += [e for live in scenario.liveness for e in (live.expr, live.then) if e is not None]
    return any(isinstance(x, ir.TaskVar) for e in exprs for x in ir.walk(e))


class Kernel(ExitContext):
    def __init__(self, scenario: ir.ScenarioIR):
        self.scenario = scenario
        self.programs = scenario.programs
        self.program_names = tuple(p.name for p in scenario.programs)
        settings = scenario.settings
        self.max_tasks = settings.max_tasks
        self.pid_max = settings.pid_max
        self.fault_fork = "fork" in scenario.faults
        self.fault_wait = "wait" in scenario.faults
        self.fault_kill = "kill" in scenario.faults
        self.fault_exec = "exec" in scenario.faults
        # pthread_join's bookkeeping (the threads that ended and were not
        # joined yet) lives in the address space, after the `var`s
        self.join = uses_join(scenario)
        self.signals = uses_signals(scenario)
        self.keep_zombie_values = uses_task_values(scenario)
        self.named_slot = {prog: i for i, prog in enumerate(scenario.named)}
        # the value `any` took in the steps of symbolic runs, by (state, pid):
        # only that one is enumerated there (the range may be huge)
        self.any_values: dict[tuple[State, int], int] = {}
        helpers = {"_getppid": lambda s, t: ppid_of(s.tasks, t)}
        # compiled[prog][pc]: the instruction's expressions as Python functions
        self.compiled: list[list[tuple[Fn, ...]]] = [
            [self._compile(instr, helpers) for instr in p.code] for p in self.programs
        ]
        # calls whose arguments read only constants and locals, which cannot
        # change while the task sleeps: the arguments need not be stored
        self.stable_args: list[list[bool]] = [
            [_stable_args(instr) for instr in p.code] for p in self.programs
        ]
        self.images = [self._new_image(k) for k in range(len(self.programs))]
        self._exec: dict[type, Callable[..., list[tuple[Successor, list[E.Event] | None]]]] = {
            ir.Assign: self._assign,
            ir.AnyAssign: self._any,
            ir.Branch: self._branch,
            ir.Assert: self._assert,
            ir.Assume: self._assume,
            ir.Skip: self._skip,
            ir.Spawn: self._spawn,
            ir.Exit: self._exit,
            ir.Exec: self._exec_image,
            ir.Syscall: self._syscall,
            ir.Return: self._return,
        }

    @staticmethod
    def _compile(instr: ir.Instr, helpers: dict[str, Any]) -> tuple[Fn, ...]:
        def c(e: ir.Expr) -> Fn:
            return compile_program_expr(e, helpers)

        if isinstance(instr, ir.Assign):
            return (c(instr.value),)
        if isinstance(instr, ir.AnyAssign):
            return (c(instr.lo), c(instr.hi))
        if isinstance(instr, (ir.Branch, ir.Assert, ir.Assume)):
            return (c(instr.cond),)
        if isinstance(instr, ir.Exit):
            return (c(instr.code),)
        if isinstance(instr, ir.Spawn) and instr.flags is not None:
            return (c(instr.flags),)
        if isinstance(instr, ir.Syscall):
            # integer arguments in order; a signal set's members in its place
            fns: list[Fn] = []
            for a in instr.args:
                if isinstance(a, ir.Expr):
                    fns.append(c(a))
                elif isinstance(a, tuple):
                    fns += [c(m) for m in a]
            return tuple(fns)
        return ()

    # ------------------------------------------------------------- initial
    def initial(self) -> State:
        """init is pid 1; the programs of `start` are its children, pids 2, 3, ...
        in order, each leading a process group of its own (SEMANTICS 8)."""
        tasks: list[Task] = []
        mems: list[tuple[object, ...]] = []
        named: list[object] = [None] * len(self.scenario.named)
        if self.scenario.init is None:
            # every action SIG_DFL: as pid 1 it is sent nothing (sig_task_ignored)
            init = new_task(INIT_PID, 0, INIT_PID, DEFAULT_INIT, 0, (), NO_MM, INIT_PID - 1)
            init = init._replace(state=SLEEPING)
        else:
            init = self._image_task(INIT_PID, 0, INIT_PID, self.scenario.init, mems, named)
        children = []
        pid = INIT_PID
        started = []
        for prog in self.scenario.start:
            pid += 1
            started.append(self._image_task(pid, INIT_PID, pid, prog, mems, named))
            children.append(pid)
        tasks.append(init._replace(children=tuple(children)))
        tasks.extend(started)
        sighands = tuple(() for _ in tasks)  # one table each, every action SIG_DFL
        tx = Tx(State(tuple(tasks), tuple(mems), sighands, pid, tuple(named)))
        tx.mm_changed = True
        return tx.freeze()

    def _image_task(
        self,
        pid: int,
        ppid: int,
        pgid: int,
        prog_index: int,
        mems: list[tuple[object, ...]],
        named: list[object],
    ) -> Task:
        image = self.image(prog_index)
        mems.append(image.mem)
        if image.ident >= 0:
            if named[image.ident] is not None:
                name = self.programs[prog_index].name
                raise ModelError(f"`{name}.X` is ambiguous: two tasks begin as `{name}`")
            named[image.ident] = pid
        return new_task(
            pid, ppid, pgid, prog_index, image.pc, image.locals, len(mems) - 1, pid - 1, image.ident
        )

    def image(self, prog_index: int) -> Image:
        """A program image as it starts (at time 0 or after exec): its
        `var`s at their initial values, no locals, at its first instruction.
        The same for every start: computed once per program."""
        return self.images[prog_index]

    def _new_image(self, prog_index: int) -> Image:
        prog = self.programs[prog_index]
        mem = tuple(prog.var_init) + (((),) if self.join else ())
        pc, locals_ = self.settle(prog, prog.entry, (None,) * len(prog.local_names))
        return Image(prog_index, mem, pc, locals_, self.named_slot.get(prog_index, -1))

    # ------------------------------------------------------------- silent code
    def settle(
        self, prog: ir.ProgramIR, pc: int, L: tuple[object, ...]
    ) -> tuple[int, tuple[object, ...]]:
        """Run the silent `repeat` counting up to the next visible instruction
        or `choose`. It always ends: lowering leaves no jump to a jump, and a
        silent cycle must pass a RepeatTest, whose counter only goes down."""
        code = prog.code
        while True:
            instr = code[pc]
            if isinstance(instr, ir.RepeatInit):
                L = _set(L, instr.counter, instr.count)
                pc = instr.next
            elif isinstance(instr, ir.RepeatTest):
                left = L[instr.counter]
                assert isinstance(left, int)
                if left > 0:
                    L = _set(L, instr.counter, left - 1)
                    pc = instr.body_pc
                else:
                    L = _set(L, instr.counter, None)
                    pc = instr.exit_pc
            else:
                assert not isinstance(instr, ir.Jump), "lowering resolves every jump"
                return pc, L

    def _expand(
        self, prog: ir.ProgramIR, pc: int, L: tuple[object, ...], path: tuple[E.Chose, ...] = ()
    ) -> list[tuple[int, tuple[object, ...], tuple[E.Chose, ...]]]:
        """The visible instructions a task at `pc` may take next: one, or one
        per `choose` branch (nested chooses multiply)."""
        pc, L = self.settle(prog, pc, L)
        instr = prog.code[pc]
        if type(instr) is not ir.Choose:
            return [(pc, L, path)]
        assert isinstance(instr, ir.Choose)
        out = []
        for k, target in enumerate(instr.targets):
            out += self._expand(prog, target, L, (*path, E.Chose(k + 1, instr.pos.line)))
        return out

    # ------------------------------------------------------------- successors
    def successors(self, s: State) -> list[Successor]:
        """Every successor of `s`, task by task in pid order (deterministic)."""
        out: list[Successor] = []
        for i, t in enumerate(s.tasks):
            out += [target for _, target, _ in self.task_steps(s, i, t, False)]
        return out

    def moves(self, s: State) -> list[tuple[int, Successor]]:
        """`successors`, each with the pid of the task that takes it (for
        fairness, which is per task)."""
        out: list[tuple[int, Successor]] = []
        for i, t in enumerate(s.tasks):
            out += [(t.pid, target) for _, target, _ in self.task_steps(s, i, t, False)]
        return out

    def steps(self, s: State) -> list[Step]:
        """Every successor of `s` with what the step did, for traces."""
        out = []
        for i, t in enumerate(s.tasks):
            name = image_name(t, self.program_names)
            for instr, target, ev in self.task_steps(s, i, t, True):
                out.append(Step(t.pid, name, instr, tuple(ev or ()), target))
        return out

    def task_steps(
        self, s: State, i: int, t: Task, record: bool
    ) -> list[tuple[ir.Instr | None, Successor, list[E.Event] | None]]:
        """The steps task i can take: (instruction, successor, events). A
        branch whose step is impossible (`assume` false, an empty `any`)
        gives a Pruned successor; `record` asks for the events."""
        if t.state != RUNNING:
            if t.prog == DEFAULT_INIT and self._init_can_reap(s, t):
                return [(None, target, ev) for target, ev in self._init_reap(s, t, record)]
            return []
        if self.signals:
            # get_signal on the way back to user space: before the next
            # statement (model choice, SEMANTICS 6.6), unless the task is
            # still inside a call, which goes on first (wait rescans)
            leader = leader_of(s.tasks, t)
            if leader.continued & CONT_NOTIFY:
                return [(None, target, ev) for target, ev in self._deliver(s, t, None, record)]
            if (not t.call or t.call[0] != IN_CALL) and sig.deliverable(t, leader):
                # inside get_signal after a restart code, the call is interrupted
                L = t.locals if t.call and t.call[0] == RESTART else None
                return [(None, target, ev) for target, ev in self._deliver(s, t, L, record)]
        prog = self.programs[t.prog]
        fns = self.compiled[t.prog]
        assert t.mm != NO_MM, "a task that runs has an address space"
        M = s.mems[t.mm]
        out: list[tuple[ir.Instr | None, Successor, list[E.Event] | None]] = []
        for pc, L, path in self._expand(prog, t.pc, t.locals):
            instr = prog.code[pc]
            try:
                results = self._exec[type(instr)](s, i, t, prog, pc, L, M, instr, fns[pc], record)
            except EvalError as err:
                failure = Failure("assertions", f"{instr.text}: {err}", t.pid)
                results = [(failure, [] if record else None)]
            if not results:
                results = [(Pruned(t.pid), [] if record else None)]
            for target, ev in results:
                out.append((instr, target, [*path, *(ev or [])] if record else None))
        return out

    def explain(self, s: State, target: Successor, pid: int | None = None) -> Step:
        """The step from `s` that gives `target` (taken by task `pid`, when
        given: several tasks' steps may give the same state)."""
        for step in self.steps(s):
            if step.target == target and (pid is None or step.pid == pid):
                return step
        raise AssertionError("no step leads to the given state")

    # ------------------------------------------------------------- helpers
    def _next(
        self,
        s: State,
        i: int,
        t: Task,
        prog: ir.ProgramIR,
        next_pc: int,
        L: tuple[object, ...],
        **changes: Any,
    ) -> State:
        """The state after task i moves on to `next_pc` (settled)."""
        pc, L = self.settle(prog, next_pc, L)
        return _with_task(s, i, t._replace(pc=pc, locals=L, **changes))

    def _store(
        self,
        s: State,
        i: int,
        t: Task,
        prog: ir.ProgramIR,
        next_pc: int,
        L: tuple[object, ...],
        ref: ir.Ref | None,
        value: object,
        **changes: Any,
    ) -> State:
        """Assign `value` to `ref` and move on."""
        if ref is None:
            return self._next(s, i, t, prog, next_pc, L, **changes)
        if ref.kind == ir.LOCAL:
            return self._next(s, i, t, prog, next_pc, _set(L, ref.slot, value), **changes)
        if ref.kind == ir.ERRNO:
            assert isinstance(value, int)
            changes["errno"] = value
            return self._next(s, i, t, prog, next_pc, L, **changes)
        mems = s.mems
        mem = _set(mems[t.mm], ref.slot, value)
        s = State(s.tasks, (*mems[: t.mm], mem, *mems[t.mm + 1 :]), s.sighands, s.last_pid, s.named)
        return self._next(s, i, t, prog, next_pc, L, **changes)

    def _store_tx(
        self, tx: Tx, t: Task, ref: ir.Ref | None, value: object, L: tuple[object, ...]
    ) -> tuple[Task, tuple[object, ...]]:
        if ref is None:
            return t, L
        if ref.kind == ir.LOCAL:
            return t, _set(L, ref.slot, value)
        if ref.kind == ir.ERRNO:
            assert isinstance(value, int)
            return t._replace(errno=value), L
        tx.mems[t.mm] = _set(tx.mems[t.mm], ref.slot, value)
        return t, L

    def _finish(
        self,
        tx: Tx,
        t: Task,
        prog: ir.ProgramIR,
        next_pc: int,
        L: tuple[object, ...],
        **changes: Any,
    ) -> State:
        """Move task t (as it is in tx) on to next_pc and freeze the state."""
        pc, L = self.settle(prog, next_pc, L)
        current = tx.get(t.pid)
        assert current is not None
        tx.put(current._replace(pc=pc, locals=L, **changes))
        return tx.freeze()

    # ------------------------------------------------------------- statements
    def _assign(self, s, i, t, prog, pc, L, M, instr, fns, record):
        value = fns[0](s, t, L, M)
        target = self._store(s, i, t, prog, instr.next, L, instr.target, value)
        return [(target, [E.Assigned(instr.target.name, value)] if record else None)]

    def _any(self, s, i, t, prog, pc, L, M, instr, fns, record):
        lo, hi = fns[0](s, t, L, M), fns[1](s, t, L, M)
        chosen = self.any_values.get((s, t.pid)) if self.any_values else None
        if chosen is not None:
            # a symbolic run's step: the value it chose, if in range
            values = [chosen] if lo <= chosen <= hi else []
            return [
                (
                    self._store(s, i, t, prog, instr.next, L, instr.target, v),
                    [E.Assigned(instr.target.name, v)] if record else None,
                )
                for v in values
            ]
        if hi - lo + 1 > ANY_LIMIT:
            raise TooManyValues(instr.text, hi - lo + 1)
        return [
            (
                self._store(s, i, t, prog, instr.next, L, instr.target, v),
                [E.Assigned(instr.target.name, v)] if record else None,
            )
            for v in range(lo, hi + 1)
        ]

    def _branch(self, s, i, t, prog, pc, L, M, instr, fns, record):
        cond = bool(fns[0](s, t, L, M))
        target = self._next(s, i, t, prog, instr.then_pc if cond else instr.else_pc, L)
        return [(target, [E.Tested(cond)] if record else None)]

    def _assert(self, s, i, t, prog, pc, L, M, instr, fns, record):
        if fns[0](s, t, L, M):
            return [(self._next(s, i, t, prog, instr.next, L), [] if record else None)]
        message = instr.message or f"{instr.text} failed"
        return [
            (Failure("assertions", message, t.pid), [E.AssertFailed(message)] if record else None)
        ]

    def _assume(self, s, i, t, prog, pc, L, M, instr, fns, record):
        if fns[0](s, t, L, M):
            return [(self._next(s, i, t, prog, instr.next, L), [] if record else None)]
        return []

    def _skip(self, s, i, t, prog, pc, L, M, instr, fns, record):
        return [(self._next(s, i, t, prog, instr.next, L), [] if record else None)]

    def _clone_args(self, instr, fns, s, t, L, M) -> CloneArgs | str:
        """The flags and exit signal of a fork, vfork, thread or clone, or
        why copy_process refuses them (EINVAL)."""
        if instr.kind == "fork":
            return CloneArgs(0, SIGCHLD)
        if instr.kind == "vfork":
            return CloneArgs(VFORK_FLAGS, SIGCHLD)
        if instr.kind == "thread":
            return CloneArgs(THREAD_FLAGS, 0)
        word = fns[0](s, t, L, M)
        # SIGNAL_UNKILLABLE is on init's signal_struct: its threads too
        broken = violations(word, caller_is_init=t.tgid == INIT_PID)
        if broken:
            return broken[0].message
        flags, exit_signal = legacy_split(word)
        if flags & CLONE_NEWPID:
            raise NotModelled(instr.text, "pid namespaces (CLONE_NEWPID) are not modelled")
        if not flags & (CLONE_THREAD | CLONE_PARENT) and NSIG_STANDARD < exit_signal <= NSIG:
            raise RealTimeSignal(instr.text, exit_signal)
        return CloneArgs(flags, exit_signal)

    def _spawn(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """fork, vfork, clone, thread: kernel/fork.c kernel_clone ->
        copy_process (fork.py), and for CLONE_VFORK the killable sleep in
        wait_for_vfork_done."""
        if t.call:
            return self._vfork_return(s, t, prog, L, instr, record)
        args = self._clone_args(instr, fns, s, t, L, M)
        if isinstance(args, str):
            return self._fail(s, t, prog, L, instr, EINVAL, args, record)
        out: list[tuple[Successor, list[E.Event] | None]] = []
        tx = Tx(s)
        child_pid = copy_process(tx, t, args, self.max_tasks, self.pid_max, instr.child_pc, L)
        if child_pid > 0:
            child = tx.get(child_pid)
            assert child is not None
            cL = child.locals
            if instr.cstyle:  # C-style fork returns 0 in the child
                child, cL = self._store_tx(tx, child, instr.target, 0, cL)
            cpc, cL = self.settle(prog, instr.child_pc, cL)
            tx.put(child._replace(pc=cpc, locals=cL))
            parent = tx.get(t.pid)
            assert parent is not None
            ev: list[E.Event] | None = None
            if record:
                if instr.kind == "fork":
                    ev = [E.Forked(child_pid)]
                else:
                    what = "thread" if args.flags & CLONE_THREAD else "child"
                    ev = [E.Cloned(child_pid, what, args.flags, child.exit_signal)]
            if args.flags & CLONE_VFORK:
                # wait_for_vfork_done: TASK_KILLABLE until the child's
                # mm_release; vfork returns the pid in a later step of its own
                tx.put(
                    parent._replace(state=DISK_SLEEP, pc=pc, locals=L, call=(IN_CALL, child_pid))
                )
                if ev is not None:
                    ev.append(E.VforkWaiting(child_pid))
                out.append((tx.freeze(), ev))
            else:
                parent, pL = self._store_tx(tx, parent, instr.target, child_pid, L)
                tx.put(parent)
                out.append((self._finish(tx, parent, prog, instr.next, pL), ev))
        if child_pid < 0 or self.fault_fork:
            if child_pid >= 0:
                reason = "fault injected"
            elif len(s.tasks) >= self.max_tasks:
                reason = "task table full (max_tasks)"
            else:
                reason = "no free pid below pid_max"
            tx = Tx(s)
            parent, pL = self._store_tx(tx, t, instr.target, -1, L)
            tx.put(parent)
            out.append(
                (
                    self._finish(tx, parent, prog, instr.next, pL, errno=EAGAIN),
                    [E.ForkFailed(EAGAIN, reason)] if record else None,
                )
            )
        return out

    def _vfork_return(self, s, t, prog, L, instr, record):
        """The vfork parent runs again: its child released it, or a fatal
        signal ended the wait (wait_for_vfork_done clears the child's
        vfork_done; the parent dies on its way back to user space, in the
        next step)."""
        child_pid = t.call[1]
        tx = Tx(s)
        child = tx.get(child_pid)
        killed = child is not None and child.vfork_parent == t.pid
        if child is not None and killed:
            tx.put(child._replace(vfork_parent=0))
        me = tx.get(t.pid)
        assert me is not None
        me, L2 = self._store_tx(tx, me, instr.target, child_pid, L)
        tx.put(me)
        ev = [E.VforkReturned(child_pid, killed)] if record else None
        return [(self._finish(tx, me, prog, instr.next, L2, call=()), ev)]

    def _exit(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """exit (exit_group) and exit_thread (the exit syscall). The end of a
        clone block whose flags are known only at run time ends the thread if
        the task is one (not its group's leader), else the process."""
        code = fns[0](s, t, L, M)
        thread = instr.thread if instr.thread is not None else t.pid != t.tgid
        status = exited_status(code)
        if t.tgid == INIT_PID and (
            not thread or not any(x.pid != t.pid for x in live_threads(s.tasks, t.tgid))
        ):
            # kernel/exit.c do_exit: the global init's group dying panics
            message = f"Attempted to kill init! exitcode={status:#010x}"
            return [
                (
                    Failure("assertions", message, t.pid),
                    [E.AssertFailed(message)] if record else None,
                )
            ]
        ev: list[E.Event] | None = [] if record else None
        tx = Tx(s)
        # remember the last statement's locals before the task stops running
        tx.put(t._replace(locals=L))
        if thread:
            do_exit(tx, t.pid, status, self, ev)
        else:
            do_group_exit(tx, t.pid, status, self, ev)
        return [(tx.freeze(), ev)]

    def _exec_image(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """execve (fs/exec.c): with `faults { exec }` it may fail (ENOENT,
        the caller goes on); else de_thread, a fresh image (exec.py)."""
        out: list[tuple[Successor, list[E.Event] | None]] = []
        image = self.image(instr.program)
        if image.ident >= 0 and s.named[image.ident] is not None:
            name = self.programs[instr.program].name
            raise ModelError(
                f"`{name}.X` is ambiguous: a second task begins as `{name}` "
                f"(`{instr.text}`, line {instr.pos.line})",
                s,
            )
        ev: list[E.Event] | None = [] if record else None
        tx = Tx(s)
        tx.put(t._replace(locals=L))  # the values PROG.X keeps of the image it leaves
        begin_new_exec(tx, t.pid, image, self.programs[instr.program].name, self, ev)
        out.append((tx.freeze(), ev))
        if self.fault_exec:
            target = self._next(s, i, t, prog, instr.next, L, errno=ENOENT)
            out.append((target, [E.ExecFailed(ENOENT)] if record else None))
        return out

    def _syscall(self, s, i, t, prog, pc, L, M, instr, fns, record):
        name = instr.name
        if name in ("wait", "waitpid"):
            # going on with a call it slept in, or restarting one: the
            # arguments it made
            call = WaitCall(*t.call[1:]) if t.call else self._wait_call(t.prog, pc, s, t, L, M)
            return self._wait(s, i, t, prog, pc, L, instr, call, record)
        if name == "set_subreaper":
            # kernel/sys.c prctl(PR_SET_CHILD_SUBREAPER, 1): is_child_subreaper,
            # in the signal_struct (the group leader's entry)
            tx = Tx(s)
            leader = leader_of(tx.tasks, t)
            tx.put(leader._replace(subreaper=True))
            me = tx.get(t.pid)
            assert me is not None
            me, L2 = self._store_tx(tx, me, instr.target, 0, L)
            tx.put(me)
            return [
                (self._finish(tx, me, prog, instr.next, L2), [E.SubreaperSet()] if record else None)
            ]
        if name == "join":
            return self._join(s, i, t, prog, pc, L, M, instr, fns, record)
        if name == "kill":
            return self._kill(s, t, prog, L, instr, fns[0](s, t, L, M), fns[1](s, t, L, M), record)
        if name == "raise":
            return self._raise(s, t, prog, L, instr, fns[0](s, t, L, M), record)
        if name in ("signal", "sigaction"):
            signo = fns[0](s, t, L, M)
            flags = fns[1](s, t, L, M) if name == "sigaction" else SA_RESTART
            return self._sigaction(s, i, t, prog, L, instr, signo, instr.args[1], flags, record)
        if name == "sigprocmask":
            how = fns[0](s, t, L, M)
            mask = self._sigset(instr, fns[1:], s, t, L, M)
            return self._sigprocmask(s, i, t, prog, L, instr, how, mask, record)
        if name in ("pause", "sigsuspend"):
            return self._pause(s, i, t, prog, pc, L, M, instr, fns, record)
        raise ModelError(f"`{name}` has no semantics in this version")

    # ------------------------------------------------------------- signals
    def _signo(self, instr: ir.Instr, value: int) -> int:
        """A signal number as the kernel takes it (C int); a real-time one
        stops the search (the model leaves them out)."""
        value = c_int(value)
        if NSIG_STANDARD < value <= NSIG:
            raise RealTimeSignal(instr.text, value)
        return value

    def _sigset(self, instr, fns, s, t, L, M) -> int:
        """A `{SIG, ...}` literal built with sigaddset: a number outside 1..64
        is refused by glibc's sigaddset (EINVAL) and left out of the set."""
        mask = 0
        for fn in fns:
            n = self._signo(instr, fn(s, t, L, M))
            if 1 <= n <= NSIG_STANDARD:
                mask |= sig.sigmask(n)
        return mask

    def _fail(self, s, t, prog, L, instr, errno, reason, record, result: object = -1):
        """The call returns -1 (or `result`) with errno set; nothing else changes."""
        i = s.tasks.index(t)
        target = self._store(
            s, i, t, prog, instr.next, L, instr.target, result, errno=errno, call=()
        )
        return [(target, [E.Failed(errno, reason)] if record else None)]

    def _kill(self, s, t, prog, L, instr, pid, signo, record):
        """kernel/signal.c kill_something_info (SEMANTICS 6.2)."""
        pid = c_int(pid)
        signo = self._signo(instr, signo)
        if pid == INT_MIN:
            return self._fail(s, t, prog, L, instr, ESRCH, "pid INT_MIN", record)
        if pid > 0:
            # kill_pid_info: the process containing the task with that id
            targets = [pid] if get(s.tasks, pid) is not None else []
        elif pid == -1:
            # every process with pid > 1 except the caller's own (for_each_process)
            targets = [x.pid for x in s.tasks if x.pid == x.tgid and x.pid > 1 and x.tgid != t.tgid]
        else:
            # __kill_pgrp_info: every process (group leader) of the process group
            pgid = t.pgid if pid == 0 else -pid
            targets = [x.pid for x in s.tasks if x.pid == x.tgid and x.pgid == pgid]
        if not targets:
            return self._fail(s, t, prog, L, instr, ESRCH, "no such process", record)
        if not 0 <= signo <= NSIG:
            # check_kill_permission -> valid_signal, for each target found
            # (so a kill with no target is ESRCH, whatever the number)
            return self._fail(s, t, prog, L, instr, EINVAL, "not a signal number", record)
        out = [self._send(s, t, prog, L, instr, signo, targets, True, 0, 0, (), record)]
        if self.fault_kill:
            # faults { kill }: every other process refuses (check_kill_permission
            # fails with EPERM); a signal to one's own process is always
            # permitted. A group kill succeeds if one send did; kill(-1)
            # ignores EPERM and returns 0.
            own = [x.pid for x in s.tasks if x.pid in targets and x.tgid == t.tgid]
            refused = tuple(x for x in targets if x not in own)
            if refused:
                ok = own or pid == -1
                out.append(
                    self._send(
                        s, t, prog, L, instr, signo, own, True,
                        0 if ok else -1, 0 if ok else EPERM, refused, record,
                    )
                )  # fmt: skip
        return out

    def _send(self, s, t, prog, L, instr, signo, targets, group, result, errno, refused, record):
        """The step of a call that sends `signo` (0: none) to each target and
        returns `result` (with `errno` if it is not 0)."""
        ev: list[E.Event] | None = [] if record else None
        tx = Tx(s)
        for target in targets if signo else []:
            sig.send_signal(tx, signo, target, group, ev)
        if refused and ev is not None:
            ev.append(E.KillRefused(refused))
        me = tx.get(t.pid)
        assert me is not None
        me, L2 = self._store_tx(tx, me, instr.target, result, L)
        if errno:
            me = me._replace(errno=errno)
            if ev is not None:
                ev.append(E.Failed(errno, "fault injected"))
        tx.put(me)
        return (self._finish(tx, me, prog, instr.next, L2), ev)

    def _raise(self, s, t, prog, L, instr, signo, record):
        """glibc raise: tgkill(getpid(), gettid(), sig): pending on this thread alone."""
        signo = self._signo(instr, signo)
        if not 0 <= signo <= NSIG:
            return self._fail(s, t, prog, L, instr, EINVAL, "not a signal number", record)
        return [self._send(s, t, prog, L, instr, signo, [t.pid], False, 0, 0, (), record)]

    def _sigaction(self, s, i, t, prog, L, instr, signo, handler, flags, record):
        """kernel/signal.c do_sigaction. `signal` is glibc's: sigaction with
        SA_RESTART. Returns 0 (the language's `signal` does not return the
        old handler)."""
        signo = self._signo(instr, signo)
        if not 1 <= signo <= NSIG or sig.sigmask(signo) & sig.SIG_KERNEL_ONLY_MASK:
            why = (
                "SIGKILL and SIGSTOP cannot be caught or ignored"
                if 1 <= signo <= NSIG
                else "not a signal number"
            )
            return self._fail(s, t, prog, L, instr, EINVAL, why, record)
        flags &= sig.SA_KNOWN
        tx = Tx(s)
        me = tx.tasks[i]
        table = sig.with_action(tx.sighands[me.sighand], signo, handler, flags)
        tx.sighands[me.sighand] = table
        discarded = False
        if sig.handler_ignored(handler, signo):
            # POSIX 3.3.1.3: a pending signal now ignored is discarded, blocked or not
            leader = leader_of(tx.tasks, me)
            discarded = sig.flush_everywhere(tx, leader, sig.sigmask(signo))
        me = tx.tasks[i]
        me, L2 = self._store_tx(tx, me, instr.target, 0, L)
        tx.put(me)
        ev = [E.ActionSet(signo, handler, flags, discarded)] if record else None
        return [(self._finish(tx, me, prog, instr.next, L2), ev)]

    def _sigprocmask(self, s, i, t, prog, L, instr, how, mask, record):
        """kernel/signal.c sigprocmask; SIGKILL and SIGSTOP are silently left out."""
        blocked = sig.procmask(how, t.blocked, mask)
        if blocked is None:
            return self._fail(
                s,
                t,
                prog,
                L,
                instr,
                EINVAL,
                "`how` is not SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK",
                record,
            )
        blocked = sig.set_blocked(blocked)
        target = self._store(s, i, t, prog, instr.next, L, instr.target, 0, blocked=blocked)
        return [(target, [E.MaskSet(blocked)] if record else None)]

    def _pause(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """pause() and sigsuspend(set): sleep until a signal is taken; they
        return -1 EINTR only after a handler ran (SEMANTICS 6.7)."""
        if t.call and t.call[0] == IN_CALL:
            # woken: `while (!signal_pending(current)) schedule();`
            if sig.deliverable(t, leader_of(s.tasks, t)):
                return self._deliver(s, t, L, record)
            asleep = _with_task(s, i, t._replace(state=SLEEPING, pc=pc, locals=L))
            return [(asleep, [E.Slept(())] if record else None)]
        ev: list[E.Event] | None = [] if record else None
        call: tuple[int, ...] = (IN_CALL,)
        blocked = t.blocked
        if instr.name == "sigsuspend":
            # saved_sigmask = blocked; set_current_blocked(set)
            call = (IN_CALL, t.blocked)
            blocked = sig.set_blocked(self._sigset(instr, fns, s, t, L, M))
            if ev is not None:
                ev.append(E.MaskSet(blocked))
        task = t._replace(pc=pc, locals=L, call=call, blocked=blocked)
        if sig.deliverable(task, leader_of(s.tasks, task)):
            # a signal the new mask lets through is already pending: no sleep
            return [(_with_task(s, i, task), ev)]
        if ev is not None:
            ev.append(E.Slept(()))
        return [(_with_task(s, i, task._replace(state=SLEEPING)), ev)]

    def _deliver(self, s: State, t: Task, L: tuple[object, ...] | None, record: bool):
        """Take one signal (kernel/signal.c get_signal): report a continue,
        discard it, stop, die, or enter its handler. With `L`, the task is
        inside a call (at its pc) that the signal interrupts: EINTR or a
        restart (SEMANTICS 5.5, 6.7)."""
        ev: list[E.Event] | None = [] if record else None
        tx = Tx(s)
        taken = sig.get_signal(tx, t.pid)
        me = tx.get(t.pid)
        assert me is not None
        prog = self.programs[me.prog]
        instr = prog.code[me.pc]
        # the call the signal interrupts, if any
        call = instr.name if L is not None and isinstance(instr, ir.Syscall) else ""
        if taken.kind == "notify":
            if ev is not None:
                ev.append(E.SignalTaken(0, "CLD_CONTINUED"))
            do_notify_parent_cldstop(tx, me, self, ev)
            return [(tx.freeze(), ev)]
        if taken.kind == "die":
            if ev is not None:
                # a thread killed by its group's exit (exit_group, a fatal
                # signal another thread took) dies with the group's status
                action = "kills" if taken.status == taken.sig else "group exit"
                ev.append(E.SignalTaken(taken.sig, action))
            if me.tgid == INIT_PID:
                message = f"Attempted to kill init! exitcode={taken.status:#010x}"
                return [(Failure("assertions", message, me.pid), ev)]
            if L is not None:
                tx.put(me._replace(locals=L))
            # get_signal -> do_group_exit(ksig->info.si_signo)
            do_group_exit(tx, me.pid, taken.status, self, ev)
            return [(tx.freeze(), ev)]
        # no handler: the call it was in goes on; an interrupted wait is
        # restarted (RESTART: get_signal may still set up a handler, which
        # then interrupts it); pause and sigsuspend keep waiting for one
        restart = me.call
        if call in RESTARTABLE:
            restart = (RESTART, *me.call[1:])
        if taken.kind == "ignore":
            if ev is not None:
                ev.append(E.SignalTaken(taken.sig, "ignored"))
            tx.put(me._replace(call=restart))
            return [(tx.freeze(), ev)]
        if taken.kind == "stop":
            stopped = sig.do_signal_stop(tx, me, taken.sig)
            if ev is not None:
                ev.append(E.SignalTaken(taken.sig, "stops"))
                ev.append(E.Stopped(tuple(stopped), taken.sig))
            me = tx.get(t.pid)
            assert me is not None
            tx.put(me._replace(call=restart))
            do_notify_parent_cldstop(tx, me, self, ev)
            return [(tx.freeze(), ev)]
        assert taken.kind == "handler"
        handler = prog.handlers[taken.handler]
        blocked = me.blocked
        if not call:
            frame = Frame(me.pc, me.locals, blocked, me.call, taken.sig, False)
        else:
            assert L is not None
            if call == "join" or (call in RESTARTABLE and taken.flags & SA_RESTART):
                frame = Frame(me.pc, L, blocked, (AGAIN, *me.call[1:]), taken.sig, False)
                if ev is not None:
                    ev.append(E.Interrupted(instr.text, True))
            else:
                # -ERESTARTSYS without SA_RESTART, or -ERESTARTNOHAND: the
                # call returns -1 EINTR when the handler is done; sigsuspend's
                # handler returns to the mask sigsuspend saved
                saved = me.call[1] if call == "sigsuspend" else blocked
                frame = Frame(me.pc, L, saved, (), taken.sig, True)
                if ev is not None:
                    ev.append(E.Interrupted(instr.text, False))
        if ev is not None:
            ev.insert(0, E.SignalTaken(taken.sig, f"handler {taken.handler}"))
        hpc, hL = self.settle(prog, handler.entry, (None,) * len(handler.local_names))
        tx.put(
            me._replace(
                pc=hpc,
                locals=hL,
                call=(),
                blocked=sig.handler_mask(blocked, taken.sig, taken.flags),
                frames=(*me.frames, frame),
            )
        )
        return [(tx.freeze(), ev)]

    def _return(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """Leaving a handler (rt_sigreturn): the interrupted context and the
        mask saved at entry come back; an interrupted call now returns -1
        with EINTR."""
        frame = t.frames[-1]
        task = t._replace(
            locals=frame.locals,
            blocked=sig.set_blocked(frame.blocked),
            call=frame.call,
            frames=t.frames[:-1],
        )
        ev: list[E.Event] | None = (
            [E.HandlerReturned(frame.signal, task.blocked)] if record else None
        )
        if not frame.eintr:
            return [(_with_task(s, i, task._replace(pc=frame.pc)), ev)]
        call = prog.code[frame.pc]
        assert isinstance(call, ir.Syscall)
        result: object = FAILED if call.name in ("wait", "waitpid") else -1
        after = self._store(
            s, i, task, prog, call.next, frame.locals, call.target, result, errno=EINTR
        )
        if ev is not None:
            ev.append(E.Failed(EINTR, f"`{call.text}` was interrupted"))
        return [(after, ev)]

    def _join(self, s, i, t, prog, pc, L, M, instr, fns, record):
        """pthread_join(T): 0 once thread T of the caller's group has ended
        (each thread once); sleeps (S) until then. glibc waits on the
        thread's tid word, which mm_release clears (CLONE_CHILD_CLEARTID), and
        retries the futex wait after a handler, so no signal interrupts it.
        ESRCH for a tid that is no thread of the group or was joined already,
        EDEADLK for the caller itself."""
        tid = t.call[1] if t.call else c_int(fns[0](s, t, L, M))
        if tid == t.pid:
            return self._fail(s, t, prog, L, instr, EDEADLK, "a thread cannot join itself", record)
        ended = s.mems[t.mm][-1]
        assert isinstance(ended, tuple)
        if tid in ended:
            tx = Tx(s)
            mem = tx.mems[t.mm]
            tx.mems[t.mm] = (*mem[:-1], tuple(x for x in ended if x != tid))
            me, L2 = self._store_tx(tx, t, instr.target, 0, L)
            tx.put(me)
            ev = [E.Joined(tid)] if record else None
            return [(self._finish(tx, me, prog, instr.next, L2, call=()), ev)]
        target = get(s.tasks, tid)
        if target is None or target.tgid != t.tgid or target.state == ZOMBIE:
            return self._fail(
                s,
                t,
                prog,
                L,
                instr,
                ESRCH,
                "no such thread in this process, or joined already",
                record,
            )
        if t.call and t.call[0] == IN_CALL and sig.deliverable(t, leader_of(s.tasks, t)):
            # woken by a signal: its handler runs, then the wait goes on
            return self._deliver(s, t, L, record)
        asleep = _with_task(s, i, t._replace(state=SLEEPING, pc=pc, locals=L, call=(IN_CALL, tid)))
        return [(asleep, [E.Slept((tid,))] if record else None)]

    def thread_released(self, tx: Tx, task: Task, ev: list[E.Event] | None) -> None:
        """mm_release of a thread whose group lives on: pthread_join may
        return for it (the tid word is cleared and its futex woken)."""
        if not self.join or task.mm == NO_MM:
            return
        mem = tx.mems[task.mm]
        ended = mem[-1]
        assert isinstance(ended, tuple)
        tx.mems[task.mm] = (*mem[:-1], (*ended, task.pid))
        woken = []
        for k, w in enumerate(tx.tasks):
            if w.state == SLEEPING and w.tgid == task.tgid and w.call[1:] == (task.pid,):
                instr = self.programs[w.prog].code[w.pc]
                if isinstance(instr, ir.Syscall) and instr.name == "join":
                    tx.tasks[k] = w._replace(state=RUNNING)
                    woken.append(w.pid)
        if woken and ev is not None:
            ev.append(E.Woke(tuple(woken)))

    def _wait_call(
        self, prog: int, pc: int, s: object, t: Task, L: tuple[object, ...], M: tuple[object, ...]
    ) -> WaitCall:
        """The arguments of the wait or waitpid at `pc`, evaluated."""
        instr = self.programs[prog].code[pc]
        assert isinstance(instr, ir.Syscall)
        if instr.name == "wait":
            return ANY_CHILD
        fns = self.compiled[prog][pc]
        return WaitCall.of(fns[0](s, t, L, M), fns[1](s, t, L, M))

    def _wait(self, s, i, t, prog, pc, L, instr, call, record):
        """wait4 (wait.py): reap, return 0 (WNOHANG), fail, or go to sleep."""
        tx = Tx(s)
        result = do_wait(tx, t, call.upid, call.options)
        if result.kind in (REAPED, REPORTED):
            if record:
                ev = [
                    E.Reaped(result.pid, result.status)
                    if result.kind == REAPED
                    else E.ChildReported(result.pid, result.status)
                ]
            else:
                ev = None
            me = tx.get(t.pid)  # its children list has lost the reaped child
            assert me is not None
            me, pL = self._store_tx(
                tx, me, instr.target, status_record(result.pid, result.status), L
            )
            tx.put(me)
            return [(self._finish(tx, me, prog, instr.next, pL, call=()), ev)]
        if result.kind == NOTHING:
            target = self._store(s, i, t, prog, instr.next, L, instr.target, NOTHING_YET, call=())
            return [(target, [E.WaitNothing()] if record else None)]
        if result.kind == ERROR:
            target = self._store(
                s,
                i,
                t,
                prog,
                instr.next,
                L,
                instr.target,
                FAILED,
                errno=result.errno,
                call=(),
            )
            return [(target, [E.Failed(result.errno, "")] if record else None)]
        assert result.kind == SLEEP
        in_call = self.signals and t.call and t.call[0] == IN_CALL
        if in_call and sig.deliverable(t, leader_of(s.tasks, t)):
            # do_wait: nothing to report and a signal pending -> -ERESTARTSYS
            return self._deliver(s, t, L, record)
        # do_wait: set_current_state(TASK_INTERRUPTIBLE); schedule(). The pc
        # stays on the wait (not on a `choose` that led to it), which runs
        # again after a wake-up.
        if self.signals or not self.stable_args[t.prog][pc]:
            stored: tuple[int, ...] = (IN_CALL, *call)
        else:
            stored = ()
        asleep = _with_task(s, i, t._replace(state=SLEEPING, pc=pc, locals=L, call=stored))
        slept: list[E.Event] | None = [E.Slept(result.eligible)] if record else None
        out: list[tuple[Successor, list[E.Event] | None]] = [(asleep, slept)]
        if self.fault_wait:
            # faults { wait }: a signal arrives instead, with nothing to report
            target = self._store(
                s, i, t, prog, instr.next, L, instr.target, FAILED, errno=EINTR, call=()
            )
            out.append((target, [E.Failed(EINTR, "fault injected")] if record else None))
        return out

    # ------------------------------------------------------------- init
    def _init_can_reap(self, s: State, init: Task) -> bool:
        """Whether the default init has a zombie child it can reap now: not a
        group leader whose threads live (delay_group_leader)."""
        return any(
            t.ppid == INIT_PID and t.state == ZOMBIE and not other_threads(s.tasks, t)
            for t in s.tasks
        )

    def _init_reap(
        self, s: State, init: Task, record: bool
    ) -> list[tuple[Successor, list[E.Event] | None]]:
        """The default init: `for (;;) waitpid(-1, &status, __WALL)`; it reaps
        whenever it has a zombie child and sleeps otherwise (its idle wait is
        not a step). Every child of init has exit signal SIGCHLD
        (reparent_leader), so __WALL changes nothing."""
        tx = Tx(s)
        result = do_wait(tx, init, -1, WALL)
        assert result.kind == REAPED
        return [(tx.freeze(), [E.Reaped(result.pid, result.status)] if record else None)]

    # ------------------------------------------------------------- ExitContext
    def wait_selection(self, tx: Tx, waiter: Task) -> WaitCall | None:
        """The arguments of the wait a sleeping task called: stored with the
        task, or (when they cannot have changed) evaluated again."""
        if waiter.prog == DEFAULT_INIT:
            return None
        instr = self.programs[waiter.prog].code[waiter.pc]
        if not isinstance(instr, ir.Syscall) or instr.name not in ("wait", "waitpid"):
            return None  # asleep in pause or sigsuspend: only a signal wakes it
        if waiter.call:
            return WaitCall(*waiter.call[1:])
        M = tx.mems[waiter.mm] if waiter.mm != NO_MM else ()
        return self._wait_call(waiter.prog, waiter.pc, tx, waiter, waiter.locals, M)

    def snapshot(self, tx: Tx, task: Task) -> None:
        if task.ident >= 0 and tx.named[task.ident] == task.pid:
            values = tx.mems[task.mm] if task.mm != NO_MM else ()
            tx.named[task.ident] = (task.program_locals(), values)
