"""The explicit explorer: exact state counts worked out by hand, shortest
counterexamples, bounds, determinism, and the built-in properties."""

from __future__ import annotations

from checker.engines.explicit import explore
from checker.kernel.model import Kernel
from checker.kernel.state import SLEEPING, ZOMBIE, State
from checker.props.suite import PropertySuite
from checker.results import EXIT_ERROR, EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK, MET, NOT_MET, VIOLATED
from tests.conftest import check, init, scenario, state, task


def figures(text: str) -> tuple[int, int, int]:
    r = check(text)
    assert not r.errors, r.errors
    return r.states, r.transitions, r.depth


def test_counts_single_exit():
    # s0 {init, main@exit}  -main exits->  s1 {main Z}  -init reaps->  s2 {init}
    assert figures("program main { exit 0 }") == (3, 2, 2)


def test_counts_fork_then_wait():
    # s0 main@fork
    # s1 main@wait, c@exit                    (fork)
    # s2 main S in wait, c@exit               (s1: main waits, c still runs)
    # s3 main R@wait, c Z                     (s1: c exits; or s2: c exits and wakes main)
    # s4 main@exit, c gone                    (s3: wait reaps c)
    # s5 main Z                               (s4: main exits)
    # s6 init alone                           (s5: init reaps main)
    # transitions: s0>s1, s1>s2, s1>s3, s2>s3, s3>s4, s4>s5, s5>s6 = 7; depth of s6 = 5
    text = """
        program main {
            c = fork { exit 1 }
            w = wait()
            exit 0
        }
    """
    assert figures(text) == (7, 7, 5)


def test_counts_c_style_fork():
    # s0 main@fork; s1 main@exit, c@exit
    # s2a main Z (c adopted by init), c R      s2b main R, c Z (child of main)
    # s3a c R alone (init reaped main)         s3b main Z, c Z, both children of init
    #   (s2a -c exits-> s3b; s2b -main exits, hands the zombie c to init-> s3b)
    # s4 c Z alone (s3a: c exits; s3b: init reaps main first, in list order)
    # s5 init alone
    # transitions: 1 + 2 + 2 (s2a) + 1 (s2b) + 1 (s3a) + 1 (s3b) + 1 (s4) = 9
    text = """
        program main {
            x = fork()
            exit 0
        }
    """
    assert figures(text) == (8, 9, 5)


def test_counts_parent_that_never_waits():
    # s0 main@fork; s1 main@while, c@exit; s2a main@skip, c@exit; s2b main@while, c Z;
    # s3 main@skip, c Z. Edges: s0>s1, s1>s2a, s1>s2b, s2a>s1 (skip loops back),
    # s2a>s3, s2b>s3, s3>s2b = 7
    text = """
        program main {
            c = fork { exit 1 }
            while true { skip }
        }
        expect violation zombies_reaped
    """
    r = check(text)
    assert (r.states, r.transitions, r.depth) == (5, 7, 3)
    assert r.exit_code == EXIT_OK
    zr = next(p for p in r.properties if p.name == "zombies_reaped")
    assert zr.status == VIOLATED and zr.trace is not None
    # shortest: fork, then the child exits
    assert [s.instr.text for s in zr.trace.steps] == ["c = fork { … }", "exit 1"]  # type: ignore[union-attr]


def test_exploration_is_deterministic():
    text = """
        program main {
            var total = 0
            a = fork { exit 3 }
            b = fork { exit 4 }
            w1 = wait()
            w2 = wait()
            total = w1.code + w2.code
        }
        invariant few_zombies: count(T in tasks where T.state == ZOMBIE) <= 1
        observe main.total
    """
    from checker.render.text import render_file

    outputs = set()
    for _ in range(3):
        r = check(text)
        r.seconds = 0.0
        outputs.add(render_file(r))
    assert len(outputs) == 1


def test_the_counterexample_is_a_shortest_one():
    # the violation is reachable in 4 steps or in 1; the trace has 1 step
    text = """
        program main {
            choose { skip; skip; skip; assert false, "long way" }
            or { assert false, "short way" }
        }
    """
    r = check(text)
    prop = next(p for p in r.properties if p.name == "assertions")
    assert prop.trace is not None and len(prop.trace.steps) == 1
    assert prop.message == "short way"
    assert r.exit_code == EXIT_FAIL


def test_invariant_counterexample_is_shortest():
    # two zombies at once need: fork a, fork b, a exits, b exits (4 steps)
    text = """
        program main {
            a = fork { exit 0 }
            b = fork { exit 0 }
            w1 = wait()
            w2 = wait()
        }
        invariant one_zombie: count(T in tasks where T.state == ZOMBIE) <= 1
        expect violation one_zombie
    """
    r = check(text)
    prop = next(p for p in r.properties if p.name == "one_zombie")
    assert prop.status == VIOLATED and prop.trace is not None
    assert len(prop.trace.steps) == 4
    final = prop.trace.final_state()
    assert sum(t.state == ZOMBIE for t in final.tasks) == 2
    assert r.exit_code == EXIT_OK


