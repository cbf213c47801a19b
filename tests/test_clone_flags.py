"""The clone(2) EINVAL rules three ways: the table the model's clone step
evaluates (checker/kernel/clone_flags.py), its Z3 encoding
(checker/symbolic/clone_flags.py), and what a user sees of them: the static
warnings at a clone (checker/lang/flagcheck.py) and `forkcheck flags`."""

from __future__ import annotations

import random
import textwrap

import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.errors import UserError, format_diagnostic
from checker.kernel.clone_flags import MENTIONED, RULES, F, violations
from checker.lang import ir
from checker.lang.ast import Pos
from checker.lang.constants import CONSTANTS
from checker.lang.flagcheck import spawn_warning
from checker.lang.flagexpr import flags_value
from checker.lang.load import load_text
from checker.runner import check_text
from checker.symbolic import clone_flags as C


def combination(index: int) -> int:
    """The flags word with the MENTIONED flags whose bit is set in `index`."""
    return sum(F[name] for bit, name in enumerate(MENTIONED) if index >> bit & 1)


# ------------------------------------------------- (a) the encoding = the table


def test_the_rules_mention_the_flags_the_kernel_checks():
    assert set(MENTIONED) == {
        "CLONE_PIDFD",
        "CLONE_PARENT_SETTID",
        "CLONE_NEWNS",
        "CLONE_FS",
        "CLONE_NEWUSER",
        "CLONE_THREAD",
        "CLONE_SIGHAND",
        "CLONE_VM",
        "CLONE_PARENT",
        "CLONE_NEWPID",
        "CLONE_DETACHED",
        "CLONE_NEWIPC",
        "CLONE_SYSVSEM",
    }


@pytest.mark.parametrize("caller_is_init", [False, True])
def test_z3_and_the_table_agree_on_every_combination_of_the_mentioned_flags(caller_is_init):
    for index in range(2 ** len(MENTIONED)):
        word = combination(index)
        expected = tuple(violations(word, caller_is_init))
        assert C.broken(word, caller_is_init) == expected, (hex(word), caller_is_init)


def test_the_solver_agrees_with_the_simplifier_and_the_table():
    # `broken` lets Z3's simplifier decide the fixed word; a solver's model
    # must say the same (a sample: every rule alone, then random words with
    # the exit-signal byte and the high bits set too)
    rng = random.Random(7)
    words = [r.present for r in RULES] + [rng.getrandbits(64) for _ in range(150)]
    words += [combination(rng.randrange(2 ** len(MENTIONED))) for _ in range(150)]
    for word in words:
        for init in (False, True):
            expected = tuple(violations(word, init))
            assert C.solve_broken(word, init) == expected, hex(word)
            assert C.broken(word, init) == expected, hex(word)


def test_any_invalid_is_the_disjunction_of_the_rules():
    import z3

    word, init = z3.BitVec("w", 64), z3.Bool("init")
    solver = z3.Solver()
    rules = z3.Or(*(C.invalid(r, word, init) for r in RULES))
    solver.add(C.any_invalid(word, init) != rules)
    assert solver.check() == z3.unsat


def test_only_the_low_32_bits_count_and_the_low_byte_is_the_exit_signal():
    import z3

    # a symbolic proof: whatever the high 32 bits and the low byte hold,
    # the verdict is that of the flags alone
    word, init = z3.BitVec("w", 64), z3.Bool("init")
    flags_only = word & C.bv(0xFFFFFF00)
    solver = z3.Solver()
    solver.add(C.any_invalid(word, init) != C.any_invalid(flags_only, init))
    assert solver.check() == z3.unsat
    # and concretely: CLONE_THREAD above bit 32 is dropped, in the low byte it is a signal
    assert C.broken(F["CLONE_THREAD"] << 32) == ()
    assert C.explain(F["CLONE_THREAD"] << 32).dropped == F["CLONE_THREAD"] << 32
    assert C.broken(F["CLONE_THREAD"] | 0xFF) == tuple(violations(F["CLONE_THREAD"]))


