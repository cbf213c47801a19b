"""Signals: the handler table, generation, masks and what taking a signal
does (kernel/signal.c). The parts that run program code (entering a handler,
returning from one, interrupting a call) are in model.py; this module holds
the kernel's decisions.

Sets are bit masks with bit sig-1 for signal sig, as the kernel's sigmask().
Only the standard signals 1..31 exist here: real-time signals are left out
(SEMANTICS 8), and the model refuses them before they get this far.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from checker.kernel import events as E
from checker.kernel.state import (
    CONT_NOTIFY,
    CONT_REPORT,
    DISK_SLEEP,
    GROUP_EXIT,
    INIT_PID,
    RUNNING,
    SLEEPING,
    STATUS_MASK,
    STOPPED,
    ZOMBIE,
    Handlers,
    Task,
    Tx,
    live_threads,
)
from checker.lang.constants import (
    SA_NOCLDSTOP,
    SA_NOCLDWAIT,
    SA_NODEFER,
    SA_RESETHAND,
    SA_RESTART,
    SIG_BLOCK,
    SIG_SETMASK,
    SIG_UNBLOCK,
    SIGCHLD,
    SIGCONT,
    SIGKILL,
    SIGNALS,
)

SIG_DFL, SIG_IGN = "SIG_DFL", "SIG_IGN"


def sigmask(sig: int) -> int:
    return 1 << (sig - 1)


def _mask(*names: str) -> int:
    m = 0
    for n in names:
        m |= sigmask(SIGNALS[n])
    return m


def members(mask: int) -> list[int]:
    """The signals in a set, lowest first."""
    return [sig for sig in range(1, 32) if mask & sigmask(sig)]


# include/linux/signal.h: the default-action classes (signal(7), x86-64).
SIG_KERNEL_ONLY_MASK = _mask("SIGKILL", "SIGSTOP")
SIG_KERNEL_STOP_MASK = _mask("SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU")
SIG_KERNEL_COREDUMP_MASK = _mask(
    "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGFPE", "SIGSEGV", "SIGBUS", "SIGSYS",
    "SIGXCPU", "SIGXFSZ",
)  # fmt: skip
SIG_KERNEL_IGNORE_MASK = _mask("SIGCONT", "SIGCHLD", "SIGWINCH", "SIGURG")
# kernel/signal.c next_signal: these are dequeued before the others of a set
SYNCHRONOUS_MASK = _mask("SIGSEGV", "SIGBUS", "SIGILL", "SIGTRAP", "SIGFPE", "SIGSYS")
# sa_flags the model acts on; do_sigaction clears bits outside UAPI_SA_FLAGS,
# and the others (SA_SIGINFO, SA_ONSTACK, ...) change nothing the model shows
SA_KNOWN = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_RESTART | SA_NODEFER | SA_RESETHAND


def default_action(sig: int) -> str:
    """ "ignore", "stop", "core" or "terminate" (signal(7); sig_kernel_* masks)."""
    m = sigmask(sig)
    if m & SIG_KERNEL_IGNORE_MASK:
        return "ignore"
    if m & SIG_KERNEL_STOP_MASK:
        return "stop"
    if m & SIG_KERNEL_COREDUMP_MASK:
        return "core"
    return "terminate"


# ------------------------------------------------------------- the handler table


def action(table: Handlers, sig: int) -> tuple[str, int]:
    """The (handler, sa_flags) of a signal in a handler table."""
    for s, handler, flags in table:
        if s == sig:
            return handler, flags
        if s > sig:
            break
    return SIG_DFL, 0


def with_action(table: Handlers, sig: int, handler: str, flags: int) -> Handlers:
    """The table with sig's action replaced. Flags that change nothing for
    the action are dropped (the handler flags on SIG_DFL or SIG_IGN; with
    SIG_IGN on SIGCHLD there is neither notification nor zombie anyway), and
    so are entries equal to the default, so equal behaviours are equal states."""
    if handler in (SIG_DFL, SIG_IGN):
        flags = (
            flags & (SA_NOCLDSTOP | SA_NOCLDWAIT) if sig == SIGCHLD and handler == SIG_DFL else 0
        )
    rest = [a for a in table if a[0] != sig]
    if handler != SIG_DFL or flags:
        rest.append((sig, handler, flags))
        rest.sort()
    return tuple(rest)


def handler_ignored(handler: str, sig: int) -> bool:
    """kernel/signal.c sig_handler_ignored: SIG_IGN, or SIG_DFL with default ignore."""
    return handler == SIG_IGN or (
        handler == SIG_DFL and bool(sigmask(sig) & SIG_KERNEL_IGNORE_MASK)
    )


def sig_fatal(handler: str, sig: int) -> bool:
    """include/linux/signal.h sig_fatal: SIG_DFL and neither ignore nor stop class."""
    return handler == SIG_DFL and not sigmask(sig) & (SIG_KERNEL_IGNORE_MASK | SIG_KERNEL_STOP_MASK)


def chld_autoreap(table: Handlers) -> bool:
    """kernel/signal.c do_notify_parent: a parent whose SIGCHLD action is
    SIG_IGN or has SA_NOCLDWAIT does not want zombies."""
    handler, flags = action(table, SIGCHLD)
    return handler == SIG_IGN or bool(flags & SA_NOCLDWAIT)


def flush_everywhere(tx: Tx, leader: Task, mask: int) -> bool:
    """flush_sigqueue_mask on the group's shared set and every thread's
    private set; whether anything was pending there."""
    flushed = False
    for i, t in enumerate(tx.tasks):
        if t.tgid != leader.tgid or not (t.pending | t.shared) & mask:
            continue
        flushed = True
        tx.tasks[i] = t._replace(pending=t.pending & ~mask, shared=t.shared & ~mask)
    return flushed


def group_of(tx: Tx, t: Task) -> list[int]:
    """Positions in tx of the threads of t's group, in thread order."""
    return [i for i, x in enumerate(tx.tasks) if x.tgid == t.tgid]


