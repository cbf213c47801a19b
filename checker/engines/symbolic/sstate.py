"""The kernel state as Z3 terms: a fixed number of task slots.

Slot fields mirror checker/kernel/state.py Task (the ones the covered part
of the language uses). A slot that holds no task has `alive` false and its
other fields mean nothing. Task order is not slot order: the explicit model
sorts tasks by pid, the symbolic one puts a new task in the first free
slot; a task's place in its parent's children list is `cpos`.

`encode` turns an explicit State into constants and `project` turns either
side into the same plain tuple, so the two engines can be compared state
by state (tests, and every symbolic trace is replayed explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.layout import (
    CONTINUED,
    DFL,
    EXITED,
    HANDLER,
    IGN,
    JOIN_CALL,
    NO_CALL,
    NONE,
    PAUSE_CALL,
    SIGNALED,
    STATE_CODES,
    STATE_LETTERS,
    STOPPED,
    UNSET,
    VFORK_CALL,
    Layout,
)
from checker.kernel.signals import SIG_DFL, SIG_IGN, action
from checker.kernel.state import NO_MM, NO_SIGHAND, State, Task, get, leader_of
from checker.kernel.wait import Status, status_record

Cell = tuple[Any, ...]  # the Z3 terms of one value: 1 cell, or 3 for a status record
CODE_BITS = 16  # pcs and task states are small bit-vectors: cheaper for the solver than Ints
SET_BITS = 32  # signal sets


def code(v: int) -> Any:
    return z3.BitVecVal(v, CODE_BITS)


def bits(mask: int) -> Any:
    return z3.BitVecVal(mask, SET_BITS)


@dataclass(frozen=True)
class Slot:
    alive: Any
    pid: Any
    ppid: Any
    pgid: Any
    st: Any  # STATE_CODES
    prog: Any  # -1: the default init
    pc: Any
    locals: tuple[Cell, ...]
    mem: tuple[Cell, ...]  # its address space (no sharing in the covered language)
    xkind: Any  # a zombie's wait status: EXITED with code xval, or SIGNALED
    xval: Any
    errno: Any
    subreaper: Any
    cpos: Any  # place in its parent's children list, 0 first
    ident: Any  # index into ScenarioIR.named of the program it began as, or -1
    # the wait it sleeps in: its arguments, fixed at the call (kernel_wait4)
    wpid: Any
    wopt: Any
    # its address space: tasks with the same id share their `var`s (a vfork
    # child and its parent until the child execs or exits); each sharer
    # keeps a copy, and a store writes every live sharer's
    mm: Any
    vparent: Any  # CLONE_VFORK: the pid of the parent waiting for its exec or exit, 0 if none
    # Signals (None in a scenario without them): sets are 32-bit vectors,
    # bit sig-1 (sigmask()); the signal_struct fields are the task's own
    # (one thread per process). checker/kernel/state.py Task.
    blocked: Any = None
    pending: Any = None
    shared: Any = None
    gexit: Any = None  # Task.group_exit: GROUP_EXIT | the status the group dies with, 0 if none
    stop: Any = None  # stop_code not yet reported to WUNTRACED
    cont: Any = None  # CONT_REPORT | CONT_NOTIFY
    act: tuple[tuple[Any, Any], ...] = ()  # (handler code, sa_flags) per Layout.sigs
    phase: Any = None  # of the call it is in (Layout IN_CALL, RESTART, AGAIN)
    saved: Any = None  # the mask sigsuspend restores
    frames: tuple[Frame, ...] = ()  # Layout.frames entries, the first `nfr` in use
    nfr: Any = None
    # Clone and threads (None without them, Layout.threads). The group's
    # signal_struct fields (shared, gexit, stop, cont, subreaper), which
    # the explicit model keeps on the leader's entry, are held by every
    # task of the group alike (a write goes to all of them: group_put), and
    # the handler table by every task that shares it (same `sh`).
    tgid: Any = None
    exsig: Any = None  # the exit signal: SIGCHLD, another, 0 (none) or -1 (a thread)
    pexec: Any = None  # Task.parent_execed
    sh: Any = None  # its handler table: tasks with the same id share it (CLONE_SIGHAND)
    # pthread_join's bookkeeping in its address space: the tids of the
    # threads that ended and were not joined yet (0: an empty entry), kept
    # by every sharer as `mem` is
    ended: tuple[Any, ...] = ()

    def set(self, **changes: Any) -> Slot:
        return replace(self, **changes)


Fields = TypeVar("Fields", "Slot", "Frame")


@dataclass(frozen=True)
class Frame:
    """model.py Frame: what a handler's return restores."""

    pc: Any
    locals: tuple[Cell, ...]
    blocked: Any
    phase: Any  # the call it restarts: wopt NO_CALL for none
    wpid: Any
    wopt: Any
    sig: Any
    eintr: Any


