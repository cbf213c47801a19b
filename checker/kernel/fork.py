"""fork, vfork, clone: a new task (kernel/fork.c kernel_clone -> copy_process).

The flag checks that refuse a clone with EINVAL are in clone_flags.py; this
module creates the task once they have passed.
"""

from __future__ import annotations

from typing import NamedTuple

from checker.kernel.pids import alloc_pid
from checker.kernel.state import NO_MM, Task, Tx, leader_of, new_task
from checker.lang.constants import CLONE_FLAGS, EAGAIN

CLONE_VM = CLONE_FLAGS["CLONE_VM"]
CLONE_SIGHAND = CLONE_FLAGS["CLONE_SIGHAND"]
CLONE_THREAD = CLONE_FLAGS["CLONE_THREAD"]
CLONE_PARENT = CLONE_FLAGS["CLONE_PARENT"]
CLONE_VFORK = CLONE_FLAGS["CLONE_VFORK"]
CLONE_NEWPID = CLONE_FLAGS["CLONE_NEWPID"]

# What glibc's pthread_create passes (sysdeps/unix/sysv/linux/createthread.c),
# less the bits nothing in the model acts on
THREAD_FLAGS = (
    CLONE_VM
    | CLONE_FLAGS["CLONE_FS"]
    | CLONE_FLAGS["CLONE_FILES"]
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_FLAGS["CLONE_SYSVSEM"]
)
VFORK_FLAGS = CLONE_VM | CLONE_VFORK


class CloneArgs(NamedTuple):
    """kernel_clone_args: the flags (without the low byte) and the exit signal."""

    flags: int
    exit_signal: int


def copy_process(
    tx: Tx,
    caller: Task,
    args: CloneArgs,
    max_tasks: int,
    pid_max: int,
    child_pc: int,
    child_locals: tuple[object, ...],
) -> int:
    """Create the new task once the flags have passed their checks; return
    its pid, or -errno.

    The caller must re-read itself from `tx` afterwards: its children list
    may have grown.
    """
    flags = args.flags
    # copy_process: `nr_threads >= max_threads` fails with EAGAIN. Every task
    # counts, zombies included; root is exempt from RLIMIT_NPROC, so that
    # check never applies (SEMANTICS 1.4).
    if len(tx.tasks) >= max_tasks:
        return -EAGAIN
    # alloc_pid: no free number -> EAGAIN
    pid = alloc_pid(tx.tasks, tx.last_pid, pid_max)
    if pid is None:
        return -EAGAIN
    tx.last_pid = pid
    # copy_mm: CLONE_VM shares the address space; without it dup_mm makes a
    # copy-on-write copy, so later writes on either side are invisible to
    # the other.
    shared_mm = flags & CLONE_VM or caller.mm == NO_MM
    mm = caller.mm if shared_mm else tx.new_mm(tx.mems[caller.mm])
    # copy_sighand: CLONE_SIGHAND shares the handler table, else a copy
    if flags & CLONE_SIGHAND:
        sighand = caller.sighand
    else:
        sighand = tx.new_sighand(tx.sighands[caller.sighand])
    child = new_task(pid, caller.pid, caller.pgid, caller.prog, child_pc, child_locals, mm, sighand)
    # dup_task_struct copies the caller: its blocked mask, and errno, which
    # lives in the thread's memory (TLS; a new thread has its own, at 0). The
    # private pending set starts empty (init_sigpending), and so does a new
    # process's shared set (copy_signal). A fork made inside a handler
    # returns from it in the child too: the handler frames are on the copied
    # stack (a thread starts on a stack of its own).
    child = child._replace(errno=caller.errno, blocked=caller.blocked, frames=caller.frames)
    if flags & (CLONE_PARENT | CLONE_THREAD):
        # the caller's real parent is the new task's, with the caller's
        # parent_exec_id
        child = child._replace(ppid=caller.ppid, parent_execed=caller.parent_execed)
        if flags & CLONE_THREAD:
            # same thread group; exit signal -1: never notifies, never waited for
            child = child._replace(tgid=caller.tgid, exit_signal=-1, errno=0, frames=())
        else:
            # CLONE_PARENT: the exit signal of the caller's group leader
            child = child._replace(exit_signal=leader_of(tx.tasks, caller).exit_signal)
    else:
        child = child._replace(exit_signal=args.exit_signal)
    if flags & CLONE_VFORK:
        child = child._replace(vfork_parent=caller.pid)  # p->vfork_done = &vfork
    tx.insert(child)
    if child.tgid == pid:
        # list_add_tail(&p->sibling, &p->real_parent->children): creation
        # order, which is the order wait scans (SEMANTICS 5.6); a thread joins
        # its group's thread list instead
        parent = tx.get(child.ppid)
        assert parent is not None
        tx.put(parent._replace(children=(*parent.children, pid)))
    return pid
