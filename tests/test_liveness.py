"""Liveness: `eventually`, `leadsto` and zombies_eventually_reaped under
fairness (issue 12; LANGUAGE.md, docs/language.md "Liveness and fairness").

1. the search of checker/props/liveness.py on hand-computed tiny graphs
   (weak, strong and no fairness; fair exits; terminal ends; the strong
   refinement; the lasso it returns), and on derandomized small graphs
   against a brute-force oracle that enumerates every set of states;
2. each liveness scenario (79-85): verdict, property, message, steps, loop,
   and `--fairness` / `config { fairness }` on the command line;
3. every lasso printed is a real run of the kernel that returns to its loop
   state, `run_fails` judges it a violation, and its ITF replays (and does
   not under a fairness that forbids it);
4. text, JSON and timeline output of a lasso;
5. leadsto and eventually on small scenarios, and properties that cannot be
   evaluated;
6. bounds: a liveness property is never `holds` when the search stopped.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import textwrap
from collections import deque
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from checker.kernel.model import Kernel, Pruned
from checker.kernel.state import DISK_SLEEP, RUNNING, ZOMBIE, State, get
from checker.lang.ast import NOWHERE
from checker.props.liveness import (
    Graph,
    _fair_components,
    _search,
    check_liveness,
    run_fails,
)
from checker.props.suite import Liveness, PropertySuite
from checker.render.text import render_trace, step_line
from checker.replay import replay_files
from checker.report import itf_text, timeline_source
from checker.results import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_INCOMPLETE,
    EXIT_OK,
    HOLDS,
    UNKNOWN,
    VIOLATED,
    Counterexample,
    FileResult,
    PropertyResult,
    Trace,
    counterexamples,
)
from checker.runner import Options, check_file, check_text
from tests.cli_helpers import run

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
POLL = SCENARIOS / "79_poll_needs_fairness.proc"
POLL_NONE = SCENARIOS / "80_poll_without_fairness.proc"
PING_PONG = SCENARIOS / "81_ping_pong_counts_in_the_wrong_copy.proc"
DAEMON = SCENARIOS / "82_daemon_notices_sigterm.proc"
VFORK_BACK = SCENARIOS / "83_vfork_parent_runs_again.proc"
VFORK_STUCK = SCENARIOS / "84_vfork_child_never_execs.proc"
REAPING = SCENARIOS / "85_reaping_possible_not_done.proc"
LIVENESS_SCENARIOS = (POLL, POLL_NONE, PING_PONG, DAEMON, VFORK_BACK, VFORK_STUCK, REAPING)

FAIRNESS = ("none", "weak", "strong")


@cache
def checked(path: Path, fairness: str | None = None) -> FileResult:
    return check_file(path, Options(fairness=fairness))


def check(text: str, **options: object) -> FileResult:
    return check_text(textwrap.dedent(text), "test.proc", Options(**options))  # type: ignore[arg-type]


def prop_result(r: FileResult, name: str) -> PropertyResult:
    (p,) = [p for p in r.properties if p.name == name]
    return p


def lassos(r: FileResult) -> list[Counterexample]:
    """The counterexamples of the result's liveness properties."""
    assert r.scenario is not None
    names = {p.name for p in PropertySuite.build(r.scenario).liveness}
    return [c for c in counterexamples(r) if c.name in names]


# ================================================================== 1. tiny graphs


def graph(
    n: int,
    edges: list[tuple[int, int, int]],
    enabled: dict[int, set[int]] | None = None,
    unexpanded: set[int] = frozenset(),  # type: ignore[assignment]
) -> Graph:
    """States 0..n-1 (the states are their own numbers); `edges` are
    (source, task, target); a task is able to step where it has an edge, and
    also where `enabled` says (a step that fails, as a failing assert: no
    edge); a state with no step at all is terminal, as the explorer says."""
    out: dict[int, list[tuple[int, int]]] = {i: [] for i in range(n)}
    for a, pid, b in edges:
        out[a].append((pid, b))
    starts: list[int] = []
    targets: list[int] = []
    pids: list[int] = []
    for i in range(n):
        starts.append(len(targets))
        if i in unexpanded:
            continue
        for pid, b in out[i]:
            targets.append(b)
            pids.append(pid)
    starts.append(len(targets))
    extra = enabled or {}
    en = [
        frozenset()
        if i in unexpanded
        else frozenset(p for p, _ in out[i]) | frozenset(extra.get(i, ()))
        for i in range(n)
    ]
    expanded = [i not in unexpanded for i in range(n)]
    terminal = [expanded[i] and not en[i] for i in range(n)]
    # breadth-first parents, as the explorer keeps them
    parent = {0: -1}
    queue = deque([0])
    while queue:
        i = queue.popleft()
        for k in range(starts[i], starts[i + 1]):
            j = targets[k]
            if j not in parent:
                parent[j] = i
                queue.append(j)

    def path(i: int) -> list[int]:
        p = [i]
        while parent[p[-1]] >= 0:
            p.append(parent[p[-1]])
        return p[::-1]

    states: list[Any] = list(range(n))  # stand-ins: only the predicates read them
    return Graph(states, starts, targets, pids, en, terminal, expanded, path)


def pids_between(g: Graph, a: int, b: int) -> set[int]:
    return {g.pids[e] for e in g.edges(a) if g.targets[e] == b}


def assert_lasso(
    g: Graph,
    found: tuple[list[int], int | None],
    waiting: list[bool],
    triggers: list[int],
    fairness: str,
) -> None:
    """What every answer of `_search` must be: a path from the initial
    state along edges, waiting from a trigger on, that ends in a terminal
    state or returns to path[loop] by a cycle that is fair by itself."""
    path, loop = found
    assert path[0] == 0
    for a, b in itertools.pairwise(path):
        assert pids_between(g, a, b), (path, a, b)
    assert any(i in triggers and all(waiting[j] for j in path[k:]) for k, i in enumerate(path)), (
        path
    )
    if loop is None:
        assert g.terminal[path[-1]] and g.expanded[path[-1]]
        return
    assert 0 <= loop < len(path) - 1
    assert path[-1] == path[loop]
    cycle = path[loop:]
    assert all(g.expanded[i] for i in cycle)
    taken = set().union(*(pids_between(g, a, b) for a, b in itertools.pairwise(cycle)))
    seen = [g.enabled[i] for i in cycle[:-1]]
    if fairness == "weak":
        assert frozenset.intersection(*seen) <= taken, (path, loop)
    elif fairness == "strong":
        assert frozenset().union(*seen) <= taken, (path, loop)


