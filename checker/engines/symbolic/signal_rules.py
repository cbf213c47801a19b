"""Signals as Z3 terms, for processes of one thread: the symbolic twin of
checker/kernel/signals.py (generation, get_signal, stopping), of the signal
steps of model.py (_kill, _raise, _sigaction, _sigprocmask, _pause,
_deliver, _return) and of do_notify_parent and do_notify_parent_cldstop in
exit.py.

Sets are 32-bit vectors with bit sig-1, as the kernel's sigmask(). A
slot's handler table has one (handler code, sa_flags) entry per signal in
Layout.sigs (every signal the scenario names in `signal` or `sigaction`;
any other keeps SIG_DFL), with the flags normalised as signals.with_action
does, so that equal behaviours are equal states on both sides. Signal
numbers, flags and masks are constants (layout.unsupported refuses the
rest), so every decision that depends on the signal alone is made here in
Python and only the task's state is a term.

rules.Rules holds a `SignalRules` and calls it; it calls back the rules'
store_next, settle_into and do_exit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.groups import (
    first_of,
    group_of_all,
    group_put,
    members,
    pick,
    rotation,
)
from checker.engines.symbolic.layout import (
    AGAIN,
    DFL,
    HANDLER,
    IGN,
    IN_CALL,
    NO_CALL,
    PAUSE_CALL,
    RESTART,
    STATE_CODES,
    static_value,
)
from checker.engines.symbolic.sstate import (
    SET_BITS,
    Cell,
    Frame,
    Slot,
    SState,
    bits,
    code,
    ite_cells,
    ite_fields,
    ite_state,
    put,
    split_status,
    value_terms,
)
from checker.engines.symbolic.terms import bitwise, c_int, eligible_pid, has_bit, lookup, term, tgid
from checker.kernel.model import RESTARTABLE
from checker.kernel.signals import (
    SA_KNOWN,
    SIG_DFL,
    SIG_IGN,
    SIG_KERNEL_COREDUMP_MASK,
    SIG_KERNEL_IGNORE_MASK,
    SIG_KERNEL_ONLY_MASK,
    SIG_KERNEL_STOP_MASK,
    SYNCHRONOUS_MASK,
    default_action,
    handler_ignored,
    procmask,
    sigmask,
)
from checker.kernel.state import CONT_NOTIFY, CONT_REPORT, GROUP_EXIT, INIT_PID
from checker.lang import ir
from checker.lang.constants import (
    EINTR,
    EINVAL,
    ESRCH,
    INT_MIN,
    NSIG,
    NSIG_STANDARD,
    SA_NOCLDSTOP,
    SA_NOCLDWAIT,
    SA_NODEFER,
    SA_RESETHAND,
    SA_RESTART,
    SIGCHLD,
    SIGCONT,
    SIGKILL,
    WNOTHREAD,
)
from checker.lang.constants import c_int as c_int_value

if TYPE_CHECKING:
    from checker.engines.symbolic.rules import Rules

R, S, D, T, Z = (STATE_CODES[c] for c in "RSDTZ")
TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
ALL = 2**SET_BITS - 1


def member(mask: Any, sig: int) -> Any:
    return z3.Extract(sig - 1, sig - 1, mask) == 1


def without(mask: Any, m: int) -> Any:
    return mask & bits(~m & ALL)


def set_blocked(mask: Any) -> Any:
    """signals.set_blocked: SIGKILL and SIGSTOP are never blocked."""
    return mask & bits(~SIG_KERNEL_ONLY_MASK & ((1 << 31) - 1))


def deliverable(sl: Slot) -> Any:
    """signals.deliverable: an unblocked signal in either set."""
    return (sl.pending | sl.shared) & ~sl.blocked != bits(0)


def action(sigs: tuple[int, ...], sl: Slot, sig: int) -> tuple[Any, Any]:
    """The (handler code, sa_flags) of `sig` in the slot's table."""
    if sig in sigs:
        return sl.act[sigs.index(sig)]
    return z3.IntVal(DFL), z3.IntVal(0)


