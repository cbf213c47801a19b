"""fork: a new process (kernel/fork.c kernel_clone -> copy_process)."""

from __future__ import annotations

from checker.kernel.pids import alloc_pid
from checker.kernel.state import NO_MM, Task, Tx, new_task
from checker.lang.constants import EAGAIN


def copy_process(
    tx: Tx,
    parent: Task,
    max_tasks: int,
    pid_max: int,
    child_pc: int,
    child_locals: tuple[object, ...],
) -> int:
    """Create the child of a plain fork; return its pid, or -errno.

    The caller (the parent) must re-read itself from `tx` afterwards: its
    children list has grown.
    """
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
    # copy_mm without CLONE_VM: dup_mm, a copy-on-write copy of the address
    # space, so later writes on either side are invisible to the other.
    mm = tx.new_mm(tx.mems[parent.mm]) if parent.mm != NO_MM else NO_MM
    # dup_task_struct copies the caller; errno lives in the thread's memory (TLS)
    # and is copied with it. Without CLONE_PARENT/CLONE_THREAD the real parent
    # is the caller itself, the child leads a new thread group (tgid = pid) in
    # the caller's process group, and its exit signal is SIGCHLD.
    # copy_sighand without CLONE_SIGHAND: a copy of the handler table
    sighand = tx.new_sighand(tx.sighands[parent.sighand])
    child = new_task(pid, parent.pid, parent.pgid, parent.prog, child_pc, child_locals, mm, sighand)
    # the blocked mask is copied, the private pending set starts empty
    # (init_sigpending), and so does the new process's shared set
    # (copy_signal). A fork made inside a handler returns from it in the
    # child too: the handler frames are on the copied stack.
    child = child._replace(errno=parent.errno, blocked=parent.blocked, frames=parent.frames)
    tx.insert(child)
    # list_add_tail(&p->sibling, &p->real_parent->children): creation order,
    # which is the order wait scans (SEMANTICS 5.6).
    tx.put(parent._replace(children=(*parent.children, pid)))
    return pid
