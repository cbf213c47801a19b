"""IR expressions compiled to Z3 terms, the symbolic counterpart of
checker/lang/pyexpr.py (program code) and checker/props/compile.py
(properties): the same trees, the same C `long` arithmetic.

A compiled expression is a Z3 Int or Bool, or a status record (a tuple of
three Ints: pid, kind, value). What makes the explicit engine raise is
collected instead: `errors` (EvalError: overflow, division by zero) and
`unset` (Unset: a property reads a value the state does not have), each a
list of Z3 conditions under which that happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.layout import (
    CONTINUED,
    EXITED,
    SIGNALED,
    STATE_CODES,
    STOPPED,
    UNSET,
    Layout,
)
from checker.engines.symbolic.sstate import Cell, Slot, SState
from checker.lang import constants, ir
from checker.lang.constants import INT_MIN, LONG_MAX, LONG_MIN

Value = Any  # z3 ArithRef | BoolRef | tuple[ArithRef, ArithRef, ArithRef]


def as_int(v: Value) -> Any:
    if isinstance(v, tuple):
        return v[0]
    if z3.is_bool(v):
        return z3.If(v, z3.IntVal(1), z3.IntVal(0))
    return v


def as_bool(v: Value) -> Any:
    if z3.is_bool(v):
        return v
    return as_int(v) != 0


def const_of(v: Any) -> int | None:
    """The Python integer an Int term simplifies to, if it is a constant."""
    s = z3.simplify(v)
    return s.as_long() if z3.is_int_value(s) else None


def bitwise(op: str, a: Any, b: Any) -> Any:
    """`a | b`, `a & b` on two's-complement 64-bit values (folded when both
    sides are constants, the usual case: flags)."""
    ca, cb = const_of(a), const_of(b)
    if ca is not None and cb is not None:
        return z3.IntVal(ca | cb if op == "|" else ca & cb)
    x, y = z3.Int2BV(a, 64), z3.Int2BV(b, 64)
    r = x | y if op == "|" else x & y
    u = z3.BV2Int(r)
    return z3.If(u >= 2**63, u - 2**64, u)


def low_bits(a: Any, bits: int) -> Any:
    """a & (2**bits - 1), as a non-negative integer."""
    c = const_of(a)
    if c is not None:
        return z3.IntVal(c & (2**bits - 1))
    return a % (2**bits)


def c_int(a: Any) -> Any:
    """checker.lang.constants.c_int: the low 32 bits, signed."""
    c = const_of(a)
    if c is not None:
        return z3.IntVal(constants.c_int(c))
    return ((a - INT_MIN) % 2**32) + INT_MIN


def has_bit(a: Any, bit: int) -> Any:
    c = const_of(a)
    if c is not None:
        return z3.BoolVal(bool(c & bit))
    return (a / bit) % 2 == 1


@dataclass
class Ctx:
    """Where an expression is evaluated: the state, and for program code
    the running task, its locals and its address space."""

    state: SState
    lay: Layout
    me: Slot | None = None
    L: tuple[Cell, ...] = ()
    M: tuple[Cell, ...] = ()
    bound: dict[str, Slot] = field(default_factory=dict)
    errors: list[Any] = field(default_factory=list)
    unset: list[Any] = field(default_factory=list)
    # conditions under which the expression being compiled is evaluated at
    # all: the left sides of the `&&`, `||` and `->` around it (Python's
    # short-circuit, which decides whether the explicit engine raises)
    guards: list[Any] = field(default_factory=list)


def _ck(ctx: Ctx, v: Any) -> Any:
    ctx.errors.append(z3.And(ctx_guard(ctx), z3.Or(v < LONG_MIN, v > LONG_MAX)))
    return v


def _abs(v: Any) -> Any:
    return z3.If(v >= 0, v, -v)


def lookup(state: SState, pid: Any, get: Callable[[Slot], Any], default: Any) -> Any:
    """A field of the live task with this pid, or `default` if none."""
    out = default
    for sl in reversed(state.slots):
        out = z3.If(z3.And(sl.alive, sl.pid == pid), get(sl), out)
    return out


def exists_pid(state: SState, pid: Any) -> Any:
    return z3.Or([z3.And(sl.alive, sl.pid == pid) for sl in state.slots])


def tgid(sl: Slot) -> Any:
    """The task's thread group: its pid where no task can be a thread."""
    return sl.pid if sl.tgid is None else sl.tgid


def getppid(state: SState, me: Slot) -> Any:
    """kernel/sys.c getppid: the tgid of the real parent (its pid where no
    task can be a thread), or the number itself if no task has it; 0 for init."""
    if me.tgid is None:
        return me.ppid
    return lookup(state, me.ppid, lambda sl: sl.tgid, me.ppid)


