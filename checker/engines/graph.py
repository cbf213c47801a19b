"""Graph algorithms on the explored state graph (stored as flat arrays)."""

from __future__ import annotations

from array import array
from collections.abc import Sequence


def reachable_meet(
    starts: Sequence[int], targets: Sequence[int], values: Sequence[int], ends: Sequence[int]
) -> list[int | None]:
    """For every node, the bitwise AND of `values` over the nodes of its
    continuations (itself included), counting only continuations that go on
    forever or stop at an `ends` node; None for a node all of whose
    continuations stop elsewhere (at a dead end that is not an end).

    Node i's out-edges are targets[starts[i]:starts[i + 1]]. Iterative
    Tarjan: strongly connected components complete in reverse topological
    order, so a component's successors are final when it is.
    """
    n = len(values)
    index = array("l", [-1]) * n
    low = array("l", [0]) * n
    comp = array("l", [-1]) * n
    on_stack = bytearray(n)
    comp_value: list[int | None] = []
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
            valid = len(members) > 1  # a cycle goes on forever
            for m in members:
                acc &= values[m]
                if ends[m]:
                    valid = True
                for e in range(starts[m], starts[m + 1]):
                    cw = comp[targets[e]]
                    if cw == c:
                        valid = True  # a self-loop
                        continue
                    succ = comp_value[cw]
                    if succ is not None:
                        valid = True
                        acc &= succ
            comp_value.append(acc if valid else None)
    return [comp_value[comp[i]] for i in range(n)]
