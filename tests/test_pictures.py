"""Pictures: the timeline, the process tree and the state graph (their dot
text, the SVG `dot` makes of it), the `trace`, `tree` and `graph` commands,
and what `check --report` and the commands do when Graphviz is missing.

The golden tests compare the dot text of three small scenarios exactly with
the files in tests/golden/ (`<scenario>.trace.dot`, `.tree.dot`,
`.graph.dot`). After a deliberate change to the pictures, regenerate them
with

    FORKCHECK_UPDATE_GOLDEN=1 python3 -m pytest tests/test_pictures.py -k golden

and review the diff (`git diff tests/golden/`) before committing it. The
targeted tests below do not read the goldens: they check, on the parsed dot
text, what a reader of the picture relies on (lanes, boxes, arrows).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checker.cli import app, expand_argv
from checker.render.dot import have_dot, render
from checker.report import timeline_source, tree_source
from checker.results import Counterexample, FileResult, counterexamples
from checker.runner import check_text, explore_graph

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("FORKCHECK_UPDATE_GOLDEN") == "1"

ZOMBIE = "05_zombie_parent_spins"
VFORK_EXEC = "58_vfork_exec_fails_falls_through"
VFORK_KILLED = "67_vfork_parent_killed_by_sigterm"
GOLDEN_SCENARIOS = (ZOMBIE, VFORK_EXEC, VFORK_KILLED)
TWO_CX = "38_sigchld_reap_one_per_signal"  # zombies_reaped and no_deadlock
NO_CX = "01_fork_wait_sum"

RED = "#d32f2f"
SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

needs_dot = pytest.mark.skipif(not have_dot(), reason="Graphviz's dot is not installed")

# a clone with CLONE_PARENT (the child is main's, not its creator's) and two reaps
CLONE = """
    program main {
        b = fork {
            c = clone(CLONE_PARENT | SIGCHLD) { exit 2 }
            exit 0
        }
        w1 = wait()
        w2 = wait()
        assert false, "show the trace"
    }
"""
# a child that execs another program: its lane starts as main, ends as worker
EXEC = """
    program main {
        c = fork { exec worker }
        w = wait()
        assert w.code == 4, "wrong code"
    }
    program worker {
        exit 3
    }
"""
# an invariant false in the initial state: a counterexample of 0 steps
AT_START = """
    program main {
        exit 0
    }
    invariant no_main: forall T in tasks: T.pid != 2
