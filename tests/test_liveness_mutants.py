"""Liveness behaviour that hand mutation testing of checker/props/liveness.py,
checker/replay.py (lassos) and checker/engines/explicit.py (liveness) found
no test for: each test below fails on one of the mutants that survived
tests/test_liveness.py, tests/test_itf_replay.py and tests/test_scenarios.py,
and pins what a user sees (a verdict, a lasso, a message, an exit code).

1. `check`: which zombie's lasso is reported, every failing property gets
   one, the state graph marks where a lasso fails;
2. `replay` of a lasso: a one-step loop, runs on which the property no
   longer fails (P now holds, Q comes back in the loop, a value not set yet),
   weak against strong fairness on a loop a task can leave only sometimes;
3. `replay` of a lasso whose loop is malformed or names another step.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from checker.props.liveness import run_fails
from checker.props.suite import Liveness
from checker.replay import replay_files
from checker.report import itf_text
from checker.results import (
    EXIT_ERROR,
    EXIT_OK,
    HOLDS,
    VIOLATED,
    FileResult,
    PropertyResult,
    counterexamples,
)
from checker.runner import check_file, explore_graph
from tests.cli_helpers import run

ROOT = Path(__file__).resolve().parents[1]
POLL = ROOT / "scenarios" / "79_poll_needs_fairness.proc"
POLL_NONE = ROOT / "scenarios" / "80_poll_without_fairness.proc"


def cli(*args: str | Path) -> tuple[int, str]:
    """The command line's exit code and output (stdout and stderr, and the
    traceback of an exception that escaped)."""
    r = run(*args)
    return r.returncode, r.stdout + r.stderr


def write_proc(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def prop(r: FileResult, name: str) -> PropertyResult:
    (p,) = [p for p in r.properties if p.name == name]
    return p


def lasso_itf(path: Path, name: str) -> dict[str, Any]:
    """The ITF document of property `name`'s counterexample in `path`."""
    r = check_file(path)
    (cx,) = [c for c in counterexamples(r) if c.name == name]
    return json.loads(itf_text(r, cx))