# ------------------------------------------------------------- generation


def send_signal(
    tx: Tx, sig: int, pid: int, group: bool, ev: list[E.Event] | None, sender: int = 0
) -> None:
    """kernel/signal.c __send_signal_locked: `group` for a process-directed
    signal (kill, SIGCHLD to a parent: PIDTYPE_TGID) queued on the group's
    shared set, else thread-directed (tgkill, raise) on the thread's own."""
    t = tx.get(pid)
    assert t is not None
    leader = tx.get(t.tgid)
    assert leader is not None
    if leader.group_exit or all(tx.tasks[i].state == ZOMBIE for i in group_of(tx, t)):
        # prepare_signal: SIGNAL_GROUP_EXIT (a zombie or a dying process) drops it
        _said(ev, sig, pid, sender, "dropped: the process is exiting or a zombie")
        return
    _prepare_signal(tx, sig, t, leader, ev)
    t = tx.get(pid)
    assert t is not None
    # a leader that exited before its threads has no handler table of its
    # own any more: the group's is its threads'
    ignored = _sig_ignored(tx, t if t.state != ZOMBIE else live_threads(tx.tasks, t.tgid)[0], sig)
    if ignored:
        _said(ev, sig, pid, sender, f"dropped: {ignored}")
        return
    leader = tx.get(t.tgid)
    assert leader is not None
    m = sigmask(sig)
    if group:
        if leader.shared & m:  # legacy_queue: a standard signal coalesces
            _said(ev, sig, pid, sender, "lost: one is already pending")
            return
        tx.put(leader._replace(shared=leader.shared | m))
    else:
        if t.pending & m:
            _said(ev, sig, pid, sender, "lost: one is already pending")
            return
        tx.put(t._replace(pending=t.pending | m))
    t = tx.get(pid)
    assert t is not None
    _complete_signal(tx, sig, t, group, ev, sender)


