"""Check one .proc file: text -> IR -> exploration -> FileResult.

This is the whole pipeline the CLI calls per file. It never raises for a
user mistake: a file that cannot be read, parsed or checked, or whose
properties cannot be evaluated, gives a result with `errors` and exit code 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from checker.engines.explicit import (
    DEFAULT_MAX_STATES,
    Exploration,
    Progress,
    PropertyError,
    explore,
)
from checker.errors import Diagnostic, UserError
from checker.kernel.model import Incomplete, Kernel, ModelError
from checker.kernel.state import State
from checker.lang import ir
from checker.lang.ast import NOWHERE, Pos
from checker.lang.load import load_text
from checker.lang.pyexpr import Unset
from checker.props.compile import compile_property
from checker.props.suite import PropertySuite
from checker.results import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_INCOMPLETE,
    EXIT_OK,
    HOLDS,
    MET,
    NOT_MET,
    UNDECIDED,
    UNKNOWN,
    UNSET,
    VIOLATED,
    ExpectationResult,
    FileResult,
    Outcome,
    PropertyResult,
    Trace,
    build_trace,
    show_value_set,
    show_values,
    value_sort_key,
)


@dataclass(frozen=True)
class Options:
    max_states: int | None = None  # overrides the file's config
    max_depth: int | None = None
    fairness: str | None = None
    engine: str | None = None  # explicit, symbolic or both; None: the file's config decides
    depth: int | None = None  # the symbolic engine's bound (steps)
    timeout: float | None = None  # the symbolic engine's, per solver call (seconds)
    # the symbolic engine's time for one file (seconds); with --engine both
    # it is BOTH_BUDGET unless given
    budget: float | None = None


# --engine both: the symbolic engine's default time per file. The explicit
# run comes first; the symbolic one then searches as deep as the explicit
# one had to go to see every state, or as far as this budget lets it.
BOTH_BUDGET = 60.0


# the symbolic engine's: a depth searched and the solver's seconds there
SolverProgress = Callable[[int, float], None]


def check_file(
    path: str | Path,
    options: Options | None = None,
    progress: Progress | None = None,
    solver_progress: SolverProgress | None = None,
) -> FileResult:
    path = str(path)
    text = read_source(path)
    if isinstance(text, FileResult):
        return text
    return check_text(text, path, options, progress, solver_progress)


def read_source(path: str) -> str | FileResult:
    """The text of a scenario file, or a result with why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        result = FileResult(path, exit_code=EXIT_ERROR)
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        result.errors = [Diagnostic(path, NOWHERE, f"cannot read the file: {reason}")]
        return result


@dataclass
class GraphDrawing:
    result: FileResult  # the file's errors, if it does not load
    source: str | None = None  # the dot source; None on errors or when too big
    too_big: bool = False


def explore_graph(path: str, max_nodes: int, fairness: str | None = None) -> GraphDrawing:
    """The state graph of a scenario as dot, explored up to `max_nodes`
    states (one more and it is too big to draw)."""
    text = read_source(path)
    if isinstance(text, FileResult):
        return GraphDrawing(text)
    result = FileResult(path, source=text)
    try:
        scenario = load_text(text, path)
    except UserError as err:
        result.errors = [d for d in err.diagnostics if d.severity == "error"]
        return GraphDrawing(result)
    try:
        source = draw_state_graph(scenario, path, max_nodes, fairness)
    except (ModelError, PropertyError) as err:
        result.errors = [Diagnostic(path, NOWHERE, err.message)]
        return GraphDrawing(result)
    except Incomplete as err:
        result.errors = [Diagnostic(path, NOWHERE, str(err))]
        return GraphDrawing(result)
    return GraphDrawing(result, source, too_big=source is None)


