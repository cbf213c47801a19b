"""`forkcheck replay`: does a saved ITF counterexample still replay against a
scenario, and does it still end where its property fails?

The trace is followed step by step through the model: from every state it
may be in (one, unless two steps give states that look the same in ITF), the
successors whose ITF variables equal the next saved state's are kept. Line
numbers are left out of the comparison, so a trace survives edits that only
move statements; a changed statement, value or outcome stops it, at the
first step that differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.engines.explicit import explore
from checker.errors import UserError, format_diagnostics
from checker.kernel.model import Failure, Kernel, ModelError
from checker.kernel.state import State
from checker.lang import ir
from checker.lang.load import load_text
from checker.lang.pyexpr import Unset
from checker.props.compile import compile_property
from checker.props.suite import PropertySuite
from checker.render.itf import INITIAL_ACTION, action_text, comparable, state_vars
from checker.render.text import step_text
from checker.results import show_values

ALTERNATIVES = 6  # steps listed when a trace no longer replays


class ReplayError(Exception):
    """The trace or the scenario cannot be read (exit 2)."""


@dataclass
class Replayed:
    ok: bool  # replays to the end, and the property still fails there
    steps: int  # steps replayed
    total: int  # steps in the trace
    message: str


def replay_files(scenario_path: str, trace_path: str) -> Replayed:
    try:
        text = Path(scenario_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ReplayError(f"{scenario_path}: cannot read the file: {_reason(err)}") from None
    try:
        doc = json.loads(Path(trace_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ReplayError(f"{trace_path}: cannot read the file: {_reason(err)}") from None
    except json.JSONDecodeError as err:
        raise ReplayError(f"{trace_path}:{err.lineno}:{err.colno}: not JSON: {err.msg}") from None
    try:
        scenario = load_text(text, scenario_path)
    except UserError as err:
        errors = [d for d in err.diagnostics if d.severity == "error"]
        raise ReplayError(format_diagnostics(errors, text)) from None
    return replay(scenario, doc, trace_path)


def _reason(err: Exception) -> str:
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)


def _states(doc: Any, where: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("states"), list) or not doc["states"]:
        raise ReplayError(f"{where}: not an ITF trace (no `states` list)")
    meta = doc.get("#meta", {})
    fc = meta.get("forkcheck") if isinstance(meta, dict) else None
    if not isinstance(fc, dict) or not isinstance(fc.get("property"), str):
        raise ReplayError(
            f"{where}: an ITF trace, but not one forkcheck wrote "
            "(#meta.forkcheck.property is missing)"
        )
    for k, st in enumerate(doc["states"]):
        if not isinstance(st, dict) or "tasks" not in st or "action" not in st:
            raise ReplayError(f"{where}: state {k} has no `tasks` or no `action`")
    return doc["states"], fc


def replay(scenario: ir.ScenarioIR, doc: Any, where: str = "<trace>") -> Replayed:
    saved, fc = _states(doc, where)
    prop: str = fc["property"]
    kind = fc.get("kind", "property")
    failing = fc.get("failing_step")
    total = len(saved) - 1 + (1 if failing else 0)
    try:
        kernel = Kernel(scenario)
        suite = PropertySuite.build(scenario)
    except ModelError as err:
        raise ReplayError(err.message) from None

    def seen(s: State, action: str) -> dict[str, Any]:
        return comparable(state_vars(s, scenario, action))

    start = kernel.initial()
    if seen(start, INITIAL_ACTION) != comparable(saved[0]):
        return Replayed(
            False, 0, total, "the initial state differs: the scenario starts other programs"
        )
    # the states the trace may be in, each with one state it came from
    current: dict[State, State | None] = {start: None}
    for k, want in enumerate(saved[1:], start=1):
        target = comparable(want)
        nxt: dict[State, State | None] = {}
        possible: list[str] = []
        for s in current:
            for step in kernel.steps(s):
                action = action_text(step.pid, step.program, step_text(step))
                if type(step.target) is not State:
                    continue
                if action not in possible:
                    possible.append(action)
                if step.target not in nxt and seen(step.target, action) == target:
                    nxt[step.target] = s
        if not nxt:
            return Replayed(False, k - 1, total, _diverged(k, want, possible))
        current = nxt
    steps = len(saved) - 1
    if failing:
        steps += 1
        for s in current:
            for step in kernel.steps(s):
                if (
                    type(step.target) is Failure
                    and step.target.property == prop
                    and step.pid == failing.get("pid")
                ):
                    return Replayed(
                        True,
                        steps,
                        total,
                        f"replays ({steps} steps) and its last step still fails: "
                        f"{step.target.message}",
                    )
        return Replayed(
            False,
            steps - 1,
            total,
            f"replays up to the last step, but `{failing.get('action')}` no longer fails there",
        )
    for s, before in current.items():
        message = _fails(kernel, suite, scenario, prop, kind, s, before)
        if message is not None:
            return Replayed(
                True, steps, total, f"replays ({steps} steps) and {prop} still fails: {message}"
            )
    return Replayed(
        False,
        steps,
        total,
        f"replays ({steps} steps), but {prop} no longer fails in the state it reaches",
    )


def _diverged(k: int, want: dict[str, Any], possible: list[str]) -> str:
    action = want.get("action", "?")
    if action in possible:
        what = f"step {k}, `{action}`, is still possible but gives another state"
    else:
        what = f"step {k}, `{action}`, is not possible any more"
    listed = possible[:ALTERNATIVES]
    more = f", and {len(possible) - len(listed)} more" if len(possible) > len(listed) else ""
    options = "; ".join(f"`{a}`" for a in listed) or "none (no task can step)"
    return f"does not replay: {what}; the scenario allows: {options}{more}"


def _fails(
    kernel: Kernel,
    suite: PropertySuite,
    scenario: ir.ScenarioIR,
    prop: str,
    kind: str,
    s: State,
    before: State | None,
) -> str | None:
    """Why `prop` fails at the end of the replayed trace (in `s`, reached
    from `before`), or None if it does not fail there."""
    if kind in ("outcomes", "never", "always"):
        return _expectation_fails(kernel, scenario, prop, kind, s)
    try:
        for name, check in suite.state_checks:
            if name == prop and (message := check(s)) is not None:
                return message
        if before is not None:
            for name, step_check in suite.step_checks:
                if name == prop and (message := step_check(before, s)) is not None:
                    return message
        if not kernel.successors(s):
            for name, check in suite.terminal_checks:
                if name == prop and (message := check(s)) is not None:
                    return message
    except Unset:
        return None
    if prop == "zombies_reaped" and suite.zombies:
        ex = explore(kernel, suite, initial=s)
        found = ex.violations.get("zombies_reaped")
        if found is not None and found.state == 0:
            return found.message
    return None


def _expectation_fails(
    kernel: Kernel, scenario: ir.ScenarioIR, text: str, kind: str, s: State
) -> str | None:
    """An `expect outcomes/never/always` that a terminal state breaks."""
    if kernel.successors(s):
        return None
    for exp in scenario.expects:
        if exp.text != text or exp.kind != kind:
            continue
        try:
            values = tuple(compile_property(e)(s) for e in exp.exprs)
        except Unset:
            return None
        if kind == "outcomes" and values not in exp.values:
            return f"its end is outcome {show_values(values)}, which the expectation does not list"
        if kind == "never" and values[0]:
            return "its end satisfies what it says never happens"
        if kind == "always" and not values[0]:
            return "its end violates what it says always holds"
    return None


__all__ = ["ReplayError", "Replayed", "replay", "replay_files"]