def set_action(sigs: tuple[int, ...], sl: Slot, sig: int, handler: Any, flags: Any) -> Slot:
    k = sigs.index(sig)
    return sl.set(act=(*sl.act[:k], (handler, flags), *sl.act[k + 1 :]))


def table_put(
    s: SState, i: int, sigs: tuple[int, ...], sig: int, handler: Any, flags: Any
) -> SState:
    """Set `sig`'s action in slot i's handler table, which every live task
    with the same table holds too (CLONE_SIGHAND)."""
    me = s.slots[i]
    slots = list(s.slots)
    for k, sl in enumerate(s.slots):
        if k == i:
            slots[k] = set_action(sigs, sl, sig, handler, flags)
        elif me.sh is not None:
            shares = z3.And(sl.alive, sl.st != code(Z), sl.sh == me.sh)
            slots[k] = ite_fields(shares, set_action(sigs, sl, sig, handler, flags), sl)
    return replace(s, slots=tuple(slots))


def flush_group(s: SState, i: int, m: int) -> SState:
    """signals.flush_everywhere: flush_sigqueue_mask on the group's shared
    set and every thread's private set."""
    slots = list(s.slots)
    for k, g in members(s, i):
        sl = slots[k]
        slots[k] = sl.set(
            pending=z3.If(g, without(sl.pending, m), sl.pending),
            shared=z3.If(g, without(sl.shared, m), sl.shared),
        )
    return replace(s, slots=tuple(slots))


def start_group_exit(s: SState, i: int, status: Any, caller: int | None) -> SState:
    """signals.start_group_exit: SIGNAL_GROUP_EXIT with `status`, then
    zap_other_threads: SIGKILL queued on every live thread of slot i's
    group but the caller's, each woken."""
    s = group_put(s, i, gexit=GROUP_EXIT + status, stop=z3.IntVal(0), cont=z3.IntVal(0))
    slots = list(s.slots)
    for k, g in members(s, i):
        if k == caller:
            continue
        sl = slots[k]
        zap = z3.And(g, sl.st != code(Z))
        slots[k] = sl.set(
            pending=z3.If(zap, sl.pending | bits(sigmask(SIGKILL)), sl.pending),
            st=z3.If(zap, code(R), sl.st),
        )
    return replace(s, slots=tuple(slots))