@dataclass(frozen=True)
class Named:
    """PROG.X: 0 no task began as PROG yet, 1 task `pid` is it, 2 it was
    released and `locals`, `mem` are its last values."""

    kind: Any
    pid: Any
    locals: tuple[Cell, ...]
    mem: tuple[Cell, ...]


@dataclass(frozen=True)
class SState:
    slots: tuple[Slot, ...]
    last_pid: Any
    named: tuple[Named, ...]
    failed: Any  # a step failed (assert, arithmetic error, init ended): no step follows
    # the explicit model decides this run: a fork found no free slot (the
    # bound was wrong, an internal error), or an exec made `PROG.X`
    # ambiguous (a ModelError the explicit replay raises)
    lost: Any
    next_mm: Any  # the last address-space id given out


def _cells(prefix: str, sizes: tuple[int, ...]) -> tuple[Cell, ...]:
    return tuple(tuple(z3.Int(f"{prefix}{k}.{c}") for c in range(n)) for k, n in enumerate(sizes))


def fresh(lay: Layout, tag: str) -> SState:
    """A state of fresh constants, named after `tag` (the step number)."""
    slots = []
    for i in range(lay.slots):
        p = f"{tag}:{i}:"
        slots.append(
            Slot(
                alive=z3.Bool(p + "alive"),
                pid=z3.Int(p + "pid"),
                ppid=z3.Int(p + "ppid"),
                pgid=z3.Int(p + "pgid"),
                st=z3.BitVec(p + "st", CODE_BITS),
                prog=z3.Int(p + "prog"),
                pc=z3.BitVec(p + "pc", CODE_BITS),
                locals=_cells(p + "L", lay.locals),
                mem=_cells(p + "M", lay.mem),
                xkind=z3.Int(p + "xkind"),
                xval=z3.Int(p + "xval"),
                errno=z3.Int(p + "errno"),
                subreaper=z3.Bool(p + "subreaper"),
                cpos=z3.Int(p + "cpos"),
                ident=z3.Int(p + "ident"),
                wpid=z3.Int(p + "wpid"),
                wopt=z3.Int(p + "wopt"),
                mm=z3.Int(p + "mm"),
                vparent=z3.Int(p + "vparent"),
                **(_fresh_signals(lay, p) if lay.signals else {}),
                **(_fresh_threads(lay, p) if lay.threads else {}),
            )
        )
    named = tuple(
        Named(
            z3.Int(f"{tag}:named{j}:kind"),
            z3.Int(f"{tag}:named{j}:pid"),
            _cells(f"{tag}:named{j}:L", lay.locals),
            _cells(f"{tag}:named{j}:M", lay.mem),
        )
        for j in range(len(lay.named))
    )
    return SState(
        tuple(slots),
        z3.Int(f"{tag}:last_pid"),
        named,
        z3.Bool(f"{tag}:failed"),
        z3.Bool(f"{tag}:lost"),
        z3.Int(f"{tag}:next_mm"),
    )