def _said(ev: list[E.Event] | None, sig: int, pid: int, sender: int, what: str) -> None:
    if ev is not None:
        ev.append(E.SignalSent(sig, pid, what, sender))


def _prepare_signal(tx: Tx, sig: int, t: Task, leader: Task, ev: list[E.Event] | None) -> None:
    """kernel/signal.c prepare_signal: a stop signal flushes a pending
    SIGCONT; SIGCONT flushes pending stop signals, wakes the stopped threads
    and, if the group was stopped, leaves CLD_CONTINUED to report. Both act
    whatever the signal's action and mask."""
    m = sigmask(sig)
    if m & SIG_KERNEL_STOP_MASK:
        flush_everywhere(tx, leader, sigmask(SIGCONT))
    elif sig == SIGCONT:
        flush_everywhere(tx, leader, SIG_KERNEL_STOP_MASK)
        woken = []
        was_stopped = False
        for i in group_of(tx, t):
            x = tx.tasks[i]
            if x.state == STOPPED:  # wake_up_state(t, __TASK_STOPPED)
                was_stopped = True
                tx.tasks[i] = x._replace(state=RUNNING)
                woken.append(x.pid)
        if was_stopped:
            # SIGNAL_STOP_STOPPED -> SIGNAL_STOP_CONTINUED | SIGNAL_CLD_CONTINUED,
            # group_exit_code = 0
            now = tx.get(leader.pid)
            assert now is not None
            tx.put(now._replace(continued=CONT_REPORT | CONT_NOTIFY, stop_code=0))
        if woken and ev is not None:
            ev.append(E.Continued(tuple(woken)))


def _sig_ignored(tx: Tx, t: Task, sig: int) -> str:
    """kernel/signal.c sig_ignored -> sig_task_ignored: why the signal is
    dropped at once, or "" if it is not."""
    m = sigmask(sig)
    if t.blocked & m:  # the handler may change before it is unblocked
        return ""
    handler, _ = action(tx.sighands[t.sighand], sig)
    # is_global_init: never SIGKILL or SIGSTOP; SIGNAL_UNKILLABLE: no signal
    # it has left at SIG_DFL (every sender is in its namespace)
    if t.tgid == INIT_PID and (m & SIG_KERNEL_ONLY_MASK or handler == SIG_DFL):
        return "init takes only the signals it has a handler for"
    if handler == SIG_IGN:
        return "ignored (SIG_IGN)"
    if handler_ignored(handler, sig):
        return "ignored (SIG_DFL ignores it)"
    return ""


def _wants_signal(tx: Tx, sig: int, p: Task, queued: int = 0) -> bool:
    """kernel/signal.c wants_signal. `task_curr(p)` is taken as "p is
    runnable": model choice, the model has no CPUs (docs/model.md).
    `queued` is (private, shared) bit of the signal just queued for p, which
    TIF_SIGPENDING does not show yet: 1 private, 2 shared, 0 neither."""
    if p.blocked & sigmask(sig):
        return False
    if p.state == ZOMBIE:  # PF_EXITING
        return False
    if sig == SIGKILL:
        return True
    if p.state == STOPPED:
        return False
    leader = tx.get(p.tgid)
    assert leader is not None
    # TIF_SIGPENDING as it was before this signal was queued
    private = p.pending & ~sigmask(sig) if queued == 1 else p.pending
    shared = leader.shared & ~sigmask(sig) if queued == 2 else leader.shared
    return p.state == RUNNING or not (private | shared) & ~p.blocked


