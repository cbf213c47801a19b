"""ITF counterexamples and `forkcheck replay`: every counterexample of the
scenario library written as an Informal Trace Format document replays against
its scenario; the document has the ITF shape (vars, indexed states, #bigint
integers, #meta.forkcheck); an edited scenario either still replays (lines
moved) or fails naming the first step that differs; unreadable input exits 2
without a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.replay import replay_files
from checker.report import itf_text
from checker.results import Counterexample, FileResult, counterexamples
from checker.runner import check_file, check_text
from tests.cli_helpers import run

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ZOMBIE = SCENARIOS / "05_zombie_parent_spins.proc"  # zombies_reaped, 2 steps, no failing step
STALE = SCENARIOS / "19_stale_pid_bug.proc"  # assertions, 8 steps, the last a failing assert

STALE_ASSERT = 'assert wa.pid == -1, "a was reaped already: expected ECHILD"'


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: `python3 -m checker ...`."""
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stdout + r.stderr, r.stdout + r.stderr


def B(n: int) -> dict[str, str]:
    return {"#bigint": str(n)}


def first_itf(path: Path, out: Path, prop: str | None = None) -> Path:
    """The first (or `prop`'s) counterexample of `path`, saved as ITF in `out`."""
    r = check_file(path)
    found = [c for c in counterexamples(r) if prop in (None, c.name, c.slug)]
    assert found, f"{path}: no counterexample for {prop}"
    out.write_text(itf_text(r, found[0]), encoding="utf-8")
    return out


def edited(src: Path, dst: Path, old: str, new: str) -> Path:
    """`src` with one change, written under `src`'s name in `dst`'s folder
    (as a user edits the file the trace was written for: replay notes a
    trace written for a file of another name)."""
    text = src.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{src}: `{old}` is not there exactly once"
    dst = dst.parent / f"edited-{dst.stem}" / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text.replace(old, new), encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def library() -> list[tuple[Path, FileResult, list[Counterexample]]]:
    """Every scenario of the library that has a counterexample with an ITF form."""
    out = []
    for path in sorted(SCENARIOS.glob("*.proc")):
        r = check_file(path)
        cxs = [c for c in counterexamples(r) if c.kind != "error"]
        if cxs:
            out.append((path, r, cxs))
    # the library demonstrates bugs: a change that lost them all would make
    # the tests below vacuous
    assert sum(len(c) for _, _, c in out) >= 20
    return out


# ------------------------------------------------------------------ 1. round trip


def test_every_library_counterexample_round_trips_and_replays(library, tmp_path):
    bad = []
    n = 0
    for path, r, cxs in library:
        for cx in cxs:
            n += 1
            f = tmp_path / f"{path.stem}.{cx.slug}.itf.json"
            f.write_text(itf_text(r, cx), encoding="utf-8")
            doc = json.loads(f.read_text(encoding="utf-8"))
            assert doc["#meta"]["forkcheck"]["property"] == cx.trace.property
            done = replay_files(str(path), str(f))
            steps = len(cx.trace.steps)
            if not (done.ok and done.steps == steps and done.total == steps):
                bad.append(f"{path.name} {cx.slug}: {done} (trace has {steps} steps)")
            elif "still fails" not in done.message:
                bad.append(f"{path.name} {cx.slug}: {done.message}")
    assert not bad, "\n".join(bad)
    assert n >= 20


@pytest.mark.parametrize(
    ("scenario", "prop", "message"),
    [
        (
            ZOMBIE,
            "zombies_reaped",
            "replays (2 steps) and zombies_reaped still fails: pid 3 (main) is a zombie",
        ),
        (
            STALE,
            "assertions",
            "replays (8 steps) and its last step still fails: a was reaped already: expected ECHILD",
        ),
        (
            SCENARIOS / "38_sigchld_reap_one_per_signal.proc",
            "zombies_reaped",
            "and zombies_reaped still fails: pid ",
        ),
    ],
    ids=["zombie", "failing-assert", "signals"],
)
def test_cli_replay_of_a_saved_counterexample_exits_0(scenario, prop, message, tmp_path):
    trace = first_itf(scenario, tmp_path / "t.itf.json", prop)
    r = run_process("replay", scenario, trace)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"{trace}: replays (")
    assert message in r.stdout
    assert r.stderr == ""


# ------------------------------------------------------------------ 2. the document's shape