def _fresh_signals(lay: Layout, p: str) -> dict[str, Any]:
    def frame(f: int) -> Frame:
        q = f"{p}F{f}."
        return Frame(
            pc=z3.BitVec(q + "pc", CODE_BITS),
            locals=_cells(q + "L", lay.locals),
            blocked=z3.BitVec(q + "blocked", SET_BITS),
            phase=z3.Int(q + "phase"),
            wpid=z3.Int(q + "wpid"),
            wopt=z3.Int(q + "wopt"),
            sig=z3.Int(q + "sig"),
            eintr=z3.Bool(q + "eintr"),
        )

    return dict(
        blocked=z3.BitVec(p + "blocked", SET_BITS),
        pending=z3.BitVec(p + "pending", SET_BITS),
        shared=z3.BitVec(p + "shared", SET_BITS),
        gexit=z3.Int(p + "gexit"),
        stop=z3.Int(p + "stop"),
        cont=z3.Int(p + "cont"),
        act=tuple((z3.Int(f"{p}act{sig}"), z3.Int(f"{p}flags{sig}")) for sig in lay.sigs),
        phase=z3.Int(p + "phase"),
        saved=z3.BitVec(p + "saved", SET_BITS),
        frames=tuple(frame(f) for f in range(lay.frames)),
        nfr=z3.Int(p + "nfr"),
    )


def _fresh_threads(lay: Layout, p: str) -> dict[str, Any]:
    return dict(
        tgid=z3.Int(p + "tgid"),
        exsig=z3.Int(p + "exsig"),
        pexec=z3.Bool(p + "pexec"),
        sh=z3.Int(p + "sh"),
        ended=tuple(z3.Int(f"{p}ended{k}") for k in range(lay.joins)),
    )


def _flat(x: Any, out: list[Any]) -> None:
    if x is None:
        return
    if isinstance(x, tuple):
        for y in x:
            _flat(y, out)
    elif isinstance(x, (Slot, Frame, Named)):
        for name in type(x).__dataclass_fields__:
            _flat(getattr(x, name), out)
    else:
        out.append(x)


def _rebuild(template: Any, it: Any) -> Any:
    if template is None:
        return None
    if isinstance(template, tuple):
        return tuple(_rebuild(y, it) for y in template)
    if isinstance(template, (Slot, Frame, Named)):
        kind = type(template)
        return kind(*(_rebuild(getattr(template, n), it) for n in kind.__dataclass_fields__))
    return next(it)


def ite_fields(c: Any, a: Fields, b: Fields) -> Fields:
    """If(c, a, b) of two slots (or handler frames), field by field (only
    where they differ)."""
    la: list[Any] = []
    lb: list[Any] = []
    _flat(a, la)
    _flat(b, lb)
    merged = [x if x is y else z3.If(c, x, y) for x, y in zip(la, lb, strict=True)]
    return _rebuild(b, iter(merged))


def ite_state(c: Any, a: SState, b: SState) -> SState:
    """If(c, a, b), field by field (only where they differ)."""
    la, lb = leaves(a), leaves(b)
    merged = [x if x is y else z3.If(c, x, y) for x, y in zip(la, lb, strict=True)]
    return from_leaves(b, merged)


def put(s: SState, i: int, slot: Slot) -> SState:
    return replace(s, slots=(*s.slots[:i], slot, *s.slots[i + 1 :]))


def ite_cells(c: Any, a: tuple[Cell, ...], b: tuple[Cell, ...]) -> tuple[Cell, ...]:
    return tuple(
        tuple(x if x is y else z3.If(c, x, y) for x, y in zip(ca, cb, strict=True))
        for ca, cb in zip(a, b, strict=True)
    )


def leaves(s: SState) -> list[Any]:
    """Every term of a state, in a fixed order (to equate two states)."""
    out: list[Any] = []
    _flat(s.slots, out)
    _flat(s.named, out)
    out += [s.last_pid, s.failed, s.lost, s.next_mm]
    return out


def from_leaves(template: SState, values: list[Any]) -> SState:
    """The state of `template`'s shape with these leaves (leaves' inverse)."""
    it = iter(values)
    slots = _rebuild(template.slots, it)
    named = _rebuild(template.named, it)
    last_pid, failed, lost, next_mm = next(it), next(it), next(it), next(it)
    return SState(slots, last_pid, named, failed, lost, next_mm)


# ------------------------------------------------------------ values


