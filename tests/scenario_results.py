"""What the scenario-pinning tests (test_signal_scenarios, test_clone_scenarios)
read from a library file's result: each file is checked once per session."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from checker.results import EXIT_OK, HOLDS, VIOLATED, FileResult
from checker.runner import check_file

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@cache
def result(name: str) -> FileResult:
    """The file's result; every expectation met and the search complete."""
    r = check_file(SCENARIOS / name)
    assert r.exit_code == EXIT_OK, (name, r.errors, [e.text for e in r.expectations])
    assert r.complete
    return r


def violations(r: FileResult) -> dict[str, int]:
    """Violated property -> length of its shortest counterexample."""
    out = {}
    for prop in r.properties:
        assert prop.status in (HOLDS, VIOLATED), (prop.name, prop.status)
        if prop.status == VIOLATED:
            assert prop.trace is not None
            out[prop.name] = len(prop.trace.steps)
    return out


def outcomes(r: FileResult) -> set[tuple[object, ...]]:
    return {o.values for o in r.outcomes}


def assert_violations(name: str, expected: dict[str, int]) -> None:
    """Exactly these properties are violated, each with a shortest
    counterexample of this length, and each is one the file expects."""
    r = result(name)
    assert violations(r) == expected
    for prop in r.properties:
        assert prop.expected == (prop.name in expected)