def draw_state_graph(
    scenario: ir.ScenarioIR, path: str, max_nodes: int, fairness: str | None
) -> str | None:
    """The dot source of the scenario's state graph, explored with the graph
    kept up to one state more than `max_nodes` (whatever bounds a check ran
    with); None when it has more than that. Incomplete when the explicit
    explorer cannot enumerate the scenario (a large `any`, CLONE_NEWPID...),
    as with a file the symbolic engine checks."""
    from checker.render.stategraph import graph_subtitle, state_graph_dot

    settings = scenario.settings
    limit = min(max_nodes + 1, settings.max_states or DEFAULT_MAX_STATES)
    kernel = Kernel(scenario)
    suite = PropertySuite.build(scenario, fairness)
    ex = explore(kernel, suite, limit, settings.max_depth, keep_graph=True)
    if len(ex.states) > max_nodes:
        return None
    if not ex.complete and ex.stop not in ("max_states", "max_depth"):
        # the state it stopped at has steps the explorer cannot enumerate
        raise Incomplete(f"no state graph: {ex.stop}")
    return state_graph_dot(ex, kernel, suite, f"{path}: state graph", graph_subtitle(ex))


def check_text(
    text: str,
    path: str = "<string>",
    options: Options | None = None,
    progress: Progress | None = None,
    solver_progress: SolverProgress | None = None,
) -> FileResult:
    options = options or Options()
    try:
        scenario = load_text(text, path)
    except UserError as err:
        result = FileResult(path, source=text)
        result.errors = [d for d in err.diagnostics if d.severity == "error"]
        result.warnings = [d for d in err.diagnostics if d.severity != "error"]
        result.exit_code = EXIT_ERROR
        return result
    # the command line's --engine, else the file's `config { engine = ... }`
    engine = options.engine or scenario.settings.engine
    if engine == "both":
        from checker.engines.symbolic.compare import compare

        explicit = _check_scenario(text, path, scenario, "explicit", options, progress)
        # every reachable state lies within the explicit search's depth: the
        # symbolic one need not go deeper to compare every verdict
        depth = options.depth
        if depth is None and explicit.complete:
            depth = explicit.depth
        budget = options.budget if options.budget is not None else BOTH_BUDGET
        both = replace(options, depth=depth, budget=budget)
        symbolic = _check_scenario(
            text, path, scenario, "symbolic", both, progress, solver_progress
        )
        return compare(explicit, symbolic)
    return _check_scenario(text, path, scenario, engine, options, progress, solver_progress)


def _check_scenario(
    text: str,
    path: str,
    scenario: ir.ScenarioIR,
    engine: str,
    options: Options,
    progress: Progress | None,
    solver_progress: SolverProgress | None = None,
) -> FileResult:
    """The result of one engine (explicit or symbolic) on a loaded scenario."""
    result = FileResult(path, source=text)
    result.title = scenario.title
    result.scenario = scenario
    result.warnings = list(scenario.warnings)
    result.programs = tuple(p.name for p in scenario.programs)
    settings = scenario.settings
    max_states = options.max_states if options.max_states is not None else settings.max_states
    max_depth = options.max_depth if options.max_depth is not None else settings.max_depth
    if engine != "explicit":
        from checker.engines.symbolic.layout import unsupported

        missing = unsupported(scenario)
        if missing is not None:
            result.errors = [Diagnostic(path, NOWHERE, f"{missing}: no symbolic verdict")]
            result.exit_code = EXIT_INCOMPLETE
            return result
    try:
        kernel = Kernel(scenario)
        suite = PropertySuite.build(scenario, options.fairness)
        result.fairness = suite.fairness
        if engine == "symbolic":
            from checker.engines.symbolic.explore import DEFAULT_DEPTH, symbolic_exploration

            depth = options.depth if options.depth is not None else DEFAULT_DEPTH
            ex = symbolic_exploration(
                kernel, suite, depth, options.timeout, solver_progress, options.budget
            )
            result.engine = "symbolic"
            result.bound = ex.bound
        else:
            ex = explore(kernel, suite, max_states, max_depth, progress)
    except ModelError as err:
        result.errors = [Diagnostic(path, NOWHERE, err.message)]
        result.exit_code = EXIT_ERROR
        if err.path:
            result.error_trace = build_trace(kernel, err.path, "model", err.message)
        return result
    except PropertyError as err:
        return _property_error(result, scenario, kernel, err.name, err.message, err.path)
    result.states = len(ex.states)
    result.transitions = ex.transitions
    result.depth = ex.max_depth
    result.seconds = ex.seconds
    result.complete = ex.complete
    result.stop = ex.stop
    result.terminal_states = len(ex.terminals)
    try:
        _judge(result, scenario, suite, ex)
    except _TerminalError as err:
        states = [ex.states[k] for k in ex.path(err.state)]
        return _property_error(result, scenario, kernel, err.what, err.message, states)
    return result


