"""The kernel state: an immutable, hashable task table.

A State is a tuple of Tasks sorted by pid, a tuple of address spaces (the
`var` values of each, indexed by Task.mm), the pid allocator's cursor, and
what properties need to name a task (`named`). Everything is a plain tuple,
so a state hashes and compares fast and can be stored in a set.

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

NO_MM = -1
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
    # these, not a new evaluation. () when not in such a call.
    call: tuple[int, ...]


class State(NamedTuple):
    tasks: tuple[Task, ...]  # sorted by pid
    mems: tuple[tuple[object, ...], ...]  # address spaces, in order of first use by tasks
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


def other_threads(tasks: Sequence[Task], task: Task) -> list[Task]:
    """The other tasks of `task`'s thread group, in pid order (the model's
    stand-in for the thread list order, which is creation order)."""
    return [t for t in tasks if t.tgid == task.tgid and t.pid != task.pid]


class Tx:
    """A mutable copy of a State for one multi-task step."""

    __slots__ = ("last_pid", "mems", "mm_changed", "named", "tasks")

    def __init__(self, s: State):
        self.tasks: list[Task] = list(s.tasks)
        self.mems: list[tuple[object, ...]] = list(s.mems)
        self.last_pid = s.last_pid
        self.named: list[object] = list(s.named)
        self.mm_changed = False

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

    def freeze(self) -> State:
        tasks = self.tasks
        mems = self.mems
        if self.mm_changed:
            tasks, mems = _canonical_mms(tasks, mems)
        return State(tuple(tasks), tuple(mems), self.last_pid, tuple(self.named))


def _canonical_mms(
    tasks: list[Task], mems: list[tuple[object, ...]]
) -> tuple[list[Task], list[tuple[object, ...]]]:
    """Renumber address spaces in order of first use by the tasks (in pid
    order) and drop the unused ones, so equal configurations are equal states."""
    order: dict[int, int] = {}
    for t in tasks:
        if t.mm != NO_MM and t.mm not in order:
            order[t.mm] = len(order)
    new_tasks = [
        t if t.mm == NO_MM or order[t.mm] == t.mm else t._replace(mm=order[t.mm]) for t in tasks
    ]
    new_mems = [mems[old] for old in sorted(order, key=order.__getitem__)]
    return new_tasks, new_mems


def new_task(
    pid: int,
    ppid: int,
    pgid: int,
    prog: int,
    pc: int,
    locals_: tuple[object, ...],
    mm: int,
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
    )
