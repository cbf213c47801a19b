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
# Tokens that take the blank space before them with them (grammar/proc.lark),
# and the text each one really is.
_WIDE = {"_LBRACE": "{", "_ELSE": "else", "_OR": "or"}


def _narrow(tok: Token) -> Token:
    """Move a _LBRACE/_ELSE/_OR token's position from the blank space before
    it onto the brace or word itself."""
    word = _WIDE[tok.type]
    prefix = tok.value[: len(tok.value) - len(word)]
    line = (tok.line or 1) + prefix.count("\n")
    col = len(prefix) - prefix.rfind("\n") if "\n" in prefix else (tok.column or 1) + len(prefix)
    start = (tok.start_pos or 0) + len(prefix)
    return Token(tok.type, word, start, line, col, line, col + len(word), tok.end_pos)


class _Separators:
    """Post-lexer: merge runs of newlines and ';' into one _SEP and drop the
    ones that cannot end anything (inside parentheses, after an operator, a
    comma or an opening brace, at the start of the file).

    It remembers what a syntax error message needs: the parentheses and
    braces still open, the token before the last one, and whether the last
    token began a line joined onto the previous one by a trailing operator.
    """

    always_accept = ("_SEP", "NAME")

    def __init__(self) -> None:
        self.lines: list[str] = []  # the source, for indentation
        self.reset()

    def reset(self) -> None:
        self.open_parens: list[Token] = []
        self.open_braces: list[Token] = []
        self.misindented: list[Token] = []  # `{` closed by a `}` indented differently
        self.prev: Token | None = None
        self.last: Token | None = None
        self.history: list[Token] = []  # the last few tokens passed on
        # a trailing operator or comma that carried a line on to the next one,
        # and the first token of that next line (until the statement ends)
        self.joined: tuple[Token, Token] | None = None

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        self.reset()
        pending_join: Token | None = None
        for tok in stream:
            if tok.type in _WIDE:
                tok = _narrow(tok)
            last = self.last
            if tok.type == "_SEP":
                if self.open_parens or last is None or last.type == "_SEP":
                    continue
                if last.type == "_LBRACE":
                    continue
                if last.type not in ("STRING", "NAME", "INT") and last.value in _CONTINUE_AFTER:
                    if tok.value != ";" and last.type != "LPAR":
                        pending_join = last
                    continue
            elif tok.type == "LPAR":
                self.open_parens.append(tok)
            elif tok.type == "RPAR" and self.open_parens:
                self.open_parens.pop()
            elif tok.type == "_LBRACE":
                self.open_braces.append(tok)
            elif tok.type == "RBRACE" and self.open_braces:
                opened = self.open_braces.pop()
                if tok.line != opened.line and self._indent(tok) != self._indent(opened):
                    self.misindented.append(opened)
            if pending_join is not None:
                self.joined, pending_join = (pending_join, tok), None
            elif tok.type == "_SEP":
                self.joined = None
            self.prev, self.last = last, tok
            self.history = [*self.history[-3:], tok]
            yield tok

    def _indent(self, tok: Token) -> int:
        n = (tok.line or 1) - 1
        line = self.lines[n] if n < len(self.lines) else ""
        return len(line) - len(line.lstrip(" \t"))


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


# grammar rule -> operator, for every binary operator of the language
BINARY_OPERATORS = {
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
        op = BINARY_OPERATORS.get(str(data))
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
    "_LBRACE": "`{`",
    "NAME": "a name",
    "INT": "a number",
    "STRING": "a string",
    "_SEP": "end of line",
    "$END": "end of file",
    "_ELSE": "`else`",
    "_OR": "`or`",
}


_EXPR_START = {"NAME", "INT", "LPAR", "MINUS", "BANG", "TRUE", "FALSE", "_LBRACE"}
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


