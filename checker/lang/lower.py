"""Lowering: a checked AST to the instruction IR (checker/lang/ir.py).

Control flow becomes explicit jumps; fork blocks are laid out inline after
their Spawn (the parent's `next` skips them) and end with the implicit
`exit 0`; every name is resolved to a slot. Jumps to jumps are resolved here,
so an engine only meets a Jump it can follow in one hop.
"""

from __future__ import annotations

import dataclasses

from checker.kernel.clone_flags import legacy_split
from checker.lang import ast as A
from checker.lang import ir
from checker.lang.builtins import FUNCTIONS, STATUS_INDEX, TASK_FIELDS
from checker.lang.check import CheckedScenario, ProgramInfo, const_value
from checker.lang.constants import CONSTANTS, STATE_NAMES

# ------------------------------------------------------------------ unparse

_PREC = {
    "->": 1,
    "||": 2,
    "&&": 3,
    "==": 5,
    "!=": 5,
    "<": 5,
    "<=": 5,
    ">": 5,
    ">=": 5,
    "|": 6,
    "&": 7,
    "+": 8,
    "-": 8,
    "*": 9,
    "/": 9,
    "%": 9,
}


def unparse(e: A.Expr, prec: int = 0) -> str:
    """Source text of an expression, with only the parentheses it needs."""
    if isinstance(e, A.IntLit):
        return str(e.value)
    if isinstance(e, A.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, A.Name):
        return e.name
    if isinstance(e, A.Call):
        return f"{e.func.name}({', '.join(unparse(a) for a in e.args)})"
    if isinstance(e, A.Field):
        return f"{unparse(e.obj, 11)}.{e.name.name}"
    if isinstance(e, A.TupleLit):
        return "(" + ", ".join(unparse(i) for i in e.items) + ")"
    if isinstance(e, A.SetLit):
        return "{" + ", ".join(unparse(i) for i in e.items) + "}"
    if isinstance(e, A.Unary):
        p = 10 if e.op == "-" else 4
        text = f"{e.op}{unparse(e.operand, p)}"
        return f"({text})" if p < prec else text
    if isinstance(e, A.Binary):
        p = _PREC[e.op]
        if e.op == "->":  # right-associative
            text = f"{unparse(e.left, p + 1)} -> {unparse(e.right, p)}"
        elif p == 5:  # comparisons do not chain
            text = f"{unparse(e.left, p + 1)} {e.op} {unparse(e.right, p + 1)}"
        else:
            text = f"{unparse(e.left, p)} {e.op} {unparse(e.right, p + 1)}"
        return f"({text})" if p < prec else text
    if isinstance(e, A.Quantifier):
        text = f"{e.kind} {e.var.name} in {e.domain.name}: {unparse(e.body)}"
        return f"({text})" if prec > 0 else text
    if isinstance(e, A.Count):
        return f"count({e.var.name} in {e.domain.name} where {unparse(e.cond)})"
    return "?"


def stmt_text(s: A.Stmt) -> str:
    """One line for a statement in a trace: `a = fork { … }`, `w = wait()`."""
    target = ""
    if isinstance(s, (A.Assign, A.AnyAssign)) or (isinstance(s, A.Spawn) and s.target):
        assert s.target is not None
        target = f"{s.target.name} = "
    if isinstance(s, A.Assign):
        return target + unparse(s.value)
    if isinstance(s, A.AnyAssign):
        return f"{target}any({unparse(s.lo)}..{unparse(s.hi)})"
    if isinstance(s, A.Spawn):
        if s.body is None:
            return f"{target}{s.kind}()"
        flags = f"({unparse(s.flags)})" if s.flags is not None else ""
        return f"{target}{s.kind}{flags} {{ … }}"
    if isinstance(s, A.CallStmt):
        return unparse(s.call)
    if isinstance(s, A.Exec):
        return f"exec {s.program.name}"
    if isinstance(s, A.Exit):
        word = "exit_thread" if s.thread else "exit"
        return f"{word} {unparse(s.code)}" if s.code is not None else word
    if isinstance(s, A.Assert):
        return f"assert {unparse(s.cond)}"
    if isinstance(s, A.Assume):
        return f"assume {unparse(s.cond)}"
    if isinstance(s, A.If):
        return f"if {unparse(s.cond)}"
    if isinstance(s, A.While):
        return f"while {unparse(s.cond)}"
    if isinstance(s, A.Repeat):
        return f"repeat {unparse(s.count)}"
    if isinstance(s, A.Return):
        return "return"
    if isinstance(s, A.Skip):
        return "skip"
    if isinstance(s, A.Choose):
        return "choose"
    return type(s).__name__


# ------------------------------------------------------------------ programs


class _ProgramLowerer:
    def __init__(self, info: ProgramInfo, index: int, program_index: dict[str, int]):
        self.info = info
        self.index = index
        self.program_index = program_index
        self.code: list[ir.Instr | None] = []
        self.locals: list[str] = []
        self.local_slot: dict[str, int] = {}
        self.var_slot = {name: i for i, name in enumerate(info.vars)}

    # -- emitting
    def here(self) -> int:
        return len(self.code)

    def emit(self, instr: ir.Instr) -> int:
        self.code.append(instr)
        return len(self.code) - 1

    def reserve(self) -> int:
        self.code.append(None)
        return len(self.code) - 1

    def patch(self, pc: int, instr: ir.Instr) -> None:
        self.code[pc] = instr

    # -- frames
    def set_frame(self, names: list[str]) -> None:
        self.locals = list(names)
        self.local_slot = {n: i for i, n in enumerate(names)}

    def hidden_local(self, name: str) -> int:
        self.locals.append(name)
        self.local_slot[name] = len(self.locals) - 1
        return len(self.locals) - 1

    def ref(self, ident: A.Ident) -> ir.Ref:
        if ident.name in self.var_slot:
            return ir.Ref(ir.VAR, self.var_slot[ident.name], ident.name)
        if ident.name == "errno":
            return ir.Ref(ir.ERRNO, 0, "errno")
        return ir.Ref(ir.LOCAL, self.local_slot[ident.name], ident.name)

    # -- expressions
    def expr(self, e: A.Expr) -> ir.Expr:
        if isinstance(e, (A.IntLit, A.BoolLit)):
            return ir.Const(e.value)
        if isinstance(e, A.Name):
            n = e.name
            if n in self.local_slot:
                return ir.Local(self.local_slot[n], n)
            if n in self.var_slot:
                return ir.Var(self.var_slot[n], n)
            if n == "errno":
                return ir.Errno()
            return ir.Const(CONSTANTS[n])
        if isinstance(e, A.Call):
            return ir.SelfQuery(e.func.name)
        if isinstance(e, A.Field):
            return ir.StatusField(self.expr(e.obj), STATUS_INDEX[e.name.name], e.name.name)
        if isinstance(e, A.Unary):
            return ir.Unary(e.op, self.expr(e.operand))
        if isinstance(e, A.Binary):
            return ir.Binary(e.op, self.expr(e.left), self.expr(e.right))
        raise AssertionError(f"unexpected expression {e!r}")

    # -- statements
    def block(self, stmts: tuple[A.Stmt, ...]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: A.Stmt) -> None:
        text = stmt_text(s)
        if isinstance(s, A.Assign):
            call = s.value
            if isinstance(call, A.Call) and FUNCTIONS[call.func.name].effect != "query":
                self.syscall(s.pos, text, call, self.ref(s.target))
            else:
                self.emit(
                    ir.Assign(s.pos, text, self.ref(s.target), self.expr(s.value), self.here() + 1)
                )
        elif isinstance(s, A.AnyAssign):
            self.emit(
                ir.AnyAssign(
                    s.pos,
                    text,
                    self.ref(s.target),
                    self.expr(s.lo),
                    self.expr(s.hi),
                    self.here() + 1,
                )
            )
        elif isinstance(s, A.Spawn):
            target = self.ref(s.target) if s.target is not None else None
            flags = self.expr(s.flags) if s.flags is not None else None
            thread = True if s.kind == "thread" else _clone_thread(s.flags)
            if s.body is None:
                pc = self.here()
                self.emit(
                    ir.Spawn(s.pos, text, s.kind, target, flags, pc + 1, True, pc + 1, thread)
                )
            else:
                pc = self.reserve()
                self.block(s.body.stmts)
                end = A.Pos(
                    s.body.pos.end_line,
                    s.body.pos.end_col - 1,
                    s.body.pos.end_line,
                    s.body.pos.end_col,
                )
                if thread is None:
                    text_end = "(end of block) exit 0, or exit_thread 0 in a thread"
                    self.emit(ir.Exit(end, text_end, ir.Const(0), None))
                elif thread:
                    self.emit(ir.Exit(end, "(end of block) exit_thread 0", ir.Const(0), True))
                else:
                    self.emit(ir.Exit(end, "(end of block) exit 0", ir.Const(0), False))
                self.patch(
                    pc,
                    ir.Spawn(
                        s.pos, text, s.kind, target, flags, pc + 1, False, self.here(), thread
                    ),
                )
        elif isinstance(s, A.CallStmt):
            self.syscall(s.pos, text, s.call, None)
        elif isinstance(s, A.Exec):
            self.emit(ir.Exec(s.pos, text, self.program_index[s.program.name], self.here() + 1))
        elif isinstance(s, A.Exit):
            code = self.expr(s.code) if s.code is not None else ir.Const(0)
            self.emit(ir.Exit(s.pos, text, code, s.thread))
        elif isinstance(s, A.Assert):
            self.emit(ir.Assert(s.pos, text, self.expr(s.cond), s.message, self.here() + 1))
        elif isinstance(s, A.Assume):
            self.emit(ir.Assume(s.pos, text, self.expr(s.cond), self.here() + 1))
        elif isinstance(s, A.Skip):
            self.emit(ir.Skip(s.pos, text, self.here() + 1))
        elif isinstance(s, A.Return):
            self.emit(ir.Return(s.pos, text))
        elif isinstance(s, A.If):
            test = self.reserve()
            self.block(s.then.stmts)
            if s.orelse is not None:
                jump = self.reserve()
                else_pc = self.here()
                self.block(s.orelse.stmts)
                self.patch(jump, ir.Jump(s.pos, "", self.here()))
            else:
                else_pc = self.here()
            self.patch(test, ir.Branch(s.pos, text, self.expr(s.cond), test + 1, else_pc))
        elif isinstance(s, A.While):
            test = self.reserve()
            self.block(s.body.stmts)
            self.emit(ir.Jump(s.pos, "", test))
            self.patch(test, ir.Branch(s.pos, text, self.expr(s.cond), test + 1, self.here()))
        elif isinstance(s, A.Repeat):
            count = const_value(s.count)
            assert isinstance(count, int)
            counter = self.hidden_local(f"$repeat@{s.pos}")
            self.emit(ir.RepeatInit(s.pos, text, counter, count, self.here() + 1))
            test = self.reserve()
            self.block(s.body.stmts)
            self.emit(ir.Jump(s.pos, "", test))
            self.patch(test, ir.RepeatTest(s.pos, text, counter, test + 1, self.here()))
        elif isinstance(s, A.Choose):
            choose = self.reserve()
            starts, jumps = [], []
            for branch in s.branches:
                starts.append(self.here())
                self.block(branch.stmts)
                jumps.append(self.reserve())
            for j in jumps:
                self.patch(j, ir.Jump(s.pos, "", self.here()))
            self.patch(choose, ir.Choose(s.pos, text, tuple(starts)))
        else:
            raise AssertionError(f"unexpected statement {s!r}")

    def syscall(self, pos: A.Pos, text: str, call: A.Call, target: ir.Ref | None) -> None:
        spec = FUNCTIONS[call.func.name]
        args: list[object] = []
        for arg, kind in zip(call.args, spec.params, strict=False):
            if kind == "sigset":
                assert isinstance(arg, A.SetLit)
                args.append(tuple(self.expr(i) for i in arg.items))
            elif kind in ("action", "program", "name"):
                assert isinstance(arg, A.Name)
                args.append(arg.name)
            else:
                args.append(self.expr(arg))
        for default in spec.default[len(call.args) - (len(spec.params) - spec.optional) :]:
            args.append(ir.Const(default))
        self.emit(ir.Syscall(pos, text, call.func.name, target, tuple(args), self.here() + 1))

    # -- whole program
    def lower(self) -> ir.ProgramIR:
        info = self.info
        self.set_frame(list(info.frame.locals))
        entry = self.here()
        self.block(info.body)
        end = info.decl.body.pos
        self.emit(
            ir.Exit(
                A.Pos(end.end_line, end.end_col - 1, end.end_line, end.end_col),
                f"(end of {info.name}) exit 0",
                ir.Const(0),
                False,
            )
        )
        frame_locals = tuple(self.locals)
        handlers: dict[str, ir.HandlerIR] = {}
        for h in info.handlers.values():
            self.set_frame(list(h.frame.locals))
            hentry = self.here()
            self.block(h.decl.body.stmts)
            hend = h.decl.body.pos
            self.emit(
                ir.Return(
                    A.Pos(hend.end_line, hend.end_col - 1, hend.end_line, hend.end_col),
                    f"(end of handler {h.name}) return",
                )
            )
            handlers[h.name] = ir.HandlerIR(h.name, hentry, tuple(self.locals))
        code = _resolve_jumps(self.code)
        return ir.ProgramIR(
            index=self.index,
            name=info.name,
            kind=info.kind,
            var_names=tuple(info.vars),
            var_init=tuple(v.value for v in info.vars.values()),
            local_names=frame_locals,
            code=code,
            entry=_follow(code, entry),
            handlers={
                n: ir.HandlerIR(h.name, _follow(code, h.entry), h.local_names)
                for n, h in handlers.items()
            },
            pos=info.decl.pos,
        )


