"""Counterexample timelines (trace.svg): one lane per task, one column per step.

`timeline()` reads a Trace into plain data (the lanes' states column by
column, what each step did, the arrows between lanes); `timeline_dot()`
writes that as a dot graph laid out left to right. Every lane is a chain of
nodes, one per column, held in place by invisible edges that order the
nodes of each column top to bottom; the lane's edges are coloured by the
task's state between two steps. Arrows between lanes (fork, signals, exit,
reaping, adoption) join two nodes of the same column and do not take part in
the layout (constraint=false), so the grid stays a grid whatever they cross.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.kernel import events as E
from checker.kernel.clone_flags import names as clone_flag_names
from checker.kernel.fork import THREAD_FLAGS, VFORK_FLAGS
from checker.kernel.state import get, image_name
from checker.lang.constants import ERRNO_NAMES, SIGCHLD, SIGNAL_NAMES
from checker.render.style import (
    FONT,
    GONE,
    LABEL_WIDTH,
    STATES,
    VIOLATION,
    plain,
    short,
    tip,
    titled_graph,
)
from checker.render.text import status_text, step_line, step_text
from checker.results import Trace

UNBORN = ""  # a lane's cell before its task is created

# arrow kinds: colour, style
ARROWS: dict[str, tuple[str, str]] = {
    "spawn": ("#000000", "solid"),
    "signal": ("#e65100", "solid"),
    "exit": ("#5d4037", "solid"),
    "reap": ("#1565c0", "solid"),
    "adopt": ("#757575", "dashed"),
    "vfork": ("#8e24aa", "dotted"),
    "kill": ("#c62828", "solid"),
}

LABEL_EVERY = 20  # columns between the lane names repeated inside a long picture


@dataclass(frozen=True)
class Action:
    """What step `column` ran: the task, a short text for its box, the whole
    step as the trace prints it, and whether it is the violating step."""

    column: int
    pid: int
    text: str
    tooltip: str
    violating: bool


@dataclass(frozen=True)
class Arrow:
    column: int
    src: int
    dst: int
    label: str
    kind: str  # a key of ARROWS


@dataclass(frozen=True)
class Timeline:
    title: str
    subtitle: str
    pids: tuple[int, ...]  # lanes, top to bottom (pid order)
    labels: tuple[str, ...]  # `pid program`, per lane, as it began
    ends: tuple[str, ...]  # `pid program`, per lane, as it ended (after an exec)
    # cells[k][lane]: the task's state after step k (k = 0: the initial
    # state), a ps letter, GONE or UNBORN
    cells: tuple[tuple[str, ...], ...]
    # execs[k][lane]: the program it runs from step k on, when step k
    # changed it (exec, or a thread taking over the leader's pid), else ""
    execs: tuple[tuple[str, ...], ...]
    actions: tuple[Action, ...]
    arrows: tuple[Arrow, ...]
    loop: int | None = None  # a lasso: steps loop+1 .. n repeat forever


def sig_short(sig: int) -> str:
    return SIGNAL_NAMES.get(sig, f"signal {sig}").removeprefix("SIG")


def timeline(
    trace: Trace, programs: tuple[str, ...], title: str, violating: bool = True
) -> Timeline:
    """The lanes of `trace`. With `violating`, its last step is the one
    that breaks the property (highlighted)."""
    states = trace.states()
    pids = sorted({t.pid for s in states for t in s.tasks})
    cells: list[tuple[str, ...]] = []
    execs: list[tuple[str, ...]] = []
    born: set[int] = set()
    shown: dict[int, str] = {}
    labels: dict[int, str] = {}
    for s in states:
        row, progs = [], []
        for pid in pids:
            t = get(s.tasks, pid)
            if t is None:
                row.append(GONE if pid in born else UNBORN)
                progs.append("")
                continue
            born.add(pid)
            name = image_name(t, programs)
            labels.setdefault(pid, f"{pid} {name}")
            progs.append(name if pid in shown and shown[pid] != name else "")
            shown[pid] = name
            row.append(t.state)
        cells.append(tuple(row))
        execs.append(tuple(progs))
    n = len(trace.steps)
    violating = violating and not trace.liveness  # a whole run fails, not one step
    actions = tuple(
        Action(
            step.number,
            step.pid,
            _box_text(step.events, step_text(step)),
            step_line(step),
            violating and step.number == n,
        )
        for step in trace.steps
    )
    arrows: list[Arrow] = []
    for step in trace.steps:
        arrows += _arrows(step.number, step.pid, step.events)
    subtitle = trace.message
    return Timeline(
        title,
        subtitle,
        tuple(pids),
        tuple(labels[p] for p in pids),
        tuple(f"{p} {shown[p]}" for p in pids),
        tuple(cells),
        tuple(execs),
        actions,
        tuple(arrows),
        trace.loop,
    )


def _box_text(events: tuple[E.Event, ...], text: str) -> str:
    """The statement, shortened; a call that failed says with what errno."""
    for ev in events:
        if isinstance(ev, (E.Failed, E.ExecFailed, E.ForkFailed)):
            suffix = f" → {ERRNO_NAMES.get(ev.errno, ev.errno)}"
            return short(text, LABEL_WIDTH - len(suffix)) + suffix
    return short(text)


def _arrows(column: int, pid: int, events: tuple[E.Event, ...]) -> list[Arrow]:
    """The arrows between lanes that one step draws."""
    out: list[Arrow] = []
    said = {(ev.sender, ev.pid) for ev in events if isinstance(ev, E.SignalSent) and ev.sender}
    for ev in events:
        if isinstance(ev, E.Forked):
            out.append(Arrow(column, pid, ev.child, "fork", "spawn"))
        elif isinstance(ev, E.Cloned):
            out.append(Arrow(column, pid, ev.child, _clone_label(ev), "spawn"))
        elif isinstance(ev, E.ParentNotified):
            # exit_notify -> do_notify_parent: the exit signal to the parent
            # (drawn from the SignalSent, with what became of it, when there is one)
            if (ev.child, ev.parent) not in said:
                label = _signal_label(ev.sig, ev.result)
                out.append(Arrow(column, ev.child, ev.parent, label, "exit"))
        elif isinstance(ev, E.SignalSent):
            src = ev.sender or pid
            kind = "exit" if ev.sender else "signal"
            if src != ev.pid:
                out.append(Arrow(column, src, ev.pid, _signal_label(ev.sig, ev.result), kind))
        elif isinstance(ev, E.GroupExit):
            out += [Arrow(column, pid, p, "KILL", "kill") for p in ev.threads]
        elif isinstance(ev, E.Execed):
            out += [Arrow(column, pid, p, "de_thread", "kill") for p in ev.killed]
        elif isinstance(ev, E.Reaped):
            out.append(Arrow(column, pid, ev.child, f"reaped: {status_text(ev.status)}", "reap"))
        elif isinstance(ev, E.ChildReported):
            out.append(Arrow(column, pid, ev.child, f"wait: {status_text(ev.status)}", "reap"))
        elif isinstance(ev, E.Reparented):
            out += [Arrow(column, c, ev.reaper, "adopted", "adopt") for c in ev.children]
        elif isinstance(ev, E.VforkDone):
            out.append(Arrow(column, pid, ev.parent, "vfork done", "vfork"))
    return out


def _signal_label(sig: int, result: str) -> str:
    """`CHLD`, or `CHLD (dropped)`, `USR1 (lost)` when it was not queued."""
    if result.startswith("pending") or result in ("delivered", "sent"):
        return sig_short(sig)
    return f"{sig_short(sig)} ({result.split(':')[0]})"


def _clone_label(ev: E.Cloned) -> str:
    """`vfork`, `thread` for what those calls pass (kernel/fork.c vfork,
    glibc's pthread_create), else the flags and the exit signal the child
    really has (CLONE_PARENT gives it its creator's): `child: PARENT (exit: CHLD)`."""
    if ev.flags == VFORK_FLAGS and ev.exit_signal == SIGCHLD:
        return "vfork"
    if ev.flags == THREAD_FLAGS:
        return "thread"
    flags = "|".join(n.removeprefix("CLONE_") for n in clone_flag_names(ev.flags)) or "0"
    if ev.exit_signal > 0:
        return f"{ev.what}: {flags} (exit: {sig_short(ev.exit_signal)})"
    if ev.exit_signal == 0:
        return f"{ev.what}: {flags} (no exit signal)"
    return f"{ev.what}: {flags}"  # a thread: -1, it notifies nobody


# ------------------------------------------------------------------ dot


def _node(k: int, pid: int) -> str:
    return f"c{k}_{pid}"


def timeline_dot(tl: Timeline) -> str:
    """The dot source of a timeline (deterministic: same trace, same text)."""
    g = titled_graph(
        "timeline",
        tl.title,
        tl.subtitle,
        rankdir="LR",
        nodesep="0.18",
        ranksep="0.15",
        outputorder="edgesfirst",
    )
    g.attr("node", fontname=FONT, fontsize="10")
    g.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.6")
    columns = len(tl.cells) + 1  # 0 .. n (after each step) and the end
    by_column = {a.column: a for a in tl.actions}
    for k in range(columns):
        with g.subgraph(name=f"col{k}") as col:
            col.attr(rank="same")
            head = "" if k in (0, columns - 1) else str(k)
            if tl.loop is not None and k == tl.loop + 1:
                head = f"↻ {k}"
            if tl.loop is not None and k == len(tl.actions):
                head = f"{k}, then ↻ {tl.loop + 1}"  # the steps from the ↻ repeat forever
            colour = VIOLATION if k in by_column and by_column[k].violating else "#000000"
            col.node(f"h{k}", head, shape="plaintext", fontcolor=colour)
            previous = f"h{k}"
            for lane, pid in enumerate(tl.pids):
                name = _node(k, pid)
                state = tl.cells[min(k, len(tl.cells) - 1)][lane]
                action = by_column.get(k)
                if k in (0, columns - 1):
                    # the lane's name at both ends: a long picture scrolls
                    label = tl.labels[lane] if k == 0 else tl.ends[lane]
                    col.node(name, plain(label), shape="plaintext", fontsize="11")
                elif action is not None and action.pid == pid:
                    fill = VIOLATION if action.violating else "#ffffff"
                    col.node(
                        name,
                        plain(action.text),
                        shape="box",
                        style="rounded,filled",
                        fillcolor=fill,
                        fontcolor="#ffffff" if action.violating else "#000000",
                        color=VIOLATION if action.violating else "#000000",
                        tooltip=tip(action.tooltip),
                        margin="0.05,0.02",
                        height="0.25",
                    )
                elif state == UNBORN:
                    col.node(name, "", shape="point", style="invis", width="0.01")
                elif k % LABEL_EVERY == 0:
                    # a wide picture names its lanes again now and then
                    col.node(
                        name,
                        "",
                        shape="point",
                        width="0.01",
                        color=STATES[state][1],
                        xlabel=plain(tl.labels[lane]),
                        fontcolor="#9e9e9e",
                        fontsize="8",
                    )
                else:
                    col.node(name, "", shape="point", width="0.01", color=STATES[state][1])
                col.edge(previous, name, style="invis")
                previous = name
            col.node(f"f{k}", head, shape="plaintext", fontcolor=colour)
            col.edge(previous, f"f{k}", style="invis")
    # the lanes
    for lane, pid in enumerate(tl.pids):
        for k in range(columns - 1):
            state = tl.cells[k][lane]
            attrs = {"arrowhead": "none", "weight": "100"}
            if state == UNBORN:
                attrs["style"] = "invis"
            elif state == GONE:
                attrs.update(color=STATES[GONE][1], style="dashed", penwidth="1.5")
            else:
                attrs.update(color=STATES[state][1], penwidth="6")
                attrs["tooltip"] = f"pid {pid}: {STATES[state][0]}"
            exec_to = tl.execs[k][lane] if k > 0 else ""
            action = by_column.get(k)
            if exec_to and (action is None or action.pid != pid):
                # a thread's exec took over this pid (de_thread): say what
                # the lane runs now (the exec'ing task's own box says it)
                attrs["label"] = plain(f"exec {exec_to}")
                attrs["fontcolor"] = "#000000"
            g.edge(_node(k, pid), _node(k + 1, pid), **attrs)
    for row in "hf":  # the step numbers above and below, kept in line
        for k in range(columns - 1):
            g.edge(f"{row}{k}", f"{row}{k + 1}", style="invis", weight="100")
    # what happened between lanes
    for a in tl.arrows:
        colour, style = ARROWS[a.kind]
        g.edge(
            _node(a.column, a.src),
            _node(a.column, a.dst),
            xlabel=plain(a.label),
            color=colour,
            fontcolor=colour,
            style=style,
            constraint="false",
        )
    return g.source