"""
SYNTAX_ERROR = """
    program main {
        c = fork { exit 1 }
        w = wait(
    }
"""


# ------------------------------------------------------------------ helpers


def rel(stem: str) -> str:
    """The path a scenario is named by in titles (relative to the repository)."""
    return f"scenarios/{stem}.proc"


@cache
def checked(stem: str) -> FileResult:
    return check_text((ROOT / rel(stem)).read_text(encoding="utf-8"), rel(stem))


@cache
def checked_text(text: str, name: str) -> FileResult:
    return check_text(textwrap.dedent(text), name)


def first_cx(r: FileResult, name: str | None = None) -> Counterexample:
    found = counterexamples(r)
    assert found, f"{r.path}: no counterexample"
    if name is None:
        return found[0]
    return next(c for c in found if c.name == name)


def graph_source(stem: str, max_nodes: int = 500) -> str:
    """`explore_graph` reads the file by the path it names in the title, so
    it runs from the repository root."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        drawn = explore_graph(rel(stem), max_nodes)
    finally:
        os.chdir(cwd)
    assert drawn.source is not None, drawn
    return drawn.source


def sources(stem: str) -> dict[str, str]:
    r = checked(stem)
    cx = first_cx(r)
    return {
        "trace": timeline_source(r, cx),
        "tree": tree_source(r, cx),
        "graph": graph_source(stem),
    }


# A small reader of the dot text the graphviz package writes: one statement
# a line, `a [attrs]` or `a -> b [attrs]`, attribute values bare, "quoted"
# (with \" inside) or <HTML> (nested angle brackets).

_STMT = re.compile(r"^\s*(?P<a>\w+)(?:\s*->\s*(?P<b>\w+))?\s*(?:\[(?P<attrs>.*)\])?\s*$")


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        eq = text.index("=", i)
        key = text[i:eq].strip()
        i = eq + 1
        if text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            value = text[i + 1 : j].replace('\\"', '"')
            i = j + 1
        elif text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            value = text[i + 1 : j - 1]
            i = j
        else:
            j = i
            while j < n and text[j] not in " \t":
                j += 1
            value = text[i:j]
            i = j
        out[key] = value
    return out


class Dot:
    def __init__(self, source: str):
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        for line in source.splitlines():
            m = _STMT.match(line)
            if m is None or m["a"] in ("node", "edge", "graph"):
                continue
            attrs = _attrs(m["attrs"] or "")
            if m["b"] is None:
                self.nodes[m["a"]] = attrs
            else:
                self.edges.append((m["a"], m["b"], attrs))


class Timeline(Dot):
    """The timeline's lanes: each lane is a chain of nodes joined by
    undirected edges (arrowhead=none), from its label in the first column
    to its label in the last."""

    def __init__(self, source: str):
        super().__init__(source)
        self.pred: dict[str, str] = {}
        self.succ: dict[str, str] = {}
        for a, b, attrs in self.edges:
            if attrs.get("arrowhead") == "none":
                assert b not in self.pred and a not in self.succ, "a lane forks"
                self.pred[b] = a
                self.succ[a] = b
        starts = [n for n in self.succ if n not in self.pred]
        self.lanes = [self.nodes[n]["label"] for n in starts]  # `pid program`, as it began
        self.ends = {}
        for n in starts:
            end = n
            while end in self.succ:
                end = self.succ[end]
            self.ends[self.nodes[n]["label"]] = self.nodes[end]["label"]

    def where(self, node: str) -> tuple[str, int]:
        """The lane (its first label) and the column (0: the labels) of a node."""
        column = 0
        while node in self.pred:
            node = self.pred[node]
            column += 1
        return self.nodes[node]["label"], column

    def boxes(self) -> list[tuple[str, int, dict[str, str]]]:
        """The step boxes: (lane, column, attributes), by column."""
        out = [(*self.where(n), a) for n, a in self.nodes.items() if a.get("shape") == "box"]
        return sorted(out, key=lambda b: b[1])

    def arrows(self) -> list[tuple[str, str, int, str, dict[str, str]]]:
        """Arrows between lanes: (from lane, to lane, column, label, attributes)."""
        out = []
        for a, b, attrs in self.edges:
            if "xlabel" in attrs:
                (src, col), (dst, col2) = self.where(a), self.where(b)
                assert col == col2, f"an arrow across columns: {a} -> {b}"
                out.append((src, dst, col, attrs["xlabel"], attrs))
        return out


def svg_root(data: str | bytes) -> ET.Element:
    root = ET.fromstring(data.encode() if isinstance(data, str) else data)
    assert root.tag == f"{SVG_NS}svg"
    return root


def svg_texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def svg_node_texts(root: ET.Element) -> list[str]:
    """The text of each node group, its text elements joined (an HTML-like
    label is split into one <text> per font run)."""
    return [
        "".join("".join(t.itertext()) for t in g.iter(f"{SVG_NS}text"))
        for g in root.iter(f"{SVG_NS}g")
        if g.get("class") == "node"
    ]


def cli(*args: str):  # type: ignore[no-untyped-def]
    """The command line in-process, from the repository root (so scenario
    paths are named as a user names them)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return CliRunner().invoke(app, expand_argv(list(args)))
    finally:
        os.chdir(cwd)


@pytest.fixture
def proc(tmp_path):  # type: ignore[no-untyped-def]
    def _write(name: str, text: str) -> str:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text))
        return str(p)

    return _write


@pytest.fixture
def no_dot(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """PATH with no `dot` on it (an empty folder only)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return str(empty)


# ------------------------------------------------------------------ golden dot text


@pytest.mark.parametrize("kind", ["trace", "tree", "graph"])
@pytest.mark.parametrize("stem", GOLDEN_SCENARIOS)
def test_golden_dot(stem: str, kind: str) -> None:
    text = sources(stem)[kind]
    path = GOLDEN / f"{stem}.{kind}.dot"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with FORKCHECK_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{kind} of {stem} differs from {path.relative_to(ROOT)}; if the change is "
        "meant, regenerate with FORKCHECK_UPDATE_GOLDEN=1 (see the module docstring)"
    )


@pytest.mark.parametrize("stem", GOLDEN_SCENARIOS)
def test_dot_text_is_the_same_twice(stem: str) -> None:
    checked.cache_clear()
    first = sources(stem)
    checked.cache_clear()
    assert sources(stem) == first


_PRINT_SOURCES = """
import json, os, sys
sys.path.insert(0, {tests!r})
os.chdir({root!r})
from test_pictures import GOLDEN_SCENARIOS, sources
print(json.dumps({{s: sources(s) for s in GOLDEN_SCENARIOS}}))
"""


def test_dot_text_does_not_depend_on_the_hash_seed() -> None:
    """Two processes with other string hashes (set orders) write the same
    text, the one in the goldens."""
    code = _PRINT_SOURCES.format(tests=str(Path(__file__).parent), root=str(ROOT))
    outs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        outs.append(json.loads(done.stdout))
    assert outs[0] == outs[1]
    for stem, kinds in outs[0].items():
        for kind, text in kinds.items():
            golden = GOLDEN / f"{stem}.{kind}.dot"
            if golden.exists() and not UPDATE:
                assert text == golden.read_text(encoding="utf-8"), (stem, kind)


