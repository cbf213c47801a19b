"""The explored state graph (`forkcheck graph`): every state a box listing
its tasks, every step an edge naming the task and the statement; the states
where a property fails in red, and the counterexample paths in bold red."""

from __future__ import annotations

import itertools
from html import escape

import graphviz

from checker.engines.explicit import Exploration
from checker.kernel.model import Kernel
from checker.kernel.state import DEFAULT_INIT, State, image_name
from checker.lang import ir
from checker.render.text import show_value, step_text
from checker.render.timeline import FONT, VIOLATION, plain, short, title_label
from checker.render.tree import FILLS

PATH_COLOUR = VIOLATION


def state_lines(s: State, scenario: ir.ScenarioIR) -> list[str]:
    """One line per task (`2 S main :7` = pid, ps state, program, the line
    of its next statement), then the shared variables of each address
    space: enough to tell two states of a small scenario apart."""
    programs = [p.name for p in scenario.programs]
    lines = []
    shown_mm: set[int] = set()
    for t in s.tasks:
        where = ""
        if t.prog != DEFAULT_INIT and t.pc >= 0:
            where = f" :{scenario.programs[t.prog].code[t.pc].pos.line}"
        lines.append(f"{t.pid} {t.state} {image_name(t, programs)}{where}")
        if t.mm >= 0 and t.mm not in shown_mm and t.prog != DEFAULT_INIT:
            shown_mm.add(t.mm)
            names = scenario.programs[t.prog].var_names
            values = s.mems[t.mm]
            pairs = [f"{n}={show_value(v)}" for n, v in zip(names, values, strict=False)]
            if pairs:
                lines.append("  " + short(" ".join(pairs), 40))
    return lines


def state_graph_dot(
    ex: Exploration, kernel: Kernel, scenario: ir.ScenarioIR, title: str, subtitle: str
) -> str:
    """The dot source of an explored graph (the explorer must have kept it)."""
    states = ex.states
    bad = {v.state: name for name, v in sorted(ex.violations.items())}
    on_path: set[tuple[int, int]] = set()
    for v in ex.violations.values():
        p = ex.path(v.state)
        on_path.update(itertools.pairwise(p))
    terminals = set(ex.terminals)
    g = graphviz.Digraph("states")
    g.attr(
        label=title_label(title, subtitle, legend=False),
        labelloc="t",
        labeljust="l",
        fontname=FONT,
        fontsize="12",
        bgcolor="white",
        ranksep="0.35",
    )
    g.attr("node", fontname=FONT, fontsize="9", shape="box", style="rounded,filled")
    g.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.6", color="#616161")
    programs = tuple(p.name for p in scenario.programs)
    for i, s in enumerate(states):
        rows = "<BR ALIGN='LEFT'/>".join(escape(x) for x in state_lines(s, scenario))
        head = f"<B>#{i}</B>" + (" initial" if i == 0 else "") + (" end" if i in terminals else "")
        attrs = {"fillcolor": "#ffffff", "color": "#616161"}
        if i in bad:
            attrs = {"fillcolor": "#ffcdd2", "color": VIOLATION, "penwidth": "2"}
            head += f" <FONT COLOR='{VIOLATION}'>{escape(bad[i])}</FONT>"
        elif i in terminals:
            attrs["fillcolor"] = FILLS["S"]
        if i == 0:
            attrs["peripheries"] = "2"
        g.node(f"s{i}", f"<{head}<BR ALIGN='LEFT'/>{rows}<BR ALIGN='LEFT'/>>", **attrs)
    for i, s in enumerate(states):
        if i + 1 >= len(ex.starts):
            break
        succ = ex.targets[ex.starts[i] : ex.starts[i + 1]]
        if not len(succ):
            continue
        labels: dict[State, str] = {}
        for step in kernel.steps(s):
            if type(step.target) is State:
                labels.setdefault(step.target, plain(f"{step.pid}: {short(step_text(step), 24)}"))
        for j in succ:
            attrs = {"label": labels.get(states[j], "")}
            if (i, j) in on_path:
                attrs.update(color=PATH_COLOUR, fontcolor=PATH_COLOUR, penwidth="2.2")
            g.edge(f"s{i}", f"s{j}", **attrs)
    # steps that fail (a false assert): a red end for each
    for name, v in sorted(ex.violations.items()):
        if v.failure is None:
            continue
        who = next((t for t in states[v.state].tasks if t.pid == v.failure.pid), None)
        label = f"{v.failure.pid} ({image_name(who, programs)})" if who else str(v.failure.pid)
        g.node(
            f"fail_{name}",
            plain(f"✗ {name}"),
            fillcolor=VIOLATION,
            fontcolor="#ffffff",
            color=VIOLATION,
        )
        g.edge(
            f"s{v.state}",
            f"fail_{name}",
            label=plain(f"{label}: {short(v.message, 24)}"),
            color=PATH_COLOUR,
            fontcolor=PATH_COLOUR,
            penwidth="2.2",
        )
    return g.source
