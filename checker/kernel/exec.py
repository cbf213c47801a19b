"""execve's point of no return (fs/exec.c begin_new_exec), as one atomic
step (linux-reference 10.2 item 2): de_thread, the new address space (which
releases a vfork parent), the handler table reset, exit signal SIGCHLD."""

from __future__ import annotations

from typing import NamedTuple

from checker.kernel import events as E
from checker.kernel.exit import ExitContext, forget_original_parent, vfork_release
from checker.kernel.signals import SIG_IGN
from checker.kernel.state import GROUP_FIELDS, Task, Tx
from checker.lang.constants import SIGCHLD


class Image(NamedTuple):
    """A program image as it starts: what exec (or time 0) gives a task."""

    prog: int
    mem: tuple[object, ...]  # the address space: its `var`s at their initial values
    pc: int
    locals: tuple[object, ...]
    ident: int  # its slot in State.named if a property reads PROG.X, else -1


def begin_new_exec(
    tx: Tx, pid: int, image: Image, name: str, ctx: ExitContext, ev: list[E.Event] | None
) -> int:
    """Replace task `pid`'s image; return its pid afterwards (a non-leader
    takes over the leader's)."""
    killed = de_thread(tx, pid, ctx, ev)
    t = tx.get(pid)
    assert t is not None
    old_tid = 0
    if t.pid != t.tgid:
        old_tid = t.pid
        t = _take_leader_pid(tx, t)
    # exec_mmap -> exec_mm_release -> mm_release: a vfork parent wakes
    vfork_release(tx, t, ev)
    t = tx.get(t.pid)
    assert t is not None
    ctx.snapshot(tx, t)  # PROG.X keeps the values of the image it leaves
    # unshare_sighand, then flush_signal_handlers(me, 0): handlers become
    # SIG_DFL, SIG_IGN stays, every sa_flags is cleared
    table = tuple(
        (sig, SIG_IGN, 0) for sig, handler, _ in tx.sighands[t.sighand] if handler == SIG_IGN
    )
    sighand = tx.new_sighand(table)
    mm = tx.new_mm(image.mem)
    # self_exec_id++: its children's parent_exec_id no longer matches
    for k, x in enumerate(tx.tasks):
        if x.ppid == t.pid:
            tx.tasks[k] = x._replace(parent_execed=True)
    if image.ident >= 0:
        tx.named[image.ident] = t.pid
    # the blocked mask and pending signals stay; de_thread ends with
    # exit_signal = SIGCHLD; errno lives in the new image's TLS
    tx.put(
        t._replace(
            prog=image.prog,
            pc=image.pc,
            locals=image.locals,
            mm=mm,
            sighand=sighand,
            frames=(),
            call=(),
            errno=0,
            exit_signal=SIGCHLD,
            ident=image.ident,
        )
    )
    if ev is not None:
        ev.append(E.Execed(name, killed, old_tid))
    return t.pid


def de_thread(tx: Tx, pid: int, ctx: ExitContext, ev: list[E.Event] | None) -> tuple[int, ...]:
    """fs/exec.c de_thread, folded into the exec step: every other thread of
    the group dies silently (zap_other_threads; non-leaders never notify,
    and the old leader is released without a notification), and their
    children become the exec'ing thread's (find_new_reaper: the only live
    thread left; linux-reference X2-X4). Returns the pids killed."""
    me = tx.get(pid)
    assert me is not None
    others = [x.pid for x in tx.tasks if x.tgid == me.tgid and x.pid != pid]
    for tid in others:
        x = tx.get(tid)
        assert x is not None
        vfork_release(tx, x, ev)
        forget_original_parent(tx, tid, ctx, ev, new_parent=pid)
        # a killed thread in wait_for_vfork_done clears its child's vfork_done
        for k, c in enumerate(tx.tasks):
            if c.vfork_parent == tid:
                tx.tasks[k] = c._replace(vfork_parent=0)
    for tid in others:
        x = tx.get(tid)
        assert x is not None
        ctx.snapshot(tx, x)
        if x.pid == x.tgid:
            # the leader's signal_struct fields live on in the exec'ing thread
            now = tx.get(pid)
            assert now is not None
            tx.put(now._replace(subreaper=x.subreaper, **{f: getattr(x, f) for f in GROUP_FIELDS}))
        tx.remove(tid)
        tx.mm_changed = True
    return tuple(others)


def _take_leader_pid(tx: Tx, t: Task) -> Task:
    """de_thread, non-leader caller: exchange_tids and transfer_pid give it
    the leader's pid (its tid becomes the tgid); it takes the leader's place
    in the parent's children list, which holds that pid already. Its own
    children now name the new pid as their parent."""
    old, new = t.pid, t.tgid
    tx.remove(old)
    moved = t._replace(pid=new)
    for k, x in enumerate(tx.tasks):
        if x.ppid == old:
            x = x._replace(ppid=new)
        if x.vfork_parent == old:  # a child it vforked waits on it by pid
            x = x._replace(vfork_parent=new)
        tx.tasks[k] = x
    tx.insert(moved)
    for k, v in enumerate(tx.named):
        if v == old:
            tx.named[k] = new
    return moved
