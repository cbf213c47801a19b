"""The two engines side by side (`--engine both`): on every bundled scenario
and on random programs they must agree (LANGUAGE.md: the same verdict for
every property both decide, a violation at the same shortest depth, the same
outcomes when both saw every run). A disagreement is exit 4: a bug in one
engine.

The symbolic engine searches a bounded depth here, so that the whole file
runs in a couple of minutes; what it leaves bounded is named, not compared,
unless the explicit counterexample is within that depth.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from checker.engines.symbolic.layout import unsupported
from checker.lang.load import load_text
from checker.results import EXIT_INTERNAL, EXIT_OK, VIOLATED
from checker.runner import Options, check_file, check_text
from tests.test_random_programs import programs

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.proc"))
DEPTH = 6


def covered(text: str, path: str) -> bool:
    return unsupported(load_text(text, path)) is None


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_both_engines_agree_on_every_scenario(path: Path) -> None:
    # a file meant for the symbolic engine gets its default depth (the
    # explorer cannot answer it, so the bounded answer would be the only one)
    own = load_text(path.read_text(), str(path)).settings.engine == "symbolic"
    depth = None if own else DEPTH
    result = check_file(path, Options(engine="both", depth=depth, timeout=60))
    messages = [d.message for d in result.errors]
    assert result.exit_code == EXIT_OK, (result.exit_code, messages)
    not_compared = [w.message for w in result.warnings if w.message.startswith("not compared")]
    if covered(path.read_text(), str(path)):
        assert not not_compared, not_compared
    else:
        # the symbolic engine says what it does not cover, and gives no verdict
        assert not_compared and "does not cover" in not_compared[0], not_compared


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_both_engines_agree_on_random_programs(text: str) -> None:
    result = check_text(text, "random.proc", Options(engine="both", depth=DEPTH, timeout=60))
    assert result.exit_code != EXIT_INTERNAL, (text, [d.message for d in result.errors])
    assert not result.errors, (text, result.errors)


def test_a_disagreement_is_an_internal_error() -> None:
    """The comparison itself: a symbolic verdict that differs is exit 4 and
    names the property."""
    from dataclasses import replace

    from checker.engines.symbolic.compare import compare

    path = SCENARIOS[0].parent / "14_fork_limit_unchecked.proc"  # violated in 5 steps
    text = path.read_text()
    explicit = check_text(text, str(path), Options(engine="explicit"))
    symbolic = check_text(text, str(path), Options(engine="symbolic", depth=DEPTH))
    assert [p.status for p in symbolic.properties if p.name == "assertions"] == [VIOLATED]
    # pretend the symbolic engine found a longer counterexample
    mine = next(p for p in symbolic.properties if p.name == "assertions")
    assert mine.trace is not None
    longer = replace(mine.trace, steps=[*mine.trace.steps, mine.trace.steps[-1]])
    symbolic.properties = [
        replace(p, trace=longer) if p.name == "assertions" else p for p in symbolic.properties
    ]
    result = compare(explicit, symbolic)
    assert result.exit_code == EXIT_INTERNAL
    assert "assertions: shortest counterexample of 5 steps (explicit), 6 (symbolic)" in (
        result.errors[0].message
    )