# ----------------------------------------------- (b) each rule's message

MINIMAL = [
    ("CLONE_PIDFD|CLONE_PARENT_SETTID", False),
    ("CLONE_NEWNS|CLONE_FS", False),
    ("CLONE_NEWUSER|CLONE_FS", False),
    ("CLONE_THREAD", False),
    ("CLONE_SIGHAND", False),
    ("CLONE_PARENT", True),
    ("CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWUSER", False),
    ("CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_NEWPID", False),
    ("CLONE_PIDFD|CLONE_DETACHED", False),
    ("CLONE_NEWIPC|CLONE_SYSVSEM", False),
]


def test_every_rule_has_a_minimal_example():
    assert len(MINIMAL) == len(RULES)


@pytest.mark.parametrize(("rule", "example"), list(zip(RULES, MINIMAL, strict=True)))
def test_each_rule_alone_on_a_minimal_example(rule, example):
    expr, from_init = example
    word = flags_value(expr)
    assert C.broken(word, from_init) == (rule,)
    assert C.explain(word, from_init).broken == (rule,)
    if from_init:  # the init-only rule does not apply to anybody else
        assert C.broken(word, False) == ()
    # the same message at a clone in a scenario
    where = "init {" if from_init else "program main {"
    text = f"{where}\n    clone({expr}) {{ exit 0 }}\n}}\n"
    if from_init:
        text += "program main { skip }\n"
    sc = load_text(text, "x.proc")
    [w] = sc.warnings
    assert w.message == f"{rule.message}: this clone always fails with EINVAL"


def test_the_messages():
    assert [r.message for r in RULES] == [
        "CLONE_PIDFD and CLONE_PARENT_SETTID both write to the parent_tid word",
        "CLONE_NEWNS cannot be combined with CLONE_FS",
        "CLONE_NEWUSER cannot be combined with CLONE_FS",
        "CLONE_THREAD requires CLONE_SIGHAND",
        "CLONE_SIGHAND requires CLONE_VM",
        "CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings",
        "CLONE_THREAD cannot be combined with CLONE_NEWUSER",
        "CLONE_THREAD cannot be combined with CLONE_NEWPID",
        "CLONE_PIDFD cannot be combined with CLONE_DETACHED",
        "CLONE_NEWIPC cannot be combined with CLONE_SYSVSEM",
    ]


# ------------------------------------------------ (c) static warnings


def warnings_of(text: str) -> list[tuple[int, int, str]]:
    sc = load_text(textwrap.dedent(text).strip("\n") + "\n", "x.proc")
    assert all(w.severity == "warning" for w in sc.warnings)
    return [(w.pos.line, w.pos.col, w.message) for w in sc.warnings]


def test_flags_that_are_never_valid():
    text = textwrap.dedent(
        """\
        program main {
            x = 1
            clone(CLONE_VM | CLONE_THREAD) { exit 0 }
        }
        """
    )
    sc = load_text(text, "x.proc")
    [w] = sc.warnings
    assert (w.pos.line, w.pos.col) == (3, 5)
    assert w.message == "CLONE_THREAD requires CLONE_SIGHAND: this clone always fails with EINVAL"
    assert format_diagnostic(w, text).splitlines() == [
        "x.proc:3:5: warning: CLONE_THREAD requires CLONE_SIGHAND: this clone always fails with EINVAL",
        "        clone(CLONE_VM | CLONE_THREAD) { exit 0 }",
        "        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
    ]


def test_never_valid_although_no_single_rule_always_holds():
    # f = 0: CLONE_THREAD without CLONE_SIGHAND; f = 1: CLONE_SIGHAND without CLONE_VM
    assert warnings_of(
        """
        program main {
            f = any(0..1)
            clone(CLONE_THREAD | f * CLONE_SIGHAND) { exit 0 }
        }
        """
    ) == [
        (
            3,
            5,
            "CLONE_THREAD requires CLONE_SIGHAND or CLONE_SIGHAND requires CLONE_VM:"
            " this clone always fails with EINVAL",
        )
    ]


