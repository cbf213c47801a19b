"""The parser: .proc text -> checker.lang.ast, and its syntax errors.

Structure is compared through `shape()`, which drops positions so that a test
reads like the tree it expects: `("+", "a", ("*", "b", "c"))`. Positions are
tested on their own, below.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.errors import UserError
from checker.lang import ast as A
from checker.lang.parse import parse

# ----------------------------------------------------------------- helpers


def shape(n: Any) -> Any:
    """A position-free picture of a node: literals and names as Python values,
    operators as tuples, blocks as lists, other nodes as (ClassName, fields...)."""
    if n is None:
        return None
    if isinstance(n, (A.IntLit, A.BoolLit)):
        return n.value
    if isinstance(n, A.Name):
        return n.name
    if isinstance(n, A.Ident):
        return n.name
    if isinstance(n, A.Binary):
        return (n.op, shape(n.left), shape(n.right))
    if isinstance(n, A.Unary):
        return (n.op, shape(n.operand))
    if isinstance(n, A.Field):
        return (".", shape(n.obj), n.name.name)
    if isinstance(n, A.Call):
        return ("call", n.func.name, *map(shape, n.args))
    if isinstance(n, A.TupleLit):
        return ("tuple", *map(shape, n.items))
    if isinstance(n, A.SetLit):
        return ("set", *map(shape, n.items))
    if isinstance(n, A.Quantifier):
        return (n.kind, n.var.name, n.domain.name, shape(n.body))
    if isinstance(n, A.Count):
        return ("count", n.var.name, n.domain.name, shape(n.cond))
    if isinstance(n, A.Block):
        return [shape(s) for s in n.stmts]
    if isinstance(n, tuple):
        return tuple(shape(x) for x in n)
    if dataclasses.is_dataclass(n):
        fields = [f.name for f in dataclasses.fields(n) if f.name != "pos"]
        return (type(n).__name__, *(shape(getattr(n, f)) for f in fields))
    return n


def items(text: str) -> list[A.Item]:
    return parse(text, "t.proc").items


def item(text: str) -> A.Item:
    (it,) = items(text)
    return it


def stmts(code: str) -> tuple[A.Stmt, ...]:
    """The statements of `program main { CODE }` (CODE starts on line 2)."""
    prog = item("program main {\n" + code + "\n}\n")
    assert isinstance(prog, A.ProgramDecl)
    return prog.body.stmts


def stmt(code: str) -> A.Stmt:
    (s,) = stmts(code)
    return s


def expr(text: str) -> A.Expr:
    """The expression of `x = TEXT` in a program (on line 2, from column 9)."""
    s = stmt("    x = " + text)
    assert isinstance(s, A.Assign), s
    return s.value


def prop(text: str) -> A.Expr:
    """The expression of `invariant p: TEXT`."""
    it = item("invariant p: " + text)
    assert isinstance(it, A.PropertyDecl)
    return it.expr


def errors(text: str) -> list[tuple[int, int, str]]:
    """Every syntax error as (line, col, message), in the order reported."""
    with pytest.raises(UserError) as info:
        parse(text, "t.proc")
    return [(d.pos.line, d.pos.col, d.message) for d in info.value.diagnostics]


def at(pos: A.Pos) -> tuple[int, int]:
    return (pos.line, pos.col)


# ------------------------------------------------------------ top-level items


def test_empty_file_and_comment_only_file_have_no_items():
    assert items("") == []
    assert items("# nothing here\n// nor here\n\n") == []


def test_scenario_title_with_escapes():
    it = item(r'scenario "parent \"reaps\" two\tchildren"')
    assert isinstance(it, A.ScenarioTitle)
    assert it.title == 'parent "reaps" two\tchildren'


def test_program_item():
    it = item("program worker {\n    var n = 0\n    n = 1\n}")
    assert isinstance(it, A.ProgramDecl)
    assert it.kind == "program"
    assert it.name.name == "worker"
    assert shape(it.body) == [("VarDecl", "n", 0), ("Assign", "n", 1)]


def test_program_with_empty_body():
    it = item("program main { }")
    assert isinstance(it, A.ProgramDecl)
    assert it.body.stmts == ()


def test_start_item_lists_programs_in_order():
    it = item("start main, worker, main")
    assert isinstance(it, A.Start)
    assert [i.name for i in it.names] == ["main", "worker", "main"]


def test_init_item():
    it = item("init {\n    w = wait()\n}")
    assert isinstance(it, A.ProgramDecl)
    assert it.kind == "init"
    assert it.name.name == "init"
    assert shape(it.body) == [("Assign", "w", ("call", "wait"))]


def test_config_entries_separated_by_newlines_and_semicolons():
    it = item("config {\n    max_tasks = 4; pid_max = 2 * 5\n    fairness = weak\n}")
    assert isinstance(it, A.Config)
    assert [(e.key.name, shape(e.value)) for e in it.entries] == [
        ("max_tasks", 4),
        ("pid_max", ("*", 2, 5)),
        ("fairness", "weak"),
    ]


def test_empty_config():
    it = item("config { }")
    assert isinstance(it, A.Config)
    assert it.entries == ()


def test_faults_item():
    it = item("faults { fork, exec,\n    wait, kill }")
    assert isinstance(it, A.Faults)
    assert [i.name for i in it.names] == ["fork", "exec", "wait", "kill"]
    empty = item("faults { }")
    assert isinstance(empty, A.Faults)
    assert empty.names == ()


def test_check_item():
    it = item("check zombies_reaped, orphans_reparented, no_deadlock")
    assert isinstance(it, A.Check)
    assert [i.name for i in it.names] == ["zombies_reaped", "orphans_reparented", "no_deadlock"]


@pytest.mark.parametrize("kind", ["invariant", "eventually", "final"])
def test_single_expression_properties(kind):
    it = item(f"{kind} total_ok: main.total >= 0")
    assert isinstance(it, A.PropertyDecl)
    assert it.kind == kind
    assert it.name.name == "total_ok"
    assert shape(it.expr) == (">=", (".", "main", "total"), 0)
    assert it.then is None


def test_leadsto_has_both_sides():
    it = item("leadsto woken: main.waiting == 1 ~> main.waiting == 0")
    assert isinstance(it, A.PropertyDecl)
    assert it.kind == "leadsto"
    assert it.name.name == "woken"
    assert shape(it.expr) == ("==", (".", "main", "waiting"), 1)
    assert shape(it.then) == ("==", (".", "main", "waiting"), 0)


def test_observe_several_expressions():
    it = item("observe main.total, main.a + 1")
    assert isinstance(it, A.Observe)
    assert shape(it.exprs) == ((".", "main", "total"), ("+", (".", "main", "a"), 1))


def test_expect_pass():
    it = item("expect pass")
    assert isinstance(it, A.Expect)
    assert (it.kind, it.name, it.expr, it.values) == ("pass", None, None, None)


def test_expect_violation():
    it = item("expect violation zombies_reaped")
    assert isinstance(it, A.Expect)
    assert it.kind == "violation"
    assert it.name is not None and it.name.name == "zombies_reaped"
    assert it.expr is None


def test_expect_outcomes_single_value():
    it = item("expect outcomes main.total in {7, 8}")
    assert isinstance(it, A.Expect)
    assert it.kind == "outcomes"
    assert shape(it.expr) == (".", "main", "total")
    assert isinstance(it.values, A.SetLit)
    assert shape(it.values) == ("set", 7, 8)


def test_expect_outcomes_tuples():
    it = item("expect outcomes (main.x, main.y) in {(0, 1), (1, -1)}")
    assert isinstance(it, A.Expect)
    assert shape(it.expr) == ("tuple", (".", "main", "x"), (".", "main", "y"))
    assert shape(it.values) == ("set", ("tuple", 0, 1), ("tuple", 1, -1))


def test_expect_outcomes_set_over_several_lines_with_trailing_comma():
    it = item("expect outcomes main.x in {\n    1,\n    2,\n}")
    assert isinstance(it, A.Expect)
    assert shape(it.values) == ("set", 1, 2)


def test_expect_outcomes_empty_set():
    it = item("expect outcomes main.x in {}")
    assert isinstance(it, A.Expect)
    assert shape(it.values) == ("set",)


@pytest.mark.parametrize("kind", ["sometimes", "never", "always"])
def test_expect_sometimes_never_always(kind):
    it = item(f"expect {kind} main.x == 1")
    assert isinstance(it, A.Expect)
    assert it.kind == kind
    assert shape(it.expr) == ("==", (".", "main", "x"), 1)
    assert it.name is None and it.values is None


def test_conform_skip():
    it = item('conform skip "needs pid_max below 301"')
    assert isinstance(it, A.ConformSkip)
    assert it.reason == "needs pid_max below 301"


@pytest.mark.parametrize("kind", ["kthread", "syscall"])
def test_kernel_code_items(kind):
    it = item(f"{kind} reaper {{\n    schedule()\n}}")
    assert isinstance(it, A.ProgramDecl)
    assert it.kind == kind
    assert it.name.name == "reaper"
    assert shape(it.body) == [("CallStmt", ("call", "schedule"))]


def test_kvar_lock_waitqueue():
    kvar, lock, wq = items("kvar ready = 0\nlock L\nwaitqueue Q")
    assert isinstance(kvar, A.KernelDecl) and isinstance(lock, A.KernelDecl)
    assert isinstance(wq, A.KernelDecl)
    assert (kvar.kind, kvar.name.name, shape(kvar.init)) == ("kvar", "ready", 0)
    assert (lock.kind, lock.name.name, lock.init) == ("lock", "L", None)
    assert (wq.kind, wq.name.name, wq.init) == ("waitqueue", "Q", None)


def test_items_in_any_order_keep_file_order():
    its = items(
        "check no_deadlock\n"
        "observe main.x\n"
        "program main { skip }\n"
        'scenario "late title"\n'
        "start main\n"
    )
    assert [type(i).__name__ for i in its] == [
        "Check",
        "Observe",
        "ProgramDecl",
        "ScenarioTitle",
        "Start",
    ]


def test_first_example_of_the_language_page():
    text = """\
