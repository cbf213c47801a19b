"""The kernel state: an immutable, hashable task table.

A State is a tuple of Tasks sorted by pid, a tuple of address spaces (the
`var` values of each, indexed by Task.mm), a tuple of signal-handler tables
(indexed by Task.sighand), the pid allocator's cursor, and what properties
need to name a task (`named`). Everything is a plain tuple, so a state
hashes and compares fast and can be stored in a set.

Steps that touch one task replace one element of the task tuple; steps that
touch several (fork, exit, wait) go through `Tx`, a mutable working copy that
`freeze()` turns back into a canonical State.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from checker.lang.constants import SIGCHLD

# Task.state letters, as ps prints them (fs/proc/array.c task_state_array).
RUNNING = "R"  # TASK_RUNNING
SLEEPING = "S"  # TASK_INTERRUPTIBLE (wait4, pause, sigsuspend, join)
DISK_SLEEP = "D"  # TASK_KILLABLE (a vfork parent)
STOPPED = "T"  # __TASK_STOPPED
ZOMBIE = "Z"  # EXIT_ZOMBIE

NO_MM = -1  # Task.mm of a task that has no address space (a zombie, the default init)
NO_SIGHAND = -1  # Task.sighand of a task that has no handler table (a zombie)
DEFAULT_INIT = -1  # Task.prog of the built-in init (pid 1)
INIT_PID = 1  # the init of the (only) pid namespace: the last-resort reaper


class Task(NamedTuple):
    """One task_struct, reduced to what the model needs (include/linux/sched.h)."""

    pid: int
    tgid: int
    ppid: int  # real_parent's pid (a task, not a process)
    pgid: int  # process group (wait(0), wait(-pgid))
    state: str  # R S D T Z
    prog: int  # index of the program image it runs; DEFAULT_INIT for pid 1
    pc: int
    locals: tuple[object, ...]  # the frame's registers and stack
    mm: int  # address space: index into State.mems, NO_MM once released at exit
    xstatus: int  # wait status of a zombie: code << 8, or the signal number
    errno: int
    subreaper: bool  # signal->is_child_subreaper (prctl PR_SET_CHILD_SUBREAPER)
    children: tuple[int, ...]  # pids on its children list, in list order
    exit_signal: int  # sent to the parent at exit (SIGCHLD for fork)
    ident: int  # index into ScenarioIR.named of the program it began as, or -1
    # The arguments of the blocking call it sleeps in (or was woken from and
    # has not completed yet): Linux evaluates them once, at the call
    # (kernel_wait4 fixes wo_pid), so the wake filter and the rescan use
    # these, not a new evaluation. () when not in such a call (and, in a
    # scenario where no signal can interrupt a call, also while it sleeps in
    # a call whose arguments cannot change).
    call: tuple[int, ...]
    # parent_exec_id != real_parent->self_exec_id: its parent has exec'd
    # since it was created, so it notifies with SIGCHLD whatever its exit
    # signal (kernel/signal.c do_notify_parent; SEMANTICS 3.3)
    parent_execed: bool
    # Signals (kernel/signal.c). Sets are bit masks, bit sig-1 (sigmask()).
    # The defaults are the signal state of a task that has none any more (a
    # zombie: nothing reads it, so it is cleared and equal zombies are equal
    # states); a new task starts from them with a handler table of its own.
    blocked: int = 0  # task->blocked
    pending: int = 0  # task->pending: the thread's private set
    # signal->shared_pending and the thread group's signal_struct flags are
    # kept on the group leader's entry (for a thread, read its leader's):
    shared: int = 0  # signal->shared_pending
    group_exit: int = 0  # SIGNAL_GROUP_EXIT: the group_exit_code (a signal) it dies with
    stop_code: int = 0  # SIGNAL_STOP_STOPPED's group_exit_code not yet reported to WUNTRACED
    continued: int = 0  # CONT_REPORT | CONT_NOTIFY (SIGNAL_STOP_CONTINUED, SIGNAL_CLD_CONTINUED)
    sighand: int = -1  # handler table: index into State.sighands, NO_SIGHAND (-1) if none
    # The contexts interrupted by the signal handlers it is running,
    # outermost first (the frames on the user stack); () outside handlers.
    frames: tuple[Frame, ...] = ()
    # CLONE_VFORK: the pid of the parent sleeping until this task execs or
    # exits (the kernel's vfork_done completion), 0 if none
    vfork_parent: int = 0

    def program_locals(self) -> tuple[object, ...]:
        """The locals of the program's own frame, under any handler frames."""
        return self.frames[0].locals if self.frames else self.locals


