"""The process tree of one state (tree.svg): who is whose child, with ps
state letters; the threads of a process drawn together in one box."""

from __future__ import annotations

from html import escape

import graphviz

from checker.kernel.state import State, get, image_name
from checker.render.style import FONT, STATES, VIOLATION, tip, titled_graph
from checker.results import Trace

# lighter fills for the state colours of the timeline, so the text reads
FILLS = {
    "R": "#c8e6c9",
    "S": "#bbdefb",
    "D": "#e1bee7",
    "T": "#ffe0b2",
    "Z": "#d7ccc8",
}


def state_at(trace: Trace, step: int | None) -> State:
    """The state after step `step` of the trace (0: the initial state;
    None: the end of the trace, where the property fails)."""
    if step is None:
        return trace.final_state()
    if not 0 <= step <= len(trace.steps):
        n = len(trace.steps)
        has = f"steps 1 to {n}" if n else "no steps: only --step 0, its initial state"
        raise ValueError(f"step {step} is not in the trace (it has {has})")
    return trace.states()[step]


def tree_dot(
    s: State,
    programs: tuple[str, ...],
    title: str,
    subtitle: str = "",
    marked: tuple[int, ...] = (),
) -> str:
    """The dot source of the process tree of `s`. Edges go from each task's
    real parent (task_struct.real_parent) to it; `marked` tasks (the one
    that took the step shown) get a red border."""
    # a tree shows no gone task: its legend leaves the colour out
    g = titled_graph(
        "tree", title, subtitle, gone=False, rankdir="TB", nodesep="0.3", ranksep="0.4"
    )
    g.attr("node", fontname=FONT, fontsize="10", shape="box", style="rounded,filled")
    g.attr("edge", arrowsize="0.6")
    groups: dict[int, list[int]] = {}
    for t in s.tasks:
        groups.setdefault(t.tgid, []).append(t.pid)
    for tgid, members in groups.items():
        if len(members) > 1:
            with g.subgraph(name=f"cluster_{tgid}") as c:
                c.attr(label=f"process {tgid} (threads {', '.join(map(str, members))})")
                c.attr(style="rounded,dashed", color="#757575", fontsize="9", fontname=FONT)
                for pid in members:
                    _task_node(c, s, pid, programs, marked)
        else:
            _task_node(g, s, members[0], programs, marked)
    for t in s.tasks:
        if t.ppid and get(s.tasks, t.ppid) is not None and t.tgid == t.pid:
            g.edge(f"t{t.ppid}", f"t{t.pid}")
        elif t.ppid and get(s.tasks, t.ppid) is not None:
            # a thread: the leader's parent is its parent too (CLONE_THREAD);
            # drawn faintly, the box already says whose thread it is
            g.edge(f"t{t.ppid}", f"t{t.pid}", style="dotted", color="#9e9e9e")
    return g.source


def _task_node(
    g: graphviz.Digraph, s: State, pid: int, programs: tuple[str, ...], marked: tuple[int, ...]
) -> None:
    t = get(s.tasks, pid)
    assert t is not None
    name = escape(image_name(t, programs))
    what = STATES[t.state][0] + (", subreaper" if t.subreaper else "")
    label = f"<<B>{pid}</B> {name}<BR/><FONT POINT-SIZE='9'>{escape(what)}</FONT>>"
    border = VIOLATION if pid in marked else STATES[t.state][1]
    g.node(
        f"t{pid}",
        label,
        fillcolor=FILLS[t.state],
        color=border,
        penwidth="2.5" if pid in marked else "1.2",
        tooltip=tip(f"pid {pid} ({image_name(t, programs)}): {what}"),
    )
