"""Liveness: `eventually`, `leadsto` and zombies_eventually_reaped, judged on
the explored graph under fairness (LANGUAGE.md, docs/language.md).

A property fails when some run keeps a "waiting" condition forever: for
`eventually P`, P false from the start; for `leadsto P ~> Q`, Q false from a
state where P holds; for zombies_eventually_reaped, one pid a zombie from
some state on. The runs that count are those that end in a terminal state
and the infinite ones that are fair. So the search is: the region R of
states reachable from a trigger through waiting states only; a violation is
a terminal state in R, or a fair cycle in R, found as a strongly connected
component of R (Tarjan) that fairness allows:

- none: any cycle;
- weak (the default): a task enabled in every state of the cycle takes a
  step in it (a task that stays able to step eventually steps);
- strong: a task enabled in some state of the cycle takes a step in it;
  a component that is not fair is cut down to the states where no such
  task is enabled and searched again (the Emerson-Lei refinement).

A path cut by a failing `assert` or an `assume`, and a state a bound kept
from being expanded, take no part: the first is left to `assertions`, the
others are not runs we know.

The counterexample is a lasso: the shortest path from the initial state to
the trigger, on through R to the component (or the terminal state), then a
cycle in the component that returns to where it entered and is fair by
itself (it takes a step of every task the fairness asks for).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from checker.kernel.state import ZOMBIE, State, get
from checker.lang.pyexpr import EvalError, Unset
from checker.props.suite import Liveness, PropertySuite, task_name


@dataclass(frozen=True)
class Graph:
    """The explored graph as the explorer keeps it: state i's edges are
    starts[i]..starts[i + 1] into `targets`, taken by the task `pids[e]`;
    `enabled[i]` the tasks that can take a step in state i (a failing one
    included: a task that can only fail is still able to step)."""

    states: Sequence[State]
    starts: Sequence[int]
    targets: Sequence[int]
    pids: Sequence[int]
    enabled: Sequence[frozenset[int]]
    terminal: Sequence[bool]
    expanded: Sequence[bool]  # not cut by a bound
    path: Callable[[int], list[int]]  # a shortest path from the initial state

    def edges(self, i: int) -> range:
        return range(self.starts[i], self.starts[i + 1])


@dataclass(frozen=True)
class LivenessFailure:
    name: str
    message: str
    run: Run


class LivenessError(Exception):
    """A liveness property reads a value a reachable state does not have."""

    def __init__(self, name: str, message: str, state: int):
        super().__init__(message)
        self.name, self.message, self.state = name, message, state


def check_liveness(suite: PropertySuite, g: Graph) -> list[LivenessFailure]:
    """The first counterexample of each liveness property that fails."""
    out = []
    for prop in suite.liveness:
        found = _check(suite, prop, g)
        if found is not None:
            out.append(found)
    return out


def _truth(prop: Liveness, fn: Callable[[State], object], g: Graph) -> list[bool]:
    """P (or Q) in every state. A value a state does not have yet (a local
    not assigned yet) makes it false there: for `eventually` and `leadsto`,
    "no value yet" is "not yet" (docs/language.md)."""
    values = []
    for i, s in enumerate(g.states):
        try:
            values.append(bool(fn(s)))
        except Unset:
            values.append(False)
        except EvalError as err:
            raise LivenessError(prop.name, str(err), i) from None
    return values


def _check(suite: PropertySuite, prop: Liveness, g: Graph) -> LivenessFailure | None:
    n = len(g.states)
    if prop.kind == "eventually":
        assert prop.expr is not None
        p = _truth(prop, prop.expr, g)
        waiting = [not v for v in p]
        triggers = [0] if waiting[0] else []
        run = _search(g, triggers, waiting, suite.fairness)
        if run is None:
            return None
        how = _how(suite, run, g)
        return LivenessFailure(prop.name, f"`{prop.text}` never becomes true: {how}", run)
    if prop.kind == "leadsto":
        assert prop.expr is not None and prop.then is not None
        p = _truth(prop, prop.expr, g)
        q = _truth(prop, prop.then, g)
        waiting = [not v for v in q]
        triggers = [i for i in range(n) if p[i] and waiting[i]]
        run = _search(g, triggers, waiting, suite.fairness)
        if run is None:
            return None
        left, right = prop.text.split(" ~> ", 1)
        how = _how(suite, run, g)
        # the earliest state of the run from which Q never holds again (its
        # loop included): the trigger the search started from, or before it
        start = _waiting_from(prop, [g.states[i] for i in run.path], run.loop)
        assert start is not None, "the run the search found waits from its trigger"
        when = "in the initial state" if start == 0 else f"after step {start}"
        return LivenessFailure(
            prop.name,
            f"`{left}` holds {when}, and `{right}` never holds from there: {how}",
            run,
        )
    assert prop.kind == "zombies"
    zombie_pids = sorted({t.pid for s in g.states for t in s.tasks if t.state == ZOMBIE})
    best: tuple[Run, int] | None = None
    for pid in zombie_pids:
        waiting = [_is_zombie(s, pid) for s in g.states]
        triggers = [i for i in range(n) if waiting[i]]
        run = _search(g, triggers, waiting, suite.fairness)
        if run is not None and (best is None or len(run.path) < len(best[0].path)):
            best = (run, pid)
    if best is None:
        return None
    run, pid = best
    s = g.states[run.path[-1]]
    zombie = get(s.tasks, pid)
    assert zombie is not None
    parent = get(s.tasks, zombie.ppid)
    who = task_name(suite.scenario, parent) if parent is not None else f"pid {zombie.ppid}"
    how = _how(suite, run, g)
    threads = [t.pid for t in s.tasks if t.tgid == zombie.pid and t.pid != zombie.pid]
    if threads:
        # delay_group_leader: no wait reaps a leader while its threads live
        alive = ", ".join(map(str, threads))
        why = f"its thread{'s' if len(threads) > 1 else ''} {alive} never end{'s' if len(threads) == 1 else ''}, so no wait can reap it"
    else:
        why = f"its parent, {who}, never reaps it"
    return LivenessFailure(
        prop.name, f"{task_name(suite.scenario, zombie)} stays a zombie forever: {why}; {how}", run
    )


def _how(suite: PropertySuite, run: Run, g: Graph) -> str:
    loop, fairness = run.loop, suite.fairness
    if loop is None:
        stuck = suite.deadlock(g.states[run.path[-1]])
        # a run that ends with tasks left: say why none of them can step
        return f"the run ends ({stuck})" if stuck else "the run ends"
    if fairness == "none":
        return "the run loops forever"
    return f"the run loops forever, and the loop is fair ({fairness} fairness)"


def _is_zombie(s: State, pid: int) -> bool:
    t = get(s.tasks, pid)
    return t is not None and t.state == ZOMBIE


# ------------------------------------------------------------------ the search


@dataclass(frozen=True)
class Run:
    """A counterexample run: its states from the initial one, where its loop
    starts (path[loop] == path[-1]; None: it ends in a terminal state), and
    for each step the task that takes it when it matters for fairness (None:
    whichever step leads there)."""

    path: list[int]
    loop: int | None
    pids: list[int | None]


def _search(g: Graph, triggers: list[int], waiting: list[bool], fairness: str) -> Run | None:
    """A run that, from some trigger on, stays in waiting states and ends in
    a terminal state or a fair cycle, or None when there is none."""
    if not triggers:
        return None
    # the region: waiting states reachable from a trigger through waiting
    # states; breadth first, so `came` gives a shortest way in
    came: dict[int, int] = {}
    order: list[int] = []
    queue: deque[int] = deque()
    for t in sorted(triggers):
        if t not in came:
            came[t] = -1
            queue.append(t)
    while queue:
        i = queue.popleft()
        order.append(i)
        if not g.expanded[i]:
            continue
        for e in g.edges(i):
            j = g.targets[e]
            if waiting[j] and j not in came:
                came[j] = i
                queue.append(j)
    rank = {i: k for k, i in enumerate(order)}
    region = [i for i in order if g.expanded[i]]
    ends = [i for i in region if g.terminal[i]]
    cycles = _fair_components(g, region, fairness)
    # the nearest way out: a terminal state or a fair component
    best_end = min(ends, key=rank.__getitem__) if ends else None
    best_comp = None
    best_entry = None
    for comp in cycles:
        entry = min(comp, key=rank.__getitem__)
        if best_entry is None or rank[entry] < rank[best_entry]:
            best_comp, best_entry = comp, entry
    if best_end is None and best_entry is None:
        return None
    if best_entry is None or (best_end is not None and rank[best_end] <= rank[best_entry]):
        assert best_end is not None
        prefix = _lead_in(g, came, best_end)
        none: list[int | None] = [None] * (len(prefix) - 1)
        return Run(prefix, None, none)
    assert best_comp is not None and best_entry is not None
    prefix = _lead_in(g, came, best_entry)
    cycle = _fair_cycle(g, best_comp, best_entry, fairness)
    pids: list[int | None] = [None] * (len(prefix) - 1)
    pids += [pid for _, pid in cycle]
    return Run(prefix + [state for state, _ in cycle], len(prefix) - 1, pids)


def _lead_in(g: Graph, came: dict[int, int], target: int) -> list[int]:
    """The initial state to a trigger (a shortest path), then through the
    region to `target`."""
    inner = [target]
    while came[inner[-1]] != -1:
        inner.append(came[inner[-1]])
    inner.reverse()
    return g.path(inner[0]) + inner[1:]


def _components(g: Graph, nodes: list[int]) -> list[set[int]]:
    """The strongly connected components of the graph cut down to `nodes`."""
    inside = set(nodes)
    return [set(c) for c in _sccs(nodes, lambda i: _inner(g, i, inside))]


def _fair_components(g: Graph, region: list[int], fairness: str) -> list[set[int]]:
    """The strongly connected components of the region that hold a fair cycle."""
    out = []
    todo = _components(g, region)
    while todo:
        comp = todo.pop()
        if not _cyclic(g, comp):
            continue
        if fairness == "none":
            out.append(comp)
            continue
        stepped = {g.pids[e] for i in comp for e in g.edges(i) if g.targets[e] in comp}
        if fairness == "weak":
            always = frozenset.intersection(*(g.enabled[i] for i in comp))
            if always <= stepped:
                out.append(comp)
            continue
        # strong: a task enabled somewhere in the cycle must step in it
        unfair = set().union(*(g.enabled[i] for i in comp)) - stepped
        if not unfair:
            out.append(comp)
            continue
        todo += _components(g, [i for i in comp if not g.enabled[i] & unfair])
    return out


def _inner(g: Graph, i: int, nodes: set[int]) -> list[int]:
    return [g.targets[e] for e in g.edges(i) if g.targets[e] in nodes]


def _cyclic(g: Graph, comp: set[int]) -> bool:
    if len(comp) > 1:
        return True
    (i,) = comp
    return any(g.targets[e] == i for e in g.edges(i))


def _fair_cycle(
    g: Graph, comp: set[int], entry: int, fairness: str
) -> list[tuple[int, int | None]]:
    """A cycle in `comp` from `entry` back to it, fair by itself: its steps
    after `entry` (the state reached, the task that takes the step when it
    must be that one), ending at `entry`. It takes a step of each task the
    fairness asks for (and, for weak fairness, goes through a state where a
    task that never steps in the component is disabled). A step whose task
    is not named is taken, in the trace, by the task with the lowest pid
    whose step leads there, and fairness is judged on exactly that."""
    edges_of: dict[int, list[tuple[int, int]]] = {}
    for i in sorted(comp):
        for e in g.edges(i):
            j = g.targets[e]
            if j in comp:
                edges_of.setdefault(g.pids[e], []).append((i, j))
    stops: list[tuple[int, int, int] | int] = []  # steps to take, or states to visit
    while True:
        cycle = _tour(g, comp, entry, stops)
        if fairness == "none":
            return cycle
        on = [entry, *(state for state, _ in cycle)]
        taken = {
            pid if pid is not None else min(_pids_between(g, a, b))
            for a, (b, pid) in zip(on, cycle, strict=False)
        }
        if fairness == "weak":
            owed = set(frozenset.intersection(*(g.enabled[i] for i in on))) - taken
        else:
            owed = set().union(*(g.enabled[i] for i in on)) - taken
        if not owed:
            return cycle
        t = min(owed)
        if t in edges_of:
            a, b = edges_of[t][0]
            stops.append((a, b, t))
        else:  # weak: never steps in the component, so it is disabled somewhere
            stops.append(min(i for i in comp if t not in g.enabled[i]))


def _pids_between(g: Graph, a: int, b: int) -> set[int]:
    """The tasks whose step leads from state a to state b."""
    return {g.pids[e] for e in g.edges(a) if g.targets[e] == b}


def _tour(
    g: Graph, comp: set[int], entry: int, stops: list[tuple[int, int, int] | int]
) -> list[tuple[int, int | None]]:
    """From `entry` through each stop in turn (a step taken by a given
    task, or a state visited) and back to `entry`, by shortest paths inside
    `comp`; at least one step."""
    out: list[tuple[int, int | None]] = []
    here = entry
    for stop in stops:
        if isinstance(stop, tuple):
            a, b, pid = stop
            out += [(x, None) for x in _within(g, comp, here, a)]
            out.append((b, pid))
            here = b
        else:
            out += [(x, None) for x in _within(g, comp, here, stop)]
            here = stop
    if not out:  # leave entry by one step, so the cycle is not empty
        first = min(_inner(g, entry, comp))
        out.append((first, None))
        here = first
    out += [(x, None) for x in _within(g, comp, here, entry)]
    assert out[-1][0] == entry
    return out


def _within(g: Graph, comp: set[int], a: int, b: int) -> list[int]:
    """The states after `a` on a shortest path from a to b inside comp
    (empty when a == b)."""
    if a == b:
        return []
    came = {a: a}
    queue = deque([a])
    while queue:
        i = queue.popleft()
        for j in _inner(g, i, comp):
            if j not in came:
                came[j] = i
                if j == b:
                    path = [b]
                    while path[-1] != a:
                        path.append(came[path[-1]])
                    path.pop()
                    path.reverse()
                    return path
                queue.append(j)
    raise AssertionError("a component is strongly connected")


def _sccs(nodes: Iterable[int], succ: Callable[[int], list[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ(root)))]
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ(w))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


# ------------------------------------------------------------------ one given run


def run_fails(
    prop: Liveness,
    fairness: str,
    run: Sequence[State],
    loop: int | None,
    moves: Callable[[State], Sequence[tuple[int, object]]],
) -> str | None:
    """Why the given run breaks `prop`, or None if it does not: a lasso
    (run[-1] is run[loop] again, and the steps after `loop` repeat) or a run
    that ends (loop None: its last state must be terminal). `moves` gives a
    state's steps with their tasks (Kernel.moves), to judge fairness.
    This is what `forkcheck replay` and the tests use to check a printed
    counterexample on its own."""
    if loop is not None:
        if run[-1] != run[loop]:
            return None  # not a lasso: it does not return
        cycle = list(run[loop:])
        if len(cycle) < 2 or not _fair_run(cycle, fairness, moves):
            return None
    elif moves(run[-1]):
        return None  # it does not end there (a branch cut by `assume` is no end)
    tail_from = _waiting_from(prop, run, loop)
    if tail_from is None:
        return None
    if loop is None:
        return f"from step {tail_from} on it waits, and the run ends"
    steps = len(run) - 1
    fair = "" if fairness == "none" else f", a fair loop under {fairness} fairness"
    return f"from step {tail_from} on it waits forever: steps {loop + 1} to {steps} repeat{fair}"


def _holds(fn: Callable[[State], object] | None, s: State) -> bool:
    assert fn is not None
    try:
        return bool(fn(s))
    except Unset:
        return False


def _waiting_from(prop: Liveness, run: Sequence[State], loop: int | None) -> int | None:
    """The first index from which the run waits forever (to its end, or
    through its loop), as the property defines waiting; None if it does not."""
    last = len(run)
    first_needed = loop if loop is not None else last - 1
    if prop.kind == "eventually":
        return 0 if not any(_holds(prop.expr, s) for s in run) else None
    if prop.kind == "leadsto":
        for k, s in enumerate(run):
            # the loop repeats run[loop:]: waiting must last through it too
            since = min(k, loop) if loop is not None else k
            if _holds(prop.expr, s) and not any(_holds(prop.then, x) for x in run[since:]):
                return k
        return None
    pids = {t.pid for t in run[first_needed].tasks if t.state == ZOMBIE}
    for pid in sorted(pids):
        for k in range(first_needed + 1):
            if all(_is_zombie(s, pid) for s in run[k:]):
                return k
    return None


def _fair_run(
    cycle: list[State], fairness: str, moves: Callable[[State], Sequence[tuple[int, object]]]
) -> bool:
    """Whether repeating `cycle` (first state == last) forever is fair."""
    if fairness == "none":
        return True
    enabled: list[set[int]] = []
    taken: set[int] = set()
    for a, b in itertools.pairwise(cycle):
        steps = moves(a)
        enabled.append({pid for pid, _ in steps})
        taken |= {pid for pid, t in steps if t == b}
    if fairness == "weak":
        return set.intersection(*enabled) <= taken
    return set().union(*enabled) <= taken
