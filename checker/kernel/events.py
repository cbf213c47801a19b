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


class ForkFailed(NamedTuple):
    errno: int
    reason: str


class Exited(NamedTuple):
    pid: int
    status: int


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


Event = (
    Chose
    | Assigned
    | Tested
    | Forked
    | ForkFailed
    | Exited
    | Reparented
    | Woke
    | Released
    | Reaped
    | WaitNothing
    | Failed
    | Slept
    | SubreaperSet
    | AssertFailed
)
