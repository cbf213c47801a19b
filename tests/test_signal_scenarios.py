"""The signal scenarios of the library (scenarios/38 to 55) pinned down
exactly: for each bug scenario, which properties are violated and the
length of each shortest counterexample (the explicit engine explores
breadth-first, so the first trace found is a shortest one); for each
scenario that ends, the exact set of outcomes. A change in the signal model
that lengthens or shortens a trace, or adds or loses an outcome, shows here
with the scenario that teaches the rule."""

from __future__ import annotations

import pytest

from tests.scenario_results import SCENARIOS, assert_violations, outcomes, result, violations

# the Linux x86-64 values the outcomes print (signal(7), errno(3))
SIGUSR1, SIGTERM, SIGSTOP = 10, 15, 19
ECHILD = 10


# ---------------------------------------------------------------- bug scenarios

VIOLATIONS = {
    # zombies_reaped, 6: sigprocmask, signal, fork a, fork b, a exits
    # (SIGCHLD pending, blocked), b exits (SIGCHLD lost: legacy_queue). In
    # that state pid 4 is already doomed: the one handler run reaps pid 3.
    # no_deadlock, 16: sigprocmask, signal, fork, fork, `while` test,
    # sigsuspend sleeps, a exits (wakes main), b exits (lost), main takes
    # SIGCHLD (handler entered, sigsuspend -> EINTR), runs = 1, waitpid
    # reaps 3, `if` test, reaped = 1, return, `while` test, sigsuspend
    # sleeps for good.
    "38_sigchld_reap_one_per_signal.proc": {"zombies_reaped": 6, "no_deadlock": 16},
    # zombies_reaped, 2: fork, the child exits while SIGCHLD is SIG_DFL (the
    # signal is dropped at generation); nothing can wake main any more.
    # no_deadlock, 6: fork, exit, signal, sigprocmask, `while` test,
    # sigsuspend sleeps.
    "40_sigchld_handler_too_late.proc": {"zombies_reaped": 2, "no_deadlock": 6},
    # 8: fork a (pid 3), a exits, wait reaps it, fork b (pid 3 again:
    # pid_max 4), kill(a, SIGTERM) marks b's group for exit, b dies,
    # waitpid(b) reaps it signaled, the assert fails.
    "42_kill_stale_pid.proc": {"assertions": 8},
    # 2: signal(SIGALRM, on_alarm), pause() sleeps; nobody sends SIGALRM.
    "46_pause_nobody_sends.proc": {"no_deadlock": 2},
    # 9: signal, fork, `while done == 0` -> true, the child exits (SIGCHLD
    # pending), main takes it (handler entered), wait reaps the child,
    # done = 1, return, pause() sleeps for good. No zombie is left.
    "47_check_then_pause_race.proc": {"no_deadlock": 9},
    # 8: sigaction (no SA_RESTART), fork, wait sleeps, the child's kill
    # wakes main, wait is interrupted (handler entered, -1 EINTR), got = 1,
    # return, the assert fails.
    "48_wait_eintr_no_restart.proc": {"assertions": 8},
    # zombies_reaped, 2: fork, the child exits (its SIGCHLD, at SIG_DFL, is
    # dropped); main will pause for good. no_deadlock, 3: fork, pause()
    # sleeps, the child exits without waking it.
    "55_pause_not_ended_by_child_exit.proc": {"zombies_reaped": 2, "no_deadlock": 3},
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_bug_scenario_shortest_counterexamples(name: str):
    assert_violations(name, VIOLATIONS[name])


# ---------------------------------------------------------------- outcomes

OUTCOMES = {
    # (reaped, runs): the deadlock leaves one reaped after one run
    "38_sigchld_reap_one_per_signal.proc": {(1, 1), (2, 2)},
    # (reaped, runs): one run that reaps both, or one run per child
    "39_sigchld_reap_loop.proc": {(2, 1), (2, 2)},
    # done: 0 on the deadlock path, 1 when the handler ran
    "40_sigchld_handler_too_late.proc": {(0,), (1,)},
    # w.code
    "41_sigchld_blocked_before_fork.proc": {(5,)},
    # (r, wb.exited) on the paths where the logger had exited already
    "42_kill_stale_pid.proc": {(0, True)},
    # (w.pid, errno, w2.pid, errno)
    "43_sigchld_ignored_no_zombies.proc": {(-1, ECHILD, -1, ECHILD)},
    # (w1.stopped, w1.signal, again.pid, w2.continued, w3.signaled, w3.signal)
    "44_stop_continue_wait.proc": {(True, SIGSTOP, 0, True, True, SIGTERM)},
    # (graceful, w.exited, w.code, w.signaled, w.signal)
    "45_sigterm_handler_or_default.proc": {
        (0, False, 0, True, SIGTERM),
        (1, True, 3, False, 0),
    },
    # no terminal state but the deadlock, and nothing observed
    "46_pause_nobody_sends.proc": set(),
    # done: 1 both at the normal end and in the deadlock
    "47_check_then_pause_race.proc": {(1,)},
    # (w.code, got)
    "48_wait_eintr_no_restart.proc": {(4, 1)},
    "49_wait_sa_restart.proc": {(4, 1)},
    # (runs, w.pid, errno)
    "50_sa_nocldwait_handler.proc": {(1, -1, ECHILD)},
    # (w.exited, w.signaled, w.signal)
    "51_sa_resethand.proc": {(False, True, SIGUSR1)},
    # (r, hits, wa.signal, wb.signal, other.done)
    "52_kill_process_group.proc": {(0, 1, SIGUSR1, SIGUSR1, 1)},
    # (r1, r2, r3)
    "53_init_ignores_kill.proc": {(0, 0, 0)},
    # (w1.stopped, w1.signal, w2.pid, w3.signaled, w3.signal)
    "54_sigterm_to_stopped.proc": {(True, SIGSTOP, 0, True, SIGTERM)},
    # nothing observed
    "55_pause_not_ended_by_child_exit.proc": set(),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_signal_scenario_outcomes(name: str):
    assert outcomes(result(name)) == OUTCOMES[name]


@pytest.mark.parametrize("name", sorted(set(OUTCOMES) - set(VIOLATIONS)))
def test_passing_signal_scenarios_hold_every_property(name: str):
    assert violations(result(name)) == {}


def test_every_signal_scenario_is_pinned():
    names = {p.name for p in SCENARIOS.glob("*.proc") if 38 <= int(p.name[:2]) <= 55}
    assert names == set(OUTCOMES)
    assert set(VIOLATIONS) <= names
