"""Static checks: turn a parsed Scenario into a CheckedScenario or report
every mistake in it.

What is checked (each with its position): a missing `main`; unknown programs
in `start` and `exec`; unknown handlers; locals read before any assignment on
some path (definite assignment, as in Java); duplicate programs, handlers,
variables and properties; `PROG.X` naming no variable or an ambiguous task;
status fields on a value that is not a status record; unknown names and
constants; calls with side effects inside expressions; `repeat` with a count
that is not a constant; `var` after a statement; config, faults, check and
expect lines; and every construct whose semantics is not built yet.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from checker.errors import Diagnostic, UserError
from checker.lang import ast as A
from checker.lang import ir
from checker.lang.builtins import (
    BOOL,
    BUILTIN_PROPERTIES,
    CONFIG_INT_KEYS,
    CONFIG_NAME_KEYS,
    FAULTS,
    FUNCTIONS,
    INT,
    PROGRAM,
    SIGSET,
    STATE,
    STATUS,
    STATUS_FIELDS,
    TASK,
    TASK_FIELDS,
    TUPLE,
    FuncSpec,
    Settings,
)
from checker.lang.constants import (
    CONSTANTS,
    LONG_MAX,
    LONG_MIN,
    NSIG,
    NSIG_STANDARD,
    STATE_NAMES,
)
from checker.lang.pyexpr import EvalError, compile_program_expr

# ------------------------------------------------------------------ results


@dataclass(slots=True)
class VarInfo:
    name: str
    init: A.Expr
    type: str
    value: int | bool
    pos: A.Pos


@dataclass(slots=True)
class Frame:
    """The locals of one frame (a program body, or a handler), by first use."""

    locals: dict[str, str] = field(default_factory=dict)  # name -> type


@dataclass(slots=True)
class HandlerInfo:
    name: str
    decl: A.HandlerDecl
    frame: Frame


@dataclass(slots=True)
class ProgramInfo:
    name: str
    kind: str  # "program" or "init"
    decl: A.ProgramDecl
    vars: dict[str, VarInfo]
    body: tuple[A.Stmt, ...]  # without the var and handler declarations
    frame: Frame
    handlers: dict[str, HandlerInfo]


@dataclass(slots=True)
class CheckedScenario:
    path: str
    title: str | None
    programs: dict[str, ProgramInfo]  # `program` items, in file order
    init: ProgramInfo | None  # a user `init { }`
    start: list[A.Ident]
    settings: Settings
    faults: frozenset[str]
    checks: tuple[str, ...]  # built-in properties to check
    invariants: list[A.PropertyDecl]
    finals: list[A.PropertyDecl]
    liveness: list[A.PropertyDecl]  # eventually, leadsto
    observes: list[A.Expr]
    expects: list[A.Expect]
    named: tuple[str, ...]  # programs whose task a property names as PROG.X
    warnings: list[Diagnostic]
    conform_skip: str | None = None


# ------------------------------------------------------------------ helpers

_CONSTANT_LIKE = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


def _a(noun: str | None) -> str:
    """`an integer`, `a status record`."""
    noun = noun or "value"
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _suggest(name: str, choices: object) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)  # type: ignore[call-overload]
    return f"; did you mean `{close[0]}`?" if close else ""


def _merge(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Join of two paths: what is assigned on both (an unreachable path is neutral)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _const_ir(expr: A.Expr) -> ir.Expr | None:
    """The IR of a constant expression, or None if it is not constant."""
    if isinstance(expr, (A.IntLit, A.BoolLit)):
        return ir.Const(expr.value)
    if isinstance(expr, A.Name):
        value = CONSTANTS.get(expr.name)
        return ir.Const(value) if value is not None else None
    if isinstance(expr, A.Unary):
        inner = _const_ir(expr.operand)
        return ir.Unary(expr.op, inner) if inner is not None else None
    if isinstance(expr, A.Binary):
        left, right = _const_ir(expr.left), _const_ir(expr.right)
        if left is None or right is None:
            return None
        return ir.Binary(expr.op, left, right)
    return None


def const_value(expr: A.Expr) -> int | bool | None:
    """The value of a constant expression (literals, kernel constants and
    arithmetic on them), or None if it is not constant. It is computed by
    the same compiled code as at run time, so C's rules apply: an overflow or
    a division by zero raises EvalError."""
    code = _const_ir(expr)
    if code is None:
        return None
    value = compile_program_expr(code, {})(None, None, (), ())
    assert isinstance(value, (int, bool))
    if not isinstance(value, bool) and not LONG_MIN <= value <= LONG_MAX:
        raise EvalError(f"{value} does not fit in 64 bits")
    return value


def stmt_name(stmt: A.Stmt) -> str:
    """How a statement is named in messages: `kill`, `vfork { }`, `exec`."""
    if isinstance(stmt, A.Spawn):
        if stmt.kind == "clone":
            return "clone(...) { }"
        return f"{stmt.kind} {{ }}" if stmt.body is not None else f"{stmt.kind}()"
    if isinstance(stmt, A.Exec):
        return "exec"
    if isinstance(stmt, A.Exit):
        return "exit_thread" if stmt.thread else "exit"
    return type(stmt).__name__.lower()


# ------------------------------------------------------------------ checker


class _Checker:
    def __init__(self, scenario: A.Scenario):
        self.sc = scenario
        self.path = scenario.path
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.programs: dict[str, ProgramInfo] = {}
        self.init: ProgramInfo | None = None
        self.prog_decls: dict[str, A.ProgramDecl] = {}
        # exec sites per program name: (position, inside a loop)
        self.exec_sites: dict[str, list[tuple[A.Pos, bool]]] = {}
        self.fault_names: frozenset[str] = frozenset()
        self.named: dict[str, A.Pos] = {}  # PROG of PROG.X, first use
        self.fairness_pos: A.Pos | None = None  # where `config` sets `fairness`

    def error(self, pos: A.Pos, message: str) -> None:
        self.errors.append(Diagnostic(self.path, pos, message))

    def warn(self, pos: A.Pos, message: str) -> None:
        self.warnings.append(Diagnostic(self.path, pos, message, "warning"))

    def unsupported(self, pos: A.Pos, what: str) -> None:
        self.error(pos, f"{what} is not supported yet")

    def constant(self, expr: A.Expr) -> int | bool | None:
        """const_value, with an arithmetic error reported here (the value is
        then 0, so that the caller adds no second error)."""
        try:
            return const_value(expr)
        except EvalError as err:
            self.error(expr.pos, f"this constant expression fails: {err}")
            return 0

    # -------------------------------------------------------------- driver
    def run(self) -> CheckedScenario:
        items = self.sc.items
        title: str | None = None
        start: A.Start | None = None
        config: A.Config | None = None
        faults: A.Faults | None = None
        conform: str | None = None
        checks: list[A.Ident] = []
        props: dict[str, A.PropertyDecl] = {}
        observes: list[A.Expr] = []
        expects: list[A.Expect] = []

        def once(item: A.Item, prev: A.Item | None, what: str) -> bool:
            if prev is not None:
                self.error(item.pos, f"{what} is given twice (first at {prev.pos})")
                return False
            return True

        title_item: A.Item | None = None
        conform_item: A.Item | None = None
        for item in items:
            if isinstance(item, A.ScenarioTitle):
                if once(item, title_item, "`scenario`"):
                    title_item, title = item, item.title
            elif isinstance(item, A.ProgramDecl):
                self.declare_program(item)
            elif isinstance(item, A.Start):
                if once(item, start, "`start`"):
                    start = item
            elif isinstance(item, A.Config):
                if once(item, config, "`config`"):
                    config = item
            elif isinstance(item, A.Faults):
                if once(item, faults, "`faults`"):
                    faults = item
            elif isinstance(item, A.Check):
                checks.extend(item.names)
            elif isinstance(item, A.PropertyDecl):
                prev = props.get(item.name.name)
                if prev is not None:
                    self.error(
                        item.name.pos,
                        f"duplicate property `{item.name.name}` (first declared at {prev.pos})",
                    )
                elif item.name.name in BUILTIN_PROPERTIES:
                    self.error(
                        item.name.pos, f"`{item.name.name}` is the name of a built-in property"
                    )
                else:
                    props[item.name.name] = item
            elif isinstance(item, A.Observe):
                observes.extend(item.exprs)
            elif isinstance(item, A.Expect):
                expects.append(item)
            elif isinstance(item, A.ConformSkip):
                if once(item, conform_item, "`conform skip`"):
                    conform_item, conform = item, item.reason
            elif isinstance(item, A.KernelDecl):
                self.unsupported(item.pos, f"`{item.kind}`")

        start_names = self.check_start(start)
        settings = self.check_config(config, len(start_names))
        fault_set = self.check_faults(faults)
        self.fault_names = fault_set

        for info in list(self.programs.values()) + ([self.init] if self.init else []):
            self.check_program(info)

        # properties and expectations (after programs: they name variables)
        invariants = [p for p in props.values() if p.kind == "invariant"]
        finals = [p for p in props.values() if p.kind == "final"]
        liveness = [p for p in props.values() if p.kind in ("eventually", "leadsto")]
        for p in props.values():
            self.check_bool(p.expr, {})
            if p.then is not None:
                self.check_bool(p.then, {})
        for e in observes:
            t = self.prop_expr(e, {})
            if t in (TASK, SIGSET, TUPLE):
                self.error(e.pos, f"cannot observe {_a(t)}")
        for ex in expects:
            self.check_expect(ex, props)
        check_list = self.check_checks(checks, expects, props)
        if (
            self.fairness_pos is not None
            and not liveness
            and "zombies_eventually_reaped" not in check_list
        ):
            self.warn(
                self.fairness_pos,
                "fairness matters only for liveness properties (`eventually`, `leadsto`, "
                "zombies_eventually_reaped), and this scenario has none",
            )
        self.check_named(start_names)

        self.errors.sort(key=Diagnostic.sort_key)
        if self.errors:
            raise UserError(self.errors + sorted(self.warnings, key=Diagnostic.sort_key))
        return CheckedScenario(
            path=self.path,
            title=title,
            programs=self.programs,
            init=self.init,
            start=start_names,
            settings=settings,
            faults=fault_set,
            checks=check_list,
            invariants=invariants,
            finals=finals,
            liveness=liveness,
            observes=observes,
            expects=expects,
            named=tuple(n for n in self.programs if n in self.named),
            warnings=sorted(self.warnings, key=Diagnostic.sort_key),
            conform_skip=conform,
        )

    # -------------------------------------------------------------- items
    def declare_program(self, decl: A.ProgramDecl) -> None:
        if decl.kind in ("kthread", "syscall"):
            self.unsupported(decl.pos, f"`{decl.kind}`")
            return
        name = decl.name.name
        prev = self.prog_decls.get(name)
        if prev is not None:
            what = "`init`" if decl.kind == "init" else f"program `{name}`"
            self.error(decl.name.pos, f"duplicate {what} (first declared at {prev.pos})")
            return
        if decl.kind == "program" and name == "init":
            self.error(decl.name.pos, "`init` is reserved: write `init { ... }` to replace init")
            return
        self.prog_decls[name] = decl
        info = self.split_body(decl)
        if decl.kind == "init":
            self.init = info
        else:
            self.programs[name] = info

    def split_body(self, decl: A.ProgramDecl) -> ProgramInfo:
        """Separate the leading `var` and `handler` declarations from the code."""
        vars_: dict[str, VarInfo] = {}
        handlers: dict[str, HandlerInfo] = {}
        body: list[A.Stmt] = []
        for stmt in decl.body.stmts:
            if isinstance(stmt, A.VarDecl):
                if body:
                    # reported, and declared all the same, so that its uses
                    # do not each get an error of their own
                    self.error(
                        stmt.pos,
                        "`var` declarations go at the top of the program body, before any statement",
                    )
                if stmt.name.name in vars_:
                    first = vars_[stmt.name.name].pos
                    self.error(
                        stmt.name.pos,
                        f"duplicate variable `{stmt.name.name}` (first declared at {first})",
                    )
                    continue
                if stmt.name.name in CONSTANTS or stmt.name.name == "errno":
                    self.error(stmt.name.pos, f"`{stmt.name.name}` is a constant name")
                    continue
                value = self.constant(stmt.init)
                if value is None:
                    self.error(
                        stmt.init.pos,
                        "the initial value of a `var` must be a constant (it is set when the image starts)",
                    )
                    value = 0
                vtype = BOOL if isinstance(value, bool) else INT
                vars_[stmt.name.name] = VarInfo(stmt.name.name, stmt.init, vtype, value, stmt.pos)
            elif isinstance(stmt, A.HandlerDecl):
                if body:
                    self.error(
                        stmt.pos,
                        "`handler` declarations go at the top of the program body, before any statement",
                    )
                    continue
                if stmt.name.name in handlers:
                    first = handlers[stmt.name.name].decl.pos
                    self.error(
                        stmt.name.pos,
                        f"duplicate handler `{stmt.name.name}` (first declared at {first})",
                    )
                    continue
                handlers[stmt.name.name] = HandlerInfo(stmt.name.name, stmt, Frame())
            else:
                body.append(stmt)
        return ProgramInfo(decl.name.name, decl.kind, decl, vars_, tuple(body), Frame(), handlers)

    def check_start(self, start: A.Start | None) -> list[A.Ident]:
        if start is None:
            if "main" not in self.programs:
                where = A.Pos(1, 1, 1, 1)
                self.error(
                    where,
                    "no `program main`, and no `start` line naming the programs to run",
                )
                return []
            return [A.Ident("main", self.programs["main"].decl.name.pos)]
        for ident in start.names:
            if ident.name not in self.programs:
                hint = _suggest(ident.name, self.programs)
                if ident.name == "init" and self.init is not None:
                    self.error(ident.pos, "`init` is pid 1 and cannot be started by `start`")
                else:
                    self.error(ident.pos, f"unknown program `{ident.name}` in `start`{hint}")
        return [i for i in start.names if i.name in self.programs]

    def check_config(self, config: A.Config | None, n_start: int) -> Settings:
        values: dict[str, int | str] = {}
        where: dict[str, A.Pos] = {}
        if config is not None:
            seen: dict[str, A.Pos] = {}
            for entry in config.entries:
                key = entry.key.name
                if key in seen:
                    self.error(entry.key.pos, f"`{key}` is set twice (first at {seen[key]})")
                    continue
                seen[key] = where[key] = entry.key.pos
                if key in CONFIG_NAME_KEYS:
                    val = entry.value
                    names = CONFIG_NAME_KEYS[key]
                    if isinstance(val, A.Name) and val.name in names:
                        values[key] = val.name
                        if key == "fairness":
                            self.fairness_pos = val.pos
                    else:
                        valid = ", ".join(f"`{n}`" for n in names)
                        self.error(val.pos, f"{key} is one of {valid}")
                    continue
                if key not in CONFIG_INT_KEYS:
                    choices = [*CONFIG_INT_KEYS, *CONFIG_NAME_KEYS]
                    self.error(entry.key.pos, f"unknown config key `{key}`{_suggest(key, choices)}")
                    continue
                value = self.constant(entry.value)
                if not isinstance(value, int) or isinstance(value, bool):
                    self.error(entry.value.pos, f"`{key}` must be a constant integer")
                    continue
                minimum = CONFIG_INT_KEYS[key][1]
                if value < minimum:
                    self.error(entry.value.pos, f"`{key}` must be at least {minimum}")
                    continue
                values[key] = value
        settings = Settings(**values)  # type: ignore[arg-type]
        start_of_file = A.Pos(1, 1, 1, 1)
        if settings.max_tasks < n_start + 1:
            self.error(
                where.get("max_tasks", config.pos if config else start_of_file),
                f"max_tasks = {settings.max_tasks} leaves no room for the {n_start} "
                "program(s) of `start` (init takes one slot)",
            )
        if settings.pid_max < n_start + 2:
            self.error(
                where.get("pid_max", config.pos if config else start_of_file),
                f"pid_max = {settings.pid_max} leaves no pid for the {n_start} program(s) of `start`",
            )
        return settings

    def check_faults(self, faults: A.Faults | None) -> frozenset[str]:
        names: set[str] = set()
        if faults is None:
            return frozenset()
        for ident in faults.names:
            if ident.name not in FAULTS:
                self.error(
                    ident.pos,
                    f"unknown fault `{ident.name}` (one of {', '.join(FAULTS)}){_suggest(ident.name, FAULTS)}",
                )
            elif not FAULTS[ident.name]:
                self.unsupported(ident.pos, f"`faults {{ {ident.name} }}`")
            else:
                names.add(ident.name)
        return frozenset(names)

    def check_checks(
        self, checks: list[A.Ident], expects: list[A.Expect], props: dict[str, A.PropertyDecl]
    ) -> tuple[str, ...]:
        names: list[str] = []
        for ident in checks:
            spec = BUILTIN_PROPERTIES.get(ident.name)
            if spec is None:
                hint = _suggest(ident.name, BUILTIN_PROPERTIES)
                if ident.name in props:
                    self.error(
                        ident.pos,
                        f"`{ident.name}` is a property of this file and is always checked; "
                        "`check` names built-in properties",
                    )
                else:
                    self.error(ident.pos, f"unknown built-in property `{ident.name}`{hint}")
            elif not spec.supported:
                self.unsupported(ident.pos, f"`check {ident.name}`")
            elif ident.name not in names:
                names.append(ident.name)
        if not checks:
            names = [n for n, s in BUILTIN_PROPERTIES.items() if s.default]
        # an expected violation of a built-in is checked even if not listed
        for ex in expects:
            if ex.kind == "violation" and ex.name is not None:
                spec = BUILTIN_PROPERTIES.get(ex.name.name)
                if spec is not None and spec.supported and ex.name.name not in names:
                    names.append(ex.name.name)
        if "assertions" not in names:
            names.insert(0, "assertions")
        order = list(BUILTIN_PROPERTIES)
        return tuple(sorted(names, key=order.index))

    def check_expect(self, ex: A.Expect, props: dict[str, A.PropertyDecl]) -> None:
        if ex.kind == "violation":
            assert ex.name is not None
            name = ex.name.name
            spec = BUILTIN_PROPERTIES.get(name)
            if spec is not None:
                if not spec.supported:
                    self.unsupported(ex.name.pos, f"`{name}`")
            elif name not in props:
                hint = _suggest(name, [*BUILTIN_PROPERTIES, *props])
                self.error(ex.name.pos, f"`expect violation` names no property `{name}`{hint}")
        elif ex.kind == "outcomes":
            assert ex.expr is not None and ex.values is not None
            subject = ex.expr.items if isinstance(ex.expr, A.TupleLit) else (ex.expr,)
            types = [self.prop_expr(e, {}) for e in subject]
            for e, t in zip(subject, types, strict=True):
                if t not in (INT, BOOL, None):
                    self.error(e.pos, f"outcomes are integers or booleans, not {_a(t)}")
            for value in ex.values.items:
                row = value.items if isinstance(value, A.TupleLit) else (value,)
                if len(row) != len(subject):
                    self.error(
                        value.pos,
                        f"this outcome has {len(row)} value(s), the subject has {len(subject)}",
                    )
                    continue
                for v, t in zip(row, types, strict=True):
                    cv = self.constant(v)
                    if cv is None:
                        self.error(v.pos, "an outcome is a constant (an integer or true/false)")
                    elif t in (INT, BOOL) and isinstance(cv, bool) != (t == BOOL):
                        self.error(v.pos, f"this outcome is not {_a(t)}")
        elif ex.kind in ("sometimes", "never", "always"):
            assert ex.expr is not None
            self.check_bool(ex.expr, {})
        elif ex.kind == "pass":
            clash = [e for e in self.sc.items if isinstance(e, A.Expect) and e.kind == "violation"]
            if clash:
                self.error(
                    ex.pos,
                    f"`expect pass` contradicts `expect violation` at {clash[0].pos}",
                )

    def check_named(self, start: list[A.Ident]) -> None:
        """`PROG.X` must name one task: the one `start` or `exec PROG` began."""
        for prog, pos in self.named.items():
            sources = [f"`start` at {i.pos}" for i in start if i.name == prog]
            for site, in_loop in self.exec_sites.get(prog, []):
                sources.append(f"`exec {prog}` at {site}" + (" (in a loop)" if in_loop else ""))
            looping = any(loop for _, loop in self.exec_sites.get(prog, []))
            if not sources:
                self.error(
                    pos,
                    f"no task begins as `{prog}` (it is neither started nor exec'd), so "
                    f"`{prog}.X` names nothing; a quantifier (`forall T in tasks: ...`) names "
                    "the tasks running its image",
                )
            elif len(sources) > 1 or looping:
                self.error(
                    pos,
                    f"`{prog}.X` is ambiguous: several tasks can begin as `{prog}` "
                    f"({'; '.join(sources)}); use a quantifier over tasks instead",
                )

    # -------------------------------------------------------------- programs
    def check_program(self, info: ProgramInfo) -> None:
        body = _BodyChecker(self, info, info.frame, handler=None)
        body.infer(info.body)
        body.walk(info.body, frozenset(), loop=False)
        for handler in info.handlers.values():
            hb = _BodyChecker(self, info, handler.frame, handler=handler)
            hb.infer(handler.decl.body.stmts)
            hb.walk(handler.decl.body.stmts, frozenset(), loop=False)

    # -------------------------------------------------------------- properties
    def check_bool(self, expr: A.Expr, bound: dict[str, A.Pos]) -> None:
        t = self.prop_expr(expr, bound)
        if t is not None and t not in (BOOL, INT):
            self.error(expr.pos, f"expected a condition, found {_a(t)}")

    def int_literal(self, expr: A.IntLit) -> str:
        if not LONG_MIN <= expr.value <= LONG_MAX:
            self.error(expr.pos, f"{expr.value} does not fit in 64 bits")
        return INT

    def prop_expr(self, expr: A.Expr, bound: dict[str, A.Pos]) -> str | None:
        """Type of a property expression (None when an error was reported)."""
        if isinstance(expr, A.IntLit):
            return self.int_literal(expr)
        if isinstance(expr, A.BoolLit):
            return BOOL
        if isinstance(expr, A.Name):
            n = expr.name
            if n in bound:
                return TASK
            if n in self.programs:
                return PROGRAM
            if n in STATE_NAMES:
                return STATE
            if n in CONSTANTS:
                return INT
            if n == "tasks":
                self.error(expr.pos, "`tasks` is used as `forall T in tasks: ...`")
                return None
            choices = [*bound, *self.programs, *STATE_NAMES, *CONSTANTS]
            if _CONSTANT_LIKE.match(n):
                self.error(expr.pos, f"unknown constant `{n}`{_suggest(n, choices)}")
            else:
                self.error(
                    expr.pos,
                    f"unknown name `{n}` (a property names tasks with `PROG.X` or a quantifier)"
                    + _suggest(n, choices),
                )
            return None
        if isinstance(expr, A.Field):
            return self.prop_field(expr, bound)
        if isinstance(expr, A.Call):
            self.error(expr.pos, f"calls are not allowed in properties (`{expr.func.name}()`)")
            return None
        if isinstance(expr, (A.Quantifier, A.Count)):
            if expr.domain.name != "tasks":
                self.error(
                    expr.domain.pos, f"quantifiers range over `tasks`, not `{expr.domain.name}`"
                )
            if expr.var.name in bound:
                self.error(expr.var.pos, f"`{expr.var.name}` is already bound")
            inner = {**bound, expr.var.name: expr.var.pos}
            body = expr.body if isinstance(expr, A.Quantifier) else expr.cond
            self.check_bool(body, inner)
            return BOOL if isinstance(expr, A.Quantifier) else INT
        if isinstance(expr, (A.TupleLit, A.SetLit)):
            self.error(expr.pos, "a tuple or set is only allowed in `expect outcomes`")
            return None
        return self.operator_type(expr, lambda e: self.prop_expr(e, bound))

    def prop_field(self, expr: A.Field, bound: dict[str, A.Pos]) -> str | None:
        obj, fname = expr.obj, expr.name.name
        if isinstance(obj, A.Name) and obj.name in self.programs and obj.name not in bound:
            prog = self.programs[obj.name]
            self.named.setdefault(obj.name, obj.pos)
            if fname in prog.vars:
                return prog.vars[fname].type
            if fname in prog.frame.locals:
                return prog.frame.locals[fname]
            choices = [*prog.vars, *prog.frame.locals]
            self.error(
                expr.name.pos,
                f"program `{obj.name}` has no variable `{fname}`{_suggest(fname, choices)}",
            )
            return None
        otype = self.prop_expr(obj, bound)
        if otype is None:
            return None
        if otype == TASK:
            if fname in TASK_FIELDS:
                return TASK_FIELDS[fname]
            found = {
                t
                for p in self.programs.values()
                for t in ([p.vars[fname].type] if fname in p.vars else [])
                + ([p.frame.locals[fname]] if fname in p.frame.locals else [])
            }
            if not found:
                choices = [*TASK_FIELDS, *(v for p in self.programs.values() for v in p.vars)]
                self.error(
                    expr.name.pos,
                    f"tasks have no field `{fname}` and no program has a variable `{fname}`"
                    + _suggest(fname, choices),
                )
                return None
            if len(found) > 1:
                self.error(expr.name.pos, f"`{fname}` has different types in different programs")
                return None
            return found.pop()
        return self.status_field(expr, otype)

    def status_field(self, expr: A.Field, otype: str) -> str | None:
        fname = expr.name.name
        if otype != STATUS:
            self.error(
                expr.name.pos,
                f"`.{fname}`: this is {_a(otype)}, not a status record (only `wait` and "
                "`waitpid` return one)",
            )
            return None
        if fname not in STATUS_FIELDS:
            self.error(
                expr.name.pos,
                f"a status record has no field `{fname}`{_suggest(fname, STATUS_FIELDS)} "
                f"(fields: {', '.join(STATUS_FIELDS)})",
            )
            return None
        return STATUS_FIELDS[fname]

    def operator_type(self, expr: A.Expr, sub: object) -> str | None:
        """Types of unary and binary operators, shared by programs and properties."""
        typeof = sub  # callable: Expr -> type | None
        if isinstance(expr, A.Unary):
            t = typeof(expr.operand)  # type: ignore[operator]
            if expr.op == "-":
                if t not in (INT, None):
                    self.error(expr.pos, f"`-` needs an integer, found {_a(t)}")
                return INT
            if t not in (INT, BOOL, None):
                self.error(expr.pos, f"`!` needs a condition, found {_a(t)}")
            return BOOL
        if isinstance(expr, A.Binary):
            lt, rt = typeof(expr.left), typeof(expr.right)  # type: ignore[operator]
            op = expr.op
            if op in ("&&", "||", "->"):
                for side, t in ((expr.left, lt), (expr.right, rt)):
                    if t not in (INT, BOOL, None):
                        self.error(side.pos, f"`{op}` needs conditions, found {_a(t)}")
                return BOOL
            if op in ("==", "!="):
                if lt is None or rt is None:
                    return BOOL
                if lt == STATUS or rt == STATUS:
                    self.error(
                        expr.pos,
                        "status records cannot be compared; compare a field (`w.pid`, `w.code`)",
                    )
                elif lt != rt and {lt, rt} != {INT, BOOL}:
                    self.error(expr.pos, f"cannot compare {_a(lt)} with {_a(rt)}")
                return BOOL
            for side, t in ((expr.left, lt), (expr.right, rt)):
                if t not in (INT, None):
                    self.error(side.pos, f"`{op}` needs integers, found {_a(t)}")
            return BOOL if op in ("<", "<=", ">", ">=") else INT
        self.error(expr.pos, "this expression is not allowed here")
        return None


class _BodyChecker:
    """Checks one frame: a program's code (with its fork blocks) or a handler."""

    def __init__(
        self, outer: _Checker, prog: ProgramInfo, frame: Frame, handler: HandlerInfo | None
    ):
        self.c = outer
        self.prog = prog
        self.frame = frame
        self.handler = handler
        self.assigned_at: dict[str, A.Pos] = {}

    # ---------------------------------------------------- pass 1: local types
    def infer(self, stmts: tuple[A.Stmt, ...]) -> None:
        """Give every local a type from its assignments (a fixpoint, since
        `y = x` takes x's type), and report locals assigned two types."""
        sources: list[tuple[A.Ident, object]] = []  # (target, Expr | type)

        def collect(body: tuple[A.Stmt, ...]) -> None:
            for s in body:
                if isinstance(s, A.Assign):
                    value: object = s.value
                    if isinstance(s.value, A.Call):
                        spec = FUNCTIONS.get(s.value.func.name)
                        if spec is not None and spec.effect != "query":
                            value = spec.returns or INT
                    sources.append((s.target, value))
                elif isinstance(s, A.AnyAssign):
                    sources.append((s.target, INT))
                elif isinstance(s, A.Spawn):
                    if s.target is not None:
                        sources.append((s.target, INT))
                    if s.body is not None:
                        collect(s.body.stmts)
                elif isinstance(s, A.If):
                    collect(s.then.stmts)
                    if s.orelse is not None:
                        collect(s.orelse.stmts)
                elif isinstance(s, (A.While, A.Repeat)):
                    collect(s.body.stmts)
                elif isinstance(s, A.Choose):
                    for b in s.branches:
                        collect(b.stmts)

        collect(stmts)
        types: dict[str, str] = {}
        for _ in range(len(sources) + 1):
            changed = False
            for target, value in sources:
                name = target.name
                if name in self.prog.vars or name == "errno" or name in CONSTANTS:
                    continue
                t = value if isinstance(value, str) else self.quiet_type(value, types)
                if t is not None and name not in types:
                    types[name] = t
                    self.assigned_at.setdefault(name, target.pos)
                    changed = True
            if not changed:
                break
        for target, value in sources:
            name = target.name
            if name in CONSTANTS:
                self.c.error(target.pos, f"cannot assign to the constant `{name}`")
                continue
            t = value if isinstance(value, str) else self.quiet_type(value, types)
            if name in self.prog.vars:
                want = self.prog.vars[name].type
            elif name == "errno":
                want = INT
            else:
                want = types.get(name, t or INT)
                types.setdefault(name, want)
            if t is not None and t != want and {t, want} != {INT, BOOL}:
                first = self.assigned_at.get(name)
                where = f" (assigned at {first})" if first and first != target.pos else ""
                self.c.error(target.pos, f"`{name}` holds {_a(want)}{where}; this assigns {_a(t)}")
        # slot order: first assignment in the source
        for target, _ in sorted(sources, key=lambda s: (s[0].pos.line, s[0].pos.col)):
            n = target.name
            if n in types and n not in self.frame.locals:
                self.frame.locals[n] = types[n]

    def quiet_type(self, value: object, types: dict[str, str]) -> str | None:
        """Type of an expression from what is known so far, reporting nothing."""
        if not isinstance(value, A.Expr):
            return None
        if isinstance(value, A.IntLit):
            return INT
        if isinstance(value, A.BoolLit):
            return BOOL
        if isinstance(value, A.Name):
            if value.name in self.prog.vars:
                return self.prog.vars[value.name].type
            if value.name in CONSTANTS or value.name == "errno":
                return INT
            return types.get(value.name)
        if isinstance(value, A.Call):
            spec = FUNCTIONS.get(value.func.name)
            return spec.returns if spec else None
        if isinstance(value, A.Field):
            return STATUS_FIELDS.get(value.name.name)
        if isinstance(value, A.Unary):
            return INT if value.op == "-" else BOOL
        if isinstance(value, A.Binary):
            return INT if value.op in ("+", "-", "*", "/", "%", "|", "&") else BOOL
        return None

    # ---------------------------------------------------- pass 2: walk
    def walk(
        self, stmts: tuple[A.Stmt, ...], assigned: frozenset[str] | None, loop: bool
    ) -> frozenset[str] | None:
        for s in stmts:
            if isinstance(s, (A.VarDecl, A.HandlerDecl)):
                kind = "`var`" if isinstance(s, A.VarDecl) else "`handler`"
                self.c.error(s.pos, f"{kind} declarations go at the top of a program body")
                continue
            reachable = assigned if assigned is not None else frozenset(self.frame.locals)
            assigned = self.stmt(s, reachable, loop)
        return assigned

    def stmt(self, s: A.Stmt, assigned: frozenset[str], loop: bool) -> frozenset[str] | None:
        c = self.c
        if isinstance(s, A.Assign):
            if isinstance(s.value, A.Call) and self.is_effect(s.value):
                spec = self.call(s.value, assigned, statement=True)
                if spec is not None and spec.returns is None:
                    c.error(s.value.pos, f"`{spec.name}()` returns no value")
            else:
                self.expr(s.value, assigned)
            return assigned | {s.target.name}
        if isinstance(s, A.AnyAssign):
            self.int_expr(s.lo, assigned)
            self.int_expr(s.hi, assigned)
            lo, hi = self.c.constant(s.lo), self.c.constant(s.hi)
            if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
                c.error(s.pos, f"empty range any({lo}..{hi})")
            return assigned | {s.target.name}
        if isinstance(s, A.Spawn):
            if s.flags is not None:
                self.int_expr(s.flags, assigned)
            if s.body is not None:
                self.walk(s.body.stmts, assigned, loop)
            return assigned | ({s.target.name} if s.target is not None else set())
        if isinstance(s, A.CallStmt):
            self.call(s.call, assigned, statement=True)
            return assigned
        if isinstance(s, A.Exec):
            name = s.program.name
            if name not in c.programs:
                c.error(
                    s.program.pos, f"unknown program `{name}` in `exec`{_suggest(name, c.programs)}"
                )
            else:
                c.exec_sites.setdefault(name, []).append((s.pos, loop))
            # a failed exec (faults { exec }) goes on with the next statement
            return assigned if "exec" in c.fault_names else None
        if isinstance(s, A.Exit):
            if s.code is not None:
                self.int_expr(s.code, assigned)
            return None
        if isinstance(s, A.Assert):
            self.cond(s.cond, assigned)
            return assigned
        if isinstance(s, A.Assume):
            self.cond(s.cond, assigned)
            return assigned
        if isinstance(s, A.Return):
            if self.handler is None:
                c.error(s.pos, "`return` outside a handler (a program ends with `exit`)")
            return None
        if isinstance(s, A.Skip):
            return assigned
        if isinstance(s, A.If):
            self.cond(s.cond, assigned)
            then = self.walk(s.then.stmts, assigned, loop)
            orelse = self.walk(s.orelse.stmts, assigned, loop) if s.orelse else assigned
            return _merge(then, orelse)
        if isinstance(s, A.While):
            self.cond(s.cond, assigned)
            self.walk(s.body.stmts, assigned, True)
            always = self.c.constant(s.cond)
            return None if always is True else assigned
        if isinstance(s, A.Repeat):
            n = self.c.constant(s.count)
            if not isinstance(n, int) or isinstance(n, bool):
                self.expr(s.count, assigned)
                c.error(
                    s.count.pos,
                    "`repeat` needs a constant count; a count known only at run time needs `while`",
                )
                n = 0
            elif n < 0:
                c.error(s.count.pos, f"`repeat` count is negative ({n})")
            out = self.walk(s.body.stmts, assigned, True)
            return out if n > 0 else assigned
        if isinstance(s, A.Choose):
            result: frozenset[str] | None = None
            first = True
            for branch in s.branches:
                out = self.walk(branch.stmts, assigned, loop)
                result = out if first else _merge(result, out)
                first = False
            return result
        c.error(s.pos, f"unexpected statement {type(s).__name__}")
        return assigned

    # ---------------------------------------------------- calls
    def is_effect(self, call: A.Call) -> bool:
        spec = FUNCTIONS.get(call.func.name)
        return spec is None or spec.effect != "query"

    def call(self, call: A.Call, assigned: frozenset[str], statement: bool) -> FuncSpec | None:
        c = self.c
        name = call.func.name
        spec = FUNCTIONS.get(name)
        if spec is None:
            c.error(call.func.pos, f"unknown function `{name}`{_suggest(name, FUNCTIONS)}")
            for a in call.args:
                if not isinstance(a, A.SetLit):
                    self.expr(a, assigned, quiet_names=True)
            return None
        if not statement and spec.effect != "query":
            c.error(
                call.pos,
                f"`{name}()` has side effects: call it as a statement or assign its result "
                f"(`r = {name}(...)`), not inside an expression",
            )
        lo, hi = len(spec.params) - spec.optional, len(spec.params)
        if not lo <= len(call.args) <= hi:
            want = f"{lo}" if lo == hi else f"{lo} or {hi}" if hi == lo + 1 else f"{lo} to {hi}"
            c.error(call.pos, f"`{name}` takes {want} argument(s), not {len(call.args)}")
        if not spec.supported:
            c.unsupported(call.func.pos, f"`{name}`")
        for arg, kind in zip(call.args, spec.params, strict=False):
            if kind == "sigset":
                if not isinstance(arg, A.SetLit):
                    c.error(arg.pos, "expected a signal set, such as `{SIGCHLD}` or `{}`")
                else:
                    for item in arg.items:
                        self.signal_expr(item, assigned, in_set=True)
            elif kind == "signal":
                self.signal_expr(arg, assigned)
            elif kind == "action":
                if isinstance(arg, A.Name) and arg.name in self.prog.handlers:
                    continue
                if isinstance(arg, A.Name) and arg.name in ("SIG_DFL", "SIG_IGN"):
                    continue
                if isinstance(arg, A.Name):
                    choices = [*self.prog.handlers, "SIG_DFL", "SIG_IGN"]
                    c.error(
                        arg.pos,
                        f"unknown handler `{arg.name}` in program `{self.prog.name}`"
                        + _suggest(arg.name, choices),
                    )
                else:
                    c.error(arg.pos, "expected SIG_DFL, SIG_IGN or a handler name")
            elif kind in ("program", "name"):
                if not isinstance(arg, A.Name):
                    c.error(arg.pos, f"expected a {kind} name")
            elif kind == "cond":
                self.cond(arg, assigned)
            else:
                self.int_expr(arg, assigned)
        return spec

    # ---------------------------------------------------- expressions
    def cond(self, e: A.Expr, assigned: frozenset[str]) -> None:
        t = self.expr(e, assigned)
        if t is not None and t not in (INT, BOOL):
            self.c.error(e.pos, f"expected a condition, found {_a(t)}")

    def signal_expr(self, e: A.Expr, assigned: frozenset[str], in_set: bool = False) -> None:
        """A signal number: an integer; a constant one must be a signal the
        model has (SEMANTICS 6.2: real-time signals are left out)."""
        self.int_expr(e, assigned)
        value = self.c.constant(e)
        if not isinstance(value, int) or isinstance(value, bool):
            return
        if NSIG_STANDARD < value <= NSIG:
            self.c.error(
                e.pos, f"signal {value} is a real-time signal; real-time signals are not modelled"
            )
        elif in_set and not 1 <= value <= NSIG:
            self.c.error(e.pos, f"{value} is not a signal number (signals are 1 to {NSIG})")

    def int_expr(self, e: A.Expr, assigned: frozenset[str]) -> None:
        t = self.expr(e, assigned)
        if t is not None and t not in (INT,):
            self.c.error(e.pos, f"expected an integer, found {_a(t)}")

    def expr(self, e: A.Expr, assigned: frozenset[str], quiet_names: bool = False) -> str | None:
        c = self.c
        if isinstance(e, A.IntLit):
            return c.int_literal(e)
        if isinstance(e, A.BoolLit):
            return BOOL
        if isinstance(e, A.Name):
            n = e.name
            if n in self.frame.locals:
                if n not in assigned:
                    c.error(
                        e.pos,
                        f"`{n}` may be read before it is assigned (no assignment to it on some "
                        "path to here)",
                    )
                return self.frame.locals[n]
            if n in self.prog.vars:
                return self.prog.vars[n].type
            if n == "errno":
                return INT
            if n in CONSTANTS:
                return INT
            if quiet_names:
                return None
            choices = [*self.frame.locals, *self.prog.vars, *CONSTANTS, "errno"]
            if n in STATE_NAMES or n in c.programs:
                c.error(e.pos, f"`{n}` can only be named in a property")
            elif _CONSTANT_LIKE.match(n):
                c.error(e.pos, f"unknown constant `{n}`{_suggest(n, choices)}")
            else:
                c.error(e.pos, f"unknown name `{n}`{_suggest(n, choices)}")
            return None
        if isinstance(e, A.Call):
            spec = self.call(e, assigned, statement=False)
            return spec.returns if spec and spec.effect == "query" else None
        if isinstance(e, A.Field):
            otype = self.expr(e.obj, assigned)
            if otype is None:
                return None
            return c.status_field(e, otype)
        if isinstance(e, (A.Quantifier, A.Count)):
            c.error(e.pos, "quantifiers over tasks are only allowed in properties")
            return None
        if isinstance(e, A.SetLit):
            c.error(
                e.pos, "a signal set is only allowed as an argument of sigprocmask or sigsuspend"
            )
            return None
        if isinstance(e, A.TupleLit):
            c.error(e.pos, "a tuple is only allowed in `expect outcomes`")
            return None
        return c.operator_type(e, lambda x: self.expr(x, assigned, quiet_names))


def check(scenario: A.Scenario) -> CheckedScenario:
    """Run every static check; raise UserError with all the errors found."""
    return _Checker(scenario).run()


__all__ = [
    "CheckedScenario",
    "Frame",
    "HandlerInfo",
    "ProgramInfo",
    "VarInfo",
    "check",
    "const_value",
    "stmt_name",
]
