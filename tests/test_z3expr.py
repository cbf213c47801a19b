"""The Z3 translation of IR expressions computes what the explicit engine
computes: the same value where pyexpr returns one, `defined` false exactly
where pyexpr raises EvalError (C `long` overflow, division by zero)."""

from __future__ import annotations

import random

import pytest
import z3

from checker.lang import ir
from checker.lang.constants import LONG_MAX, LONG_MIN
from checker.lang.pyexpr import EvalError, compile_program_expr
from checker.symbolic import z3expr as Z

INTERESTING = [0, 1, -1, 2, -2, 3, 7, -7, 2**31, 2**32, LONG_MAX, LONG_MIN, 0x10900, -(2**62)]
X, Y = ir.Local(0, "x"), ir.Local(1, "y")
ARITH = ["+", "-", "*", "/", "%", "|", "&"]
COMPARE = ["==", "!=", "<", "<=", ">", ">="]


def int_expr(rng: random.Random, depth: int) -> ir.Expr:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice([X, Y, ir.Const(rng.choice(INTERESTING))])
    if rng.random() < 0.15:
        return ir.Unary("-", int_expr(rng, depth - 1))
    return ir.Binary(rng.choice(ARITH), int_expr(rng, depth - 1), int_expr(rng, depth - 1))


def bool_expr(rng: random.Random, depth: int) -> ir.Expr:
    if depth == 0 or rng.random() < 0.3:
        return ir.Binary(rng.choice(COMPARE), int_expr(rng, 2), int_expr(rng, 2))
    if rng.random() < 0.2:
        return ir.Unary("!", bool_expr(rng, depth - 1))
    op = rng.choice(["&&", "||", "->"])
    return ir.Binary(op, bool_expr(rng, depth - 1), bool_expr(rng, depth - 1))


def run_python(e: ir.Expr, x: int, y: int) -> int | bool | None:
    try:
        return compile_program_expr(e, {})(None, None, (x, y), ())
    except EvalError:
        return None


def run_z3(e: ir.Expr, x: int, y: int) -> int | bool | None:
    vx, vy = z3.BitVec("x", 64), z3.BitVec("y", 64)
    term = Z.compile_expr(e, {(ir.LOCAL, 0): vx, (ir.LOCAL, 1): vy})
    fixed = [(vx, Z.bv(x)), (vy, Z.bv(y))]
    if not z3.is_true(z3.simplify(z3.substitute(term.defined, *fixed))):
        return None
    value = z3.simplify(z3.substitute(term.value, *fixed))
    if z3.is_bool(value):
        return z3.is_true(value)
    return Z.signed(value)


@pytest.mark.parametrize("seed", range(8))
def test_random_expressions_agree_with_the_explicit_engine(seed):
    rng = random.Random(seed)
    for _ in range(60):
        e = int_expr(rng, 3) if rng.random() < 0.6 else bool_expr(rng, 2)
        x, y = rng.choice(INTERESTING), rng.choice(INTERESTING)
        assert run_z3(e, x, y) == run_python(e, x, y), (e, x, y)


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        ("/", -7, 2, -3),  # C truncates toward zero (Python's // gives -4)
        ("%", -7, 2, -1),  # the sign of the dividend (Python's % gives 1)
        ("%", 7, -2, 1),
        ("/", LONG_MIN, -1, None),  # overflow
        ("%", LONG_MIN, -1, 0),  # C leaves it undefined; pyexpr gives 0, so does bvsrem
        ("/", 1, 0, None),
        ("%", 1, 0, None),
        ("+", LONG_MAX, 1, None),
        ("-", LONG_MIN, 1, None),
        ("*", 2**32, 2**31, None),
        ("|", -1, 5, -1),
        ("&", -8, 12, 8),
    ],
)
def test_c_arithmetic(op, a, b, expected):
    e = ir.Binary(op, X, Y)
    assert run_python(e, a, b) == expected
    assert run_z3(e, a, b) == expected


def test_the_right_side_of_and_or_counts_only_when_evaluated():
    div0 = ir.Binary("==", ir.Binary("/", X, ir.Const(0)), ir.Const(1))
    false, true = ir.Binary("!=", X, X), ir.Binary("==", X, X)
    assert run_z3(ir.Binary("&&", false, div0), 1, 0) is False
    assert run_z3(ir.Binary("||", true, div0), 1, 0) is True
    assert run_z3(ir.Binary("->", false, div0), 1, 0) is True
    assert run_z3(ir.Binary("&&", true, div0), 1, 0) is None


def test_reads_names_every_local_and_var_once_in_order():
    e = ir.Binary("|", ir.Var(2, "v"), ir.Binary("+", X, ir.Var(2, "v")))
    assert Z.reads(e) == {(ir.VAR, 2): "v", (ir.LOCAL, 0): "x"}


@pytest.mark.parametrize(
    "e",
    [ir.SelfQuery("getpid"), ir.Errno(), ir.Const("Z"), ir.Binary("|", X, ir.SelfQuery("gettid"))],
)
def test_what_it_cannot_translate_is_unsupported(e):
    with pytest.raises(Z.Unsupported):
        Z.compile_expr(e, {(ir.LOCAL, 0): z3.BitVec("x", 64)})


def test_a_local_missing_from_the_environment_is_unsupported():
    with pytest.raises(Z.Unsupported, match="no value for `x`"):
        Z.compile_expr(X, {})
