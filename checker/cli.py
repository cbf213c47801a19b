"""The `forkcheck` command line (Typer). Thin: it finds the files, calls the
runner, prints with a renderer, and exits with the status CI gates on."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from checker import __version__
from checker.errors import Diagnostic
from checker.lang.ast import NOWHERE
from checker.lang.builtins import ENGINES, FAIRNESS
from checker.results import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    FileResult,
    most_severe,
)

DEFAULT_REPORT_DIR = "reports"

FairnessOption = Annotated[
    str | None,
    typer.Option(
        "--fairness",
        help="Which infinite runs the liveness properties (eventually, leadsto, "
        "zombies_eventually_reaped) are judged on: weak (a task that stays able to step "
        "eventually steps; the default), strong (one able to step infinitely often "
        "eventually steps) or none; overrides the file's config.",
        show_default=False,
    ),
]

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="forkcheck: a model checker for Linux process programs (.proc scenarios).",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"forkcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """forkcheck: a model checker for Linux process programs (.proc scenarios)."""


def collect(paths: list[Path]) -> list[tuple[str, FileResult | None]]:
    """The .proc files named or found (recursively, sorted) under the paths;
    a path that is missing or holds no scenario gives an error result."""
    out: list[tuple[str, FileResult | None]] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*.proc"))
            if not found:
                r = FileResult(str(p), exit_code=EXIT_ERROR)
                r.errors = [Diagnostic(str(p), NOWHERE, "no .proc files in this directory")]
                out.append((str(p), r))
            out += [(str(f), None) for f in found]
        elif p.exists():
            out.append((str(p), None))
        else:
            r = FileResult(str(p), exit_code=EXIT_ERROR)
            r.errors = [Diagnostic(str(p), NOWHERE, "no such file or directory")]
            out.append((str(p), r))
    return out


class _Progress:
    """A rich status line on stderr, shown once a file has taken a second,
    and only when stderr is a terminal."""

    def __init__(self, path: str):
        self.path = path
        self.started = time.perf_counter()
        self.enabled = sys.stderr.isatty()
        self.display: Any = None
        self.task: Any = None
        self.printed = False

    def __call__(self, states: int, transitions: int, depth: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if self.display is None:
            if elapsed < 1.0:
                return
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.display = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.display.start()
            self.task = self.display.add_task(self.path, total=None)
        rate = states / elapsed if elapsed > 0 else 0
        self.display.update(
            self.task,
            description=f"{self.path}: {states:,} states, {transitions:,} transitions, "
            f"depth {depth}, {rate:,.0f} states/s",
        )

    def solved(self, depth: int, seconds: float) -> None:
        """The symbolic engine searched runs of `depth` steps: a line on
        stderr once the file has taken a second (solver runs are long and
        each depth costs more than the last, so every line is kept)."""
        elapsed = time.perf_counter() - self.started
        if elapsed >= 1.0 or self.printed:
            self.printed = True
            typer.echo(
                f"{self.path}: symbolic: runs of {depth} steps searched in {seconds:.2f} s "
                f"({elapsed:.1f} s in all)",
                err=True,
            )

    def close(self) -> None:
        if self.display is not None:
            self.display.stop()


@app.command()
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Scenario files, or directories to search for *.proc files."),
    ],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON document.")
    ] = False,
    max_states: Annotated[
        int | None,
        typer.Option(
            "--max-states",
            min=1,
            help="Give up (verdict: incomplete) after this many distinct states; overrides the file's config.",
        ),
    ] = None,
    max_depth: Annotated[
        int | None,
        typer.Option(
            "--max-depth",
            min=0,
            help="Do not explore paths longer than this (0: no bound); overrides the file's config.",
        ),
    ] = None,
    traces: Annotated[
        bool,
        typer.Option("--traces/--no-traces", help="Print the counterexample of every violation."),
    ] = True,
    fairness: FairnessOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="explicit (enumerate every state; the default), symbolic (bounded model "
            "checking with Z3, up to --depth steps) or both (run both and compare: a "
            "disagreement is an internal error); overrides the file's config.",
            show_default=False,
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option("--depth", min=0, help="The symbolic engine's bound in steps (default 20)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="The symbolic engine's time limit per property and depth, in seconds.",
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            min=0.001,
            help="The symbolic engine's time per file, in seconds: it stops at the last "
            "depth searched whole (default: none; 60 with --engine both, whose symbolic "
            "run goes as deep as the explicit one had to).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="[DIR]",
            help=f"Write a report to DIR ({DEFAULT_REPORT_DIR}/ when no DIR follows): "
            "index.html, and per counterexample a timeline and a process tree "
            "(.dot and .svg), an ITF trace and the text trace.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check scenarios: explore every interleaving and compare with each file's expectations.

    Exit status: 0 every expectation met; 1 some expectation not met; 2 usage, parse or
    static error (or the report cannot be written); 3 incomplete (a bound stopped the
    search); 4 internal error.
    """
    from checker.render.json import render_json
    from checker.render.text import render_file
    from checker.runner import Options, check_file

    if report is not None:
        _refuse_scenario_folder(report)
    _check_fairness(fairness)
    if engine is not None and engine not in ENGINES:
        _usage(f"--engine {engine}: not one of {', '.join(ENGINES)}")
    options = Options(
        max_states=max_states,
        max_depth=max_depth,
        fairness=fairness,
        engine=engine,
        depth=depth,
        timeout=timeout,
        budget=budget,
    )
    results: list[FileResult] = []
    for path, ready in collect(paths):
        if ready is not None:
            result = ready
        else:
            progress = _Progress(path)
            try:
                result = check_file(path, options, progress, progress.solved)
            except Exception as err:  # a bug in forkcheck, not in the scenario
                result = FileResult(path, exit_code=EXIT_INTERNAL)
                result.errors = [
                    Diagnostic(
                        path, NOWHERE, f"internal error: {err!r} (please report it with this file)"
                    )
                ]
                traceback.print_exc(file=sys.stderr)
            finally:
                progress.close()
        results.append(result)
        if not json_out:
            typer.echo(render_file(result, traces))
    if json_out:
        typer.echo(render_json(results))
    elif len(results) > 1:
        counts: dict[str, int] = {}
        for r in results:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        summary = ", ".join(f"{n} {v}" for v, n in counts.items())
        typer.echo(f"{len(results)} files: {summary}")
    code = most_severe([r.exit_code for r in results])
    if report is not None:
        code = most_severe([code, _write_report(results, report, quiet=json_out)])
    raise typer.Exit(code)


