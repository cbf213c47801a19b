"""The library's symbolic-engine scenarios: 87/88 (an invariant that is not
1-inductive, and its strengthening, under `forkcheck prove`) and 89 (a bug
at one value of a large `any`, which the file sends to the symbolic engine
with `config { engine = symbolic }`), and the `engine` config key."""

from __future__ import annotations

import re
from pathlib import Path

from checker.results import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK, VIOLATED
from checker.runner import Options, check_file, check_text
from tests.cli_helpers import run

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
NOT_INDUCTIVE = SCENARIOS / "87_job_status_not_inductive.proc"
STRENGTHENED = SCENARIOS / "88_job_status_strengthened.proc"
MAGIC = SCENARIOS / "89_magic_size_needs_symbolic.proc"

# a CTI row: pid, ppid, state letter, program, line (or -), values
ROW = re.compile(r"^ {6}(\d+)\s+(\d+)\s+([RSZ])\s+(\S+)\s+(\d+|-)\s*(.*)$")


def _line_of(path: Path, statement: str) -> int:
    """The line of the code (not the comments) that begins with `statement`."""
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip().startswith(statement))


def _cti_states(stdout: str) -> list[list[tuple[str, ...]]]:
    """The CTI tables `prove` printed: per state, its rows."""
    states: list[list[tuple[str, ...]]] = []
    for line in stdout.splitlines():
        if re.match(r"^ {4}state \d+:$", line):
            states.append([])
        elif (m := ROW.match(line)) and states:
            states[-1].append(m.groups())
    return states


# ------------------------------------------------------------------ 87 / 88


def test_87_holds_but_is_not_1_inductive() -> None:
    r = run("prove", NOT_INDUCTIVE)
    assert r.returncode == EXIT_INCOMPLETE, r.stdout + r.stderr
    out = r.stdout
    assert out.startswith(f"{NOT_INDUCTIVE}: k-induction, k=1\n")
    assert re.search(r"^  assertions\s+proved \(k=1\)$", out, re.M)
    assert re.search(r"^  orphans_reparented\s+proved \(k=1\)$", out, re.M)
    assert re.search(r"^  real_job_reported\s+not k-inductive$", out, re.M)
    assert "counterexample to induction (2 states, the last violates it):" in out
    before, after = _cti_states(out)
    # the CTI: a task at the worker's `exit job` with a job no run gives it,
    # then a zombie whose status names no job
    exit_line = str(_line_of(NOT_INDUCTIVE, "exit job"))
    at_exit = [row for row in before if row[2] == "R" and row[4] == exit_line]
    assert at_exit, before
    jobs = [re.search(r"job=(\S+)", row[5]) for row in at_exit]
    assert any(m is not None and m.group(1) not in ("1", "2") for m in jobs), at_exit
    assert any(row[2] == "Z" for row in after), after


def test_87_a_larger_k_does_not_help() -> None:
    r = run("prove", "--k", "2", NOT_INDUCTIVE)
    assert r.returncode == EXIT_INCOMPLETE, r.stdout + r.stderr
    assert re.search(r"^  real_job_reported\s+not k-inductive$", r.stdout, re.M)
    assert "counterexample to induction (3 states, the last violates it):" in r.stdout


def test_88_a_separate_strengthening_invariant_proves_87_s_with_k_1() -> None:
    r = run("prove", STRENGTHENED)
    assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert r.stdout.startswith(f"{STRENGTHENED}: k-induction, k=1\n")
    assert re.search(r"^  real_job_reported\s+proved \(k=1\)$", r.stdout, re.M)
    assert re.search(r"^  real_job_held\s+proved \(k=1\)$", r.stdout, re.M)
    assert r.stdout.count("proved (k=1)") == 4
    assert "counterexample" not in r.stdout


def test_88_is_87_plus_one_invariant_line() -> None:
    """The user's workflow: 87's code and its invariant unchanged, the
    strengthening added as an `invariant` line of its own."""

    def code(path: Path) -> list[str]:
        lines = path.read_text().splitlines()
        body = lines[next(n for n, line in enumerate(lines) if line.startswith("scenario ")) + 1 :]
        return [line for line in body if line.strip() and not line.lstrip().startswith("#")]

    a, b = code(NOT_INDUCTIVE), code(STRENGTHENED)
    added = [line for line in b if line not in a]
    assert [line for line in b if line in a] == a
    assert len(added) == 1 and added[0].startswith("invariant real_job_held: "), added


def test_87_and_88_pass_the_explicit_check_on_the_same_states() -> None:
    a, b = check_file(NOT_INDUCTIVE), check_file(STRENGTHENED)
    for r in (a, b):
        assert r.exit_code == EXIT_OK, [e.detail for e in r.expectations]
        assert r.engine == "explicit" and r.complete
    assert (a.states, a.transitions) == (b.states, b.transitions)


