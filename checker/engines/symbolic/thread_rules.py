"""Clone flags, threads and join as Z3 terms: the symbolic twin of the
thread parts of checker/kernel/fork.py (copy_process's flags), exec.py
(de_thread) and model.py (_clone_args, _join, thread_released).

rules.Rules holds a `ThreadRules` as `Rules.threads` and calls it for
these steps; the exit rules that threads change (do_group_exit, the
delayed group leader, find_alive_thread) are in rules.py with the rest of
do_exit. Clone flags are constants (layout.unsupported refuses the rest),
so what they decide is decided here in Python.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.groups import group_of_all, pick
from checker.engines.symbolic.layout import IN_CALL, JOIN_CALL, NO_CALL, STATE_CODES, static_value
from checker.engines.symbolic.signal_rules import deliverable
from checker.engines.symbolic.sstate import Slot, SState, code, ite_state, put
from checker.engines.symbolic.terms import Ctx, c_int, term
from checker.kernel.clone_flags import legacy_split, violations
from checker.kernel.fork import (
    CLONE_PARENT,
    CLONE_SIGHAND,
    CLONE_THREAD,
    CLONE_VM,
    THREAD_FLAGS,
    VFORK_FLAGS,
)
from checker.lang import ir
from checker.lang.constants import EDEADLK, ESRCH, SIGCHLD

if TYPE_CHECKING:
    from checker.engines.symbolic.rules import Rules

S, Z = code(STATE_CODES["S"]), code(STATE_CODES["Z"])
R = code(STATE_CODES["R"])
TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)


class SpawnArgs(NamedTuple):
    """model.Kernel._clone_args, decided from the constant flags: the
    flags without the low byte, the exit signal, and whether copy_process
    refuses them with EINVAL (always, or only when the caller is init's)."""

    flags: int
    exit_signal: int
    invalid: bool
    invalid_for_init: bool


def spawn_args(instr: ir.Spawn) -> SpawnArgs:
    if instr.kind == "fork":
        return SpawnArgs(0, SIGCHLD, False, False)
    if instr.kind == "vfork":
        return SpawnArgs(VFORK_FLAGS, SIGCHLD, False, False)
    if instr.kind == "thread":
        return SpawnArgs(THREAD_FLAGS, 0, False, False)
    word = static_value(instr.flags)
    assert word is not None, "layout.unsupported refuses clone flags that are not constant"
    flags, exit_signal = legacy_split(word)
    return SpawnArgs(
        flags, exit_signal, bool(violations(word, False)), bool(violations(word, True))
    )


class ThreadRules:
    def __init__(self, rules: Rules):
        self.rules = rules
        self.lay = rules.lay

    # ------------------------------------------------------------ copy_process
    def child_fields(self, s: SState, me: Slot, args: SpawnArgs, pid: Any) -> dict[str, Any]:
        """kernel/fork.c copy_process (fork.py): the new task's group, exit
        signal and handler table. CLONE_THREAD joins the caller's group
        (exit signal -1: it never notifies); CLONE_PARENT and CLONE_THREAD
        give it the caller's real parent; CLONE_PARENT, the exit signal of
        the caller's group leader; CLONE_SIGHAND shares the handler table."""
        if not self.lay.threads:
            return {}
        flags = args.flags
        thread = bool(flags & CLONE_THREAD)
        if thread:
            exsig: Any = z3.IntVal(-1)
        elif flags & CLONE_PARENT:
            exsig = pick(
                [z3.And(sl.alive, sl.pid == me.tgid) for sl in s.slots],
                [sl.exsig for sl in s.slots],
                me.exsig,
            )
        else:
            exsig = z3.IntVal(args.exit_signal)
        fields: dict[str, Any] = dict(
            tgid=me.tgid if thread else pid,
            exsig=exsig,
            pexec=me.pexec if flags & (CLONE_PARENT | CLONE_THREAD) else FALSE,
            sh=me.sh if flags & CLONE_SIGHAND else s.next_mm + 1,
            ended=me.ended,  # dup_mm copies glibc's bookkeeping; CLONE_VM shares it
        )
        if thread:
            # the group's signal_struct; a thread starts on a stack of its
            # own (no handler frames) with errno 0 in its own TLS
            fields.update(
                shared=me.shared,
                gexit=me.gexit,
                stop=me.stop,
                cont=me.cont,
                subreaper=me.subreaper,
                nfr=z3.IntVal(0),
                errno=z3.IntVal(0),
            )
        return fields

    @staticmethod
    def new_ids(args: SpawnArgs, threads: bool) -> bool:
        """Whether the new task gets an address space or handler table of
        its own (a new id is given out)."""
        return not args.flags & CLONE_VM or (threads and not args.flags & CLONE_SIGHAND)

    # ------------------------------------------------------------ join
    def join(self, s: SState, i: int, prog: ir.ProgramIR, pc: int, instr: ir.Syscall, L, ctx: Ctx):
        """model.Kernel._join (pthread_join): 0 once the thread has ended
        (each thread once); sleep until then; EDEADLK for itself, ESRCH
        for a tid that is no live thread of the group or was joined."""
        rules = self.rules
        me = s.slots[i]
        in_call = me.wopt == JOIN_CALL
        tid = z3.If(in_call, me.wpid, c_int(term(instr.args[0], ctx)))  # type: ignore[arg-type]

        def fail(errno: int) -> SState:
            return rules.store_next(
                s, i, prog, instr.next, L, instr.target, z3.IntVal(-1),
                errno=z3.IntVal(errno), wpid=z3.IntVal(0), wopt=z3.IntVal(NO_CALL),
            )  # fmt: skip

        ended = z3.And(tid != 0, z3.Or([e == tid for e in me.ended]))
        # the descriptor is released by the join: out of the address space's list
        slots = list(s.slots)
        for k, sl in enumerate(s.slots):
            sharer = z3.And(sl.alive, sl.st != Z, sl.mm == me.mm) if k != i else TRUE
            gone = tuple(z3.If(z3.And(sharer, e == tid), z3.IntVal(0), e) for e in me.ended)
            slots[k] = sl.set(
                ended=tuple(z3.If(sharer, g, e) for g, e in zip(gone, sl.ended, strict=True))
            )
        joined = rules.store_next(
            replace(s, slots=tuple(slots)), i, prog, instr.next, L, instr.target, z3.IntVal(0),
            wpid=z3.IntVal(0), wopt=z3.IntVal(NO_CALL),
        )  # fmt: skip
        live = z3.Or(
            [z3.And(sl.alive, sl.pid == tid, sl.tgid == me.tgid, sl.st != Z) for sl in s.slots]
        )
        # woken by a signal: its handler runs, then the wait goes on
        woken = z3.And(in_call, me.phase == IN_CALL, deliverable(me))
        asleep = put(
            s,
            i,
            me.set(
                st=S, pc=code(pc), locals=L, wpid=tid, wopt=z3.IntVal(JOIN_CALL),
                phase=z3.IntVal(IN_CALL),
            ),
        )  # fmt: skip
        waits = ite_state(woken, rules.signals.deliver(s, i, TRUE), asleep)
        return ite_state(
            tid == me.pid,
            fail(EDEADLK),
            ite_state(ended, joined, ite_state(z3.Not(live), fail(ESRCH), waits)),
        )

    def thread_released(self, s: SState, i: int, when: Any) -> SState:
        """model.Kernel.thread_released: a thread of a group that lives on
        has ended (CLONE_CHILD_CLEARTID's futex wake in mm_release): its tid
        goes on its address space's list, and its joiners wake."""
        if not self.lay.joins:
            return s
        me = s.slots[i]
        free = []
        full = when
        for k, e in enumerate(me.ended):
            free.append(z3.And(when, e == 0, *[x != 0 for x in me.ended[:k]]))
            full = z3.And(full, e != 0)
        ended = tuple(z3.If(f, me.pid, e) for f, e in zip(free, me.ended, strict=True))
        slots = list(s.slots)
        for k, sl in enumerate(s.slots):
            sharer = z3.And(sl.alive, sl.st != Z, sl.mm == me.mm) if k != i else TRUE
            joiner = z3.And(
                when, sl.alive, sl.st == S, sl.tgid == me.tgid,
                sl.wopt == JOIN_CALL, sl.wpid == me.pid,
            )  # fmt: skip
            slots[k] = sl.set(
                ended=tuple(z3.If(sharer, a, b) for a, b in zip(ended, sl.ended, strict=True)),
                st=z3.If(joiner, R, sl.st),
            )
        # more unjoined threads than the layout holds: the explicit model decides
        return replace(s, slots=tuple(slots), lost=z3.Or(s.lost, full))

    # ------------------------------------------------------------ exec
    def de_thread(self, s: SState, i: int) -> SState:
        """fs/exec.c de_thread (exec.py), folded into the exec step: every
        other task of the group is gone silently, their children become the
        caller's (appended in their parents' pid order), and a caller that
        is not the leader takes the leader's pid and its place in its
        parent's children list (exchange_tids, transfer_pid)."""
        rules = self.rules
        me = s.slots[i]
        killed = [FALSE if k == i else g for k, g in group_of_all(s, i)]
        base = rules.children_count(s, me.pid)
        counts = [rules.children_count(s, q.pid) for q in s.slots]
        slots = list(s.slots)
        for k, c in enumerate(s.slots):
            if k == i:
                continue
            adopted = z3.Or(
                [z3.And(kq, c.ppid == q.pid) for kq, q in zip(killed, s.slots, strict=True)]
            )
            offset = z3.Sum(
                [
                    z3.If(z3.And(kq, q.pid < c.ppid), n, 0)
                    for kq, q, n in zip(killed, s.slots, counts, strict=True)
                ]
            )
            # a killed thread in wait_for_vfork_done clears its child's vfork_done
            waited = z3.Or(
                [z3.And(kq, c.vparent == q.pid) for kq, q in zip(killed, s.slots, strict=True)]
            )
            slots[k] = c.set(
                ppid=z3.If(adopted, me.pid, c.ppid),
                cpos=z3.If(z3.And(adopted, c.pid == c.tgid), base + offset + c.cpos, c.cpos),
                vparent=z3.If(waited, z3.IntVal(0), c.vparent),
            )
        s = replace(s, slots=tuple(slots))
        for q, kq in enumerate(killed):
            if z3.is_false(kq):
                continue
            # mm_release of each: its vfork parent wakes; PROG.X keeps its values
            x = s.slots[q]
            s = ite_state(kq, rules.vfork_release(s, q), s)
            named = rules.snapshot(s, x, rules.signals.program_locals(x, x.locals))
            s = ite_state(kq, replace(s, named=named), s)
        s = replace(
            s,
            slots=tuple(
                sl.set(alive=z3.If(kq, FALSE, sl.alive))
                for kq, sl in zip(killed, s.slots, strict=True)
            ),
        )
        leader_cpos = pick(
            [z3.And(kq, q.pid == me.tgid) for kq, q in zip(killed, s.slots, strict=True)],
            [q.cpos for q in s.slots],
            me.cpos,
        )
        return take_leader_pid(s, i, leader_cpos)


def take_leader_pid(s: SState, i: int, leader_cpos: Any) -> SState:
    """exec.py _take_leader_pid: a caller that is not its group's leader
    gets the leader's pid and place in its parent's children list; its
    children, a child it vforked and PROG.X now name the new pid."""
    me = s.slots[i]
    old, new = me.pid, me.tgid
    moves = old != new
    slots = []
    for k, sl in enumerate(s.slots):
        if k == i:
            slots.append(sl.set(pid=new, cpos=z3.If(moves, leader_cpos, sl.cpos)))
            continue
        slots.append(
            sl.set(
                ppid=z3.If(z3.And(moves, sl.ppid == old), new, sl.ppid),
                vparent=z3.If(z3.And(moves, sl.vparent == old), new, sl.vparent),
            )
        )
    named = tuple(
        replace(n, pid=z3.If(z3.And(moves, n.kind == 1, n.pid == old), new, n.pid)) for n in s.named
    )
    return replace(s, slots=tuple(slots), named=named)
