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
from checker.kernel.model import Failure, Kernel, ModelError, Step, TooManyValues
from checker.kernel.state import State
from checker.lang import ir
from checker.lang.load import load_text
from checker.lang.pyexpr import Unset
from checker.props.compile import compile_property
from checker.props.liveness import run_fails
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


def replay_files(scenario_path: str, trace_path: str, fairness: str | None = None) -> Replayed:
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
    return replay(scenario, doc, trace_path, fairness)


# an `any` value no range holds: the task's `any` step gives no successor
_NO_VALUE = 2**64 + 1


def _steps(kernel: Kernel, s: State, want: dict[str, Any] | None) -> list[Step]:
    """kernel.steps(s). An `any` over more values than the explicit model
    enumerates (in a trace the symbolic engine found) takes only the numbers
    the next saved state `want` holds: no other value can lead to it."""
    try:
        return kernel.steps(s)
    except TooManyValues:
        pass
    values = sorted(_numbers(want["tasks"])) if want is not None else []
    chosen = kernel.any_values
    saved = dict(chosen)
    try:
        chosen.update({(s, t.pid): _NO_VALUE for t in s.tasks})
        out = kernel.steps(s)  # every step but the large `any`s
        for t in s.tasks:
            for v in values:
                chosen[(s, t.pid)] = v
                out += [x for x in kernel.steps(s) if x.pid == t.pid and x not in out]
            chosen[(s, t.pid)] = _NO_VALUE
    finally:
        chosen.clear()
        chosen.update(saved)
    return out