def test_max_states_gives_incomplete():
    text = """
        program main {
            var x = 0
            while true { x = x + 1 }
        }
    """
    r = check(text, max_states=50)
    assert r.states == 50
    assert not r.complete and r.stop == "max_states"
    assert r.exit_code == EXIT_INCOMPLETE


def test_a_violation_found_before_the_bound_still_fails():
    text = """
        program main {
            var x = 0
            assert x == 1, "x starts at 0"
            while true { x = x + 1 }
        }
    """
    r = check(text, max_states=20)
    assert r.exit_code == EXIT_FAIL


def test_max_depth_gives_incomplete():
    r = check("program main { skip\n skip\n skip\n exit 0 }", max_depth=2)
    assert r.depth == 2 and r.stop == "max_depth" and r.exit_code == EXIT_INCOMPLETE


def test_zombies_reaped_holds_when_the_parent_exits_without_waiting():
    # the orphaned zombie is handed to init, which reaps it
    r = check("program main { c = fork { exit 1 }\n exit 0 }")
    assert r.exit_code == EXIT_OK
    assert all(p.status != VIOLATED for p in r.properties)


def test_zombies_reaped_fails_for_a_subreaper_that_never_waits():
    text = """
        program main {
            set_subreaper()
            m = fork {
                g = fork { exit 2 }
                exit 0
            }
            while true { skip }
        }
    """
    r = check(text)
    prop = next(p for p in r.properties if p.name == "zombies_reaped")
    assert prop.status == VIOLATED
    assert "its parent, pid 2 (main)" in prop.message


def test_zombies_reaped_ignores_paths_cut_by_assume():
    # the pruned branch (x == 1) is not an execution: it cannot reap anything,
    # and the one execution left loops forever with the zombie
    text = """
        program main {
            c = fork { exit 0 }
            while true { x = any(0..1); assume x == 0 }
        }
        expect violation zombies_reaped
    """
    assert check(text).exit_code == EXIT_OK


def test_zombies_reaped_is_not_hidden_by_a_failing_assert_elsewhere():
    text = """
        start main, other
        program main {
            c = fork { exit 0 }
            while true { skip }
        }
        program other {
            while true { x = any(0..1); assert x == 0 }
        }
        expect violation zombies_reaped
        expect violation assertions
    """
    assert check(text).exit_code == EXIT_OK


def test_a_state_with_no_execution_through_it_is_not_judged():
    # every path ends at `assume false`: there is no execution to judge, so
    # the child's zombie is not a violation (and not a deadlock)
    text = """
        program main {
            c = fork { exit 0 }
            assume false
        }
    """
    r = check(text)
    assert r.exit_code == EXIT_OK and r.terminal_states == 0


def test_a_path_cut_by_assume_is_not_a_terminal_state():
    text = """
        program main {
            x = any(0..1)
            assume x == 1
            exit 0
        }
        observe main.x
        expect outcomes main.x in {1}
    """
    r = check(text)
    assert r.exit_code == EXIT_OK
    assert [o.values for o in r.outcomes] == [(1,)]


def test_no_deadlock_reports_a_stuck_sleeper():
    # With fork/exit/wait alone every sleeper is eventually woken, so the
    # property is checked on a hand-built terminal state: main sleeps in wait
    # and nothing else can run.
    sc = scenario("program main { c = fork { exit 0 }\n w = wait() }")
    suite = PropertySuite.build(sc)
    check_deadlock = dict(suite.terminal_checks)["no_deadlock"]
    stuck = state(
        init((2,)),
        task(2, state=SLEEPING, pc=3, children=(3,)),
        task(3, ppid=2, state=SLEEPING, pc=3),
    )
    message = check_deadlock(stuck)
    assert message is not None and "pid 2 (main) sleeps in `w = wait()`" in message
    idle = state(init(()))
    assert check_deadlock(idle) is None


def test_outcomes_are_counted_per_terminal_state():
    text = """
        program main {
            a = fork { exit 3 }
            b = fork { exit 4 }
            w = wait()
            first = w.code
            w = wait()
        }
        observe main.first
        expect outcomes main.first in {3, 4}
    """
    r = check(text)
    assert r.exit_code == EXIT_OK
    assert {o.values: o.count for o in r.outcomes} == {(3,): 1, (4,): 1}


def test_an_unexpected_outcome_fails_with_a_trace():
    text = """
        program main {
            a = fork { exit 3 }
            b = fork { exit 4 }
            w = wait()
            first = w.code
            w = wait()
        }
        expect outcomes main.first in {3}
    """
    r = check(text)
    assert r.exit_code == EXIT_FAIL
    exp = next(e for e in r.expectations if e.text.startswith("expect outcomes"))
    assert exp.status == NOT_MET and "outcome 4 is reachable but not expected" in exp.detail
    assert exp.trace is not None