# ------------------------------------------------------------------ the timeline


def timeline_of(r: FileResult, prop: str | None = None) -> Timeline:
    return Timeline(timeline_source(r, first_cx(r, prop)))


def test_every_task_has_a_lane_labelled_pid_and_program() -> None:
    tl = timeline_of(checked(VFORK_KILLED))
    assert tl.lanes == ["1 init", "2 main", "3 main", "4 main"]
    # the same names at the far end, so a long picture reads from either side
    assert tl.ends == {lane: lane for lane in tl.lanes}


def test_lanes_are_the_tasks_of_the_trace_including_reaped_ones() -> None:
    r = checked_text(CLONE, "clone.proc")
    cx = first_cx(r)
    tasks = {
        t.pid for s in [cx.trace.initial, *(st.before for st in cx.trace.steps)] for t in s.tasks
    }
    assert tasks == {1, 2, 3, 4}
    # 3 and 4 are reaped before the end: their lanes are still drawn
    assert {t.pid for t in cx.trace.final_state().tasks} == {1, 2}
    assert timeline_of(r).lanes == ["1 init", "2 main", "3 main", "4 main"]


def test_a_lane_that_execs_ends_with_the_new_program() -> None:
    tl = timeline_of(checked_text(EXEC, "exec.proc"))
    assert tl.lanes == ["1 init", "2 main", "3 main"]
    assert tl.ends["3 main"] == "3 worker"
    assert tl.ends["2 main"] == "2 main"


def test_one_box_per_step_on_the_lane_of_the_task_that_took_it() -> None:
    r = checked(VFORK_EXEC)
    cx = first_cx(r)
    boxes = Timeline(timeline_source(r, cx)).boxes()
    assert [(lane, col) for lane, col, _ in boxes] == [
        (f"{st.pid} main", st.number) for st in cx.trace.steps
    ]
    assert [lane for lane, _, _ in boxes] == ["2 main"] + ["3 main"] * 6 + ["2 main"] * 4


def tl_heads(r: FileResult) -> dict[str, dict[str, str]]:
    """The step numbers drawn above the columns (plaintext, not on a lane)."""
    tl = timeline_of(r)
    on_lanes = set(tl.pred) | set(tl.succ)
    return {
        n: a
        for n, a in tl.nodes.items()
        if a.get("shape") == "plaintext" and n not in on_lanes and a.get("label")
    }


def test_only_the_violating_step_is_filled_red() -> None:
    r = checked(VFORK_EXEC)
    boxes = timeline_of(r).boxes()
    red = [(lane, col, a["label"]) for lane, col, a in boxes if a.get("fillcolor") == RED]
    # the child's `assert runs == 1` (step 5) holds; the parent's (step 11) fails
    assert red == [("2 main", 11, "assert runs == 1")]
    child_assert = [a for lane, col, a in boxes if col == 5]
    assert child_assert[0]["label"] == "assert runs == 1"
    assert child_assert[0]["fillcolor"] != RED
    # the violating column's step number is red too, the others are not
    heads = {a["label"]: a.get("fontcolor") for n, a in tl_heads(r).items()}
    assert heads["11"] == RED and heads["5"] != RED


def test_the_violating_step_of_a_zombie_is_the_exit() -> None:
    boxes = timeline_of(checked(ZOMBIE)).boxes()
    assert [(lane, col, a["label"], a["fillcolor"]) for lane, col, a in boxes] == [
        ("2 main", 1, "c = fork { … }", "#ffffff"),
        ("3 main", 2, "exit 7", RED),
    ]


def test_fork_draws_an_arrow_from_parent_to_child() -> None:
    arrows = timeline_of(checked(ZOMBIE)).arrows()
    forks = [(src, dst, col) for src, dst, col, label, _ in arrows if label == "fork"]
    assert forks == [("2 main", "3 main", 1)]


def test_reap_draws_the_status() -> None:
    arrows = timeline_of(checked_text(CLONE, "clone.proc")).arrows()
    reaps = [(src, dst, col, label) for src, dst, col, label, _ in arrows if "reaped" in label]
    assert reaps == [
        ("2 main", "3 main", 4, "reaped: exited 0"),
        ("2 main", "4 main", 6, "reaped: exited 2"),
    ]


def test_reap_in_a_scenario_with_signals() -> None:
    arrows = timeline_of(checked(TWO_CX), "no_deadlock").arrows()
    reaps = [(src, dst, label) for src, dst, _, label, _ in arrows if label.startswith("reaped")]
    assert ("2 main", "3 main", "reaped: exited 1") in reaps


