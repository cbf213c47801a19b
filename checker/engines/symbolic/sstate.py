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
from typing import Any, cast

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.layout import (
    CONTINUED,
    EXITED,
    NO_CALL,
    NONE,
    SIGNALED,
    STATE_CODES,
    STATE_LETTERS,
    STOPPED,
    UNSET,
    VFORK_CALL,
    Layout,
)
from checker.kernel.state import NO_MM, State, Task, get
from checker.kernel.wait import Status, status_record

Cell = tuple[Any, ...]  # the Z3 terms of one value: 1 cell, or 3 for a status record
CODE_BITS = 16  # pcs and task states are small bit-vectors: cheaper for the solver than Ints


def code(v: int) -> Any:
    return z3.BitVecVal(v, CODE_BITS)


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

    def set(self, **changes: Any) -> Slot:
        return replace(self, **changes)


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


def leaves(s: SState) -> list[Any]:
    """Every term of a state, in a fixed order (to equate two states)."""
    out: list[Any] = []
    for sl in s.slots:
        out += [sl.alive, sl.pid, sl.ppid, sl.pgid, sl.st, sl.prog, sl.pc]
        out += [c for cell in sl.locals + sl.mem for c in cell]
        out += [sl.xkind, sl.xval, sl.errno, sl.subreaper, sl.cpos, sl.ident, sl.wpid, sl.wopt]
        out += [sl.mm, sl.vparent]
    for n in s.named:
        out += [n.kind, n.pid] + [c for cell in n.locals + n.mem for c in cell]
    out += [s.last_pid, s.failed, s.lost, s.next_mm]
    return out


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


# ------------------------------------------------------------ explicit side


def exit_kind(xstatus: int) -> tuple[int, int]:
    """(kind, value) of a zombie's raw wait status."""
    return status_kind(status_record(0, xstatus))


def call_cells(t: Task, calls: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(Slot.wpid, Slot.wopt) of an explicit task: the wait it is in (its
    stored arguments, else those in `calls`), its vfork child, or none."""
    if len(t.call) == 2:  # (IN_CALL, child): a vfork parent (model.Kernel._spawn)
        return t.call[1], VFORK_CALL
    if t.call:
        return t.call[1], t.call[2]
    return calls.get(t.pid, (0, NO_CALL))


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
        call = call_cells(t, calls)
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
                mem=value_terms(lay.mem, mem),
                xkind=z3.IntVal(xkind),
                xval=z3.IntVal(xval),
                errno=z3.IntVal(t.errno),
                subreaper=z3.BoolVal(t.subreaper),
                cpos=z3.IntVal(cpos),
                ident=z3.IntVal(t.ident),
                wpid=z3.IntVal(call[0]),
                wopt=z3.IntVal(call[1]),
                # address spaces are numbered from 1 in the explicit order
                mm=z3.IntVal(t.mm + 1 if t.mm != NO_MM else 0),
                vparent=z3.IntVal(t.vfork_parent),
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
                value_terms(lay.mem, snap[1]),
            )
        )
    return SState(
        tuple(slots),
        z3.IntVal(s.last_pid),
        tuple(named),
        z3.BoolVal(False),
        z3.BoolVal(False),
        z3.IntVal(len(s.mems)),
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
        mem = s.mems[t.mm] if t.mm != NO_MM else ()
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
                t.subreaper,
                t.children,
                t.ident,
                sharer if t.state != "Z" else 0,  # the first task of its address space
                t.vfork_parent,
            )
        )
    return (tuple(tasks), s.last_pid, _norm_named(s.named))


def _norm_named(named: tuple[object, ...]) -> tuple[object, ...]:
    out: list[object] = []
    for entry in named:
        if entry is None or isinstance(entry, int):
            out.append(entry)
        else:
            snap_locals, snap_mem = cast(tuple[tuple[object, ...], tuple[object, ...]], entry)
            out.append((_norm(snap_locals), _norm(snap_mem)))
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

    live = [sl for sl in s.slots if truth(sl.alive)]
    links = [(num(sl.pid), num(sl.ppid), num(sl.cpos)) for sl in live]
    running = [(num(sl.pid), num(sl.mm)) for sl in live if snum(sl.st) != STATE_CODES["Z"]]
    rows = []
    for sl, (pid, ppid, _) in zip(live, links, strict=True):
        prog, st = num(sl.prog), STATE_LETTERS[snum(sl.st)]
        children = sorted((cpos, cpid) for cpid, cparent, cpos in links if cparent == pid)
        if prog >= 0:
            p = scenario_programs[prog]
            zombie = st == "Z"
            keep = not zombie or lay.keep_zombie_values
            locs = values(sl.locals, len(p.local_names), lay.status_locals[prog]) if keep else ()
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