def search(
    g: Graph, waiting: list[bool], fairness: str, triggers: list[int] | None = None
) -> tuple[list[int], int | None] | None:
    triggers = [0] if triggers is None else triggers
    run = _search(g, triggers, waiting, fairness)
    if run is None:
        return None
    found = (run.path, run.loop)
    assert_lasso(g, found, waiting, triggers, fairness)
    return found


def suite(*props: Liveness, fairness: str = "weak") -> SimpleNamespace:
    """What check_liveness reads of a PropertySuite (no zombies: no scenario;
    no task left at a run's end: the hand graphs' states are not states)."""
    return SimpleNamespace(
        liveness=list(props), fairness=fairness, scenario=None, deadlock=lambda s: None
    )


def eventually(good: set[int], text: str = "p") -> Liveness:
    return Liveness("e", "eventually", lambda s: s in good, None, text)


def leadsto(p: set[int], q: set[int]) -> Liveness:
    return Liveness("l", "leadsto", lambda s: s in p, lambda s: s in q, "p ~> q")


# 0 <-> 1 by task 1; task 2 can leave to 2 (where P holds) from both
STARVED_EVERYWHERE = [(0, 1, 1), (1, 1, 0), (0, 2, 2), (1, 2, 2)]
# the same, but task 2 can leave from 0 only: it is able to step in one
# state of the cycle, not in every one
STARVED_SOMETIMES = [(0, 1, 1), (1, 1, 0), (0, 2, 2)]


@pytest.mark.parametrize(
    ("fairness", "expected"), [("none", ([0, 1, 0], 0)), ("weak", None), ("strong", None)]
)
def test_a_task_able_to_step_everywhere_that_never_steps(fairness, expected):
    # under weak fairness task 2 stays able to step, so it must step: the
    # cycle is not fair (nor under strong); with no fairness it is a run
    g = graph(3, STARVED_EVERYWHERE)
    assert search(g, [True, True, False], fairness) == expected


@pytest.mark.parametrize(
    ("fairness", "expected"),
    [("none", ([0, 1, 0], 0)), ("weak", ([0, 1, 0], 0)), ("strong", None)],
)
def test_a_task_able_to_step_only_sometimes(fairness, expected):
    # task 2 is not able to step in state 1: weak fairness owes it nothing;
    # strong fairness owes it a step (able to step infinitely often)
    g = graph(3, STARVED_SOMETIMES)
    assert search(g, [True, True, False], fairness) == expected


@pytest.mark.parametrize("fairness", FAIRNESS)
def test_a_cycle_without_exit_fails_under_every_fairness(fairness):
    g = graph(2, [(0, 1, 1), (1, 1, 0)])
    assert search(g, [True, True], fairness) == ([0, 1, 0], 0)
    found = check_liveness(suite(eventually(set()), fairness=fairness), g)  # type: ignore[arg-type]
    assert [(f.name, f.run.path, f.run.loop) for f in found] == [("e", [0, 1, 0], 0)]
    how = "the run loops forever"
    if fairness != "none":
        how += f", and the loop is fair ({fairness} fairness)"
    assert found[0].message == f"`p` never becomes true: {how}"


@pytest.mark.parametrize("fairness", FAIRNESS)
def test_an_exit_by_the_looping_task_itself_is_not_forced(fairness):
    # fairness is about tasks, not about which of its steps a task takes:
    # task 1 may leave from state 1, and a run that never does is fair (85)
    g = graph(3, [(0, 1, 1), (1, 1, 0), (1, 1, 2)])
    assert search(g, [True, True, False], fairness) == ([0, 1, 0], 0)


@pytest.mark.parametrize("fairness", ("weak", "strong"))
def test_a_fair_exit_makes_the_property_hold(fairness):
    g = graph(3, STARVED_EVERYWHERE)
    assert check_liveness(suite(eventually({2}), fairness=fairness), g) == []  # type: ignore[arg-type]
    # the same graph with P never true: the end state 2 is a run that ends
    found = check_liveness(suite(eventually(set()), fairness=fairness), g)  # type: ignore[arg-type]
    assert [(f.run.path, f.run.loop) for f in found] == [([0, 2], None)]
    assert found[0].message == "`p` never becomes true: the run ends"


@pytest.mark.parametrize("fairness", FAIRNESS)
def test_a_terminal_state_in_the_region_is_a_run_that_ends(fairness):
    g = graph(3, [(0, 1, 1), (1, 1, 2)])
    assert search(g, [True, True, True], fairness) == ([0, 1, 2], None)
    # P true at the end: no violation
    assert search(g, [True, True, False], fairness) is None
    # P true at the start: nothing to wait for
    assert check_liveness(suite(eventually({0}), fairness=fairness), g) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("fairness", FAIRNESS)
def test_states_that_are_no_known_run_are_not_judged(fairness):
    # state 1 was not expanded (a bound): nothing is known beyond it
    g = graph(2, [(0, 1, 1)], unexpanded={1})
    assert search(g, [True, True], fairness) is None
    # state 1's only step fails (a failing assert): not a terminal state,
    # the path is left to `assertions`
    g = graph(2, [(0, 1, 1)], enabled={1: {1}})
    assert not g.terminal[1]
    assert search(g, [True, True], fairness) is None
    # an unexpanded state on a cycle: the cycle is not known either
    g = graph(2, [(0, 1, 1), (1, 1, 0)], unexpanded={1})
    assert search(g, [True, True], fairness) is None


def test_the_nearest_way_out_is_chosen():
    # 0 -> 1 (terminal), 0 -> 2 <-> 3: the end is nearer than the cycle
    g = graph(4, [(0, 1, 1), (0, 1, 2), (2, 1, 3), (3, 1, 2)])
    assert search(g, [True] * 4, "weak") == ([0, 1], None)
    # with P true in 1 the cycle is the only way
    assert search(g, [True, False, True, True], "weak") == ([0, 2, 3, 2], 1)


# the strong refinement: {0, 1, 2} is one component; task 2 is able to step
# in state 2 only, and only out of it; cut state 2 away, {0, 1} is fair
REFINE = [(0, 1, 1), (1, 1, 0), (1, 1, 2), (2, 1, 1), (2, 2, 3)]


def test_strong_fairness_cuts_an_unfair_component_down_to_a_fair_cycle():
    g = graph(4, REFINE)
    waiting = [True, True, True, False]
    assert _fair_components(g, [0, 1, 2], "strong") == [{0, 1}]
    assert _fair_components(g, [0, 1, 2], "weak") == [{0, 1, 2}]
    assert _fair_components(g, [0, 1, 2], "none") == [{0, 1, 2}]
    assert search(g, waiting, "strong") == ([0, 1, 0], 0)
    # task 2 also able to step in state 1: nothing cyclic is left
    g = graph(4, [*REFINE, (1, 2, 3)])
    assert _fair_components(g, [0, 1, 2], "strong") == []
    assert search(g, waiting, "strong") is None
    assert search(g, waiting, "weak") == ([0, 1, 0], 0)


