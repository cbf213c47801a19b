"""The instruction IR every engine consumes.

Per program, a flat tuple of instructions with explicit jumps (program counter
= index). Expressions are trees with every name resolved (a local slot, a
variable slot, a kernel constant, a task field), shared by program code and by
properties: the explicit engine compiles them to Python functions
(checker/lang/pyexpr.py); a symbolic engine would compile the same trees.

Silent instructions (Jump, Choose, RepeatInit, RepeatTest) are not steps of
their own: they belong to the step of the next visible instruction
(SEMANTICS.md section 7).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from checker.errors import Diagnostic
from checker.lang.ast import Pos
from checker.lang.builtins import Settings

# ------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr:
    pass


@dataclass(frozen=True, slots=True)
class Const(Expr):
    value: int | bool | str  # str: a task state letter ("R", "Z", ...)


@dataclass(frozen=True, slots=True)
class Local(Expr):
    slot: int
    name: str


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """A `var` of the task's address space."""

    slot: int
    name: str


@dataclass(frozen=True, slots=True)
class Errno(Expr):
    pass


@dataclass(frozen=True, slots=True)
class SelfQuery(Expr):
    """getpid(), getppid(), gettid() of the running task."""

    func: str


@dataclass(frozen=True, slots=True)
class StatusField(Expr):
    obj: Expr
    index: int  # position in builtins.STATUS_FIELDS
    name: str


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


# properties only


@dataclass(frozen=True, slots=True)
class ProgramRef(Expr):
    """A program name used as a value (`T.program == main`)."""

    index: int
    name: str


@dataclass(frozen=True, slots=True)
class Bound(Expr):
    """The task a quantifier is at."""

    name: str


@dataclass(frozen=True, slots=True)
class TaskField(Expr):
    task: Expr
    name: str  # a key of builtins.TASK_FIELDS


@dataclass(frozen=True, slots=True)
class TaskVar(Expr):
    """`T.X`: variable X of whatever program T runs (slot per program)."""

    task: Expr
    name: str
    slots: tuple[tuple[int, str, int], ...]  # (program index, "var"|"local", slot)


@dataclass(frozen=True, slots=True)
class NamedVar(Expr):
    """`PROG.X`: X of the task that began as PROG (see State.named)."""

    named: int  # index into ScenarioIR.named
    program: str
    kind: str  # "var" or "local"
    slot: int
    name: str


@dataclass(frozen=True, slots=True)
class Quantified(Expr):
    kind: str  # "forall", "exists", "count"
    var: str
    body: Expr


def walk(e: Expr) -> Iterator[Expr]:
    """An expression and every expression inside it."""
    yield e
    if isinstance(e, (StatusField, Unary)):
        yield from walk(e.obj if isinstance(e, StatusField) else e.operand)
    elif isinstance(e, Binary):
        yield from walk(e.left)
        yield from walk(e.right)
    elif isinstance(e, (TaskField, TaskVar)):
        yield from walk(e.task)
    elif isinstance(e, Quantified):
        yield from walk(e.body)


# ------------------------------------------------------------ instructions

LOCAL, VAR, ERRNO = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Ref:
    """Where an assignment stores: a local slot, a `var` slot, or errno."""

    kind: int
    slot: int
    name: str


@dataclass(frozen=True, slots=True)
class Instr:
    pos: Pos
    text: str  # the statement as the trace prints it


@dataclass(frozen=True, slots=True)
class Assign(Instr):
    target: Ref
    value: Expr
    next: int


@dataclass(frozen=True, slots=True)
class AnyAssign(Instr):
    target: Ref
    lo: Expr
    hi: Expr
    next: int


@dataclass(frozen=True, slots=True)
class Branch(Instr):
    """The test of an `if` or `while`: a step of its own."""

    cond: Expr
    then_pc: int
    else_pc: int


@dataclass(frozen=True, slots=True)
class Jump(Instr):
    target: int


@dataclass(frozen=True, slots=True)
class Choose(Instr):
    targets: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RepeatInit(Instr):
    counter: int  # hidden local slot
    count: int
    next: int