def value_cells(v: object, n: int) -> tuple[int, ...]:
    """The cells of an explicit value: None, an int or bool, or a Status."""
    if v is None:
        return (UNSET,) * n
    if isinstance(v, Status):
        kind, val = status_kind(v)
        return (v.pid, kind, val)[:n] if n == 3 else (v.pid,)
    assert isinstance(v, int)
    return (int(v),) + (0,) * (n - 1)


def status_kind(v: Status) -> tuple[int, int]:
    if v.exited:
        return EXITED, v.code
    if v.signaled:
        return SIGNALED, v.signal
    if v.stopped:
        return STOPPED, v.signal
    if v.continued:
        return CONTINUED, 0
    return NONE, 0


def status_value(pid: int, kind: int, val: int) -> Status:
    """The status record of cells (pid, kind, value): status_kind's inverse."""
    return Status(
        pid,
        kind == EXITED,
        val if kind == EXITED else 0,
        kind == SIGNALED,
        val if kind in (SIGNALED, STOPPED) else 0,
        kind == STOPPED,
        kind == CONTINUED,
    )


def decode_value(cells: tuple[int, ...], status: bool) -> object:
    if cells[0] == UNSET:
        return None
    if status:
        return status_value(*cells)
    return cells[0]


def raw_status(kind: Any, val: Any) -> Any:
    """A wait status from (EXITED, code) or (SIGNALED, signal)."""
    return z3.If(kind == EXITED, val * 256, val)


def split_status(raw: Any) -> tuple[Any, Any]:
    """raw_status's inverse (for the group exit code, a raw status)."""
    low = raw % 128
    exited = low == 0
    return (
        z3.simplify(z3.If(exited, z3.IntVal(EXITED), z3.IntVal(SIGNALED))),
        z3.simplify(z3.If(exited, (raw / 256) % 256, low)),
    )


# ------------------------------------------------------------ explicit side


def exit_kind(xstatus: int) -> tuple[int, int]:
    """(kind, value) of a zombie's raw wait status."""
    return status_kind(status_record(0, xstatus))


def call_cells(
    t: Task, calls: dict[int, tuple[int, int]], lay: Layout | None = None
) -> tuple[int, int]:
    """(Slot.wpid, Slot.wopt) of an explicit task: the wait it is in (its
    stored arguments, else those in `calls`), its vfork child, pause or
    sigsuspend, or none."""
    return _call_of(t.call, t.prog, t.pc, lay) if t.call else calls.get(t.pid, (0, NO_CALL))


def _call_of(call: tuple[int, ...], prog: int, pc: int, lay: Layout | None) -> tuple[int, int]:
    if len(call) == 1 or (lay is not None and lay.suspends and pc in lay.suspends[prog]):
        return 0, PAUSE_CALL  # (IN_CALL,) or (IN_CALL, saved mask): model.Kernel._pause
    if len(call) == 2 and lay is not None and lay.joins and pc in lay.join_pcs[prog]:
        return call[1], JOIN_CALL  # (IN_CALL, tid): model.Kernel._join
    if len(call) == 2:  # (IN_CALL, child): a vfork parent (model.Kernel._spawn)
        return call[1], VFORK_CALL
    return call[1], call[2]


def call_value(lay: Layout, prog: int, pc: int, phase: int, wpid: int, wopt: int, saved: int):
    """The explicit Task.call of the symbolic call cells (_call_of's inverse)."""
    if wopt == NO_CALL:
        return ()
    if wopt in (VFORK_CALL, JOIN_CALL):
        return (phase, wpid)
    if wopt == PAUSE_CALL:
        return (phase, saved) if pc in lay.suspends[prog] else (phase,)
    return (phase, wpid, wopt)


def handler_code(lay: Layout, prog: int, handler: str) -> int:
    if handler == SIG_DFL:
        return DFL
    if handler == SIG_IGN:
        return IGN
    return HANDLER + lay.handlers[prog].index(handler)


def handler_name(lay: Layout, prog: int, code_: int) -> str:
    if code_ == DFL:
        return SIG_DFL
    if code_ == IGN:
        return SIG_IGN
    return lay.handlers[prog][code_ - HANDLER]


