"""`--engine both`: the explicit and the symbolic verdicts side by side.

Every property both engines decided must have the same verdict, and a
violation the same shortest depth (`zombies_reaped` excepted: the explicit
engine reports the first state from which a zombie can no longer be
reaped, the symbolic one the end of a run that leaves it). What the
symbolic engine left bounded is named, not counted as a disagreement,
unless the explicit counterexample is within the depth it searched. When
that depth reaches the explicit search's (every reachable state is within
it), the two answers are compared whole, outcomes included. Where the explicit engine stopped and the symbolic one decided, the
symbolic verdict is the answer. A disagreement is an internal error (exit 4): one engine has a bug.
"""

from __future__ import annotations

from checker.errors import Diagnostic
from checker.lang.ast import NOWHERE
from checker.results import EXIT_INCOMPLETE, EXIT_INTERNAL, UNKNOWN, VIOLATED, FileResult


def compare(explicit: FileResult, symbolic: FileResult) -> FileResult:
    path = explicit.path
    if symbolic.errors and symbolic.exit_code == EXIT_INCOMPLETE:
        # the symbolic engine does not cover the scenario: nothing to compare
        note = symbolic.errors[0].message
        explicit.warnings.append(Diagnostic(path, NOWHERE, f"not compared: {note}", "warning"))
        return explicit
    if symbolic.errors or explicit.errors:
        if bool(symbolic.errors) != bool(explicit.errors):
            return _disagree(
                explicit,
                [
                    f"explicit: {_errors(explicit) or 'no error'}; symbolic: {_errors(symbolic) or 'no error'}"
                ],
            )
        return explicit
    theirs = {p.name: p for p in symbolic.properties}
    problems = []
    bounded = []
    for mine in explicit.properties:
        other = theirs.get(mine.name)
        if other is None:
            continue
        if other.status == UNKNOWN:
            if (
                mine.status == VIOLATED
                and mine.trace is not None
                and symbolic.bound is not None
                and len(mine.trace.steps) <= symbolic.bound
                and mine.name != "zombies_reaped"
            ):
                problems.append(
                    f"{mine.name}: the explicit engine finds a violation in "
                    f"{len(mine.trace.steps)} steps, the symbolic one none within "
                    f"{symbolic.bound}"
                )
                continue
            bounded.append(mine.name)
            continue
        if mine.status == UNKNOWN:
            continue
        if mine.status != other.status:
            problems.append(f"{mine.name}: explicit {mine.status}, symbolic {other.status}")
            continue
        if mine.status == VIOLATED and mine.name != "zombies_reaped":
            a = len(mine.trace.steps) if mine.trace else None
            b = len(other.trace.steps) if other.trace else None
            if a != b:
                problems.append(
                    f"{mine.name}: shortest counterexample of {a} steps (explicit), {b} (symbolic)"
                )
    # the symbolic search reached every state the explicit one found (BFS
    # depth), with no solver call cut short: its outcomes are all of them
    covered = (
        explicit.complete
        and symbolic.bound is not None
        and symbolic.bound >= explicit.depth
        and not (symbolic.stop or "").startswith(("solver timeout", "time budget"))
    )
    if explicit.complete and (symbolic.complete or covered) and explicit.observe:
        a_vals = {o.values for o in explicit.outcomes}
        b_vals = {o.values for o in symbolic.outcomes}
        if a_vals != b_vals:
            problems.append(
                f"outcomes: explicit {sorted(map(str, a_vals))}, symbolic "
                f"{sorted(map(str, b_vals))}"
            )
    if problems:
        return _disagree(explicit, problems, symbolic)
    if explicit.exit_code == EXIT_INCOMPLETE and symbolic.exit_code != EXIT_INCOMPLETE:
        # the explorer stopped (a bound, an `any` too wide to enumerate) and
        # the solver decided: its verdict stands, and what stopped the other
        symbolic.warnings.append(
            Diagnostic(
                path,
                NOWHERE,
                f"the explicit engine stopped ({explicit.stop}); the verdict is the symbolic "
                "engine's",
                "warning",
            )
        )
        return symbolic
    if bounded and not covered:
        explicit.warnings.append(
            Diagnostic(
                path,
                NOWHERE,
                f"the symbolic engine left {', '.join(bounded)} bounded (no violation within "
                f"{symbolic.bound} steps; every state is within {explicit.depth}"
                + (f"; {symbolic.stop}" if symbolic.stop else "")
                + ")",
                "warning",
            )
        )
    return explicit


def _errors(r: FileResult) -> str:
    return "; ".join(d.message for d in r.errors)


def _disagree(
    explicit: FileResult, problems: list[str], symbolic: FileResult | None = None
) -> FileResult:
    explicit.exit_code = EXIT_INTERNAL
    explicit.errors = [
        Diagnostic(explicit.path, NOWHERE, f"internal error: the engines disagree: {p}")
        for p in problems
    ]
    if symbolic is not None:
        for p in symbolic.properties:
            if p.trace is not None:
                explicit.properties.append(p)  # the symbolic counterexamples, shown too
                p.name = f"{p.name} (symbolic)"
    return explicit