def term(e: ir.Expr, ctx: Ctx) -> Value:
    if isinstance(e, ir.Const):
        if isinstance(e.value, bool):
            return z3.BoolVal(e.value)
        if isinstance(e.value, str):
            return z3.IntVal(STATE_CODES[e.value])
        return z3.IntVal(e.value)
    if isinstance(e, ir.Local):
        cell = ctx.L[e.slot]
        return cell if len(cell) == 3 else cell[0]
    if isinstance(e, ir.Var):
        cell = ctx.M[e.slot]
        return cell if len(cell) == 3 else cell[0]
    if isinstance(e, ir.Errno):
        assert ctx.me is not None
        return ctx.me.errno
    if isinstance(e, ir.SelfQuery):
        assert ctx.me is not None
        if e.func == "gettid":
            return ctx.me.pid
        if e.func == "getpid":
            return tgid(ctx.me)
        return getppid(ctx.state, ctx.me)
    if isinstance(e, ir.StatusField):
        rec = term(e.obj, ctx)
        assert isinstance(rec, tuple)
        return status_field(rec, e.name)
    if isinstance(e, ir.Unary):
        v = term(e.operand, ctx)
        if e.op == "-":
            return _ck(ctx, -as_int(v))
        return z3.Not(as_bool(v))
    if isinstance(e, ir.Binary):
        return _binary(e, ctx)
    if isinstance(e, ir.ProgramRef):
        return z3.IntVal(e.index)
    if isinstance(e, ir.Bound):
        raise AssertionError("a bound task is read through its fields")
    if isinstance(e, ir.TaskField):
        return task_field(_task(e.task, ctx), e.name, ctx)
    if isinstance(e, ir.TaskVar):
        return task_var(_task(e.task, ctx), e, ctx)
    if isinstance(e, ir.NamedVar):
        return named_var(e, ctx)
    if isinstance(e, ir.Quantified):
        return _quantified(e, ctx)
    raise AssertionError(f"cannot encode {e!r}")


def status_field(rec: tuple[Any, Any, Any], name: str) -> Any:
    pid, kind, val = rec
    if name == "pid":
        return pid
    if name == "exited":
        return kind == EXITED
    if name == "code":
        return z3.If(kind == EXITED, val, 0)
    if name == "signaled":
        return kind == SIGNALED
    if name == "signal":
        return z3.If(z3.Or(kind == SIGNALED, kind == STOPPED), val, 0)
    if name == "stopped":
        return kind == STOPPED
    if name == "continued":
        return kind == CONTINUED
    raise AssertionError(name)