_STATEMENT_WORDS = (
    "if",
    "else",
    "while",
    "repeat",
    "choose",
    "assert",
    "assume",
    "exit",
    "exit_thread",
    "skip",
    "return",
    "fork",
    "vfork",
    "clone",
    "thread",
    "exec",
    "var",
    "handler",
)
_ITEM_WORDS = (
    "scenario",
    "program",
    "start",
    "init",
    "config",
    "faults",
    "check",
    "invariant",
    "eventually",
    "leadsto",
    "final",
    "observe",
    "expect",
    "conform",
    "kthread",
    "kvar",
    "lock",
    "waitqueue",
    "syscall",
)
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def _closed_later(text: str, start: int) -> bool:
    """Whether the `(` at `start` is closed somewhere after it."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            i = len(text) if end < 0 else end + 1
            continue
        if ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return True
        i += 1
    return False


def _first_on_line(tok: Token, lines: list[str]) -> bool:
    line = lines[(tok.line or 1) - 1] if (tok.line or 1) <= len(lines) else ""
    return not line[: (tok.column or 1) - 1].strip()


def _diagnose(
    parser: Lark, postlex: _Separators, text: str, path: str, err: UnexpectedInput
) -> tuple[Diagnostic, bool]:
    """The diagnostic for a syntax error, and whether to stop looking for more
    (when the mistake makes everything after it unreliable)."""
    if isinstance(err, UnexpectedCharacters):
        pos = A.Pos(err.line, err.column, err.line, err.column + 1)
        if err.char == '"':
            return Diagnostic(
                path, pos, "this string is never closed (a string ends on its line)"
            ), True
        return Diagnostic(path, pos, f"unexpected character {err.char!r}"), False
    if not isinstance(err, UnexpectedToken):
        line = getattr(err, "line", 0) or 0
        col = getattr(err, "column", 0) or 0
        return Diagnostic(path, A.Pos(line, col, line, col + 1), "unexpected end of file"), True
    tok = err.token
    at_end = tok.type == "$END"
    # a `(` left open: on an earlier line and never closed, or at the end of the file
    if postlex.open_parens:
        paren = postlex.open_parens[-1]
        if (
            not at_end
            and (paren.line or 0) < (tok.line or 0)
            and not _closed_later(text, paren.start_pos or 0)
        ):
            return Diagnostic(path, _tpos(paren), "`(` is never closed"), True
    # the end of the file with a `{` open: blame the one whose `}` is missing,
    # judged by indentation, else the innermost
    if at_end and postlex.open_braces and not postlex.open_parens:
        culprit = postlex.misindented[0] if postlex.misindented else postlex.open_braces[-1]
        return Diagnostic(path, _tpos(culprit), "`{` is never closed"), True

    pos = A.Pos(err.line, err.column, err.line, err.column) if at_end else _tpos(tok)
    try:
        accepted = set(err.interactive_parser.accepts())
    except Exception:  # pragma: no cover - lark internals; fall back
        accepted = set(err.expected)
    # a line carried on by a trailing `,` or operator into a line that begins
    # an item or a statement of its own
    if postlex.joined is not None and not at_end:
        cont, first = postlex.joined
        if first.line == tok.line and first.value in _ITEM_WORDS + _STATEMENT_WORDS:
            message = (
                f"`{cont.value}` at the end of the line carries it on to the next, "
                f"which begins with `{first.value}`"
            )
            return Diagnostic(path, _tpos(cont), message), True
    # The tokens before the error: a token the current state's lexer could not
    # match is made by Lark's root lexer and never reaches the post-lexer.
    passed = postlex.last is not None and postlex.last.start_pos == tok.start_pos
    before = postlex.history[:-1] if passed else postlex.history
    prev = before[-1] if before else None
    # two names in a row, which only a quantifier starts (`forall T in ...`)
    if accepted <= {"IN"} and len(before) >= 2 and before[-1].type == before[-2].type == "NAME":
        first, second = before[-2], before[-1]
        if str(first.value) not in ("forall", "exists"):
            message = (
                f"unexpected `{second.value}` after `{first.value}`: two names in a row "
                "(an operator or a `,` is missing)"
            )
            return Diagnostic(path, _tpos(second), message), False
    # a misspelled statement word: `whle x < 3 { }`
    if (
        prev is not None
        and not at_end
        and prev.type == "NAME"
        and prev.line == tok.line
        and prev is not tok
        and _first_on_line(prev, postlex.lines)
        and prev.value not in _STATEMENT_WORDS
    ):
        close = difflib.get_close_matches(str(prev.value), _STATEMENT_WORDS, n=1, cutoff=0.75)
        if close:
            message = f"unknown statement `{prev.value}`; did you mean `{close[0]}`?"
            return Diagnostic(path, _tpos(prev), message), False
    if tok.value == "==" and "EQUAL" in accepted:
        return Diagnostic(path, pos, "a comparison is not a statement; did you mean `=`?"), False
    if tok.value in _COMPARISONS and not any(_literal(parser, n) == tok.value for n in accepted):
        return Diagnostic(
            path, pos, "comparisons do not chain: write `a < b && b < c`, not `a < b < c`"
        ), False

    msg = f"unexpected {_describe_token(tok)}; expected {_describe_expected(parser, accepted)}"
    if tok.type == "NAME":
        keywords = [word for n in accepted if (word := _literal(parser, n) or "").isidentifier()]
        close = difflib.get_close_matches(str(tok.value), keywords, n=1)
        if close:
            msg += f"; did you mean `{close[0]}`?"
    return Diagnostic(path, pos, msg), at_end


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
    postlex = parser.options.postlex
    assert isinstance(postlex, _Separators)
    diags: list[Diagnostic] = []
    lines = text.split("\n")
    while True:
        current = "\n".join(lines)
        postlex.lines = lines
        try:
            tree = parser.parse(current)
            break
        except UnexpectedInput as err:
            diag, final = _diagnose(parser, postlex, current, path, err)
            diags.append(diag)
            line = diag.pos.line
            if final or not (1 <= line <= len(lines)) or not _balanced(lines[line - 1]):
                break
            if len(diags) >= 50 or not lines[line - 1].strip():
                break
            lines[line - 1] = ""
    diags.sort(key=Diagnostic.sort_key)
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
