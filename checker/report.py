"""`forkcheck check --report DIR`: the files of every counterexample, the
state graphs of small scenarios, and one index.html for the whole run.

Layout (DIR defaults to reports/):
    DIR/index.html
    DIR/<scenario>/graph.dot, graph.svg         (scenarios of at most GRAPH_LIMIT states)
    DIR/<scenario>/<property>/trace.dot, trace.svg, tree.dot, tree.svg,
                              trace.itf.json, trace.txt

Every file is written atomically (checker/files.py), index.html last; the
files of an earlier run that this run did not write again are removed from
the scenario folders it wrote after that, so every link of whichever index
is in place holds, even when the run is interrupted. Without Graphviz's `dot`, the .dot files are
still written and the index says how to get the pictures.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from checker.files import write_atomic
from checker.kernel.model import Incomplete
from checker.render.dot import RenderError, have_dot, render
from checker.render.itf import trace_itf
from checker.render.text import render_trace, step_line
from checker.render.timeline import timeline, timeline_dot
from checker.render.tree import state_at, tree_dot
from checker.results import Counterexample, FileResult, counterexamples
from checker.runner import draw_state_graph

GRAPH_LIMIT = 150  # states; a larger graph is left to `forkcheck graph --max-nodes`


@dataclass
class Drawn:
    """One counterexample of the report: its folder and its pictures."""

    cx: Counterexample
    folder: str  # relative to the report directory
    files: dict[str, str] = field(default_factory=dict)  # name -> text (dot, itf, txt)
    svgs: dict[str, str] = field(default_factory=dict)  # "trace", "tree" -> SVG text


@dataclass
class Page:
    """One scenario of the report."""

    result: FileResult
    folder: str
    drawn: list[Drawn] = field(default_factory=list)
    graph_dot: str | None = None
    graph_note: str = ""
    svgs: dict[str, str] = field(default_factory=dict)  # "graph" -> SVG text


@dataclass
class Report:
    directory: Path
    pages: list[Page]
    dot_missing: bool
    seconds: float
    render_errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ one counterexample


def timeline_source(r: FileResult, cx: Counterexample) -> str:
    # an unmet `expect never/always/outcomes` is about the terminal state the
    # trace reaches, not about its last step: no step is painted as violating
    violating = cx.kind in ("property", "error")
    return timeline_dot(timeline(cx.trace, r.programs, f"{r.path}: {cx.heading}", violating))


def tree_source(r: FileResult, cx: Counterexample, step: int | None = None) -> str:
    """The process tree after step `step` of the counterexample (its last
    step, where the property fails, by default)."""
    trace = cx.trace
    n = len(trace.steps) if step is None else step
    s = state_at(trace, step)
    marked: tuple[int, ...] = ()
    if n == 0:
        title, subtitle = f"{r.path}: process tree, initial state", ""
    else:
        st = trace.steps[n - 1]
        where = "where it fails" if n == len(trace.steps) else f"of {len(trace.steps)}"
        title = f"{r.path}: process tree after step {n} ({where})"
        subtitle, marked = step_line(st), (st.pid,)
    return tree_dot(s, r.programs, title, subtitle, marked)


def itf_text(r: FileResult, cx: Counterexample) -> str:
    assert r.scenario is not None
    fairness = r.fairness if cx.trace.loop is not None else None
    doc = trace_itf(cx.trace, r.scenario, r.path, cx.kind, fairness)
    return json.dumps(doc, indent=1) + "\n"


def text_trace(r: FileResult, cx: Counterexample) -> str:
    return (
        f"{r.path}: {cx.heading}\n  {cx.trace.message}\n"
        + render_trace(cx.trace, r.programs)
        + "\n"
    )


def graph_source(r: FileResult, max_nodes: int) -> tuple[str | None, str]:
    """The dot source of the scenario's state graph, or None and why not."""
    if r.scenario is None:
        return None, ""
    if r.states > max_nodes:
        return None, (
            f"the state graph has {r.states:,} states, more than {max_nodes} "
            f"(draw it with `forkcheck graph {r.path} --max-nodes {r.states}`)"
        )
    # explored again, with the graph kept: a small scenario (at most
    # max_nodes states) explores in milliseconds
    try:
        source = draw_state_graph(r.scenario, r.path, max_nodes, r.fairness)
    except Incomplete as err:  # e.g. a file the symbolic engine checks
        return None, str(err)
    if source is None:
        return None, f"the state graph has more than {max_nodes} states"
    return source, ""


# ------------------------------------------------------------------ the whole run