@dataclass(frozen=True, slots=True)
class RepeatTest(Instr):
    counter: int
    body_pc: int
    exit_pc: int


@dataclass(frozen=True, slots=True)
class Assert(Instr):
    cond: Expr
    message: str | None
    next: int


@dataclass(frozen=True, slots=True)
class Assume(Instr):
    cond: Expr
    next: int


@dataclass(frozen=True, slots=True)
class Skip(Instr):
    next: int


@dataclass(frozen=True, slots=True)
class Spawn(Instr):
    """fork, vfork, clone, thread. The child starts at child_pc; with the
    C-style form (`cstyle`) it starts at `next` with target = 0."""

    kind: str
    target: Ref | None
    flags: Expr | None
    child_pc: int
    cstyle: bool
    next: int
    # whether the child joins the caller's thread group (`thread`, a clone
    # with CLONE_THREAD in constant flags); None when the flags are known
    # only at run time
    thread: bool | None = False


@dataclass(frozen=True, slots=True)
class Exec(Instr):
    program: int
    next: int  # where a failed exec continues


@dataclass(frozen=True, slots=True)
class Exit(Instr):
    code: Expr
    # exit_thread rather than exit_group; None (the end of a clone block whose
    # flags are known only at run time): exit_thread if the task is a thread
    # that is not its group's leader
    thread: bool | None


@dataclass(frozen=True, slots=True)
class Syscall(Instr):
    """A call such as wait, waitpid, set_subreaper, kill. `args` holds an
    Expr for each integer argument, a tuple of Exprs for a signal set, and a
    str for a handler, program, lock or queue name."""

    name: str
    target: Ref | None
    args: tuple[object, ...]
    next: int


@dataclass(frozen=True, slots=True)
class Return(Instr):
    pass


SILENT = (Jump, Choose, RepeatInit, RepeatTest)

# ----------------------------------------------------------------- programs


@dataclass(frozen=True, slots=True)
class HandlerIR:
    name: str
    entry: int
    local_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramIR:
    index: int
    name: str
    kind: str  # "program" or "init"
    var_names: tuple[str, ...]
    var_init: tuple[int | bool, ...]
    local_names: tuple[str, ...]  # frame slots; hidden repeat counters start with '$'
    code: tuple[Instr, ...]
    entry: int
    handlers: dict[str, HandlerIR]
    pos: Pos


@dataclass(frozen=True, slots=True)
class PropertyIR:
    name: str
    expr: Expr
    pos: Pos
    text: str


@dataclass(frozen=True, slots=True)
class LivenessIR:
    """`eventually NAME: P` (then is None) or `leadsto NAME: P ~> Q`."""

    name: str
    kind: str  # "eventually" or "leadsto"
    expr: Expr
    then: Expr | None
    pos: Pos
    text: str


@dataclass(frozen=True, slots=True)
class ObserveIR:
    text: str
    expr: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class ExpectIR:
    kind: str  # pass, violation, outcomes, sometimes, never, always
    pos: Pos
    text: str  # the line as written, for reports
    name: str | None = None
    exprs: tuple[Expr, ...] = ()
    expr_texts: tuple[str, ...] = ()
    values: frozenset[tuple[object, ...]] = frozenset()


@dataclass(frozen=True, slots=True)
class ScenarioIR:
    path: str
    title: str | None
    programs: tuple[ProgramIR, ...]
    start: tuple[int, ...]  # program indices, in `start` order
    init: int | None  # index of a user `init { }`, else the default init
    settings: Settings
    faults: frozenset[str]
    checks: tuple[str, ...]
    invariants: tuple[PropertyIR, ...]
    finals: tuple[PropertyIR, ...]
    observes: tuple[ObserveIR, ...]
    expects: tuple[ExpectIR, ...]
    named: tuple[int, ...]  # programs whose begun task properties read (PROG.X)
    warnings: tuple[Diagnostic, ...] = field(default=())
    liveness: tuple[LivenessIR, ...] = ()
    conform_skip: str | None = None

    def program(self, name: str) -> ProgramIR:
        for p in self.programs:
            if p.name == name:
                return p
        raise KeyError(name)