def bare_integers(v: Any, where: str = "$") -> list[str]:
    """Where a value outside #meta is not ITF: a bare number, null, or a
    #bigint whose string is not an integer. (#meta is free-form in ITF, and
    `#meta.index` is a plain number there, as Apalache writes it.)"""
    if isinstance(v, bool | str):
        return []
    if v is None or isinstance(v, int | float):
        return [f"{where} = {v!r}"]
    if isinstance(v, list):
        return [x for k, item in enumerate(v) for x in bare_integers(item, f"{where}[{k}]")]
    assert isinstance(v, dict)
    if "#bigint" in v:
        s = v["#bigint"]
        ok = set(v) == {"#bigint"} and isinstance(s, str) and re.fullmatch(r"-?[0-9]+", s)
        return [] if ok else [f"{where} = {v!r}"]
    # the trace's `loop` is a plain index, as ITF defines it (`loop?: number`)
    skip = ("#meta", "loop") if where == "$" else ("#meta",)
    return [
        x for k, item in v.items() if k not in skip for x in bare_integers(item, f"{where}.{k}")
    ]


def test_every_library_document_has_the_itf_shape(library):
    bad = []
    for path, r, cxs in library:
        for cx in cxs:
            where = f"{path.name} {cx.slug}"
            doc = json.loads(itf_text(r, cx))
            meta = doc["#meta"]
            fc = meta["forkcheck"]
            assert meta["format"] == "ITF", where
            assert meta["source"] == r.path, where
            assert fc["property"] == cx.trace.property == cx.name, where
            assert fc["kind"] == cx.kind, where
            assert fc["message"] == cx.trace.message, where
            states = doc["states"]
            assert [s["#meta"]["index"] for s in states] == list(range(len(states))), where
            for s in states:
                assert sorted(k for k in s if k != "#meta") == sorted(doc["vars"]), where
                assert isinstance(s["tasks"]["#map"], list), where
            assert states[0]["action"] == "init", where
            steps = cx.trace.steps
            for k, step in enumerate(steps[: len(states) - 1], start=1):
                assert states[k]["action"].startswith(f"pid {step.pid} ({step.program}): "), where
            last = steps[-1]
            if last.after is None:  # ends in a failing step: no state after it
                assert len(states) == len(steps), where
                failing = fc["failing_step"]
                assert failing["pid"] == last.pid, where
                assert failing["action"].startswith(f"pid {last.pid} ({last.program}): "), where
            elif "loop" in doc:  # a lasso: the step back to state `loop` is no state
                assert len(states) == len(steps), where
                assert fc["loop_step"].startswith(f"pid {last.pid} ({last.program}): "), where
            else:
                assert len(states) == len(steps) + 1, where
                assert "failing_step" not in fc, where
            bad += [f"{where}: {x}" for x in bare_integers(doc)]
            if "loop" in doc:  # a lasso: the index of its loop's first state, as ITF says
                loop = doc["loop"]
                assert isinstance(loop, int) and 0 <= loop < len(states), where
                assert loop == cx.trace.loop, where
    assert not bad, "\n".join(bad[:20])


def test_a_failing_assert_trace_names_the_step_and_stops_before_it():
    r = check_file(STALE)
    (cx,) = counterexamples(r)
    doc = json.loads(itf_text(r, cx))
    fc = doc["#meta"]["forkcheck"]
    assert fc["property"] == "assertions"
    assert fc["kind"] == "property"
    assert fc["message"] == "a was reaped already: expected ECHILD"
    assert fc["failing_step"] == {"pid": 2, "action": "pid 2 (main): assert wa.pid == -1"}
    states = doc["states"]
    assert len(cx.trace.steps) == 8 and len(states) == 8  # the initial state and 7 steps
    assert states[-1]["action"] == "pid 2 (main): wa = waitpid(a)"
    # the waitpid reaped c, which had a's old pid 3
    main = dict((k["#bigint"], t) for k, t in states[-1]["tasks"]["#map"])["2"]
    assert main["locals"]["wa"]["pid"] == B(3)
    assert main["locals"]["c"] == main["locals"]["a"] == B(3)
    assert main["children"] == [B(4)]