def test_strong_fairness_refines_twice():
    # round 1: task 2 (able to step in 3, only out of the component) cuts
    # state 3; then task 3 steps only on 2 -> 3, gone with it, so state 2
    # is cut too; {0, 1} is left
    edges = [(0, 1, 1), (1, 1, 0), (1, 1, 2), (2, 1, 1), (2, 3, 3), (3, 3, 0), (3, 2, 4)]
    g = graph(5, edges)
    assert _fair_components(g, [0, 1, 2, 3], "strong") == [{0, 1}]
    assert _fair_components(g, [0, 1, 2, 3], "weak") == [{0, 1, 2, 3}]
    assert search(g, [True, True, True, True, False], "strong") == ([0, 1, 0], 0)


def test_a_weakly_fair_lasso_goes_where_the_starved_task_is_disabled():
    # task 2 is able to step in 0 and 1 (out of the region) and never steps
    # in it; the loop 0 -> 1 -> 0 alone would be unfair, so the lasso passes
    # state 2, where task 2 cannot step
    edges = [(0, 1, 1), (1, 1, 0), (1, 1, 2), (2, 1, 1), (0, 2, 3), (1, 2, 3)]
    g = graph(4, edges)
    waiting = [True, True, True, False]
    assert search(g, waiting, "weak") == ([0, 1, 2, 1, 0], 0)
    assert search(g, waiting, "strong") is None
    assert search(g, waiting, "none") == ([0, 1, 0], 0)


def test_a_strongly_fair_lasso_takes_the_owed_task_step():
    # task 2 is able to step in 0 (out of the region) and in 2 (2 -> 0):
    # the loop must take 2 -> 0; under weak fairness 0 -> 1 -> 0 is fair
    edges = [(0, 1, 1), (1, 1, 0), (1, 1, 2), (2, 2, 0), (0, 2, 3)]
    g = graph(4, edges)
    waiting = [True, True, True, False]
    assert search(g, waiting, "strong") == ([0, 1, 2, 0], 0)
    assert search(g, waiting, "weak") == ([0, 1, 0], 0)


def test_a_lasso_with_a_prefix_and_a_self_loop():
    # 0 -> 1 -> 2, 2 -> 2 by task 1; task 2 able to step in 2 (a failing step)
    g = graph(3, [(0, 1, 1), (1, 1, 2), (2, 1, 2)], enabled={2: {2}})
    assert search(g, [True, True, True], "none") == ([0, 1, 2, 2], 2)
    # task 2 is able to step forever and never steps: unfair
    assert search(g, [True, True, True], "weak") is None
    assert search(g, [True, True, True], "strong") is None


def test_leadsto_on_a_hand_graph():
    # 0 (P) -> 1 (Q) -> 2 (P) <-> 3; Q never after 2
    g = graph(4, [(0, 1, 1), (1, 1, 2), (2, 1, 3), (3, 1, 2)])
    found = check_liveness(suite(leadsto({0, 2}, {1})), g)  # type: ignore[arg-type]
    assert [(f.name, f.run.path, f.run.loop) for f in found] == [("l", [0, 1, 2, 3, 2], 2)]
    # Q after every P: holds
    assert check_liveness(suite(leadsto({0}, {1})), g) == []  # type: ignore[arg-type]
    # P never: holds vacuously
    assert check_liveness(suite(leadsto(set(), set())), g) == []  # type: ignore[arg-type]
    # P in the state where Q holds too: Q holds "then"
    assert check_liveness(suite(leadsto({1}, {1})), g) == []  # type: ignore[arg-type]


def test_the_leadsto_message_names_the_trigger_the_lasso_waits_from():
    g = graph(4, [(0, 1, 1), (1, 1, 2), (2, 1, 3), (3, 1, 2)])
    (found,) = check_liveness(suite(leadsto({0, 2}, {1})), g)  # type: ignore[arg-type]
    assert found.message.startswith("`p` holds after step 2, and `q` never holds from there")


# ------------------------------------------------------------------ random graphs


def region(g: Graph, triggers: list[int], waiting: list[bool]) -> set[int]:
    seen = set(triggers)
    todo = list(triggers)
    while todo:
        i = todo.pop()
        if not g.expanded[i]:
            continue
        for e in g.edges(i):
            j = g.targets[e]
            if waiting[j] and j not in seen:
                seen.add(j)
                todo.append(j)
    return {i for i in seen if g.expanded[i]}


def strongly_connected(g: Graph, nodes: frozenset[int]) -> bool:
    """Every state of `nodes` reaches every other inside `nodes`, by at
    least one edge (so a single state needs its self-loop)."""

    def reach(a: int) -> set[int]:
        seen: set[int] = set()
        todo = [a]
        while todo:
            i = todo.pop()
            for e in g.edges(i):
                j = g.targets[e]
                if j in nodes and j not in seen:
                    seen.add(j)
                    todo.append(j)
        return seen

    return all(reach(a) == nodes for a in nodes)


def oracle(g: Graph, triggers: list[int], waiting: list[bool], fairness: str) -> bool:
    """Whether a violating run exists, by brute force: a terminal state in
    the region, or a set of region states that is strongly connected and
    whose inner edges are fair (a run that visits exactly these states
    forever, taking every inner edge, is fair iff this holds)."""
    r = region(g, triggers, waiting)
    if any(g.terminal[i] for i in r):
        return True
    for size in range(1, len(r) + 1):
        for nodes in map(frozenset, itertools.combinations(sorted(r), size)):
            if not strongly_connected(g, nodes):
                continue
            stepped = {g.pids[e] for i in nodes for e in g.edges(i) if g.targets[e] in nodes}
            seen = [g.enabled[i] for i in nodes]
            if fairness == "none":
                return True
            if fairness == "weak" and frozenset.intersection(*seen) <= stepped:
                return True
            if fairness == "strong" and frozenset().union(*seen) <= stepped:
                return True
    return False


