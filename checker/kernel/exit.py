"""exit: zombies, re-parenting, notification and release (kernel/exit.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from checker.kernel import events as E
from checker.kernel.pids import eligible_pid
from checker.kernel.signals import SIG_IGN, action, chld_autoreap, send_signal, start_group_exit
from checker.kernel.state import (
    DISK_SLEEP,
    GROUP_FIELDS,
    INIT_PID,
    NO_MM,
    NO_SIGHAND,
    RUNNING,
    SLEEPING,
    STATUS_MASK,
    ZOMBIE,
    Task,
    Tx,
    leader_of,
    live_threads,
    other_threads,
    thread_list,
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

    def thread_released(self, tx: Tx, task: Task, ev: list[E.Event] | None) -> None:
        """A thread of a group that lives on has ended: pthread_join may
        now return for it (CLONE_CHILD_CLEARTID's futex wake in mm_release)."""
        ...


def do_group_exit(
    tx: Tx, pid: int, status: int, ctx: ExitContext, ev: list[E.Event] | None
) -> None:
    """kernel/exit.c do_group_exit: the first thread to get here records the
    group's exit status and queues SIGKILL on every other live thread, waking
    it (zap_other_threads: signal_wake_up(t, 1) ends S, D and T sleeps); a
    later one dies with the recorded status. Then the caller's own do_exit.
    The other threads die in steps of their own."""
    t = tx.get(pid)
    assert t is not None
    leader = tx.get(t.tgid)
    assert leader is not None
    if leader.group_exit:
        status = leader.group_exit & STATUS_MASK
    elif any(x.pid != pid for x in live_threads(tx.tasks, t.tgid)):
        killed = start_group_exit(tx, t.tgid, status, caller=pid)
        if ev is not None:
            ev.append(E.GroupExit(tuple(x.pid for x in killed)))
    do_exit(tx, pid, status, ctx, ev)


def do_exit(tx: Tx, pid: int, status: int, ctx: ExitContext, ev: list[E.Event] | None) -> None:
    """The death of one task (kernel/exit.c do_exit -> exit_mm, exit_notify)
    as one atomic step (SEMANTICS 7): release a vfork parent, re-parent the
    children, then become a zombie and notify the parent, or (a thread) be
    released at once. A group leader whose threads live on stays a silent
    zombie (delay_group_leader) until the last of them is released."""
    t = tx.get(pid)
    assert t is not None
    others = [x for x in tx.tasks if x.tgid == t.tgid and x.pid != pid]
    # exit_mm -> mm_release: the vfork parent wakes; a thread's joiners too
    vfork_release(tx, t, ev)
    if others:
        ctx.thread_released(tx, t, ev)
    forget_original_parent(tx, pid, ctx, ev)
    t = tx.get(pid)
    assert t is not None
    ctx.snapshot(tx, t)  # PROG.X keeps the last values of the task that began as PROG
    if t.pid != t.tgid:
        # exit_notify: a non-leader thread (exit signal -1) never notifies
        # anybody and is released at once (autoreap); release_task then
        # notifies the leader's parent if the leader waits, a zombie, for
        # the group to empty
        release_task(tx, pid)
        if ev is not None:
            ev.append(E.ThreadEnded(pid, status))
        leader = tx.get(t.tgid)
        assert leader is not None
        if leader.state == ZOMBIE and not other_threads(tx.tasks, leader):
            _leader_done(tx, leader, status, ctx, ev)
        return
    if ev is not None:
        ev.append(E.Exited(pid, status))
    zombie = _zombie(t, status, ctx)
    if zombie.mm != NO_MM and any(x.mm == zombie.mm and x.pid != pid for x in tx.tasks):
        # exit_mm: a zombie whose values properties read keeps them as they
        # were, not the address space it shared (CLONE_VM) as it lives on
        zombie = zombie._replace(mm=tx.new_mm(tx.mems[zombie.mm]))
    if others:
        # delay_group_leader: the group's signal_struct lives on in the
        # leader's entry; no notification yet
        zombie = zombie._replace(**{f: getattr(t, f) for f in GROUP_FIELDS})
        tx.mm_changed = True
        tx.put(zombie)
        return
    tx.put(zombie)
    _leader_done(tx, zombie, status, ctx, ev)


def _zombie(t: Task, status: int, ctx: ExitContext) -> Task:
    """exit_signals, exit_mm, exit_files ... : nothing of the signal state
    is visible once it is a zombie (a signal to it is dropped), so it goes
    back to the Task defaults (no handler table) and equal zombies are equal
    states."""
    zombie = t._replace(
        **Task._field_defaults,
        state=ZOMBIE,
        xstatus=status,
        pc=-1,
        call=(),
        locals=t.program_locals(),
        parent_execed=t.parent_execed,
    )
    if not ctx.keep_zombie_values:
        # exit_mm drops the address space; no property reads a zombie's values
        return zombie._replace(locals=(), mm=NO_MM)
    return zombie


def _leader_done(
    tx: Tx, leader: Task, last: int, ctx: ExitContext, ev: list[E.Event] | None
) -> None:
    """The group is empty and its leader a zombie: its status is the group's
    (wait_task_zombie reads group_exit_code once SIGNAL_GROUP_EXIT is set),
    or, if none was recorded, `last`, the status of the last thread to exit
    (synchronize_group_exit records it; linux-reference E2.1, E9); notify
    its parent with its exit signal, and release it at once if
    do_notify_parent says so (exit_notify, or release_task for a delayed
    leader)."""
    status = leader.group_exit & STATUS_MASK if leader.group_exit else last
    zombie = leader._replace(xstatus=status, **{f: Task._field_defaults[f] for f in GROUP_FIELDS})
    tx.mm_changed = True  # its handler table is gone
    tx.put(zombie)
    if do_notify_parent(tx, zombie, zombie.exit_signal, ctx, ev):
        release_task(tx, zombie.pid)
        if ev is not None:
            ev.append(E.Released(zombie.pid))


def vfork_release(tx: Tx, child: Task, ev: list[E.Event] | None) -> None:
    """kernel/fork.c mm_release -> complete_vfork_done: the parent sleeping
    in wait_for_vfork_done for this child wakes (at its exit or exec)."""
    if not child.vfork_parent:
        return
    tx.put(child._replace(vfork_parent=0))
    parent = tx.get(child.vfork_parent)
    if parent is not None and parent.state == DISK_SLEEP:
        tx.put(parent._replace(state=RUNNING))
        if ev is not None:
            ev.append(E.VforkDone(parent.pid))


def find_alive_thread(tx: Tx, task: Task, exiting: int = 0) -> Task | None:
    """kernel/exit.c find_alive_thread: for_each_thread from the head of the
    group's thread list (its leader), the first thread that is not exiting
    (PF_EXITING): the exiting task itself is skipped, and so is a zombie."""
    for t in thread_list(tx.tasks, task.tgid):
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
        # is_child_subreaper lives in the signal_struct: the group's flag
        if leader_of(tx.tasks, ancestor).subreaper:
            alive = find_alive_thread(tx, ancestor)
            if alive is not None:
                return alive.pid
        ancestor = tx.get(ancestor.ppid)
    return INIT_PID


def forget_original_parent(
    tx: Tx, pid: int, ctx: ExitContext, ev: list[E.Event] | None, new_parent: int = 0
) -> None:
    """kernel/exit.c forget_original_parent: every child of the exiting task
    gets the new reaper as its real parent; a child moved to another process
    gets exit signal SIGCHLD, and an inherited zombie is reported to its new
    parent at once (reparent_leader); the children are appended, in their
    order, to the reaper's children list (list_splice_tail_init). `new_parent`
    names the new parent when the caller knows it (de_thread)."""
    father = tx.get(pid)
    assert father is not None
    if not father.children:
        return
    reaper_pid = new_parent or find_new_reaper(tx, father)
    reaper = tx.get(reaper_pid)
    assert reaper is not None
    threaded = reaper.tgid == father.tgid
    released: list[int] = []
    for cpid in father.children:
        # every thread of the child process gets the new real parent
        for k, x in enumerate(tx.tasks):
            if x.tgid == cpid:
                x = x._replace(ppid=reaper_pid)
                if not threaded:
                    # the new parent has its own exec count (parent_exec_id)
                    x = x._replace(parent_execed=False)
                tx.tasks[k] = x
        child = tx.get(cpid)
        assert child is not None
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
    if sig != SIGCHLD and child.parent_execed:
        # the parent has exec'd since it created the child (self_exec_id)
        sig = SIGCHLD
    if sig == SIGCHLD and chld_autoreap(table):
        autoreap = True
        if action(table, SIGCHLD)[0] == SIG_IGN:
            sig = 0
    if 0 < sig <= 64:
        # in a scenario without signals, the SIGCHLD every exit sends is
        # dropped (SIG_DFL): not worth a line in every trace
        sent: list[E.Event] | None = [] if ev is not None else None
        send_signal(tx, sig, parent.pid, True, sent, sender=child.pid)
        if ev is not None and sent is not None:
            if ctx.signals:
                ev += sent
            said = [e.result for e in sent if isinstance(e, E.SignalSent)]
            ev.append(E.ParentNotified(child.pid, parent.pid, sig, said[0] if said else "pending"))
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