@app.command()
def prove(
    path: Annotated[Path, typer.Argument(help="A scenario file.")],
    k: Annotated[int, typer.Option("--k", min=0, help="Induction depth.")] = 1,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.001, help="Time limit per solver call, in seconds."),
    ] = None,
) -> None:
    """Prove each checked property for unbounded depth by k-induction (Z3).

    Exit status: 0 every property proved; 1 one is violated (its trace is
    printed); 2 the file does not load; 3 some property is not k-inductive
    (the counterexample to induction is printed: add a strengthening
    invariant, or raise --k) or the solver timed out; 4 internal error.
    """
    from checker.engines.symbolic.bmc import Symbolic
    from checker.engines.symbolic.induction import NOT_INDUCTIVE, PROVED, VIOLATED
    from checker.engines.symbolic.induction import prove as k_induction
    from checker.engines.symbolic.layout import unsupported
    from checker.errors import UserError, format_diagnostics
    from checker.kernel.model import Kernel
    from checker.lang.load import load_text
    from checker.render.text import render_file, render_trace
    from checker.results import EXIT_FAIL, EXIT_INCOMPLETE, build_trace
    from checker.runner import read_source

    text = read_source(str(path))
    if isinstance(text, FileResult):
        typer.echo(render_file(text), err=True)
        raise typer.Exit(EXIT_ERROR)
    try:
        scenario = load_text(text, str(path))
    except UserError as err:
        typer.echo(format_diagnostics(err.diagnostics, text), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    missing = unsupported(scenario)
    if missing is not None:
        typer.echo(f"{path}: {missing}: nothing proved", err=True)
        raise typer.Exit(EXIT_INCOMPLETE)
    kernel = Kernel(scenario)
    proofs = k_induction(Symbolic(scenario, kernel), k, timeout)
    programs = tuple(p.name for p in scenario.programs)
    typer.echo(f"{path}: k-induction, k={k}")
    width = max(len(p.name) for p in proofs)
    codes = [EXIT_OK]
    for p in proofs:
        if p.status == PROVED:
            how = f"proved (k={p.k})" + (f": {p.note}" if p.note else "")
            typer.echo(f"  {p.name:<{width}}  {how}")
            continue
        if p.status == VIOLATED and p.found is not None:
            codes.append(EXIT_FAIL)
            typer.echo(f"  {p.name:<{width}}  violated at depth {p.found.depth}: {p.found.message}")
            trace = build_trace(kernel, p.found.path, p.name, p.found.message, p.found.failure)
            typer.echo(_indent(render_trace(trace, programs), 4))
            continue
        codes.append(EXIT_INCOMPLETE)
        typer.echo(f"  {p.name:<{width}}  {p.status}" + (f": {p.note}" if p.note else ""))
        if p.status == NOT_INDUCTIVE:
            typer.echo(
                f"    counterexample to induction ({len(p.cti)} states, the last violates it):"
            )
            for n, rows in enumerate(p.cti):
                typer.echo(f"    state {n}:")
                typer.echo("      pid  ppid  st  program     line  locals | vars")
                for pid, ppid, st, name, line, locs, mem in rows:
                    where = str(line) if line is not None else "-"
                    values = f"{locs} | {mem}" if mem else locs
                    typer.echo(f"      {pid:<4} {ppid:<5} {st:<3} {name:<11} {where:<5} {values}")
    raise typer.Exit(most_severe(codes))


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line if line else line for line in text.splitlines())


