"""The `forkcheck` command line (Typer). Thin: it finds the files, calls the
runner, prints with a renderer, and exits with the status CI gates on."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer

from checker import __version__
from checker.errors import Diagnostic
from checker.lang.ast import NOWHERE
from checker.results import EXIT_ERROR, EXIT_FAIL, EXIT_INTERNAL, EXIT_OK, FileResult, most_severe

app = typer.Typer(
    add_completion=False,
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
) -> None:
    """Check scenarios: explore every interleaving and compare with each file's expectations.

    Exit status: 0 every expectation met; 1 some expectation not met; 2 usage, parse or
    static error; 3 incomplete (a bound stopped the search); 4 internal error.
    """
    from checker.render.json import render_json
    from checker.render.text import render_file
    from checker.runner import Options, check_file

    options = Options(max_states=max_states, max_depth=max_depth)
    results: list[FileResult] = []
    for path, ready in collect(paths):
        if ready is not None:
            result = ready
        else:
            progress = _Progress(path)
            try:
                result = check_file(path, options, progress)
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
    raise typer.Exit(most_severe([r.exit_code for r in results]))


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("forkcheck: interrupted\n")
        sys.exit(130)
