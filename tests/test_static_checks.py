"""The static checker: every rule with the position and the words a user
relies on, the "not supported yet" constructs, several mistakes reported at
once, and the rendered form on the command line."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

from checker.errors import Diagnostic, UserError, format_diagnostic
from checker.lang.check import CheckedScenario, check
from checker.lang.load import load_text
from checker.lang.parse import parse

PATH = "t.proc"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def ok(text: str) -> CheckedScenario:
    return check(parse(src(text), PATH))


def diags(text: str) -> list[Diagnostic]:
    with pytest.raises(UserError) as info:
        check(parse(src(text), PATH))
    return info.value.diagnostics


def errs(text: str) -> list[tuple[int, int, str]]:
    """Every error as (line, col, message), in the order reported."""
    return [(d.pos.line, d.pos.col, d.message) for d in diags(text) if d.severity == "error"]


def one(text: str) -> tuple[int, int, str]:
    found = errs(text)
    assert len(found) == 1, found
    return found[0]


def where(text: str) -> list[tuple[int, int]]:
    return [(line, col) for line, col, _ in errs(text)]


# ------------------------------------------------------------ programs, start


def test_missing_main():
    line, col, msg = one(
        """
        program worker { skip }
        """
    )
    assert (line, col) == (1, 1)
    assert "no `program main`" in msg
    assert "`start`" in msg


def test_no_main_needed_when_start_names_other_programs():
    sc = ok(
        """
        start server, client
        program server { skip }
        program client { skip }
        """
    )
    assert [i.name for i in sc.start] == ["server", "client"]


def test_default_start_is_main():
    sc = ok("program main { skip }")
    assert [i.name for i in sc.start] == ["main"]


def test_unknown_program_in_start():
    line, col, msg = one(
        """
        start main, worker, helper
        program main { skip }
        program worker { skip }
        """
    )
    assert (line, col) == (1, 21)
    assert msg.startswith("unknown program `helper` in `start`")


def test_unknown_program_in_start_suggests_a_name():
    line, col, msg = one(
        """
        start mian
        program main { skip }
        """
    )
    assert (line, col) == (1, 7)
    assert msg == "unknown program `mian` in `start`; did you mean `main`?"


def test_init_cannot_be_started():
    line, col, msg = one(
        """
        init { w = wait() }
        start init
        program a { skip }
        """
    )
    assert (line, col) == (2, 7)
    assert "`init` is pid 1" in msg


def test_unknown_program_in_exec():
    found = errs(
        """
        program main {
            exec othr
        }
        program other { skip }
        """
    )
    assert found == [(2, 10, "unknown program `othr` in `exec`; did you mean `other`?")]


def test_unknown_handler_in_signal():
    found = errs(
        """
        program main {
            handler on_usr { skip }
            signal(SIGUSR1, on_usr2)
        }
        """
    )
    assert (3, 21, "unknown handler `on_usr2` in program `main`; did you mean `on_usr`?") in found


def test_handler_of_another_program_is_unknown():
    found = errs(
        """
        program main {
            sigaction(SIGUSR1, theirs, 0)
        }
        program other {
            handler theirs { skip }
            skip
        }
        """
    )
    assert any(
        (line, col) == (2, 24) and msg.startswith("unknown handler `theirs` in program `main`")
        for line, col, msg in found
    )


def test_program_named_init_is_reserved():
    line, col, msg = one(
        """
        program init { skip }
        program main { skip }
        """
    )
    assert (line, col) == (1, 9)
    assert "`init` is reserved" in msg


# -------------------------------------------------------- definite assignment

READ_BEFORE = "may be read before it is assigned"


def test_read_after_if_without_else():
    line, col, msg = one(
        """
        program main {
            if getpid() > 1 { x = 1 }
            y = x
        }
        """
    )
    assert (line, col) == (3, 9)
    assert msg.startswith("`x` " + READ_BEFORE)


def test_read_after_one_choose_branch():
    line, col, msg = one(
        """
        program main {
            choose { x = 1 } or { skip } or { x = 2 }
            y = x
        }
        """
    )
    assert (line, col) == (3, 9)
    assert READ_BEFORE in msg


def test_read_after_while_body():
    line, col, msg = one(
        """
        program main {
            while getpid() > 1 { x = 1 }
            y = x
        }
        """
    )
    assert (line, col) == (3, 9)
    assert READ_BEFORE in msg


def test_read_in_while_body_before_its_assignment():
    line, col, msg = one(
        """
        program main {
            while getpid() > 1 { y = x; x = 1 }
        }
        """
    )
    assert (line, col) == (2, 30)
    assert msg.startswith("`x` " + READ_BEFORE)


def test_fork_block_reads_a_target_assigned_only_in_the_parent():
    line, col, msg = one(
        """
        program main {
            pid = fork {
                y = pid
            }
        }
        """
    )
    assert (line, col) == (3, 13)
    assert msg.startswith("`pid` " + READ_BEFORE)


def test_parent_does_not_see_what_the_fork_block_assigns():
    line, col, msg = one(
        """
        program main {
            fork { z = 1 }
            y = z
        }
        """
    )
    assert (line, col) == (3, 9)
    assert msg.startswith("`z` " + READ_BEFORE)


def test_read_of_itself_in_first_assignment():
    line, col, msg = one(
        """
        program main {
            n = n + 1
        }
        """
    )
    assert (line, col) == (2, 9)
    assert READ_BEFORE in msg


def test_repeat_zero_does_not_assign():
    line, col, msg = one(
        """
        program main {
            repeat 0 { q = 1 }
            y = q
        }
        """
    )
    assert (line, col) == (3, 9)
    assert READ_BEFORE in msg


def test_definitely_assigned_cases_are_fine():
    ok(
        """
        program main {
            if getpid() > 1 { x = 1 } else { x = 2 }
            y = x
            choose { z = 1 } or { z = 2 }
            y = z
            repeat 1 { q = 1 }
            y = q
            repeat 2 * 3 { r = 1 }
            y = r
            a = 5
            fork { b = a }
            c = fork()
            if c == 0 { exit a }
            choose { d = 1 } or { exit 1 }
            y = d
            if getpid() > 1 { e = 1 } else { exit 2 }
            y = e
            f = any(0..3)
            y = f
        }
        """
    )


def test_code_after_an_infinite_loop_is_not_flagged():
    ok(
        """
        program main {
            while true { x = 1 }
            y = x
        }
        """
    )


def test_handler_has_its_own_locals():
    line, col, msg = one(
        """
        program main {
            handler h { y = x }
            x = 1
        }
        """
    )
    assert (line, col) == (2, 21)
    assert msg == "unknown name `x`"


# ------------------------------------------------------------------ duplicates


def test_duplicate_program():
    line, col, msg = one(
        """
        program main { skip }
        program main { skip }
        """
    )
    assert (line, col) == (2, 9)
    assert msg == "duplicate program `main` (first declared at 1:1)"


def test_duplicate_init():
    line, col, msg = one(
        """
        init { skip }
        init { skip }
        program main { skip }
        """
    )
    assert (line, col) == (2, 1)
    assert msg.startswith("duplicate `init`")


def test_duplicate_handler():
    line, col, msg = one(
        """
        program main {
            handler h { skip }
            handler h { skip }
            skip
        }
        """
    )
    assert (line, col) == (3, 13)
    assert msg.startswith("duplicate handler `h`")
    assert "2:5" in msg


def test_duplicate_var():
    line, col, msg = one(
        """
        program main {
            var v = 1
            var v = 2
        }
        """
    )
    assert (line, col) == (3, 9)
    assert msg.startswith("duplicate variable `v`")
    assert "(first declared at 2:5)" in msg


def test_duplicate_property_of_another_kind():
    line, col, msg = one(
        """
        program main { skip }
        invariant p: true
        final p: true
        """
    )
    assert (line, col) == (3, 7)
    assert msg == "duplicate property `p` (first declared at 2:1)"


def test_property_named_like_a_built_in():
    line, col, msg = one(
        """
        program main { skip }
        invariant zombies_reaped: true
        """
    )
    assert (line, col) == (2, 11)
    assert "built-in property" in msg


@pytest.mark.parametrize(
    ("second", "what"),
    [
        ("start main", "`start`"),
        ("config { }", "`config`"),
        ("faults { }", "`faults`"),
        ('scenario "b"', "`scenario`"),
        ('conform skip "b"', "`conform skip`"),
    ],
)
def test_single_items_given_twice(second, what):
    first = second.replace('"b"', '"a"')
    line, col, msg = one(f"program main {{ skip }}\n{first}\n{second}\n")
    assert (line, col) == (3, 1)
    assert msg == f"{what} is given twice (first at 2:1)"


# --------------------------------------------------------------- PROG.X names


def test_prog_x_naming_no_variable():
    line, col, msg = one(
        """
        program main { var total = 0 }
        observe main.totl
        """
    )
    assert (line, col) == (2, 14)
    assert msg == "program `main` has no variable `totl`; did you mean `total`?"


def test_prog_x_may_name_a_local():
    sc = ok(
        """
        program main {
            w = wait()
            count = 1
        }
        observe main.count
        final f: main.w.pid != 0
        """
    )
    assert sc.named == ("main",)


def test_prog_x_ambiguous_when_started_twice():
    line, col, msg = one(
        """
        start w, w
        program w { var x = 0 }
        observe w.x
        """
    )
    assert (line, col) == (3, 9)
    assert "`w.X` is ambiguous" in msg
    assert "1:7" in msg and "1:10" in msg
    assert "quantifier" in msg


def test_prog_x_of_a_program_never_started():
    line, col, msg = one(
        """
        program main { skip }
        program other { var x = 0 }
        invariant i: other.x == 0
        """
    )
    assert (line, col) == (3, 14)
    assert "no task begins as `other`" in msg
    assert "neither started nor exec'd" in msg


def test_task_field_naming_nothing():
    line, col, msg = one(
        """
        program main { var x = 0 }
        invariant i: forall T in tasks: T.nope > 0
        """
    )
    assert (line, col) == (2, 35)
    assert msg.startswith("tasks have no field `nope`")


def test_quantified_variables_of_programs_are_fine():
    ok(
        """
        program main {
            var count = 0
            start = 1
            lock = start + count
            w = wait()
            s = w.signal
        }
        invariant a: forall T in tasks: T.program == main -> T.count >= 0
        invariant b: count(T in tasks where T.state == ZOMBIE) <= 2
        invariant c: exists T in tasks: T.pid == 1
        observe main.count, main.lock, main.start
        """
    )


# ------------------------------------------------------------- status records


def test_status_field_on_a_pid():
    line, col, msg = one(
        """
        program main {
            a = fork()
            if a == 0 { exit 1 }
            w = wait()
            x = a.code
        }
        """
    )
    assert (line, col) == (5, 11)
    assert "`.code`" in msg
    assert "not a status record" in msg
    assert "integer" in msg


def test_unknown_status_field():
    line, col, msg = one(
        """
        program main {
            w = wait()
            x = w.cod
        }
        """
    )
    assert (line, col) == (3, 11)
    assert msg.startswith("a status record has no field `cod`; did you mean `code`?")


def test_status_record_as_a_condition_or_an_integer():
    assert where(
        """
        program main {
            w = wait()
            if w { skip }
            assert w.exited
            exit w
        }
        """
    ) == [(3, 8), (5, 10)]


def test_status_records_are_not_compared():
    line, col, msg = one(
        """
        program main {
            w = wait()
            v = wait()
            b = w == v
        }
        """
    )
    assert (line, col) == (4, 9)
    assert msg.startswith("status records cannot be compared")


# ------------------------------------------------------- unknown names, calls


def test_unknown_constant():
    line, col, msg = one(
        """
        program main {
            x = SIGFOO
        }
        """
    )
    assert (line, col) == (2, 9)
    assert msg.startswith("unknown constant `SIGFOO`")


def test_unknown_constant_suggests_a_close_one():
    line, col, msg = one(
        """
        program main {
            x = SIGCHLDD
        }
        """
    )
    assert (line, col) == (2, 9)
    assert msg == "unknown constant `SIGCHLDD`; did you mean `SIGCHLD`?"


def test_unknown_name():
    line, col, msg = one(
        """
        program main {
            x = 1
            y = xx + 1
        }
        """
    )
    assert (line, col) == (3, 9)
    assert msg == "unknown name `xx`; did you mean `x`?"


def test_unknown_name_in_a_property():
    line, col, msg = one(
        """
        program main { skip }
        invariant p: total > 0
        """
    )
    assert (line, col) == (2, 14)
    assert msg.startswith("unknown name `total`")
    assert "PROG.X" in msg


def test_program_name_in_program_code():
    line, col, msg = one(
        """
        program main {
            x = main
        }
        """
    )
    assert (line, col) == (2, 9)
    assert "only be named in a property" in msg


def test_unknown_function():
    found = errs(
        """
        program main {
            w = wiat()
            wiat()
        }
        """
    )
    assert found == [
        (2, 9, "unknown function `wiat`; did you mean `wait`?"),
        (3, 5, "unknown function `wiat`; did you mean `wait`?"),
    ]


def test_wrong_number_of_arguments():
    line, col, msg = one(
        """
        program main {
            w = waitpid()
        }
        """
    )
    assert (line, col) == (2, 9)
    assert msg == "`waitpid` takes 1 or 2 argument(s), not 0"


def test_calls_not_allowed_in_properties():
    line, col, msg = one(
        """
        program main { skip }
        invariant p: getpid() > 0
        """
    )
    assert (line, col) == (2, 14)
    assert "calls are not allowed in properties" in msg


def test_side_effecting_call_inside_an_expression():
    line, col, msg = one(
        """
        program main {
            x = wait() + 1
        }
        """
    )
    assert (line, col) == (2, 9)
    assert msg.startswith("`wait()` has side effects")
    assert "as a statement or assign its result" in msg


def test_side_effecting_call_in_a_condition():
    line, col, msg = one(
        """
        program main {
            if wait().pid > 0 { skip }
        }
        """
    )
    assert (line, col) == (2, 8)
    assert msg.startswith("`wait()` has side effects")


def test_query_calls_are_fine_inside_expressions():
    ok(
        """
        program main {
            x = getpid() + getppid() - gettid()
            if getpid() > 1 { skip }
            assert x != 0 || errno == 0
        }
        """
    )


def test_assigning_to_a_constant():
    line, col, msg = one(
        """
        program main {
            SIGCHLD = 3
        }
        """
    )
    assert (line, col) == (2, 5)
    assert msg == "cannot assign to the constant `SIGCHLD`"


def test_var_named_like_a_constant():
    line, col, msg = one(
        """
        program main {
            var WNOHANG = 3
        }
        """
    )
    assert (line, col) == (2, 9)
    assert "constant name" in msg


def test_quantifier_in_program_code():
    line, col, msg = one(
        """
        program main {
            x = count(T in tasks where T.pid > 0)
        }
        """
    )
    assert (line, col) == (2, 9)
    assert "only allowed in properties" in msg


# ------------------------------------------------------- statements in place


def test_repeat_with_a_non_constant_count():
    line, col, msg = one(
        """
        program main {
            n = 3
            repeat n { skip }
        }
        """
    )
    assert (line, col) == (3, 12)
    assert msg.startswith("`repeat` needs a constant count")
    assert "`while`" in msg


def test_repeat_with_constant_arithmetic_and_kernel_constants_is_fine():
    ok(
        """
        program main {
            repeat 2 * 3 - 1 { skip }
            repeat SIGCHLD % 4 { skip }
        }
        """
    )


def test_repeat_with_a_negative_count():
    line, col, msg = one(
        """
        program main {
            repeat -1 { skip }
        }
        """
    )
    assert (line, col) == (2, 12)
    assert "negative" in msg


def test_empty_any_range():
    line, col, msg = one(
        """
        program main {
            x = any(3..1)
        }
        """
    )
    assert (line, col) == (2, 5)
    assert "empty range" in msg


def test_var_after_a_statement():
    line, col, msg = one(
        """
        program main {
            skip
            var late = 1
        }
        """
    )
    assert (line, col) == (3, 5)
    assert "`var` declarations go at the top" in msg


def test_var_after_a_statement_is_one_error():
    found = errs(
        """
        program main {
            skip
            var late = 1
            x = late
        }
        """
    )
    assert [(line, col) for line, col, _ in found] == [(3, 5)]


def test_var_and_handler_inside_a_block():
    assert where(
        """
        program main {
            if getpid() > 0 {
                var v = 1
                handler h { skip }
            }
        }
        """
    ) == [(3, 9), (4, 9)]


def test_var_initial_value_must_be_constant():
    line, col, msg = one(
        """
        program main {
            var v = getpid()
        }
        """
    )
    assert (line, col) == (2, 13)
    assert "must be a constant" in msg


def test_return_outside_a_handler():
    line, col, msg = one(
        """
        program main {
            return
        }
        """
    )
    assert (line, col) == (2, 5)
    assert msg.startswith("`return` outside a handler")


def test_return_inside_a_handler_is_fine():
    ok(
        """
        program main {
            handler h {
                if getpid() > 0 { return }
                skip
            }
            skip
        }
        """
    )


def test_local_assigned_two_types():
    line, col, msg = one(
        """
        program main {
            x = 1
            x = wait()
        }
        """
    )
    assert (line, col) == (3, 5)
    assert msg == "`x` holds an integer (assigned at 2:5); this assigns a status record"


def test_local_assigned_two_types_other_order():
    line, col, msg = one(
        """
        program main {
            p = fork()
            if p == 0 { exit 0 }
            p = waitpid(p)
        }
        """
    )
    assert (line, col) == (4, 5)
    assert "holds an integer" in msg and "status record" in msg


def test_booleans_and_integers_mix():
    ok(
        """
        program main {
            x = true
            x = 1
        }
        """
    )


# ------------------------------------------------------------------- config


def test_unknown_config_key():
    line, col, msg = one(
        """
        program main { skip }
        config { max_task = 3 }
        """
    )
    assert (line, col) == (2, 10)
    assert msg == "unknown config key `max_task`; did you mean `max_tasks`?"


def test_config_value_not_constant():
    assert errs(
        """
        program main { skip }
        config {
            max_tasks = main
            pid_max = getpid()
        }
        """
    ) == [
        (3, 17, "`max_tasks` must be a constant integer"),
        (4, 15, "`pid_max` must be a constant integer"),
    ]


def test_config_value_constant_arithmetic_is_fine():
    sc = ok(
        """
        program main { skip }
        config { max_tasks = 2 * 4; pid_max = 100 + 1; max_depth = 0; max_states = 1000 }
        """
    )
    assert (sc.settings.max_tasks, sc.settings.pid_max) == (8, 101)
    assert sc.settings.max_states == 1000


def test_max_tasks_too_small_for_start():
    line, col, msg = one(
        """
        start a, b, c
        program a { skip }
        program b { skip }
        program c { skip }
        config { max_tasks = 3 }
        """
    )
    assert (line, col) == (5, 10)  # at the key
    assert "max_tasks = 3" in msg
    assert "no room" in msg


def test_max_tasks_just_enough_for_start():
    sc = ok(
        """
        start a, b, c
        program a { skip }
        program b { skip }
        program c { skip }
        config { max_tasks = 4 }
        """
    )
    assert sc.settings.max_tasks == 4


def test_max_tasks_below_minimum():
    line, col, msg = one(
        """
        program main { skip }
        config { max_tasks = 1 }
        """
    )
    assert (line, col) == (2, 22)
    assert msg == "`max_tasks` must be at least 2"


def test_pid_max_too_small_for_start():
    line, _col, msg = one(
        """
        start a, b
        program a { skip }
        program b { skip }
        config { pid_max = 3 }
        """
    )
    assert line == 4
    assert "pid_max = 3" in msg


def test_config_key_set_twice():
    line, col, msg = one(
        """
        program main { skip }
        config {
            max_tasks = 4
            max_tasks = 5
        }
        """
    )
    assert (line, col) == (4, 5)
    assert "set twice" in msg


def test_fairness_values():
    line, col, msg = one(
        """
        program main { skip }
        config { fairness = fast }
        """
    )
    assert (line, col) == (2, 21)
    assert "`weak`, `strong`, `none`" in msg
    sc = ok(
        """
        program main { skip }
        config { fairness = strong }
        """
    )
    assert sc.settings.fairness == "strong"
    assert [(w.pos.line, w.pos.col, w.severity) for w in sc.warnings] == [(2, 21, "warning")]


# ------------------------------------------------------------ faults, check


def test_unknown_fault():
    line, col, msg = one(
        """
        program main { skip }
        faults { fork, clone }
        """
    )
    assert (line, col) == (2, 16)
    assert msg.startswith("unknown fault `clone`")


def test_supported_faults():
    sc = ok(
        """
        program main { skip }
        faults { fork, wait }
        """
    )
    assert sc.faults == frozenset({"fork", "wait"})


def test_unknown_built_in_in_check():
    line, col, msg = one(
        """
        program main { skip }
        check zombies_reaped, zombie_reaped
        """
    )
    assert (line, col) == (2, 23)
    assert msg == "unknown built-in property `zombie_reaped`; did you mean `zombies_reaped`?"


def test_check_naming_a_user_property():
    line, col, msg = one(
        """
        program main { skip }
        invariant mine: true
        check mine
        """
    )
    assert (line, col) == (3, 7)
    assert "`check` names built-in properties" in msg


def test_check_list_and_default():
    assert ok("program main { skip }\ncheck no_deadlock").checks == ("assertions", "no_deadlock")
    default = ok("program main { skip }").checks
    assert set(default) == {
        "assertions",
        "orphans_reparented",
        "zombies_reaped",
        "no_deadlock",
        "vfork_parent_blocked",
    }


# --------------------------------------------------------------- expectations


def test_expect_violation_naming_nothing():
    line, col, msg = one(
        """
        program main { skip }
        expect violation nothing
        """
    )
    assert (line, col) == (2, 18)
    assert msg == "`expect violation` names no property `nothing`"


def test_expect_violation_suggests_a_property():
    line, col, msg = one(
        """
        program main { skip }
        final total_seen: true
        expect violation total_sen
        """
    )
    assert (line, col) == (3, 18)
    assert msg.endswith("did you mean `total_seen`?")


def test_expect_violation_of_user_and_built_in_properties_is_fine():
    sc = ok(
        """
        program main { skip }
        invariant mine: true
        check no_deadlock
        expect violation mine
        expect violation zombies_reaped
        """
    )
    # an expected violation of a built-in is checked even when `check` omits it
    assert "zombies_reaped" in sc.checks


@pytest.mark.parametrize("order", ["pass first", "violation first"])
def test_expect_pass_with_expect_violation(order):
    lines = ["expect pass", "expect violation zombies_reaped"]
    if order == "violation first":
        lines.reverse()
    text = "program main { skip }\n" + "\n".join(lines) + "\n"
    pass_line = 2 + lines.index("expect pass")
    viol_line = 2 + lines.index("expect violation zombies_reaped")
    line, col, msg = one(text)
    assert (line, col) == (pass_line, 1)
    assert msg == f"`expect pass` contradicts `expect violation` at {viol_line}:1"


def test_outcomes_arity_mismatch():
    assert errs(
        """
        program main { var x = 0; var y = 0 }
        expect outcomes (main.x, main.y) in {(0, 1), (1, 1, 2), 3}
        """
    ) == [
        (2, 46, "this outcome has 3 value(s), the subject has 2"),
        (2, 57, "this outcome has 1 value(s), the subject has 2"),
    ]


def test_outcomes_tuple_for_a_single_subject():
    line, col, msg = one(
        """
        program main { var x = 0 }
        expect outcomes main.x in {(0, 1)}
        """
    )
    assert (line, col) == (2, 28)
    assert msg == "this outcome has 2 value(s), the subject has 1"


def test_outcomes_must_be_constants():
    line, col, msg = one(
        """
        program main { var x = 0 }
        expect outcomes main.x in {main.x}
        """
    )
    assert (line, col) == (2, 28)
    assert "constant" in msg


def test_well_formed_expectations():
    sc = ok(
        """
        program main { var x = 0; var y = 1 }
        observe main.x, main.y
        expect outcomes (main.x, main.y) in {(0, 1), (1, 1)}
        expect outcomes main.x in {0}
        expect sometimes main.x == 0
        expect never main.x == 2
        expect always main.y >= 0
        """
    )
    assert [e.kind for e in sc.expects] == ["outcomes", "outcomes", "sometimes", "never", "always"]


# ------------------------------------------------------- not supported yet

NOT_YET = "is not supported yet"


@pytest.mark.parametrize(
    ("code", "col", "what"),
    [
        ("schedule()", 5, "`schedule`"),
        ("set_current_state(TASK_INTERRUPTIBLE)", 5, "`set_current_state`"),
        ("wake_up(Q)", 5, "`wake_up`"),
        ("t = kthread_run(kt)", 9, "`kthread_run`"),
        ("b = kthread_should_stop()", 9, "`kthread_should_stop`"),
        ("spin_lock(L)", 5, "`spin_lock`"),
    ],
)
def test_statements_not_supported_yet(code, col, what):
    text = "program main {\n    " + code + "\n}\n"
    # the construct is named at its position, and nothing else is said about it
    assert errs(text) == [(2, col, f"{what} {NOT_YET}")]


def test_process_and_thread_statements_are_supported():
    ok(
        """
        faults { exec, fork }
        check vfork_parent_blocked
        program main {
            v = vfork()
            if v == 0 { exec other }
            q = vfork { exit 0 }
            c = clone(CLONE_VM | SIGCHLD) { skip }
            clone(SIGCHLD) { skip }
            t = thread { exit_thread 1 }
            thread { skip }
            r = join(t)
            exec other
            exit_thread
        }
        program other { skip }
        """
    )


def test_signal_statements_are_supported():
    ok(
        """
        program main {
            handler h { return }
            signal(SIGUSR1, h)
            sigaction(SIGCHLD, SIG_DFL, SA_NOCLDWAIT | SA_NOCLDSTOP)
            r = kill(0, SIGUSR1)
            raise(SIGUSR2)
            sigprocmask(SIG_BLOCK, {SIGCHLD, SIGUSR1})
            sigprocmask(SIG_SETMASK, {})
            sigsuspend({SIGTERM})
            pause()
        }
        faults { fork, wait, kill }
        """
    )


@pytest.mark.parametrize(
    ("code", "col", "message"),
    [
        ("kill(2, 34)", 13, "signal 34 is a real-time signal; real-time signals are not modelled"),
        ("raise(64)", 11, "signal 64 is a real-time signal; real-time signals are not modelled"),
        (
            "signal(40, SIG_IGN)",
            12,
            "signal 40 is a real-time signal; real-time signals are not modelled",
        ),
        (
            "sigprocmask(SIG_BLOCK, {SIGCHLD, 32})",
            38,
            "signal 32 is a real-time signal; real-time signals are not modelled",
        ),
        ("sigsuspend({0})", 17, "0 is not a signal number (signals are 1 to 64)"),
        ("sigsuspend({65})", 17, "65 is not a signal number (signals are 1 to 64)"),
    ],
)
def test_constant_signal_numbers_the_model_lacks(code, col, message):
    text = "program main {\n    " + code + "\n}\n"
    assert errs(text) == [(2, col, message)]


def test_signal_numbers_the_kernel_refuses_are_left_to_run_time():
    # kill(2, 0) probes, kill(2, 65) and signal(SIGKILL, ...) fail with EINVAL
    # when run (SEMANTICS 6.2, 6.4): not static errors
    ok(
        """
        program main {
            a = kill(2, 0)
            b = kill(2, 65)
            c = signal(SIGKILL, SIG_IGN)
        }
        """
    )


@pytest.mark.parametrize(
    ("item", "col", "what"),
    [
        ("kthread kt { skip }", 1, "`kthread`"),
        ("kvar ready = 0", 1, "`kvar`"),
        ("lock L", 1, "`lock`"),
        ("waitqueue Q", 1, "`waitqueue`"),
        ("syscall my_call { skip }", 1, "`syscall`"),
        ("check no_deadlock, no_lost_wakeup", 20, "`check no_lost_wakeup`"),
    ],
)
def test_items_not_supported_yet(item, col, what):
    text = "program main { var x = 0 }\n" + item + "\n"
    assert errs(text) == [(2, col, f"{what} {NOT_YET}")]


def test_liveness_properties_are_accepted_and_fairness_then_matters():
    sc = load_text(
        textwrap.dedent(
            """
        program main { var x = 0; x = 1 }
        eventually e: main.x == 1
        leadsto l: main.x == 0 ~> main.x == 1
        check zombies_eventually_reaped
        config { fairness = strong }
        """
        ),
        "live.proc",
    )
    assert [(p.name, p.kind, p.text) for p in sc.liveness] == [
        ("e", "eventually", "main.x == 1"),
        ("l", "leadsto", "main.x == 0 ~> main.x == 1"),
    ]
    assert "zombies_eventually_reaped" in sc.checks
    assert sc.warnings == ()


def test_expect_violation_of_an_unsupported_built_in():
    assert errs(
        """
        program main { skip }
        expect violation no_lost_wakeup
        """
    ) == [(2, 18, f"`no_lost_wakeup` {NOT_YET}")]


def test_fork_and_wait_are_supported():
    ok(
        """
        program main {
            a = fork { exit 3 }
            b = fork()
            if b == 0 { exit 4 }
            w = waitpid(a)
            v = waitpid(-1, WNOHANG)
            wait()
            set_subreaper()
            exit w.code
        }
        """
    )


# ------------------------------------------------------------ many mistakes

MANY = src(
    """
    start main, helper
    program main {
        x = y
        repeat 3 { skip }
        schedule()
        skip
        var late = 1
        return
    }
    config { max_task = 3 }
    check zombie_reaped
    faults { fork, clone }
    expect violation nothing
    observe main.nope
    kvar k = 0
    """
)

MANY_EXPECTED = [
    (1, 13, "unknown program `helper` in `start`"),
    (3, 9, "unknown name `y`"),
    (5, 5, "`schedule` is not supported yet"),
    (7, 5, "`var` declarations go at the top"),
    (8, 5, "`return` outside a handler"),
    (10, 10, "unknown config key `max_task`"),
    (11, 7, "unknown built-in property `zombie_reaped`"),
    (12, 16, "unknown fault `clone`"),
    (13, 18, "`expect violation` names no property `nothing`"),
    (14, 14, "program `main` has no variable `nope`"),
    (15, 1, "`kvar` is not supported yet"),
]


def test_every_mistake_is_reported_in_position_order():
    with pytest.raises(UserError) as info:
        check(parse(MANY, "many.proc"))
    found = info.value.diagnostics
    assert [(d.pos.line, d.pos.col) for d in found] == [(ln, c) for ln, c, _ in MANY_EXPECTED]
    for d, (_, _, start) in zip(found, MANY_EXPECTED, strict=True):
        assert d.message.startswith(start), (d.message, start)
        assert d.severity == "error"
        assert d.path == "many.proc"


def test_errors_come_before_warnings():
    found = diags(
        """
        program main { x = y }
        config { fairness = none }
        """
    )
    assert [(d.severity, d.pos.line) for d in found] == [("error", 1), ("warning", 2)]


# ------------------------------------------------------------ rendered form


def test_rendered_diagnostic_has_location_source_line_and_caret():
    text = "program main {\n    if getpid() > 1 { x = 1 }\n    y = x\n}\n"
    (d,) = diags(text)
    assert format_diagnostic(d, text) == (
        "t.proc:3:9: error: `x` may be read before it is assigned "
        "(no assignment to it on some path to here)\n"
        "        y = x\n"
        "            ^"
    )


def test_rendered_caret_spans_the_name():
    text = "program main {\n    x = SIGCHLDD\n}\n"
    (d,) = diags(text)
    rendered = format_diagnostic(d, text).splitlines()
    assert rendered[0].startswith("t.proc:2:9: error: unknown constant `SIGCHLDD`")
    assert rendered[1] == "        x = SIGCHLDD"
    assert rendered[2] == "            ^~~~~~~~"


def test_rendered_caret_under_a_tab_indented_line():
    text = "program main {\n\tx = y\n}\n"
    (d,) = diags(text)
    assert (d.pos.line, d.pos.col) == (2, 6)
    head, line, caret = format_diagnostic(d, text).splitlines()
    assert head == "t.proc:2:6: error: unknown name `y`"
    # the caret sits under the `y` of the line as printed
    assert caret.index("^") == line.index("y")


def test_rendered_diagnostic_without_source_is_one_line():
    (d,) = diags("program main { x = y }")
    assert format_diagnostic(d, None) == "t.proc:1:20: error: unknown name `y`"


# ------------------------------------------------------------ command line

_LOC = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")


def _run_cli(tmp_path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "checker", "check", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_rendered(out: str, name: str, text: str) -> list[tuple[int, int, str]]:
    """Every `NAME:L:C: error: MSG` line of the output, each checked to be
    followed by source line L and a caret under column C."""
    source = text.splitlines()
    lines = out.splitlines()
    found = []
    for i, row in enumerate(lines):
        m = _LOC.match(row)
        if not m:
            continue
        assert m["path"] == name
        line, col = int(m["line"]), int(m["col"])
        shown, caret = lines[i + 1], lines[i + 2]
        assert shown.strip() == source[line - 1].strip()
        indent = len(shown) - len(source[line - 1])
        assert caret[indent + col - 1] == "^", (shown, caret)
        assert caret[: indent + col - 1].strip() == ""
        found.append((line, col, m["msg"]))
    return found


def test_cli_reports_every_static_error_with_exit_status_2(tmp_path):
    res = _run_cli(tmp_path, "many.proc", MANY)
    assert res.returncode == 2, res.stdout + res.stderr
    found = _check_rendered(res.stdout, "many.proc", MANY)
    assert [(ln, c) for ln, c, _ in found] == [(ln, c) for ln, c, _ in MANY_EXPECTED]
    for (_, _, msg), (_, _, start) in zip(found, MANY_EXPECTED, strict=True):
        assert msg.startswith(start)
    assert "Traceback" not in res.stdout + res.stderr


def test_cli_reports_syntax_errors_with_exit_status_2(tmp_path):
    text = "program main {\n    x = = 3\n    skip\n    y = 4 + * 2\n}\n"
    res = _run_cli(tmp_path, "syntax.proc", text)
    assert res.returncode == 2, res.stdout + res.stderr
    found = _check_rendered(res.stdout, "syntax.proc", text)
    assert [(ln, c) for ln, c, _ in found] == [(2, 9), (4, 13)]
    assert found[0][2].startswith("unexpected `=`")
    assert "Traceback" not in res.stdout + res.stderr


def test_constant_arithmetic_follows_c():
    # found by review: constant folding had no overflow or division check
    found = errs(
        """
        program main {
            var x = 9223372036854775807 + 1
            var z = 9223372036854775808
            repeat 7 / 0 { skip }
            y = 9223372036854775808
        }
        """
    )
    assert [(line, col) for line, col, _ in found] == [(2, 13), (3, 13), (4, 12), (5, 9)]
    assert "integer overflow" in found[0][2]
    assert "does not fit in 64 bits" in found[1][2] and "does not fit in 64 bits" in found[3][2]
    assert "division by zero" in found[2][2]
