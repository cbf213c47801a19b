"""Pid numbers: their allocation (kernel/pid.c alloc_pid) and how a wait's
pid argument selects children by them (kernel/exit.c eligible_pid)."""

from __future__ import annotations

from collections.abc import Iterable

from checker.kernel.state import Task


def pids_in_use(tasks: Iterable[Task]) -> set[int]:
    """Numbers still attached to some task, zombies included: as its pid,
    tgid or process group (kernel/pid.c free_pid runs only when the last
    PIDTYPE link goes, from release_task -> __unhash_process)."""
    used: set[int] = set()
    for t in tasks:
        used.add(t.pid)
        used.add(t.tgid)
        used.add(t.pgid)
    return used


def alloc_pid(tasks: Iterable[Task], last_pid: int, pid_max: int) -> int | None:
    """The next free number after the last one handed out, below pid_max
    (kernel/pid.c alloc_pid -> idr_alloc_cyclic). Model choice: past
    pid_max - 1 it wraps to the lowest free number from 2 up, where Linux
    wraps to RESERVED_PIDS (300). None when every number is taken (alloc_pid
    turns the IDR's ENOSPC into EAGAIN)."""
    used = pids_in_use(tasks)
    for n in range(last_pid + 1, pid_max):
        if n not in used:
            return n
    for n in range(2, min(last_pid + 1, pid_max)):
        if n not in used:
            return n
    return None


def eligible_pid(upid: int, waiter_pgid: int, child: Task) -> bool:
    """kernel/exit.c eligible_pid, with the pid types kernel_wait4 gives its
    argument: -1 any child; > 0 that pid; 0 the waiter's process group (as it
    was at the call); < -1 process group -upid."""
    if upid == -1:
        return True
    if upid > 0:
        return child.pid == upid
    return child.pgid == (waiter_pgid if upid == 0 else -upid)
