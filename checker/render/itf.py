"""Counterexamples in the Informal Trace Format (ITF) of Apalache and Quint
(https://apalache-mc.org/docs/adr/015adr-trace.html), so that trace tools
written for those can read them, and `forkcheck replay` can check one again.

A state has three variables:
- `tasks`: a map from pid to a record of what ps and /proc show of the task
  (state letter, parent, program, the line of its next statement, its own
  and its address space's variables, signal sets and handlers);
- `last_pid`: the pid allocator's cursor;
- `action`: the step that led to it (`pid 3 (main): exit 2`), "init" first.

A lasso (a liveness counterexample) has `loop`, the index of the first
state of its loop: the states from there to the last repeat forever, and
`#meta.forkcheck.loop_step` is the step from the last state back to it.

Integers are written `{"#bigint": "N"}`, as Quint writes them. The trace's
`#meta` says which property failed and, when the last step is a failing
`assert` (a step with no state after it), which task took it.
"""

from __future__ import annotations

import json
from typing import Any

from checker import __version__
from checker.kernel.signals import members
from checker.kernel.state import DEFAULT_INIT, State, Task, image_name, ppid_of
from checker.kernel.wait import Status
from checker.lang import ir
from checker.lang.constants import SIGNAL_NAMES
from checker.render.text import step_text
from checker.results import Trace

FORMAT_URL = "https://apalache-mc.org/docs/adr/015adr-trace.html"
VARS = ("tasks", "last_pid", "action")
INITIAL_ACTION = "init"
# keys that follow the scenario's layout, not its behaviour: replay ignores them
LAYOUT_KEYS = ("line",)


def value(v: object) -> Any:
    """A forkcheck value as an ITF value."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {"#bigint": str(v)}
    if isinstance(v, Status):
        return {k: value(x) for k, x in v._asdict().items()}
    if isinstance(v, tuple):
        return [value(x) for x in v]
    return str(v)


def _signals(mask: int) -> dict[str, Any]:
    return {"#set": [SIGNAL_NAMES.get(n, str(n)) for n in members(mask)]}


def _named(names: tuple[str, ...], values: tuple[object, ...]) -> dict[str, Any]:
    """A record of the values that are set (hidden `$` slots left out)."""
    return {
        n: value(v)
        for n, v in zip(names, values, strict=False)
        if v is not None and not n.startswith("$")
    }


def task_record(s: State, t: Task, scenario: ir.ScenarioIR) -> dict[str, Any]:
    programs = [p.name for p in scenario.programs]
    line = 0
    local_vars: dict[str, Any] = {}
    shared_vars: dict[str, Any] = {}
    if t.prog != DEFAULT_INIT:
        prog = scenario.programs[t.prog]
        if t.pc >= 0:
            line = prog.code[t.pc].pos.line
        local_vars = _named(prog.local_names, t.program_locals())
        if t.mm >= 0:
            shared_vars = _named(prog.var_names, s.mems[t.mm])
    handlers = {}
    if t.sighand >= 0:
        handlers = {
            SIGNAL_NAMES.get(n, str(n)): handler for n, handler, _flags in s.sighands[t.sighand]
        }
    return {
        "tgid": value(t.tgid),
        "ppid": value(ppid_of(s.tasks, t)),
        "parent": value(t.ppid),
        "pgid": value(t.pgid),
        "state": t.state,
        "program": image_name(t, programs),
        "line": value(line),
        "locals": local_vars,
        "vars": shared_vars,
        "exit_status": value(t.xstatus),
        "errno": value(t.errno),
        "exit_signal": value(t.exit_signal),
        "subreaper": t.subreaper,
        "children": [value(c) for c in t.children],
        "pending": _signals(t.pending),
        "shared_pending": _signals(t.shared),
        "blocked": _signals(t.blocked),
        "handlers": handlers,
        "in_handlers": value(len(t.frames)),
    }


def state_vars(s: State, scenario: ir.ScenarioIR, action: str) -> dict[str, Any]:
    """The ITF variables of one state (without its #meta)."""
    return {
        "tasks": {"#map": [[value(t.pid), task_record(s, t, scenario)] for t in s.tasks]},
        "last_pid": value(s.last_pid),
        "action": action,
    }


def action_text(pid: int, program: str, text: str) -> str:
    return f"pid {pid} ({program}): {text}"


def trace_itf(
    trace: Trace,
    scenario: ir.ScenarioIR,
    source: str,
    kind: str = "property",
    fairness: str | None = None,
) -> dict[str, Any]:
    """The ITF document of a counterexample. `kind` is what failed: a
    property, or the `expect` form (outcomes, never, always) whose trace it is."""
    states = [{"#meta": {"index": 0}, **state_vars(trace.initial, scenario, INITIAL_ACTION)}]
    failing: dict[str, Any] | None = None
    for step in trace.steps:
        action = action_text(step.pid, step.program, step_text(step))
        if step.after is None:
            failing = {"pid": step.pid, "action": action}
            continue
        states.append({"#meta": {"index": len(states)}, **state_vars(step.after, scenario, action)})
    meta: dict[str, Any] = {
        "format": "ITF",
        "format-description": FORMAT_URL,
        "source": source,
        "description": f"forkcheck {__version__} counterexample: {trace.property}: {trace.message}",
        "forkcheck": {
            "version": __version__,
            "property": trace.property,
            "kind": kind,
            "message": trace.message,
        },
    }
    if failing is not None:
        meta["forkcheck"]["failing_step"] = failing
    if fairness is not None:
        meta["forkcheck"]["fairness"] = fairness  # what a lasso was judged fair under
    doc: dict[str, Any] = {"#meta": meta, "vars": list(VARS), "states": states}
    if trace.loop is not None:
        # a lasso, as ITF writes one: the states from `loop` to the last
        # repeat forever; the step from the last back to state `loop` is
        # not a state of its own, so #meta says which step it is
        doc["states"] = states[:-1]
        doc["loop"] = trace.loop
        meta["forkcheck"]["loop_step"] = states[-1]["action"]
    return doc


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """An ITF state for replay to compare: without its #meta and what
    depends only on the scenario's layout (line numbers), its sets and maps
    in one order (ITF's are unordered: another tool may reorder them)."""
    out = {k: _canonical(v) for k, v in state.items() if k != "#meta"}
    tasks = out.get("tasks")
    if isinstance(tasks, dict) and isinstance(tasks.get("#map"), list):
        entries = []
        for entry in tasks["#map"]:
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict):
                entry = [entry[0], {k: v for k, v in entry[1].items() if k not in LAYOUT_KEYS}]
            entries.append(entry)
        out["tasks"] = {"#map": entries}
    return out


def _canonical(v: Any) -> Any:
    if isinstance(v, list):
        return [_canonical(x) for x in v]
    if not isinstance(v, dict):
        return v
    if isinstance(v.get("#set"), list):
        items = [_canonical(x) for x in v["#set"]]
        return {"#set": sorted(items, key=_key)}
    if isinstance(v.get("#map"), list):
        pairs = [_canonical(x) for x in v["#map"]]
        return {"#map": sorted(pairs, key=_key)}
    return {k: _canonical(x) for k, x in v.items()}


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True)
