"""`forkcheck check --report DIR`: the report a user opens in a browser and
the files a CI job keeps.

What a user relies on: index.html shows every scenario of the run with its
verdict and figures, and every counterexample as two pictures that a
browser actually draws; every link of the index leads to a file; a report
is never half written (each file is written atomically, index.html last);
files of a counterexample that no longer exists are gone after the next
run; and `--report` keeps the check's exit status and its stdout contract.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

import checker.files
from checker.cli import DEFAULT_REPORT_DIR, expand_argv
from checker.files import write_atomic
from checker.report import Report, build, write
from checker.runner import check_file

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# 01 passes and has `observe`; the others each have one or more counterexamples
# (a zombie, a deadlock and a zombie, an assert, a thread race, a vfork signal).
REPORTED = [
    "01_fork_wait_sum",
    "05_zombie_parent_spins",
    "38_sigchld_reap_one_per_signal",
    "58_vfork_exec_fails_falls_through",
    "60_threads_lost_update",
    "67_vfork_parent_killed_by_sigterm",
]
PS_HEADER = re.compile(r"\b(PID|TID  TGID) +PPID STAT PROGRAM\b")  # ps, or ps -L with threads
IN_CI = os.environ.get("CI") == "true"
BROWSER_TIMEOUT = 60  # seconds

ZOMBIE = """
    scenario "the parent never waits"
    program main {
        c = fork { exit 7 }
        while true { skip }
    }
    expect violation zombies_reaped
"""
REAPED = """
    scenario "the parent waits"
    program main {
        c = fork { exit 7 }
        w = wait()
    }
    expect pass
"""
WRONG_CODE = """
    program main {
        c = fork { exit 2 }
        w = wait()
        assert w.code == 3, "wrong code"
    }
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


Files = dict[str, bytes]  # relative path -> content


def tree_of(directory: Path) -> Files:
    """Every file under `directory` (hidden ones too), by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def need_tool(name: str, why: str, *fallbacks: str) -> str:
    """The program's path; skip without it, but fail in CI, which installs it."""
    found = shutil.which(name) or next((f for f in fallbacks if os.access(f, os.X_OK)), None)
    if found is None:
        message = f"`{name}` is not installed ({why}); .ci/run installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


# ------------------------------------------------------------------ reading index.html


class IndexPage(HTMLParser):
    """What a user sees of index.html: links, ids, the summary table's rows,
    the other tables, and the text of <pre> blocks."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.ids: list[str] = []
        self.summary: list[list[str]] = []
        self.tables: list[list[list[str]]] = []
        self.pres: list[str] = []
        self.svgs = 0
        self._tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._pre: list[str] | None = None
        self._summary_depth = -1
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id") is not None:
            self.ids.append(a["id"] or "")
        if tag == "a" and a.get("href") is not None:
            self.hrefs.append(a["href"] or "")
        elif tag == "svg":
            self.svgs += 1
        elif tag == "table":
            self._tables.append([])
            if a.get("class") == "summary":
                self._summary_depth = len(self._tables)
        elif tag == "tr" and self._tables:
            self._tables[-1].append([])
        elif tag in ("td", "th") and self._tables:
            self._cell = []
        elif tag == "pre":
            self._pre = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._tables:
            rows = self._tables.pop()
            if len(self._tables) + 1 == self._summary_depth:
                self.summary, self._summary_depth = rows, -1
            else:
                self.tables.append(rows)
        elif tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._pre is not None:
            self._pre.append(data)


def link_target(directory: Path, href: str) -> Path | None:
    """The file a browser opens for a relative link of index.html, or None
    for a link inside the page (`#...`)."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, f"not a relative link: {href!r}"
    if not parts.path:
        return None
    return directory / unquote(parts.path)


def summary_rows(page: IndexPage) -> list[dict[str, str]]:
    head, *rows = page.summary
    return [dict(zip(head, row, strict=True)) for row in rows]


def expected_slugs(result: dict[str, Any]) -> list[str]:
    """The counterexample folders of one file of `--json` output."""
    slugs = [p["name"] for p in result["properties"] if p["status"] == "violated" and p["trace"]]
    slugs += [
        f"expect-line-{e['line']}"
        for e in result["expectations"]
        if e["status"] == "not met" and e["trace"]
    ]
    return slugs


# ------------------------------------------------------------------ one run, shared