def random_graph(rng: random.Random) -> tuple[Graph, list[bool], list[int]]:
    """Up to 6 states, every one reachable from 0 (as the explorer's are),
    3 tasks, some steps that fail (able to step, no edge), some states a
    bound kept from being expanded."""
    n = rng.randint(2, 6)
    unexpanded = {i for i in range(1, n) if rng.random() < 0.1}
    edges = []
    for i in range(1, n):  # a way in from an expanded state
        j = rng.choice([j for j in range(i) if j not in unexpanded])
        edges.append((j, rng.randint(1, 3), i))
    for i in range(n):
        for _ in range(rng.choice((0, 1, 1, 2, 2))):
            edges.append((i, rng.randint(1, 3), rng.randrange(n)))
    enabled = {i: {rng.randint(1, 3)} for i in range(n) if rng.random() < 0.15}
    g = graph(n, edges, enabled, unexpanded)
    waiting = [rng.random() < 0.8 for _ in range(n)]
    triggers = [i for i in range(n) if waiting[i] and rng.random() < 0.4]
    return g, waiting, triggers


@pytest.mark.parametrize("fairness", FAIRNESS)
def test_random_graphs_against_brute_force(fairness):
    rng = random.Random(12)
    found_some = 0
    for k in range(600):
        g, waiting, triggers = random_graph(rng)
        want = oracle(g, triggers, waiting, fairness)
        got = search(g, waiting, fairness, triggers)  # checks the lasso's shape
        assert (got is not None) == want, (k, fairness)
        found_some += got is not None
    assert 100 < found_some < 500  # both answers are exercised


# ================================================================== 2. the scenarios

CHILD_REAPED = "`main.reaped == 1` never becomes true: the run loops forever"


def fair_note(fairness: str) -> str:
    return f", and the loop is fair ({fairness} fairness)"


# (file, --fairness) -> (property, message, steps, loop)
LASSOS = {
    (POLL_NONE, None): ("child_reaped", CHILD_REAPED, 4, 2),
    (POLL_NONE, "none"): ("child_reaped", CHILD_REAPED, 4, 2),
    (POLL, "none"): ("child_reaped", CHILD_REAPED, 4, 2),
    **{
        (PING_PONG, f): (
            "three_rounds",
            "`main.rounds == 3` never becomes true: the run loops forever"
            + (fair_note(f or "weak") if f != "none" else ""),
            49,
            37,
        )
        for f in (None, *FAIRNESS)
    },
    **{
        (VFORK_STUCK, f): (
            "parent_back",
            "`main.back == 1` never becomes true: the run loops forever"
            + (fair_note(f or "weak") if f != "none" else ""),
            3,
            1,
        )
        for f in (None, *FAIRNESS)
    },
    **{
        (REAPING, f): (
            "zombies_eventually_reaped",
            "pid 3 (main) stays a zombie forever: its parent, pid 2 (main), never reaps it; "
            "the run loops forever" + (fair_note(f or "weak") if f != "none" else ""),
            4,
            2,
        )
        for f in (None, *FAIRNESS)
    },
}
PASSES = [
    (POLL, None),
    (POLL, "weak"),
    (POLL, "strong"),
    *[(p, f) for p in (DAEMON, VFORK_BACK) for f in (None, *FAIRNESS)],
]


@pytest.mark.parametrize(
    ("path", "fairness"), list(LASSOS), ids=lambda v: v.name[:2] if isinstance(v, Path) else str(v)
)
def test_scenario_lasso(path, fairness):
    prop, message, steps, loop = LASSOS[path, fairness]
    r = checked(path, fairness)
    assert r.complete
    assert r.exit_code == (EXIT_FAIL if path == POLL else EXIT_OK)
    (cx,) = lassos(r)
    assert (cx.name, cx.trace.message, len(cx.trace.steps), cx.trace.loop) == (
        prop,
        message,
        steps,
        loop,
    )
    p = prop_result(r, prop)
    assert p.status == VIOLATED and p.message == message
    assert p.expected == (path != POLL)


@pytest.mark.parametrize(
    ("path", "fairness"), PASSES, ids=lambda v: v.name[:2] if isinstance(v, Path) else str(v)
)
def test_scenario_passes(path, fairness):
    r = checked(path, fairness)
    assert r.complete and r.exit_code == EXIT_OK
    assert lassos(r) == []
    assert r.scenario is not None
    for live in r.scenario.liveness:
        assert prop_result(r, live.name).status == HOLDS


def test_80_loops_on_the_parent_polling_while_the_child_could_run():
    (cx,) = lassos(checked(POLL_NONE))
    t = cx.trace
    assert [step_line(s) for s in t.steps] == [
        "pid 2 (main): c = fork { … } -> child 3",
        "pid 2 (main): w = waitpid(c, WNOHANG) -> 0 (WNOHANG: children still running)",
        "pid 2 (main): while w.pid == 0 -> true",
        "pid 2 (main): w = waitpid(c, WNOHANG) -> 0 (WNOHANG: children still running)",
    ]
    child = get(t.final_state().tasks, 3)
    assert child is not None and child.state == RUNNING  # able to run, never does


def test_79_without_fairness_gives_the_lasso_of_80():
    a = lassos(checked(POLL, "none"))[0].trace
    b = lassos(checked(POLL_NONE))[0].trace
    assert [step_line(s) for s in a.steps] == [step_line(s) for s in b.steps]
    assert a.loop == b.loop == 2
    assert a.initial == b.initial and a.final_state() == b.final_state()


def test_84_loops_in_the_vfork_child_while_the_parent_sleeps_in_d():
    (cx,) = lassos(checked(VFORK_STUCK))
    t = cx.trace
    assert [s.pid for s in t.steps] == [2, 3, 3]
    assert [step_line(s) for s in t.steps[t.loop :]] == [
        "pid 3 (main): while true -> true",
        "pid 3 (main): skip",
    ]
    parent = get(t.final_state().tasks, 2)
    assert parent is not None and parent.state == DISK_SLEEP


def test_85_eventually_reaped_fails_where_zombies_reaped_holds():
    r = checked(REAPING)
    assert prop_result(r, "zombies_reaped").status == HOLDS
    assert prop_result(r, "zombies_eventually_reaped").status == VIOLATED
    (cx,) = lassos(r)
    t = cx.trace
    assert [step_line(s) for s in t.steps[t.loop :]] == [
        "pid 2 (main): while true -> true",
        "pid 2 (main): skip -> branch 1 of the choose at line 21",
    ]
    zombie = get(t.final_state().tasks, 3)
    assert zombie is not None and zombie.state == ZOMBIE


def test_zombies_eventually_reaped_is_checked_only_when_named():
    r = checked(POLL_NONE)
    assert "zombies_eventually_reaped" not in {p.name for p in r.properties}
    assert "zombies_reaped" in {p.name for p in r.properties}


# ------------------------------------------------------------------ the command line