class Frame(NamedTuple):
    """What a handler's `return` (sigreturn) restores: where the interrupted
    code resumes, its locals, the blocked mask saved at handler entry, and
    the call it restarts (SA_RESTART) or (). With `eintr`, the call at `pc`
    was interrupted: it returns -1 with errno EINTR once the handler is done
    (the result waits in the saved registers; glibc sets errno after
    rt_sigreturn)."""

    pc: int
    locals: tuple[object, ...]
    blocked: int
    call: tuple[int, ...]
    signal: int  # the signal whose handler runs above this frame (for traces)
    eintr: bool


# Task.group_exit: SIGNAL_GROUP_EXIT and the group_exit_code (a wait status)
GROUP_EXIT = 1 << 16
STATUS_MASK = 0xFFFF

# The signal_struct fields the model keeps on the group leader's entry (with
# `subreaper`, which a zombie keeps anyway); a leader that exits before its
# threads (delay_group_leader) keeps them while the group lives.
GROUP_FIELDS = ("shared", "group_exit", "stop_code", "continued")

# Task.continued bits
CONT_REPORT = 1  # SIGNAL_STOP_CONTINUED: WCONTINUED has something to report
CONT_NOTIFY = 2  # SIGNAL_CLD_CONTINUED: CLD_CONTINUED not yet sent to the parent

# One entry of a handler table: (signal, handler, sa_flags) where handler is
# "SIG_IGN", "SIG_DFL" or the name of a handler of the task's program. A
# table holds only the entries that differ from (SIG_DFL, no flags), in
# signal order.
Action = tuple[int, str, int]
Handlers = tuple[Action, ...]


class State(NamedTuple):
    tasks: tuple[Task, ...]  # sorted by pid
    mems: tuple[tuple[object, ...], ...]  # address spaces, in order of first use by tasks
    sighands: tuple[Handlers, ...]  # handler tables (sighand_struct), in order of first use
    last_pid: int  # alloc_pid's cursor (kernel/pid.c idr_alloc_cyclic)
    # One entry per program whose task a property names as PROG.X: None (not
    # begun yet), the pid of the task that began as PROG while it is in the
    # table, or its last (locals, vars) once it has been released.
    named: tuple[object, ...]


def find(tasks: Sequence[Task], pid: int) -> int:
    """Index of the task with this pid, or -1."""
    for i, t in enumerate(tasks):
        if t.pid == pid:
            return i
        if t.pid > pid:
            return -1
    return -1


def get(tasks: Sequence[Task], pid: int) -> Task | None:
    i = find(tasks, pid)
    return tasks[i] if i >= 0 else None


def leader_of(tasks: Sequence[Task], t: Task) -> Task:
    """The thread-group leader, whose entry holds the group's signal state."""
    if t.tgid == t.pid:
        return t
    leader = get(tasks, t.tgid)
    assert leader is not None, f"thread {t.pid} has no leader"
    return leader


def ppid_of(tasks: tuple[Task, ...], t: Task) -> int:
    """getppid(): the tgid of the real parent (kernel/sys.c getppid)."""
    if t.ppid == 0:
        return 0
    parent = get(tasks, t.ppid)
    return parent.tgid if parent is not None else t.ppid


def exited_status(code: int) -> int:
    """Wait status of a normal exit: kernel/exit.c SYSCALL_DEFINE1(exit_group)
    passes (error_code & 0xff) << 8 to do_group_exit."""
    return (code & 0xFF) << 8


def image_name(t: Task, programs: Sequence[str]) -> str:
    """The name of the program image a task runs (`init` for the default init)."""
    return "init" if t.prog == DEFAULT_INIT else programs[t.prog]


def live_threads(tasks: Sequence[Task], tgid: int) -> list[Task]:
    """The threads of a group that have not exited, in pid order."""
    return [t for t in tasks if t.tgid == tgid and t.state != ZOMBIE]


