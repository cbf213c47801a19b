"""The bundled scenario library: every file meets its expectations, says what
it teaches, and every bug scenario prints the shortest trace of its bug."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.results import EXIT_OK, MET, VIOLATED
from checker.runner import check_file

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.proc"))


def test_the_library_covers_the_course():
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_meets_its_expectations(path: Path):
    text = path.read_text()
    assert text.lstrip().startswith("#"), (
        "each scenario opens with a comment saying what it teaches"
    )
    assert "\nexpect " in text or text.startswith("expect "), (
        "each scenario states its expectations"
    )
    r = check_file(path)
    assert r.exit_code == EXIT_OK, [e for e in r.expectations if e.status != MET]
    assert r.complete
    for prop in r.properties:
        if prop.expected:
            assert prop.status == VIOLATED
            assert prop.trace is not None and prop.trace.steps