def line_of(text: str, fragment: str) -> int:
    (n,) = [k for k, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return n


def test_the_zombie_trace_exactly():
    text = ZOMBIE.read_text(encoding="utf-8")
    fork_line = line_of(text, "c = fork { exit 7 }")
    loop_line = line_of(text, "while true {")
    r = check_file(ZOMBIE)
    (cx,) = counterexamples(r)
    doc = json.loads(itf_text(r, cx))

    def task(
        pid: int, ppid: int, state: str, program: str, line: int, **extra: Any
    ) -> dict[str, Any]:
        return {
            "tgid": B(pid),
            "ppid": B(ppid),
            "parent": B(ppid),
            "pgid": B(1 if pid == 1 else 2),
            "state": state,
            "program": program,
            "line": B(line),
            "locals": {},
            "vars": {},
            "exit_status": B(0),
            "errno": B(0),
            "exit_signal": B(17),  # SIGCHLD
            "subreaper": False,
            "children": [],
            "pending": {"#set": []},
            "shared_pending": {"#set": []},
            "blocked": {"#set": []},
            "handlers": {},
            "in_handlers": B(0),
            **extra,
        }

    init = task(1, 0, "S", "init", 0, children=[B(2)])
    main0 = task(2, 1, "R", "main", fork_line)
    main1 = task(2, 1, "R", "main", loop_line, locals={"c": B(3)}, children=[B(3)])
    child = task(3, 2, "R", "main", fork_line)  # its `exit 7` is on the fork's line
    zombie = task(3, 2, "Z", "main", 0, exit_status=B(7 << 8))  # a wait status, as /proc shows

    assert doc["vars"] == ["tasks", "last_pid", "action"]
    assert doc["states"] == [
        {
            "#meta": {"index": 0},
            "tasks": {"#map": [[B(1), init], [B(2), main0]]},
            "last_pid": B(2),
            "action": "init",
        },
        {
            "#meta": {"index": 1},
            "tasks": {"#map": [[B(1), init], [B(2), main1], [B(3), child]]},
            "last_pid": B(3),
            "action": "pid 2 (main): c = fork { … }",
        },
        {
            "#meta": {"index": 2},
            "tasks": {"#map": [[B(1), init], [B(2), main1], [B(3), zombie]]},
            "last_pid": B(3),
            "action": "pid 3 (main): exit 7",
        },
    ]
    fc = doc["#meta"]["forkcheck"]
    assert fc["property"] == "zombies_reaped"
    assert fc["kind"] == "property"
    assert fc["message"].startswith("pid 3 (main) is a zombie that can never be reaped")
    assert "failing_step" not in fc
    assert doc["#meta"]["source"] == str(ZOMBIE)


# ------------------------------------------------------------------ 3. expectation traces

EXPECTATIONS = """\
scenario "x ends as 1 or 2, whatever the expectations say"

program main {
    var x = 0
    c = fork { exit 1 }
    choose { x = 1 } or { x = 2 }
    w = wait()
}

observe main.x
expect never main.x == 2
expect always main.x == 1
expect outcomes main.x in {1}
"""


def test_unmet_never_always_outcomes_expectations_round_trip_and_replay(tmp_path):
    path = tmp_path / "expectations.proc"
    path.write_text(EXPECTATIONS, encoding="utf-8")
    r = check_text(EXPECTATIONS, str(path))
    assert r.exit_code == 1
    cxs = {c.kind: c for c in counterexamples(r)}
    assert set(cxs) == {"never", "always", "outcomes"}
    ends = {
        "never": "its end satisfies what it says never happens",
        "always": "its end violates what it says always holds",
        "outcomes": "its end is outcome 2, which the expectation does not list",
    }
    for kind, cx in cxs.items():
        f = tmp_path / f"{kind}.itf.json"
        f.write_text(itf_text(r, cx), encoding="utf-8")
        doc = json.loads(f.read_text(encoding="utf-8"))
        fc = doc["#meta"]["forkcheck"]
        assert fc["kind"] == kind
        assert fc["property"] == cx.name and cx.name.startswith(f"expect {kind} main.x")
        assert len(doc["states"]) == len(cx.trace.steps) + 1
        assert "pid 2 (main): x = 2" in [s["action"] for s in doc["states"]]
        done = replay_files(str(path), str(f))
        n = len(cx.trace.steps)
        assert done.ok and done.steps == done.total == n, done
        assert done.message == f"replays ({n} steps) and {cx.name} still fails: {ends[kind]}"


def test_an_expectation_trace_replays_from_the_cli_and_stops_once_the_expectation_changes(
    tmp_path,
):
    path = tmp_path / "expectations.proc"
    path.write_text(EXPECTATIONS, encoding="utf-8")
    line = line_of(EXPECTATIONS, "expect outcomes")
    trace = tmp_path / "outcomes.itf.json"
    w = run("trace", path, "-p", f"expect-line-{line}", "-o", trace)
    assert w.returncode == 0, w.stdout + w.stderr
    assert json.loads(trace.read_text())["#meta"]["forkcheck"]["kind"] == "outcomes"
    r = run("replay", path, trace)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "expect outcomes main.x in {1} still fails: its end is outcome 2" in r.stdout
    # the author accepts the outcome 2: the saved trace no longer shows a failure
    fixed = edited(path, tmp_path / "fixed.proc", "main.x in {1}", "main.x in {1, 2}")
    r = run("replay", fixed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        f"{trace}: replays (6 steps), but expect outcomes main.x in {{1}} "
        "no longer fails in the state it reaches\n"
    )


# ------------------------------------------------------------------ 4. an edited scenario


@pytest.mark.parametrize("scenario", [ZOMBIE, STALE], ids=["zombie", "failing-assert"])
def test_moving_lines_still_replays(scenario, tmp_path):
    trace = first_itf(scenario, tmp_path / "t.itf.json")
    moved = tmp_path / "moved.proc"
    moved.write_text(
        "# a note added on top\n\n\n# and another\n" + scenario.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    # the move shows in the trace written now: the saved one's lines are stale
    fresh = first_itf(moved, tmp_path / "fresh.itf.json")
    assert json.loads(fresh.read_text())["states"] != json.loads(trace.read_text())["states"]
    r = run("replay", moved, trace)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "still fails" in r.stdout


def test_a_changed_exit_code_stops_at_its_step_and_lists_what_the_scenario_allows(tmp_path):
    trace = first_itf(ZOMBIE, tmp_path / "t.itf.json")
    changed = edited(ZOMBIE, tmp_path / "z.proc", "exit 7", "exit 8")
    r = run("replay", changed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        f"{trace}: does not replay: step 2, `pid 3 (main): exit 7`, is not possible any more; "
        "the scenario allows: `pid 2 (main): while true`; `pid 3 (main): exit 8`\n"
    )
    done = replay_files(str(changed), str(trace))
    assert not done.ok and done.steps == 1 and done.total == 2


def test_a_changed_value_stops_where_the_step_gives_another_state(tmp_path):
    # with pid_max 6 the allocator does not wrap: c gets pid 5, not a's old 3
    trace = first_itf(STALE, tmp_path / "t.itf.json")
    changed = edited(STALE, tmp_path / "s.proc", "pid_max = 5", "pid_max = 6")
    r = run("replay", changed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith(
        f"{trace}: does not replay: step 5, `pid 2 (main): c = fork {{ … }}`, "
        "is still possible but gives another state (tasks["
    )
    assert "the scenario allows: " in r.stdout
    assert "`pid 2 (main): c = fork { … }`" in r.stdout.split("allows:")[1]
    done = replay_files(str(changed), str(trace))
    assert not done.ok and done.steps == 4 and done.total == 8


def test_a_changed_statement_on_the_way_stops_there(tmp_path):
    trace = first_itf(STALE, tmp_path / "t.itf.json")
    changed = edited(STALE, tmp_path / "s.proc", "w = wait() ", "w = waitpid(a) ")
    r = run("replay", changed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith(
        f"{trace}: does not replay: step 3, `pid 2 (main): w = wait()`, is not possible any more; "
        "the scenario allows: "
    )
    assert "`pid 2 (main): w = waitpid(a)`" in r.stdout


def test_reaping_the_zombie_means_the_property_no_longer_fails(tmp_path):
    trace = first_itf(ZOMBIE, tmp_path / "t.itf.json")
    fixed = edited(ZOMBIE, tmp_path / "z.proc", "        skip ", "        wait() ")
    r = run("replay", fixed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        f"{trace}: replays (2 steps), but zombies_reaped no longer fails in the state it reaches\n"
    )


def test_a_fixed_assert_no_longer_fails(tmp_path):
    trace = first_itf(STALE, tmp_path / "t.itf.json")
    fixed = edited(STALE, tmp_path / "s.proc", STALE_ASSERT, "assert wa.pid == c")
    r = run("replay", fixed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    # the steps up to the assert are all there; the assert's text changed, so
    # either form is a precise answer: the step no longer fails, or it is not
    # the step the trace took
    no_longer = (
        f"{trace}: replays up to its last step, step 8, "
        "but `pid 2 (main): assert wa.pid == -1` no longer fails there\n"
    )
    diverges = (
        f"{trace}: does not replay: step 8, `pid 2 (main): assert wa.pid == -1`, "
        "is not possible any more; the scenario allows: "
    )
    assert r.stdout == no_longer or r.stdout.startswith(diverges), r.stdout
    done = replay_files(str(fixed), str(trace))
    assert not done.ok and done.steps == 7 and done.total == 8


@pytest.mark.parametrize(
    "replacement",
    ['assert wa.pid == 100, "another assert"', "x = 1 / 0"],
    ids=["another-assert", "division-by-zero"],
)
def test_another_failing_statement_in_place_of_the_failing_assert_does_not_replay(
    replacement, tmp_path
):
    trace = first_itf(STALE, tmp_path / "t.itf.json")
    changed = edited(STALE, tmp_path / "s.proc", STALE_ASSERT, replacement)
    r = run("replay", changed, trace)
    no_traceback(r)
    assert r.returncode == 1, r.stdout
    assert "step 8, `pid 2 (main): assert wa.pid == -1`" in r.stdout


def test_a_scenario_that_starts_other_programs_differs_in_its_initial_state(tmp_path):
    trace = first_itf(ZOMBIE, tmp_path / "t.itf.json")
    (tmp_path / "more").mkdir()
    more = tmp_path / "more" / ZOMBIE.name
    more.write_text(
        ZOMBIE.read_text(encoding="utf-8") + "\nprogram logger { exit 0 }\nstart main, logger\n",
        encoding="utf-8",
    )
    assert check_file(more).exit_code == 0  # still a valid scenario, still the same bug
    r = run("replay", more, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        f"{trace}: the initial state differs: tasks[3]: the scenario has it, the trace does not\n"
    )
    done = replay_files(str(more), str(trace))
    assert not done.ok and done.steps == 0 and done.total == 2


def test_a_changed_initial_value_is_not_called_other_programs(tmp_path):
    scenario = tmp_path / "v.proc"
    scenario.write_text(
        "program main {\n    var x = 0\n    c = fork { exit 7 }\n    while true { skip }\n}\n"
        "expect violation zombies_reaped\n",
        encoding="utf-8",
    )
    trace = first_itf(scenario, tmp_path / "t.itf.json")
    changed = edited(scenario, tmp_path / "v2.proc", "var x = 0", "var x = 1")
    done = replay_files(str(changed), str(trace))
    assert not done.ok and done.steps == 0
    assert (
        done.message
        == "the initial state differs: tasks[2].vars.x: the trace has 0, the scenario 1"
    )
    assert "initial state differs" in done.message
    assert "starts other programs" not in done.message


AMBIGUOUS = """\
program main {
    x = fork()
    c = fork { exec worker }
    w = wait()
}

program worker {
    var v = 1
    exit 0
}

invariant one_worker: count(T in tasks where T.program == worker) < 2
expect violation one_worker
"""


def test_a_model_error_met_while_replaying_is_an_error_not_a_traceback(tmp_path):
    scenario = tmp_path / "m.proc"
    scenario.write_text(AMBIGUOUS, encoding="utf-8")
    trace = first_itf(scenario, tmp_path / "t.itf.json")
    assert run("replay", scenario, trace).returncode == 0
    # `observe worker.v` makes two execs of worker an error that only
    # exploration finds; `check` reports it with exit 2
    observed = tmp_path / "observed.proc"
    observed.write_text(AMBIGUOUS + "observe worker.v\n", encoding="utf-8")
    assert check_file(observed).exit_code == 2
    r = run("replay", observed, trace)
    no_traceback(r)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "`worker.X` is ambiguous" in r.stderr


# ------------------------------------------------------------------ 5. bad input


@pytest.fixture
def zombie_trace(tmp_path) -> Path:
    return first_itf(ZOMBIE, tmp_path / "z.itf.json")


def replay_exits_2(scenario: Path | str, trace: Path | str, process: bool = False) -> str:
    r = (run_process if process else run)("replay", scenario, trace)
    no_traceback(r)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    return r.stderr


def test_a_trace_that_is_not_json(tmp_path):
    bad = tmp_path / "bad.itf.json"
    bad.write_text('{\n  "states": [1,\n', encoding="utf-8")
    err = replay_exits_2(ZOMBIE, bad, process=True)
    assert re.match(rf"{re.escape(str(bad))}:3:1: not JSON: ", err), err


@pytest.mark.parametrize(
    "doc",
    [[1, 2], {"states": []}, {"states": "s0"}, {"vars": ["x"]}, "ITF"],
    ids=["list", "no-states", "states-not-a-list", "no-states-key", "string"],
)
def test_json_that_is_not_an_itf_trace(doc, tmp_path):
    bad = tmp_path / "bad.itf.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    assert replay_exits_2(ZOMBIE, bad) == f"{bad}: not an ITF trace (no `states` list)\n"


def test_a_state_without_tasks(zombie_trace):
    doc = json.loads(zombie_trace.read_text())
    del doc["states"][1]["tasks"]
    zombie_trace.write_text(json.dumps(doc))
    err = replay_exits_2(ZOMBIE, zombie_trace)
    assert err == f"{zombie_trace}: state 1 has no `tasks` or no `action`\n"


@pytest.mark.parametrize("where", ["forkcheck", "#meta"])
def test_an_itf_trace_that_forkcheck_did_not_write(where, zombie_trace):
    doc = json.loads(zombie_trace.read_text())
    if where == "forkcheck":
        del doc["#meta"]["forkcheck"]
    else:
        del doc["#meta"]
    zombie_trace.write_text(json.dumps(doc))
    err = replay_exits_2(ZOMBIE, zombie_trace)
    assert err == (
        f"{zombie_trace}: an ITF trace, but not one forkcheck wrote "
        "(#meta.forkcheck.property is missing)\n"
    )


def test_a_malformed_failing_step_is_an_unreadable_trace(tmp_path):
    trace = first_itf(STALE, tmp_path / "s.itf.json")
    doc = json.loads(trace.read_text())
    doc["#meta"]["forkcheck"]["failing_step"] = 2
    trace.write_text(json.dumps(doc))
    replay_exits_2(STALE, trace)


def test_missing_files(tmp_path, zombie_trace):
    gone = tmp_path / "nope.itf.json"
    assert (
        replay_exits_2(ZOMBIE, gone) == f"{gone}: cannot read the file: No such file or directory\n"
    )
    nowhere = tmp_path / "nope.proc"
    err = replay_exits_2(nowhere, zombie_trace)
    assert err == f"{nowhere}: cannot read the file: No such file or directory\n"


def test_a_scenario_with_a_parse_error(tmp_path, zombie_trace):
    broken = edited(ZOMBIE, tmp_path / "broken.proc", "c = fork { exit 7 }", "c = fork { exit 7")
    line = line_of(broken.read_text(), "c = fork { exit 7")
    err = replay_exits_2(broken, zombie_trace, process=True)
    lines = err.splitlines()
    where = re.match(rf"{re.escape(str(broken))}:(\d+):(\d+): error: ", lines[0])
    assert where, err
    assert int(where[1]) == line, err
    col = int(where[2])
    # the source line, then a caret under the column
    source = broken.read_text().splitlines()[line - 1].rstrip()
    shown = lines[1].rstrip()
    assert shown.endswith(source), err
    indent = len(shown) - len(source)
    assert lines[2].index("^") == indent + col - 1, err


# ------------------------------------------------------------------ 6. the user's path


@pytest.mark.parametrize("fmt", [["--format", "itf"], []], ids=["format-itf", "by-suffix"])
def test_trace_to_itf_then_replay(fmt, tmp_path):
    out = tmp_path / "X.itf.json"
    w = run_process("trace", ZOMBIE, *fmt, "-o", out)
    assert w.returncode == 0, w.stdout + w.stderr
    assert w.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["#meta"]["format"] == "ITF"
    assert doc["#meta"]["forkcheck"]["property"] == "zombies_reaped"
    r = run_process("replay", ZOMBIE, out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(f"{out}: replays (2 steps) and zombies_reaped still fails: ")


def test_a_trace_of_another_scenario_says_so(tmp_path):
    trace = first_itf(ZOMBIE, tmp_path / "t.itf.json")
    other = SCENARIOS / "06_zombie_parent_exits.proc"
    r = run("replay", other, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.rstrip().endswith(f"(the trace was written for {ZOMBIE})"), r.stdout


def test_a_property_the_scenario_no_longer_has(tmp_path):
    trace = first_itf(ZOMBIE, tmp_path / "t.itf.json")
    changed = edited(
        ZOMBIE, tmp_path / "z.proc", "expect violation zombies_reaped", "check assertions"
    )
    r = run("replay", changed, trace)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == (
        f"{trace}: the scenario has no property or expectation `zombies_reaped` any more "
        "(it checks: assertions)\n"
    )
