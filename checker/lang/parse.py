"""Text to AST: the Lark parser for grammar/proc.lark and the tree transformer.

`parse(text, path)` returns a `Scenario` or raises `UserError` with one
diagnostic per syntax error (the parser recovers at the next line, so a file
with several mistakes gets them all).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from checker.errors import Diagnostic, UserError
from checker.lang import ast as A

GRAMMAR_NAME = "proc.lark"


def grammar_text() -> str:
    """The grammar, from the installed package data or from the source tree."""
    try:
        return resources.files("checker.grammar").joinpath(GRAMMAR_NAME).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # Running from a checkout without installing: grammar/ is beside checker/.
        here = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME
        return here.read_text("utf-8")


# Tokens after which a newline cannot end a statement: the line goes on.
_CONTINUE_AFTER = frozenset(
    [
        "(",
        "{",
        ",",
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "&&",
        "||",
        "->",
        "~>",
        "+",
        "-",
        "*",
        "/",
        "%",
        "|",
        "&",
        "!",
        ":",
        "..",
        ".",
    ]
)


class _Separators:
    """Post-lexer: merge runs of newlines and ';' into one _SEP and drop the
    ones that cannot end anything (inside parentheses, after an operator, a
    comma or an opening brace, at the start of the file).

    It also remembers the parentheses still open, so that a syntax error
    caused by a `(` never closed can be reported where the `(` is.
    """

    always_accept = ("_SEP",)

    def __init__(self) -> None:
        self.open_parens: list[Token] = []

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        self.open_parens = []
        last: Token | None = None  # last token passed on
        for tok in stream:
            if tok.type == "_SEP":
                if self.open_parens or last is None or last.type == "_SEP":
                    continue
                if last.value in _CONTINUE_AFTER and last.type not in ("STRING", "NAME"):
                    continue
            elif tok.type == "LPAR":
                self.open_parens.append(tok)
            elif tok.type == "RPAR" and self.open_parens:
                self.open_parens.pop()
            last = tok
            yield tok


@functools.cache
def _parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_Separators(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


def _pos(meta: Any) -> A.Pos:
    if getattr(meta, "empty", False):
        return A.NOWHERE
    return A.Pos(meta.line, meta.column, meta.end_line, meta.end_column)


def _tpos(tok: Token) -> A.Pos:
    return A.Pos(tok.line or 0, tok.column or 0, tok.end_line or tok.line or 0, tok.end_column or 0)


def _ident(tok: Token) -> A.Ident:
    return A.Ident(str(tok), _tpos(tok))


def _string(tok: Token) -> str:
    # "..." with C-like escapes \" \\ \n \t
    body = str(tok)[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _SyntaxProblem(Exception):
    """A construct the grammar accepts but the tree builder rejects."""

    def __init__(self, pos: A.Pos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


_BINARY = {
    "implies": "->",
    "or_": "||",
    "and_": "&&",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "bit_or": "|",
    "bit_and": "&",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "mod": "%",
}


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree -> checker.lang.ast, one method per grammar rule."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def __default__(self, data: Any, children: Any, meta: Any) -> Any:
        op = _BINARY.get(str(data))
        if op is not None:
            left, right = children
            return A.Binary(_pos(meta), op, left, right)
        raise _SyntaxProblem(_pos(meta), f"internal: no AST for rule {data}")

    # -- file and items
    def start(self, meta: Any, children: list[Any]) -> A.Scenario:
        return A.Scenario(self.path, [c for c in children if c is not None])

    def scenario_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.ScenarioTitle(_pos(meta), _string(c[0]))

    def program_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.ProgramDecl(_pos(meta), "program", _ident(c[0]), c[1])

    def init_item(self, meta: Any, c: list[Any]) -> A.Item:
        pos = _pos(meta)
        return A.ProgramDecl(pos, "init", A.Ident("init", pos), c[0])

    def kthread_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.ProgramDecl(_pos(meta), "kthread", _ident(c[0]), c[1])

    def syscall_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.ProgramDecl(_pos(meta), "syscall", _ident(c[0]), c[1])

    def start_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Start(_pos(meta), c[0])

    def name_list(self, meta: Any, c: list[Any]) -> tuple[A.Ident, ...]:
        return tuple(_ident(t) for t in c)

    def config_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Config(_pos(meta), tuple(e for e in c if e is not None))

    def config_entry(self, meta: Any, c: list[Any]) -> A.ConfigEntry:
        return A.ConfigEntry(_ident(c[0]), c[1])

    def faults_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Faults(_pos(meta), c[0] or ())

    def check_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Check(_pos(meta), c[0])

    def invariant_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.PropertyDecl(_pos(meta), "invariant", _ident(c[0]), c[1])

    def eventually_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.PropertyDecl(_pos(meta), "eventually", _ident(c[0]), c[1])

    def leadsto_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.PropertyDecl(_pos(meta), "leadsto", _ident(c[0]), c[1], c[2])

    def final_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.PropertyDecl(_pos(meta), "final", _ident(c[0]), c[1])

    def observe_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Observe(_pos(meta), tuple(c))

    def expect_pass(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "pass")

    def expect_violation(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "violation", name=_ident(c[0]))

    def expect_outcomes(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "outcomes", expr=c[0], values=c[1])

    def expect_sometimes(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "sometimes", expr=c[0])

    def expect_never(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "never", expr=c[0])

    def expect_always(self, meta: Any, c: list[Any]) -> A.Item:
        return A.Expect(_pos(meta), "always", expr=c[0])

    def conform_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.ConformSkip(_pos(meta), _string(c[0]))

    def kvar_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.KernelDecl(_pos(meta), "kvar", _ident(c[0]), c[1])

    def lock_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.KernelDecl(_pos(meta), "lock", _ident(c[0]))

    def waitqueue_item(self, meta: Any, c: list[Any]) -> A.Item:
        return A.KernelDecl(_pos(meta), "waitqueue", _ident(c[0]))

    # -- statements
    def body(self, meta: Any, c: list[Any]) -> A.Block:
        return A.Block(tuple(s for s in c if s is not None), _pos(meta))

    def assign(self, meta: Any, c: list[Any]) -> A.Stmt:
        target = _ident(c[0])
        value = c[1]
        pos = _pos(meta)
        if isinstance(value, A.Spawn):
            return A.Spawn(pos, target, value.kind, value.flags, value.body)
        if isinstance(value, A.AnyAssign):
            return A.AnyAssign(pos, target, value.lo, value.hi)
        return A.Assign(pos, target, value)

    def fork_call(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "fork", None, None)

    def vfork_call(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "vfork", None, None)

    def any_expr(self, meta: Any, c: list[Any]) -> A.AnyAssign:
        return A.AnyAssign(_pos(meta), A.Ident("", A.NOWHERE), c[0], c[1])

    def spawn_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return c[0]

    def fork_block(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "fork", None, c[0])

    def vfork_block(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "vfork", None, c[0])

    def clone_block(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "clone", c[0], c[1])

    def thread_block(self, meta: Any, c: list[Any]) -> A.Spawn:
        return A.Spawn(_pos(meta), None, "thread", None, c[0])

    def call_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.CallStmt(_pos(meta), c[0])

    def exec_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Exec(_pos(meta), _ident(c[0]))

    def exit_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Exit(_pos(meta), c[0], thread=False)

    def exit_thread_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Exit(_pos(meta), c[0], thread=True)

    def assert_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Assert(_pos(meta), c[0], _string(c[1]) if c[1] is not None else None)

    def assume_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Assume(_pos(meta), c[0])

    def return_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Return(_pos(meta))

    def skip_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Skip(_pos(meta))

    def var_decl(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.VarDecl(_pos(meta), _ident(c[0]), c[1])

    def handler_decl(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.HandlerDecl(_pos(meta), _ident(c[0]), c[1])

    def if_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        cond, then, orelse = c
        if isinstance(orelse, A.If):  # else if: a block holding the inner if
            orelse = A.Block((orelse,), orelse.pos)
        return A.If(_pos(meta), cond, then, orelse)

    def while_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.While(_pos(meta), c[0], c[1])

    def repeat_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Repeat(_pos(meta), c[0], c[1])

    def choose_stmt(self, meta: Any, c: list[Any]) -> A.Stmt:
        return A.Choose(_pos(meta), tuple(c))

    # -- expressions
    def quantifier(self, meta: Any, c: list[Any]) -> A.Expr:
        kind, var, domain, body = c
        pos = _pos(meta)
        if str(kind) not in ("forall", "exists"):
            raise _SyntaxProblem(
                _tpos(kind), f"expected `forall` or `exists` before `{var} in`, found `{kind}`"
            )
        return A.Quantifier(pos, str(kind), _ident(var), _ident(domain), body)

    def count_expr(self, meta: Any, c: list[Any]) -> A.Expr:
        func, var, domain, cond = c
        if str(func) != "count":
            raise _SyntaxProblem(
                _tpos(func), f"`{var} in {domain} where ...` is only allowed in count(...)"
            )
        return A.Count(_pos(meta), _ident(var), _ident(domain), cond)

    def not_(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Unary(_pos(meta), "!", c[0])

    def neg(self, meta: Any, c: list[Any]) -> A.Expr:
        operand = c[0]
        if isinstance(operand, A.IntLit):  # fold -1 into a literal
            return A.IntLit(_pos(meta), -operand.value)
        return A.Unary(_pos(meta), "-", operand)

    def field(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Field(_pos(meta), c[0], _ident(c[1]))

    def int_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.IntLit(_pos(meta), int(c[0]))

    def true_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.BoolLit(_pos(meta), True)

    def false_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.BoolLit(_pos(meta), False)

    def name(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.Name(_pos(meta), str(c[0]))

    def call(self, meta: Any, c: list[Any]) -> A.Expr:
        args = tuple(a for a in c[1:] if a is not None)
        return A.Call(_pos(meta), _ident(c[0]), args)

    def tuple_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.TupleLit(_pos(meta), tuple(c))

    def set_lit(self, meta: Any, c: list[Any]) -> A.Expr:
        return A.SetLit(_pos(meta), tuple(x for x in c if x is not None))


# ------------------------------------------------------------------ errors

_TOKEN_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": "a string",
    "_SEP": "end of line",
    "$END": "end of file",
    "_ELSE": "`else`",
    "_OR": "`or`",
}


_EXPR_START = {"NAME", "INT", "LPAR", "MINUS", "BANG", "TRUE", "FALSE", "LBRACE"}
_STMT_START = {"IF", "WHILE", "REPEAT", "CHOOSE", "ASSERT", "EXIT", "SKIP"}
_OPERATORS = set(
    ["+", "-", "*", "/", "%", "<", ">", "&", "|", "==", "!=", "<=", ">=", "&&", "||", "->", "."]
)


def _literal(parser: Lark, name: str) -> str | None:
    """The fixed text of a terminal (`fork`, `(`), or None for a pattern."""
    if name in ("_ELSE", "_OR"):
        return name[1:].lower()
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" else None


def _describe_expected(parser: Lark, names: set[str]) -> str:
    words = []
    names = set(names)
    if names >= _STMT_START:
        words.append("a statement")
        names = {
            n
            for n in names
            if n not in _EXPR_START and not (_literal(parser, n) or "").isidentifier()
        }
    elif {"NAME", "INT", "LPAR"} <= names:
        words.append("an expression")
        names -= _EXPR_START
    if sum(1 for n in names if _literal(parser, n) in _OPERATORS) >= 4:
        words.append("an operator")
        names = {n for n in names if _literal(parser, n) not in _OPERATORS}
    for name in sorted(names):
        if name in _TOKEN_WORDS:
            words.append(_TOKEN_WORDS[name])
        else:
            words.append(f"`{_literal(parser, name) or name}`")
    # descriptions first, then punctuation and keywords
    words.sort(key=lambda w: (w.startswith("`"), w))
    if len(words) > 8:
        return ", ".join(words[:8]) + ", ..."
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "nothing"


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_SEP":
        return "end of line" if tok.value != ";" else "`;`"
    if tok.type in ("_ELSE", "_OR"):
        return f"`{tok.value.strip()}`"
    return f"`{tok.value}`"


def _diag_for(parser: Lark, path: str, err: UnexpectedInput) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            pos = A.Pos(err.line, err.column, err.line, err.column)
        else:
            pos = _tpos(tok)
            if tok.type in ("_ELSE", "_OR"):
                # point at the word, not the newlines before it
                word = tok.value.strip()
                lines = tok.value.rstrip().split("\n")
                line = (tok.line or 0) + len(lines) - 1
                col = (
                    (len(lines[-1]) - len(word) + 1)
                    if len(lines) > 1
                    else pos.col + len(lines[0]) - len(word)
                )
                pos = A.Pos(line, col, line, col + len(word))
        try:
            accepted = set(err.interactive_parser.accepts())
        except Exception:  # pragma: no cover - lark internals; fall back
            accepted = set(err.expected)
        expected = _describe_expected(parser, accepted)
        msg = f"unexpected {_describe_token(tok)}; expected {expected}"
        if tok.type == "NAME":
            keywords = [
                word for n in accepted if (word := _literal(parser, n) or "").isidentifier()
            ]
            close = difflib.get_close_matches(str(tok.value), keywords, n=1)
            if close:
                msg += f"; did you mean `{close[0]}`?"
        return Diagnostic(path, pos, msg)
    if isinstance(err, UnexpectedCharacters):
        pos = A.Pos(err.line, err.column, err.line, err.column + 1)
        return Diagnostic(path, pos, f"unexpected character {err.char!r}")
    line = getattr(err, "line", 0) or 0
    col = getattr(err, "column", 0) or 0
    return Diagnostic(path, A.Pos(line, col, line, col + 1), "unexpected end of file")


def _balanced(line: str) -> bool:
    """True if blanking this line keeps braces and parentheses matched."""
    code = re.sub(r'"(\\.|[^"\\])*"', "", line)
    code = re.split(r"#|//", code, maxsplit=1)[0]
    return code.count("{") == code.count("}") and code.count("(") == code.count(")")


def parse(text: str, path: str = "<string>") -> A.Scenario:
    """Parse a .proc file. Raises UserError listing every syntax error.

    After an error, the parser blanks the offending line and starts again, to
    find the mistakes further down; it stops when blanking would unbalance the
    braces (the errors that follow would only be echoes of the first).
    """
    parser = _parser()
    diags: list[Diagnostic] = []
    lines = text.split("\n")
    while True:
        try:
            tree = parser.parse("\n".join(lines))
            break
        except UnexpectedInput as err:
            diag = _diag_for(parser, path, err)
            postlex = parser.options.postlex
            opened: list[Token] = postlex.open_parens if isinstance(postlex, _Separators) else []
            if opened and (opened[-1].line or 0) < diag.pos.line:
                # the real mistake is a `(` left open on an earlier line
                diags.append(Diagnostic(path, _tpos(opened[-1]), "`(` is never closed"))
                break
            diags.append(diag)
            line = diag.pos.line
            at_end = isinstance(err, UnexpectedToken) and err.token.type == "$END"
            if at_end or not (1 <= line <= len(lines)) or not _balanced(lines[line - 1]):
                break
            if len(diags) >= 50 or not lines[line - 1].strip():
                break
            lines[line - 1] = ""
    if diags:
        raise UserError(diags)
    try:
        result = _ToAst(path).transform(tree)
    except VisitError as err:
        inner = err.orig_exc
        if isinstance(inner, _SyntaxProblem):
            raise UserError([Diagnostic(path, inner.pos, inner.message)]) from None
        raise
    assert isinstance(result, A.Scenario)
    return result