def test_reparenting_draws_a_dashed_adopted_edge_to_the_reaper() -> None:
    arrows = timeline_of(checked(VFORK_KILLED)).arrows()
    adopted = [
        (src, dst, col, a["style"]) for src, dst, col, label, a in arrows if label == "adopted"
    ]
    # step 6: pid 3 dies, its vfork child 4 goes to the subreaper main (2)
    assert adopted == [("4 main", "2 main", 6, "dashed")]


def test_kill_draws_the_signal_name() -> None:
    arrows = timeline_of(checked(VFORK_KILLED)).arrows()
    kills = [(src, dst, col, label) for src, dst, col, label, _ in arrows if "TERM" in label]
    # step 4: pid 4 runs kill(getppid(), SIGTERM)
    assert len(kills) == 1
    src, dst, col, label = kills[0]
    assert (src, dst, col) == ("4 main", "3 main", 4)
    assert label.startswith("TERM")


def test_clone_shows_its_flags() -> None:
    arrows = timeline_of(checked_text(CLONE, "clone.proc")).arrows()
    spawns = [(src, dst, col, label) for src, dst, col, label, _ in arrows if col in (1, 2)]
    assert ("2 main", "3 main", 1, "fork") in spawns
    clones = [s for s in spawns if s[0] == "3 main" and s[1] == "4 main"]
    assert len(clones) == 1
    label = clones[0][3]
    assert clones[0][2] == 2
    assert "PARENT" in label and "CHLD" in label, label


def test_an_exit_signals_the_parent() -> None:
    """The SIGCHLD an exit sends, and what became of it: the parent's
    action is SIG_DFL, which ignores it (said the same way in a scenario
    with signals and in one without)."""
    arrows = timeline_of(checked(ZOMBIE)).arrows()
    assert [(s, d, c, label) for s, d, c, label, _ in arrows if c == 2] == [
        ("3 main", "2 main", 2, "CHLD (dropped)")
    ]


def test_a_reused_pid_is_forked_and_reaped_again_on_its_lane() -> None:
    """19: pid 3 is reaped, then handed out again (pid_max = 5); its lane
    shows both lives: two forks into it, two reaps out of it."""
    arrows = timeline_of(checked("19_stale_pid_bug")).arrows()
    into_3 = [(src, col, label) for src, dst, col, label, _ in arrows if dst == "3 main"]
    assert [a for a in into_3 if a[2] == "fork"] == [("2 main", 1, "fork"), ("2 main", 5, "fork")]
    assert [a for a in into_3 if a[2].startswith("reaped")] == [
        ("2 main", 3, "reaped: exited 1"),
        ("2 main", 7, "reaped: exited 3"),
    ]


def test_a_counterexample_of_no_steps_has_lanes_and_no_box() -> None:
    r = checked_text(AT_START, "start.proc")
    cx = first_cx(r)
    assert cx.trace.steps == []
    tl = timeline_of(r)
    assert tl.lanes == ["1 init", "2 main"]
    assert tl.boxes() == []
    assert tl.arrows() == []


# ------------------------------------------------------------------ the process tree


def test_tree_edges_follow_the_real_parent() -> None:
    r = checked_text(CLONE, "clone.proc")
    cx = first_cx(r)
    tree = Dot(tree_source(r, cx, step=2))  # after the clone
    assert set(tree.nodes) >= {"t1", "t2", "t3", "t4"}
    labels = {n: a["label"] for n, a in tree.nodes.items()}
    for pid in (1, 2, 3, 4):
        program = "init" if pid == 1 else "main"
        assert labels[f"t{pid}"].startswith(f"<B>{pid}</B> {program}")
    # CLONE_PARENT: 4 is main's child, the sibling of its creator 3
    assert {(a, b) for a, b, _ in tree.edges} == {("t1", "t2"), ("t2", "t3"), ("t2", "t4")}
    # the task that took step 2 (pid 3, the clone) has the red border
    marked = [n for n, a in tree.nodes.items() if a.get("color") == RED]
    assert marked == ["t3"]


def test_tree_at_the_end_shows_states() -> None:
    r = checked(ZOMBIE)
    tree = Dot(tree_source(r, first_cx(r)))
    assert "zombie (Z)" in tree.nodes["t3"]["label"]
    assert "running (R)" in tree.nodes["t2"]["label"]
    assert "sleeping (S)" in tree.nodes["t1"]["label"]
    assert [n for n, a in tree.nodes.items() if a.get("color") == RED] == ["t3"]