def _encode_signals(lay: Layout, s: State, t: Task) -> dict[str, Any]:
    """The signal fields of an explicit task (one thread: its group's fields
    are its own)."""
    table = s.sighands[t.sighand] if t.sighand >= 0 else ()
    act = []
    for sig in lay.sigs:
        handler, flags = action(table, sig)
        act.append((z3.IntVal(handler_code(lay, t.prog, handler)), z3.IntVal(flags)))
    phase, saved = 0, 0
    if t.call:
        phase = t.call[0]
        if t.prog >= 0 and t.pc in lay.suspends[t.prog]:
            saved = t.call[1]
    frames = []
    for f in range(lay.frames):
        if f < len(t.frames):
            fr = t.frames[f]
            wpid, wopt = _call_of(fr.call, t.prog, fr.pc, lay) if fr.call else (0, NO_CALL)
            fphase = fr.call[0] if fr.call else 0
            frames.append(
                Frame(
                    code(fr.pc),
                    value_terms(lay.locals, fr.locals),
                    bits(fr.blocked),
                    z3.IntVal(fphase),
                    z3.IntVal(wpid),
                    z3.IntVal(wopt),
                    z3.IntVal(fr.signal),
                    z3.BoolVal(fr.eintr),
                )
            )
        else:
            frames.append(_empty_frame(lay))
    if len(t.frames) > lay.frames:
        raise ValueError(f"task {t.pid} has more handler frames than the layout's {lay.frames}")
    g = leader_of(s.tasks, t)  # the group's fields are on its leader's entry
    return dict(
        blocked=bits(t.blocked),
        pending=bits(t.pending),
        shared=bits(g.shared),
        gexit=z3.IntVal(g.group_exit),
        stop=z3.IntVal(g.stop_code),
        cont=z3.IntVal(g.continued),
        act=tuple(act),
        phase=z3.IntVal(phase),
        saved=bits(saved),
        frames=tuple(frames),
        nfr=z3.IntVal(len(t.frames)),
    )


def var_values(lay: Layout, mem: tuple[object, ...]) -> tuple[object, ...]:
    """An explicit address space's `var`s, without join's bookkeeping
    (model.Kernel keeps it after them when the scenario joins)."""
    return mem[:-1] if lay.joins and mem else mem


def ended_tids(lay: Layout, mem: tuple[object, ...]) -> tuple[int, ...]:
    """The threads ended and not joined yet that an address space records."""
    if not lay.joins or not mem:
        return ()
    ended = mem[-1]
    assert isinstance(ended, tuple)
    return tuple(sorted(ended))


def _encode_threads(lay: Layout, t: Task, mem: tuple[object, ...]) -> dict[str, Any]:
    ended = ended_tids(lay, mem)
    if len(ended) > lay.joins:
        raise ValueError(f"task {t.pid}: more unjoined threads than the layout's {lay.joins}")
    return dict(
        tgid=z3.IntVal(t.tgid),
        exsig=z3.IntVal(t.exit_signal),
        pexec=z3.BoolVal(t.parent_execed),
        # handler tables are numbered from 1 in the explicit order, 0: none
        sh=z3.IntVal(t.sighand + 1 if t.sighand != NO_SIGHAND else 0),
        ended=tuple(z3.IntVal(x) for x in ended + (0,) * (lay.joins - len(ended))),
    )


def dead_threads(lay: Layout) -> dict[str, Any]:
    """The thread fields of a free slot."""
    if not lay.threads:
        return {}
    zero = z3.IntVal(0)
    return dict(
        tgid=zero, exsig=zero, pexec=z3.BoolVal(False), sh=zero,
        ended=tuple(zero for _ in range(lay.joins)),
    )  # fmt: skip


def _empty_frame(lay: Layout) -> Frame:
    zero = z3.IntVal(0)
    return Frame(
        code(0), value_terms(lay.locals, ()), bits(0), zero, zero, z3.IntVal(NO_CALL), zero,
        z3.BoolVal(False),
    )  # fmt: skip