def _clone_thread(flags: A.Expr | None) -> bool | None:
    """Whether a spawn's task joins the caller's thread group (CLONE_THREAD
    in the flags the legacy clone call passes on); None when the flags are
    known only at run time. fork and vfork have no flags: False."""
    if flags is None:
        return False
    value = const_value(flags)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return bool(legacy_split(value)[0] & CONSTANTS["CLONE_THREAD"])


def _follow(code: tuple[ir.Instr, ...], pc: int) -> int:
    """Where a jump to `pc` really lands (through chains of Jumps)."""
    seen = 0
    while pc < len(code):
        jump = code[pc]
        if not isinstance(jump, ir.Jump):
            break
        pc = jump.target
        seen += 1
        if seen > len(code):
            raise AssertionError("a cycle of jumps")
    return pc


def _resolve_jumps(code: list[ir.Instr | None]) -> tuple[ir.Instr, ...]:
    assert all(c is not None for c in code)
    raw: tuple[ir.Instr, ...] = tuple(c for c in code if c is not None)
    out = []
    for instr in raw:
        fields: dict[str, object] = {}
        for name in ("next", "then_pc", "else_pc", "child_pc", "body_pc", "exit_pc"):
            if (
                hasattr(instr, name)
                and isinstance(getattr(instr, name), int)
                and not isinstance(instr, ir.Jump)
            ):
                fields[name] = _follow(raw, getattr(instr, name))
        if isinstance(instr, ir.Choose):
            fields["targets"] = tuple(_follow(raw, t) for t in instr.targets)
        if fields:
            instr = _replace(instr, fields)
        out.append(instr)
    return tuple(out)


