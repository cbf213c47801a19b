"""exit: zombies, re-parenting, notification and release (kernel/exit.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from checker.kernel import events as E
from checker.kernel.pids import eligible_pid
from checker.kernel.signals import SIG_IGN, action, chld_autoreap, send_signal
from checker.kernel.state import (
    INIT_PID,
    NO_MM,
    NO_SIGHAND,
    RUNNING,
    SLEEPING,
    ZOMBIE,
    Task,
    Tx,
    other_threads,
)
from checker.lang.constants import SA_NOCLDSTOP, SIGCHLD, WNOTHREAD

if TYPE_CHECKING:
    from checker.kernel.wait import WaitCall


class WaitSelection(Protocol):
    def __call__(self, tx: Tx, waiter: Task) -> WaitCall | None: ...


class ExitContext(Protocol):
    """What the exit rules need from the model besides the task table."""

    keep_zombie_values: bool
    signals: bool  # whether the scenario uses signals (else every SIGCHLD is dropped unseen)
    wait_selection: WaitSelection

    def snapshot(self, tx: Tx, task: Task) -> None: ...


def do_exit(tx: Tx, pid: int, status: int, ctx: ExitContext, ev: list[E.Event] | None) -> None:
    """exit_group of a single-threaded process (kernel/exit.c do_group_exit
    -> do_exit -> exit_notify), as one atomic step (SEMANTICS 7): re-parent
    the children, become a zombie, notify the parent, and release at once if
    the parent does not want to reap."""
    forget_original_parent(tx, pid, ctx, ev)
    t = tx.get(pid)
    assert t is not None
    ctx.snapshot(tx, t)  # PROG.X keeps the last values of the task that began as PROG
    # exit_signals, exit_mm, exit_files ... : nothing of the signal state is
    # visible once it is a zombie (a signal to it is dropped), so it goes back
    # to the Task defaults (no handler table) and equal zombies are equal states
    zombie = t._replace(
        **Task._field_defaults,
        state=ZOMBIE,
        xstatus=status,
        pc=-1,
        call=(),
        locals=t.program_locals(),
    )
    tx.mm_changed = True  # its handler table is gone
    if not ctx.keep_zombie_values:
        # exit_mm drops the address space; no property reads a zombie's values
        zombie = zombie._replace(locals=(), mm=NO_MM)
    # exit_notify: tsk->exit_state = EXIT_ZOMBIE
    tx.put(zombie)
    if ev is not None:
        ev.append(E.Exited(pid, status))
    # exit_notify: a group leader whose group is empty notifies its parent with
    # its exit signal; if do_notify_parent says so, it is released at once.
    if do_notify_parent(tx, zombie, zombie.exit_signal, ctx, ev):
        release_task(tx, pid)
        if ev is not None:
            ev.append(E.Released(pid))


def find_alive_thread(tx: Tx, task: Task, exiting: int = 0) -> Task | None:
    """kernel/exit.c find_alive_thread: the first thread of the task's group
    that is not exiting (PF_EXITING): the exiting task itself is skipped, and
    so is a zombie. Threads are taken in pid order, the model's stand-in for
    the thread list (see other_threads)."""
    for t in [task, *other_threads(tx.tasks, task)]:
        if t.pid != exiting and t.state != ZOMBIE:
            return t
    return None


def find_new_reaper(tx: Tx, father: Task) -> int:
    """kernel/exit.c find_new_reaper: a live thread of the same group; else
    the nearest ancestor marked child_subreaper that has a live thread; else
    the pid namespace's child_reaper (init). The kernel walks the ancestors
    only when the exiting process has `has_child_subreaper`, a flag fork
    copies to every descendant of a subreaper and prctl propagates to the
    existing ones, so walking always gives the same answer."""
    thread = find_alive_thread(tx, father, exiting=father.pid)
    if thread is not None:
        return thread.pid
    ancestor = tx.get(father.ppid)
    while ancestor is not None and ancestor.pid != INIT_PID:
        if ancestor.subreaper:
            alive = find_alive_thread(tx, ancestor)
            if alive is not None:
                return alive.pid
        ancestor = tx.get(ancestor.ppid)
    return INIT_PID


def forget_original_parent(tx: Tx, pid: int, ctx: ExitContext, ev: list[E.Event] | None) -> None:
    """kernel/exit.c forget_original_parent: every child of the exiting task
    gets the new reaper as its real parent; a child moved to another process
    gets exit signal SIGCHLD, and an inherited zombie is reported to its new
    parent at once (reparent_leader); the children are appended, in their
    order, to the reaper's children list (list_splice_tail_init)."""
    father = tx.get(pid)
    assert father is not None
    if not father.children:
        return
    reaper_pid = find_new_reaper(tx, father)
    reaper = tx.get(reaper_pid)
    assert reaper is not None
    threaded = reaper.tgid == father.tgid
    released: list[int] = []
    for cpid in father.children:
        child = tx.get(cpid)
        assert child is not None
        child = child._replace(ppid=reaper_pid)
        if not threaded:
            # reparent_leader: "We don't want people slaying init."
            child = child._replace(exit_signal=SIGCHLD)
        tx.put(child)
        if (
            not threaded
            and child.state == ZOMBIE
            and not other_threads(tx.tasks, child)
            and do_notify_parent(tx, child, child.exit_signal, ctx, ev)
        ):
            released.append(cpid)
    reaper = tx.get(reaper_pid)
    assert reaper is not None
    tx.put(reaper._replace(children=reaper.children + father.children))
    tx.put(father._replace(children=()))
    if ev is not None:
        ev.append(E.Reparented(father.children, reaper_pid))
    for cpid in released:
        release_task(tx, cpid)
        if ev is not None:
            ev.append(E.Released(cpid))