def dead_signals(lay: Layout) -> dict[str, Any]:
    """The signal fields of a task without signal state (a zombie, a free
    slot): Task's defaults."""
    if not lay.signals:
        return {}
    zero = z3.IntVal(0)
    return dict(
        blocked=bits(0),
        pending=bits(0),
        shared=bits(0),
        gexit=zero,
        stop=zero,
        cont=zero,
        act=tuple((z3.IntVal(DFL), zero) for _ in lay.sigs),
        phase=zero,
        saved=bits(0),
        frames=tuple(_empty_frame(lay) for _ in range(lay.frames)),
        nfr=zero,
    )


def encode(lay: Layout, s: State, calls: dict[int, tuple[int, int]] | None = None) -> SState:
    """An explicit state as a symbolic one made of constants (slot i holds
    the i-th task in pid order). `calls`: the wait each sleeping task is in,
    where the state does not store it (its arguments cannot change)."""
    calls = calls or {}
    slots = []
    for i in range(lay.slots):
        if i >= len(s.tasks):
            slots.append(_dead_slot(lay))
            continue
        t = s.tasks[i]
        parent = get(s.tasks, t.ppid)
        cpos = parent.children.index(t.pid) if parent and t.pid in parent.children else 0
        mem = s.mems[t.mm] if t.mm != NO_MM else ()
        xkind, xval = exit_kind(t.xstatus) if t.state == "Z" else (NONE, 0)
        call = call_cells(t, calls, lay)
        sigfields = _encode_signals(lay, s, t) if lay.signals else {}
        if lay.threads:
            sigfields.update(_encode_threads(lay, t, mem))
        slots.append(
            Slot(
                alive=z3.BoolVal(True),
                pid=z3.IntVal(t.pid),
                ppid=z3.IntVal(t.ppid),
                pgid=z3.IntVal(t.pgid),
                st=code(STATE_CODES[t.state]),
                prog=z3.IntVal(t.prog),
                pc=code(t.pc),
                locals=value_terms(lay.locals, t.locals),
                mem=value_terms(lay.mem, var_values(lay, mem)),
                xkind=z3.IntVal(xkind),
                xval=z3.IntVal(xval),
                errno=z3.IntVal(t.errno),
                subreaper=z3.BoolVal(leader_of(s.tasks, t).subreaper),
                cpos=z3.IntVal(cpos),
                ident=z3.IntVal(t.ident),
                wpid=z3.IntVal(call[0]),
                wopt=z3.IntVal(call[1]),
                # address spaces are numbered from 1 in the explicit order
                mm=z3.IntVal(t.mm + 1 if t.mm != NO_MM else 0),
                vparent=z3.IntVal(t.vfork_parent),
                **sigfields,
            )
        )
    named = []
    for entry in s.named:
        # not begun (0), the pid of the task that began as PROG (1), or its
        # last values once released (2)
        snap: tuple[tuple[object, ...], tuple[object, ...]] = ((), ())
        if entry is None:
            kind, pid = 0, 0
        elif isinstance(entry, int):
            kind, pid = 1, entry
        else:
            kind, pid = 2, 0
            snap = cast(tuple[tuple[object, ...], tuple[object, ...]], entry)
        named.append(
            Named(
                z3.IntVal(kind),
                z3.IntVal(pid),
                value_terms(lay.locals, snap[0]),
                value_terms(lay.mem, var_values(lay, snap[1])),
            )
        )
    return SState(
        tuple(slots),
        z3.IntVal(s.last_pid),
        tuple(named),
        z3.BoolVal(False),
        z3.BoolVal(False),
        # the last id given out: of an address space, or of a handler table
        z3.IntVal(max(len(s.mems), len(s.sighands)) if lay.threads else len(s.mems)),
    )


def value_terms(sizes: tuple[int, ...], values: tuple[object, ...]) -> tuple[Cell, ...]:
    """Explicit values (missing ones unset) as the cells of a layout."""
    out = []
    for k, n in enumerate(sizes):
        v = values[k] if k < len(values) else None
        out.append(tuple(z3.IntVal(c) for c in value_cells(v, n)))
    return tuple(out)


