"""IR expressions as Z3 terms, with the run-time arithmetic of pyexpr.

The static checks (checker/lang/flagcheck.py) ask questions about every value
an expression can take ("can these flags ever be valid?"), and a symbolic
engine will ask the same kind of question about whole paths. Both must agree
with the explicit engine, so this translation follows checker/lang/pyexpr.py
exactly: integers are C `long`s (64-bit two's complement bit-vectors), `/`
and `%` truncate toward zero (bvsdiv, bvsrem), and where pyexpr raises
EvalError (an overflow, a division by zero) the term's `defined` condition is
false. `&&`, `||` and `->` evaluate their right side only when pyexpr does, so
an error there counts only on those paths.

Locals and `var`s are whatever Z3 bit-vectors the caller maps their
(ir.LOCAL or ir.VAR, slot) to; anything else that reads the kernel's state
(task fields, status records, errno, getpid()) raises Unsupported, and the
caller treats the expression's value as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import z3  # type: ignore[import-untyped]

from checker.lang import ir

WIDTH = 64  # x86-64 `long`, pyexpr's LONG_MIN..LONG_MAX

Slot = tuple[int, int]  # (ir.LOCAL or ir.VAR, slot number), as in ir.Ref


class Unsupported(Exception):
    """An expression this translation does not cover; its value is unknown."""


@dataclass(frozen=True, slots=True)
class Term:
    """An expression's value (a 64-bit BitVecRef for an integer, a BoolRef
    for a truth value) and when evaluating it raises no EvalError."""

    value: z3.ExprRef
    defined: z3.BoolRef


def slot_of(e: ir.Local | ir.Var) -> Slot:
    return (ir.LOCAL if isinstance(e, ir.Local) else ir.VAR, e.slot)


def reads(e: ir.Expr) -> dict[Slot, str]:
    """The locals and `var`s an expression reads, with their names, in the
    order they first appear."""
    out: dict[Slot, str] = {}
    for sub in ir.walk(e):
        if isinstance(sub, (ir.Local, ir.Var)):
            out.setdefault(slot_of(sub), sub.name)
    return out


def bv(value: int) -> z3.BitVecRef:
    """A constant 64-bit bit-vector (a negative value in two's complement)."""
    return z3.BitVecVal(value, WIDTH)


def to_int(value: z3.ExprRef) -> z3.BitVecRef:
    """An integer view of a term: a truth value is 1 or 0 (Python's True + 0)."""
    if z3.is_bool(value):
        return z3.If(value, bv(1), bv(0))
    return value


def to_bool(value: z3.ExprRef) -> z3.BoolRef:
    """A truth view of a term: an integer is true when not 0 (Python's bool())."""
    if z3.is_bool(value):
        return value
    return value != bv(0)


def compile_expr(e: ir.Expr, env: Mapping[Slot, z3.BitVecRef]) -> Term:
    """The Z3 term for `e`; the locals and vars it reads come from `env`.

    Raises Unsupported for an expression that reads anything else, or a
    local or var that `env` does not map.
    """
    if isinstance(e, ir.Const):
        if isinstance(e.value, bool):
            return Term(z3.BoolVal(e.value), z3.BoolVal(True))
        if isinstance(e.value, int):
            return Term(bv(e.value), z3.BoolVal(True))
        raise Unsupported(f"the constant {e.value!r} is not a number")
    if isinstance(e, (ir.Local, ir.Var)):
        var = env.get(slot_of(e))
        if var is None:
            raise Unsupported(f"no value for `{e.name}`")
        return Term(var, z3.BoolVal(True))
    if isinstance(e, ir.Unary):
        inner = compile_expr(e.operand, env)
        if e.op == "-":
            a = to_int(inner.value)
            return Term(-a, z3.And(inner.defined, z3.BVSNegNoOverflow(a)))
        if e.op == "!":
            return Term(z3.Not(to_bool(inner.value)), inner.defined)
        raise Unsupported(f"the operator `{e.op}`")
    if isinstance(e, ir.Binary):
        return _binary(e, compile_expr(e.left, env), compile_expr(e.right, env))
    raise Unsupported(f"{type(e).__name__} expressions")


def _binary(e: ir.Binary, left: Term, right: Term) -> Term:
    op = e.op
    both = z3.And(left.defined, right.defined)
    if op in ("&&", "||", "->"):
        a, b = to_bool(left.value), to_bool(right.value)
        # the right side is evaluated (and can fail) only when pyexpr gets to it
        if op == "&&":
            return Term(z3.And(a, b), z3.And(left.defined, z3.Or(z3.Not(a), right.defined)))
        if op == "||":
            return Term(z3.Or(a, b), z3.And(left.defined, z3.Or(a, right.defined)))
        return Term(z3.Implies(a, b), z3.And(left.defined, z3.Or(z3.Not(a), right.defined)))
    if op in ("==", "!=") and z3.is_bool(left.value) and z3.is_bool(right.value):
        same = left.value == right.value
        return Term(same if op == "==" else z3.Not(same), both)
    if op in ("|", "&") and z3.is_bool(left.value) and z3.is_bool(right.value):
        # Python: True | False is a bool
        joined = z3.Or if op == "|" else z3.And
        return Term(joined(left.value, right.value), both)
    a, b = to_int(left.value), to_int(right.value)
    if op == "+":
        ok = z3.And(z3.BVAddNoOverflow(a, b, True), z3.BVAddNoUnderflow(a, b))
        return Term(a + b, z3.And(both, ok))
    if op == "-":
        ok = z3.And(z3.BVSubNoOverflow(a, b), z3.BVSubNoUnderflow(a, b, True))
        return Term(a - b, z3.And(both, ok))
    if op == "*":
        ok = z3.And(z3.BVMulNoOverflow(a, b, True), z3.BVMulNoUnderflow(a, b))
        return Term(a * b, z3.And(both, ok))
    if op == "/":  # z3py's `/` on bit-vectors is bvsdiv: truncation toward zero, as C
        ok = z3.And(b != bv(0), z3.BVSDivNoOverflow(a, b))
        return Term(a / b, z3.And(both, ok))
    if op == "%":  # bvsrem: the sign of the dividend, as C (z3py's `%` is bvsmod)
        return Term(z3.SRem(a, b), z3.And(both, b != bv(0)))
    if op == "|":
        return Term(a | b, both)
    if op == "&":
        return Term(a & b, both)
    compare = {
        "==": lambda: a == b,
        "!=": lambda: a != b,
        "<": lambda: a < b,  # z3py's comparisons on bit-vectors are signed
        "<=": lambda: a <= b,
        ">": lambda: a > b,
        ">=": lambda: a >= b,
    }.get(op)
    if compare is None:
        raise Unsupported(f"the operator `{op}`")
    return Term(compare(), both)


def signed(value: z3.BitVecNumRef) -> int:
    """A model's 64-bit value as the C `long` it stands for."""
    return int(value.as_signed_long())
