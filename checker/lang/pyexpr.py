"""IR expressions compiled to Python functions, for the explicit engine.

One compiler for program expressions (`lambda s, t, L, M: ...`: state, the
running task, its locals and its address space) and property expressions
(`lambda s: ...`). Arithmetic follows C on x86-64 `long`: `/` and `%`
truncate toward zero, and a division by zero or a result outside 64 bits
raises EvalError, which the kernel turns into a violation of `assertions`.

The generated code calls a few helpers by name; the caller binds the ones
that read kernel state (`_getppid`, `_taskfield`, `_taskvar`, `_named`), so
this module knows nothing of the state's layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checker.lang import ir
from checker.lang.constants import LONG_MAX, LONG_MIN


class EvalError(Exception):
    """An arithmetic error in the scenario's code: a violation of `assertions`."""


class Unset(Exception):
    """A property read a local that has no value in this state."""


def _ck(v: int) -> int:
    if LONG_MIN <= v <= LONG_MAX:
        return v
    raise EvalError(f"integer overflow: {v} does not fit in 64 bits")


def _div(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("division by zero")
    q = abs(a) // abs(b)
    return _ck(q if (a >= 0) == (b >= 0) else -q)


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise EvalError("division by zero (in %)")
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


BASE_HELPERS: dict[str, Any] = {"_ck": _ck, "_div": _div, "_mod": _mod}

_ARITH = {"+", "-", "*"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


def source(e: ir.Expr) -> str:
    """Python source for an IR expression."""
    if isinstance(e, ir.Const):
        return repr(e.value)
    if isinstance(e, ir.Local):
        return f"L[{e.slot}]"
    if isinstance(e, ir.Var):
        return f"M[{e.slot}]"
    if isinstance(e, ir.Errno):
        return "t.errno"
    if isinstance(e, ir.SelfQuery):
        if e.func == "getpid":
            return "t.tgid"
        if e.func == "gettid":
            return "t.pid"
        return "_getppid(s, t)"
    if isinstance(e, ir.StatusField):
        return f"{source(e.obj)}[{e.index}]"
    if isinstance(e, ir.Unary):
        inner = source(e.operand)
        return f"_ck(-{inner})" if e.op == "-" else f"(not {inner})"
    if isinstance(e, ir.Binary):
        a, b = source(e.left), source(e.right)
        op = e.op
        if op in _ARITH:
            return f"_ck({a} {op} {b})"
        if op == "/":
            return f"_div({a}, {b})"
        if op == "%":
            return f"_mod({a}, {b})"
        if op in _COMPARE:
            return f"({a} {op} {b})"
        if op == "&&":
            return f"(bool({a}) and bool({b}))"
        if op == "||":
            return f"(bool({a}) or bool({b}))"
        if op == "->":
            return f"(not {a} or bool({b}))"
        if op == "|":
            return f"({a} | {b})"
        if op == "&":
            return f"({a} & {b})"
        raise AssertionError(op)
    if isinstance(e, ir.ProgramRef):
        return repr(e.index)
    if isinstance(e, ir.Bound):
        return f"_b_{e.name}"
    if isinstance(e, ir.TaskField):
        return f"_taskfield(s, {source(e.task)}, {e.name!r})"
    if isinstance(e, ir.TaskVar):
        return f"_taskvar(s, {source(e.task)}, {e.slots!r}, {e.name!r})"
    if isinstance(e, ir.NamedVar):
        what = f"{e.program}.{e.name}"
        return f"_named(s, {e.named}, {e.kind!r}, {e.slot}, {what!r})"
    if isinstance(e, ir.Quantified):
        var = f"_b_{e.var}"
        body = source(e.body)
        if e.kind == "forall":
            return f"all({body} for {var} in s.tasks)"
        if e.kind == "exists":
            return f"any({body} for {var} in s.tasks)"
        return f"sum(1 for {var} in s.tasks if {body})"
    raise AssertionError(f"cannot compile {e!r}")


def compile_program_expr(e: ir.Expr, helpers: dict[str, Any]) -> Callable[..., Any]:
    """`f(s, t, L, M)` for an expression in a program's code."""
    if isinstance(e, ir.Const):  # the common case: no call overhead beyond the lambda
        value = e.value
        return lambda s, t, L, M: value
    return _compile(f"lambda s, t, L, M: {source(e)}", helpers)


def compile_property_expr(e: ir.Expr, helpers: dict[str, Any]) -> Callable[..., Any]:
    """`f(s)` for a property expression over a whole state."""
    return _compile(f"lambda s: {source(e)}", helpers)


def _compile(src: str, helpers: dict[str, Any]) -> Callable[..., Any]:
    namespace = {**BASE_HELPERS, **helpers}
    return eval(compile(src, "<forkcheck expression>", "eval"), namespace)