def _check_fairness(fairness: str | None) -> None:
    if fairness is not None and fairness not in FAIRNESS:
        _usage(f"--fairness {fairness}: not one of {', '.join(FAIRNESS)}")


def _refuse_scenario_folder(directory: Path) -> None:
    from checker.report import not_a_report, scenario_dirs

    if directory.exists() and not directory.is_dir():
        hint = (
            f"; did you mean `--report {DEFAULT_REPORT_DIR} {directory}`? "
            "(--report takes the next argument as its folder)"
            if directory.suffix == ".proc"
            else ""
        )
        _usage(f"--report {directory}: not a directory{hint}")
    reason = not_a_report(directory)
    if reason is not None:
        _usage(f"--report {directory}: {reason}; choose another folder")
    if scenario_dirs(directory):
        _usage(
            f"--report {directory}: that folder holds scenarios (.proc files); "
            f"did you mean `--report {DEFAULT_REPORT_DIR} {directory}`? "
            "(--report takes the next argument as its folder)"
        )


def _usage(message: str) -> NoReturn:
    typer.echo(f"forkcheck: {message}", err=True)
    raise typer.Exit(EXIT_ERROR)


def _write_report(results: list[FileResult], directory: Path, quiet: bool) -> int:
    from checker.render.dot import INSTALL_HINT
    from checker.report import build, write

    try:
        report = build(results, directory)
        count = write(report)
    except OSError as err:
        typer.echo(f"forkcheck: cannot write the report in {directory}: {err}", err=True)
        return EXIT_ERROR
    if report.dot_missing:
        typer.echo(f"forkcheck: warning: {INSTALL_HINT}; the report has the .dot files", err=True)
    for message in report.render_errors:
        typer.echo(f"forkcheck: warning: {message}", err=True)
    if not quiet:
        typer.echo(f"report: {directory / 'index.html'} ({count} files, {report.seconds:.2f} s)")
    return EXIT_OK