def _replace(instr: ir.Instr, fields: dict[str, object]) -> ir.Instr:
    return dataclasses.replace(instr, **fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------ properties


class _PropertyLowerer:
    def __init__(self, programs: tuple[ir.ProgramIR, ...], named: tuple[int, ...]):
        self.programs = programs
        self.by_name = {p.name: p for p in programs}
        self.named = named

    def expr(self, e: A.Expr, bound: frozenset[str] = frozenset()) -> ir.Expr:
        if isinstance(e, (A.IntLit, A.BoolLit)):
            return ir.Const(e.value)
        if isinstance(e, A.Name):
            n = e.name
            if n in bound:
                return ir.Bound(n)
            if n in self.by_name:
                return ir.ProgramRef(self.by_name[n].index, n)
            if n in STATE_NAMES:
                return ir.Const(STATE_NAMES[n])
            return ir.Const(CONSTANTS[n])
        if isinstance(e, A.Field):
            obj, fname = e.obj, e.name.name
            if isinstance(obj, A.Name) and obj.name in self.by_name and obj.name not in bound:
                prog = self.by_name[obj.name]
                which = self.named.index(prog.index)
                if fname in prog.var_names:
                    return ir.NamedVar(which, prog.name, "var", prog.var_names.index(fname), fname)
                return ir.NamedVar(which, prog.name, "local", prog.local_names.index(fname), fname)
            if isinstance(obj, A.Name) and obj.name in bound:
                task = ir.Bound(obj.name)
                if fname in TASK_FIELDS:
                    return ir.TaskField(task, fname)
                slots = []
                for p in self.programs:
                    if fname in p.var_names:
                        slots.append((p.index, "var", p.var_names.index(fname)))
                    elif fname in p.local_names:
                        slots.append((p.index, "local", p.local_names.index(fname)))
                return ir.TaskVar(task, fname, tuple(slots))
            return ir.StatusField(self.expr(obj, bound), STATUS_INDEX[fname], fname)
        if isinstance(e, A.Unary):
            return ir.Unary(e.op, self.expr(e.operand, bound))
        if isinstance(e, A.Binary):
            return ir.Binary(e.op, self.expr(e.left, bound), self.expr(e.right, bound))
        if isinstance(e, A.Quantifier):
            return ir.Quantified(e.kind, e.var.name, self.expr(e.body, bound | {e.var.name}))
        if isinstance(e, A.Count):
            return ir.Quantified("count", e.var.name, self.expr(e.cond, bound | {e.var.name}))
        raise AssertionError(f"unexpected property expression {e!r}")


def lower(checked: CheckedScenario) -> ir.ScenarioIR:
    infos: list[ProgramInfo] = list(checked.programs.values())
    if checked.init is not None:
        infos.append(checked.init)
    program_index = {info.name: i for i, info in enumerate(infos)}
    programs = tuple(
        _ProgramLowerer(info, i, program_index).lower() for i, info in enumerate(infos)
    )
    named = tuple(program_index[n] for n in checked.named)
    props = _PropertyLowerer(programs, named)

    def prop(p: A.PropertyDecl) -> ir.PropertyIR:
        return ir.PropertyIR(p.name.name, props.expr(p.expr), p.pos, unparse(p.expr))

    expects = []
    for ex in checked.expects:
        if ex.kind == "outcomes":
            assert ex.expr is not None and ex.values is not None
            subject = ex.expr.items if isinstance(ex.expr, A.TupleLit) else (ex.expr,)
            values = frozenset(
                tuple(
                    const_value(v) for v in (row.items if isinstance(row, A.TupleLit) else (row,))
                )
                for row in ex.values.items
            )
            expects.append(
                ir.ExpectIR(
                    "outcomes",
                    ex.pos,
                    f"expect outcomes {unparse(ex.expr)} in {unparse(ex.values)}",
                    exprs=tuple(props.expr(s) for s in subject),
                    expr_texts=tuple(unparse(s) for s in subject),
                    values=values,
                )
            )
        elif ex.kind == "violation":
            assert ex.name is not None
            expects.append(
                ir.ExpectIR(
                    "violation", ex.pos, f"expect violation {ex.name.name}", name=ex.name.name
                )
            )
        elif ex.kind == "pass":
            expects.append(ir.ExpectIR("pass", ex.pos, "expect pass"))
        else:
            assert ex.expr is not None
            expects.append(
                ir.ExpectIR(
                    ex.kind,
                    ex.pos,
                    f"expect {ex.kind} {unparse(ex.expr)}",
                    exprs=(props.expr(ex.expr),),
                    expr_texts=(unparse(ex.expr),),
                )
            )
    return ir.ScenarioIR(
        path=checked.path,
        title=checked.title,
        programs=programs,
        start=tuple(program_index[i.name] for i in checked.start),
        init=program_index["init"] if checked.init is not None else None,
        settings=checked.settings,
        faults=checked.faults,
        checks=checked.checks,
        invariants=tuple(prop(p) for p in checked.invariants),
        finals=tuple(prop(p) for p in checked.finals),
        liveness=tuple(
            ir.LivenessIR(
                p.name.name,
                p.kind,
                props.expr(p.expr),
                props.expr(p.then) if p.then is not None else None,
                p.pos,
                unparse(p.expr) + (f" ~> {unparse(p.then)}" if p.then is not None else ""),
            )
            for p in checked.liveness
        ),
        observes=tuple(ir.ObserveIR(unparse(o), props.expr(o), o.pos) for o in checked.observes),
        expects=tuple(expects),
        named=named,
        warnings=tuple(checked.warnings),
        conform_skip=checked.conform_skip,
    )