def test_cli_79_fails_without_fairness_and_passes_with_it():
    r = run("check", POLL, "--fairness", "none")
    assert r.returncode == EXIT_FAIL, r.stdout + r.stderr
    assert "child_reaped: VIOLATED" in r.stdout
    assert "counterexample, a lasso (4 steps):" in r.stdout
    assert "-- and back to the state after step 2: steps 3 to 4 repeat forever --" in r.stdout
    assert "expect pass (line 31): NOT MET: violated: child_reaped" in r.stdout
    for fairness in ("weak", "strong"):
        r = run("check", POLL, "--fairness", fairness)
        assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert run("check", POLL).returncode == EXIT_OK


@pytest.mark.parametrize("fairness", ("weak", "strong"))
def test_cli_fairness_overrides_the_files_config(fairness):
    # 80 says `fairness = none` and expects the violation: --fairness wins
    r = run("check", POLL_NONE, "--fairness", fairness)
    assert r.returncode == EXIT_FAIL, r.stdout + r.stderr
    assert "expect violation child_reaped (line 30): NOT MET" in r.stdout
    assert "loop starts here" not in r.stdout
    assert run("check", POLL_NONE, "--fairness", "none").returncode == EXIT_OK


def test_config_fairness_is_read_from_the_file(write):
    text = POLL.read_text(encoding="utf-8")
    for fairness, code in (("none", EXIT_FAIL), ("weak", EXIT_OK), ("strong", EXIT_OK)):
        path = write(f"{fairness}.proc", text + f"\nconfig {{ fairness = {fairness} }}\n")
        r = run("check", path)
        assert r.returncode == code, (fairness, r.stdout + r.stderr)


@pytest.mark.parametrize("command", ("check", "trace", "tree"))
def test_cli_a_bad_fairness_exits_2(command):
    r = run(command, POLL, "--fairness", "x")
    assert r.returncode == EXIT_ERROR
    assert "--fairness x: not one of weak, strong, none" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_cli_trace_takes_fairness():
    assert run("trace", POLL).returncode == EXIT_FAIL  # no counterexample under weak
    r = run("trace", POLL, "--fairness", "none")
    assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert "-- loop starts here --" in r.stdout
    r = run("tree", POLL, "--fairness", "none", "--step", "2")
    assert r.returncode == EXIT_OK, r.stdout + r.stderr


def test_a_fairness_setting_without_liveness_properties_draws_a_warning():
    r = check(
        """
        program main { exit 0 }
        config { fairness = strong }
        """
    )
    assert r.exit_code == EXIT_OK
    assert any("fairness matters only for liveness properties" in w.message for w in r.warnings)
    r = check(
        """
        program main { var x = 0; x = 1 }
        eventually e: main.x == 1
        config { fairness = strong }
        """
    )
    assert r.exit_code == EXIT_OK
    assert not any("fairness" in w.message for w in r.warnings)


# ================================================================== 3. lassos replay

# scenarios of our own, each with a liveness counterexample
LEADSTO_LATE = """\
program main {
    var x = 0
    x = 1
    x = 2
    while true {
        skip
    }
}

leadsto back_to_one: main.x != 1 ~> main.x == 1
"""

# a stop/continue game on a two-thread process: under strong fairness the
# thread does get steps (it may take the SIGSTOP or report the continue
# itself) without ever reaching `done = 1`
STOP_CONT = """\
program main {
    var done = 0
    k = fork {
        while true {
            kill(getppid(), SIGSTOP)
            kill(getppid(), SIGCONT)
        }
    }
    t = thread {
        done = 1
    }
    while true {
        skip
    }
}

leadsto thread_runs: (exists T in tasks: T.pid == 4) ~> main.done == 1
config { fairness = strong }
"""

PAUSED_WITH_A_ZOMBIE = """\
program main {
    c = fork { exit 0 }
    pause()
}
check zombies_eventually_reaped
"""

LOOP_FROM_THE_START = """\
program main {
    var x = 0
    while true {
        skip
    }
}
eventually e: main.x == 1
config { fairness = none }
"""

ENDS_WITHOUT_Q = """\
program main {
    var x = 0
    x = 1
}
leadsto never_two: main.x == 1 ~> main.x == 2
"""

# name -> (text, property, steps, loop)
OWN = {
    "leadsto_late": (LEADSTO_LATE, "back_to_one", 4, 2),
    "stop_cont": (STOP_CONT, "thread_runs", 10, 5),
    "paused_zombie": (PAUSED_WITH_A_ZOMBIE, "zombies_eventually_reaped", 3, None),
    "loop_from_start": (LOOP_FROM_THE_START, "e", 2, 0),
    "ends_without_q": (ENDS_WITHOUT_Q, "never_two", 3, None),
}


@pytest.fixture(scope="module")
def own_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("own")
    out = {}
    for name, (text, *_) in OWN.items():
        out[name] = d / f"{name}.proc"
        out[name].write_text(text, encoding="utf-8")
    return out


def trace_states(t: Trace) -> list[State]:
    states = [t.initial]
    for step in t.steps:
        assert step.after is not None  # a liveness trace has no failing step
        states.append(step.after)
    return states


def assert_replays_in_the_kernel(r: FileResult, cx: Counterexample, fairness: str) -> None:
    """The trace is a run of the kernel, returns to its loop state (or
    ends in a terminal state), and run_fails judges it a violation."""
    assert r.scenario is not None
    kernel = Kernel(r.scenario)
    t = cx.trace
    states = trace_states(t)
    for step, (a, b) in zip(t.steps, itertools.pairwise(states), strict=True):
        assert (step.pid, b) in kernel.moves(a), f"step {step.number} is no step of pid {step.pid}"
    if t.loop is None:
        assert all(type(x) is Pruned for _, x in kernel.moves(states[-1]))
        assert kernel.moves(states[-1]) == []  # terminal, not cut by `assume`
    else:
        assert 0 <= t.loop < len(t.steps)
        assert states[-1] == states[t.loop]
    (prop,) = [p for p in PropertySuite.build(r.scenario, fairness).liveness if p.name == cx.name]
    message = run_fails(prop, fairness, states, t.loop, kernel.moves)
    assert message is not None
    if t.loop is None:
        assert message.endswith("and the run ends")
    else:
        assert f"steps {t.loop + 1} to {len(t.steps)} repeat" in message


def all_lassos(own_files: dict[str, Path]) -> list[tuple[str, FileResult, Counterexample, str]]:
    out = []
    for path, fairness in LASSOS:
        r = checked(path, fairness)
        f = fairness or r.scenario.settings.fairness  # type: ignore[union-attr]
        out += [(f"{path.name} {fairness}", r, cx, f) for cx in lassos(r)]
    for name, path in own_files.items():
        r = checked(path)
        f = r.scenario.settings.fairness  # type: ignore[union-attr]
        out += [(name, r, cx, f) for cx in lassos(r)]
    return out


