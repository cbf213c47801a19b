"""What a step did, for traces. The kernel rules append these only when a
trace is being rebuilt (never during exploration); checker/render turns them
into words."""

from __future__ import annotations

from typing import NamedTuple


class Chose(NamedTuple):
    """A `choose` branch was taken (1-based)."""

    branch: int
    line: int


class Assigned(NamedTuple):
    name: str
    value: object


class Tested(NamedTuple):
    result: bool


class Forked(NamedTuple):
    child: int


class Cloned(NamedTuple):
    """clone, vfork or thread: the new task and what it shares."""

    child: int
    what: str  # "thread" or "child"
    flags: int = 0  # the clone flags (without the exit signal)
    exit_signal: int = 0  # the child's, as copy_process set it (-1: a thread)


class VforkWaiting(NamedTuple):
    """The caller sleeps (D) until its vfork child execs or exits."""

    child: int


class VforkDone(NamedTuple):
    """mm_release completed the vfork: this parent wakes."""

    parent: int


class VforkReturned(NamedTuple):
    child: int
    killed: bool  # a fatal signal ended the wait (the child runs on)


class GroupExit(NamedTuple):
    """exit_group (or a fatal signal taken): SIGKILL queued on these threads."""

    threads: tuple[int, ...]


class Execed(NamedTuple):
    program: str
    killed: tuple[int, ...]  # the other threads de_thread ended
    old_tid: int  # a non-leader that took over the leader's pid, else 0


class ExecFailed(NamedTuple):
    errno: int


class Joined(NamedTuple):
    thread: int


class ForkFailed(NamedTuple):
    errno: int
    reason: str


class Exited(NamedTuple):
    pid: int
    status: int


class ThreadEnded(NamedTuple):
    """A thread that is not its group's leader ended: released at once."""

    pid: int
    status: int


class ParentNotified(NamedTuple):
    """do_notify_parent sent the exit signal `sig` of `child` to `parent`
    (for pictures: a text trace shows the signal only where signals matter)."""

    child: int
    parent: int
    sig: int
    result: str  # what became of it, as SignalSent.result says


class Reparented(NamedTuple):
    children: tuple[int, ...]
    reaper: int


class Woke(NamedTuple):
    pids: tuple[int, ...]


class Released(NamedTuple):
    """A zombie released without a wait (its parent ignores SIGCHLD)."""

    pid: int


class Reaped(NamedTuple):
    child: int
    status: int


class WaitNothing(NamedTuple):
    """WNOHANG: eligible children exist, none to report: returns 0."""


class Failed(NamedTuple):
    """A call returned -1 with this errno."""

    errno: int
    reason: str


class Slept(NamedTuple):
    waiting_for: tuple[int, ...]


class SubreaperSet(NamedTuple):
    pass


class AssertFailed(NamedTuple):
    message: str


class SignalSent(NamedTuple):
    """A signal generated for a process (or a thread): what became of it."""

    sig: int
    pid: int
    result: str  # "pending", "dropped: ignored", "lost: one is already pending", ...
    sender: int  # 0: sent by the stepping task's call; else the child whose exit or stop sent it


class Continued(NamedTuple):
    """SIGCONT woke these stopped threads."""

    pids: tuple[int, ...]


class Stopped(NamedTuple):
    pids: tuple[int, ...]
    sig: int


class SignalTaken(NamedTuple):
    """get_signal dequeued a signal and acted on it."""

    sig: int
    action: str  # "ignored", "handler NAME", "stops", "kills", "CLD_CONTINUED"


class Interrupted(NamedTuple):
    """The call the task slept in was interrupted by the signal taken."""

    call: str
    restarted: bool  # SA_RESTART (or no handler ran): it runs again afterwards


class HandlerReturned(NamedTuple):
    sig: int
    blocked: int  # the mask restored


class MaskSet(NamedTuple):
    blocked: int


class ActionSet(NamedTuple):
    sig: int
    handler: str
    flags: int
    discarded: bool  # a pending instance was discarded (now ignored)


class KillRefused(NamedTuple):
    """faults { kill }: these processes refused the signal (EPERM)."""

    pids: tuple[int, ...]


class ChildReported(NamedTuple):
    """wait reported a stop or a continue (the child stays)."""

    child: int
    status: int


Event = (
    Chose
    | Assigned
    | Tested
    | Forked
    | Cloned
    | VforkWaiting
    | VforkDone
    | VforkReturned
    | GroupExit
    | Execed
    | ExecFailed
    | Joined
    | ForkFailed
    | Exited
    | ThreadEnded
    | ParentNotified
    | Reparented
    | Woke
    | Released
    | Reaped
    | WaitNothing
    | Failed
    | Slept
    | SubreaperSet
    | AssertFailed
    | SignalSent
    | Continued
    | Stopped
    | SignalTaken
    | Interrupted
    | HandlerReturned
    | MaskSet
    | ActionSet
    | ChildReported
    | KillRefused
)