def _dead_slot(lay: Layout) -> Slot:
    zero = z3.IntVal(0)
    return Slot(
        alive=z3.BoolVal(False),
        pid=zero,
        ppid=zero,
        pgid=zero,
        st=code(0),
        prog=zero,
        pc=code(0),
        locals=value_terms(lay.locals, ()),
        mem=value_terms(lay.mem, ()),
        xkind=zero,
        xval=zero,
        errno=zero,
        subreaper=z3.BoolVal(False),
        cpos=zero,
        ident=z3.IntVal(-1),
        wpid=zero,
        wopt=z3.IntVal(NO_CALL),
        mm=zero,
        vparent=zero,
        **dead_signals(lay),
        **dead_threads(lay),
    )


# ------------------------------------------------------------ projections


def _norm(values: tuple[object, ...]) -> tuple[object, ...]:
    """Values as the symbolic side reads them back: a bool is its integer."""
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


def project(lay: Layout, s: State) -> tuple[object, ...]:
    """What both engines must agree on in an explicit state."""
    tasks = []
    for t in s.tasks:
        sharer = min((x.pid for x in s.tasks if x.state != "Z" and x.mm == t.mm), default=0)
        mem = var_values(lay, s.mems[t.mm] if t.mm != NO_MM else ())
        exit_ = exit_kind(t.xstatus) if t.state == "Z" else None
        tasks.append(
            (
                t.pid,
                t.ppid,
                t.pgid,
                t.state,
                t.prog,
                t.pc,
                _norm(t.locals),
                _norm(mem),
                exit_,
                t.errno,
                leader_of(s.tasks, t).subreaper,
                t.children,
                t.ident,
                sharer if t.state != "Z" else 0,  # the first task of its address space
                t.vfork_parent,
                _signal_row(lay, s, t) if lay.signals else (),
                _thread_row(lay, s, t) if lay.threads else (),
            )
        )
    return (tuple(tasks), s.last_pid, _norm_named(lay, s.named))


def _thread_row(lay: Layout, s: State, t: Task) -> tuple[object, ...]:
    live = [x for x in s.tasks if x.state != "Z"]
    sharer = min((x.pid for x in live if x.sighand == t.sighand), default=0)
    mem = s.mems[t.mm] if t.mm != NO_MM and t.state != "Z" else ()
    return (
        t.tgid,
        t.exit_signal,
        t.parent_execed,
        sharer if t.state != "Z" else 0,  # the first task of its handler table
        ended_tids(lay, mem),
    )


def _signal_row(lay: Layout, s: State, t: Task) -> tuple[object, ...]:
    table = s.sighands[t.sighand] if t.sighand >= 0 else ()
    frames = tuple((f.pc, _norm(f.locals), f.blocked, f.call, f.signal, f.eintr) for f in t.frames)
    g = leader_of(s.tasks, t)
    return (
        t.blocked,
        t.pending,
        g.shared,
        g.group_exit,
        g.stop_code,
        g.continued,
        tuple(action(table, sig) for sig in lay.sigs),
        t.call,
        frames,
    )


def _norm_named(lay: Layout, named: tuple[object, ...]) -> tuple[object, ...]:
    out: list[object] = []
    for entry in named:
        if entry is None or isinstance(entry, int):
            out.append(entry)
        else:
            snap_locals, snap_mem = cast(tuple[tuple[object, ...], tuple[object, ...]], entry)
            out.append((_norm(snap_locals), _norm(var_values(lay, snap_mem))))
    return tuple(out)