def test_own_scenarios_give_their_counterexample(own_files):
    for name, (_, prop, steps, loop) in OWN.items():
        r = checked(own_files[name])
        assert r.complete
        assert r.exit_code == EXIT_FAIL, name
        (cx,) = lassos(r)
        assert (cx.name, len(cx.trace.steps), cx.trace.loop) == (prop, steps, loop), name


def test_every_lasso_is_a_run_of_the_kernel_that_fails(own_files):
    cases = all_lassos(own_files)
    assert len(cases) == len(LASSOS) + len(OWN)
    for _, r, cx, fairness in cases:
        assert_replays_in_the_kernel(r, cx, fairness)


def test_every_lasso_replays_from_its_itf(own_files, tmp_path):
    bad = []
    for where, r, cx, fairness in all_lassos(own_files):
        if fairness != (r.scenario.settings.fairness):  # type: ignore[union-attr]
            continue  # found under --fairness: below
        doc = json.loads(itf_text(r, cx))
        assert doc.get("loop") == cx.trace.loop, where
        if cx.trace.loop is not None:
            # as ITF writes a lasso: the last state steps back to state `loop`
            assert len(doc["states"]) == len(cx.trace.steps), where
            last = cx.trace.steps[-1]
            assert doc["#meta"]["forkcheck"]["loop_step"].startswith(f"pid {last.pid} "), where
        else:
            assert len(doc["states"]) == len(cx.trace.steps) + 1, where
        f = tmp_path / "t.itf.json"
        f.write_text(itf_text(r, cx), encoding="utf-8")
        done = replay_files(r.path, str(f))
        steps = len(cx.trace.steps)
        if not (done.ok and done.steps == done.total == steps and "still fails" in done.message):
            bad.append(f"{where}: {done}")
    assert not bad, "\n".join(bad)


def write_itf(r: FileResult, cx: Counterexample, f: Path, **change: object) -> Path:
    doc = json.loads(itf_text(r, cx))
    for k, v in change.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    f.write_text(json.dumps(doc), encoding="utf-8")
    return f


def test_a_lasso_does_not_replay_where_fairness_rules_it_out(tmp_path):
    # 80's loop starves the child, which stays able to run: 79 judges with
    # weak fairness, so the same run is no counterexample there
    r = checked(POLL_NONE)
    (cx,) = lassos(r)
    f = write_itf(r, cx, tmp_path / "t.itf.json")
    assert replay_files(str(POLL_NONE), str(f)).ok
    done = replay_files(str(POLL), str(f))
    assert not done.ok
    assert done.steps == done.total == 4
    assert "no longer fails" in done.message
    c = run("replay", POLL, f)
    assert c.returncode == EXIT_FAIL, c.stdout + c.stderr
    assert "no longer fails" in c.stdout
    assert run("replay", POLL_NONE, f).returncode == EXIT_OK


def test_a_tampered_loop_does_not_replay(tmp_path):
    r = checked(POLL_NONE)
    (cx,) = lassos(r)
    # looping back to the wrong state: it does not return there
    f = write_itf(r, cx, tmp_path / "a.itf.json", loop=1)
    assert not replay_files(str(POLL_NONE), str(f)).ok
    # no loop at all: a run that ends where the parent can still step
    f = write_itf(r, cx, tmp_path / "b.itf.json", loop=None)
    assert not replay_files(str(POLL_NONE), str(f)).ok
    # a loop index that is no state's
    f = write_itf(r, cx, tmp_path / "c.itf.json", loop=9)
    c = run("replay", POLL_NONE, f)
    assert c.returncode == EXIT_ERROR
    assert "`loop` is not the index of one of its states" in c.stdout + c.stderr


def test_run_fails_rejects_runs_that_are_not_fair_or_do_not_loop():
    r = checked(POLL_NONE)
    assert r.scenario is not None
    (cx,) = lassos(r)
    kernel = Kernel(r.scenario)
    states = trace_states(cx.trace)
    (prop,) = PropertySuite.build(r.scenario).liveness
    assert run_fails(prop, "none", states, 2, kernel.moves) is not None
    assert run_fails(prop, "weak", states, 2, kernel.moves) is None  # the child starves
    assert run_fails(prop, "strong", states, 2, kernel.moves) is None
    assert run_fails(prop, "none", states, 1, kernel.moves) is None  # does not return
    assert run_fails(prop, "none", states, None, kernel.moves) is None  # does not end


def test_run_fails_does_not_judge_a_run_cut_by_assume():
    r = check(
        """
        program main {
            var x = 0
            x = 1
            assume x == 2
        }
        eventually two: main.x == 2
        """
    )
    assert r.exit_code == EXIT_OK and prop_result(r, "two").status == HOLDS
    assert r.scenario is not None
    kernel = Kernel(r.scenario)
    s0 = kernel.initial()
    ((_, s1),) = kernel.moves(s0)
    assert isinstance(s1, State)
    assert [type(t) for _, t in kernel.moves(s1)] == [Pruned]
    (prop,) = PropertySuite.build(r.scenario).liveness
    assert run_fails(prop, "weak", [s0, s1], None, kernel.moves) is None


def test_a_lasso_found_under_a_fairness_option_replays(tmp_path):
    r = checked(POLL, "none")
    (cx,) = lassos(r)
    f = write_itf(r, cx, tmp_path / "t.itf.json")
    c = run("replay", POLL, f, "--fairness", "none")
    assert c.returncode == EXIT_OK, c.stdout + c.stderr
    # without the option, the file's weak fairness judges it, and replay says how to match
    c = run("replay", POLL, f)
    assert c.returncode == EXIT_FAIL, c.stdout + c.stderr
    assert c.stdout.rstrip().endswith(
        "(its loop was found under none fairness, and this replay judges it under weak: "
        "add --fairness none to judge it as found)"
    ), c.stdout


def owed_but_not_shown(r: FileResult, cx: Counterexample, fairness: str) -> set[int]:
    """The tasks fairness asks to step in the printed loop that no printed
    step of the loop is by."""
    assert r.scenario is not None and cx.trace.loop is not None
    kernel = Kernel(r.scenario)
    states = trace_states(cx.trace)[cx.trace.loop : -1]
    able = [{pid for pid, t in kernel.moves(s) if type(t) is not Pruned} for s in states]
    shown = {s.pid for s in cx.trace.steps[cx.trace.loop :]}
    if fairness == "none":
        return set()
    owed = set.intersection(*able) if fairness == "weak" else set().union(*able)
    return owed - shown


