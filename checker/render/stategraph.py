"""The explored state graph (`forkcheck graph`): every state a box listing
its tasks, every step an edge naming the task and the statement; the states
where a property fails in red (all of them, not only the first the check
reports), and the counterexample paths in bold red."""

from __future__ import annotations

import itertools
from html import escape

from checker.engines.explicit import Exploration
from checker.kernel.model import Failure, Kernel, Step
from checker.kernel.state import DEFAULT_INIT, State, image_name
from checker.lang import ir
from checker.lang.pyexpr import Unset
from checker.props.suite import PropertySuite
from checker.render.style import FONT, VIOLATION, plain, short, titled_graph
from checker.render.text import show_value, step_text
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


def failing_here(
    ex: Exploration, suite: PropertySuite, steps_of: list[list[Step]]
) -> tuple[dict[int, list[str]], list[tuple[int, str, Failure]]]:
    """Every state where a property fails (not only the first found, which
    is what the check reports), and every failing step (a false assert)
    among `steps_of` (each expanded state's steps):
    (state -> property names, [(state, property, failure)])."""
    bad: dict[int, list[str]] = {}
    steps: list[tuple[int, str, Failure]] = []
    terminals = set(ex.terminals)
    for i, s in enumerate(ex.states):
        names = []
        checks = suite.state_checks + (suite.terminal_checks if i in terminals else [])
        for name, check in checks:
            try:
                if name not in names and check(s) is not None:
                    names.append(name)
            except Unset:
                continue
        if i < len(steps_of):  # expanded: its failing steps
            for step in steps_of[i]:
                target = step.target
                if type(target) is Failure:
                    steps.append((i, target.property, target))
                    if target.property not in names:
                        names.append(target.property)
        if names:
            bad[i] = names
    for name, v in ex.violations.items():  # zombies_reaped: a property of the graph
        if v.failure is None and name not in bad.get(v.state, []):
            bad.setdefault(v.state, []).append(name)
    return bad, steps


def state_graph_dot(
    ex: Exploration, kernel: Kernel, suite: PropertySuite, title: str, subtitle: str
) -> str:
    """The dot source of an explored graph (the explorer must have kept it)."""
    scenario = suite.scenario
    states = ex.states
    # each expanded state's steps, once: for the failing ones and the labels
    steps_of = [kernel.steps(states[i]) for i in range(min(len(states), len(ex.starts) - 1))]
    bad, failing_steps = failing_here(ex, suite, steps_of)
    on_path: set[tuple[int, int]] = set()
    for v in ex.violations.values():
        # a lasso's whole run (its loop too), else the shortest path
        p = v.run.path if v.run is not None else ex.path(v.state)
        on_path.update(itertools.pairwise(p))
    terminals = set(ex.terminals)
    g = titled_graph("states", title, subtitle, legend=False, ranksep="0.35")
    g.attr("node", fontname=FONT, fontsize="9", shape="box", style="rounded,filled")
    g.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.6", color="#616161")
    programs = tuple(p.name for p in scenario.programs)
    for i, s in enumerate(states):
        rows = "<BR ALIGN='LEFT'/>".join(escape(x) for x in state_lines(s, scenario))
        head = f"<B>#{i}</B>" + (" initial" if i == 0 else "") + (" end" if i in terminals else "")
        attrs = {"fillcolor": "#ffffff", "color": "#616161"}
        if i in bad:
            attrs = {"fillcolor": "#ffcdd2", "color": VIOLATION, "penwidth": "2"}
            head += f" <FONT COLOR='{VIOLATION}'>{escape(', '.join(bad[i]))}</FONT>"
        elif i in terminals:
            attrs["fillcolor"] = FILLS["S"]
        if i == 0:
            attrs["peripheries"] = "2"
        g.node(f"s{i}", f"<{head}<BR ALIGN='LEFT'/>{rows}<BR ALIGN='LEFT'/>>", **attrs)
    for i, steps in enumerate(steps_of):
        succ = ex.targets[ex.starts[i] : ex.starts[i + 1]]
        if not len(succ):
            continue
        # the steps into each target, in the order the explorer kept them
        labels: dict[State, list[str]] = {}
        for step in steps:
            if type(step.target) is State:
                text = plain(f"{step.pid}: {short(step_text(step), 24)}")
                labels.setdefault(step.target, []).append(text)
        for j in succ:
            queue = labels.get(states[j], [])
            attrs = {"label": queue.pop(0) if queue else ""}
            if (i, j) in on_path:
                attrs.update(color=PATH_COLOUR, fontcolor=PATH_COLOUR, penwidth="2.2")
            g.edge(f"s{i}", f"s{j}", **attrs)
    # steps that fail (a false assert): a red end for each
    for k, (i, name, failure) in enumerate(failing_steps):
        who = next((t for t in states[i].tasks if t.pid == failure.pid), None)
        label = f"{failure.pid} ({image_name(who, programs)})" if who else str(failure.pid)
        g.node(
            f"fail{k}",
            plain(f"✗ {name}"),
            fillcolor=VIOLATION,
            fontcolor="#ffffff",
            color=VIOLATION,
        )
        g.edge(
            f"s{i}",
            f"fail{k}",
            label=plain(f"{label}: {short(failure.message, 24)}"),
            color=PATH_COLOUR,
            fontcolor=PATH_COLOUR,
            penwidth="2.2" if ex.violations.get(name) and ex.violations[name].state == i else "1",
        )
    return g.source


def graph_subtitle(ex: Exploration) -> str:
    text = f"{len(ex.states):,} states, {ex.transitions:,} transitions"
    if ex.violations:
        text += (
            "; red: the states where " + ", ".join(sorted(ex.violations)) + " fails"
            "; bold red: the shortest path to the first one found"
        )
    if not ex.complete:
        text += f"; incomplete: stopped by {ex.stop}"
    return text