def test_invalid_for_one_value_of_an_any_range():
    assert warnings_of(
        """
        program main {
            f = any(0..1)
            clone((CLONE_VM | CLONE_SIGHAND | CLONE_THREAD) - f * CLONE_SIGHAND) { exit 0 }
        }
        """
    ) == [
        (
            3,
            5,
            "this clone fails with EINVAL when f = 1 (CLONE_THREAD requires CLONE_SIGHAND)",
        )
    ]


def test_invalid_for_one_of_the_constants_choose_assigns():
    assert warnings_of(
        """
        program main {
            choose { k = CLONE_SIGHAND } or { k = 0 }
            clone(CLONE_VM | CLONE_THREAD | k) { exit 0 }
        }
        """
    ) == [(3, 5, "this clone fails with EINVAL when k = 0 (CLONE_THREAD requires CLONE_SIGHAND)")]


def test_every_variable_read_is_named_with_its_value():
    assert warnings_of(
        """
        program main {
            var v = CLONE_VM
            choose { k = CLONE_SIGHAND } or { k = 0 }
            choose { v = 0 } or { skip }
            clone(v | CLONE_SIGHAND | k) { exit 0 }
        }
        """
    ) == [
        (
            5,
            5,
            "this clone fails with EINVAL when v = 0 and k = 0 (CLONE_SIGHAND requires CLONE_VM)",
        )
    ]


def test_flags_that_are_always_valid_give_no_warning():
    assert (
        warnings_of(
            """
            program main {
                var v = CLONE_VM
                choose { k = CLONE_SIGHAND } or { k = CLONE_SIGHAND | CLONE_FS }
                clone(v | CLONE_THREAD | k) { exit 0 }
                clone(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | SIGCHLD) { exit 0 }
                clone(CLONE_PARENT) { exit 0 }
            }
            """
        )
        == []
    )


def test_a_handler_s_locals_are_not_the_program_s():
    # slot 0 is `k` in main and `g` in the handler: g's 0 is not one of k's values
    assert (
        warnings_of(
            """
            program main {
                handler h { g = 0; skip }
                signal(SIGUSR1, h)
                k = CLONE_SIGHAND
                clone(CLONE_VM | CLONE_THREAD | k) { exit 0 }
            }
            """
        )
        == []
    )


def test_clone_parent_from_init():
    assert warnings_of(
        """
        init {
            clone(CLONE_PARENT) { exit 0 }
            while true { w = wait() }
        }
        program main { skip }
        """
    ) == [
        (
            2,
            5,
            "CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings:"
            " this clone always fails with EINVAL",
        )
    ]


def test_clone_parent_in_init_s_children_and_after_a_c_style_fork():
    # a fork block of init runs in another task; after `c = fork()` the same
    # code runs in init and in its child
    assert warnings_of(
        """
        init {
            fork { clone(CLONE_PARENT) { exit 0 } }
            thread { clone(CLONE_PARENT) { exit 0 } }
            c = fork()
            clone(CLONE_PARENT) { exit 0 }
            while true { w = wait() }
        }
        program main { skip }
        """
    ) == [
        (
            3,
            14,
            "CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings:"
            " this clone always fails with EINVAL",
        ),
        (
            5,
            5,
            "this clone fails with EINVAL when it is called by init"
            " (CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings)",
        ),
    ]


def test_a_variable_set_from_a_fork_result_is_unconstrained():
    # any value is possible: the example is the smallest invalid one
    assert warnings_of(
        """
        program main {
            c = fork()
            clone(c) { exit 0 }
        }
        """
    ) == [(3, 5, "this clone fails with EINVAL when c = 2048 (CLONE_SIGHAND requires CLONE_VM)")]


def test_a_variable_assigned_from_another_is_unconstrained():
    assert warnings_of(
        """
        program main {
            a = CLONE_VM
            b = a | CLONE_SIGHAND
            clone(b | CLONE_THREAD) { exit 0 }
        }
        """
    ) == [(4, 5, "this clone fails with EINVAL when b = 0 (CLONE_THREAD requires CLONE_SIGHAND)")]


def test_flags_the_check_cannot_follow_give_no_warning():
    assert (
        warnings_of(
            """
            program main {
                clone(getpid()) { exit 0 }
            }
            """
        )
        == []
    )


def test_values_that_stop_the_task_before_the_call_do_not_count():
    # f = 0 divides by zero (an assertion violation, not a clone)
    assert (
        warnings_of(
            """
            program main {
                f = any(0..1)
                clone(CLONE_VM / f) { exit 0 }
            }
            """
        )
        == []
    )


def test_a_warning_does_not_stop_the_check():
    text = textwrap.dedent(
        """\
        program main {
            clone(CLONE_VM | CLONE_THREAD) { exit 0 }
            assert errno == EINVAL
        }
        """
    )
    r = check_text(text, "x.proc")
    assert r.exit_code == 0
    assert [w.message for w in r.warnings] == [
        "CLONE_THREAD requires CLONE_SIGHAND: this clone always fails with EINVAL"
    ]


def test_warnings_are_sorted_with_the_static_checker_s():
    sc = load_text(
        textwrap.dedent(
            """\
            program main {
                clone(CLONE_THREAD) { exit 0 }
                clone(CLONE_SIGHAND) { exit 0 }
            }
            """
        )
    )
    assert [(w.pos.line, w.message.split(":")[0]) for w in sc.warnings] == [
        (2, "CLONE_THREAD requires CLONE_SIGHAND"),
        (3, "CLONE_SIGHAND requires CLONE_VM"),
    ]