@app.command()
def flags(
    expr: Annotated[
        str,
        typer.Argument(
            help="A clone flags expression, as in `clone(...)`: CLONE_VM|CLONE_THREAD|SIGCHLD, "
            "or a number such as 0x10900.",
            show_default=False,
        ),
    ],
    init: Annotated[
        bool,
        typer.Option("--init", help="Explain the call as made by init (pid 1)."),
    ] = False,
) -> None:
    """Explain a clone(2) flags word: the flags, the exit signal, whether the kernel
    accepts it (and if not, every rule it breaks), and what the child shares.

    Exit status: 0 valid; 1 invalid (EINVAL); 2 a bad expression.
    """
    from checker.errors import UserError, format_diagnostics
    from checker.lang.flagexpr import flags_value
    from checker.render.flags import render
    from checker.symbolic.clone_flags import explain

    try:
        word = flags_value(expr)
    except UserError as err:
        typer.echo(format_diagnostics(err.diagnostics, expr), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    try:
        explanation = explain(word, caller_is_init=init)
        text = render(explanation)
    except Exception as err:  # a bug in forkcheck, not in the expression
        typer.echo(f"<flags>: internal error: {err!r} (please report it)", err=True)
        traceback.print_exc(file=sys.stderr)
        raise typer.Exit(EXIT_INTERNAL) from None
    typer.echo(text)
    raise typer.Exit(EXIT_OK if explanation.valid else EXIT_FAIL)


def expand_argv(args: list[str]) -> list[str]:
    """`--report` with no folder after it means `--report reports` (Click
    has no option whose value may be left out)."""
    out = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--report" and (i + 1 == len(args) or args[i + 1].startswith("-")):
            out.append(DEFAULT_REPORT_DIR)
    return out


def main() -> None:
    try:
        app(args=expand_argv(sys.argv[1:]), prog_name="forkcheck")
    except KeyboardInterrupt:
        sys.stderr.write("forkcheck: interrupted\n")
        sys.exit(130)
    except Exception as err:  # a bug in forkcheck: say so, with what to report
        traceback.print_exc(file=sys.stderr)
        sys.stderr.write(
            f"forkcheck: internal error: {err!r} (please report it with the command)\n"
        )
        sys.exit(EXIT_INTERNAL)


# ------------------------------------------------------------------ pictures and traces

TRACE_FORMATS = ("text", "svg", "png", "dot", "itf")


def _output_format(
    fmt: str | None, out: Path | None, allowed: tuple[str, ...], default: str
) -> str:
    """--format, or what -o's name says (.svg, .png, .dot, .itf.json, .txt)."""
    if fmt is None and out is not None:
        name = out.name.lower()
        by_suffix = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".txt": "text"}
        fmt = "itf" if name.endswith(".json") else by_suffix.get(Path(name).suffix)
        if fmt is None:
            _usage(
                f"-o {out}: cannot tell the format from the name; give --format "
                f"({', '.join(allowed)}) or a name ending in .svg, .png, .dot, .itf.json or .txt"
            )
    fmt = fmt or default
    if fmt not in allowed:
        _usage(f"--format {fmt}: not one of {', '.join(allowed)}")
    if fmt == "png" and out is None:
        _usage("--format png needs -o FILE (a PNG is not for a terminal)")
    return fmt


def _emit(data: str | bytes, out: Path | None) -> None:
    from checker.files import write_atomic

    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            typer.echo(data, nl=not data.endswith("\n"))
        return
    try:
        write_atomic(out, data)
    except OSError as err:
        _usage(f"cannot write {out}: {err.strerror or err}")


