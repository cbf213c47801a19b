"""The typed syntax tree of a .proc file, with source positions.

Built from Lark's parse tree in one pass (checker/lang/parse.py). Nothing here
knows what a statement means; checker/lang/check.py gives the static rules and
checker/lang/lower.py turns a checked tree into the instruction IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line and column of the first character, and of the end."""

    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


NOWHERE = Pos(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Ident:
    name: str
    pos: Pos


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr:
    pos: Pos


@dataclass(frozen=True, slots=True)
class IntLit(Expr):
    value: int


@dataclass(frozen=True, slots=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: Ident
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Field(Expr):
    obj: Expr
    name: Ident


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-" or "!"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # + - * / % == != < <= > >= && || -> | &
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class TupleLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class SetLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Quantifier(Expr):
    kind: str  # "forall" or "exists"
    var: Ident
    domain: Ident  # always `tasks`
    body: Expr


@dataclass(frozen=True, slots=True)
class Count(Expr):
    var: Ident
    domain: Ident
    cond: Expr


# ----------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Stmt:
    pos: Pos


@dataclass(frozen=True, slots=True)
class Block:
    stmts: tuple[Stmt, ...]
    pos: Pos  # from the opening brace to the closing one


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """`X = EXPR`; `X = wait()` and other calls are Assigns whose value is a Call."""

    target: Ident
    value: Expr


@dataclass(frozen=True, slots=True)
class AnyAssign(Stmt):
    """`X = any(LO..HI)`."""

    target: Ident
    lo: Expr
    hi: Expr


@dataclass(frozen=True, slots=True)
class Spawn(Stmt):
    """fork/vfork/clone/thread. `body` is None for the C-style `X = fork()`."""

    target: Ident | None
    kind: str  # "fork", "vfork", "clone", "thread"
    flags: Expr | None
    body: Block | None


@dataclass(frozen=True, slots=True)
class CallStmt(Stmt):
    call: Call


@dataclass(frozen=True, slots=True)
class Exec(Stmt):
    program: Ident


@dataclass(frozen=True, slots=True)
class Exit(Stmt):
    code: Expr | None
    thread: bool  # exit_thread rather than exit (exit_group)


@dataclass(frozen=True, slots=True)
class Assert(Stmt):
    cond: Expr
    message: str | None


@dataclass(frozen=True, slots=True)
class Assume(Stmt):
    cond: Expr


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Skip(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class VarDecl(Stmt):
    name: Ident
    init: Expr


@dataclass(frozen=True, slots=True)
class HandlerDecl(Stmt):
    name: Ident
    body: Block


@dataclass(frozen=True, slots=True)
class If(Stmt):
    cond: Expr
    then: Block
    orelse: Block | None


@dataclass(frozen=True, slots=True)
class While(Stmt):
    cond: Expr
    body: Block


@dataclass(frozen=True, slots=True)
class Repeat(Stmt):
    count: Expr
    body: Block


@dataclass(frozen=True, slots=True)
class Choose(Stmt):
    branches: tuple[Block, ...]


# ---------------------------------------------------------------------- items


@dataclass(frozen=True, slots=True)
class Item:
    pos: Pos


@dataclass(frozen=True, slots=True)
class ScenarioTitle(Item):
    title: str


@dataclass(frozen=True, slots=True)
class ProgramDecl(Item):
    """A code body: `program NAME`, `init`, `kthread NAME` or `syscall NAME`."""

    kind: str  # "program", "init", "kthread", "syscall"
    name: Ident
    body: Block


@dataclass(frozen=True, slots=True)
class Start(Item):
    names: tuple[Ident, ...]


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    key: Ident
    value: Expr


@dataclass(frozen=True, slots=True)
class Config(Item):
    entries: tuple[ConfigEntry, ...]


@dataclass(frozen=True, slots=True)
class Faults(Item):
    names: tuple[Ident, ...]


@dataclass(frozen=True, slots=True)
class Check(Item):
    names: tuple[Ident, ...]


@dataclass(frozen=True, slots=True)
class PropertyDecl(Item):
    """`invariant`, `eventually` and `final` (expr only) and `leadsto` (both)."""

    kind: str
    name: Ident
    expr: Expr
    then: Expr | None = None


@dataclass(frozen=True, slots=True)
class Observe(Item):
    exprs: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Expect(Item):
    """`expect pass | violation NAME | outcomes E in {..} | sometimes/never/always E`."""

    kind: str
    name: Ident | None = None
    expr: Expr | None = None
    values: SetLit | None = None


@dataclass(frozen=True, slots=True)
class ConformSkip(Item):
    reason: str


@dataclass(frozen=True, slots=True)
class KernelDecl(Item):
    """`kvar NAME = EXPR`, `lock NAME`, `waitqueue NAME`."""

    kind: str
    name: Ident
    init: Expr | None = None


@dataclass(slots=True)
class Scenario:
    path: str
    items: list[Item] = field(default_factory=list)