def project_model(
    lay: Layout, scenario_programs: tuple[Any, ...], m: z3.ModelRef, s: SState
) -> tuple[object, ...]:
    """The same projection, of a symbolic state in a Z3 model."""

    def num(x: Any) -> int:
        return m.eval(x, model_completion=True).as_long()

    def truth(x: Any) -> bool:
        return z3.is_true(m.eval(x, model_completion=True))

    def values(cells: tuple[Cell, ...], count: int, status: frozenset[int]) -> tuple[object, ...]:
        out = []
        for k in range(count):
            raw = tuple(num(c) for c in cells[k])
            out.append(decode_value(raw if k in status else raw[:1], k in status))
        return tuple(out)

    def snum(x: Any) -> int:
        return m.eval(x, model_completion=True).as_signed_long()

    def frame_values(cells: tuple[Cell, ...], prog: int, pc: int) -> tuple[object, ...]:
        """The locals of the frame running at pc (the program's own if -1)."""
        if pc < 0 or not lay.pc_locals:
            count = len(scenario_programs[prog].local_names)
            return values(cells, count, lay.status_locals[prog])
        return values(cells, lay.pc_locals[prog][pc], lay.pc_status[prog][pc])

    def signal_row(sl: Slot, prog: int, pc: int) -> tuple[object, ...]:
        frames = []
        for f in sl.frames[: num(sl.nfr)]:
            fpc = snum(f.pc)
            fcall = call_value(lay, prog, fpc, num(f.phase), num(f.wpid), num(f.wopt), 0)
            frames.append(
                (
                    fpc,
                    frame_values(f.locals, prog, fpc),
                    num(f.blocked),
                    fcall,
                    num(f.sig),
                    truth(f.eintr),
                )
            )
        call = ()
        if pc >= 0:
            call = call_value(
                lay, prog, pc, num(sl.phase), num(sl.wpid), num(sl.wopt), num(sl.saved)
            )
        return (
            num(sl.blocked),
            num(sl.pending),
            num(sl.shared),
            num(sl.gexit),
            num(sl.stop),
            num(sl.cont),
            tuple((handler_name(lay, prog, num(h)), num(fl)) for h, fl in sl.act),
            call,
            tuple(frames),
        )

    def thread_row(sl: Slot, st: str) -> tuple[object, ...]:
        zombie = st == "Z"
        tables = [num(x.pid) for x in live if snum(x.st) != Z and num(x.sh) == num(sl.sh)]
        ended = () if zombie else tuple(sorted(x for x in (num(e) for e in sl.ended) if x))
        return (
            num(sl.tgid),
            num(sl.exsig),
            truth(sl.pexec),
            0 if zombie else min(tables),
            ended,
        )

    Z = STATE_CODES["Z"]
    live = [sl for sl in s.slots if truth(sl.alive)]
    # a thread is on no children list: only group leaders are
    links = [
        (num(sl.pid), num(sl.ppid), num(sl.cpos))
        for sl in live
        if not lay.threads or num(sl.pid) == num(sl.tgid)
    ]
    running = [(num(sl.pid), num(sl.mm)) for sl in live if snum(sl.st) != Z]
    rows = []
    for sl in live:
        pid, ppid = num(sl.pid), num(sl.ppid)
        prog, st = num(sl.prog), STATE_LETTERS[snum(sl.st)]
        children = sorted((cpos, cpid) for cpid, cparent, cpos in links if cparent == pid)
        if prog >= 0:
            p = scenario_programs[prog]
            zombie = st == "Z"
            keep = not zombie or lay.keep_zombie_values
            locs = frame_values(sl.locals, prog, snum(sl.pc) if st != "Z" else -1) if keep else ()
            mem = values(sl.mem, len(p.var_names), lay.status_mem[prog]) if keep else ()
        else:
            locs, mem = (), ()
        exit_ = (num(sl.xkind), num(sl.xval)) if st == "Z" else None
        rows.append(
            (
                pid,
                ppid,
                num(sl.pgid),
                st,
                prog,
                snum(sl.pc) if st != "Z" else -1,
                locs,
                mem,
                exit_,
                num(sl.errno),
                truth(sl.subreaper),
                tuple(c for _, c in children),
                num(sl.ident),
                min(p for p, mm in running if mm == num(sl.mm)) if st != "Z" else 0,
                num(sl.vparent),
                signal_row(sl, prog, snum(sl.pc) if st != "Z" else -1) if lay.signals else (),
                thread_row(sl, st) if lay.threads else (),
            )
        )
    rows.sort(key=lambda r: r[0])
    named: list[object] = []
    for j, n in enumerate(s.named):
        kind = num(n.kind)
        if kind == 0:
            named.append(None)
        elif kind == 1:
            named.append(num(n.pid))
        else:
            p = scenario_programs[lay.named[j]]
            named.append(
                (
                    values(n.locals, len(p.local_names), lay.status_locals[p.index]),
                    values(n.mem, len(p.var_names), lay.status_mem[p.index]),
                )
            )
    return (tuple(rows), num(s.last_pid), tuple(named))
