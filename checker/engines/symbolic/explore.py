"""The symbolic engine's answer in the explicit engine's terms.

The runner judges an Exploration (checker/engines/explicit.py): violations
with the state they end in, terminal states, completeness. This module
fills one from bounded model checking, with only the states the answer
needs: the runs to each violation and one run per distinct terminal
outcome. Messages come from the same property code the explicit engine
runs, applied to the replayed explicit states.
"""

from __future__ import annotations

from collections.abc import Callable

from checker.engines.explicit import Exploration, PropertyError, Violation
from checker.engines.symbolic.bmc import Symbolic, bmc
from checker.kernel.model import Kernel
from checker.kernel.state import State
from checker.lang.pyexpr import EvalError, Unset
from checker.props.compile import compile_property
from checker.props.suite import PropertySuite, task_name

DEFAULT_DEPTH = 20


def symbolic_exploration(
    kernel: Kernel,
    suite: PropertySuite,
    depth: int = DEFAULT_DEPTH,
    timeout: float | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Exploration:
    scenario = suite.scenario
    sym = Symbolic(scenario, kernel)
    ex = Exploration(kernel)
    index: dict[State, int] = {}

    def add_path(path: list[State]) -> int:
        prev = -1
        for d, s in enumerate(path):
            j = index.get(s)
            if j is None:
                j = len(ex.states)
                index[s] = j
                ex.states.append(s)
                ex.parent.append(prev)
                ex.depth.append(d)
            prev = j
        return prev

    exprs = [o.expr for o in scenario.observes] + [e for x in scenario.expects for e in x.exprs]
    terminal_expectations = bool(exprs) or any(
        x.kind in ("sometimes", "never", "always", "outcomes") for x in scenario.expects
    )
    result, _ = bmc(
        sym,
        depth,
        timeout,
        progress,
        whole=terminal_expectations,
        outcomes=exprs if terminal_expectations else None,
    )
    ex.complete = result.complete and not result.timed_out
    if not result.complete:
        ex.stop = f"depth {result.depth}"
    if result.timed_out:
        ex.stop = f"solver timeout ({', '.join(result.timed_out)})"
    add_path([sym.initial_state])
    checks = {name: fn for name, fn in suite.state_checks + suite.terminal_checks}
    invariant_fns = {
        p.name: compile_property(p.expr) for p in scenario.invariants + scenario.finals
    }
    for name in suite.names:
        found = result.found.get(name)
        if found is None:
            continue
        last = add_path(found.path)
        final = found.path[-1]
        if found.error:
            fn = invariant_fns[name]
            try:
                fn(final)
                message = "cannot be evaluated"
            except (Unset, EvalError) as err:
                message = str(err)
            raise PropertyError(name, message, found.path)
        if found.failure is not None:
            message = found.failure.message
        elif name in checks:
            message = checks[name](final) or found.message
        elif name == "zombies_reaped":
            zombies = [t for t in final.tasks if t.state == "Z"]
            who = task_name(scenario, zombies[0]) if zombies else "a task"
            message = f"{who} is a zombie that can never be reaped (the run ends here)"
        else:
            message = found.message
        ex.violations[name] = Violation(name, message, last, found.failure)
    for path in result.terminals:
        ex.terminals.append(add_path(path))
    ex.seconds = result.seconds
    ex.bound = result.depth  # type: ignore[attr-defined]
    ex.transitions = 0
    return ex
