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
from checker.props.suite import PropertySuite

DEFAULT_DEPTH = 20


def symbolic_exploration(
    kernel: Kernel,
    suite: PropertySuite,
    depth: int = DEFAULT_DEPTH,
    timeout: float | None = None,
    progress: Callable[[int, float], None] | None = None,
    budget: float | None = None,
) -> Exploration:
    scenario = suite.scenario
    sym = Symbolic(scenario, kernel, suite)
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
        budget=budget,
    )
    ex.complete = result.complete and not result.timed_out
    if not result.complete:
        ex.stop = f"depth {result.depth}"
    if result.out_of_time:
        ex.stop = f"time budget of {budget:g} s spent after depth {result.depth}"
    if result.timed_out:
        ex.stop = f"solver timeout ({', '.join(result.timed_out)})"
    add_path([sym.initial_state])
    for name in suite.names:
        found = result.found.get(name)
        if found is None:
            continue
        if found.error:
            raise PropertyError(name, found.message, found.path)
        last = add_path(found.path)
        ex.violations[name] = Violation(name, found.message, last, found.failure)
    for path in result.terminals:
        ex.terminals.append(add_path(path))
    ex.seconds = result.seconds
    ex.bound = result.depth
    return ex
