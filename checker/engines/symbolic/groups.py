"""Thread groups as Z3 terms: which slots are one process, the order the
kernel walks a group's threads in, and writes to what a group shares.

Where the scenario creates no thread or clone (Layout.threads false) a
slot has no `tgid` and every group is the slot alone: these helpers then
name that slot only, statically, so no term is built for the others.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.layout import STATE_CODES
from checker.engines.symbolic.sstate import Slot, SState, code

TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)
Z = code(STATE_CODES["Z"])


def members(s: SState, i: int) -> list[tuple[int, Any]]:
    """The slots of slot i's thread group (zombie leader included), each
    with the condition that it is one: (k, cond)."""
    me = s.slots[i]
    if me.tgid is None:
        return [(i, TRUE)]
    return [
        (k, TRUE if k == i else z3.And(sl.alive, sl.tgid == me.tgid))
        for k, sl in enumerate(s.slots)
    ]


def others_alive(s: SState, i: int) -> Any:
    """Another thread of slot i's group is in the table (a zombie leader
    counts): exit.py do_exit `others`."""
    return z3.Or([g for k, g in members(s, i) if k != i] or [FALSE])


def alone(s: SState, k: int) -> Any:
    """No other task shares slot k's thread group (state.other_threads empty)."""
    return z3.Not(others_alive(s, k))


def group_put(s: SState, i: int, **fields: Any) -> SState:
    """Set signal_struct fields (shared, gexit, stop, cont, subreaper) on
    every task of slot i's group, which all hold them alike."""
    slots = list(s.slots)
    for k, g in members(s, i):
        sl = slots[k]
        if k == i:
            slots[k] = sl.set(**fields)
        else:
            slots[k] = sl.set(**{n: z3.If(g, v, getattr(sl, n)) for n, v in fields.items()})
    return replace(s, slots=tuple(slots))


def list_key(sl: Slot) -> Any:
    """Place in its group's thread list: the leader first, then by pid
    (state.thread_list, the model's stand-in for creation order)."""
    if sl.tgid is None:
        return z3.IntVal(0)
    return z3.If(sl.pid == sl.tgid, z3.IntVal(0), sl.pid)


def first_of(s: SState, marked: list[Any]) -> list[Any]:
    """Of the marked slots (of one group), the first in thread-list order."""
    return [
        z3.And(
            mj,
            *[
                z3.Not(z3.And(mk, list_key(sk) < list_key(sj)))
                for k, (mk, sk) in enumerate(zip(marked, s.slots, strict=True))
                if k != j
            ],
        )
        for j, (mj, sj) in enumerate(zip(marked, s.slots, strict=True))
    ]


def alive_thread(s: SState, tgid: Any, exiting: Any) -> list[Any]:
    """exit.py find_alive_thread: per slot, whether it is the first thread
    of group `tgid` (in list order) that is neither `exiting` (a pid) nor
    a zombie."""
    marked = [
        z3.And(
            sl.alive,
            sl.pid != exiting,
            sl.st != Z,
            sl.pid == tgid if sl.tgid is None else sl.tgid == tgid,
        )
        for sl in s.slots
    ]
    return first_of(s, marked)


def pick(conds: list[Any], values: list[Any], default: Any) -> Any:
    """The value of the slot whose condition holds (at most one does)."""
    out = default
    for c, v in zip(reversed(conds), reversed(values), strict=True):
        out = z3.If(c, v, out)
    return out


def group_of_all(s: SState, j: int) -> list[tuple[int, Any]]:
    """members(), with every slot listed (False for those statically out)."""
    got = dict(members(s, j))
    return [(k, got.get(k, FALSE)) for k in range(len(s.slots))]


def rotation(p: Slot, a: Slot, b: Slot) -> Any:
    """Thread a comes before thread b in the walk of p's group that starts
    after p and wraps round (complete_signal; wait's while_each_thread)."""
    ka, kb, kp = list_key(a), list_key(b), list_key(p)
    wrap_a, wrap_b = ka <= kp, kb <= kp
    return z3.Or(z3.And(z3.Not(wrap_a), wrap_b), z3.And(wrap_a == wrap_b, ka < kb))
