"""Results as one JSON document (`forkcheck check --json`)."""

from __future__ import annotations

import json
from typing import Any

from checker import __version__
from checker.errors import Diagnostic
from checker.kernel.signals import members
from checker.kernel.state import State, image_name, ppid_of
from checker.kernel.wait import Status
from checker.render.text import describe, shown, step_line, step_text
from checker.results import TRACED_EXPECTATIONS, UNSET, FileResult, Trace, most_severe


def value_json(v: object) -> Any:
    if isinstance(v, Status):
        return v._asdict()
    if v == UNSET:
        return None
    return v


def _diag(d: Diagnostic) -> dict[str, Any]:
    return {"line": d.pos.line, "column": d.pos.col, "severity": d.severity, "message": d.message}


def tasks_json(s: State, programs: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "pid": t.pid,
            "tgid": t.tgid,
            "ppid": ppid_of(s.tasks, t),
            "state": t.state,
            "program": image_name(t, programs),
            "pending": members(t.pending),
            "shared_pending": members(t.shared),
            "blocked": members(t.blocked),
            "handler_frames": len(t.frames),
        }
        for t in s.tasks
    ]


def trace_json(trace: Trace, programs: tuple[str, ...]) -> dict[str, Any]:
    return {
        "property": trace.property,
        "message": trace.message,
        "length": len(trace.steps),
        "loop": trace.loop,
        "initial": tasks_json(trace.initial, programs),
        "steps": [
            {
                "step": st.number,
                "pid": st.pid,
                "program": st.program,
                "statement": step_text(st),
                "line": st.instr.pos.line if st.instr is not None else None,
                "events": [describe(e) for e in st.events if shown(e)],
                "text": step_line(st),
                "tasks": tasks_json(st.after, programs) if st.after is not None else None,
                "fails": st.failure.message if st.failure is not None else None,
            }
            for st in trace.steps
        ],
    }


def _has_liveness(r: FileResult) -> bool:
    scenario = r.scenario
    assert scenario is not None
    return bool(scenario.liveness) or "zombies_eventually_reaped" in scenario.checks


def file_json(r: FileResult) -> dict[str, Any]:
    progs = r.programs
    return {
        "path": r.path,
        "title": r.title,
        "verdict": r.verdict,
        "exit_status": r.exit_code,
        "states": r.states,
        "transitions": r.transitions,
        "depth": r.depth,
        "seconds": round(r.seconds, 4),
        "complete": r.complete,
        "fairness": r.fairness if r.scenario is not None and _has_liveness(r) else None,
        "stopped_by": r.stop,
        "terminal_states": r.terminal_states,
        "properties": [
            {
                "name": p.name,
                "status": p.status,
                "expected_violation": p.expected,
                "message": p.message or None,
                "trace": trace_json(p.trace, progs) if p.trace is not None else None,
            }
            for p in r.properties
        ],
        "expectations": [
            {
                "text": e.text,
                "line": e.line or None,
                "status": e.status,
                "detail": e.detail or None,
                "implicit": e.implicit,
                "trace": trace_json(e.trace, progs)
                if e.trace is not None and e.kind in TRACED_EXPECTATIONS
                else None,
            }
            for e in r.expectations
        ],
        "observe": list(r.observe),
        "outcomes": [
            {"values": [value_json(v) for v in o.values], "count": o.count} for o in r.outcomes
        ],
        "warnings": [_diag(d) for d in r.warnings],
        "errors": [_diag(d) for d in r.errors],
    }


def render_json(results: list[FileResult]) -> str:
    doc = {
        "forkcheck": __version__,
        "exit_status": most_severe([r.exit_code for r in results]) if results else 2,
        "files": [file_json(r) for r in results],
    }
    return json.dumps(doc, indent=2)