def do_notify_parent(
    tx: Tx, child: Task, sig: int, ctx: ExitContext, ev: list[E.Event] | None
) -> bool:
    """kernel/signal.c do_notify_parent: send the exit signal to the parent's
    thread group and wake its waiters; return True when the child is to be
    released at once (auto-reap).

    Auto-reap happens when the signal is SIGCHLD and the parent's SIGCHLD
    action is SIG_IGN (then no signal is sent) or has SA_NOCLDWAIT (then it
    is, and a handler runs). A child with another exit signal, or 0 (none),
    always becomes a zombie.
    """
    parent = tx.get(child.ppid)
    assert parent is not None, f"task {child.pid} has no parent"
    autoreap = False
    assert parent.sighand != NO_SIGHAND, "a parent is never a zombie: its children moved on"
    table = tx.sighands[parent.sighand]
    if sig == SIGCHLD and chld_autoreap(table):
        autoreap = True
        if action(table, SIGCHLD)[0] == SIG_IGN:
            sig = 0
    if 0 < sig <= 64:
        # in a scenario without signals, the SIGCHLD every exit sends is
        # dropped (SIG_DFL): not worth a line in every trace
        send_signal(tx, sig, parent.pid, True, ev if ctx.signals else None, sender=child.pid)
    parent = tx.get(child.ppid)
    assert parent is not None
    wake_up_parent(tx, child, parent, ctx, ev)
    return autoreap


def do_notify_parent_cldstop(
    tx: Tx, child: Task, ctx: ExitContext, ev: list[E.Event] | None
) -> None:
    """kernel/signal.c do_notify_parent_cldstop: the group leader tells its
    real parent it stopped or continued: SIGCHLD unless the parent's SIGCHLD
    action is SIG_IGN or has SA_NOCLDSTOP; its waiters are woken either way."""
    leader = tx.get(child.tgid)
    assert leader is not None
    parent = tx.get(leader.ppid)
    assert parent is not None
    handler, flags = action(tx.sighands[parent.sighand], SIGCHLD)
    if handler != SIG_IGN and not flags & SA_NOCLDSTOP:
        send_signal(tx, SIGCHLD, parent.pid, True, ev, sender=leader.pid)
    parent = tx.get(leader.ppid)
    assert parent is not None
    wake_up_parent(tx, leader, parent, ctx, ev)


def wake_up_parent(
    tx: Tx, child: Task, parent: Task, ctx: ExitContext, ev: list[E.Event] | None
) -> None:
    """kernel/exit.c __wake_up_parent: wake the tasks of the parent's thread
    group sleeping in wait whose selection matches the child
    (child_wait_callback -> pid_child_should_wake). Waking only makes them
    runnable: each rescans its children in a later step of its own."""
    woken = []
    for i, w in enumerate(tx.tasks):
        if w.tgid != parent.tgid or w.state != SLEEPING:
            continue
        call = ctx.wait_selection(tx, w)
        if call is None or not eligible_pid(call.upid, w.pgid, child):
            continue
        if call.options & WNOTHREAD and child.ppid != w.pid:
            continue
        tx.tasks[i] = w._replace(state=RUNNING)
        woken.append(w.pid)
    if woken and ev is not None:
        ev.append(E.Woke(tuple(woken)))


def release_task(tx: Tx, pid: int) -> Task:
    """kernel/exit.c release_task: unlink the task from its parent's children
    list and from the table; its pid number becomes free (free_pid)."""
    t = tx.remove(pid)
    parent = tx.get(t.ppid)
    if parent is not None:
        tx.put(parent._replace(children=tuple(c for c in parent.children if c != pid)))
    if t.mm != NO_MM:
        tx.mm_changed = True
    return t
