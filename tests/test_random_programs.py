"""Random small programs: exploration terminates, is deterministic, and every
counterexample it reports replays step by step to the violation and is as
short as an independent breadth-first search says it can be."""

from __future__ import annotations

from collections import deque

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.kernel.model import Failure, Kernel
from checker.kernel.state import State
from checker.lang.load import load_text
from checker.props.builtin import zombie_mask
from checker.props.suite import PropertySuite
from checker.render.text import render_file
from checker.results import VIOLATED, FileResult
from checker.runner import check_text

# ------------------------------------------------------------------ programs

LEAF = st.sampled_from(
    [
        "skip",
        "x = x + 1",
        "x = any(0..1)",
        "w = wait()",
        "w = waitpid(-1, WNOHANG)",
        "w = waitpid(c)",
        "w = waitpid(0, WNOHANG)",
        "set_subreaper()",
        'assert x < 2, "x stays small"',
        'assert errno != ECHILD, "a wait found no child"',
    ]
)


def blocks(depth: int) -> st.SearchStrategy[list[str]]:
    if depth == 0:
        return st.lists(LEAF, min_size=1, max_size=3)
    inner = blocks(depth - 1)

    def render(kind: str, a: list[str], b: list[str], code: int) -> list[str]:
        body_a, body_b = "; ".join(a), "; ".join(b)
        if kind == "fork":
            return [f"c = fork {{ {body_a}; exit {code} }}"]
        if kind == "if":
            return [f"if x > 0 {{ {body_a} }} else {{ {body_b} }}"]
        if kind == "choose":
            return [f"choose {{ {body_a} }} or {{ {body_b} }}"]
        if kind == "repeat":
            return [f"repeat 2 {{ {body_a} }}"]
        return [f"exit {code}"]

    compound = st.builds(
        render,
        st.sampled_from(["fork", "fork", "if", "choose", "repeat", "exit"]),
        inner,
        inner,
        st.integers(0, 3),
    )
    return st.lists(st.one_of(LEAF.map(lambda s: [s]), compound), min_size=1, max_size=3).map(
        lambda parts: [s for p in parts for s in p]
    )


PROPERTIES = st.sampled_from(
    [
        "",
        "invariant few_zombies: count(T in tasks where T.state == ZOMBIE) <= 1",
        "invariant small: forall T in tasks: T.pid < 6",
        "final all_reaped: count(T in tasks where T.state == ZOMBIE) == 0",
    ]
)


@st.composite
def programs(draw: st.DrawFn) -> str:
    body = "\n    ".join(draw(blocks(2)))
    prop = draw(PROPERTIES)
    observe = "observe main.x" if draw(st.booleans()) else ""
    return (
        "config { max_tasks = 4 }\n"
        f"program main {{\n    x = 0\n    c = 0\n    w = wait()\n    {body}\n}}\n"
        f"{prop}\n{observe}\n"
    )


# ------------------------------------------------------------------ an independent BFS


def bfs_depths(kernel: Kernel, limit: int = 60_000) -> tuple[dict[State, int], dict[str, int]]:
    """Depth of every reachable state, and the shortest length of a path that
    ends in a failing step, per property: the plainest search there is."""
    start = kernel.initial()
    depth = {start: 0}
    failure_len: dict[str, int] = {}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        for t in kernel.successors(s):
            if isinstance(t, Failure):
                failure_len.setdefault(t.property, depth[s] + 1)
            elif isinstance(t, State) and t not in depth:
                depth[t] = depth[s] + 1
                queue.append(t)
        assert len(depth) < limit, "the generator made a program too large"
    return depth, failure_len


def _stuck_forever(kernel: Kernel, start: State) -> int:
    """The zombies of `start` that stay zombies on every execution from it:
    the continuations that go on forever or reach a terminal state (paths a
    failed assert or an assume cuts off are not executions)."""
    reach, edges = {start}, {}
    stack = [start]
    while stack:
        s = stack.pop()
        moves = kernel.successors(s)
        nxt = [t for t in moves if isinstance(t, State)]
        edges[s] = (nxt, bool(moves))
        for t in nxt:
            if t not in reach:
                reach.add(t)
                stack.append(t)
    # executions live in the states that can reach a cycle or a terminal state
    live = {s for s, (nxt, moved) in edges.items() if not moved}  # terminal states
    changed = True
    on_cycle = set()
    for s in reach:  # a state on a cycle: it can reach itself
        seen, todo = set(), list(edges[s][0])
        while todo:
            t = todo.pop()
            if t == s:
                on_cycle.add(s)
                break
            if t not in seen:
                seen.add(t)
                todo.extend(edges[t][0])
    live |= on_cycle
    while changed:
        changed = False
        for s in reach:
            if s not in live and any(t in live for t in edges[s][0]):
                live.add(s)
                changed = True
    assert start in live
    stuck = zombie_mask(start)
    for s in live:
        if any(t in live for t in edges[s][0]) or s in on_cycle or not edges[s][1]:
            stuck &= zombie_mask(s)
    return stuck


def check_replays(text: str, result: FileResult) -> None:
    scenario = load_text(text, "random.proc")
    kernel = Kernel(scenario)
    suite = PropertySuite.build(scenario)
    depth, failure_len = bfs_depths(kernel)
    state_checks = dict(suite.state_checks)
    step_checks = dict(suite.step_checks)
    terminal_checks = dict(suite.terminal_checks)
    for prop in result.properties:
        if prop.status != VIOLATED:
            continue
        trace = prop.trace
        assert trace is not None
        assert trace.initial == kernel.initial()
        current = trace.initial
        for step in trace.steps:
            assert step.before == current
            successors = kernel.successors(step.before)
            if step.after is None:
                assert step.failure in successors
            else:
                assert step.after in successors
                current = step.after
        n = len(trace.steps)
        if prop.name == "assertions":
            assert trace.steps[-1].failure is not None
            assert n == failure_len["assertions"]
        elif prop.name in step_checks and step_checks[prop.name](trace.steps[-1].before, current):
            pass  # a property of the last step
        elif prop.name in state_checks:
            assert state_checks[prop.name](current) is not None
            assert n == min(d for s, d in depth.items() if state_checks[prop.name](s))
        elif prop.name in terminal_checks:
            assert kernel.successors(current) == []
            assert terminal_checks[prop.name](current) is not None
        elif prop.name == "zombies_reaped":
            assert _stuck_forever(kernel, current)
        else:
            raise AssertionError(prop.name)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_programs(text: str) -> None:
    first = check_text(text, "random.proc")
    assert not first.errors, (text, first.errors)
    assert first.complete
    second = check_text(text, "random.proc")
    first.seconds = second.seconds = 0.0
    assert render_file(first) == render_file(second)
    check_replays(text, first)
    # With fork, exit and wait alone every sleeper is a parent whose child can
    # still exit, so no deadlock is reachable (LANGUAGE.md no_deadlock).
    assert not any(p.name == "no_deadlock" and p.status == VIOLATED for p in first.properties)