scenario "parent reaps two children"

program main {
    var total = 0                  # memory in the address space
    a = fork {                     # child runs the block, then exit 0
        exit 3
    }
    b = fork { exit 4 }
    w1 = wait()
    w2 = wait()
    total = w1.code + w2.code
    assert total == 7, "both exit codes seen"
}

check zombies_reaped
check orphans_reparented
check no_deadlock
observe main.total
"""
    its = items(text)
    assert [type(i).__name__ for i in its] == [
        "ScenarioTitle",
        "ProgramDecl",
        "Check",
        "Check",
        "Check",
        "Observe",
    ]
    main = its[1]
    assert isinstance(main, A.ProgramDecl)
    assert shape(main.body) == [
        ("VarDecl", "total", 0),
        ("Spawn", "a", "fork", None, [("Exit", 3, False)]),
        ("Spawn", "b", "fork", None, [("Exit", 4, False)]),
        ("Assign", "w1", ("call", "wait")),
        ("Assign", "w2", ("call", "wait")),
        ("Assign", "total", ("+", (".", "w1", "code"), (".", "w2", "code"))),
        ("Assert", ("==", "total", 7), "both exit codes seen"),
    ]


# ----------------------------------------------------------------- statements


def test_assignment():
    s = stmt("x = y + 1")
    assert isinstance(s, A.Assign)
    assert s.target.name == "x"
    assert shape(s.value) == ("+", "y", 1)


def test_c_style_fork():
    s = stmt("pid = fork()")
    assert isinstance(s, A.Spawn)
    assert (s.target.name if s.target else None, s.kind, s.flags, s.body) == (
        "pid",
        "fork",
        None,
        None,
    )


def test_fork_block_with_and_without_target():
    with_target, without = stmts("p = fork { exit 3 }\nfork {\n    skip\n}")
    assert isinstance(with_target, A.Spawn) and isinstance(without, A.Spawn)
    assert shape(with_target) == ("Spawn", "p", "fork", None, [("Exit", 3, False)])
    assert shape(without) == ("Spawn", None, "fork", None, [("Skip",)])


def test_vfork_all_forms():
    c_style, block, bare = stmts("v = vfork()\nq = vfork { exit 1 }\nvfork { exec other }")
    assert shape(c_style) == ("Spawn", "v", "vfork", None, None)
    assert shape(block) == ("Spawn", "q", "vfork", None, [("Exit", 1, False)])
    assert shape(bare) == ("Spawn", None, "vfork", None, [("Exec", "other")])


def test_clone_with_flags_with_and_without_target():
    with_target, without = stmts(
        "c = clone(CLONE_VM | CLONE_VFORK | SIGCHLD) { skip }\nclone(0) { skip }"
    )
    assert shape(with_target) == (
        "Spawn",
        "c",
        "clone",
        ("|", ("|", "CLONE_VM", "CLONE_VFORK"), "SIGCHLD"),
        [("Skip",)],
    )
    assert shape(without) == ("Spawn", None, "clone", 0, [("Skip",)])


def test_thread_block_with_and_without_target():
    with_target, without = stmts("t = thread { exit_thread 2 }\nthread { skip }")
    assert shape(with_target) == ("Spawn", "t", "thread", None, [("Exit", 2, True)])
    assert shape(without) == ("Spawn", None, "thread", None, [("Skip",)])


@pytest.mark.parametrize(
    ("code", "call"),
    [
        ("wait()", ("call", "wait")),
        ("waitpid(p)", ("call", "waitpid", "p")),
        ("waitpid(-1, WNOHANG | __WALL)", ("call", "waitpid", -1, ("|", "WNOHANG", "__WALL"))),
        ("kill(p, SIGTERM)", ("call", "kill", "p", "SIGTERM")),
        ("kill(-1, SIGKILL)", ("call", "kill", -1, "SIGKILL")),
        ("raise(SIGUSR1)", ("call", "raise", "SIGUSR1")),
        ("signal(SIGUSR1, on_usr1)", ("call", "signal", "SIGUSR1", "on_usr1")),
        (
            "sigaction(SIGCHLD, SIG_IGN, SA_NOCLDWAIT | SA_RESTART)",
            ("call", "sigaction", "SIGCHLD", "SIG_IGN", ("|", "SA_NOCLDWAIT", "SA_RESTART")),
        ),
        (
            "sigprocmask(SIG_BLOCK, {SIGCHLD, SIGUSR1})",
            ("call", "sigprocmask", "SIG_BLOCK", ("set", "SIGCHLD", "SIGUSR1")),
        ),
        ("sigprocmask(SIG_SETMASK, {})", ("call", "sigprocmask", "SIG_SETMASK", ("set",))),
        ("sigsuspend({SIGUSR2})", ("call", "sigsuspend", ("set", "SIGUSR2"))),
        ("sigsuspend({})", ("call", "sigsuspend", ("set",))),
        ("pause()", ("call", "pause")),
        ("join(t)", ("call", "join", "t")),
        ("set_subreaper()", ("call", "set_subreaper")),
        ("wake_up(Q)", ("call", "wake_up", "Q")),
        ("schedule()", ("call", "schedule")),
        ("kthread_stop(T)", ("call", "kthread_stop", "T")),
        (
            "wait_event(Q, ready == 1)",
            ("call", "wait_event", "Q", ("==", "ready", 1)),
        ),
    ],
)
def test_calls_as_statements_and_as_assigned_values(code, call):
    as_stmt = stmt(code)
    assert isinstance(as_stmt, A.CallStmt)
    assert shape(as_stmt.call) == call
    assigned = stmt("r = " + code)
    assert isinstance(assigned, A.Assign)
    assert assigned.target.name == "r"
    assert isinstance(assigned.value, A.Call)
    assert shape(assigned.value) == call


def test_exec():
    s = stmt("exec worker")
    assert isinstance(s, A.Exec)
    assert s.program.name == "worker"


def test_exit_forms():
    bare, neg, code, last = stmts("exit\nexit -1\nexit n + 1\nexit 0")
    assert all(isinstance(s, A.Exit) and not s.thread for s in (bare, neg, code, last))
    assert shape(bare) == ("Exit", None, False)
    assert shape(neg) == ("Exit", -1, False)
    assert isinstance(neg, A.Exit) and isinstance(neg.code, A.IntLit)
    assert shape(code) == ("Exit", ("+", "n", 1), False)
    assert shape(last) == ("Exit", 0, False)


def test_exit_thread_forms():
    bare, code = stmts("exit_thread\nexit_thread 5")
    assert shape(bare) == ("Exit", None, True)
    assert shape(code) == ("Exit", 5, True)


def test_if_without_and_with_else():
    no_else, with_else = stmts("if x > 0 { skip }\nif x { y = 1 } else { y = 2 }")
    assert shape(no_else) == ("If", (">", "x", 0), [("Skip",)], None)
    assert shape(with_else) == ("If", "x", [("Assign", "y", 1)], [("Assign", "y", 2)])


def test_else_if_chain_nests_an_if_in_the_else_block():
    s = stmt("if a { x = 1 } else if b { x = 2 } else { x = 3 }")
    assert isinstance(s, A.If) and s.orelse is not None
    (inner,) = s.orelse.stmts
    assert isinstance(inner, A.If)
    assert shape(s) == (
        "If",
        "a",
        [("Assign", "x", 1)],
        [("If", "b", [("Assign", "x", 2)], [("Assign", "x", 3)])],
    )


def test_else_on_the_line_after_the_closing_brace():
    s = stmt("if x {\n    skip\n}\nelse {\n    exit 1\n}")
    assert shape(s) == ("If", "x", [("Skip",)], [("Exit", 1, False)])


def test_else_after_blank_and_comment_lines():
    s = stmt("if x { skip }\n\n# why\n// and why not\nelse if y { skip }")
    assert shape(s) == ("If", "x", [("Skip",)], [("If", "y", [("Skip",)], None)])


def test_if_without_else_followed_by_a_statement():
    first, second = stmts("if x { skip }\nelsewhere = 1")
    assert shape(first) == ("If", "x", [("Skip",)], None)
    assert shape(second) == ("Assign", "elsewhere", 1)


def test_while():
    s = stmt("while n < 3 {\n    n = n + 1\n}")
    assert shape(s) == ("While", ("<", "n", 3), [("Assign", "n", ("+", "n", 1))])


def test_repeat():
    s = stmt("repeat 2 * 3 { skip }")
    assert isinstance(s, A.Repeat)
    assert shape(s) == ("Repeat", ("*", 2, 3), [("Skip",)])


def test_choose_with_or_on_the_same_line():
    s = stmt("choose { x = 1 } or { x = 2 } or { x = 3 }")
    assert isinstance(s, A.Choose)
    assert shape(s.branches) == ([("Assign", "x", 1)], [("Assign", "x", 2)], [("Assign", "x", 3)])


def test_choose_with_or_on_the_next_lines():
    s = stmt("choose {\n    x = 1\n}\nor {\n    x = 2\n}\n# third\nor { x = 3 }")
    assert isinstance(s, A.Choose)
    assert shape(s.branches) == ([("Assign", "x", 1)], [("Assign", "x", 2)], [("Assign", "x", 3)])


def test_choose_followed_by_a_name_starting_with_or():
    first, second = stmts("choose { skip } or { skip }\norder = 1")
    assert isinstance(first, A.Choose) and len(first.branches) == 2
    assert shape(second) == ("Assign", "order", 1)


def test_any():
    s = stmt("x = any(0..3)")
    assert isinstance(s, A.AnyAssign)
    assert (s.target.name, shape(s.lo), shape(s.hi)) == ("x", 0, 3)
    spaced = stmt("y = any(-1 .. n + 1)")
    assert isinstance(spaced, A.AnyAssign)
    assert (shape(spaced.lo), shape(spaced.hi)) == (-1, ("+", "n", 1))


def test_assert_with_and_without_message():
    plain, with_msg = stmts('assert x == 1\nassert x != 2, "x is \\"never\\" 2"')
    assert shape(plain) == ("Assert", ("==", "x", 1), None)
    assert shape(with_msg) == ("Assert", ("!=", "x", 2), 'x is "never" 2')


def test_assume_return_skip():
    assume, ret, skip = stmts("assume x >= 0\nreturn\nskip")
    assert shape(assume) == ("Assume", (">=", "x", 0))
    assert isinstance(ret, A.Return)
    assert isinstance(skip, A.Skip)


def test_var_and_handler_declarations():
    var, handler = stmts("var hits = 0\nhandler on_usr1 {\n    hits = hits + 1\n    return\n}")
    assert isinstance(var, A.VarDecl)
    assert (var.name.name, shape(var.init)) == ("hits", 0)
    assert isinstance(handler, A.HandlerDecl)
    assert handler.name.name == "on_usr1"
    assert shape(handler.body) == [("Assign", "hits", ("+", "hits", 1)), ("Return",)]


def test_nested_blocks():
    s = stmt("p = fork {\n    while true {\n        choose { exit 1 } or { skip }\n    }\n}")
    assert shape(s) == (
        "Spawn",
        "p",
        "fork",
        None,
        [("While", True, [("Choose", ([("Exit", 1, False)], [("Skip",)]))])],
    )


# -------------------------------------------------------------- lexical rules


def test_hash_and_slash_comments():
    its = items(
        "# a file comment\n"
        "program main { # after a brace\n"
        "    x = 1 // after a statement\n"
        "    // a whole line\n"
        "    y = 4 // 2\n"
        "}\n"
        "// the end"
    )
    (prog,) = its
    assert isinstance(prog, A.ProgramDecl)
    assert shape(prog.body) == [("Assign", "x", 1), ("Assign", "y", 4)]


def test_comment_characters_inside_a_string_are_text():
    s = stmt('assert true, "a # b // c"')
    assert isinstance(s, A.Assert)
    assert s.message == "a # b // c"


def test_semicolons_separate_statements_and_items():
    assert [shape(s) for s in stmts("x = 1; y = 2;; skip;")] == [
        ("Assign", "x", 1),
        ("Assign", "y", 2),
        ("Skip",),
    ]
    its = items("program main { skip }; start main; check no_deadlock")
    assert [type(i).__name__ for i in its] == ["ProgramDecl", "Start", "Check"]


def test_whole_program_on_one_line():
    (prog,) = items("program main { a = fork { exit 3 }; w = wait(); assert w.code == 3 }")
    assert isinstance(prog, A.ProgramDecl)
    assert len(prog.body.stmts) == 3


def test_blank_lines_are_ignored():
    assert [shape(s) for s in stmts("\n\n    x = 1\n\n\n    y = 2\n\n")] == [
        ("Assign", "x", 1),
        ("Assign", "y", 2),
    ]


def test_newlines_inside_parentheses():
    s = stmt("w = waitpid(\n    -1\n    ,\n    WNOHANG\n)")
    assert shape(s) == ("Assign", "w", ("call", "waitpid", -1, "WNOHANG"))
    assert shape(expr("(1\n    + 2\n    )")) == ("+", 1, 2)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "&&", "||", "->", "|", "&", "==", "<="])
def test_newline_after_an_operator_continues_the_line(op):
    e = expr(f"a {op}\n        b")
    assert shape(e) == (op, "a", "b")


def test_newline_after_comma_and_assignment():
    s = stmt("x =\n    1")
    assert shape(s) == ("Assign", "x", 1)
    it = item("observe main.a,\n    main.b")
    assert isinstance(it, A.Observe) and len(it.exprs) == 2
    st_ = item("start a,\n      b")
    assert isinstance(st_, A.Start) and [i.name for i in st_.names] == ["a", "b"]


def test_newline_after_operator_with_a_trailing_comment():
    assert shape(expr("1 + # the rest\n        2")) == ("+", 1, 2)


def test_newline_after_property_colon():
    it = item("invariant p:\n    main.x > 0")
    assert isinstance(it, A.PropertyDecl)
    assert shape(it.expr) == (">", (".", "main", "x"), 0)


def test_trailing_comma_in_sets():
    s = stmt("sigprocmask(SIG_BLOCK, {SIGINT, SIGTERM,})")
    assert isinstance(s, A.CallStmt)
    assert shape(s.call.args[1]) == ("set", "SIGINT", "SIGTERM")


def test_crlf_line_endings():
    (prog, obs) = items(
        "program main {\r\n    x = 1\r\n    if x { skip }\r\n    else { skip }\r\n}\r\nobserve main.x\r\n"
    )
    assert isinstance(prog, A.ProgramDecl)
    assert shape(prog.body) == [("Assign", "x", 1), ("If", "x", [("Skip",)], [("Skip",)])]
    assert isinstance(obs, A.Observe)


def test_no_trailing_newline_at_end_of_file():
    it = item("program main { skip }")
    assert isinstance(it, A.ProgramDecl)


@pytest.mark.parametrize(
    "name", ["count", "start", "lock", "program", "check", "observe", "config"]
)
def test_item_keywords_are_usable_as_local_names(name):
    first, second = stmts(f"{name} = 1\ny = {name} + {name}")
    assert shape(first) == ("Assign", name, 1)
    assert shape(second) == ("Assign", "y", ("+", name, name))


def test_keywords_usable_as_field_names():
    assert shape(prop("forall T in tasks: T.program == main")) == (
        "forall",
        "T",
        "tasks",
        ("==", (".", "T", "program"), "main"),
    )
    assert shape(expr("w.signal + w.exited")) == ("+", (".", "w", "signal"), (".", "w", "exited"))
    assert shape(prop("main.count == main.start")) == (
        "==",
        (".", "main", "count"),
        (".", "main", "start"),
    )


def test_var_named_count_next_to_a_count_quantifier():
    it = item("invariant p: count(T in tasks where T.count > 0) == main.count")
    assert isinstance(it, A.PropertyDecl)
    assert shape(it.expr) == (
        "==",
        ("count", "T", "tasks", (">", (".", "T", "count"), 0)),
        (".", "main", "count"),
    )


def test_integers_strings_and_booleans():
    assert shape(expr("1234567890")) == 1234567890
    assert shape(expr("true")) is True
    assert shape(expr("false")) is False
    assert isinstance(expr("true"), A.BoolLit)
    assert isinstance(expr("0"), A.IntLit)


def test_identifiers_with_underscores_and_digits():
    assert shape(expr("_a1 + B_2 + __WALL")) == ("+", ("+", "_a1", "B_2"), "__WALL")


def test_backslash_newline_continues_a_line():
    assert shape(expr("1 \\\n        + 2")) == ("+", 1, 2)


# ------------------------------------------------------------------ expressions


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # -> is the lowest and right-associative
        ("a -> b -> c", ("->", "a", ("->", "b", "c"))),
        ("a || b -> c && d", ("->", ("||", "a", "b"), ("&&", "c", "d"))),
        ("(a -> b) -> c", ("->", ("->", "a", "b"), "c")),
        # || < &&
        ("a || b && c", ("||", "a", ("&&", "b", "c"))),
        ("a && b || c", ("||", ("&&", "a", "b"), "c")),
        ("a || b || c", ("||", ("||", "a", "b"), "c")),
        ("a && b && c", ("&&", ("&&", "a", "b"), "c")),
        # && < !
        ("!a && b", ("&&", ("!", "a"), "b")),
        ("!!a", ("!", ("!", "a"))),
        # ! < comparisons
        ("!a == b", ("!", ("==", "a", "b"))),
        ("!a < b", ("!", ("<", "a", "b"))),
        # comparisons < |
        ("a == b | c", ("==", "a", ("|", "b", "c"))),
        ("flags & CLONE_VM == 0", ("==", ("&", "flags", "CLONE_VM"), 0)),
        # | < &
        ("a | b & c", ("|", "a", ("&", "b", "c"))),
        ("a & b | c", ("|", ("&", "a", "b"), "c")),
        ("a | b | c", ("|", ("|", "a", "b"), "c")),
        # & < + -
        ("a & b + c", ("&", "a", ("+", "b", "c"))),
        ("a - b & c", ("&", ("-", "a", "b"), "c")),
        # + - < * / %
        ("a + b * c", ("+", "a", ("*", "b", "c"))),
        ("a / b - c", ("-", ("/", "a", "b"), "c")),
        ("a - b - c", ("-", ("-", "a", "b"), "c")),
        ("a - b + c", ("+", ("-", "a", "b"), "c")),
        ("a / b / c", ("/", ("/", "a", "b"), "c")),
        ("a % b * c", ("*", ("%", "a", "b"), "c")),
        ("a * b % c", ("%", ("*", "a", "b"), "c")),
        # * < unary -
        ("-a * b", ("*", ("-", "a"), "b")),
        ("a * -b", ("*", "a", ("-", "b"))),
        ("a - -b", ("-", "a", ("-", "b"))),
        ("- -a", ("-", ("-", "a"))),
        # unary - < field access
        ("-w.code", ("-", (".", "w", "code"))),
        ("a.b.c", (".", (".", "a", "b"), "c")),
        ("(a + b).c", (".", ("+", "a", "b"), "c")),
        # parentheses
        ("(a + b) * c", ("*", ("+", "a", "b"), "c")),
        ("((a))", "a"),
        # every comparison
        ("a == b", ("==", "a", "b")),
        ("a != b", ("!=", "a", "b")),
        ("a < b", ("<", "a", "b")),
        ("a <= b", ("<=", "a", "b")),
        ("a > b", (">", "a", "b")),
        ("a >= b", (">=", "a", "b")),
        # calls in expressions
        ("getpid() + 1", ("+", ("call", "getpid"), 1)),
        ("f(a, b + 1)", ("call", "f", "a", ("+", "b", 1))),
    ],
)
def test_precedence_and_associativity(text, tree):
    assert shape(expr(text)) == tree


def test_negative_literal_is_folded():
    e = expr("-7")
    assert isinstance(e, A.IntLit) and e.value == -7
    assert shape(expr("3 - -7")) == ("-", 3, -7)


def test_comparisons_do_not_chain():
    errs = errors("program main {\n    x = a < b < c\n}")
    assert [(line, col) for line, col, _ in errs] == [(2, 15)]
    assert errs[0][2].startswith("comparisons do not chain")


def test_chained_comparison_message_explains_the_rule():
    ((_, _, msg),) = errors("program main {\n    x = a < b < c\n}")
    assert "expected an operator" not in msg
    assert "chain" in msg


def test_forall_and_exists():
    assert shape(prop("forall T in tasks: T.program == main -> T.x > 0")) == (
        "forall",
        "T",
        "tasks",
        ("->", ("==", (".", "T", "program"), "main"), (">", (".", "T", "x"), 0)),
    )
    assert shape(prop("exists T in tasks: T.state == ZOMBIE && T.ppid == 1")) == (
        "exists",
        "T",
        "tasks",
        ("&&", ("==", (".", "T", "state"), "ZOMBIE"), ("==", (".", "T", "ppid"), 1)),
    )


def test_quantifier_body_extends_to_the_right_and_nests():
    assert shape(prop("main.x > 0 -> forall T in tasks: exists U in tasks: U.pid == T.ppid")) == (
        "->",
        (">", (".", "main", "x"), 0),
        (
            "forall",
            "T",
            "tasks",
            ("exists", "U", "tasks", ("==", (".", "U", "pid"), (".", "T", "ppid"))),
        ),
    )
    assert shape(prop("(forall T in tasks: T.pid > 0) && main.done")) == (
        "&&",
        ("forall", "T", "tasks", (">", (".", "T", "pid"), 0)),
        (".", "main", "done"),
    )


def test_count_quantifier():
    e = prop("count(T in tasks where T.state == ZOMBIE) <= 2")
    assert shape(e) == ("<=", ("count", "T", "tasks", ("==", (".", "T", "state"), "ZOMBIE")), 2)
    assert isinstance(e, A.Binary) and isinstance(e.left, A.Count)


def test_bad_quantifier_word():
    errs = errors("invariant p: every T in tasks: T.pid > 0")
    assert errs == [(1, 14, "expected `forall` or `exists` before `T in`, found `every`")]


def test_where_outside_count():
    errs = errors("invariant p: total(T in tasks where T.pid > 0) > 0")
    assert [(line, col) for line, col, _ in errs] == [(1, 14)]
    assert "only allowed in count(...)" in errs[0][2]


def test_tuples():
    e = expr("(a, b + 1, (c, d))")
    assert isinstance(e, A.TupleLit)
    assert shape(e) == ("tuple", "a", ("+", "b", 1), ("tuple", "c", "d"))
    # one element in parentheses is not a tuple
    assert not isinstance(expr("(a)"), A.TupleLit)


# A property test: any tree of operators printed with the fewest parentheses
# the precedence table allows parses back to the same tree.

_LEVEL = {
    "->": 0,
    "||": 1,
    "&&": 2,
    "!": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "|": 5,
    "&": 6,
    "+": 7,
    "-": 7,
    "*": 8,
    "/": 8,
    "%": 8,
    "neg": 9,
    ".": 10,
}
_ATOM = 11


def _level(t: Any) -> int:
    if not isinstance(t, tuple):
        return _ATOM
    if t[0] == "-" and len(t) == 2:
        return _LEVEL["neg"]
    return _LEVEL[t[0]]


def _render(t: Any, need: int) -> str:
    """Text for tree t in a context that needs precedence level >= need."""
    if not isinstance(t, tuple):
        text = str(t)
    elif t[0] == ".":
        text = f"{_render(t[1], _LEVEL['.'])}.{t[2]}"
    elif t[0] == "!":
        text = "!" + _render(t[1], _LEVEL["!"])
    elif t[0] == "-" and len(t) == 2:
        text = "-" + _render(t[1], _LEVEL["neg"])
    else:
        op, left, right = t
        lvl = _LEVEL[op]
        if op == "->":  # right-associative
            ln, rn = lvl + 1, lvl
        elif lvl == 4:  # comparisons do not associate
            ln, rn = lvl + 1, lvl + 1
        else:  # left-associative
            ln, rn = lvl, lvl + 1
        text = f"{_render(left, ln)} {op} {_render(right, rn)}"
    return f"({text})" if _level(t) < need else text


_leaves = st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 99))
_binops = sorted(op for op in _LEVEL if op not in ("!", "neg", "."))
_trees = st.recursive(
    _leaves,
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(_binops), sub, sub),
        st.tuples(st.just("!"), sub),
        # unary minus of a name (a literal would be folded into a negative literal)
        st.tuples(st.just("-"), sub.filter(lambda t: not isinstance(t, int))),
        st.tuples(st.just("."), sub, st.sampled_from(["f", "code", "program"])),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(_trees)
def test_minimal_parentheses_round_trip(tree):
    text = _render(tree, 0)
    assert shape(expr(text)) == tree, text


# ------------------------------------------------------------------ positions


def test_item_positions():
    text = (
        'scenario "t"\n'  # 1
        "\n"  # 2
        "program main {\n"  # 3
        "    skip\n"  # 4
        "}\n"  # 5
        "  start main\n"  # 6
        "check no_deadlock, zombies_reaped\n"  # 7
        "expect violation zombies_reaped\n"  # 8
    )
    title, prog, start, check, expect = items(text)
    assert at(title.pos) == (1, 1)
    assert isinstance(prog, A.ProgramDecl)
    assert at(prog.pos) == (3, 1)
    assert (prog.pos.end_line, prog.pos.end_col) == (5, 2)
    assert at(prog.name.pos) == (3, 9)
    assert at(prog.body.pos) == (3, 14)
    assert isinstance(start, A.Start)
    assert at(start.pos) == (6, 3)
    assert at(start.names[0].pos) == (6, 9)
    assert isinstance(check, A.Check)
    assert [at(i.pos) for i in check.names] == [(7, 7), (7, 20)]
    assert isinstance(expect, A.Expect) and expect.name is not None
    assert at(expect.pos) == (8, 1)
    assert at(expect.name.pos) == (8, 18)


def test_statement_positions():
    code = (
        "    a = fork {\n"  # line 2
        "        exit 3\n"  # 3
        "    }\n"  # 4
        "    if a > 0 { w = wait() }\n"  # 5
        "    else {\n"  # 6
        "\tskip\n"  # 7: a tab counts as one column
        "    }\n"  # 8
        "    choose { x = 1 }\n"  # 9
        "    or { x = 2 }\n"  # 10
    )
    spawn, if_, choose = stmts(code)
    assert isinstance(spawn, A.Spawn) and spawn.body is not None
    assert at(spawn.pos) == (2, 5)
    assert (spawn.pos.end_line, spawn.pos.end_col) == (4, 6)
    assert spawn.target is not None and at(spawn.target.pos) == (2, 5)
    assert at(spawn.body.pos) == (2, 14)
    (exit_,) = spawn.body.stmts
    assert at(exit_.pos) == (3, 9)
    assert isinstance(if_, A.If) and if_.orelse is not None
    assert at(if_.pos) == (5, 5)
    assert at(if_.cond.pos) == (5, 8)
    (assign,) = if_.then.stmts
    assert isinstance(assign, A.Assign)
    assert at(assign.pos) == (5, 16)
    assert at(assign.value.pos) == (5, 20)
    assert isinstance(assign.value, A.Call) and at(assign.value.func.pos) == (5, 20)
    assert at(if_.orelse.pos) == (6, 10)
    assert at(if_.orelse.stmts[0].pos) == (7, 2)
    assert isinstance(choose, A.Choose)
    assert at(choose.pos) == (9, 5)
    assert [at(b.pos) for b in choose.branches] == [(9, 12), (10, 8)]


def test_expression_positions():
    e = expr("w.code + -n * 2")
    #          9    14 16  20
    assert isinstance(e, A.Binary)
    assert (e.pos.line, e.pos.col, e.pos.end_col) == (2, 9, 24)
    assert isinstance(e.left, A.Field)
    assert at(e.left.pos) == (2, 9)
    assert at(e.left.obj.pos) == (2, 9)
    assert at(e.left.name.pos) == (2, 11)
    assert isinstance(e.right, A.Binary)
    assert at(e.right.pos) == (2, 18)
    assert isinstance(e.right.left, A.Unary)
    assert at(e.right.left.pos) == (2, 18)
    assert at(e.right.left.operand.pos) == (2, 19)
    assert at(e.right.right.pos) == (2, 23)


def test_multi_line_expression_positions():
    e = expr("(a +\n        b)")
    assert isinstance(e, A.Binary)
    assert at(e.left.pos) == (2, 10)
    assert at(e.right.pos) == (3, 9)


def test_property_and_quantifier_positions():
    (_, inv) = items("program main { skip }\ninvariant ok: forall T in tasks: T.pid > 0")
    assert isinstance(inv, A.PropertyDecl)
    assert at(inv.name.pos) == (2, 11)
    q = inv.expr
    assert isinstance(q, A.Quantifier)
    assert at(q.pos) == (2, 15)
    assert at(q.var.pos) == (2, 22)
    assert at(q.domain.pos) == (2, 27)
    assert at(q.body.pos) == (2, 34)


def test_config_entry_positions():
    it = item("config {\n    max_tasks = 4\n    pid_max = 10\n}")
    assert isinstance(it, A.Config)
    assert [(at(e.key.pos), at(e.value.pos)) for e in it.entries] == [
        ((2, 5), (2, 17)),
        ((3, 5), (3, 15)),
    ]


def test_positions_after_crlf_lines():
    (prog,) = items("program main {\r\n    x = 1\r\n    y = 2\r\n}\r\n")
    assert isinstance(prog, A.ProgramDecl)
    assert [at(s.pos) for s in prog.body.stmts] == [(2, 5), (3, 5)]


# -------------------------------------------------------------- syntax errors


def test_missing_operand():
    errs = errors("program main {\n    x = = 3\n}")
    assert len(errs) == 1
    line, col, msg = errs[0]
    assert (line, col) == (2, 9)
    assert msg.startswith("unexpected `=`; expected an expression")


def test_missing_operand_after_binary_operator():
    errs = errors("program main {\n    y = 4 + * 2\n}")
    assert [(line, col) for line, col, _ in errs] == [(2, 13)]
    assert errs[0][2] == "unexpected `*`; expected an expression"


def test_misspelled_else_on_the_same_line():
    errs = errors("program main {\n    if x { skip } els { skip }\n}")
    assert len(errs) == 1
    line, col, msg = errs[0]
    assert (line, col) == (2, 19)
    assert msg.startswith("unexpected `els`")
    assert "`else`" in msg
    assert msg.endswith("did you mean `else`?")


def test_misspelled_while_is_reported_on_its_line():
    errs = errors("program main {\n    whle x < 3 { skip }\n}")
    assert len(errs) == 1
    assert errs[0][0] == 2


@pytest.mark.parametrize(
    ("code", "col", "keyword"),
    [
        ("    whle x < 3 { skip }", 5, "while"),
        ("    asert x == 1", 5, "assert"),
        ("    if x { skip }\n    els { skip }", 5, "else"),
    ],
)
def test_misspelled_statement_keyword_is_pointed_at_with_a_suggestion(code, col, keyword):
    errs = errors("program main {\n" + code + "\n}")
    line = 1 + code.count("\n") + 1
    assert (errs[0][0], errs[0][1]) == (line, col)
    assert f"did you mean `{keyword}`?" in errs[0][2]


def test_unknown_item_suggests_the_item_keyword():
    errs = errors("program main {\n    skip\n}\nobserv main.x\n")
    assert len(errs) == 1
    line, col, msg = errs[0]
    assert (line, col) == (4, 1)
    assert msg.startswith("unexpected `observ`")
    assert msg.endswith("did you mean `observe`?")


def test_misspelled_expect_kind():
    errs = errors("program main { skip }\nexpect violaton zombies_reaped")
    assert [(line, col) for line, col, _ in errs] == [(2, 8)]
    assert "did you mean `violation`?" in errs[0][2]


def test_unclosed_paren_is_reported_at_the_paren():
    errs = errors("program main {\n    x = (1 + 2\n    skip\n}\n")
    assert errs == [(2, 9, "`(` is never closed")]


def test_unclosed_call_paren_is_reported_at_the_paren():
    errs = errors("program main {\n    w = waitpid(-1, WNOHANG\n    y = 3\n}\n")
    assert errs == [(2, 16, "`(` is never closed")]


def test_mistake_inside_a_closed_multi_line_call_is_not_an_unclosed_paren():
    text = "program main {\n    x = waitpid(-1,\n                WNOHANG WUNTRACED)\n}\n"
    errs = errors(text)
    assert errs[0][:2] == (3, 25)
    assert "never closed" not in errs[0][2]


def test_unclosed_paren_at_end_of_file():
    errs = errors("observe (main.x\n")
    assert [(line, col) for line, col, _ in errs] == [(1, 15)]
    assert "end of file" in errs[0][2]
    assert "`)`" in errs[0][2]


def test_unclosed_brace_at_end_of_file():
    errs = errors("program main {\n    x = 3\n")
    assert errs == [(1, 14, "`{` is never closed")]


def test_unclosed_brace_names_the_open_brace():
    errs = errors("program main {\n    if x { skip\n    skip\n}\n")
    assert "never closed" in errs[0][2]
    assert errs[0][0] in (1, 2)


def test_two_independent_mistakes_are_both_reported():
    errs = errors("program main {\n    x = = 3\n    skip\n    y = 4 + * 2\n}\n")
    assert [(line, col) for line, col, _ in errs] == [(2, 9), (4, 13)]


def test_mistakes_in_a_program_and_in_an_item_are_both_reported():
    errs = errors("program main {\n    x = = 3\n}\nobserv main.x\ncheck zombies_reaped\n")
    assert [(line, col) for line, col, _ in errs] == [(2, 9), (4, 1)]
    assert "did you mean `observe`?" in errs[1][2]


def test_unexpected_character():
    errs = errors("program main {\n    x = 3 @ 4\n}")
    assert errs == [(2, 11, "unexpected character '@'")]


def test_unterminated_string():
    errs = errors('program main {\n    assert x, "no end\n}')
    assert errs[0][:2] == (2, 15)
    assert "string" in errs[0][2]


def test_two_items_on_one_line_need_a_separator():
    errs = errors("program main { skip } program b { skip }")
    assert [(line, col) for line, col, _ in errs] == [(1, 23)]
    assert errs[0][2].startswith("unexpected `program`")


def test_missing_colon_in_a_property():
    errs = errors("invariant ok main.x > 0")
    assert errs == [(1, 14, "unexpected `main`; expected `:`")]


def test_outcomes_need_a_set():
    errs = errors("expect outcomes main.x in 3")
    assert errs == [(1, 27, "unexpected `3`; expected `{`")]


def test_fork_call_needs_a_target_or_a_block():
    errs = errors("program main {\n    fork()\n}")
    assert [(line, col) for line, col, _ in errs] == [(2, 9)]
    assert "`{`" in errs[0][2]


def test_choose_needs_at_least_two_branches():
    errs = errors("program main {\n    choose { skip }\n}")
    assert [(line, col) for line, col, _ in errs] == [(2, 20)]
    assert "`or`" in errs[0][2]


def test_error_diagnostics_carry_the_path():
    with pytest.raises(UserError) as info:
        parse("program main {\n    x = = 3\n}", "dir/some.proc")
    assert [d.path for d in info.value.diagnostics] == ["dir/some.proc"]


def test_parsed_scenario_carries_the_path():
    sc = parse("program main { skip }", "dir/ok.proc")
    assert sc.path == "dir/ok.proc"


@pytest.mark.parametrize("text", ["program main { skip }\nstartmain", "expect always_x"])
def test_keyword_prefix_of_a_longer_word_is_not_a_keyword(text):
    with pytest.raises(UserError):
        parse(text, "t.proc")


def test_misspelled_item_keyword_with_keyword_prefix():
    errs = errors("programm main {\n    skip\n}")
    assert errs[0][:2] == (1, 1)
    assert "`programm`" in errs[0][2]


def test_trailing_comma_in_a_name_list_is_one_error_in_order():
    errs = errors("check zombies_reaped,\nobserve main.x\n")
    assert [(line, col) for line, col, _ in errs] == sorted((line, col) for line, col, _ in errs)
    assert len(errs) == 1


def test_a_brace_may_start_the_next_line():
    # C's Allman style: `program main` then `{` on a line of its own
    sc = parse(
        "program main\n{\n    if x > 0\n    {\n        skip\n    }\n    else\n    {\n        skip\n    }\n}\n",
        "t.proc",
    )
    prog = sc.items[0]
    assert isinstance(prog, A.ProgramDecl)
    (stmt,) = prog.body.stmts
    assert isinstance(stmt, A.If) and stmt.orelse is not None
    assert (stmt.then.pos.line, stmt.then.pos.col) == (4, 5)