class _TerminalError(Exception):
    def __init__(self, what: str, message: str, state: int):
        super().__init__(message)
        self.what, self.message, self.state = what, message, state


def _property_error(
    result: FileResult,
    scenario: ir.ScenarioIR,
    kernel: Kernel,
    name: str,
    message: str,
    path: list[State],
) -> FileResult:
    """A property that reads a value some reachable state does not have: an
    error in the scenario (exit 2), shown with a shortest path to that state."""
    pos = _position_of(scenario, name)
    result.errors = [Diagnostic(result.path, pos, f"{name} cannot be evaluated: {message}")]
    result.error_trace = build_trace(kernel, path, name, message)
    result.exit_code = EXIT_ERROR
    return result


def _position_of(scenario: ir.ScenarioIR, name: str) -> Pos:
    for p in scenario.invariants + scenario.finals:
        if p.name == name:
            return p.pos
    for live in scenario.liveness:
        if live.name == name:
            return live.pos
    for o in scenario.observes:
        if o.text == name:
            return o.pos
    for e in scenario.expects:
        if e.text == name:
            return e.pos
    return NOWHERE


# ------------------------------------------------------------------ judging


def _judge(
    result: FileResult, scenario: ir.ScenarioIR, suite: PropertySuite, ex: Exploration
) -> None:
    expected = {e.name for e in scenario.expects if e.kind == "violation"}
    states = ex.states

    def trace_to(
        index: int, prop: str, message: str, failure: Any = None, then: State | None = None
    ) -> Trace:
        path = [states[k] for k in ex.path(index)] + ([then] if then is not None else [])
        return build_trace(ex.kernel, path, prop, message, failure)

    for name in suite.names:
        v = ex.violations.get(name)
        if v is not None and v.run is not None:  # a lasso, or a run that ends
            run = v.run
            lasso = [states[k] for k in run.path]
            trace = build_trace(
                ex.kernel, lasso, name, v.message, loop=run.loop, pids=run.pids, liveness=True
            )
            result.properties.append(
                PropertyResult(name, VIOLATED, name in expected, v.message, trace)
            )
        elif v is not None:
            trace = trace_to(v.state, name, v.message, v.failure, v.then)
            result.properties.append(
                PropertyResult(name, VIOLATED, name in expected, v.message, trace)
            )
        else:
            status = HOLDS if ex.complete else UNKNOWN
            result.properties.append(PropertyResult(name, status, name in expected))
    by_name = {p.name: p for p in result.properties}

    # terminal states, in BFS order (so the first one matching is a shortest run)
    terminals = [states[i] for i in ex.terminals]
    if scenario.observes:
        result.observe = tuple(o.text for o in scenario.observes)
        fns = [compile_property(o.expr) for o in scenario.observes]
        counts: Counter[tuple[object, ...]] = Counter()
        for s in terminals:
            counts[tuple(_value_or_unset(fn, s) for fn in fns)] += 1
        symbolic = result.engine == "symbolic"
        result.outcomes = [
            Outcome(values, None if symbolic else n)
            for values, n in sorted(counts.items(), key=lambda kv: value_sort_key(kv[0]))
        ]
        if not terminals:
            reason = (
                "no terminal state is reachable (every path loops forever or ends in an error)"
                if ex.complete
                else "no terminal state was found before the search stopped"
            )
            result.warnings.append(
                Diagnostic(
                    result.path,
                    scenario.observes[0].pos,
                    f"{reason}, so `observe` has nothing to report",
                    "warning",
                )
            )

    for exp in scenario.expects:
        judged = _expectation(result, exp, by_name, ex, terminals, trace_to, suite)
        judged.kind = exp.kind
        result.expectations.append(judged)
    # every checked property no `expect violation` names must hold
    for prop in result.properties:
        if prop.expected:
            continue
        status = {HOLDS: MET, VIOLATED: NOT_MET, UNKNOWN: UNDECIDED}[prop.status]
        detail = prop.message if prop.status == VIOLATED else ""
        result.expectations.append(
            ExpectationResult(
                f"{prop.name} holds", 0, status, detail, prop.trace, implicit=True, kind="holds"
            )
        )

    statuses = {e.status for e in result.expectations}
    if NOT_MET in statuses:
        result.exit_code = EXIT_FAIL
    elif UNDECIDED in statuses:
        result.exit_code = EXIT_INCOMPLETE
    else:
        result.exit_code = EXIT_OK