def test_tree_of_step_0_is_the_initial_state() -> None:
    r = checked(ZOMBIE)
    tree = Dot(tree_source(r, first_cx(r), step=0))
    assert set(tree.nodes) == {"t1", "t2"}
    assert [(a, b) for a, b, _ in tree.edges] == [("t1", "t2")]
    assert "initial state" in tree_source(r, first_cx(r), step=0)
    assert not [n for n, a in tree.nodes.items() if a.get("color") == RED]


# ------------------------------------------------------------------ the state graph


def check_graph(stem: str) -> None:
    """Every state a box, every transition an edge; the counterexample's
    path in red, from the initial state, one red edge per step."""
    r = checked(stem)
    cx = first_cx(r)
    g = Dot(graph_source(stem))
    states = [n for n in g.nodes if re.fullmatch(r"s\d+", n)]
    assert len(states) == r.states
    assert len(g.edges) == r.transitions
    assert f"{r.states:,} states, {r.transitions:,} transitions" in graph_source(stem)
    assert g.nodes["s0"].get("peripheries") == "2"  # the initial state
    red = [(a, b) for a, b, attrs in g.edges if attrs.get("color") == RED]
    assert len(red) == len(cx.trace.steps)
    # a path: s0 -> ... with no branching
    nxt = dict(red)
    assert len(nxt) == len(red)
    node, walked = "s0", 0
    while node in nxt:
        node = nxt[node]
        walked += 1
    assert walked == len(red)
    bad = g.nodes[node]
    assert bad["fillcolor"] == RED or bad.get("color") == RED
    assert cx.name in bad["label"]


def test_state_graph_of_a_zombie() -> None:
    check_graph(ZOMBIE)


def test_state_graph_of_a_failed_assert_ends_in_a_red_failure() -> None:
    check_graph(VFORK_EXEC)
    g = Dot(graph_source(VFORK_EXEC))
    fails = [n for n, a in g.nodes.items() if a.get("fillcolor") == RED]
    assert len(fails) == 1
    assert "assertions" in g.nodes[fails[0]]["label"]


# ------------------------------------------------------------------ SVG


@needs_dot
def test_timeline_svg_names_every_task() -> None:
    r = checked(VFORK_KILLED)
    root = svg_root(render(timeline_source(r, first_cx(r)), "svg"))
    texts = svg_texts(root)
    for lane in ("1 init", "2 main", "3 main", "4 main"):
        assert texts.count(lane) == 2, lane  # at both ends of its lane
    assert "adopted" in texts


@needs_dot
def test_tree_svg_names_every_task_of_the_final_state() -> None:
    r = checked(VFORK_KILLED)
    cx = first_cx(r)
    root = svg_root(render(tree_source(r, cx), "svg"))
    nodes = svg_node_texts(root)
    final = cx.trace.final_state()
    assert [t.pid for t in final.tasks] == [1, 2, 3, 4]
    for t in final.tasks:
        name = "init" if t.pid == 1 else "main"
        assert sum(n.startswith(f"{t.pid} {name}") for n in nodes) == 1, (t.pid, nodes)


# ------------------------------------------------------------------ without Graphviz


def test_have_dot_is_false_without_dot_on_path(no_dot: str) -> None:
    assert not have_dot()


def test_trace_svg_without_dot_exits_2_and_says_what_to_do(no_dot: str) -> None:
    res = cli("trace", rel(ZOMBIE), "--format", "svg")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "Graphviz" in res.stderr
    assert "--format dot" in res.stderr


def test_trace_dot_without_dot_still_works(no_dot: str) -> None:
    res = cli("trace", rel(ZOMBIE), "--format", "dot")
    assert res.exit_code == 0, res.stderr
    r = checked(ZOMBIE)
    assert res.stdout.rstrip("\n") == timeline_source(r, first_cx(r)).rstrip("\n")


def test_report_without_dot_writes_dot_files_and_one_warning(tmp_path, no_dot: str) -> None:
    out = tmp_path / "report"
    env = {**os.environ, "PATH": no_dot}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker",
            "check",
            "--report",
            str(out),
            rel(ZOMBIE),
            rel(VFORK_EXEC),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    for stem, prop in ((ZOMBIE, "zombies_reaped"), (VFORK_EXEC, "assertions")):
        for name in ("trace.dot", "tree.dot", "trace.itf.json", "trace.txt"):
            assert f"{stem}/{prop}/{name}" in files, files
        assert f"{stem}/graph.dot" in files
    assert "index.html" in files
    assert not [f for f in files if f.endswith(".svg")], files
    warnings = [line for line in done.stderr.splitlines() if "Graphviz" in line]
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith("forkcheck: warning:")
    assert done.stderr.strip().splitlines() == warnings
    # the index links only files that are there
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r"href='([^'#][^']*)'", index)
    assert links
    for link in links:
        assert (out / link).is_file(), link
    assert "<svg" not in index
    assert "Graphviz" in index