def _numbers(node: Any) -> set[int]:
    """Every integer in an ITF value."""
    if isinstance(node, dict):
        if set(node) == {"#bigint"}:
            return {int(node["#bigint"])}
        return set().union(*(_numbers(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_numbers(v) for v in node))
    return {node} if isinstance(node, int) and not isinstance(node, bool) else set()


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
    failing = fc.get("failing_step")
    if failing is not None and not (
        isinstance(failing, dict)
        and isinstance(failing.get("pid"), int)
        and isinstance(failing.get("action"), str)
    ):
        raise ReplayError(
            f"{where}: #meta.forkcheck.failing_step is not a record of `pid` and `action`"
        )
    for k, st in enumerate(doc["states"]):
        if not isinstance(st, dict) or "tasks" not in st or "action" not in st:
            raise ReplayError(f"{where}: state {k} has no `tasks` or no `action`")
    return doc["states"], fc


def replay(
    scenario: ir.ScenarioIR, doc: Any, where: str = "<trace>", fairness: str | None = None
) -> Replayed:
    """Replay an ITF document; `fairness` overrides the scenario's (for a
    lasso found under `check --fairness`)."""
    saved, fc = _states(doc, where)
    loop = doc.get("loop")
    if loop is not None and (
        isinstance(loop, bool)
        or not isinstance(loop, int)
        or not 0 <= loop < len(saved)
        or not isinstance(fc.get("loop_step"), str)
    ):
        raise ReplayError(
            f"{where}: `loop` is not the index of one of its states, or "
            "#meta.forkcheck.loop_step (the step back to it) is missing"
        )
    try:
        done = _replay(scenario, saved, {**fc, "loop": loop}, fairness)
    except ModelError as err:
        # a mistake in the scenario that replaying runs into (as check would)
        raise ReplayError(f"{scenario.path}: error: {err.message}") from None
    source = doc.get("#meta", {}).get("source")
    if not done.ok and isinstance(source, str) and Path(source).name != Path(scenario.path).name:
        done.message += f" (the trace was written for {source})"
    found_under = fc.get("fairness")
    judged_under = fairness or scenario.settings.fairness
    if not done.ok and isinstance(found_under, str) and found_under != judged_under:
        done.message += (
            f" (its loop was found under {found_under} fairness, and this replay judges it "
            f"under {judged_under}: add --fairness {found_under} to judge it as found)"
        )
    return done


def _replay(
    scenario: ir.ScenarioIR, saved: list[dict[str, Any]], fc: dict[str, Any], fairness: str | None
) -> Replayed:
    prop: str = fc["property"]
    kind = fc.get("kind", "property")
    failing = fc.get("failing_step")
    total = len(saved) - 1 + (1 if failing or fc.get("loop") is not None else 0)
    kernel = Kernel(scenario)
    suite = PropertySuite.build(scenario, fairness)
    known = list(suite.names) + [e.text for e in scenario.expects]
    if kind == "outcomes":
        # `expect outcomes X in {...}` is the same expectation with other values
        known += [_outcomes_of(e.text) for e in scenario.expects if e.kind == kind]
        prop_key = _outcomes_of(prop)
    else:
        prop_key = prop
    if prop_key not in known:
        return Replayed(
            False,
            0,
            total,
            f"the scenario has no property or expectation `{prop}` any more "
            f"(it checks: {', '.join(suite.names) or 'nothing'})",
        )

    def seen(s: State, action: str) -> dict[str, Any]:
        return comparable(state_vars(s, scenario, action))

    start = kernel.initial()
    first = seen(start, INITIAL_ACTION)
    if first != comparable(saved[0]):
        diff = first_difference(comparable(saved[0]), first)
        return Replayed(False, 0, total, f"the initial state differs: {diff}")
    # the states to follow: the saved ones after the first, and for a lasso
    # the loop's first state again, reached by the step ITF keeps in #meta
    loop = fc.get("loop")
    wanted = saved[1:]
    if loop is not None:
        wanted = [*wanted, {**saved[loop], "action": fc["loop_step"]}]
    # the states the trace may be in, each with one run that leads there
    current: dict[State, tuple[State, ...]] = {start: (start,)}
    for k, want in enumerate(wanted, start=1):
        target = comparable(want)
        nxt: dict[State, tuple[State, ...]] = {}
        possible: list[str] = []
        closest: dict[str, Any] | None = None
        for s in current:
            for step in _steps(kernel, s, want):
                action = action_text(step.pid, step.program, step_text(step))
                if type(step.target) is not State:
                    continue
                if action not in possible:
                    possible.append(action)
                got = seen(step.target, action)
                if got == target:
                    nxt.setdefault(step.target, (*current[s], step.target))
                elif closest is None and action == want.get("action"):
                    closest = got
        if not nxt and k == len(saved):  # the step back into the loop
            return Replayed(
                False,
                k - 1,
                total,
                f"replays ({k - 1} steps), but its loop does not close: "
                f"`{fc['loop_step']}` does not lead back to state {loop}",
            )
        if not nxt:
            return Replayed(False, k - 1, total, _diverged(k, want, possible, closest))
        current = nxt
    steps = len(wanted)
    if failing:
        steps += 1
        possible = []
        for s in current:
            for step in _steps(kernel, s, None):
                action = action_text(step.pid, step.program, step_text(step))
                if action not in possible:
                    possible.append(action)
                if (
                    type(step.target) is Failure
                    and step.target.property == prop
                    and action == failing["action"]
                ):
                    return Replayed(
                        True,
                        steps,
                        total,
                        f"replays ({steps} steps) and its last step still fails: "
                        f"{step.target.message}",
                    )
        if failing["action"] not in possible:
            return Replayed(False, steps - 1, total, _diverged(steps, failing, possible, None))
        return Replayed(
            False,
            steps - 1,
            total,
            f"replays up to its last step, step {steps}, but `{failing['action']}` "
            f"no longer fails there",
        )
    live = next((p for p in suite.liveness if p.name == prop), None)
    for s, run in current.items():
        if live is not None:
            message = run_fails(live, suite.fairness, run, loop, kernel.moves)
        else:
            before = run[-2] if len(run) > 1 else None
            message = _fails(kernel, suite, scenario, prop, kind, s, before)
        if message is not None:
            return Replayed(
                True, steps, total, f"replays ({steps} steps) and {prop} still fails: {message}"
            )
    if live is not None:
        return Replayed(
            False,
            steps,
            total,
            f"replays ({steps} steps), but {prop} no longer fails on this run "
            f"(judged under {suite.fairness} fairness)",
        )
    return Replayed(
        False,
        steps,
        total,
        f"replays ({steps} steps), but {prop} no longer fails in the state it reaches",
    )


def first_difference(saved: Any, now: Any, where: str = "") -> str:
    """The first place two ITF values differ, in words:
    `tasks[2].vars.x: the trace has 0, the scenario 1`."""
    leaf = isinstance(saved, dict) and "#bigint" in saved
    if isinstance(saved, dict) and isinstance(now, dict) and not leaf:
        if "#map" in saved and "#map" in now:
            a = {json.dumps(k, sort_keys=True): v for k, v in saved["#map"]}
            b = {json.dumps(k, sort_keys=True): v for k, v in now["#map"]}
            # an entry only one side has (a task) first: it explains the rest
            for key in sorted(a.keys() ^ b.keys()):
                side = "the scenario has it, the trace does not"
                if key in a:
                    side = "the trace has it, the scenario does not"
                return f"{where}[{_show(json.loads(key))}]: {side}"
            for key in sorted(a.keys()):
                if a[key] != b[key]:
                    return first_difference(a[key], b[key], f"{where}[{_show(json.loads(key))}]")
        # the tasks first: what differs there says more than the pid cursor
        for key in sorted(saved.keys() | now.keys(), key=lambda k: (k != "tasks", k)):
            if saved.get(key) != now.get(key):
                path = f"{where}.{key}" if where else key
                if key in saved and key in now:
                    return first_difference(saved[key], now[key], path)
                side = "the trace" if key in saved else "the scenario"
                return f"{path}: only in {side}"
    return f"{where}: the trace has {_show(saved)}, the scenario {_show(now)}"


def _show(v: Any) -> str:
    if isinstance(v, dict) and "#bigint" in v:
        return str(v["#bigint"])
    if isinstance(v, dict) and "#set" in v:
        return "{" + ", ".join(_show(x) for x in v["#set"]) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if isinstance(v, str):
        return v
    return json.dumps(v)


def _diverged(
    k: int, want: dict[str, Any], possible: list[str], closest: dict[str, Any] | None
) -> str:
    action = want.get("action", "?")
    if action in possible:
        what = f"step {k}, `{action}`, is still possible but gives another state"
        if closest is not None:
            what += f" ({first_difference(comparable(want), closest)})"
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


def _outcomes_of(text: str) -> str:
    """`expect outcomes X in {1, 2}` without its values: `expect outcomes X`."""
    return text.rsplit(" in {", 1)[0]


def _expectation_fails(
    kernel: Kernel, scenario: ir.ScenarioIR, text: str, kind: str, s: State
) -> str | None:
    """An `expect outcomes/never/always` that a terminal state breaks."""
    if kernel.successors(s):
        return None
    for exp in scenario.expects:
        if exp.kind != kind or (exp.text != text and _outcomes_of(exp.text) != _outcomes_of(text)):
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