def save(tmp_path: Path, doc: dict[str, Any], name: str = "t.itf.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(doc), encoding="utf-8")
    return f


# ================================================================== 1. check


TWO_ZOMBIES = """\
program main {
    a = fork { exit 0 }
    b = fork {
        skip
        skip
        exit 0
    }
    while true { }
}
check zombies_eventually_reaped
config { fairness = none }
"""


def test_the_zombie_with_the_shortest_lasso_is_the_one_reported(tmp_path):
    # pid 3 is a zombie for good after 2 steps, pid 4 only after 5: the
    # shortest counterexample is pid 3's (mutant: the longest one was kept)
    r = check_file(write_proc(tmp_path, "z.proc", TWO_ZOMBIES))
    p = prop(r, "zombies_eventually_reaped")
    assert p.status == VIOLATED
    assert p.message.startswith(
        "pid 3 (main) stays a zombie forever: its parent, pid 2 (main), never reaps it;"
    ), p.message
    assert p.trace is not None and (len(p.trace.steps), p.trace.loop) == (4, 3)


def test_every_failing_liveness_property_is_reported(tmp_path):
    # (mutant: only the first liveness property that fails was reported, the
    # second then read as holding)
    path = write_proc(
        tmp_path,
        "two.proc",
        """\
        program main {
            var x = 0
            while true { }
        }
        eventually one: main.x == 1
        eventually two: main.x == 2
        eventually zero: main.x == 0
        """,
    )
    r = check_file(path)
    assert [(p.name, p.status) for p in r.properties if p.name in ("one", "two", "zero")] == [
        ("one", VIOLATED),
        ("two", VIOLATED),
        ("zero", HOLDS),
    ]
    for name, value in (("one", 1), ("two", 2)):
        p = prop(r, name)
        assert p.message.startswith(f"`main.x == {value}` never becomes true: the run loops")
        assert p.trace is not None and p.trace.loop == 0


def test_the_state_graph_marks_the_state_where_the_lasso_loops():
    # "red: the states where child_reaped fails": for a lasso, the state it
    # loops back to, not where the waiting began (mutant: the trigger, the
    # initial state for `eventually`)
    drawn = explore_graph(str(POLL), 100, "none")
    assert drawn.source is not None
    marked = re.findall(
        r"^\ts(\d+) \[label=<<B>#\d+</B> <FONT COLOR='#d32f2f'>child_reaped<", drawn.source, re.M
    )
    red = re.findall(r"^\ts(\d+) -> s(\d+) \[[^\]]*color=\"#d32f2f\"", drawn.source, re.M)
    into = [b for _, b in red]
    (state,) = marked
    # entered once on the way, and once more by the step that closes the loop
    assert into.count(state) == 2, (marked, red)
    assert state != "0"


# ================================================================== 2. replaying a lasso

ONE_STEP_LOOP = """\
program main {
    var x = 0
    while true { }
}
eventually e: main.x == 1
"""


def test_a_lasso_whose_loop_is_one_step_replays(tmp_path):
    # `while true { }` steps from a state back to itself: a lasso of one
    # step, loop 0 (mutant: a loop of one step was taken for no loop)
    path = write_proc(tmp_path, "one.proc", ONE_STEP_LOOP)
    p = prop(check_file(path), "e")
    assert p.status == VIOLATED and p.trace is not None
    assert (len(p.trace.steps), p.trace.loop) == (1, 0)
    f = save(tmp_path, lasso_itf(path, "e"))
    done = replay_files(str(path), str(f))
    assert done.ok, done.message
    assert (done.steps, done.total) == (1, 1)
    assert done.message.startswith("replays (1 steps) and e still fails:"), done.message
    code, out = cli("replay", path, f)
    assert code == EXIT_OK, out


# the same program, with a property that its lasso breaks and one that it
# does not: the trace of the first, replayed against the second, no longer
# fails (the property is the same by name)
def replayed_against(tmp_path: Path, program: str, fails: str, holds: str) -> tuple[Any, Any]:
    a = write_proc(tmp_path, "a.proc", program + fails)
    b = write_proc(tmp_path, "b.proc", program + holds)
    doc = lasso_itf(a, "p")
    assert doc.get("loop") is not None
    f = save(tmp_path, doc)
    return replay_files(str(a), str(f)), replay_files(str(b), str(f))


def test_replay_of_an_eventually_lasso_on_which_p_now_holds(tmp_path):
    # x is 1 from step 1 on: `eventually main.x == 1` holds on that run
    # (mutant: the run had to satisfy P in every state)
    program = """\
program main {
    var x = 0
    x = 1
    while true { }
}
"""
    same, other = replayed_against(
        tmp_path, program, "eventually p: main.x == 2\n", "eventually p: main.x == 1\n"
    )
    assert same.ok, same.message
    assert not other.ok
    assert "but p no longer fails on this run (judged under weak fairness)" in other.message


def test_replay_of_a_leadsto_lasso_whose_loop_brings_q_back(tmp_path):
    # the loop sets x = 1 and x = 2 forever: after any x == 2, x == 1 comes
    # round again, even after the last x == 2 printed before the loop
    # closes (mutant: what the loop repeats was not looked at)
    program = """\
program main {
    var x = 0
    while true {
        x = 1
        x = 2
    }
}
"""
    same, other = replayed_against(
        tmp_path,
        program,
        "leadsto p: main.x == 2 ~> main.x == 3\n",
        "leadsto p: main.x == 2 ~> main.x == 1\n",
    )
    assert same.ok, same.message
    assert "from step 3 on it waits forever: steps 4 to 6 repeat" in same.message
    assert not other.ok
    assert "but p no longer fails on this run" in other.message


def test_replay_of_a_lasso_where_the_property_reads_a_value_not_set_yet(tmp_path):
    # main sleeps in wait() while its child loops: main.w never gets a value,
    # "not yet" for `eventually`, so the lasso still fails when replayed
    # (mutant: an unset value made P true)
    path = write_proc(
        tmp_path,
        "unset.proc",
        """\
        program main {
            c = fork {
                while true { }
            }
            w = wait()
        }
        eventually p: main.w.pid == 3
        """,
    )
    p = prop(check_file(path), "p")
    assert p.status == VIOLATED and p.trace is not None and p.trace.loop is not None
    f = save(tmp_path, lasso_itf(path, "p"))
    done = replay_files(str(path), str(f))
    assert done.ok, done.message
    assert "p still fails: from step 0 on it waits forever" in done.message


def test_weak_and_strong_fairness_judge_a_loop_a_task_can_leave_only_sometimes():
    # states 0 <-> 1 by task 1; task 2 can step (out, to 2) in state 0 only.
    # Weak fairness owes task 2 nothing (it is not able to step all along the
    # loop): the lasso is a counterexample; strong fairness owes it a step
    # (able to step again and again): it is not. (mutants: weak judged as
    # strong, strong as weak)
    moves = {0: [(1, 1), (2, 2)], 1: [(1, 0)], 2: []}
    e = Liveness("e", "eventually", lambda s: s == 2, None, "s == 2")
    lasso = [0, 1, 0]
    weak = run_fails(e, "weak", lasso, 0, moves.__getitem__)  # type: ignore[arg-type]
    assert weak == (
        "from step 0 on it waits forever: steps 1 to 2 repeat, a fair loop under weak fairness"
    )
    assert run_fails(e, "strong", lasso, 0, moves.__getitem__) is None  # type: ignore[arg-type]
    assert run_fails(e, "none", lasso, 0, moves.__getitem__) is not None  # type: ignore[arg-type]
    # task 2 able to step in both states: unfair under weak fairness too
    moves[1] = [(1, 0), (2, 2)]
    assert run_fails(e, "weak", lasso, 0, moves.__getitem__) is None  # type: ignore[arg-type]


# ================================================================== 3. malformed lassos


def test_a_loop_step_that_names_another_step_does_not_close_the_loop(tmp_path):
    # the step back must be the one the trace names, not any step that
    # happens to lead to the loop's state (mutant: the action was not compared)
    doc = lasso_itf(POLL_NONE, "child_reaped")
    assert doc["loop"] == 2
    doc["#meta"]["forkcheck"]["loop_step"] = "pid 3 (main): exit 0"
    f = save(tmp_path, doc)
    done = replay_files(str(POLL_NONE), str(f))
    assert not done.ok
    assert done.message == (
        "replays (3 steps), but its loop does not close: "
        "`pid 3 (main): exit 0` does not lead back to state 2"
    )


@pytest.mark.parametrize(
    "change",
    ["loop_past_the_end", "loop_true", "no_loop_step"],
)
def test_a_malformed_loop_is_a_replay_error(tmp_path, change):
    # exit 2 with a message, never a traceback or a verdict (mutants: a loop
    # index one past the last state, a boolean loop, and a loop without its
    # loop_step were let through)
    doc = lasso_itf(POLL_NONE, "child_reaped")
    if change == "loop_past_the_end":
        doc["loop"] = len(doc["states"])
    elif change == "loop_true":
        doc["loop"] = True
    else:
        del doc["#meta"]["forkcheck"]["loop_step"]
    f = save(tmp_path, doc)
    code, out = cli("replay", POLL_NONE, f)
    assert code == EXIT_ERROR, out
    assert "`loop` is not the index of one of its states, or #meta.forkcheck.loop_step" in out
    assert "Traceback" not in out