def test_printed_loops_show_a_step_of_every_task_fairness_owes(own_files):
    for where, r, cx, fairness in all_lassos(own_files):
        if cx.trace.loop is None or where == "stop_cont":
            continue
        assert owed_but_not_shown(r, cx, fairness) == set(), where


def test_a_strongly_fair_printed_loop_shows_the_thread_stepping(own_files):
    r = checked(own_files["stop_cont"])
    (cx,) = lassos(r)
    assert owed_but_not_shown(r, cx, "strong") == set()


# ================================================================== 4. output of a lasso


def test_text_of_a_lasso():
    r = checked(POLL_NONE)
    (cx,) = lassos(r)
    lines = render_trace(cx.trace, r.programs).splitlines()
    assert lines[0] == "counterexample, a lasso (4 steps):"
    k = lines.index("  -- loop starts here --")
    assert lines[k - 1].startswith("  2. pid 2 (main): w = waitpid(c, WNOHANG)")
    assert lines[k + 1] == "  3. pid 2 (main): while w.pid == 0 -> true"
    end = lines.index("  -- and back to the state after step 2: steps 3 to 4 repeat forever --")
    assert lines[end - 1].startswith("  4. pid 2 (main): w = waitpid(c, WNOHANG)")
    assert lines[end + 1] == "  state where it loops:"
    assert sum("loop starts here" in x for x in lines) == 1


def test_text_of_a_lasso_that_loops_from_the_initial_state(own_files):
    r = checked(own_files["loop_from_start"])
    (cx,) = lassos(r)
    lines = render_trace(cx.trace, r.programs).splitlines()
    assert lines[:2] == ["counterexample, a lasso (2 steps):", "  -- loop starts here --"]
    assert lines[2].startswith("  1. pid 2 (main): while true")
    assert "  -- and back to the initial state: steps 1 to 2 repeat forever --" in lines


def test_text_of_a_liveness_run_that_ends(own_files):
    r = checked(own_files["ends_without_q"])
    (cx,) = lassos(r)
    assert cx.trace.message == (
        "`main.x == 1` holds after step 1, and `main.x == 2` never holds from there: the run ends"
    )
    text = render_trace(cx.trace, r.programs)
    # a whole run, not the shortest path to a state
    assert text.startswith("counterexample, a run that ends (3 steps):")
    assert "loop" not in text
    assert "  state at the end:" in text.splitlines()


def test_json_of_a_lasso(write):
    c = run("check", "--json", POLL_NONE, REAPING, write("ends.proc", ENDS_WITHOUT_Q))
    assert c.returncode == EXIT_FAIL, c.stdout + c.stderr  # ends.proc's property fails
    files = {Path(f["path"]).name: f for f in json.loads(c.stdout)["files"]}
    props = {p["name"]: p for p in files[POLL_NONE.name]["properties"]}
    trace = props["child_reaped"]["trace"]
    assert (trace["length"], trace["loop"]) == (4, 2)
    assert trace["message"] == CHILD_REAPED
    trace = {p["name"]: p for p in files[REAPING.name]["properties"]}["zombies_eventually_reaped"][
        "trace"
    ]
    assert (trace["length"], trace["loop"]) == (4, 2)
    trace = {p["name"]: p for p in files["ends.proc"]["properties"]}["never_two"]["trace"]
    assert (trace["length"], trace["loop"]) == (3, None)


def test_timeline_of_a_lasso():
    r = checked(POLL_NONE)
    (cx,) = lassos(r)
    dot = timeline_source(r, cx)
    # the loop's first step, and its last step saying where the run goes on
    assert 'h3 [label="↻ 3"' in dot and 'f3 [label="↻ 3"' in dot
    assert 'h4 [label="4, then ↻ 3"' in dot
    assert dot.count("↻") == 4  # above and below both columns
    # a lasso fails as a whole: no step painted as the violating one
    assert "#d32f2f" not in dot


def test_timeline_of_a_safety_violation_has_no_loop():
    r = checked(SCENARIOS / "05_zombie_parent_spins.proc")
    (cx,) = counterexamples(r)
    dot = timeline_source(r, cx)
    assert "repeats forever" not in dot and "↻" not in dot
    assert 'fillcolor="#d32f2f"' in dot  # here the last step is the violation


def test_timeline_of_a_lasso_from_the_initial_state(own_files):
    r = checked(own_files["loop_from_start"])
    (cx,) = lassos(r)
    dot = timeline_source(r, cx)
    assert 'h1 [label="↻ 1"' in dot
    assert 'h2 [label="2, then ↻ 1"' in dot


# ================================================================== 5. leadsto, eventually


def test_leadsto_holds_when_q_follows_p():
    r = check(
        """
        program main {
            var x = 0
            x = 1
        }
        leadsto later: main.x == 0 ~> main.x == 1
        """
    )
    assert r.exit_code == EXIT_OK and prop_result(r, "later").status == HOLDS


def test_leadsto_fails_on_a_run_that_ends_without_q():
    r = check(ENDS_WITHOUT_Q)
    assert r.exit_code == EXIT_FAIL
    p = prop_result(r, "never_two")
    assert p.status == VIOLATED
    assert p.message.endswith("never holds from there: the run ends")
    assert p.trace is not None and p.trace.loop is None and len(p.trace.steps) == 3
    # it ends where init has reaped main: a terminal state
    assert [t.pid for t in p.trace.final_state().tasks] == [1]


def test_leadsto_holds_vacuously_when_p_never_holds():
    r = check(
        """
        program main {
            var x = 0
            while true {
                skip
            }
        }
        leadsto vacuous: main.x == 5 ~> main.x == 6
        config { fairness = none }
        """
    )
    assert r.exit_code == EXIT_OK and prop_result(r, "vacuous").status == HOLDS


def test_leadsto_q_in_the_same_state_as_p_is_enough():
    r = check(
        """
        program main {
            var x = 0
            while true {
                skip
            }
        }
        leadsto at_once: main.x == 0 ~> main.x >= 0
        config { fairness = none }
        """
    )
    assert r.exit_code == EXIT_OK and prop_result(r, "at_once").status == HOLDS


def test_eventually_true_in_the_initial_state_holds():
    # even on a run that loops forever, with no fairness
    r = check(
        """
        program main {
            var x = 0
            while true {
                skip
            }
        }
        eventually at_start: main.x == 0
        config { fairness = none }
        """
    )
    assert r.exit_code == EXIT_OK and prop_result(r, "at_start").status == HOLDS


def test_leadsto_with_a_trigger_after_the_start():
    r = check(LEADSTO_LATE)
    p = prop_result(r, "back_to_one")
    assert p.status == VIOLATED
    assert p.trace is not None and p.trace.loop == 2
    assert p.message.endswith(
        "never holds from there: the run loops forever, and the loop is fair (weak fairness)"
    )