def _picture(source: str, fmt: str) -> str | bytes:
    """dot source as dot text, or rendered by `dot` (exit 2 without it)."""
    from checker.render.dot import RenderError, render

    if fmt == "dot":
        return source
    try:
        data = render(source, fmt)
    except RenderError as err:
        _usage(f"{err} (use --format dot to get the graph without Graphviz)")
    return data.decode("utf-8") if fmt == "svg" else data


def _checked(path: Path, fairness: str | None) -> FileResult:
    """The file checked, or exit 2 with its errors when it does not load."""
    from checker.errors import format_diagnostics
    from checker.runner import Options, check_file

    _check_fairness(fairness)
    progress = _Progress(str(path))
    try:
        result = check_file(path, Options(fairness=fairness), progress=progress)
    finally:
        progress.close()
    if result.errors and result.error_trace is None:
        typer.echo(format_diagnostics(result.errors, result.source), err=True)
        raise typer.Exit(EXIT_ERROR)
    return result


def _chosen(result: FileResult, prop: str | None) -> Any:
    """The counterexample to draw: the one of --property, or the first."""
    from checker.results import counterexamples

    found = counterexamples(result)
    if prop is not None:
        match = [c for c in found if prop in (c.name, c.slug)]
        if not match:
            names = ", ".join(c.slug for c in found) or "none"
            typer.echo(
                f"{result.path}: no counterexample for {prop} (counterexamples: {names})",
                err=True,
            )
            raise typer.Exit(EXIT_FAIL)
        return match[0]
    if not found and not result.complete:
        typer.echo(
            f"{result.path}: no counterexample found before the search stopped "
            f"(stopped by {result.stop} after {result.states:,} states): nothing is decided",
            err=True,
        )
        raise typer.Exit(EXIT_INCOMPLETE)
    if not found:
        typer.echo(
            f"{result.path}: no counterexample: no property fails and every expectation "
            f"with a trace is met ({result.states:,} states)",
            err=True,
        )
        raise typer.Exit(EXIT_FAIL)
    return found[0]


PropertyOption = Annotated[
    str | None,
    typer.Option(
        "--property",
        "-p",
        help="The property (or `expect-line-N`) whose counterexample to use; the first one by default.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Write here (atomically) instead of to standard output."),
]


@app.command()
def trace(
    path: Annotated[Path, typer.Argument(help="A scenario file.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="text, svg, png, dot or itf (ITF JSON); by default what -o's suffix says, else text.",
        ),
    ] = None,
    output: OutOption = None,
    prop: PropertyOption = None,
    fairness: FairnessOption = None,
) -> None:
    """Write one counterexample of a scenario: as text with ps tables, as a timeline
    picture (one lane per task, one column per step), or as an ITF trace.

    Exit status: 0 written; 1 the scenario has no such counterexample; 2 a usage, parse or
    static error, or `dot` missing for svg/png.
    """
    from checker.report import itf_text, text_trace, timeline_source

    out_fmt = _output_format(fmt, output, TRACE_FORMATS, "text")
    result = _checked(path, fairness)
    cx = _chosen(result, prop)
    if out_fmt == "text":
        data: str | bytes = text_trace(result, cx)
    elif out_fmt == "itf":
        if cx.kind == "error":
            _usage("a model error's trace has no ITF form (it does not replay)")
        data = itf_text(result, cx)
    else:
        data = _picture(timeline_source(result, cx), out_fmt)
    _emit(data, output)