def _folder_names(results: list[FileResult]) -> list[str]:
    """A folder per scenario: its file name without .proc, in characters
    that need no quoting in a link, made unique (`name-2`, `name-3`...)."""
    used: set[str] = set()
    out = []
    for r in results:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(r.path).name.removesuffix(".proc"))
        stem = stem.lstrip(".") or "scenario"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        out.append(name)
    return out


def build(results: list[FileResult], directory: Path, pictures: bool | None = None) -> Report:
    """Everything the report holds, pictures rendered (in parallel, two
    `dot` processes at a time), nothing written yet."""
    started = time.perf_counter()
    pictures = have_dot() if pictures is None else pictures
    pages: list[Page] = []
    jobs: list[tuple[str, dict[str, str], str]] = []  # dot source, and where its SVG goes
    for r, folder in zip(results, _folder_names(results), strict=True):
        page = Page(r, folder)
        pages.append(page)
        for cx in counterexamples(r) if r.scenario is not None else []:
            d = Drawn(cx, f"{folder}/{cx.slug}")
            page.drawn.append(d)
            d.files["trace.dot"] = timeline_source(r, cx)
            d.files["tree.dot"] = tree_source(r, cx)
            d.files["trace.txt"] = text_trace(r, cx)
            if cx.kind != "error":
                d.files["trace.itf.json"] = itf_text(r, cx)
            for name in ("trace", "tree"):
                jobs.append((d.files[f"{name}.dot"], d.svgs, name))
        if not r.errors:
            page.graph_dot, page.graph_note = graph_source(r, GRAPH_LIMIT)
            if page.graph_dot is not None:
                jobs.append((page.graph_dot, page.svgs, "graph"))
    report = Report(directory, pages, not pictures, 0.0)
    if pictures:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda job: _render_svg(job[0]), jobs))
        for (_, svgs, name), (svg, error) in zip(jobs, done, strict=True):
            if svg is not None:
                svgs[name] = svg
            elif error not in report.render_errors:
                report.render_errors.append(error)
    report.seconds = time.perf_counter() - started
    return report


def _render_svg(source: str) -> tuple[str | None, str]:
    try:
        return render(source, "svg").decode("utf-8"), ""
    except RenderError as err:
        return None, str(err)


MANIFEST = ".forkcheck-report.json"  # what the last report wrote here, for the next one


def written_before(directory: Path) -> set[str] | None:
    """The files (relative paths) the last report in `directory` wrote, or
    None when no forkcheck report is there."""
    try:
        doc = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        return None
    return {f for f in files if isinstance(f, str)}


def not_a_report(directory: Path) -> str | None:
    """Why a report must not be written in `directory` (its index.html is
    somebody else's), or None."""
    if (directory / "index.html").exists() and written_before(directory) is None:
        return f"{directory / 'index.html'} exists and is not a forkcheck report"
    return None


def write(report: Report) -> int:
    """Write the report's files (atomically, index.html and the list of
    what was written last); return how many were written. Files the last
    report wrote and this one did not are removed after that; nothing else
    in the folder is touched."""
    from checker.render.html import index_html

    root = report.directory
    before = written_before(root) or set()
    mine: list[str] = []
    for page in report.pages:
        if page.graph_dot is not None:
            mine.append(_put(root, f"{page.folder}/graph.dot", page.graph_dot))
            if "graph" in page.svgs:
                mine.append(_put(root, f"{page.folder}/graph.svg", page.svgs["graph"]))
        for d in page.drawn:
            for name, text in d.files.items():
                mine.append(_put(root, f"{d.folder}/{name}", text))
            for name, svg in d.svgs.items():
                mine.append(_put(root, f"{d.folder}/{name}.svg", svg))
    mine.append(_put(root, "index.html", index_html(report)))
    manifest = {"written by": "forkcheck check --report", "files": sorted(mine)}
    write_atomic(root / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    # only now: until the new index is in place, the old one may link to them
    _remove_stale(root, before - set(mine))
    return len(mine)


def _put(root: Path, name: str, data: str) -> str:
    write_atomic(root / name, data)
    return name


def _remove_stale(root: Path, stale: set[str]) -> None:
    """Remove what an earlier report wrote that this one did not (a
    property that no longer fails, a scenario not in this run), and the
    folders that leaves empty."""
    folders: set[Path] = set()
    for name in sorted(stale):
        path = root / name
        if ".." in Path(name).parts or not path.is_file():
            continue
        path.unlink()
        folders.update(p for p in path.parents if root in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def scenario_dirs(directory: Path) -> list[Path]:
    """.proc files directly under `directory`: a report must not go there."""
    return sorted(directory.glob("*.proc")) if directory.is_dir() else []