def test_a_scenario_without_clone_does_not_import_z3():
    import subprocess
    import sys

    code = (
        "import sys; from checker.lang.load import load_text;"
        "load_text('program main { c = fork { exit 0 } }');"
        "print('z3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# hand-built IR: the warning for one clone, without the parser or check.py

AT = Pos(4, 5, 4, 30)
F_LOCAL = ir.Local(0, "f")


def spawn(flags: ir.Expr) -> ir.Spawn:
    return ir.Spawn(AT, "clone(...) { … }", "clone", None, flags, 1, False, 2)


def test_spawn_warning_on_hand_built_ir():
    flags = ir.Binary("|", ir.Const(F["CLONE_VM"] | F["CLONE_THREAD"]), F_LOCAL)
    domain = {(ir.LOCAL, 0): (ir.Const(F["CLONE_SIGHAND"]), ir.Const(0))}
    w = spawn_warning("p.proc", spawn(flags), domain, False)
    assert w is not None
    assert (w.path, w.pos, w.severity) == ("p.proc", AT, "warning")
    assert w.message == (
        "this clone fails with EINVAL when f = 0 (CLONE_THREAD requires CLONE_SIGHAND)"
    )
    # only valid values
    domain = {(ir.LOCAL, 0): (ir.Const(F["CLONE_SIGHAND"]),)}
    assert spawn_warning("p.proc", spawn(flags), domain, False) is None


def test_spawn_warning_ranges_and_unconstrained_slots():
    flags = ir.Binary("*", F_LOCAL, ir.Const(F["CLONE_THREAD"]))
    in_range = {(ir.LOCAL, 0): ((ir.Const(1), ir.Const(1)),)}
    w = spawn_warning("p", spawn(flags), in_range, False)
    assert w is not None and w.message.startswith("CLONE_THREAD requires CLONE_SIGHAND: this")
    w = spawn_warning("p", spawn(flags), {(ir.LOCAL, 0): None}, False)
    assert w is not None
    assert w.message == (
        "this clone fails with EINVAL when f = 1 (CLONE_THREAD requires CLONE_SIGHAND)"
    )
    # a source that reads another variable constrains nothing either
    other = {(ir.LOCAL, 0): (ir.Const(0), ir.Local(1, "g"))}
    assert spawn_warning("p", spawn(flags), other, False) == w


def test_spawn_warning_for_a_caller_that_may_be_init():
    parent = spawn(ir.Const(F["CLONE_PARENT"]))
    assert spawn_warning("p", parent, {}, False) is None
    w = spawn_warning("p", parent, {}, None)
    assert w is not None and w.message.startswith(
        "this clone fails with EINVAL when it is called by init (CLONE_PARENT from init"
    )
    w = spawn_warning("p", parent, {}, True)
    assert w is not None and w.message.endswith("this clone always fails with EINVAL")


# ------------------------------------------------ (d) forkcheck flags


def flags_cli(*args: str) -> tuple[int, list[str], list[str]]:
    r = CliRunner().invoke(app, ["flags", *args])
    return r.exit_code, r.stdout.splitlines(), r.stderr.splitlines()


def test_cli_invalid_thread_without_sighand():
    assert flags_cli("CLONE_VM|CLONE_THREAD") == (
        1,
        [
            "flags word:  0x10100",
            "flags:       CLONE_VM|CLONE_THREAD",
            "exit signal: none (0), ignored: CLONE_THREAD makes it -1",
            "verdict:     invalid (EINVAL)",
            "  F4: CLONE_THREAD requires CLONE_SIGHAND (kernel/fork.c copy_process)",
        ],
        [],
    )


def test_cli_valid_thread():
    assert flags_cli("CLONE_VM|CLONE_SIGHAND|CLONE_THREAD") == (
        0,
        [
            "flags word:  0x10900",
            "flags:       CLONE_VM|CLONE_SIGHAND|CLONE_THREAD",
            "exit signal: none (0), ignored: CLONE_THREAD makes it -1",
            "verdict:     valid",
            "the child:",
            "  CLONE_VM: shares the caller's address space: `var`s are shared",
            "  CLONE_SIGHAND: shares the caller's signal handler table",
            "  CLONE_THREAD: joins the caller's thread group: same tgid, exit signal -1,"
            " not waitable, released at once on exit",
        ],
        [],
    )


def test_cli_hex_is_the_same_word():
    code, out, _ = flags_cli("0x10900")
    assert code == 0
    assert out == flags_cli("CLONE_VM|CLONE_SIGHAND|CLONE_THREAD")[1]


def test_cli_clone_parent_from_init():
    assert flags_cli("CLONE_PARENT", "--init") == (
        1,
        [
            "flags word:  0x8000",
            "flags:       CLONE_PARENT",
            "exit signal: none (0), ignored: CLONE_PARENT takes the caller's group leader's",
            "caller:      init (SIGNAL_UNKILLABLE)",
            "verdict:     invalid (EINVAL)",
            "  F6: CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings"
            " (kernel/fork.c copy_process)",
        ],
        [],
    )


def test_cli_clone_parent_from_anybody_else():
    code, out, _ = flags_cli("CLONE_PARENT|SIGUSR1")
    assert code == 0
    assert out[-3:] == [
        "the child:",
        "  CLONE_PARENT: the caller's parent becomes its parent, and its exit signal is the"
        " caller's group leader's",
        "invalid when called by init: F6: CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may"
        " not create siblings (kernel/fork.c copy_process)",
    ]


def test_cli_sigchld_alone_is_a_fork():
    assert flags_cli("SIGCHLD") == (
        0,
        [
            "flags word:  0x11",
            "flags:       none",
            "exit signal: SIGCHLD (17): the parent is notified and a plain wait sees the child",
            "verdict:     valid",
            "the child:",
            "  shares nothing with its creator: it gets copies, as with fork",
        ],
        [],
    )


def test_cli_zero():
    assert flags_cli("0") == (
        0,
        [
            "flags word:  0x0",
            "flags:       none",
            "exit signal: none (0): the parent is not notified and a plain wait does not see"
            " the child",
            "verdict:     valid",
            "the child:",
            "  shares nothing with its creator: it gets copies, as with fork",
        ],
        [],
    )


def test_cli_every_broken_rule_the_kernel_s_first():
    code, out, _ = flags_cli("CLONE_THREAD|CLONE_NEWUSER|CLONE_FS")
    assert code == 1
    assert out[out.index("verdict:     invalid (EINVAL)") + 1 :] == [
        "  F2: CLONE_NEWUSER cannot be combined with CLONE_FS (kernel/fork.c copy_process)"
        "  <- the error the kernel reports",
        "  F4: CLONE_THREAD requires CLONE_SIGHAND (kernel/fork.c copy_process)",
        "  F7: CLONE_THREAD cannot be combined with CLONE_NEWUSER (kernel/fork.c copy_process)",
    ]


def test_cli_signals_and_dropped_bits():
    _, out, _ = flags_cli("100")
    assert out[2] == (
        "exit signal: not a valid signal (100): nobody is notified, the child is still a clone child"
    )
    _, out, _ = flags_cli("SIGUSR1")
    assert out[2] == (
        "exit signal: SIGUSR1 (10): the parent is notified with SIGUSR1; a plain wait does not"
        " see the child (a clone child: __WCLONE or __WALL does)"
    )
    code, out, _ = flags_cli("CLONE_CLEAR_SIGHAND|CLONE_INTO_CGROUP|CLONE_VFORK|SIGCHLD")
    assert code == 0
    assert out[:3] == [
        "flags word:  0x300004011",
        "flags:       CLONE_VFORK",
        "dropped:     CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP: above 32 bits, the legacy clone"
        " call drops them",
    ]
    assert "  CLONE_VFORK: the caller sleeps (D) until the child execs or exits" in out
    _, out, _ = flags_cli("CLONE_FS|CLONE_FILES|CLONE_SYSVSEM|CLONE_SETTLS")
    assert out[-1] == (
        "  accepted, nothing in the model acts on them: CLONE_FS, CLONE_FILES, CLONE_SYSVSEM,"
        " CLONE_SETTLS"
    )


def test_cli_unknown_name():
    assert flags_cli("CLONE_VM|CLONE_THRED") == (
        2,
        [],
        [
            "<flags>:1:10: error: unknown name `CLONE_THRED` (did you mean `CLONE_THREAD`?)",
            "    CLONE_VM|CLONE_THRED",
            "             ^~~~~~~~~~~",
        ],
    )


@pytest.mark.parametrize(
    ("expr", "message", "caret"),
    [
        ("CLONE_VM |", "1:11: error: the flags expression ends too early", "              ^"),
        ("CLONE_VM $ 3", "1:10: error: unexpected `$`", "             ^"),
        ("(CLONE_VM", "1:1: error: `(` is never closed", "    ^"),
        ("CLONE_VM)", "1:9: error: `)` without a matching `(`", "            ^"),
        (
            "CLONE_VM CLONE_FS",
            "1:10: error: an operator is missing between `CLONE_VM` and `CLONE_FS`"
            " (flags are joined with |)",
            "             ^~~~~~~~",
        ),
        (
            "CLONE_VM == 1",
            "1:1: error: `==` cannot appear in a flags expression: only names of constants,"
            " numbers, ( ), unary - and | & + - * / %",
            "    ^~~~~~~~~~~~~",
        ),
        ("1 / 0", "1:1: error: division by zero", "    ^~~~~"),
    ],
)
def test_cli_syntax_errors(expr, message, caret):
    code, out, err = flags_cli(expr)
    assert (code, out) == (2, [])
    assert err == [f"<flags>:{message}", f"    {expr}", caret]


def test_cli_empty_expression():
    assert flags_cli("") == (2, [], ["<flags>: error: the flags expression is empty"])


def test_flags_expressions_mean_what_they_mean_in_a_scenario():
    assert flags_value("CLONE_VM | CLONE_SIGHAND | SIGCHLD") == 0x911
    assert flags_value("0x10900") == CONSTANTS["CLONE_THREAD"] | 0x900
    assert flags_value("0xffffffffffffffff") == -1
    assert flags_value("7 / -2") == -3  # C truncates toward zero
    assert flags_value("-7 % 2") == -1
    assert flags_value("1 + 2 * 3 | 8") == 15  # | binds looser than + and *
    with pytest.raises(UserError):
        flags_value("0x10000000000000000")