def thread_list(tasks: Sequence[Task], tgid: int) -> list[Task]:
    """The threads of a group in thread-list order: the leader first, then
    the others in pid order (the model's stand-in for creation order)."""
    group = [t for t in tasks if t.tgid == tgid]
    return sorted(group, key=lambda t: (t.pid != tgid, t.pid))


def other_threads(tasks: Sequence[Task], task: Task) -> list[Task]:
    """The other tasks of `task`'s thread group, in pid order (the model's
    stand-in for the thread list order, which is creation order)."""
    return [t for t in tasks if t.tgid == task.tgid and t.pid != task.pid]


class Tx:
    """A mutable copy of a State for one multi-task step."""

    __slots__ = ("last_pid", "mems", "mm_changed", "named", "sighands", "tasks")

    def __init__(self, s: State):
        self.tasks: list[Task] = list(s.tasks)
        self.mems: list[tuple[object, ...]] = list(s.mems)
        self.sighands: list[Handlers] = list(s.sighands)
        self.last_pid = s.last_pid
        self.named: list[object] = list(s.named)
        self.mm_changed = False  # an address space or handler table was added or dropped

    def index(self, pid: int) -> int:
        """Position of the task with this pid, or -1."""
        return find(self.tasks, pid)

    def get(self, pid: int) -> Task | None:
        i = self.index(pid)
        return self.tasks[i] if i >= 0 else None

    def put(self, task: Task) -> None:
        """Replace the task with the same pid."""
        self.tasks[self.index(task.pid)] = task

    def insert(self, task: Task) -> None:
        """Add a new task, keeping pid order."""
        i = 0
        while i < len(self.tasks) and self.tasks[i].pid < task.pid:
            i += 1
        self.tasks.insert(i, task)

    def remove(self, pid: int) -> Task:
        return self.tasks.pop(self.index(pid))

    def new_mm(self, values: tuple[object, ...]) -> int:
        self.mems.append(values)
        self.mm_changed = True
        return len(self.mems) - 1

    def new_sighand(self, table: Handlers) -> int:
        self.sighands.append(table)
        self.mm_changed = True
        return len(self.sighands) - 1

    def freeze(self) -> State:
        tasks = self.tasks
        mems = self.mems
        sighands = self.sighands
        if self.mm_changed:
            tasks, mems, sighands = _canonical_tables(tasks, mems, sighands)
        return State(tuple(tasks), tuple(mems), tuple(sighands), self.last_pid, tuple(self.named))


def _canonical_tables(
    tasks: list[Task], mems: list[tuple[object, ...]], sighands: list[Handlers]
) -> tuple[list[Task], list[tuple[object, ...]], list[Handlers]]:
    """Renumber address spaces and handler tables in order of first use by
    the tasks (in pid order) and drop the unused ones, so equal
    configurations are equal states."""
    mm_order: dict[int, int] = {}
    sh_order: dict[int, int] = {}
    new_tasks = []
    for t in tasks:
        mm, sh = t.mm, t.sighand
        if mm != NO_MM:
            mm = mm_order.setdefault(mm, len(mm_order))
        if sh != NO_SIGHAND:
            sh = sh_order.setdefault(sh, len(sh_order))
        new_tasks.append(t if mm == t.mm and sh == t.sighand else t._replace(mm=mm, sighand=sh))
    new_mems = [mems[old] for old in mm_order]
    new_sighands = [sighands[old] for old in sh_order]
    return new_tasks, new_mems, new_sighands


def new_task(
    pid: int,
    ppid: int,
    pgid: int,
    prog: int,
    pc: int,
    locals_: tuple[object, ...],
    mm: int,
    sighand: int,
    ident: int = -1,
) -> Task:
    return Task(
        pid=pid,
        tgid=pid,
        ppid=ppid,
        pgid=pgid,
        state=RUNNING,
        prog=prog,
        pc=pc,
        locals=locals_,
        mm=mm,
        xstatus=0,
        errno=0,
        subreaper=False,
        children=(),
        exit_signal=SIGCHLD,
        ident=ident,
        call=(),
        parent_execed=False,
        sighand=sighand,
    )
