#!/usr/bin/env python3
"""How deep the symbolic engine's bounded model checking gets in a fixed
time on the SPIN/TLC benchmark families (bench/families.py), and whether its
verdict matches the explicit engine's.

    python bench/symbolic_depth.py            # 60 s per instance; about 10-15 minutes
    python bench/symbolic_depth.py --quick    # 10 s, one size per family; under a minute
    python bench/symbolic_depth.py --budget 30 --family F2

For each instance (a family at one size, SIZES or QUICK_SIZES):

- explicit: `check_text` (every state), with its states, its depth (the
  deepest state's shortest path: BMC must unroll one step more than that
  to see that every run has ended) and each checked property's verdict,
  with the length of its shortest counterexample;
- symbolic: `bmc(Symbolic(scenario, kernel), depth, progress=...)` with no
  depth bound of its own, run in a child process that reports each
  `progress(d, seconds)` call through a pipe and is killed when the budget
  (wall clock from the child's start: imports, building the transition
  relation and every solver call) runs out. The deepest depth is the last
  one reported; the status is `complete` (no run has one step more: what
  was not violated holds), the violations found (`P@d`: property P at
  depth d, the first depth where the solver found it), or `bounded` (the
  budget ran out first). A scenario the engine does not encode yet
  (checker.engines.symbolic.layout.unsupported) is reported as
  `not covered: <reason>`; once it is covered the same code measures it.

Violations found before the budget runs out are seen through the engine's
`Symbolic.message`, which bmc calls once per violation it found, while
`progress` carries only the depth; when bmc returns, its own result is used.

The results go to bench/results/symbolic_depth.{json,md} (with --quick:
symbolic_depth_quick.{json,md}) and the markdown table is printed. The
machine's load is recorded with them: other work on the machine slows the
solver, so figures from a loaded machine are lower bounds on the depth.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from families import family_id, label, scenario

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# From the smallest size (where BMC may finish) to about the largest the
# explicit engine checks in a minute or two (F2 D=8 takes it 3.5 minutes and
# D=9 would take far longer; see bench/families.py).
SIZES: dict[str, list[tuple[int, ...]]] = {
    "F1": [(2, 2), (3, 2), (5, 2), (7, 2)],
    "F2": [(2,), (3,), (5,), (7,)],
    "F3": [(2,), (3,), (5,), (7,)],
}
QUICK_SIZES: dict[str, list[tuple[int, ...]]] = {"F1": [(3, 2)], "F2": [(4,)], "F3": [(3,)]}
BUDGET = 60.0
QUICK_BUDGET = 10.0
EXPLICIT_BUDGET = 600.0
NO_BOUND = 100_000  # bmc's depth argument: the budget, not the bound, stops it


# ------------------------------------------------------------ child processes


def _symbolic_child(text: str, path: str, conn: Any) -> None:
    """Runs in the child: BMC on one scenario, every event sent through `conn`."""
    try:
        from checker.engines.symbolic.bmc import Symbolic, bmc
        from checker.engines.symbolic.layout import unsupported
        from checker.kernel.model import Kernel
        from checker.lang.load import load_text

        sc = load_text(text, path)
        missing = unsupported(sc)
        if missing is not None:
            conn.send(("unsupported", str(missing)))
            return
        t0 = time.perf_counter()
        sym = Symbolic(sc, Kernel(sc))
        conn.send(("built", time.perf_counter() - t0))
        reported = [-1]  # the last depth progress reported
        said = sym.message

        def message(name: str, *args: Any) -> str:
            # bmc asks for the message of each violation it finds, at the
            # depth after the last one reported
            conn.send(("found", name, reported[0] + 1))
            return said(name, *args)

        sym.message = message  # type: ignore[method-assign]

        def progress(d: int, seconds: float) -> None:
            reported[0] = d
            conn.send(("depth", d, seconds))

        result, _ = bmc(sym, NO_BOUND, timeout=None, progress=progress)
        conn.send(
            (
                "done",
                {
                    "complete": result.complete,
                    "depth": result.depth,
                    "found": {n: f.depth for n, f in result.found.items()},
                    "timed_out": list(getattr(result, "timed_out", [])),
                    "seconds": getattr(result, "seconds", None),
                },
            )
        )
    except BaseException as err:
        conn.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def _explicit_child(text: str, path: str, conn: Any) -> None:
    """Runs in the child: the explicit engine's check of one scenario."""
    try:
        from checker.runner import check_text

        t0 = time.perf_counter()
        r = check_text(text, path)
        props = {
            p.name: {
                "status": p.status,
                "shortest": len(p.trace.steps) if p.trace is not None else None,
            }
            for p in r.properties
        }
        conn.send(
            (
                "done",
                {
                    "verdict": r.verdict,
                    "exit_code": r.exit_code,
                    "states": r.states,
                    "transitions": r.transitions,
                    "depth": r.depth,
                    "seconds": round(r.seconds, 3),
                    "wall": round(time.perf_counter() - t0, 3),
                    "properties": props,
                    "errors": [d.message for d in r.errors],
                },
            )
        )
    except BaseException as err:
        conn.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def _run_child(target: Any, text: str, path: str, budget: float) -> tuple[list[Any], bool, float]:
    """Run `target(text, path, conn)` in a child process for at most `budget`
    seconds of wall clock; the messages it sent, each as (seconds since the
    start, message), whether it was killed, and the seconds it ran."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(text, path, send), daemon=True)
    start = time.perf_counter()
    proc.start()
    send.close()
    messages: list[Any] = []
    killed = False
    while True:
        left = budget - (time.perf_counter() - start)
        if left <= 0:
            killed = True
            break
        try:
            if not recv.poll(min(left, 1.0)):
                if not proc.is_alive() and not recv.poll():
                    break
                continue
            messages.append((time.perf_counter() - start, recv.recv()))
        except EOFError:
            break
    elapsed = time.perf_counter() - start
    if proc.is_alive():
        proc.terminate()
        proc.join(2)
        if proc.is_alive():
            proc.kill()
    proc.join()
    recv.close()
    return messages, killed, elapsed


# ------------------------------------------------------------ one instance


def explicit(text: str, path: str, budget: float) -> dict[str, Any]:
    messages, killed, elapsed = _run_child(_explicit_child, text, path, budget)
    for _, msg in messages:
        if msg[0] == "done":
            return msg[1]
        if msg[0] == "error":
            return {"verdict": "error", "errors": [msg[1]]}
    if killed:
        return {"verdict": "timeout", "wall": round(elapsed, 1)}
    return {"verdict": "error", "errors": ["the child process died without an answer"]}


def symbolic(text: str, path: str, budget: float) -> dict[str, Any]:
    messages, killed, elapsed = _run_child(_symbolic_child, text, path, budget)
    out: dict[str, Any] = {
        "status": "bounded",
        "depth": None,
        "per_depth": [],
        "found": {},
        "build": None,
        "wall": round(elapsed, 1),
        "killed": killed,
    }
    for at, msg in messages:
        kind = msg[0]
        if kind == "unsupported":
            out.update(status="not covered", reason=msg[1])
            return out
        if kind == "built":
            out["build"] = round(msg[1], 3)
        elif kind == "depth":
            out["depth"] = msg[1]
            out["per_depth"].append(round(msg[2], 3))
            # how long the next depth ran before the budget ended it
            out["unfinished"] = round(elapsed - at, 1) if killed else None
        elif kind == "found":
            out["found"].setdefault(msg[1], msg[2])
        elif kind == "done":
            done = msg[1]
            out["found"] = done["found"]
            out["depth"] = done["depth"]
            out["timed_out"] = done["timed_out"]
            out["status"] = "complete" if done["complete"] else "stopped"
        elif kind == "error":
            out.update(status="error", reason=msg[1])
    if out["status"] == "bounded" and not killed:
        out.update(status="error", reason="the child process died without an answer")
    return out


def verdict_text(ex: dict[str, Any]) -> str:
    if "properties" not in ex:
        return ex["verdict"] + (f" ({'; '.join(ex['errors'])})" if ex.get("errors") else "")
    bad = [
        f"{name} ({p['shortest']} steps)"
        for name, p in ex["properties"].items()
        if p["status"] == "violated"
    ]
    return "violated: " + ", ".join(bad) if bad else "pass"


def symbolic_text(sy: dict[str, Any]) -> str:
    status = sy["status"]
    if status in ("not covered", "error"):
        return f"{status}: {sy.get('reason', '')}"
    found = ", ".join(f"{n}@{d}" for n, d in sorted(sy["found"].items(), key=lambda x: x[1]))
    if status == "complete":
        head = "complete"
    elif status == "stopped":
        depth = sy["depth"] or 0
        head = "stopped: depth bound" if depth >= NO_BOUND else "stopped: every property decided"
    elif sy.get("unfinished") is not None and sy["depth"] is not None:
        head = f"bounded: budget ran out {sy['unfinished']:g} s after depth {sy['depth']}"
    else:
        head = "bounded: no depth finished"
    if sy.get("timed_out"):
        head += f"; solver timeout: {', '.join(sy['timed_out'])}"
    return f"{head}; violated: {found}" if found else head


def compare(ex: dict[str, Any], sy: dict[str, Any]) -> str:
    """The symbolic verdict against the explicit one."""
    if sy["status"] in ("not covered", "error") or "properties" not in ex:
        return "-"
    props = ex["properties"]
    wrong = [n for n in sy["found"] if props.get(n, {}).get("status") == "holds"]
    if wrong:
        return "DISAGREE: explicit says " + ", ".join(wrong) + " hold"
    violated = {n for n, p in props.items() if p["status"] == "violated"}
    missed = violated - set(sy["found"])
    if sy["status"] == "complete":
        if missed:
            return "DISAGREE: symbolic complete without " + ", ".join(sorted(missed))
        return "agree"
    depth = sy["depth"]
    if depth is None:
        return "no depth finished"
    # the symbolic engine decides zombies_reaped only in terminal states,
    # where the run is longer than the explicit shortest counterexample
    overdue = [n for n in missed if n != "zombies_reaped" and depth >= (props[n]["shortest"] or 0)]
    if overdue:
        return "DISAGREE: symbolic passed the explicit shortest depth of " + ", ".join(overdue)
    if missed:
        return f"agree up to depth {depth} (to find: {', '.join(sorted(missed))})"
    if violated:
        return "agree: every violation found"
    return f"agree up to depth {depth} (complete after depth {ex['depth']})"


# ------------------------------------------------------------ the run


def machine() -> dict[str, Any]:
    import z3  # type: ignore[import-untyped]

    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "checker"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split("\n")
    except OSError:
        commit, changed = "", []
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "z3": z3.get_version_string(),
        "commit": commit,
        # checker/ files changed since that commit (work in progress measured too)
        "changed": [line[3:] for line in changed if line.strip()],
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    rows = doc["instances"]
    changes = f" with changes to {', '.join(m['changed'])}" if m.get("changed") else ""
    out = [
        f"# Symbolic engine: BMC depth reached in {doc['budget']:g} s",
        "",
        f"`{doc['command']}` on {m['date']} (commit {m['commit'] or '?'}{changes},"
        f" {m['cpus']} cores, Python {m['python']}, Z3 {m['z3']};"
        f" load average {m['load_before'][0]:g} before, {m['load_after'][0]:g} after: other work"
        " shares the cores, so these depths are lower bounds).",
        "",
        "Explicit: states, depth (the deepest shortest path: BMC is complete once it has"
        " searched that depth and finds no run one step longer),"
        " verdict with each violation's shortest counterexample, seconds. Symbolic: the deepest"
        f" depth finished within {doc['budget']:g} s of wall clock (imports and building"
        " the transition relation included), the build time, the solver time of the last"
        " depth finished, and the status: `complete` (no run is one step longer: what was not"
        " violated holds), `bounded` (the budget ran out that many seconds after the last"
        " depth finished, while the solver asked whether a run goes on or searched the next"
        " depth), and `P@d` for property P violated at depth d.",
        "",
        "| instance | explicit states | explicit depth | explicit verdict | explicit s"
        " | symbolic depth | build s | last depth s | symbolic status | comparison |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ex, sy = r["explicit"], r["symbolic"]
        per = sy.get("per_depth") or []
        depth = sy["depth"] if sy.get("depth") is not None else "-"
        states = f"{ex['states']:,}" if "states" in ex else "-"
        out.append(
            f"| {r['label']} | {states} | {ex.get('depth', '-')}"
            f" | {verdict_text(ex)} | {ex.get('seconds', ex.get('wall', '-'))}"
            f" | {depth if sy['status'] != 'not covered' else '-'}"
            f" | {sy['build'] if sy.get('build') is not None else '-'}"
            f" | {per[-1] if per else '-'} | {symbolic_text(sy)} | {r['comparison']} |"
        )
    covered = [r for r in rows if r["symbolic"].get("per_depth")]
    if covered:
        top = max(len(r["symbolic"]["per_depth"]) for r in covered)
        out += [
            "",
            "Solver seconds per depth (depth 0 is the initial state; each depth adds one step"
            " to the unrolling and asks every property not yet decided):",
            "",
            "| depth | " + " | ".join(r["label"] for r in covered) + " |",
            "|---|" + "---|" * len(covered),
        ]
        for d in range(top):
            cells = [
                f"{r['symbolic']['per_depth'][d]:.3f}"
                if d < len(r["symbolic"]["per_depth"])
                else ""
                for r in covered
            ]
            out.append(f"| {d} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s each, one size per family")
    parser.add_argument("--budget", type=float, help="seconds per instance (default 60; quick 10)")
    parser.add_argument("--family", action="append", help="only this family (F1, F2, F3)")
    parser.add_argument(
        "--output",
        metavar="STEM",
        help="write bench/results/STEM.json and STEM.md (default symbolic_depth,"
        " or symbolic_depth_quick with --quick)",
    )
    parser.add_argument(
        "--explicit-budget",
        type=float,
        default=EXPLICIT_BUDGET,
        help=f"seconds for each explicit check (default {EXPLICIT_BUDGET:g})",
    )
    args = parser.parse_args(argv)
    try:
        fams = [family_id(f) for f in args.family] if args.family else None
    except ValueError as err:
        parser.error(str(err))
    sizes = QUICK_SIZES if args.quick else SIZES
    budget = args.budget or (QUICK_BUDGET if args.quick else BUDGET)
    fams = fams or list(sizes)
    command = " ".join(
        ["python bench/symbolic_depth.py", *(argv if argv is not None else sys.argv[1:])]
    )
    doc: dict[str, Any] = {
        "command": command,
        "budget": budget,
        "quick": args.quick,
        "machine": machine(),
    }
    rows = []
    for fam in fams:
        for size in sizes[fam]:
            name = label(fam, *size)
            text = scenario(fam, *size)
            path = f"<{name}>"
            print(f"{name}: explicit ...", file=sys.stderr, flush=True)
            ex = explicit(text, path, args.explicit_budget)
            print(
                f"{name}: {verdict_text(ex)}, {ex.get('states', '?')} states;"
                f" symbolic, {budget:g} s ...",
                file=sys.stderr,
                flush=True,
            )
            sy = symbolic(text, path, budget)
            print(f"{name}: {symbolic_text(sy)}, depth {sy['depth']}", file=sys.stderr, flush=True)
            rows.append(
                {
                    "family": fam,
                    "sizes": list(size),
                    "label": name,
                    "explicit": ex,
                    "symbolic": sy,
                    "comparison": compare(ex, sy),
                }
            )
    doc["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    doc["instances"] = rows
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = args.output or ("symbolic_depth_quick" if args.quick else "symbolic_depth")
    table = markdown(doc)
    (RESULTS / f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{stem}.md").write_text(table, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