@needs_dot
def test_a_report_without_dot_removes_the_pictures_of_an_earlier_run(tmp_path, monkeypatch) -> None:
    out = tmp_path / "report"
    res = cli("check", "--report", str(out), rel(ZOMBIE))
    assert res.exit_code == 0, res.output
    svgs = sorted(p.name for p in out.rglob("*.svg"))
    assert svgs == ["graph.svg", "trace.svg", "tree.svg"]
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    res = cli("check", "--report", str(out), rel(ZOMBIE))
    assert res.exit_code == 0, res.output
    assert sorted(out.rglob("*.svg")) == []
    assert (out / ZOMBIE / "zombies_reaped" / "trace.dot").is_file()


# ------------------------------------------------------------------ forkcheck trace


def test_trace_text_is_the_default() -> None:
    res = cli("trace", rel(ZOMBIE))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith(f"{rel(ZOMBIE)}: zombies_reaped violated, as expected\n")
    assert "shortest counterexample (2 steps):" in res.stdout
    assert "1. pid 2 (main): c = fork { … } -> child 3" in res.stdout
    assert "PID  PPID STAT PROGRAM" in res.stdout


def test_trace_dot_is_the_golden_timeline() -> None:
    res = cli("trace", rel(VFORK_EXEC), "--format", "dot")
    assert res.exit_code == 0, res.stderr
    golden = GOLDEN / f"{VFORK_EXEC}.trace.dot"
    assert res.stdout.rstrip("\n") == golden.read_text(encoding="utf-8").rstrip("\n")


@needs_dot
def test_trace_svg_to_stdout() -> None:
    res = cli("trace", rel(ZOMBIE), "-f", "svg")
    assert res.exit_code == 0, res.stderr
    texts = svg_texts(svg_root(res.stdout))
    assert {"2 main", "3 main", "fork", "exit 7"} <= set(texts)


def test_trace_itf() -> None:
    res = cli("trace", rel(ZOMBIE), "--format", "itf")
    assert res.exit_code == 0, res.stderr
    itf = json.loads(res.stdout)
    assert itf["vars"] == ["tasks", "last_pid", "action"]
    assert itf["#meta"]["forkcheck"]["property"] == "zombies_reaped"
    assert [s["action"] for s in itf["states"]] == [
        "init",
        "pid 2 (main): c = fork { … }",
        "pid 3 (main): exit 7",
    ]


def _is_svg(data: bytes) -> None:
    svg_root(data)


def _is_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)


def _is_dot(data: bytes) -> None:
    assert data.decode().startswith("digraph timeline {")


def _is_itf(data: bytes) -> None:
    assert len(json.loads(data)["states"]) == 3


def _is_text(data: bytes) -> None:
    assert data.decode().startswith(f"{rel(ZOMBIE)}: zombies_reaped violated")


@pytest.mark.parametrize(
    ("name", "looks_right", "dot"),
    [
        ("t.svg", _is_svg, True),
        ("t.png", _is_png, True),
        ("t.dot", _is_dot, False),
        ("t.gv", _is_dot, False),
        ("t.itf.json", _is_itf, False),
        ("t.txt", _is_text, False),
    ],
)
def test_trace_output_format_from_the_suffix(tmp_path, name, looks_right, dot) -> None:
    if dot and not have_dot():
        pytest.skip("Graphviz's dot is not installed")
    out = tmp_path / "sub" / name
    res = cli("trace", rel(ZOMBIE), "-o", str(out))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    looks_right(out.read_bytes())


def test_format_wins_over_the_suffix(tmp_path) -> None:
    out = tmp_path / "t.svg"
    res = cli("trace", rel(ZOMBIE), "--format", "dot", "-o", str(out))
    assert res.exit_code == 0, res.stderr
    _is_dot(out.read_bytes())


def test_png_needs_an_output_file() -> None:
    res = cli("trace", rel(ZOMBIE), "--format", "png")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "-o" in res.stderr


def test_an_unknown_format_exits_2() -> None:
    res = cli("trace", rel(ZOMBIE), "--format", "jpeg")
    assert res.exit_code == 2
    assert "jpeg" in res.stderr


def test_property_chooses_the_counterexample() -> None:
    default = cli("trace", rel(TWO_CX))
    assert default.exit_code == 0, default.stderr
    assert default.stdout.startswith(f"{rel(TWO_CX)}: zombies_reaped violated")
    chosen = cli("trace", rel(TWO_CX), "--property", "no_deadlock")
    assert chosen.exit_code == 0, chosen.stderr
    assert chosen.stdout.startswith(f"{rel(TWO_CX)}: no_deadlock violated")
    assert "shortest counterexample (16 steps):" in chosen.stdout
    short = cli("trace", rel(TWO_CX), "-p", "zombies_reaped", "-f", "dot")
    assert short.exit_code == 0
    assert "zombies_reaped violated" in short.stdout
    assert "no_deadlock violated" not in short.stdout


