"""Text to IR in one call: parse, check, lower."""

from __future__ import annotations

from pathlib import Path

from checker.lang.check import check
from checker.lang.ir import ScenarioIR
from checker.lang.lower import lower
from checker.lang.parse import parse


def load_text(text: str, path: str = "<string>") -> ScenarioIR:
    """Raises checker.errors.UserError with every mistake found."""
    return lower(check(parse(text, path)))


def load_file(path: str | Path) -> ScenarioIR:
    return load_text(Path(path).read_text(encoding="utf-8"), str(path))