def send_one(sigs: tuple[int, ...], s: SState, j: int, sig: int, group: bool) -> SState:
    """kernel/signal.c __send_signal_locked (signals.send_signal) to the
    task in slot j: `group` queues on its process's shared set (kill,
    SIGCHLD), else on the thread's own (raise); complete_signal picks the
    thread that takes it."""
    m = sigmask(sig)
    p = s.slots[j]
    group_of = members(s, j)
    # prepare_signal: SIGNAL_GROUP_EXIT, or a process of zombies, drops it
    dropped = z3.Or(
        p.gexit != 0, z3.And([z3.Implies(g, s.slots[k].st == code(Z)) for k, g in group_of])
    )
    prepared = s
    if m & SIG_KERNEL_STOP_MASK:
        prepared = flush_group(s, j, sigmask(SIGCONT))
    elif sig == SIGCONT:
        # flush the stop signals, wake the stopped threads, CLD_CONTINUED to report
        prepared = flush_group(s, j, SIG_KERNEL_STOP_MASK)
        was_stopped = z3.Or([z3.And(g, s.slots[k].st == code(T)) for k, g in group_of])
        slots = list(prepared.slots)
        for k, g in group_of:
            sl = slots[k]
            slots[k] = sl.set(st=z3.If(z3.And(g, sl.st == code(T)), code(R), sl.st))
        prepared = group_put(
            replace(prepared, slots=tuple(slots)),
            j,
            cont=z3.If(was_stopped, z3.IntVal(CONT_REPORT | CONT_NOTIFY), p.cont),
            stop=z3.If(was_stopped, z3.IntVal(0), p.stop),
        )
    pre = prepared.slots
    # sig_ignored, by the task, or (a zombie leader) by its group's first
    # live thread, whose handler table is the group's
    viewer = [TRUE if k == j else FALSE for k in range(len(s.slots))]
    if p.tgid is not None:
        live = first_of(s, [z3.And(g, s.slots[k].st != code(Z)) for k, g in group_of_all(s, j)])
        viewer = [
            z3.If(p.st == code(Z), live[k], TRUE if k == j else FALSE) for k in range(len(s.slots))
        ]
    handler = pick(viewer, [action(sigs, sl, sig)[0] for sl in pre], z3.IntVal(DFL))
    blocked = pick(viewer, [member(sl.blocked, sig) for sl in pre], FALSE)
    # sig_task_ignored: init takes only the signals it has a handler for
    by_init = z3.And(
        tgid(p) == INIT_PID,
        TRUE if m & SIG_KERNEL_ONLY_MASK else handler == DFL,
    )
    default_ignores = z3.BoolVal(bool(m & SIG_KERNEL_IGNORE_MASK))
    ignored = z3.And(
        z3.Not(blocked), z3.Or(by_init, handler == IGN, z3.And(handler == DFL, default_ignores))
    )
    # legacy_queue: a standard signal coalesces
    if group:
        already = member(pre[j].shared, sig)
        queued = group_put(prepared, j, shared=pre[j].shared | bits(m))
    else:
        already = member(pre[j].pending, sig)
        queued = put(prepared, j, pre[j].set(pending=pre[j].pending | bits(m)))

    # complete_signal -> wants_signal, with TIF_SIGPENDING as it was before
    def wants(sl: Slot) -> Any:
        before = (sl.pending | sl.shared) & ~sl.blocked != bits(0)
        return z3.And(
            z3.Not(member(sl.blocked, sig)),
            sl.st != code(Z),
            z3.Or(
                z3.BoolVal(sig == SIGKILL),
                z3.And(sl.st != code(T), z3.Or(sl.st == code(R), z3.Not(before))),
            ),
        )

    mine = wants(pre[j])
    chosen = [mine if k == j else FALSE for k in range(len(s.slots))]
    if group and p.tgid is not None:
        # the others, in thread order after p (round-robin from curr_target;
        # model choice, signals.complete_signal)
        others = [z3.And(g, wants(pre[k])) if k != j else FALSE for k, g in group_of_all(s, j)]
        after = [
            z3.And(
                z3.Not(mine),
                ok,
                *[
                    z3.Not(z3.And(other, rotation(pre[j], pre[q], pre[k])))
                    for q, other in enumerate(others)
                    if q != k
                ],
            )
            for k, ok in enumerate(others)
        ]
        chosen = [z3.Or(c, a) for c, a in zip(chosen, after, strict=True)]
    some = z3.Or(chosen)
    taker = pick(chosen, [action(sigs, sl, sig)[0] for sl in pre], z3.IntVal(DFL))
    fatal_class = not m & (SIG_KERNEL_IGNORE_MASK | SIG_KERNEL_STOP_MASK | SIG_KERNEL_COREDUMP_MASK)
    fatal = z3.And(some, taker == DFL, p.gexit == 0, z3.BoolVal(fatal_class))
    # a fatal signal: the group exit with group_exit_code = sig, every thread killed
    dying = start_group_exit(queued, j, z3.IntVal(sig), None)
    # signal_wake_up: S wakes; with SIGKILL, D and T too
    slots = list(queued.slots)
    for k, c in enumerate(chosen):
        sl = slots[k]
        wakes = sl.st == code(S)
        if sig == SIGKILL:
            wakes = z3.Or(wakes, sl.st == code(D), sl.st == code(T))
        slots[k] = sl.set(st=z3.If(z3.And(c, wakes), code(R), sl.st))
    woken = replace(queued, slots=tuple(slots))
    return ite_state(
        dropped, s, ite_state(z3.Or(ignored, already), prepared, ite_state(fatal, dying, woken))
    )


def next_signal(x: Any, candidates: tuple[int, ...]) -> list[tuple[int, Any]]:
    """kernel/signal.c next_signal over the signals that can be pending:
    for each candidate, the condition that it is the one dequeued from the
    set x (the synchronous ones first, then the lowest)."""
    order = sorted(candidates, key=lambda sig: (not sigmask(sig) & SYNCHRONOUS_MASK, sig))
    out = []
    earlier: list[Any] = []
    for sig in order:
        here = member(x, sig)
        out.append((sig, z3.And(here, *[z3.Not(e) for e in earlier])))
        earlier.append(here)
    return out


