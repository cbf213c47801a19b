"""zombies_reaped: in every reachable state, every zombie can still be reaped
by some continuation (LANGUAGE.md). It needs the whole state graph, which the
explicit engine hands over as flat arrays once it has explored it."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from checker.kernel.state import State, get
from checker.lang import ir
from checker.props.builtin import zombie_mask
from checker.props.suite import task_name


def first_stuck_zombie(
    scenario: ir.ScenarioIR,
    states: Sequence[State],
    starts: Sequence[int],
    targets: Sequence[int],
    cut: Sequence[int],
    fails: Sequence[int],
    moves: Sequence[int],
) -> tuple[int, str] | None:
    """The first state (in BFS order: one with a shortest path) with a zombie
    that stays a zombie on every continuation, and what to say about it.

    Which paths count (docs/language.md):
    - a path cut by a failed `assert` is a real execution up to the failure:
      a reaping on it counts, and a state from which every path fails is
      left to `assertions` rather than reported again;
    - a path cut by `assume` is discarded: it neither reaps nor is judged;
    - a path a bound cut off may still reap: nothing is claimed about it.

    `cut[i]`: a bound stopped state i's expansion; `fails[i]`: one of its
    steps fails; `moves[i]`: it had some successor (a failing or pruned one
    included); its edges are targets[starts[i]:starts[i + 1]].
    """
    values = [0 if cut[i] else zombie_mask(s) for i, s in enumerate(states)]
    ends = [
        1 if cut[i] or (starts[i] == starts[i + 1] and not moves[i]) else 0
        for i in range(len(states))
    ]
    for i, (mask, executes) in enumerate(reachable_meet(starts, targets, values, ends, fails)):
        if not mask or not executes:
            continue
        s = states[i]
        pid = (mask & -mask).bit_length() - 1
        zombie = get(s.tasks, pid)
        assert zombie is not None
        parent = get(s.tasks, zombie.ppid)
        who = task_name(scenario, parent) if parent else f"pid {zombie.ppid}"
        how = "the run ends here" if ends[i] else "no continuation reaps it"
        threads = [t.pid for t in s.tasks if t.tgid == zombie.pid and t.pid != zombie.pid]
        if threads:
            # delay_group_leader: no wait reaps a leader whose threads live
            alive = ", ".join(map(str, threads))
            why = f"its thread{'s' if len(threads) > 1 else ''} {alive} never end"
            if parent is not None and parent.state == "S":
                why += f", so the wait of its parent, {who}, cannot reap it"
        else:
            why = f"neither its parent, {who}, nor a reaper that adopts it waits for it"
        return i, (
            f"{task_name(scenario, zombie)} is a zombie that can never be reaped ({how}): {why}"
        )
    return None


def reachable_meet(
    starts: Sequence[int],
    targets: Sequence[int],
    values: Sequence[int],
    ends: Sequence[int],
    fails: Sequence[int],
) -> list[tuple[int | None, bool]]:
    """For every node, the bitwise AND of `values` over the nodes of its
    continuations (itself included), and whether an execution goes through
    it. Node i's out-edges are targets[starts[i]:starts[i + 1]].

    A path ends at an `ends` node (a terminal state, or a bound), goes on
    forever (a cycle), ends in a failing step (`fails`: the path up to it is
    real, but no execution goes on from it), or stops at a node with none of
    these and no edge: a discarded path (`assume`), which counts for nothing.
    A node all of whose paths are discarded gets None.

    Iterative Tarjan: strongly connected components complete in reverse
    topological order, so a component's successors are final when it is.
    """
    n = len(values)
    index = array("l", [-1]) * n
    low = array("l", [0]) * n
    comp = array("l", [-1]) * n
    on_stack = bytearray(n)
    comp_value: list[int | None] = []
    comp_exec = bytearray()
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work = [(root, starts[root])]
        while work:
            v, edge = work[-1]
            if edge < starts[v + 1]:
                work[-1] = (v, edge + 1)
                w = targets[edge]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, starts[w]))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] != index[v]:
                continue
            c = len(comp_value)
            members = []
            while True:
                w = stack.pop()
                on_stack[w] = 0
                comp[w] = c
                members.append(w)
                if w == v:
                    break
            acc = -1
            executes = len(members) > 1  # a cycle goes on forever
            real = executes
            for m in members:
                acc &= values[m]
                if ends[m]:
                    executes = real = True
                if fails[m]:
                    real = True
                for e in range(starts[m], starts[m + 1]):
                    cw = comp[targets[e]]
                    if cw == c:
                        executes = real = True  # a self-loop
                        continue
                    succ = comp_value[cw]
                    if succ is None:
                        continue  # a discarded continuation
                    real = True
                    acc &= succ
                    if comp_exec[cw]:
                        executes = True
            comp_value.append(acc if real else None)
            comp_exec.append(1 if executes else 0)
    return [(comp_value[comp[i]], bool(comp_exec[comp[i]])) for i in range(n)]
