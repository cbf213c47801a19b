"""A flags expression on the command line (`forkcheck flags EXPR`), read with
the scenario grammar.

`CLONE_VM|CLONE_THREAD|SIGCHLD` must mean on the command line what it means
in `clone(...)` in a scenario: the same names (constants.CONSTANTS), the same
precedence and the same C arithmetic. So the expression is parsed with
grammar/proc.lark, starting at its `expr` rule, and evaluated by the code
that evaluates a program's expressions (pyexpr). The one addition is
hexadecimal literals (`0x10900`), the way flags words are usually printed
(strace, this command's own output); a hexadecimal literal is a 64-bit
pattern, so 0xffffffffffffffff is -1.

Only constant arithmetic is allowed: names of constants, numbers,
parentheses, unary `-` and `| & + - * / %`.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from checker.errors import Diagnostic, UserError
from checker.lang import ir
from checker.lang.ast import NOWHERE, Pos
from checker.lang.constants import CONSTANTS, LONG_MAX
from checker.lang.parse import BINARY_OPERATORS, grammar_text
from checker.lang.pyexpr import EvalError, compile_program_expr

PATH = "<flags>"

# the arithmetic a flags word is made with, as the language writes it
_ARITHMETIC = ("bit_or", "bit_and", "add", "sub", "mul", "div", "mod")
_BINARY = {rule: BINARY_OPERATORS[rule] for rule in _ARITHMETIC}
# what the other expression rules of the grammar are called in a message
_REFUSED = {
    **{rule: f"`{op}`" for rule, op in BINARY_OPERATORS.items() if rule not in _BINARY},
    "not_": "`!`",
    "field": "a field (`.`)",
    "call": "a call",
    "count_expr": "count(...)",
    "quantifier": "a quantifier",
    "tuple_lit": "a tuple",
    "set_lit": "a set",
    "true_lit": "`true`",
    "false_lit": "`false`",
}
_ENDS_OPERAND = frozenset(["NAME", "INT", "RPAR", "TRUE", "FALSE"])
_STARTS_OPERAND = frozenset(["NAME", "INT", "LPAR", "TRUE", "FALSE"])
_ALLOWED = "names of constants, numbers, ( ), unary - and | & + - * / %"


def _hex_literals(terminal: Any) -> None:
    """The grammar's INT, extended with hexadecimal literals."""
    if terminal.name == "INT":
        terminal.pattern.value = r"0[xX][0-9a-fA-F]+|[0-9]+"


@functools.cache
def _parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        start="expr",
        propagate_positions=True,
        maybe_placeholders=True,
        edit_terminals=_hex_literals,
    )


def parse_expr(text: str, path: str = PATH) -> ir.Expr:
    """The constant IR expression `text` stands for (names resolved to their
    values). Raises UserError with the position of the mistake."""
    if not text.strip():
        raise UserError([Diagnostic(path, NOWHERE, "the flags expression is empty")])
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise UserError([_syntax_error(text, path, err)]) from None
    return _to_ir(tree, path)


def flags_value(text: str, path: str = PATH) -> int:
    """The value of a flags expression, computed as a program computes it."""
    expr = parse_expr(text, path)
    try:
        value = compile_program_expr(expr, {})(None, None, (), ())
    except EvalError as err:
        raise UserError([Diagnostic(path, _whole(text), str(err))]) from None
    assert isinstance(value, int) and not isinstance(value, bool)
    return value


def _whole(text: str) -> Pos:
    lines = text.split("\n")
    return Pos(1, 1, len(lines), len(lines[-1]) + 1)


def _syntax_error(text: str, path: str, err: UnexpectedInput) -> Diagnostic:
    """The first mistake, named the way a user thinks of it: a stray
    character, two operands without an operator, an unbalanced parenthesis."""
    if isinstance(err, UnexpectedCharacters):
        at = err.pos_in_stream
        char = text[at] if at is not None and 0 <= at < len(text) else "?"
        shown = "newline" if char == "\n" else f"`{char}`"
        return Diagnostic(
            path, Pos(err.line, err.column, err.line, err.column + 1), f"unexpected {shown}"
        )
    opened: list[Token] = []
    prev: Token | None = None
    for tok in _parser().lex(text):
        if prev is not None and prev.type in _ENDS_OPERAND and tok.type in _STARTS_OPERAND:
            message = (
                f"an operator is missing between `{prev}` and `{tok}` (flags are joined with |)"
            )
            return Diagnostic(path, _tpos(tok), message)
        if tok.type == "LPAR":
            opened.append(tok)
        elif tok.type == "RPAR":
            if not opened:
                return Diagnostic(path, _tpos(tok), "`)` without a matching `(`")
            opened.pop()
        prev = tok
    if opened:
        return Diagnostic(path, _tpos(opened[-1]), "`(` is never closed")
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        tok = err.token
        shown = "newline" if tok.type == "_SEP" and tok.value != ";" else f"`{tok.value}`"
        return Diagnostic(path, _tpos(tok), f"unexpected {shown}")
    lines = text.split("\n")
    end = Pos(len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
    return Diagnostic(path, end, "the flags expression ends too early")


def _tpos(tok: Token) -> Pos:
    line, col = tok.line or 1, tok.column or 1
    return Pos(line, col, tok.end_line or line, tok.end_column or col + 1)


def _pos(tree: Tree) -> Pos:
    m = tree.meta
    return Pos(m.line, m.column, m.end_line, m.end_column)


def _to_ir(node: Tree | Token, path: str) -> ir.Expr:
    if isinstance(node, Token):  # a bare token does not stand for a value in `expr`
        raise UserError([Diagnostic(path, _tpos(node), f"unexpected `{node}`")])
    kind = str(node.data)
    if kind == "int_lit":
        tok = node.children[0]
        assert isinstance(tok, Token)
        return ir.Const(_literal(tok, path))
    if kind == "name":
        tok = node.children[0]
        assert isinstance(tok, Token)
        if tok.value not in CONSTANTS:
            raise UserError([Diagnostic(path, _tpos(tok), _unknown(tok.value))])
        return ir.Const(CONSTANTS[tok.value])
    if kind == "neg":
        (operand,) = node.children
        return ir.Unary("-", _to_ir(operand, path))
    op = _BINARY.get(kind)
    if op is not None:
        left, right = node.children
        return ir.Binary(op, _to_ir(left, path), _to_ir(right, path))
    what = _REFUSED.get(kind, f"`{kind}`")
    message = f"{what} cannot appear in a flags expression: only {_ALLOWED}"
    raise UserError([Diagnostic(path, _pos(node), message)])


def _literal(tok: Token, path: str) -> int:
    text = tok.value
    if text[:2].lower() == "0x":
        value = int(text, 16)
        if value < 2**64:
            return value - 2**64 if value > LONG_MAX else value  # the 64-bit pattern
    else:
        value = int(text)
        if value <= LONG_MAX:
            return value
    raise UserError([Diagnostic(path, _tpos(tok), f"{text} does not fit in 64 bits")])


def _unknown(name: str) -> str:
    """`unknown name X`, with the closest constant's name if one is close."""
    upper = {n.upper(): n for n in CONSTANTS}
    close = difflib.get_close_matches(name.upper(), list(upper), n=1)
    hint = f" (did you mean `{upper[close[0]]}`?)" if close else ""
    return f"unknown name `{name}`{hint}"