@dataclasses.dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    results: dict[str, Any]  # the --json document
    directory: Path
    index: str


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`forkcheck check --json --report DIR` over a few bundled scenarios."""
    directory = tmp_path_factory.mktemp("report") / "rep"
    paths = [str(SCENARIOS / f"{name}.proc") for name in REPORTED]
    proc = run("check", "--json", "--report", str(directory), *paths)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(proc.stdout)
    return Run(proc, results, directory, (directory / "index.html").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ 1. in a real browser


def chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium (as root too), killed with its children after a
    timeout; a failure shows what Chromium said."""
    command = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a timeout ends all of it
    )
    try:
        out, err = proc.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(
            f"chromium did not finish in {BROWSER_TIMEOUT} s: {' '.join(command)}\n"
            f"stderr:\n{err[-4000:]}"
        )
    if proc.returncode != 0:
        pytest.fail(
            f"chromium exited {proc.returncode}: {' '.join(command)}\nstderr:\n{err[-4000:]}"
        )
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


PROBE = """
<pre id="probe">not measured</pre>
<script>
window.addEventListener("load", function () {
  var sizes = [];
  document.querySelectorAll("svg").forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    sizes.push([box.width, box.height]);
  });
  document.getElementById("probe").textContent = JSON.stringify(sizes);
});
</script>
"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return width, height


def test_a_browser_draws_every_picture_of_the_report(reported: Run, tmp_path: Path):
    exe = need_tool("chromium", "the report is opened in a headless browser", "/usr/bin/chromium")
    need_tool("dot", "the pictures are drawn by Graphviz")
    page = IndexPage(reported.index)
    promised = sum(int(row["counterexamples"]) for row in summary_rows(page))
    assert promised >= 6, "the chosen scenarios have counterexamples"

    # a copy beside index.html, so that its relative links resolve the same way
    probe = reported.directory / "probe.html"
    probe.write_text(reported.index + PROBE, encoding="utf-8")
    try:
        dumped = chromium(exe, tmp_path / "profile-dom", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    start = dumped.stdout.find('<pre id="probe">')
    assert start >= 0, f"no probe in the dumped page; stderr:\n{dumped.stderr[-4000:]}"
    text = dumped.stdout[start + len('<pre id="probe">') :].split("</pre>", 1)[0]
    assert text != "not measured", f"the load handler did not run; stderr:\n{dumped.stderr[-4000:]}"
    sizes = json.loads(unescape(text))

    assert len(sizes) == promised * 2, (
        f"the report names {promised} counterexamples, each a timeline and a process "
        f"tree, but the browser found {len(sizes)} pictures"
    )
    empty = [(i, w, h) for i, (w, h) in enumerate(sizes) if not (w > 0 and h > 0)]
    assert not empty, f"pictures drawn with no area (index, width, height): {empty}"

    shot = tmp_path / "report.png"
    chromium(
        exe,
        tmp_path / "profile-shot",
        "--window-size=1400,3000",
        f"--screenshot={shot}",
        (reported.directory / "index.html").as_uri(),
    )
    assert shot.is_file(), "chromium wrote no screenshot"
    data = shot.read_bytes()
    assert png_size(data) == (1400, 3000)
    # a blank page of that size is about 19 KB; this one has tables and pictures
    assert len(data) > 60_000, f"the screenshot looks empty ({len(data)} bytes)"


# ------------------------------------------------------------------ 2. what the index shows


def test_the_index_lists_every_scenario_with_its_verdict_and_figures(reported: Run):
    page = IndexPage(reported.index)
    files = reported.results["files"]
    rows = summary_rows(page)
    assert [row["scenario"] for row in rows] == [f["path"] for f in files]
    for row, f in zip(rows, files, strict=True):
        assert row["verdict"] == f["verdict"]
        assert int(row["states"].replace(",", "")) == f["states"]
        assert int(row["transitions"].replace(",", "")) == f["transitions"]
        assert int(row["depth"]) == f["depth"]
        met = sum(1 for e in f["expectations"] if e["status"] == "met")
        assert row["expectations met"] == f"{met} of {len(f['expectations'])}"
        assert int(row["counterexamples"]) == len(expected_slugs(f))
        figures = f"{f['states']:,} states, {f['transitions']:,} transitions, depth {f['depth']}"
        assert figures in reported.index, f"{f['path']}: no `{figures}` in the index"
    summary = f"{len(files)} scenarios: {len(files)} ok"
    assert summary in reported.index


def test_every_link_of_the_index_leads_somewhere(reported: Run):
    page = IndexPage(reported.index)
    assert page.hrefs
    ids = set(page.ids)
    assert len(ids) == len(page.ids), "an id is used twice"
    broken = []
    for href in page.hrefs:
        target = link_target(reported.directory, href)
        if target is None:
            if urlsplit(href).fragment not in ids:
                broken.append(href)
        elif not target.is_file():
            broken.append(href)
    assert not broken, f"links to nothing: {broken}"
    # every counterexample's files are linked, and every scenario's state graph
    linked = {href for href in page.hrefs if not href.startswith("#")}
    for f in reported.results["files"]:
        folder = Path(f["path"]).name.removesuffix(".proc")
        assert f"{folder}/graph.svg" in linked
        for slug in expected_slugs(f):
            for name in ("trace.dot", "tree.dot", "trace.itf.json", "trace.txt"):
                assert f"{folder}/{slug}/{name}" in linked


def test_the_report_folder_holds_every_counterexample_file(reported: Run):
    for f in reported.results["files"]:
        folder = reported.directory / Path(f["path"]).name.removesuffix(".proc")
        slugs = expected_slugs(f)
        assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == sorted(slugs)
        assert (folder / "graph.dot").read_text().startswith("digraph")
        assert "<svg" in (folder / "graph.svg").read_text()
        for slug in slugs:
            cx = folder / slug
            names = {
                "trace.dot",
                "trace.svg",
                "tree.dot",
                "tree.svg",
                "trace.itf.json",
                "trace.txt",
            }
            assert {p.name for p in cx.iterdir()} == names
            for name in ("trace.dot", "tree.dot"):
                assert (cx / name).read_text().startswith("digraph")
            for name in ("trace.svg", "tree.svg"):
                assert "</svg>" in (cx / name).read_text()
            itf = json.loads((cx / "trace.itf.json").read_text())
            assert isinstance(itf, dict) and itf.get("states"), "an ITF trace has states"
            assert PS_HEADER.search((cx / "trace.txt").read_text())


def test_the_index_holds_the_text_trace_of_every_counterexample(reported: Run):
    page = IndexPage(reported.index)
    traces = [text for text in page.pres if PS_HEADER.search(text)]
    counterexamples = [
        (Path(f["path"]).name.removesuffix(".proc"), slug)
        for f in reported.results["files"]
        for slug in expected_slugs(f)
    ]
    assert len(traces) == len(counterexamples)
    for folder, slug in counterexamples:
        text = (reported.directory / folder / slug / "trace.txt").read_text()
        assert text in traces, f"{folder}/{slug}: its trace.txt is not shown in the index"


def test_the_index_shows_the_outcomes_of_an_observe_scenario(reported: Run):
    observed = next(f for f in reported.results["files"] if f["observe"])
    assert Path(observed["path"]).name == "01_fork_wait_sum.proc"
    page = IndexPage(reported.index)
    head = [*observed["observe"], "terminal states"]
    tables = [t for t in page.tables if t and t[0] == head]
    assert len(tables) == 1, f"no outcome table with the header {head}"
    body = tables[0][1:]
    want = [[*map(str, o["values"]), str(o["count"])] for o in observed["outcomes"]]
    assert body == want
    assert want == [["7", "3", "4", "3", "4", "1"], ["7", "4", "3", "3", "4", "1"]]


# ------------------------------------------------------------------ 3. never half written


def test_write_atomic_replaces_the_whole_file_with_the_umask_mode(tmp_path: Path):
    path = tmp_path / "deep" / "er" / "trace.txt"
    write_atomic(path, "old\n" * 10)
    old_reader = path.open("rb")
    new = "0123456789abcdef" * 65536  # 1 MiB
    try:
        write_atomic(path, new)
        # a reader that opened the old file goes on reading all of it
        assert old_reader.read() == b"old\n" * 10
    finally:
        old_reader.close()
    assert path.read_text() == new
    assert sorted(p.name for p in path.parent.iterdir()) == ["trace.txt"]
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    write_atomic(path, b"\x00\xffbytes")
    assert path.read_bytes() == b"\x00\xffbytes"


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_write_atomic_gives_files_the_mode_of_the_umask(tmp_path: Path, mask: int, mode: int):
    """mkstemp makes 0600 files; a report is for the group and others too,
    as far as the user's umask lets it be."""
    path = tmp_path / "index.html"
    code = (
        f"import os; os.umask({mask:#o}); "
        "from checker.files import write_atomic; "
        f"write_atomic({str(path)!r}, 'report')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert oct(path.stat().st_mode & 0o777) == oct(mode)


def test_write_atomic_that_fails_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "trace.dot"
    path.write_text("digraph old {}\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checker.files.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "digraph new {}\n")
    monkeypatch.undo()
    assert tree_of(tmp_path) == {"trace.dot": b"digraph old {}\n"}


def _report(paths: list[Path], directory: Path) -> Report:
    return build([check_file(p) for p in paths], directory)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Files, Files, Report]:
    """A complete report of three scenarios (old), and the report of a later
    run (new) in which one trace changed and one counterexample is gone."""
    base = tmp_path_factory.mktemp("runs")
    spins, asserts, waits = base / "a_spins.proc", base / "b_asserts.proc", base / "c_waits.proc"
    put(spins, ZOMBIE)
    put(asserts, WRONG_CODE)
    put(waits, REAPED)
    old = _report([spins, asserts, waits], base / "old")
    write(old)
    put(spins, ZOMBIE.replace("exit 7", "exit 9"))  # the same files, other traces
    put(asserts, WRONG_CODE.replace("w.code == 3", "w.code == 2"))  # no counterexample now
    new = _report([spins, asserts, waits], base / "new")
    write(new)
    old_files, new_files = tree_of(base / "old"), tree_of(base / "new")
    assert (
        old_files["a_spins/zombies_reaped/trace.txt"]
        != new_files["a_spins/zombies_reaped/trace.txt"]
    )
    assert old_files["index.html"] != new_files["index.html"]
    assert "b_asserts/assertions/trace.txt" in old_files
    assert "b_asserts/assertions/trace.txt" not in new_files
    return old_files, new_files, new


def _fail_at(n: int, exc: BaseException, counter: list[int]) -> Callable[..., None]:
    def hook(*args: object) -> None:
        counter[0] += 1
        if counter[0] == n:
            raise exc

    return hook


@pytest.mark.parametrize(
    "where, exc",
    [("replace", OSError(28, "No space left on device")), ("fsync", KeyboardInterrupt())],
    ids=["rename-fails", "interrupted-while-writing"],
)
def test_an_interrupted_report_is_never_half_written(
    two_runs: tuple[Files, Files, Report],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    exc: BaseException,
):
    old_files, new_files, new = two_runs
    writes = len(new_files)  # one write (one fsync, one rename) per file
    real = getattr(os, where)
    for n in range(1, writes + 1):
        target = tmp_path / f"rep-{n}"
        for name, data in old_files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        counter = [0]
        fail = _fail_at(n, exc, counter)

        def hooked(*args: Any, _fail: Callable[..., None] = fail, _real: Any = real) -> Any:
            _fail(*args)
            return _real(*args)

        monkeypatch.setattr(checker.files.os, where, hooked)
        with pytest.raises(type(exc)):
            write(dataclasses.replace(new, directory=target))
        monkeypatch.undo()
        now = tree_of(target)
        at = f"failing at write {n} of {writes}"
        leftovers = sorted(set(now) - set(old_files) - set(new_files))
        assert not leftovers, f"{at}: files of neither run (temporaries?): {leftovers}"
        for name, data in now.items():
            assert data in (old_files.get(name), new_files.get(name)), (
                f"{at}: {name} is neither the old file nor the new one"
            )
        missing = sorted((set(old_files) & set(new_files)) - set(now))
        assert not missing, f"{at}: files of both runs are gone: {missing}"
        # index.html is written last but for the list of what was written
        # (.forkcheck-report.json): until then, the old index
        if n < writes:
            assert now["index.html"] == old_files["index.html"], (
                f"{at}: index.html is not the old one"
            )
        else:
            assert now["index.html"] == new_files["index.html"], (
                f"{at}: index.html is not the new one"
            )
    # and the same write, not interrupted, gives exactly the new report
    target = tmp_path / "rep-whole"
    for name, data in old_files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    write(dataclasses.replace(new, directory=target))
    assert tree_of(target) == new_files


# ------------------------------------------------------------------ 4. stale files


def test_a_counterexample_that_is_gone_leaves_no_files(tmp_path: Path):
    scenario = put(tmp_path / "work" / "server.proc", ZOMBIE)
    directory = tmp_path / "rep"
    first = run("check", "--report", str(directory), str(scenario))
    assert first.returncode == 0, first.stdout + first.stderr
    cx = directory / "server" / "zombies_reaped"
    assert (cx / "trace.txt").is_file()
    assert "server/zombies_reaped/trace.txt" in (directory / "index.html").read_text()
    note = directory / "server" / "notes.md"  # not ours: kept
    note.write_text("my notes\n")

    put(scenario, REAPED)
    second = run("check", "--report", str(directory), str(scenario))
    assert second.returncode == 0, second.stdout + second.stderr
    assert not cx.exists(), f"stale files left: {sorted(map(str, cx.rglob('*')))}"
    index = (directory / "index.html").read_text()
    assert "server/zombies_reaped" not in index
    assert "the parent waits" in index and "the parent never waits" not in index
    rows = summary_rows(IndexPage(index))
    assert [(r["verdict"], r["counterexamples"]) for r in rows] == [("ok", "0")]
    assert note.read_text() == "my notes\n"
    assert (directory / "server" / "graph.dot").is_file()
    assert not list(directory.rglob("*.tmp"))


# ------------------------------------------------------------------ 5. the command line


def test_report_alone_means_the_reports_folder(tmp_path: Path):
    scenario = SCENARIOS / "05_zombie_parent_spins.proc"
    at_end = run("check", str(scenario), "--report", cwd=tmp_path)
    assert at_end.returncode == 0, at_end.stdout + at_end.stderr
    index = tmp_path / DEFAULT_REPORT_DIR / "index.html"
    assert index.is_file()
    assert f"report: {DEFAULT_REPORT_DIR}/index.html" in at_end.stdout
    assert (tmp_path / "reports" / "05_zombie_parent_spins" / "zombies_reaped").is_dir()
    index.unlink()
    before_option = run("check", "--report", "--no-traces", str(scenario), cwd=tmp_path)
    assert before_option.returncode == 0, before_option.stdout + before_option.stderr
    assert index.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_expand_argv_gives_report_its_default_folder():
    assert expand_argv(["check", "x.proc", "--report"]) == [
        "check",
        "x.proc",
        "--report",
        "reports",
    ]
    assert expand_argv(["check", "--report", "--json", "x.proc"]) == [
        "check",
        "--report",
        "reports",
        "--json",
        "x.proc",
    ]
    assert expand_argv(["check", "--report", "out", "x.proc"]) == [
        "check",
        "--report",
        "out",
        "x.proc",
    ]


def test_a_report_folder_of_scenarios_is_refused(tmp_path: Path):
    folder = tmp_path / "mine"
    put(folder / "a.proc", ZOMBIE)
    other = put(tmp_path / "x.proc", ZOMBIE)
    r = run("check", "--report", str(folder), str(other), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--report reports" in r.stderr
    assert "holds scenarios" in r.stderr
    assert r.stdout == ""
    assert sorted(p.name for p in folder.iterdir()) == ["a.proc"]


def test_a_report_folder_that_is_a_file_is_refused(tmp_path: Path):
    scenario = put(tmp_path / "x.proc", ZOMBIE)
    occupied = tmp_path / "report"
    occupied.write_text("not a folder\n")
    r = run("check", "--report", str(occupied), str(scenario))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not a directory" in r.stderr
    assert occupied.read_text() == "not a folder\n"


def test_a_report_that_cannot_be_written_exits_2_without_an_index(tmp_path: Path):
    scenario = put(tmp_path / "x.proc", ZOMBIE)
    directory = tmp_path / "rep"
    put(directory / "x", "a file where the scenario's folder goes\n")
    r = run("check", "--report", str(directory), str(scenario))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "cannot write the report" in r.stderr
    assert not (directory / "index.html").exists()
    assert not list(directory.rglob("*.tmp"))


def test_a_failing_check_keeps_exit_1_and_writes_its_report(tmp_path: Path):
    scenario = put(tmp_path / "wrong.proc", WRONG_CODE)
    directory = tmp_path / "rep"
    r = run("check", "--report", str(directory), str(scenario))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith(f"{scenario}: FAIL")
    index = (directory / "index.html").read_text()
    rows = summary_rows(IndexPage(index))
    assert [(row["verdict"], row["counterexamples"]) for row in rows] == [("FAIL", "1")]
    assert "wrong code" in (directory / "wrong" / "assertions" / "trace.txt").read_text()


def test_json_with_a_report_prints_only_json(reported: Run):
    document = json.loads(reported.proc.stdout)  # the whole of stdout, nothing before or after
    assert document["exit_status"] == 0
    assert [Path(f["path"]).name for f in document["files"]] == [f"{n}.proc" for n in REPORTED]
    assert "report:" not in reported.proc.stdout
    assert (reported.directory / "index.html").is_file()


# ------------------------------------------------------------------ bugs


def test_scenarios_of_one_name_get_folders_of_their_own(tmp_path: Path):
    paths = [
        put(tmp_path / "a" / "foo.proc", ZOMBIE),
        put(tmp_path / "b" / "foo.proc", WRONG_CODE),
        put(tmp_path / "c" / "foo-2.proc", ZOMBIE),
    ]
    report = _report(paths, tmp_path / "rep")
    write(report)
    folders = [page.folder for page in report.pages]
    assert len(set(folders)) == len(folders), f"one folder for two scenarios: {folders}"
    page = IndexPage((tmp_path / "rep" / "index.html").read_text())
    missing = [h for h in page.hrefs if (t := link_target(tmp_path / "rep", h)) and not t.is_file()]
    assert not missing, f"links to nothing: {missing}"


def test_links_hold_for_a_scenario_name_with_a_hash(tmp_path: Path):
    scenario = put(tmp_path / "bug #1.proc", ZOMBIE)
    write(_report([scenario], tmp_path / "rep"))
    page = IndexPage((tmp_path / "rep" / "index.html").read_text())
    files = [h for h in page.hrefs if not h.startswith("#")]
    assert files
    missing = [h for h in files if not (tmp_path / "rep" / unquote(urlsplit(h).path)).is_file()]
    assert not missing, f"links to nothing: {missing}"


# ------------------------------------------------------------------ found in review


def test_the_state_graph_of_a_bounded_check_stays_small(tmp_path: Path):
    """The check stops at 50 states; the report's state graph must not
    explore the unbounded scenario again (it did, up to millions of states)."""
    scenario = put(
        tmp_path / "forever.proc",
        """
        program main {
            var n = 0
            while true { n = n + 1 }
        }
        """,
    )
    directory = tmp_path / "rep"
    r = run("check", "--max-states", "50", "--report", str(directory), str(scenario))
    assert r.returncode == 3, r.stdout + r.stderr
    index = (directory / "index.html").read_text()
    assert "the state graph has more than 150 states" in index
    assert not (directory / "forever" / "graph.dot").exists()


def test_a_report_never_removes_files_it_did_not_write(tmp_path: Path):
    directory = tmp_path / "site"
    notes = put(directory / "docs" / "notes.txt", "mine\n")
    picture = directory / "docs" / "img" / "arch.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(b"\x89PNG not really")
    scenario = put(tmp_path / "docs.proc", ZOMBIE)
    for text in (ZOMBIE, REAPED):  # the second run no longer has the counterexample
        put(scenario, text)
        r = run("check", "--report", str(directory), str(scenario))
        assert r.returncode == 0, r.stdout + r.stderr
    assert notes.read_text() == "mine\n"
    assert picture.read_bytes() == b"\x89PNG not really"
    assert not (directory / "docs" / "zombies_reaped").exists()


def test_a_report_refuses_a_folder_whose_index_is_not_one(tmp_path: Path):
    directory = tmp_path / "site"
    index = put(directory / "index.html", "<html>my site</html>\n")
    scenario = put(tmp_path / "z.proc", ZOMBIE)
    r = run("check", "--report", str(directory), str(scenario))
    assert r.returncode == 2
    assert "exists and is not a forkcheck report" in r.stderr
    assert index.read_text() == "<html>my site</html>\n"


def test_a_scenario_left_out_of_a_later_run_leaves_no_files(tmp_path: Path):
    a = put(tmp_path / "a.proc", ZOMBIE)
    b = put(tmp_path / "b.proc", ZOMBIE)
    directory = tmp_path / "rep"
    assert run("check", "--report", str(directory), str(a), str(b)).returncode == 0
    assert (directory / "b" / "zombies_reaped" / "trace.txt").is_file()
    assert run("check", "--report", str(directory), str(a)).returncode == 0
    assert not (directory / "b").exists()
    assert (directory / "a" / "zombies_reaped" / "trace.txt").is_file()
    listed = json.loads((directory / ".forkcheck-report.json").read_text())["files"]
    assert all(not name.startswith("b/") for name in listed) and "index.html" in listed