def _binary(e: ir.Binary, ctx: Ctx) -> Value:
    op = e.op
    if op in ("&&", "||", "->"):
        x = as_bool(term(e.left, ctx))
        ctx.guards.append(z3.Not(x) if op == "||" else x)
        y = as_bool(term(e.right, ctx))
        ctx.guards.pop()
        if op == "&&":
            return z3.And(x, y)
        if op == "||":
            return z3.Or(x, y)
        return z3.Implies(x, y)
    a, b = term(e.left, ctx), term(e.right, ctx)
    if op in ("==", "!="):
        if z3.is_bool(a) and z3.is_bool(b):
            eq = a == b
        elif isinstance(a, tuple) and isinstance(b, tuple):
            eq = z3.And([x == y for x, y in zip(a, b, strict=True)])
        else:
            eq = as_int(a) == as_int(b)
        return eq if op == "==" else z3.Not(eq)
    x, y = as_int(a), as_int(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    if op == ">=":
        return x >= y
    if op == "+":
        return _ck(ctx, x + y)
    if op == "-":
        return _ck(ctx, x - y)
    if op == "*":
        return _ck(ctx, x * y)
    if op in ("/", "%"):
        ctx.errors.append(z3.And(ctx_guard(ctx), y == 0))
        safe = z3.If(y == 0, z3.IntVal(1), y)
        if op == "/":
            q = _abs(x) / _abs(safe)
            return _ck(ctx, z3.If((x >= 0) == (safe >= 0), q, -q))
        r = _abs(x) % _abs(safe)
        return z3.If(x >= 0, r, -r)
    if op in ("|", "&"):
        return bitwise(op, x, y)
    raise AssertionError(op)


# ------------------------------------------------------------ properties


def _task(e: ir.Expr, ctx: Ctx) -> Slot:
    assert isinstance(e, ir.Bound), e
    return ctx.bound[e.name]


def task_field(t: Slot, name: str, ctx: Ctx) -> Any:
    """checker/props/compile.py _taskfield."""
    if name == "pid":
        return t.pid
    if name == "tgid":
        return tgid(t)
    if name == "ppid":
        return getppid(ctx.state, t)
    if name == "state":
        return z3.BV2Int(t.st)
    if name == "program":
        return t.prog
    if name == "exit_code":
        return z3.If(z3.And(t.st == STATE_CODES["Z"], t.xkind == EXITED), t.xval, 0)
    if name == "subreaper":
        return t.subreaper
    raise AssertionError(name)


def _read(cell: Cell, status: bool, ctx: Ctx, guard: Any) -> Value:
    ctx.unset.append(z3.And(guard, cell[0] == UNSET))
    return cell if status else cell[0]


def task_var(t: Slot, e: ir.TaskVar, ctx: Ctx) -> Value:
    """`T.X`: X of whatever program T runs; unset if it has none."""
    lay = ctx.lay
    status = any(
        slot in (lay.status_locals if kind == "local" else lay.status_mem)[prog]
        for prog, kind, slot in e.slots
    )
    keep = z3.Or(t.st != STATE_CODES["Z"], z3.BoolVal(lay.keep_zombie_values))
    out: Value = (z3.IntVal(UNSET),) * 3 if status else z3.IntVal(UNSET)
    known = []
    for prog, kind, slot in reversed(e.slots):
        cell = (t.locals if kind == "local" else t.mem)[slot]
        here = t.prog == prog
        known.append(here)
        v = _read(cell, status, ctx, z3.And(ctx_guard(ctx), here, keep))
        out = (
            tuple(z3.If(here, a, b) for a, b in zip(v, out, strict=True))
            if status
            else z3.If(here, v, out)
        )
    ctx.unset.append(z3.And(ctx_guard(ctx), z3.Not(z3.And(z3.Or(known), keep))))
    return out


def ctx_guard(ctx: Ctx) -> Any:
    """When the expression being compiled is evaluated: inside a
    quantifier, for live tasks; on the right of `&&`, when the left held."""
    parts = [sl.alive for sl in ctx.bound.values()] + ctx.guards
    return z3.And(parts) if parts else z3.BoolVal(True)


def named_var(e: ir.NamedVar, ctx: Ctx) -> Value:
    """`PROG.X`: checker/props/compile.py _named."""
    n = ctx.state.named[e.named]
    status = (
        e.slot
        in (ctx.lay.status_locals if e.kind == "local" else ctx.lay.status_mem)[
            ctx.lay.named[e.named]
        ]
    )

    cell = (n.locals if e.kind == "local" else n.mem)[e.slot]  # its last values, once released
    for sl in reversed(ctx.state.slots):
        live_cell = (sl.locals if e.kind == "local" else sl.mem)[e.slot]
        here = z3.And(n.kind == 1, sl.alive, sl.pid == n.pid)
        cell = tuple(z3.If(here, a, b) for a, b in zip(live_cell, cell, strict=True))
    g = ctx_guard(ctx)
    ctx.unset.append(z3.And(g, n.kind == 0))
    ctx.unset.append(z3.And(g, n.kind != 0, cell[0] == UNSET))
    return cell if status else cell[0]


def _quantified(e: ir.Quantified, ctx: Ctx) -> Value:
    parts = []
    for sl in ctx.state.slots:
        inner = Ctx(
            ctx.state,
            ctx.lay,
            ctx.me,
            ctx.L,
            ctx.M,
            {**ctx.bound, e.var: sl},
            ctx.errors,
            ctx.unset,
            ctx.guards,
        )
        parts.append((sl.alive, term(e.body, inner)))
    if e.kind == "forall":
        return z3.And([z3.Implies(a, as_bool(b)) for a, b in parts])
    if e.kind == "exists":
        return z3.Or([z3.And(a, as_bool(b)) for a, b in parts])
    return z3.Sum([z3.If(z3.And(a, as_bool(b)), 1, 0) for a, b in parts])


def property_term(e: ir.Expr, state: SState, lay: Layout) -> tuple[Any, Any, Any]:
    """A property over a state: (value as Bool, some value is unset, an
    arithmetic error)."""
    ctx = Ctx(state, lay)
    v = as_bool(term(e, ctx))
    return (
        v,
        z3.Or(ctx.unset) if ctx.unset else z3.BoolVal(False),
        (z3.Or(ctx.errors) if ctx.errors else z3.BoolVal(False)),
    )


def eligible_pid(upid: Any, waiter_pgid: Any, child: Slot) -> Any:
    """kernel/exit.c eligible_pid (pids.py)."""
    return z3.Or(
        upid == -1,
        z3.And(upid > 0, child.pid == upid),
        z3.And(upid == 0, child.pgid == waiter_pgid),
        z3.And(upid < -1, child.pgid == -upid),
    )