# ------------------------------------------------------------------ 89


def test_89_is_checked_symbolically_by_its_config() -> None:
    r = run("check", MAGIC)
    assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert f"{MAGIC}: ok  (" in r.stdout
    assert "assertions: violated, as expected" in r.stdout
    assert "the request and its NUL overflow the buffer" in r.stdout
    assert "shortest counterexample (4 steps):" in r.stdout
    assert "size = any(0..2000000) -> size = 1048576" in r.stdout
    # the same through the runner: the symbolic engine, the magic value
    result = check_file(MAGIC)
    assert result.engine == "symbolic"
    prop = {p.name: p for p in result.properties}["assertions"]
    assert prop.status == VIOLATED and prop.trace is not None
    assert prop.trace.steps[0].events[0].value == 1048576  # type: ignore[union-attr]


def test_89_with_the_explicit_engine_on_the_command_line_is_incomplete() -> None:
    r = run("check", "--engine", "explicit", MAGIC)
    assert r.returncode == EXIT_INCOMPLETE, r.stdout + r.stderr
    assert f"{MAGIC}: incomplete" in r.stdout
    assert "has 2,000,001 values" in r.stdout
    assert check_file(MAGIC, Options(engine="explicit")).exit_code == EXIT_INCOMPLETE


def test_89_has_a_report_but_no_state_graph(tmp_path: Path) -> None:
    r = run("check", "--report", tmp_path / "report", MAGIC)
    assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert "no state graph" in (tmp_path / "report" / "index.html").read_text()
    g = run("graph", MAGIC)
    assert g.returncode == EXIT_ERROR
    assert "no state graph: `size = any(0..2000000)` has 2,000,001 values" in g.stderr


# ------------------------------------------------------------------ the key

SMALL = """\
program main {
    x = any(0..3)
    assert x != 2, "two"
}
config {
    engine = ENGINE
}
expect violation assertions
"""


def test_the_engine_key_chooses_the_engine_and_the_option_overrides_it() -> None:
    def engine(config: str, option: str | None) -> str:
        text = SMALL.replace("ENGINE", config)
        r = check_text(text, "t.proc", Options(engine=option))
        assert r.exit_code == EXIT_OK, [d.message for d in r.errors]
        return r.engine

    assert engine("symbolic", None) == "symbolic"
    assert engine("explicit", None) == "explicit"
    assert engine("both", None) == "explicit"  # compared; the explicit result is shown
    assert engine("symbolic", "explicit") == "explicit"
    assert engine("explicit", "symbolic") == "symbolic"
    # no key, no option: explicit
    plain = SMALL.replace("config {\n    engine = ENGINE\n}\n", "")
    assert check_text(plain, "t.proc").engine == "explicit"


def test_a_bad_engine_value_is_a_static_error_at_the_value(write) -> None:  # type: ignore[no-untyped-def]
    path = write("bad.proc", SMALL.replace("ENGINE", "fast"))
    r = run("check", path)
    assert r.returncode == EXIT_ERROR
    assert f"{path}:6:14: error: engine is one of `explicit`, `symbolic`, `both`" in r.stdout
    typo = write("typo.proc", SMALL.replace("engine = ENGINE", "engin = symbolic"))
    r = run("check", typo)
    assert r.returncode == EXIT_ERROR
    assert f"{typo}:6:5: error: unknown config key `engin`; did you mean `engine`?" in r.stdout


def test_engine_symbolic_on_a_scenario_it_does_not_cover_is_incomplete() -> None:
    text = """
config { engine = symbolic }
program main {
    f = any(0..1)
    c = clone(SIGCHLD + f) { exit 0 }
    w = wait()
}
"""
    r = check_text(text, "flags.proc")
    assert r.exit_code == EXIT_INCOMPLETE
    assert "does not cover `clone` flags that are not a constant" in r.errors[0].message
    assert check_text(text, "flags.proc", Options(engine="explicit")).exit_code == EXIT_OK


def test_89_s_counterexample_replays_from_its_itf_trace(tmp_path: Path) -> None:
    """Replaying takes the large `any`'s value from the saved state (the
    explicit model cannot enumerate the range)."""
    itf = tmp_path / "89.itf.json"
    r = run("trace", "--format", "itf", "-o", itf, MAGIC)
    assert r.returncode == EXIT_OK, r.stderr
    r = run("replay", MAGIC, itf)
    assert r.returncode == EXIT_OK, r.stdout + r.stderr
    assert "replays (4 steps) and its last step still fails" in r.stdout
    # one byte less is a valid run, but no longer a failing one
    itf.write_text(itf.read_text().replace('"1048576"', '"1048575"'))
    r = run("replay", MAGIC, itf)
    assert r.returncode == 1
    assert "no longer fails there" in r.stdout