def test_an_unknown_property_exits_1_and_lists_the_counterexamples() -> None:
    res = cli("trace", rel(TWO_CX), "--property", "nope")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "nope" in res.stderr
    assert "zombies_reaped, no_deadlock" in res.stderr


def test_no_counterexample_exits_1() -> None:
    res = cli("trace", rel(NO_CX))
    assert res.exit_code == 1
    assert res.stdout == ""
    assert f"{rel(NO_CX)}: no counterexample" in res.stderr


@pytest.mark.parametrize("command", ["trace", "tree", "graph"])
def test_a_parse_error_exits_2_with_its_position(proc, command: str) -> None:
    p = proc("bad.proc", SYNTAX_ERROR)
    res = cli(command, p)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert re.search(rf"^{re.escape(p)}:\d+:\d+: error: ", res.stderr, re.M), res.stderr


# ------------------------------------------------------------------ forkcheck tree


def test_tree_text_prints_ps_rows() -> None:
    res = cli("tree", rel(ZOMBIE))
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert (
        lines[0]
        == f"{rel(ZOMBIE)}: zombies_reaped violated, as expected; the tasks after step 2 of 2:"
    )
    rows = [line.split() for line in lines[1:]]
    assert rows == [
        ["PID", "PPID", "STAT", "PROGRAM"],
        ["1", "0", "S", "init"],
        ["2", "1", "R", "main"],
        ["3", "2", "Z", "main"],
    ]


def test_tree_step_0_is_the_initial_state() -> None:
    res = cli("tree", rel(ZOMBIE), "--step", "0")
    assert res.exit_code == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()[1:]]
    assert rows == [
        ["PID", "PPID", "STAT", "PROGRAM"],
        ["1", "0", "S", "init"],
        ["2", "1", "R", "main"],
    ]
    dot = cli("tree", rel(ZOMBIE), "--step", "0", "--format", "dot")
    assert dot.exit_code == 0
    assert "initial state" in dot.stdout
    assert set(Dot(dot.stdout).nodes) == {"t1", "t2"}


def test_tree_step_in_the_middle() -> None:
    res = cli("tree", rel(VFORK_KILLED), "--step", "3")
    assert res.exit_code == 0, res.stderr
    assert "after step 3 of 6" in res.stdout
    rows = {line.split()[0]: line.split()[1:4] for line in res.stdout.splitlines()[2:]}
    assert rows["3"] == ["2", "D", "main"]  # in its vfork wait
    assert rows["4"] == ["3", "R", "main"]


def test_tree_step_beyond_the_trace_exits_2() -> None:
    res = cli("tree", rel(ZOMBIE), "--step", "3")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "--step 3" in res.stderr
    assert "steps 1 to 2" in res.stderr


def test_tree_step_of_a_trace_without_steps_says_so(proc) -> None:
    p = proc("start.proc", AT_START)
    res = cli("tree", p, "--step", "1")
    assert res.exit_code == 2
    assert "--step 1" in res.stderr
    assert "1 to 0" not in res.stderr


@needs_dot
def test_tree_svg_to_a_file(tmp_path) -> None:
    out = tmp_path / "tree.svg"
    res = cli("tree", rel(ZOMBIE), "-o", str(out))
    assert res.exit_code == 0, res.stderr
    nodes = svg_node_texts(svg_root(out.read_bytes()))
    for name in ("1 init", "2 main", "3 main"):
        assert any(n.startswith(name) for n in nodes), nodes


def test_tree_has_no_itf_format(tmp_path) -> None:
    res = cli("tree", rel(ZOMBIE), "-o", str(tmp_path / "t.itf.json"))
    assert res.exit_code == 2
    assert not (tmp_path / "t.itf.json").exists()


# ------------------------------------------------------------------ forkcheck graph


def test_graph_writes_dot_by_default() -> None:
    res = cli("graph", rel(ZOMBIE))
    assert res.exit_code == 0, res.stderr
    golden = GOLDEN / f"{ZOMBIE}.graph.dot"
    assert res.stdout.rstrip("\n") == golden.read_text(encoding="utf-8").rstrip("\n")


@needs_dot
def test_graph_svg_to_a_file(tmp_path) -> None:
    out = tmp_path / "g.svg"
    res = cli("graph", rel(ZOMBIE), "-o", str(out))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    texts = svg_texts(svg_root(out.read_bytes()))
    assert "3: exit 7" in texts  # the step into the violating state


def test_graph_refuses_more_states_than_max_nodes(tmp_path) -> None:
    out = tmp_path / "g.dot"
    res = cli("graph", rel(ZOMBIE), "--max-nodes", "4", "-o", str(out))  # it has 5
    assert res.exit_code == 1
    assert "--max-nodes" in res.stderr
    assert "more than 4 states" in res.stderr
    assert not out.exists()


def test_graph_draws_exactly_max_nodes_states() -> None:
    res = cli("graph", rel(ZOMBIE), "--max-nodes", "5")
    assert res.exit_code == 0, res.stderr
    assert len([n for n in Dot(res.stdout).nodes if re.fullmatch(r"s\d+", n)]) == 5


def test_graph_with_max_nodes_raised() -> None:
    small = cli("graph", rel(VFORK_EXEC), "--max-nodes", "10")
    assert small.exit_code == 1
    assert "--max-nodes" in small.stderr
    raised = cli("graph", rel(VFORK_EXEC), "--max-nodes", "100")
    assert raised.exit_code == 0, raised.stderr
    assert raised.stdout.rstrip("\n") == (GOLDEN / f"{VFORK_EXEC}.graph.dot").read_text(
        encoding="utf-8"
    ).rstrip("\n")


# ------------------------------------------------------------------ bugs


BACKSLASH = r"""
    program main {
        c = fork { exit 1 }
        w = wait()
        assert w.code == 2, "ends with a backslash \\"
    }
"""


@needs_dot
@pytest.mark.filterwarnings("ignore:expect syntax error scanning invalid quoted string")
def test_a_message_with_a_backslash_still_renders_the_timeline() -> None:
    r = checked_text(BACKSLASH, "backslash.proc")
    svg = render(timeline_source(r, first_cx(r)), "svg")
    root = svg_root(svg)
    assert "2 main" in svg_texts(root)


@needs_dot
@pytest.mark.filterwarnings("ignore:expect syntax error scanning invalid quoted string")
def test_a_message_with_a_backslash_still_renders_the_state_graph(proc) -> None:
    p = proc("backslash.proc", BACKSLASH)
    drawn = explore_graph(p, 100)
    assert drawn.source is not None
    svg_root(render(drawn.source, "svg"))


# ------------------------------------------------------------------ found in review

CLONE_USR1 = """
    program main {
        p = fork {
            c = clone(CLONE_PARENT | SIGUSR1) { exit 3 }
            exit 0
        }
        w = wait()
        w2 = wait()
    }
    final never_here: false
"""


def test_a_clone_parent_label_names_the_exit_signal_the_child_really_has() -> None:
    """CLONE_PARENT: the child takes its creator's exit signal (kernel/fork.c
    copy_process), SIGCHLD here, not the SIGUSR1 the call asked for."""
    arrows = timeline_of(checked_text(CLONE_USR1, "clone_usr1.proc")).arrows()
    labels = [label for src, dst, _, label, _ in arrows if (src, dst) == ("3 main", "4 main")]
    assert labels == ["child: PARENT (exit: CHLD)"]


INVARIANT_MANY = """
    program main {
        var x = 0
        choose { x = 1 } or { x = 2 }
        x = x + 1
    }
    invariant small: main.x == 0
    expect violation small
"""


def test_the_state_graph_marks_every_state_where_a_property_fails(proc) -> None:  # type: ignore[no-untyped-def]
    drawn = explore_graph(proc("many.proc", INVARIANT_MANY), 100)
    assert drawn.source is not None
    red = re.findall(
        r"^\ts(\d+) \[label=<<B>#\d+</B>[^>]*<FONT COLOR='#d32f2f'>small</FONT>", drawn.source, re.M
    )
    # x = 1 or 2, then 2 or 3: four states break it, and the end states too
    assert len(red) >= 4, drawn.source


def test_trace_of_an_incomplete_search_says_nothing_is_decided(proc) -> None:  # type: ignore[no-untyped-def]
    path = proc(
        "inc.proc",
        """
        config { max_states = 5 }
        program main {
            var n = 0
            while true { n = n + 1 }
        }
        """,
    )
    r = cli("trace", path)
    assert r.exit_code == 3, r.output
    assert "no counterexample found before the search stopped (stopped by max_states" in r.output


def test_an_output_name_that_says_no_format_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t.bmp"
    r = cli("trace", rel("05_zombie_parent_spins"), "-o", str(out))
    assert r.exit_code == 2
    assert "cannot tell the format from the name" in r.output
    assert not out.exists()
    r = cli("trace", rel("05_zombie_parent_spins"), "-o", str(tmp_path / "T.SVG"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "T.SVG").read_text().lstrip().startswith("<?xml")
