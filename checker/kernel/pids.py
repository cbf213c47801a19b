"""Pid numbers (kernel/pid.c alloc_pid)."""

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