@app.command()
def tree(
    path: Annotated[Path, typer.Argument(help="A scenario file.")],
    step: Annotated[
        int | None,
        typer.Option(
            "--step",
            "-s",
            min=0,
            help="Draw the tree after this step of the counterexample (0: the initial "
            "state); the last step, where the property fails, by default.",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="text, svg, png or dot; by default what -o says, else text."
        ),
    ] = None,
    output: OutOption = None,
    prop: PropertyOption = None,
    fairness: FairnessOption = None,
) -> None:
    """Draw the process tree at one step of a counterexample, with ps state letters.

    Exit status: 0 written; 1 the scenario has no such counterexample; 2 a usage, parse or
    static error, a step outside the trace, or `dot` missing for svg/png.
    """
    from checker.render.text import ps_rows
    from checker.render.tree import state_at
    from checker.report import tree_source

    out_fmt = _output_format(fmt, output, ("text", "svg", "png", "dot"), "text")
    result = _checked(path, fairness)
    cx = _chosen(result, prop)
    try:
        s = state_at(cx.trace, step)
    except ValueError as err:
        _usage(f"--step {step}: {err}")
    if out_fmt == "text":
        n = len(cx.trace.steps) if step is None else step
        head = f"{result.path}: {cx.heading}; the tasks after step {n} of {len(cx.trace.steps)}:"
        threads = any(t.pid != t.tgid for t in s.tasks)
        rows = ps_rows(s, result.programs, threads=threads)
        data: str | bytes = "\n".join([head, *("  " + row for row in rows)])
    else:
        data = _picture(tree_source(result, cx, step), out_fmt)
    _emit(data, output)


@app.command()
def graph(
    path: Annotated[Path, typer.Argument(help="A scenario file.")],
    max_nodes: Annotated[
        int,
        typer.Option(
            "--max-nodes",
            min=1,
            help="Refuse to draw a graph of more states than this (dot gets slow and the "
            "picture unreadable beyond a few hundred).",
        ),
    ] = 500,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="svg, png or dot; by default what -o says, else dot."),
    ] = None,
    output: OutOption = None,
    fairness: FairnessOption = None,
) -> None:
    """Draw the explored state graph: every state with its tasks, every step; the states
    where a property fails in red, and the shortest path to the first one in bold red
    (for a liveness property, its whole counterexample run, loop included).

    Exit status: 0 written; 1 the graph has more than --max-nodes states; 2 a usage,
    parse or static error, or `dot` missing for svg/png.
    """
    from checker.runner import explore_graph

    out_fmt = _output_format(fmt, output, ("svg", "png", "dot"), "dot")
    _check_fairness(fairness)
    drawn = explore_graph(str(path), max_nodes, fairness)
    if drawn.result.errors:
        from checker.errors import format_diagnostics

        typer.echo(format_diagnostics(drawn.result.errors, drawn.result.source), err=True)
        raise typer.Exit(EXIT_ERROR)
    if drawn.too_big or drawn.source is None:
        typer.echo(
            f"{path}: the state graph has more than {max_nodes:,} states; it is not drawn. "
            f"Raise --max-nodes to draw it anyway (e.g. --max-nodes {max_nodes * 10}; "
            "dot takes minutes on tens of thousands of states).",
            err=True,
        )
        raise typer.Exit(EXIT_FAIL)
    _emit(_picture(drawn.source, out_fmt), output)


@app.command()
def replay(
    path: Annotated[Path, typer.Argument(help="The scenario file.")],
    trace_file: Annotated[
        Path, typer.Argument(metavar="TRACE", help="An ITF trace that forkcheck wrote (.itf.json).")
    ],
    fairness: FairnessOption = None,
) -> None:
    """Check that a saved counterexample (ITF JSON) still replays against the scenario,
    step by step, and still ends where its property fails.

    Exit status: 0 it replays and the property still fails at its end; 1 it does not
    replay (the first step that differs is named), or the property no longer fails;
    2 the scenario or the trace cannot be read.
    """
    from checker.replay import ReplayError, replay_files

    _check_fairness(fairness)
    try:
        done = replay_files(str(path), str(trace_file), fairness)
    except ReplayError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo(f"{trace_file}: {done.message}")
    raise typer.Exit(EXIT_OK if done.ok else EXIT_FAIL)
