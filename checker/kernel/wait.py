"""wait4/waitpid (kernel/exit.c kernel_wait4 -> do_wait -> __do_wait)."""

from __future__ import annotations

from typing import NamedTuple

from checker.kernel.exit import release_task
from checker.kernel.pids import eligible_pid
from checker.kernel.state import CONT_REPORT, ZOMBIE, Task, Tx, other_threads, thread_list
from checker.lang.constants import (
    ECHILD,
    EINVAL,
    ESRCH,
    INT_MIN,
    SIGCHLD,
    WALL,
    WCLONE,
    WCONTINUED,
    WNOHANG,
    WNOTHREAD,
    WUNTRACED,
    c_int,
)

REAPED, REPORTED, NOTHING, ERROR, SLEEP = "reaped", "reported", "nothing", "error", "sleep"
STATUS_CONTINUED = 0xFFFF  # include/uapi/linux/wait.h: __W_CONTINUED


class WaitCall(NamedTuple):
    """The arguments of one wait4 call, as the kernel holds them for the
    whole call (kernel_wait4 fixes wo_pid and wo_flags)."""

    upid: int
    options: int

    @classmethod
    def of(cls, pid: int, options: int) -> WaitCall:
        """wait4(pid_t upid, int *, int options): C's 32-bit int arguments."""
        return cls(c_int(pid), options & 0xFFFFFFFF)


ANY_CHILD = WaitCall(-1, 0)  # wait(): wait4(-1, &status, 0, NULL)


class WaitResult(NamedTuple):
    kind: str  # REAPED or REPORTED (pid, status), NOTHING (WNOHANG: 0), ERROR (errno), SLEEP
    pid: int = 0
    status: int = 0
    errno: int = 0
    eligible: tuple[int, ...] = ()  # what a sleeper waits for (for traces)


VALID_OPTIONS = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL


def do_wait(tx: Tx, waiter: Task, upid: int, options: int) -> WaitResult:
    """One scan of the caller's children, as one atomic step (SEMANTICS 5.5:
    the scan and the decision to sleep are one step). A reportable child is
    reaped here; the caller sleeps when nothing is reportable, WNOHANG is not
    given and some child may still report."""
    # kernel_wait4: unknown option bits -> EINVAL; -INT_MIN is not defined -> ESRCH
    if options & ~VALID_OPTIONS:
        return WaitResult(ERROR, errno=EINVAL)
    if upid == INT_MIN:
        return WaitResult(ERROR, errno=ESRCH)

    if upid < -1 or upid == 0:
        group = waiter.pgid if upid == 0 else -upid
        # __do_wait: a process group with no task attached -> ECHILD at once
        if not any(t.pgid == group for t in tx.tasks):
            return WaitResult(ERROR, errno=ECHILD)
    elif upid > 0 and tx.get(upid) is None:
        # __do_wait: no task has this pid -> ECHILD at once
        return WaitResult(ERROR, errno=ECHILD)

    eligible: list[int] = []
    for child in _scan(tx, waiter, upid, options, waiter.pgid):
        # wait_consider_task -> eligible_child: without __WALL, a child whose
        # exit signal is not SIGCHLD (a "clone child") is seen only with
        # __WCLONE, and the others only without it.
        if not options & WALL and (child.exit_signal != SIGCHLD) != bool(options & WCLONE):
            continue
        # a zombie that is not a group leader with live threads
        # (delay_group_leader) is reaped: wait_task_zombie -> release_task
        if child.state == ZOMBIE and not other_threads(tx.tasks, child):
            release_task(tx, child.pid)
            return WaitResult(REAPED, pid=child.pid, status=child.xstatus)
        # anything else counts as something to wait for (notask_error = 0)
        eligible.append(child.pid)
        # wait_task_stopped: with WUNTRACED, a completed group stop whose
        # group_exit_code is not reported yet; reporting clears it
        if options & WUNTRACED and child.stop_code:
            tx.put(child._replace(stop_code=0))
            return WaitResult(REPORTED, pid=child.pid, status=(child.stop_code << 8) | 0x7F)
        # wait_task_continued: with WCONTINUED, SIGNAL_STOP_CONTINUED; cleared
        if options & WCONTINUED and child.continued & CONT_REPORT:
            tx.put(child._replace(continued=child.continued & ~CONT_REPORT))
            return WaitResult(REPORTED, pid=child.pid, status=STATUS_CONTINUED)
    if not eligible:
        return WaitResult(ERROR, errno=ECHILD)
    if options & WNOHANG:
        return WaitResult(NOTHING, eligible=tuple(eligible))
    # do_wait: nothing to report -> -ERESTARTSYS -> schedule() (TASK_INTERRUPTIBLE)
    return WaitResult(SLEEP, eligible=tuple(eligible))


def _scan(tx: Tx, waiter: Task, upid: int, options: int, pgid: int) -> list[Task]:
    """The children wait considers, in the order it considers them."""
    if upid > 0:
        # do_wait_pid: the process with that tgid, if it is a child of the
        # caller or (without __WNOTHREAD) of a thread of the caller's group
        target = tx.get(upid)
        if target is None or target.tgid != upid:
            return []
        parent = tx.get(target.ppid)
        if target.ppid == waiter.pid or (
            not options & WNOTHREAD and parent is not None and parent.tgid == waiter.tgid
        ):
            return [target]
        return []
    # __do_wait: the caller's thread first, then (unless __WNOTHREAD)
    # while_each_thread: the threads after it in the thread list, wrapping
    # round to the leader; each one's children in list order
    if options & WNOTHREAD:
        threads = [waiter]
    else:
        group = thread_list(tx.tasks, waiter.tgid)
        k = [t.pid for t in group].index(waiter.pid)
        threads = group[k:] + group[:k]
    out = []
    for thread in threads:
        for cpid in thread.children:
            child = tx.get(cpid)
            if child is not None and eligible_pid(upid, pgid, child):
                out.append(child)
    return out


class Status(NamedTuple):
    """A status record, what wait returns to the program (the fields of
    builtins.STATUS_FIELDS, in that order)."""

    pid: int
    exited: bool
    code: int
    signaled: bool
    signal: int
    stopped: bool
    continued: bool


FAILED = Status(-1, False, 0, False, 0, False, False)  # W.pid == -1, errno set
NOTHING_YET = Status(0, False, 0, False, 0, False, False)  # WNOHANG, nothing to report


def status_record(pid: int, status: int) -> Status:
    """The status record of a reported child, its wait status decoded as the
    W* macros of <sys/wait.h> do."""
    low = status & 0x7F
    exited = low == 0
    stopped = (status & 0xFF) == 0x7F
    continued = status == 0xFFFF
    signaled = not exited and not stopped and not continued
    code = (status >> 8) & 0xFF if exited else 0
    signal = low if signaled else ((status >> 8) & 0xFF if stopped else 0)
    return Status(pid, exited, code, signaled, signal, stopped, continued)