def test_sometimes_without_terminal_states_says_so():
    text = """
        program main {
            var x = 0
            while true { skip }
        }
        expect sometimes main.x == 1
        expect never main.x == 2
    """
    r = check(text)
    by_text = {e.text: e for e in r.expectations}
    assert by_text["expect sometimes main.x == 1"].status == NOT_MET
    assert by_text["expect sometimes main.x == 1"].detail == "no terminal state is reachable"
    assert by_text["expect never main.x == 2"].status == MET
    assert any("vacuously" in w.message for w in r.warnings)


def test_a_property_reading_an_unset_local_is_reported():
    text = """
        program main {
            skip
            y = 1
        }
        invariant positive: main.y > 0
    """
    r = check(text)
    assert r.exit_code == EXIT_ERROR
    assert "positive cannot be evaluated" in r.errors[0].message
    assert "`main.y` has no value" in r.errors[0].message


def test_prog_x_keeps_the_last_values_after_the_task_is_reaped():
    text = """
        program main {
            var x = 0
            x = 41
            x = x + 1
        }
        observe main.x
        expect outcomes main.x in {42}
    """
    assert check(text).exit_code == EXIT_OK


def test_the_engine_api_gives_the_hand_computed_counts():
    sc = scenario("program main { c = fork { exit 1 }\n w = wait()\n exit 0 }")
    ex = explore(Kernel(sc), PropertySuite.build(sc))
    assert (len(ex.states), ex.transitions, ex.max_depth) == (7, 7, 5)
    assert ex.complete and len(ex.terminals) == 1
    assert isinstance(ex.states[ex.terminals[0]], State)


def test_a_property_error_comes_with_the_path_to_its_state():
    text = """
        program main {
            c = fork { exit 0 }
            w = wait()
            y = w.code
        }
        final code_seen: main.y == 0
        invariant early: main.w.pid != 3
    """
    r = check(text)
    assert r.exit_code == EXIT_ERROR
    assert r.errors[0].message.startswith("early cannot be evaluated: `main.w` has no value")
    assert r.error_trace is not None and r.error_trace.steps == []


def test_a_terminal_state_at_the_depth_bound_is_judged():
    # found by review: the only terminal state is at depth 3 exactly
    text = """
        program main {
            x = 1
            exit 0
        }
        observe main.x
        final x_is_2: main.x == 2
        expect outcomes main.x in {1}
        expect violation x_is_2
    """
    r = check(text, max_depth=3)
    assert r.complete and r.terminal_states == 1
    assert r.exit_code == EXIT_OK


def test_a_reap_before_a_failing_assert_counts():
    # The failing path is a real execution up to the failure: from the state
    # before `choose`, the first branch reaps the zombie, so that state is
    # fine. The second branch, which loops without waiting, is a violation.
    text = """
        program main {
            c = fork { exit 0 }
            choose {
                w = wait()
                assert false, "later failure"
            } or {
                while true { skip }
            }
        }
        expect violation assertions
        expect violation zombies_reaped
    """
    r = check(text)
    assert r.exit_code == EXIT_OK
    zr = next(p for p in r.properties if p.name == "zombies_reaped")
    assert zr.trace is not None
    texts = [s.instr.text if s.instr else "" for s in zr.trace.steps]
    assert "while true" in texts  # the trace goes into the looping branch


def test_a_state_doomed_to_fail_an_assert_is_left_to_assertions():
    r = check('program main { c = fork { exit 0 }\n assert false, "boom" }')
    assert [p.name for p in r.properties if p.status == VIOLATED] == ["assertions"]


SUBREAPER = """
    program main {
        set_subreaper()
        m = fork {
            g = fork { exit 2 }
            exit 0
        }
        w = wait()
        w = wait()
    }
"""


def test_orphans_reparented_holds_for_the_model():
    assert check(SUBREAPER).exit_code == EXIT_OK


def test_orphans_reparented_catches_a_wrong_reaper(monkeypatch):
    # a test-only mutation of kernel/exit.c find_new_reaper: orphans always
    # go to init, ignoring the subreaper
    import checker.kernel.exit as kernel_exit

    monkeypatch.setattr(kernel_exit, "find_new_reaper", lambda tx, father: 1)
    r = check(SUBREAPER)
    prop = next(p for p in r.properties if p.name == "orphans_reparented")
    assert prop.status == VIOLATED
    assert prop.message == "pid 3 exited and its child 4 went to pid 1, not to pid 2"
    assert prop.trace is not None
    assert prop.trace.steps[-1].instr.text == "exit 0"  # type: ignore[union-attr]


def test_an_any_range_too_large_to_enumerate_stops_the_search():
    r = check("program main { x = any(0..100000000)\n assert x != 77777 }")
    assert r.exit_code == EXIT_INCOMPLETE
    assert r.stop is not None and "100,000,001 values" in r.stop
