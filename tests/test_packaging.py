"""The package as installed (not editable) finds its grammar."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_grammar_and_uses_it(tmp_path):
    # build from a copy: a build in the checkout would leave build/ behind
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("grammar", "checker"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("forkcheck-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        z.extractall(site)
    assert "checker/grammar/proc.lark" in names
    # every module of the checkout ships (pyproject lists the packages by hand)
    modules = sorted(
        str(f.relative_to(ROOT))
        for f in (ROOT / "checker").rglob("*.py")
        if "__pycache__" not in f.parts
    )
    assert [m for m in modules if m not in names] == []
    assert (site / "checker" / "grammar" / "proc.lark").read_text() == (
        ROOT / "grammar" / "proc.lark"
    ).read_text()
    # Run from an empty directory with only the unpacked wheel on the path:
    # the grammar must come from the package, not from the checkout.
    code = (
        "import checker.lang.parse as p, importlib.resources as r;"
        "print(r.files('checker.grammar').joinpath('proc.lark'));"
        "s = p.parse('program main { exit 0 }', 'x.proc');"
        "print(type(s.items[0]).__name__)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    where, kind = run.stdout.split()
    assert where.startswith(str(site)) and kind == "ProgramDecl"