def _complete_signal(
    tx: Tx, sig: int, p: Task, group: bool, ev: list[E.Event] | None, sender: int
) -> None:
    """kernel/signal.c complete_signal: pick a thread to take the signal and
    wake it; a fatal signal marks the whole group for exit at once."""
    threads = group_of(tx, p)
    if _wants_signal(tx, sig, p, 2 if group else 1):
        chosen = p
    elif not group or len(threads) == 1:
        _said(ev, sig, p.pid, sender, "pending")
        return
    else:
        # the others, from curr_target round-robin; model choice: in thread
        # order after p
        k = [tx.tasks[i].pid for i in threads].index(p.pid)
        order = threads[k + 1 :] + threads[:k]
        found = [tx.tasks[i] for i in order if _wants_signal(tx, sig, tx.tasks[i], 2)]
        if not found:
            _said(ev, sig, p.pid, sender, "pending (every thread blocks it)")
            return
        chosen = found[0]
    leader = tx.get(p.tgid)
    assert leader is not None
    handler, _ = action(tx.sighands[chosen.sighand], sig)
    if (
        sig_fatal(handler, sig)
        and not leader.group_exit
        and not sigmask(sig) & SIG_KERNEL_COREDUMP_MASK
    ):
        # a group exit with group_exit_code = sig, every thread killed
        woken = [x.pid for x in start_group_exit(tx, p.tgid, sig) if x.state != RUNNING]
        _said(ev, sig, p.pid, sender, "fatal: the whole process will die")
        if woken and ev is not None:
            ev.append(E.Woke(tuple(woken)))
        return
    _said(ev, sig, p.pid, sender, "pending")
    signal_wake_up(tx, chosen.pid, sig == SIGKILL, ev)


def start_group_exit(tx: Tx, tgid: int, status: int, caller: int = 0) -> list[Task]:
    """SIGNAL_GROUP_EXIT with group_exit_code = status, then
    zap_other_threads: SIGKILL queued on every live thread but the caller,
    each woken (signal_wake_up(t, 1) also ends killable and stopped sleeps).
    Used by complete_signal's fatal short-cut (caller 0: every thread) and
    by kernel/exit.c do_group_exit. Returns the threads killed, as they were."""
    leader = tx.get(tgid)
    assert leader is not None
    tx.put(leader._replace(group_exit=GROUP_EXIT | status, stop_code=0, continued=0))
    killed = []
    for i in group_of(tx, leader):
        x = tx.tasks[i]
        if x.state == ZOMBIE or x.pid == caller:
            continue
        killed.append(x)
        tx.tasks[i] = x._replace(pending=x.pending | sigmask(SIGKILL), state=RUNNING)
    return killed


def signal_wake_up(tx: Tx, pid: int, fatal: bool, ev: list[E.Event] | None) -> None:
    """kernel/signal.c signal_wake_up_state: an interruptible sleeper wakes;
    with `fatal`, killable (D) and stopped (T) ones too."""
    t = tx.get(pid)
    assert t is not None
    if t.state == SLEEPING or (fatal and t.state in (DISK_SLEEP, STOPPED)):
        tx.put(t._replace(state=RUNNING))
        if ev is not None:
            ev.append(E.Woke((pid,)))


# ------------------------------------------------------------- taking a signal


class Taken(NamedTuple):
    """What get_signal decided for one dequeued signal."""

    kind: str  # "ignore", "handler", "stop", "die", "notify"
    sig: int
    handler: str = ""
    flags: int = 0
    status: int = 0  # "die": the wait status it dies with (the group's, once recorded)


def next_signal(pending: int, blocked: int) -> int:
    """kernel/signal.c next_signal: the lowest unblocked signal of a set,
    the synchronous (fault) signals before the others; 0 if none."""
    x = pending & ~blocked
    if not x:
        return 0
    if x & SYNCHRONOUS_MASK:
        x &= SYNCHRONOUS_MASK
    return (x & -x).bit_length()


def deliverable(t: Task, leader: Task) -> bool:
    """Whether get_signal has a signal for this thread: one it does not
    block, in its private set or the group's shared one (a group exit
    queues SIGKILL, which nothing blocks)."""
    return bool((t.pending | leader.shared) & ~t.blocked)


def get_signal(tx: Tx, pid: int) -> Taken:
    """kernel/signal.c get_signal, one signal per step (model choice,
    SEMANTICS 6.6): send a pending CLD_CONTINUED; else take the group exit;
    else dequeue the private set before the shared one and decide."""
    t = tx.get(pid)
    assert t is not None
    leader = tx.get(t.tgid)
    assert leader is not None
    if leader.continued & CONT_NOTIFY:
        tx.put(leader._replace(continued=leader.continued & ~CONT_NOTIFY))
        return Taken("notify", SIGCONT)
    if leader.group_exit:
        # "Has this task already been marked for death?": SIGKILL path, to
        # do_exit with the recorded group_exit_code
        tx.put(t._replace(pending=t.pending & ~sigmask(SIGKILL)))
        status = leader.group_exit & STATUS_MASK
        # traces name the signal the process dies of, or SIGKILL for an exit_group
        return Taken("die", status & 0x7F or SIGKILL, status=status)
    sig = next_signal(t.pending, t.blocked)
    if sig:
        t = t._replace(pending=t.pending & ~sigmask(sig))
        tx.put(t)
    else:
        sig = next_signal(leader.shared, t.blocked)
        assert sig, "get_signal without a deliverable signal"
        leader = leader._replace(shared=leader.shared & ~sigmask(sig))
        tx.put(leader)
    table = tx.sighands[t.sighand]
    handler, flags = action(table, sig)
    if handler == SIG_IGN:
        return Taken("ignore", sig)
    if handler != SIG_DFL:
        if flags & SA_RESETHAND:  # SA_ONESHOT: back to SIG_DFL, flags kept
            tx.sighands[t.sighand] = with_action(table, sig, SIG_DFL, flags)
        return Taken("handler", sig, handler, flags)
    kind = default_action(sig)
    if kind == "ignore":
        return Taken("ignore", sig)
    if leader.tgid == INIT_PID and not sigmask(sig) & SIG_KERNEL_ONLY_MASK:
        return Taken("ignore", sig)  # SIGNAL_UNKILLABLE
    if kind == "stop":
        # is_current_pgrp_orphaned is taken as false (docs/model.md)
        return Taken("stop", sig)
    # terminate, or core: model choice, RLIMIT_CORE is 0, so no 0x80 bit
    return Taken("die", sig, status=sig)


def do_signal_stop(tx: Tx, t: Task, sig: int) -> list[int]:
    """kernel/signal.c do_signal_stop, for the whole group in one step
    (linux-reference 10.2 item 9): every thread stops, group_exit_code =
    sig, SIGNAL_STOP_STOPPED. Returns the pids stopped."""
    stopped = []
    for i in group_of(tx, t):
        x = tx.tasks[i]
        # model choice: a thread in a killable sleep (a vfork parent) joins
        # the stop only once it is back (docs/model.md)
        if x.state not in (ZOMBIE, DISK_SLEEP):
            tx.tasks[i] = x._replace(state=STOPPED)
            stopped.append(x.pid)
    leader = tx.get(t.tgid)
    assert leader is not None
    # signal_set_stop_flags(SIGNAL_STOP_STOPPED) clears SIGNAL_STOP_CONTINUED
    tx.put(leader._replace(stop_code=sig, continued=0))
    return stopped


def handler_mask(blocked: int, sig: int, flags: int) -> int:
    """kernel/signal.c signal_delivered: the mask a handler runs with (the
    language has no sa_mask, so it is empty)."""
    if flags & SA_NODEFER:
        return blocked
    return blocked | sigmask(sig)


def procmask(how: int, blocked: Any, mask: Any) -> Any:
    """kernel/signal.c sigprocmask: the new mask, or None for a `how` that
    is none of SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK (EINVAL). On ints, and
    on Z3 bit-vectors for the symbolic engine."""
    if how == SIG_BLOCK:
        return blocked | mask
    if how == SIG_UNBLOCK:
        return blocked & ~mask
    if how == SIG_SETMASK:
        return mask
    return None


def set_blocked(mask: int) -> int:
    """set_current_blocked: SIGKILL and SIGSTOP are never blocked."""
    return mask & ~SIG_KERNEL_ONLY_MASK & ((1 << 31) - 1)