def _expectation(
    result: FileResult,
    exp: ir.ExpectIR,
    by_name: dict[str, PropertyResult],
    ex: Exploration,
    terminals: list[State],
    trace_to: Any,
    suite: PropertySuite,
) -> ExpectationResult:
    line = exp.pos.line
    complete = ex.complete
    if exp.kind == "pass":
        props = list(by_name.values())
        if any(p.status == VIOLATED for p in props):
            bad = ", ".join(p.name for p in props if p.status == VIOLATED)
            return ExpectationResult(exp.text, line, NOT_MET, f"violated: {bad}")
        return ExpectationResult(exp.text, line, MET if complete else UNDECIDED)
    if exp.kind == "violation":
        assert exp.name is not None
        prop = by_name[exp.name]
        if prop.status == VIOLATED:
            return ExpectationResult(exp.text, line, MET, prop.message, prop.trace)
        if prop.status == UNKNOWN:
            return ExpectationResult(
                exp.text, line, UNDECIDED, "not found before the search stopped"
            )
        where = "in every reachable state"
        if any(live.name == exp.name for live in suite.liveness):
            where = (
                f"on every run that ends and every fair infinite run ({suite.fairness} fairness)"
            )
        return ExpectationResult(exp.text, line, NOT_MET, f"{exp.name} holds {where}")

    fns = [compile_property(e) for e in exp.exprs]
    results = []
    for k, s in enumerate(terminals):
        try:
            results.append(tuple(fn(s) for fn in fns))
        except Unset as err:
            raise _TerminalError(exp.text, str(err), ex.terminals[k]) from None
    none_note = (
        (
            "no terminal state is reachable"
            if complete
            else "no terminal state was found before the search stopped"
        )
        if not terminals
        else ""
    )

    if exp.kind == "outcomes":
        seen = set(results)
        wanted = set(exp.values)
        extra = [v for v in results if v not in wanted]
        missing = sorted(wanted - seen, key=value_sort_key)
        if extra:
            first = results.index(extra[0])
            detail = f"outcome {show_values(extra[0])} is reachable but not expected (seen: {show_value_set(seen)})"
            return ExpectationResult(
                exp.text, line, NOT_MET, detail, trace_to(ex.terminals[first], exp.text, detail)
            )
        if not complete:
            return ExpectationResult(
                exp.text, line, UNDECIDED, f"seen so far: {show_value_set(seen)}"
            )
        if missing:
            detail = (
                none_note
                or f"expected but never reached: {show_value_set(set(missing))} "
                f"(seen: {show_value_set(seen)})"
            )
            return ExpectationResult(exp.text, line, NOT_MET, detail)
        return ExpectationResult(exp.text, line, MET, f"seen: {show_value_set(seen)}")

    truth = [bool(r[0]) for r in results]
    if exp.kind == "sometimes":
        if any(truth):
            return ExpectationResult(exp.text, line, MET)
        if not complete:
            return ExpectationResult(exp.text, line, UNDECIDED, "no terminal state so far")
        return ExpectationResult(
            exp.text, line, NOT_MET, none_note or "no terminal state satisfies it"
        )
    wrong = [k for k, v in enumerate(truth) if (v if exp.kind == "never" else not v)]
    if wrong:
        which = "satisfies" if exp.kind == "never" else "violates"
        detail = f"a terminal state {which} it"
        return ExpectationResult(
            exp.text, line, NOT_MET, detail, trace_to(ex.terminals[wrong[0]], exp.text, detail)
        )
    if not complete:
        return ExpectationResult(exp.text, line, UNDECIDED)
    if not terminals:
        result.warnings.append(
            Diagnostic(
                result.path,
                exp.pos,
                f"`{exp.text}` holds only vacuously: no terminal state is reachable",
                "warning",
            )
        )
        return ExpectationResult(exp.text, line, MET, "vacuous: no terminal state")
    return ExpectationResult(exp.text, line, MET)


def _value_or_unset(fn: Callable[[State], object], s: State) -> object:
    try:
        return fn(s)
    except Unset:
        return UNSET


__all__ = ["EXIT_OK", "Options", "check_file", "check_text"]
