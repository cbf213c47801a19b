"""Text to IR in one call: parse, check, lower, then the warnings that need
the lowered program (clone flags that copy_process refuses)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from checker.errors import Diagnostic
from checker.lang.check import check
from checker.lang.flagcheck import clone_warnings
from checker.lang.ir import ScenarioIR
from checker.lang.lower import lower
from checker.lang.parse import parse


def load_text(text: str, path: str = "<string>") -> ScenarioIR:
    """Raises checker.errors.UserError with every mistake found."""
    scenario = lower(check(parse(text, path)))
    extra = clone_warnings(scenario)
    if not extra:
        return scenario
    warnings = sorted([*scenario.warnings, *extra], key=Diagnostic.sort_key)
    return dataclasses.replace(scenario, warnings=tuple(warnings))


def load_file(path: str | Path) -> ScenarioIR:
    return load_text(Path(path).read_text(encoding="utf-8"), str(path))
