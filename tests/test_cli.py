"""`forkcheck check` as a user and a CI job see it: exit statuses, output, --json."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

OK = """
    program main {
        c = fork { exit 2 }
        w = wait()
        assert w.code == 2
    }
"""
FAILS = """
    program main {
        c = fork { exit 2 }
        w = wait()
        assert w.code == 3, "wrong code"
    }
"""
BAD = """
    program main {
        w = wiat()
        x = y + 1
    }
"""
ENDLESS = """
    program main {
        var x = 0
        while true { x = x + 1 }
    }
"""
EXPECTED_BUG = """
    program main {
        c = fork { exit 1 }
        while true { skip }
    }
    expect violation zombies_reaped
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *args], capture_output=True, text=True, timeout=120
    )


def test_all_expectations_met_exits_0(write):
    p = write("ok.proc", OK)
    r = run("check", p)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"{p}: ok  (")
    assert "states" in r.stdout and "transitions" in r.stdout and "depth" in r.stdout


def test_an_unmet_expectation_exits_1_with_the_trace(write):
    p = write("fails.proc", FAILS)
    r = run("check", p)
    assert r.returncode == 1
    assert f"{p}: FAIL" in r.stdout
    assert "assertions: VIOLATED" in r.stdout
    assert "shortest counterexample (4 steps):" in r.stdout
    assert "pid 2 (main): c = fork { … } -> child 3" in r.stdout
    assert "PID  PPID STAT PROGRAM" in r.stdout
    assert "FAILS: wrong code" in r.stdout


def test_an_expected_violation_passes_and_prints_its_trace(write):
    p = write("bug.proc", EXPECTED_BUG)
    r = run("check", p)
    assert r.returncode == 0
    assert "zombies_reaped: violated, as expected" in r.stdout
    assert "shortest counterexample (2 steps):" in r.stdout
    assert "expect violation zombies_reaped (line 6): met" in r.stdout


def test_static_errors_exit_2_with_every_error_and_no_traceback(write):
    p = write("bad.proc", BAD)
    r = run("check", p)
    assert r.returncode == 2
    assert f"{p}:3:9: error: unknown function `wiat`; did you mean `wait`?" in r.stdout
    assert f"{p}:4:9: error: unknown name `y`" in r.stdout
    assert "^" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_a_bound_gives_incomplete_exit_3(write):
    p = write("endless.proc", ENDLESS)
    r = run("check", p, "--max-states", "100")
    assert r.returncode == 3
    assert "incomplete" in r.stdout and "stopped by max_states" in r.stdout


def test_the_most_severe_status_wins(write):
    ok, fails, bad, endless = (
        write(n, t)
        for n, t in [("a.proc", OK), ("b.proc", FAILS), ("c.proc", BAD), ("d.proc", ENDLESS)]
    )
    assert run("check", ok, endless, "--max-states", "100").returncode == 3
    assert run("check", ok, endless, fails, "--max-states", "100").returncode == 1
    assert run("check", ok, endless, fails, bad, "--max-states", "100").returncode == 2


def test_directories_are_searched_recursively_in_sorted_order(write, tmp_path):
    write("d/b.proc", OK)
    write("d/sub/a.proc", OK)
    write("d/a.proc", OK)
    write("d/notes.txt", "not a scenario")
    r = run("check", str(tmp_path / "d"))
    assert r.returncode == 0
    heads = [line.split(":")[0] for line in r.stdout.splitlines() if ": ok" in line]
    assert heads == [str(tmp_path / "d" / n) for n in ("a.proc", "b.proc", "sub/a.proc")]
    assert r.stdout.strip().endswith("3 files: 3 ok")


def test_a_missing_path_or_an_empty_directory_is_an_error(tmp_path):
    r = run("check", str(tmp_path / "nope.proc"))
    assert r.returncode == 2 and "no such file or directory" in r.stdout
    (tmp_path / "empty").mkdir()
    r = run("check", str(tmp_path / "empty"))
    assert r.returncode == 2 and "no .proc files" in r.stdout


def test_json_output_shape(write):
    p = write("fails.proc", FAILS)
    q = write("bad.proc", BAD)
    r = run("check", "--json", p, q)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["exit_status"] == 2
    first, second = doc["files"]
    assert first["path"] == p and first["verdict"] == "FAIL" and first["exit_status"] == 1
    assert {
        "states",
        "transitions",
        "depth",
        "seconds",
        "complete",
        "properties",
        "expectations",
        "outcomes",
        "warnings",
        "errors",
    } <= first.keys()
    prop = next(x for x in first["properties"] if x["name"] == "assertions")
    assert prop["status"] == "violated" and prop["message"] == "wrong code"
    trace = prop["trace"]
    assert trace["length"] == 4 and len(trace["steps"]) == 4
    step = trace["steps"][0]
    assert step["pid"] == 2 and step["statement"] == "c = fork { … }" and step["line"] == 3
    assert step["events"] == ["child 3"]
    child = {"pid": 3, "ppid": 2, "state": "R", "program": "main", "pending": [], "blocked": []}
    assert any(child.items() <= t.items() for t in step["tasks"])
    assert trace["steps"][-1]["fails"] == "wrong code"
    assert second["verdict"] == "error"
    assert second["errors"][0] == {
        "line": 3,
        "column": 9,
        "severity": "error",
        "message": "unknown function `wiat`; did you mean `wait`?",
    }


def test_json_outcomes(write):
    p = write(
        "o.proc",
        """
        program main {
            a = fork { exit 3 }
            b = fork { exit 4 }
            w = wait()
            first = w.code
            w = wait()
        }
        observe main.first, main.w
    """,
    )
    doc = json.loads(run("check", "--json", p).stdout)
    outcomes = doc["files"][0]["outcomes"]
    assert [o["values"][0] for o in outcomes] == [3, 4]
    assert outcomes[0]["values"][1]["exited"] is True


def test_output_is_identical_across_runs_apart_from_timings(write):
    p = write("fails.proc", FAILS)
    outs = set()
    for _ in range(2):
        doc = json.loads(run("check", "--json", p).stdout)
        for f in doc["files"]:
            f.pop("seconds")
        outs.add(json.dumps(doc, sort_keys=True))
    assert len(outs) == 1


def test_no_progress_display_when_stderr_is_not_a_terminal(write):
    p = write("endless.proc", ENDLESS)
    r = run("check", p, "--max-states", "30000")
    assert r.stderr == ""


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("forkcheck ")
    r = run("check", "--help")
    assert r.returncode == 0 and "--max-states" in r.stdout


def test_usage_errors_exit_2():
    assert run("check").returncode == 2
    assert run("check", "--max-states", "zero", "x.proc").returncode == 2


@pytest.mark.parametrize("flag", ["--no-traces"])
def test_no_traces_hides_counterexamples(write, flag):
    p = write("fails.proc", FAILS)
    r = run("check", flag, p)
    assert r.returncode == 1 and "shortest counterexample" not in r.stdout