def test_leadsto_message_names_the_state_after_step_2():
    p = prop_result(check(LEADSTO_LATE), "back_to_one")
    assert p.message.startswith(
        "`main.x != 1` holds after step 2, and `main.x == 1` never holds from there"
    )


@pytest.mark.parametrize(
    ("prop", "holds"),
    [
        # main.w has no value until the wait returns: "not yet", not an error
        ("eventually e: main.w.pid == -1", True),
        ("leadsto e: main.w.pid == -1 ~> main.w.pid == 0", False),
        ("eventually e: main.w.pid == 5", False),
    ],
    ids=["eventually", "leadsto", "never"],
)
def test_a_value_not_set_yet_is_not_yet_true(prop, holds, write):
    path = write("unset.proc", f"program main {{\n    w = wait()\n}}\n{prop}\n")
    c = run("check", path)
    assert c.returncode == (EXIT_OK if holds else EXIT_FAIL), c.stdout + c.stderr
    assert "Traceback" not in c.stdout + c.stderr


def test_an_arithmetic_error_in_a_liveness_property_points_at_its_line():
    r = check(
        """
        program main {
            var x = 0
            x = 1
        }
        eventually e: 10 / main.x == 10
        """
    )
    assert r.exit_code == EXIT_ERROR
    (err,) = r.errors
    assert err.pos != NOWHERE and err.pos.line == 6
    assert "e cannot be evaluated: division by zero" in err.message


# ================================================================== 6. bounds


@pytest.mark.parametrize("max_states", [1, 3, 5, 8, 11])
def test_a_bound_leaves_a_liveness_property_undecided(max_states):
    r = check_file(POLL, Options(max_states=max_states))
    assert not r.complete and r.stop == "max_states"
    assert prop_result(r, "child_reaped").status == UNKNOWN
    assert r.exit_code == EXIT_INCOMPLETE


@pytest.mark.parametrize("path", [POLL, DAEMON, VFORK_BACK])
def test_a_depth_bound_leaves_a_liveness_property_undecided(path):
    r = check_file(path, Options(max_depth=3))
    assert not r.complete
    assert r.scenario is not None
    for live in r.scenario.liveness:
        assert prop_result(r, live.name).status == UNKNOWN
    assert r.exit_code == EXIT_INCOMPLETE


def test_cli_a_bound_gives_undecided_never_holds():
    c = run("check", POLL, "--max-states", "5")
    assert c.returncode == EXIT_INCOMPLETE, c.stdout + c.stderr
    assert "expect pass (line 31): undecided" in c.stdout
    assert "child_reaped" in c.stdout.split("not decided (the search stopped):")[1]


def test_a_violation_found_before_the_bound_is_real():
    # 80's lasso lies within the first 8 states; with fewer it is not found
    r = check_file(POLL_NONE, Options(max_states=8))
    assert not r.complete
    p = prop_result(r, "child_reaped")
    assert p.status == VIOLATED and p.trace is not None
    assert (len(p.trace.steps), p.trace.loop) == (4, 2)
    assert r.exit_code == EXIT_INCOMPLETE  # the other properties are undecided
    r = check_file(POLL_NONE, Options(max_states=7))
    assert prop_result(r, "child_reaped").status == UNKNOWN


# ================================================================== found in review


def test_a_task_stuck_at_a_false_assume_is_able_to_step():
    """x = 1 is cut by the assume; a fair run makes main take that step,
    which ends the run unjudged: the property holds (it did not, when a
    branch cut by assume counted as unable to step)."""
    r = check(
        """
        program main {
            var done = 0
            thread { while true { skip } }
            x = any(0..2)
            assume x != 1
            done = 1
        }
        eventually e: main.done == 1
        """
    )
    assert r.exit_code == EXIT_OK, [p.message for p in r.properties]


def test_a_liveness_property_reads_a_zombies_last_values():
    r = check(
        """
        program main {
            c = fork { exec worker }
            w = wait()
        }
        program worker {
            var x = 0
            x = 1
        }
        eventually e: exists T in tasks: T.program == worker && T.x == 1
        """
    )
    assert r.exit_code == EXIT_OK, [d.message for d in r.errors]


def test_a_leader_kept_by_its_thread_is_named_as_such():
    r = check(
        """
        program main {
            c = fork {
                thread { while true { skip } }
                exit_thread 0
            }
            w = wait()
        }
        check zombies_eventually_reaped
        """
    )
    p = prop_result(r, "zombies_eventually_reaped")
    assert p.message.startswith(
        "pid 3 (main) stays a zombie forever: its thread 4 never ends, so no wait can reap it;"
    ), p.message


def test_a_lasso_whose_loop_does_not_close_does_not_replay(tmp_path):
    r = checked(POLL_NONE)
    (cx,) = lassos(r)
    doc = json.loads(itf_text(r, cx))
    doc["loop"] = 0  # the last state does not step back to the initial one
    f = tmp_path / "t.itf.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    done = replay_files(str(POLL_NONE), str(f))
    assert not done.ok
    assert done.message == (
        "replays (3 steps), but its loop does not close: "
        f"`{doc['#meta']['forkcheck']['loop_step']}` does not lead back to state 0"
    )


def test_a_run_that_ends_stuck_says_why_no_task_can_step():
    r = check(
        """
        program main {
            var done = 0
            pause()
            done = 1
        }
        eventually e: main.done == 1
        check assertions
        """
    )
    p = prop_result(r, "e")
    assert p.message == (
        "`main.done == 1` never becomes true: the run ends (no task can take a step: "
        "pid 2 (main) sleeps in `pause()` (line 4); only a handler ends it, and no signal has one)"
    )


def test_the_state_graph_draws_a_whole_lasso_under_the_fairness_asked_for():
    from checker.runner import explore_graph

    weak = explore_graph(str(POLL), 100)
    assert weak.source is not None and "#d32f2f" not in weak.source  # holds: nothing red
    drawn = explore_graph(str(POLL), 100, "none")
    assert drawn.source is not None
    red = re.findall(r"^\ts(\d+) -> s(\d+) \[[^\]]*color=\"#d32f2f\"", drawn.source, re.M)
    r = checked(POLL, "none")
    (cx,) = lassos(r)
    # every step of the lasso, the one back into the loop included, is bold red
    assert len(red) == len(cx.trace.steps)
    c = run("graph", POLL, "--fairness", "none")
    assert c.returncode == EXIT_OK, c.stderr
    assert c.stdout.rstrip("\n") == drawn.source.rstrip("\n")
