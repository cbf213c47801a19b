"""The vfork, clone, thread and exec scenarios of the library (scenarios/56
to 78) pinned down exactly: for each bug scenario, which properties are
violated and the length of each shortest counterexample (the explicit
engine explores breadth-first, so the first trace found is a shortest one);
for each scenario that ends, the exact set of outcomes. A change in the
model of vfork, clone, exit_group, de_thread or join that lengthens or
shortens a trace, or adds or loses an outcome, shows here with the scenario
that teaches the rule."""

from __future__ import annotations

import pytest

from checker.results import HOLDS
from tests.scenario_results import SCENARIOS, assert_violations, outcomes, result, violations

FIRST, LAST = 56, 78

# the Linux x86-64 values the outcomes print (signal(7), errno(3))
SIGQUIT, SIGUSR1, SIGTERM = 3, 10, 15
ESRCH, ECHILD, EINVAL, EDEADLK = 3, 10, 22, 35


# ---------------------------------------------------------------- bug scenarios

VIOLATIONS = {
    # 3: vfork (main sleeps in D), x = 1 in the child, exec worker (main
    # released: R, while worker runs).
    "57_vfork_exec_releases_parent.proc": {"vfork_waits_for_the_end": 3},
    # 11: vfork (main in D), the child's `if v == 0` -> true, exec fails
    # (ENOENT, injected), runs = 1, assert holds, wait() -> ECHILD, the
    # child falls off main: exit 0 (releases main), vfork returns the pid in
    # main, `if` -> false, runs = 2, the assert fails.
    "58_vfork_exec_fails_falls_through.proc": {"assertions": 11},
    # 9: thread created, main loads 0, the thread loads 0, main stores 1,
    # the thread stores 1, the thread falls off its block (exit_thread,
    # released at once), join returns 0, main exits, init reaps it: the
    # terminal state has n == 1.
    "60_threads_lost_update.proc": {"both_increments_counted": 9},
    # 5: sigprocmask, signal, fork (pid 3), thread (tid 4), the leader's
    # exit_thread 3: a zombie whose thread still runs (delay_group_leader).
    "62_group_leader_zombie_delayed.proc": {"zombie_means_process_gone": 5},
    # 3: thread 3 created, it forks k (pid 4), it ends: k is re-parented to
    # thread 2 while it runs.
    "63_orphan_adopted_by_sibling_thread.proc": {"forker_outlives_kid": 3},
    # 6: set_subreaper, fork p, vfork (p in D), the child's kill(SIGTERM)
    # (fatal: SIGKILL queued, p woken), vfork returns in p, p takes SIGTERM
    # and dies (the child, still running, goes to main).
    "67_vfork_parent_killed_by_sigterm.proc": {"vfork_parent_outlives_child": 6},
    # 6: fork p, clone(SIGUSR1) the child, the child exits (SIGUSR1 to p:
    # fatal), p takes it and dies, main reaps p (signaled), the assert
    # fails.
    "75_clone_exit_signal_kills_parent.proc": {"assertions": 6},
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_bug_scenario_shortest_counterexamples(name: str):
    assert_violations(name, VIOLATIONS[name])


# ---------------------------------------------------------------- outcomes

OUTCOMES = {
    # (seen, w.pid == v, w.code)
    "56_vfork_shared_memory.proc": {(42, True, 3)},
    # (seen, p.pid, code, worker.x): worker still running at the WNOHANG
    # look, or already dead and reaped by it
    "57_vfork_exec_releases_parent.proc": {(1, 0, 4, 9), (1, 3, 4, 9)},
    # (runs, w.code): only the path where exec worked ends
    "58_vfork_exec_fails_falls_through.proc": {(1, 4)},
    # (runs, w.code): exec worked, or failed and the child did exit 127
    "59_vfork_exec_fails_exit.proc": {(1, 4), (1, 127)},
    # n: an increment lost, or not
    "60_threads_lost_update.proc": {(1,), (2,)},
    # (pid_before, tid_before, fresh pid, tid, ppid, w.pid, w.code,
    # again.pid, errno)
    "61_exec_from_thread_takes_pid.proc": {(3, 4, 3, 3, 2, 3, 5, -1, ECHILD)},
    # (p.pid, w.pid, w.code): WNOHANG finds the delayed zombie unreapable,
    # the status is the last thread's
    "62_group_leader_zombie_delayed.proc": {(0, 3, 7)},
    # (w.pid, w.code): 10 * getppid() before + getppid() after
    "63_orphan_adopted_by_sibling_thread.proc": {(4, 22)},
    # (w1.pid, w1.code, w2.pid, w2.code, w3.pid, errno): b exits with the
    # ECHILD of its own wait, c with its getppid()
    "64_clone_parent_sibling.proc": {
        (3, ECHILD, 4, 2, -1, ECHILD),
        (4, 2, 3, ECHILD, -1, ECHILD),
    },
    # (w.pid, errno, n.pid, errno, a.pid == c, a.code)
    "65_clone_no_exit_signal.proc": {(-1, ECHILD, -1, ECHILD, True, 4)},
    # (r, errno, r2, errno, w.pid, errno)
    "66_clone_invalid_flags.proc": {(-1, EINVAL, -1, EINVAL, -1, ECHILD)},
    # (wp.signaled, wp.signal, wk.pid, wk.code)
    "67_vfork_parent_killed_by_sigterm.proc": {(True, SIGTERM, 4, 5)},
    # (seen, v == w.pid, w.code): the handler ran after the child's x = 2
    "68_vfork_parent_caught_signal_waits.proc": {(2, True, 5)},
    # (wp.signaled, wp.signal, wk.pid, wk.code)
    "69_vfork_parent_sigquit_waits.proc": {(True, SIGQUIT, 4, 5)},
    # (w.pid, w.exited, w.code)
    "70_exit_group_from_thread.proc": {(3, True, 9)},
    # (r1, handled, r2, errno, r3, errno, r4, errno)
    "71_join_twice_esrch.proc": {(0, 1, -1, ESRCH, -1, EDEADLK, -1, ESRCH)},
    # (w.exited, w.signaled, w.signal, fresh.reached)
    "72_exec_resets_handler.proc": {(False, True, SIGUSR1, 0)},
    # (mode, w.pid, w.code, errno): SIG_IGN kept, SA_NOCLDWAIT dropped
    "73_exec_keeps_sig_ign.proc": {(1, -1, 0, ECHILD), (2, 3, 3, 0)},
    # (w.pid, errno, a.pid, a.code, got)
    "74_clone_parent_execs_sigchld.proc": {(-1, ECHILD, 3, 4, 1)},
    # every path ends at the failed assert: no terminal state
    "75_clone_exit_signal_kills_parent.proc": set(),
    # (own.pid, errno, w.pid, w.code)
    "76_thread_reaps_sibling_child.proc": {(-1, ECHILD, 4, 5)},
    # (a.code + b.code, c.pid, errno, me)
    "77_exec_from_thread_keeps_children.proc": {(3, -1, ECHILD, 2)},
    # (y.pid, tw): main or the thread reaps the child, the other gets ECHILD
    "78_threads_race_for_a_child.proc": {(3, -1), (-1, 3)},
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_clone_scenario_outcomes(name: str):
    assert outcomes(result(name)) == OUTCOMES[name]


@pytest.mark.parametrize("name", sorted(set(OUTCOMES) - set(VIOLATIONS)))
def test_passing_clone_scenarios_hold_every_property(name: str):
    assert violations(result(name)) == {}


def test_vfork_parent_blocked_holds_in_every_vfork_scenario():
    # the built-in is checked (no `check` line) and never violated: a fatal
    # signal (67) may end the wait, nothing else may
    for name in OUTCOMES:
        if "vfork" in name:
            (prop,) = [p for p in result(name).properties if p.name == "vfork_parent_blocked"]
            assert prop.status == HOLDS, name


def test_every_clone_scenario_is_pinned():
    names = {p.name for p in SCENARIOS.glob("*.proc") if FIRST <= int(p.name[:2]) <= LAST}
    assert names == set(OUTCOMES)
    assert set(VIOLATIONS) <= names
