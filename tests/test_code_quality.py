"""ruff and mypy are part of the suite, so CI keeps the code clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_is_clean():
    r = run("ruff", "check", "checker", "tests")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_happy_on_checker():
    r = run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr
