"""The explicit-state explorer: breadth-first, exhaustive, with stored states.

Every state is stored once (a dict from State to its index; BFS order is
index order), with the index of the state it was first reached from, so the
path to any state is a shortest one and the first violation of a property
found is a shortest counterexample. Successors come in a fixed order (tasks
by pid, branches in source order), so a run is deterministic.

`zombies_reaped` needs the whole graph: the edges are kept in two flat
arrays and handed to checker/props/zombies.py once exploration ends. They
are also kept when asked (`keep_graph`), for `forkcheck graph`.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from checker.kernel.model import Failure, Incomplete, Kernel, ModelError, Pruned
from checker.kernel.state import State
from checker.lang.pyexpr import EvalError, Unset
from checker.props.liveness import Graph, LivenessError, Run, check_liveness
from checker.props.suite import PropertySuite
from checker.props.zombies import first_stuck_zombie

DEFAULT_MAX_STATES = 2_000_000


@dataclass
class Violation:
    property: str
    message: str
    state: int  # last state of the counterexample (for a failure: the state before it)
    failure: Failure | None = None  # the failing step, for `assertions`
    then: State | None = None  # the step's target, for a property of steps
    run: Run | None = None  # a liveness counterexample: the whole run (a lasso, or one that ends)


class PropertyError(Exception):
    """A property that cannot be evaluated in some reachable state (it reads
    a value that does not exist there). `path` is a shortest path of states
    from the initial state to that one."""

    def __init__(self, name: str, message: str, path: list[State]):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.path = path


@dataclass
class Exploration:
    kernel: Kernel
    states: list[State] = field(default_factory=list)
    parent: array = field(default_factory=lambda: array("l"))
    depth: array = field(default_factory=lambda: array("l"))
    transitions: int = 0
    complete: bool = True
    stop: str | None = None  # why it is incomplete: "max_states" or "max_depth"
    violations: dict[str, Violation] = field(default_factory=dict)
    terminals: list[int] = field(default_factory=list)
    seconds: float = 0.0
    bound: int | None = None  # the symbolic engine's: the depth it searched
    # with the graph kept: state i's successors are targets[starts[i]:starts[i + 1]]
    starts: array = field(default_factory=lambda: array("l"))
    targets: array = field(default_factory=lambda: array("l"))
    # with liveness properties: the task of each edge, the tasks able to
    # step in each expanded state
    edge_pids: array = field(default_factory=lambda: array("l"))
    enabled: list[frozenset[int]] = field(default_factory=list)

    @property
    def max_depth(self) -> int:
        return self.depth[-1]  # breadth-first: the last state stored is a deepest one

    def path(self, index: int) -> list[int]:
        """State indices from the initial state to `index`."""
        out = [index]
        while self.parent[out[-1]] >= 0:
            out.append(self.parent[out[-1]])
        out.reverse()
        return out


Progress = Callable[[int, int, int], None]  # states, transitions, depth


def explore(
    kernel: Kernel,
    suite: PropertySuite,
    max_states: int = 0,
    max_depth: int = 0,
    progress: Progress | None = None,
    keep_graph: bool = False,
    initial: State | None = None,
) -> Exploration:
    """Explore every reachable state (up to the bounds) and check `suite`;
    with `keep_graph`, keep the edges (ex.starts, ex.targets). `initial`
    starts somewhere else than the scenario's initial state (replay)."""
    started = time.perf_counter()
    ex = Exploration(kernel)
    limit = max_states or DEFAULT_MAX_STATES
    states, parent, depth = ex.states, ex.parent, ex.depth
    index: dict[State, int] = {}
    violations = ex.violations
    state_checks = suite.state_checks
    step_checks = suite.step_checks
    terminal_checks = suite.terminal_checks
    live = bool(suite.liveness)
    keep_graph = keep_graph or suite.zombies or live
    starts = ex.starts
    targets = ex.targets
    edge_pids = ex.edge_pids
    enabled = ex.enabled
    cut = bytearray()  # 1: a bound stopped its expansion
    fails = bytearray()  # 1: one of its steps fails (a real path ends in an error)
    moves = bytearray()  # 1: it had some successor, a failing or pruned one included

    def add(s: State, from_index: int, d: int) -> int:
        i = len(states)
        index[s] = i
        states.append(s)
        parent.append(from_index)
        depth.append(d)
        cut.append(0)
        fails.append(0)
        moves.append(0)
        for name, check in state_checks:
            if name in violations:
                continue
            try:
                message = check(s)
            except (Unset, EvalError) as err:
                raise PropertyError(name, str(err), [states[j] for j in ex.path(i)]) from None
            if message is not None:
                violations[name] = Violation(name, message, i)
        return i

    add(initial if initial is not None else kernel.initial(), -1, 0)
    successors = kernel.successors
    moves_of = kernel.moves
    step_pids: list[int] = []
    head = 0
    next_report = 10_000
    while head < len(states):
        s = states[head]
        d = depth[head]
        if keep_graph:
            starts.append(len(targets))
        try:
            if live:
                pairs = moves_of(s)
                succ = [target for _, target in pairs]
                step_pids = [pid for pid, _ in pairs]
                # able to step: any step, one cut by `assume` included (its
                # fair step ends the run, which is then not judged)
                enabled.append(frozenset(pid for pid, _ in pairs))
            else:
                succ = successors(s)
        except Incomplete as err:
            ex.complete, ex.stop = False, str(err)
            cut[head] = 1
            break
        except ModelError as err:
            # a mistake in the scenario that this state shows: with its trace
            err.path = [states[j] for j in ex.path(head)]
            raise
        if max_depth and d >= max_depth and succ:
            # at the bound: not expanded (a state with no successor is still a
            # terminal state, judged below)
            ex.complete, ex.stop = False, "max_depth"
            cut[head] = 1
            head += 1
            continue
        ex.transitions += len(succ)
        moved = False
        for k, target in enumerate(succ):
            if type(target) is State:
                moved = True
                for name, step_check in step_checks:
                    if name not in violations:
                        message = step_check(s, target)
                        if message is not None:
                            violations[name] = Violation(name, message, head, then=target)
                j = index.get(target)
                if j is None:
                    if len(states) >= limit:
                        ex.complete, ex.stop = False, "max_states"
                        cut[head] = 1
                        continue
                    j = add(target, head, d + 1)
                if keep_graph:
                    targets.append(j)
                    if live:
                        edge_pids.append(step_pids[k])
            elif type(target) is Failure:
                moved = True
                moves[head] = fails[head] = 1
                if target.property not in violations:
                    violations[target.property] = Violation(
                        target.property, target.message, head, target
                    )
            else:
                assert type(target) is Pruned
                moved = True
                moves[head] = 1
        if not moved:
            ex.terminals.append(head)
            for name, check in terminal_checks:
                if name in violations:
                    continue
                try:
                    message = check(s)
                except (Unset, EvalError) as err:
                    raise PropertyError(
                        name, str(err), [states[j] for j in ex.path(head)]
                    ) from None
                if message is not None:
                    violations[name] = Violation(name, message, head)
        head += 1
        if progress is not None and len(states) >= next_report:
            next_report = len(states) + 10_000
            progress(len(states), ex.transitions, d)
        if ex.stop == "max_states":
            break
    if keep_graph:
        while len(starts) < len(states):  # states never expanded (a bound stopped us)
            starts.append(len(targets))
            cut[len(starts) - 1] = 1
        starts.append(len(targets))
    if live:
        _judge_liveness(ex, suite, cut)
    if suite.zombies:
        found = first_stuck_zombie(suite.scenario, ex.states, starts, targets, cut, fails, moves)
        if found is not None:
            ex.violations["zombies_reaped"] = Violation("zombies_reaped", found[1], found[0])
    ex.seconds = time.perf_counter() - started
    return ex


def _judge_liveness(ex: Exploration, suite: PropertySuite, cut: bytearray) -> None:
    states = ex.states
    expanded = [i < len(ex.enabled) and not cut[i] for i in range(len(states))]
    terminal = bytearray(len(states))
    for i in ex.terminals:
        terminal[i] = 1
    enabled = ex.enabled + [frozenset()] * (len(states) - len(ex.enabled))
    graph = Graph(
        states,
        ex.starts,
        ex.targets,
        ex.edge_pids,
        enabled,
        [bool(x) for x in terminal],
        expanded,
        ex.path,
    )
    try:
        found = check_liveness(suite, graph)
    except LivenessError as err:
        raise PropertyError(
            err.name, err.message, [states[j] for j in ex.path(err.state)]
        ) from None
    for f in found:
        ex.violations[f.name] = Violation(f.name, f.message, f.run.path[-1], run=f.run)