class SignalRules:
    """The signal steps of rules.Rules (see the module docstring), which
    holds one as `Rules.signals`."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.lay = rules.lay
        self.programs = rules.programs
        # where each program's waits, joins and sigsuspends are, and each
        # handler's settled entry: the same for every slot and signal
        self.waits = self._call_pcs(("wait", "waitpid"))
        self.joins = self._call_pcs(("join",))
        self.restartable = self._call_pcs(RESTARTABLE)  # model.RESTARTABLE
        self.suspends = self._call_pcs(("sigsuspend",))
        unset = value_terms(self.lay.locals, ())
        self.entries = [
            (p.index, HANDLER + k, *rules.settle_into(p, h.entry, unset))
            for p in self.programs
            for k, h in enumerate(p.handlers.values())
        ]

    def _call_pcs(self, names: Collection[str]) -> list[tuple[int, list[int]]]:
        out = []
        for p in self.programs:
            pcs = [
                pc for pc, x in enumerate(p.code) if isinstance(x, ir.Syscall) and x.name in names
            ]
            if pcs:
                out.append((p.index, pcs))
        return out

    # ------------------------------------------------------------ where a task is
    @staticmethod
    def at_call(sl: Slot, where: list[tuple[int, list[int]]]) -> Any:
        """The slot rests at one of these calls (SignalRules.waits, .suspends)."""
        parts = [z3.And(sl.prog == prog, z3.Or([sl.pc == pc for pc in pcs])) for prog, pcs in where]
        return z3.Or(parts) if parts else FALSE

    def program_locals(self, me: Slot, L: tuple[Cell, ...]) -> tuple[Cell, ...]:
        """Task.program_locals: the program's own frame, under any handler's."""
        if not self.lay.frames:
            return L
        return ite_cells(me.nfr > 0, me.frames[0].locals, L)

    # ------------------------------------------------------------ generation
    def send(self, s: SState, targets: list[Any], sig: int, group: bool) -> SState:
        """send_signal to every slot `targets` marks, one after the other
        (each is another process, or the only target)."""
        for j, t in enumerate(targets):
            if not z3.is_false(t):
                s = ite_state(t, send_one(self.lay.sigs, s, j, sig, group), s)
        return s

    def kill(self, s, i, prog, instr: ir.Syscall, L, ctx) -> SState:
        """kernel/signal.c kill_something_info (model.Kernel._kill)."""
        me = s.slots[i]
        pid = c_int(term(instr.args[0], ctx))  # type: ignore[arg-type]
        signo = _signo(instr.args[1])
        group = z3.If(pid == 0, me.pgid, -pid)
        targets = [
            z3.And(
                sl.alive,
                z3.Or(
                    z3.And(pid > 0, sl.pid == pid),
                    # every process but init and the caller's own (a process
                    # is its leader: the task whose pid is its tgid)
                    z3.And(pid == -1, sl.pid > 1, tgid(sl) != tgid(me), sl.pid == tgid(sl)),
                    # the process group
                    z3.And(z3.Or(pid == 0, pid < -1), sl.pgid == group, sl.pid == tgid(sl)),
                ),
            )
            for sl in s.slots
        ]

        def fail(errno: int) -> SState:
            return self.rules.store_next(
                s, i, prog, instr.next, L, instr.target, z3.IntVal(-1), errno=z3.IntVal(errno)
            )

        if not 0 <= signo <= NSIG:
            sent = fail(EINVAL)  # check_kill_permission -> valid_signal, once a target is found
        else:
            after = self.send(s, targets, signo, True) if signo else s
            sent = self.rules.store_next(after, i, prog, instr.next, L, instr.target, z3.IntVal(0))
        none = z3.Or(pid == INT_MIN, z3.Not(z3.Or(targets)))
        return ite_state(none, fail(ESRCH), sent)

    def raise_(self, s, i, prog, instr: ir.Syscall, L) -> SState:
        """glibc raise: tgkill to the caller, pending on the thread alone."""
        signo = _signo(instr.args[0])
        if not 0 <= signo <= NSIG:
            return self.rules.store_next(
                s, i, prog, instr.next, L, instr.target, z3.IntVal(-1), errno=z3.IntVal(EINVAL)
            )
        if signo:
            targets = [z3.BoolVal(j == i) for j in range(len(s.slots))]
            s = self.send(s, targets, signo, False)
        return self.rules.store_next(s, i, prog, instr.next, L, instr.target, z3.IntVal(0))

    def sigaction(self, s, i, prog, instr: ir.Syscall, L) -> SState:
        """kernel/signal.c do_sigaction (model.Kernel._sigaction); `signal`
        is sigaction with SA_RESTART."""
        signo = _signo(instr.args[0])
        handler = instr.args[1]
        assert isinstance(handler, str)
        if not 1 <= signo <= NSIG or sigmask(signo) & SIG_KERNEL_ONLY_MASK:
            return self.rules.store_next(
                s, i, prog, instr.next, L, instr.target, z3.IntVal(-1), errno=z3.IntVal(EINVAL)
            )
        flags = _static(instr.args[2]) if instr.name == "sigaction" else SA_RESTART
        flags &= SA_KNOWN
        if handler in (SIG_DFL, SIG_IGN):  # signals.with_action
            keep = SA_NOCLDSTOP | SA_NOCLDWAIT
            flags = flags & keep if signo == SIGCHLD and handler == SIG_DFL else 0
            hcode = DFL if handler == SIG_DFL else IGN
        else:
            hcode = HANDLER + list(prog.handlers).index(handler)
        s = table_put(s, i, self.lay.sigs, signo, z3.IntVal(hcode), z3.IntVal(flags))
        if handler_ignored(handler, signo):
            # a pending signal now ignored is discarded, blocked or not
            s = flush_group(s, i, sigmask(signo))
        return self.rules.store_next(s, i, prog, instr.next, L, instr.target, z3.IntVal(0))

    def sigprocmask(self, s, i, prog, instr: ir.Syscall, L) -> SState:
        """kernel/signal.c sigprocmask (model.Kernel._sigprocmask)."""
        me = s.slots[i]
        how = _static(instr.args[0])
        mask = bits(_sigset(instr.args[1]))
        blocked = procmask(how, me.blocked, mask)
        if blocked is None:
            return self.rules.store_next(
                s, i, prog, instr.next, L, instr.target, z3.IntVal(-1), errno=z3.IntVal(EINVAL)
            )
        return self.rules.store_next(
            s, i, prog, instr.next, L, instr.target, z3.IntVal(0), blocked=set_blocked(blocked)
        )

    # ------------------------------------------------------------ pause, sigsuspend
    def pause(self, s, i, prog, pc, instr: ir.Syscall, L) -> SState:
        """kernel/signal.c sys_pause and sigsuspend (model.Kernel._pause):
        sleep until a signal is taken."""
        me = s.slots[i]
        in_call = z3.And(me.wopt == PAUSE_CALL, me.phase == IN_CALL)
        # woken: `while (!signal_pending(current)) schedule();`
        again = ite_state(
            deliverable(me),
            self.deliver(s, i, TRUE),
            put(s, i, me.set(st=code(S), pc=code(pc), locals=L)),
        )
        blocked, saved = me.blocked, bits(0)
        if instr.name == "sigsuspend":
            # saved_sigmask = blocked; set_current_blocked(set)
            blocked, saved = set_blocked(bits(_sigset(instr.args[0]))), me.blocked
        task = me.set(
            pc=code(pc),
            locals=L,
            wpid=z3.IntVal(0),
            wopt=z3.IntVal(PAUSE_CALL),
            phase=z3.IntVal(IN_CALL),
            saved=saved,
            blocked=blocked,
        )
        # a signal the new mask lets through is already pending: no sleep
        first = put(s, i, task.set(st=z3.If(deliverable(task), me.st, code(S))))
        return ite_state(in_call, again, first)

    # ------------------------------------------------------------ taking a signal
    def deliver(self, s: SState, i: int, given: Any) -> SState:
        """model.Kernel._deliver with signals.get_signal: report a continue,
        die of a group exit, or dequeue one signal and ignore it, stop, die,
        or enter its handler. `given`: the task is inside a call at its pc
        that the signal interrupts (it returns EINTR, or restarts)."""
        lay = self.lay
        me = s.slots[i]
        notify = has_bit(me.cont, CONT_NOTIFY)
        notified = self.notify_parent_cldstop(group_put(s, i, cont=me.cont - CONT_NOTIFY), i)
        # "Has this task already been marked for death?": to do_exit with
        # the group's recorded status
        died = self.die(s, i, me.gexit - GROUP_EXIT)
        priv = me.pending & ~me.blocked
        from_priv = priv != bits(0)
        shared = me.shared & ~me.blocked
        in_priv = dict(next_signal(priv, lay.cands))
        in_shared = dict(next_signal(shared, lay.cands))
        at_wait = z3.And(given, self.at_call(me, self.restartable))
        restart = z3.If(at_wait, z3.IntVal(RESTART), me.phase)
        taken: SState | None = None
        for sig in reversed(lay.cands):
            m = sigmask(sig)
            cond = z3.If(from_priv, in_priv[sig], in_shared[sig])
            # dequeue_signal: the private set first, then the group's
            base = put(s, i, me.set(pending=z3.If(from_priv, without(me.pending, m), me.pending)))
            base = group_put(base, i, shared=z3.If(from_priv, me.shared, without(me.shared, m)))
            me1 = base.slots[i]
            ignored = put(base, i, me1.set(phase=restart))
            kind = default_action(sig)
            if kind == "ignore":
                default = ignored
            else:
                if kind == "stop":
                    # do_signal_stop, then do_notify_parent_cldstop;
                    # is_current_pgrp_orphaned is false
                    act = self.notify_parent_cldstop(self.group_stop(ignored, i, sig), i)
                else:
                    # terminate, or core (RLIMIT_CORE 0): do_group_exit(sig)
                    act = self.die(base, i, z3.IntVal(sig))
                # SIGNAL_UNKILLABLE: init ignores what it has no handler for
                default = act
                if not m & SIG_KERNEL_ONLY_MASK:
                    default = ite_state(tgid(me) == INIT_PID, ignored, act)
            if sig in lay.sigs:
                h, flags = action(lay.sigs, me1, sig)
                caught = self.enter_handler(base, i, sig, h, flags, given)
                here = ite_state(h == IGN, ignored, ite_state(h == DFL, default, caught))
            else:
                here = default
            taken = here if taken is None else ite_state(cond, here, taken)
        assert taken is not None
        return ite_state(notify, notified, ite_state(me.gexit != 0, died, taken))

    @staticmethod
    def group_stop(s: SState, i: int, sig: int) -> SState:
        """signals.do_signal_stop for the whole group in one step: every
        thread not a zombie and not in a killable sleep stops."""
        slots = list(s.slots)
        for k, g in members(s, i):
            sl = slots[k]
            stops = z3.And(g, sl.st != code(Z), sl.st != code(D))
            slots[k] = sl.set(st=z3.If(stops, code(T), sl.st))
        return group_put(replace(s, slots=tuple(slots)), i, stop=z3.IntVal(sig), cont=z3.IntVal(0))

    def die(self, s: SState, i: int, status: Any) -> SState:
        """get_signal -> do_group_exit(status); the death of init's group is
        a violation of `assertions` (the kernel panics)."""
        me = s.slots[i]
        died = self.rules.do_group_exit(s, i, me.locals, *split_status(status))
        return ite_state(tgid(me) == INIT_PID, replace(s, failed=TRUE), died)

    def enter_handler(self, s: SState, i: int, sig: int, h: Any, flags: Any, given: Any) -> SState:
        """A handler frame (model.Kernel._deliver): the context to return to,
        with the call it interrupted made to restart (SA_RESTART on a wait,
        always for join) or to fail with EINTR; the handler runs with its
        signal blocked."""
        lay = self.lay
        me = s.slots[i]
        at_wait = self.at_call(me, self.waits)
        at_suspend = self.at_call(me, self.suspends)
        restarts = z3.Or(z3.And(at_wait, has_bit(flags, SA_RESTART)), self.at_call(me, self.joins))
        eintr = z3.And(given, z3.Not(restarts))
        no_call = z3.IntVal(NO_CALL)
        frame = Frame(
            pc=me.pc,
            locals=me.locals,
            # sigsuspend's handler returns to the mask sigsuspend saved
            blocked=z3.If(z3.And(eintr, at_suspend), me.saved, me.blocked),
            phase=z3.If(given, z3.IntVal(AGAIN), me.phase),
            wpid=me.wpid,
            wopt=z3.If(eintr, no_call, me.wopt),
            sig=z3.IntVal(sig),
            eintr=eintr,
        )
        frames = tuple(ite_fields(me.nfr == f, frame, old) for f, old in enumerate(me.frames))
        if sig == SIGCHLD:
            reset = bitwise("&", flags, z3.IntVal(SA_NOCLDSTOP | SA_NOCLDWAIT))
        else:
            reset = z3.IntVal(0)
        one_shot = has_bit(flags, SA_RESETHAND)  # SA_ONESHOT: back to SIG_DFL
        s = table_put(
            s, i, lay.sigs, sig, z3.If(one_shot, z3.IntVal(DFL), h), z3.If(one_shot, reset, flags)
        )
        m = bits(sigmask(sig))
        # signal_delivered: the mask the handler runs with (no sa_mask here)
        blocked = z3.If(has_bit(flags, SA_NODEFER), me.blocked, me.blocked | m)
        out = s.slots[i].set(
            frames=frames,
            nfr=me.nfr + 1,
            blocked=blocked,
            wpid=z3.IntVal(0),
            wopt=no_call,
            phase=z3.IntVal(0),
        )
        entry_pc: Any = me.pc
        entry_L = me.locals
        for prog, hcode, pc, hL in self.entries:
            here = z3.And(me.prog == prog, h == hcode)
            entry_pc = z3.If(here, pc, entry_pc)
            entry_L = ite_cells(here, hL, entry_L)
        out = out.set(pc=entry_pc, locals=entry_L)
        # deeper than the layout's bound: the explicit model decides (lost)
        return replace(put(s, i, out), lost=z3.Or(s.lost, me.nfr >= lay.frames))

    def sig_return(self, s, i, prog: ir.ProgramIR, L) -> SState:
        """model.Kernel._return (rt_sigreturn): the interrupted context and
        the mask saved at entry come back; an interrupted call now returns
        -1 (a wait: W.pid == -1) with errno EINTR."""
        me = s.slots[i]
        top = me.frames[-1]
        for f in range(len(me.frames) - 2, -1, -1):
            top = ite_fields(me.nfr - 1 == f, me.frames[f], top)
        task = me.set(
            locals=top.locals,
            blocked=set_blocked(top.blocked),
            phase=top.phase,
            wpid=top.wpid,
            wopt=top.wopt,
            nfr=me.nfr - 1,
        )
        s2 = put(s, i, task)
        out = put(s2, i, task.set(pc=top.pc))
        for pc, instr in enumerate(prog.code):
            if not (isinstance(instr, ir.Syscall) and instr.name in INTERRUPTIBLE):
                continue
            if instr.name in ("wait", "waitpid"):
                result: Any = (z3.IntVal(-1), z3.IntVal(0), z3.IntVal(0))
            else:
                result = z3.IntVal(-1)
            failed = self.rules.store_next(
                s2, i, prog, instr.next, top.locals, instr.target, result, errno=z3.IntVal(EINTR)
            )
            out = ite_state(z3.And(top.eintr, top.pc == pc), failed, out)
        return out

    # ------------------------------------------------------------ the parent
    def notify_parent(self, s: SState, child: Slot) -> tuple[SState, Any]:
        """kernel/signal.c do_notify_parent (exit.py): the exit signal, the
        parent's waiters woken; whether the child is released at once."""
        s, autoreap = self.send_exit_signal(s, child, TRUE)
        return self.wake_waiters(s, child, TRUE), autoreap

    def send_exit_signal(self, s: SState, child: Slot, when: Any) -> tuple[SState, Any]:
        """do_notify_parent's signal: the child's exit signal to its
        parent's process (SIGCHLD if the parent has exec'd since; none for
        SIGCHLD at SIG_IGN, nor for 0); and whether the child is released
        at once (autoreap: SIGCHLD with SIG_IGN or SA_NOCLDWAIT)."""
        lay = self.lay
        sig: Any = z3.IntVal(SIGCHLD)
        if child.exsig is not None:
            sig = z3.If(
                z3.And(child.exsig != SIGCHLD, child.pexec), z3.IntVal(SIGCHLD), child.exsig
            )
        autoreap: Any = FALSE
        for j, p in enumerate(s.slots):
            is_parent = z3.And(when, p.alive, p.pid == child.ppid)
            h, flags = action(lay.sigs, p, SIGCHLD)
            chld = sig == SIGCHLD
            autoreap = z3.Or(
                autoreap, z3.And(is_parent, chld, z3.Or(h == IGN, has_bit(flags, SA_NOCLDWAIT)))
            )
            for v in lay.exit_sigs:
                sends = z3.And(is_parent, sig == v, h != IGN if v == SIGCHLD else TRUE)
                s = ite_state(sends, send_one(lay.sigs, s, j, v, True), s)
        return s, autoreap

    def notify_parent_cldstop(self, s: SState, i: int) -> SState:
        """kernel/signal.c do_notify_parent_cldstop: the group leader tells
        its parent, with SIGCHLD unless the parent's SIGCHLD action is
        SIG_IGN or has SA_NOCLDSTOP; its waiters are woken either way."""
        lay = self.lay
        me = s.slots[i]
        for j, p in enumerate(s.slots):
            h, flags = action(lay.sigs, p, SIGCHLD)
            sends = z3.And(
                p.alive, p.pid == me.ppid, h != IGN, z3.Not(has_bit(flags, SA_NOCLDSTOP))
            )
            s = ite_state(sends, send_one(lay.sigs, s, j, SIGCHLD, True), s)
        return self.wake_waiters(s, me.set(pid=tgid(me)), TRUE)

    def wake_waiters(self, s: SState, child: Slot, when: Any) -> SState:
        """kernel/exit.c __wake_up_parent: the tasks of the parent's group
        asleep in a wait whose selection takes the child
        (child_wait_callback; with __WNOTHREAD, only the parent itself)."""
        if child.tgid is None:
            ours = [w.pid == child.ppid for w in s.slots]
        else:
            ptgid = lookup(s, child.ppid, lambda sl: sl.tgid, z3.IntVal(0))
            ours = [
                z3.And(
                    w.tgid == ptgid,
                    z3.Implies(has_bit(w.wopt, WNOTHREAD), w.pid == child.ppid),
                )
                for w in s.slots
            ]
        slots = []
        for w, mine in zip(s.slots, ours, strict=True):
            wakes = z3.And(
                when,
                w.alive,
                w.st == code(S),
                w.prog >= 0,
                w.wopt >= 0,
                mine,
                eligible_pid(w.wpid, w.pgid, child),
            )
            slots.append(w.set(st=z3.If(wakes, code(R), w.st)))
        return replace(s, slots=tuple(slots))


# calls a handler can interrupt so that they fail with EINTR
INTERRUPTIBLE = ("wait", "waitpid", "pause", "sigsuspend")


def _static(e: object) -> int:
    value = static_value(e)
    assert value is not None, "layout.unsupported refuses non-constant signal arguments"
    return value


def _signo(e: object) -> int:
    """model.Kernel._signo: a signal number as the kernel takes it (C int)."""
    return c_int_value(_static(e))


def _sigset(exprs: object) -> int:
    """model.Kernel._sigset: sigaddset leaves out numbers outside 1..64."""
    mask = 0
    assert isinstance(exprs, tuple)
    for e in exprs:
        n = _signo(e)
        if 1 <= n <= NSIG_STANDARD:
            mask |= sigmask(n)
    return mask
