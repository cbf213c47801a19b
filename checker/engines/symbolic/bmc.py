"""Bounded model checking: the transition relation unrolled step by step,
each property asked at each depth, shortest depth first.

Depth d asks, in one question, whether some property not yet decided is
violated in state d (or a new outcome reached there), so the first answer
is a shortest counterexample. When no run can go on past d, every run has
been seen: what was not violated holds. Each question goes to a fresh
solver behind Z3's preprocessing tactics rather than to one incremental
solver with assumption literals: the unrolled states are terms over the
choices, which those tactics simplify and an incremental solver does not
(scenario 01 at depth 13: 1.4 s a question against 5.7 s).

A model is turned into a trace by replaying it through the explicit model
(checker/kernel/model.py): at each step, the explicit successor of the task
that moved whose projection equals the model's next state. If there is
none, the two engines disagree: `Disagreement`, an internal error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.layout import Layout, layout
from checker.engines.symbolic.rules import Choice, D, Rules, Transition, Z, choice, leads
from checker.engines.symbolic.sstate import (
    SState,
    encode,
    from_leaves,
    leaves,
    project,
    project_model,
)
from checker.engines.symbolic.terms import Ctx, as_int, property_term, term, tgid
from checker.kernel.model import Failure, Kernel, ModelError
from checker.kernel.state import INIT_PID, SLEEPING, ZOMBIE, State, Tx
from checker.lang import ir
from checker.lang.pyexpr import EvalError, Unset
from checker.props.suite import PropertySuite, task_name

FALSE = z3.BoolVal(False)


class Disagreement(Exception):
    """The symbolic model allows a step the explicit one does not take: a
    bug in one of them."""


@dataclass
class Check:
    """One property as the solver asks it of a state."""

    name: str
    violated: Callable[[SState, Any], tuple[Any, Any]]  # (state, terminal) -> (violation, error)
    at_end: bool = False  # asked of terminal states only


@dataclass
class Found:
    name: str
    depth: int
    path: list[State]  # the explicit states of the run
    failure: Failure | None  # the failing last step, for `assertions`
    message: str
    error: bool = False  # the property cannot be evaluated there (Unset, EvalError)


@dataclass
class OutOfTime(Exception):
    """The search's time budget is spent."""


@dataclass
class BmcResult:
    found: dict[str, Found] = field(default_factory=dict)
    depth: int = 0  # deepest depth searched
    out_of_time: bool = False  # the budget stopped the search after `depth`
    complete: bool = False  # every run ends within `depth`: the rest hold
    timed_out: list[str] = field(default_factory=list)
    seconds: float = 0.0
    per_depth: list[float] = field(default_factory=list)
    terminals: list[list[State]] = field(default_factory=list)  # runs to terminal states


class Symbolic:
    """A scenario's transition relation and initial state, ready to unroll."""

    def __init__(self, scenario: ir.ScenarioIR, kernel: Kernel, suite: PropertySuite | None = None):
        self.scenario = scenario
        self.kernel = kernel
        self.lay: Layout = layout(scenario, kernel.keep_zombie_values)
        self.rules = Rules(scenario, self.lay, kernel.images)
        self.t: Transition = self.rules.build()
        self.initial_state = kernel.initial()
        self.s0 = encode(self.lay, self.initial_state, sleeping_calls(kernel, self.initial_state))
        # the explicit engine's property code, for the messages of violations
        self.suite = suite or PropertySuite.build(scenario)
        self._pre, self._post = leaves(self.t.pre), leaves(self.t.post)

    def step(self, a: SState, b: SState, ch: Choice) -> Any:
        return z3.substitute(self.t.relation, *self.pairs(a, b, ch))

    def enabled(self, a: SState) -> Any:
        return z3.substitute(self.t.enabled, *self.pairs(a, None, None))

    def pairs(self, a: SState, b: SState | None, ch: Choice | None) -> list[tuple[Any, Any]]:
        pairs = list(zip(self._pre, leaves(a), strict=True))
        if b is not None:
            pairs += zip(self._post, leaves(b), strict=True)
        if ch is not None:
            pairs += zip(self.t.choice.all(), ch.all(), strict=True)
        return [(x, y) for x, y in pairs if not x.eq(y)]

    def message(self, name: str, final: State, failure: Failure | None) -> str:
        """What the explicit engine says of this violation in the run's last
        state (a failing step says it itself), or why the property cannot be
        evaluated there."""
        if failure is not None:
            return failure.message
        for check_name, check in self.suite.state_checks + self.suite.terminal_checks:
            if check_name == name:
                try:
                    said = check(final)
                except (Unset, EvalError) as err:
                    return str(err)
                if said is not None:
                    return said
        zombies = [t for t in final.tasks if t.state == ZOMBIE]
        if name == "zombies_reaped" and zombies:
            who = task_name(self.scenario, zombies[0])
            return f"{who} is a zombie that can never be reaped (the run ends here)"
        return f"{name} is violated"


def terminal(sym: Symbolic, s: SState) -> Any:
    """No step is possible from s (a failed state is no end: it stops)."""
    return z3.And(z3.Not(s.failed), z3.Not(sym.enabled(s)))


def sleeping_calls(kernel: Kernel, s: State) -> dict[int, tuple[int, int]]:
    """The wait each sleeping task is in (the explicit state stores it only
    when its arguments could change)."""
    out = {}
    tx = Tx(s)
    for t in s.tasks:
        if t.state == SLEEPING and not t.call:
            call = kernel.wait_selection(tx, t)
            if call is not None:
                out[t.pid] = (call.upid, call.options)
    return out


# ------------------------------------------------------------ properties


def checks(sym: Symbolic) -> list[Check]:
    """The checked properties the symbolic engine decides, in the order the
    explicit engine names them."""
    scenario = sym.scenario
    lay = sym.lay
    out: list[Check] = []
    names = scenario.checks
    out.append(Check("assertions", lambda s, end: (s.failed, FALSE)))
    if "orphans_reparented" in names:
        out.append(Check("orphans_reparented", lambda s, end: (orphaned(s), FALSE)))
    for inv in scenario.invariants:
        out.append(_invariant(inv, lay, at_end=False))
    if "no_deadlock" in names:
        out.append(Check("no_deadlock", lambda s, end: (z3.And(end, stuck(s)), FALSE), True))
    for fin in scenario.finals:
        out.append(_invariant(fin, lay, at_end=True))
    if "vfork_parent_blocked" in names:
        out.append(Check("vfork_parent_blocked", lambda s, end: (vfork_parent_runs(s), FALSE)))
    if "zombies_reaped" in names:
        # its terminal case: a run that ends with a zombie
        out.append(
            Check("zombies_reaped", lambda s, end: (z3.And(end, some_zombie(s)), FALSE), True)
        )
    return out


def _invariant(prop: ir.PropertyIR, lay: Layout, at_end: bool) -> Check:
    def violated(s: SState, end: Any) -> tuple[Any, Any]:
        value, unset, err = property_term(prop.expr, s, lay)
        live = z3.And(z3.Not(s.failed), end) if at_end else z3.Not(s.failed)
        return z3.And(live, z3.Not(value)), z3.And(live, z3.Or(unset, err))

    return Check(prop.name, violated, at_end)


def orphaned(s: SState) -> Any:
    """builtin.orphans_reparented: a task other than init whose parent is
    gone or a zombie, or a zombie with children."""
    bad = []
    for t in s.slots:
        parent_ok = z3.Or([z3.And(p.alive, p.pid == t.ppid, p.st != Z) for p in s.slots])
        # init and its threads have no parent in the namespace
        bad.append(z3.And(t.alive, tgid(t) != INIT_PID, z3.Not(parent_ok)))
        kids = z3.Or([z3.And(c.alive, c.ppid == t.pid, leads(c)) for c in s.slots])
        bad.append(z3.And(t.alive, t.st == Z, kids))
    return z3.And(z3.Not(s.failed), z3.Or(bad))


def vfork_parent_runs(s: SState) -> Any:
    """builtin.vfork_parent_blocked: a vfork child that has neither
    exec'd nor exited whose parent is gone or not in its D sleep."""
    bad = []
    for c in s.slots:
        # in its D sleep, or killed (its group exiting: it runs only to die)
        waiting = z3.Or(
            [
                z3.And(
                    p.alive,
                    p.pid == c.vparent,
                    z3.Or(p.st == D, p.gexit != 0) if p.gexit is not None else p.st == D,
                )
                for p in s.slots
            ]
        )
        bad.append(z3.And(c.alive, c.vparent != 0, z3.Not(waiting)))
    return z3.And(z3.Not(s.failed), z3.Or(bad))


def stuck(s: SState) -> Any:
    """Tasks remain that are neither zombies nor the idle default init."""
    return z3.Or([z3.And(t.alive, t.st != Z, t.prog >= 0) for t in s.slots])


def some_zombie(s: SState) -> Any:
    return z3.Or([z3.And(t.alive, t.st == Z) for t in s.slots])


# ------------------------------------------------------------ the search


Progress = Callable[[int, float], None]

# Z3's preprocessing before its SMT core: the unrolled successors are terms
# over the choices, and these tactics fold what the choices leave constant.
# Incremental solving skips them; measured on scenario 01 at depth 13, one
# query takes 1.4 s this way and 5.7 s on an incremental solver.
TACTIC = ("simplify", "propagate-values", "solve-eqs", "elim-uncnstr", "smt")


class Unrolling:
    """The runs of up to `len(states) - 1` steps, as terms.

    State d+1 is the successor of state d under choice d, written as terms
    over the earlier states (no equations for the solver to solve), and
    `allowed[d]` says that choice d is a possible step from state d.
    """

    def __init__(self, sym: Symbolic, timeout: float | None = None, deadline: float | None = None):
        self.sym = sym
        self.timeout = timeout
        self.deadline = deadline  # time.perf_counter() at which the search stops
        self.states = [sym.s0]
        self.choices: list[Choice] = []
        self.allowed: list[Any] = []
        # the leaves a step may change and the step's condition, packed in
        # one term so that each step is a single substitution
        t = sym.t
        base = leaves(t.pre)
        self.changed = [k for k, (x, y) in enumerate(zip(base, t.after, strict=True)) if y is not x]
        parts = [t.after[k] for k in self.changed] + [t.allowed]
        self.pack = z3.Function("step", *[x.sort() for x in parts], z3.BoolSort())(*parts)

    def extend_to(self, depth: int) -> None:
        while len(self.states) <= depth:
            a = self.states[-1]
            ch = choice(f"c{len(self.choices)}")
            done = z3.substitute(self.pack, *self.sym.pairs(a, None, ch)).children()
            after = leaves(a)
            for k, value in zip(self.changed, done, strict=False):
                after[k] = value
            self.allowed.append(done[-1])
            self.states.append(from_leaves(a, after))
            self.choices.append(ch)

    def solve(self, depth: int, condition: Any) -> tuple[Any, z3.ModelRef | None]:
        """Is there a run of `depth` steps satisfying `condition`? A fresh
        solver each time (see TACTIC)."""
        solver = z3.Then(*TACTIC).solver()
        limit = self.timeout
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise OutOfTime
            limit = min(limit, left) if limit else left
        if limit:
            solver.set("timeout", max(1, int(limit * 1000)))
        solver.add(*self.allowed[:depth], condition)
        answer = solver.check()
        if answer == z3.unknown and self.deadline and time.perf_counter() >= self.deadline:
            raise OutOfTime
        return answer, solver.model() if answer == z3.sat else None

    def replay(self, model: z3.ModelRef, depth: int) -> tuple[list[State], Failure | None]:
        return replay(self.sym, model, self.states[: depth + 1], self.choices[:depth])


def bmc(
    sym: Symbolic,
    depth: int,
    timeout: float | None = None,
    progress: Progress | None = None,
    whole: bool = False,
    outcomes: list[ir.Expr] | None = None,
    budget: float | None = None,
) -> tuple[BmcResult, Unrolling]:
    """Search every property for a violation within `depth` steps, depth by
    depth, so that each is found at its shortest depth (with `whole`, go on
    to `depth` or until every run has ended even when every property is
    decided: terminal states are wanted too). With a `budget` (seconds),
    the search stops when it is spent, at the last depth searched whole."""
    started = time.perf_counter()
    result = BmcResult()
    deadline = started + budget if budget is not None else None
    run = Unrolling(sym, timeout, deadline)
    try:
        _search(sym, run, depth, result, progress, whole, outcomes)
    except OutOfTime:
        result.out_of_time = True
        result.complete = False
    result.seconds = time.perf_counter() - started
    return result, run


def _search(
    sym: Symbolic,
    run: Unrolling,
    depth: int,
    result: BmcResult,
    progress: Progress | None,
    whole: bool,
    outcomes: list[ir.Expr] | None,
) -> None:
    todo = checks(sym)
    seen: list[tuple[Any, ...]] = []  # the outcome values found so far
    for d in range(depth + 1):
        t0 = time.perf_counter()
        run.extend_to(d)
        s = run.states[d]
        end = terminal(sym, s)
        pending = [(c, z3.Or(*c.violated(s, end))) for c in todo]
        values = outcome_terms(run, d, outcomes) if outcomes is not None else None
        while True:
            # one question for everything still open at this depth
            new = _new_outcome(end, values, seen) if values is not None else FALSE
            answer, model = run.solve(d, z3.Or([bad for _, bad in pending] + [s.lost, new]))
            if answer == z3.unknown and pending:
                # one by one, so that one hard property does not hide the others
                answer, model = _one_by_one(run, d, pending, result)
                todo = [c for c in todo if c.name not in result.timed_out]
                if answer == z3.unsat:
                    continue  # what is left: the outcomes, on their own
            if answer == z3.unknown:
                result.timed_out.append("terminal states")
            if answer != z3.sat:
                break
            assert model is not None
            if z3.is_true(model.eval(s.lost, model_completion=True)):
                # the explicit model raises its ModelError here (an exec
                # that makes PROG.X ambiguous); else a fork lost its task
                run.replay(model, d)
                raise Disagreement(f"a fork found no free task slot at depth {d}")
            for c, bad in list(pending):
                if z3.is_true(model.eval(bad, model_completion=True)):
                    result.found[c.name] = _found(run, c, d, end, model)
                    todo.remove(c)
                    pending.remove((c, bad))
            if values is not None and z3.is_true(model.eval(new, model_completion=True)):
                result.terminals.append(run.replay(model, d)[0])
                seen.append(tuple(model.eval(v, model_completion=True) for v in values))
        result.depth = d
        done = not todo and not whole
        if not done:
            # can a run go on? If not, every run was seen whole. (Written
            # with `enabled` itself: Not(end) gives the solver a disjunction,
            # and scenario 01 took 17-21 s that way against 14-15 s.)
            live = z3.And(z3.Not(s.failed), sym.enabled(s))
            result.complete = done = run.solve(d, live)[0] == z3.unsat
        result.per_depth.append(time.perf_counter() - t0)
        if progress is not None:
            progress(d, result.per_depth[-1])
        if done:
            break


def _new_outcome(end: Any, values: list[Any], seen: list[tuple[Any, ...]]) -> Any:
    """A terminal state whose outcome values are not among those seen."""
    other = [z3.Not(z3.And([v == g for v, g in zip(values, got, strict=True)])) for got in seen]
    return z3.And([end, *other])


def _one_by_one(
    run: Unrolling, d: int, pending: list[tuple[Check, Any]], result: BmcResult
) -> tuple[Any, z3.ModelRef | None]:
    """The joint question timed out: ask each property on its own; the first
    violation found answers, the ones that time out again are dropped."""
    for c, bad in list(pending):
        answer, model = run.solve(d, bad)
        if answer == z3.sat:
            return answer, model
        pending.remove((c, bad))
        if answer == z3.unknown:
            result.timed_out.append(c.name)
    return z3.unsat, None


def _found(run: Unrolling, c: Check, d: int, end: Any, model: z3.ModelRef) -> Found:
    s = run.states[d]
    err = z3.is_true(model.eval(c.violated(s, end)[1], model_completion=True))
    path, failure = run.replay(model, d)
    message = run.sym.message(c.name, path[-1], failure)
    return Found(c.name, d, path, failure, message, error=err)


def outcome_terms(run: Unrolling, d: int, exprs: list[ir.Expr]) -> list[Any]:
    """The outcome expressions' values in state d, flattened."""
    ctx = Ctx(run.states[d], run.sym.lay)
    flat = []
    for e in exprs:
        v = term(e, ctx)
        flat += [as_int(x) for x in v] if isinstance(v, tuple) else [as_int(v)]
    return flat


def replay(
    sym: Symbolic,
    model: z3.ModelRef,
    states: list[SState],
    choices: list[Choice],
) -> tuple[list[State], Failure | None]:
    """The explicit run a model describes (see the module docstring)."""
    kernel, lay, programs = sym.kernel, sym.lay, sym.scenario.programs
    current = sym.initial_state
    path = [current]
    want0 = project_model(lay, programs, model, states[0])
    if project(lay, current) != want0:
        raise Disagreement(f"initial states differ:\n{project(lay, current)}\n{want0}")
    for k, ch in enumerate(choices):
        who = model.eval(ch.who, model_completion=True).as_long()
        slot = states[k].slots[who]
        pid = model.eval(slot.pid, model_completion=True).as_long()
        kernel.any_values[(current, pid)] = model.eval(ch.anyv, model_completion=True).as_long()
        fails = z3.is_true(model.eval(states[k + 1].failed, model_completion=True))
        if fails:
            for step in kernel.steps(current):
                if step.pid == pid and isinstance(step.target, Failure):
                    return path, step.target
            raise Disagreement(
                f"step {k + 1}: the symbolic model has pid {pid} fail; the explicit one does not"
            )
        want = project_model(lay, programs, model, states[k + 1])
        try:
            steps = kernel.steps(current)
        except ModelError as err:
            err.path = path
            raise
        for step in steps:
            target = step.target
            if step.pid == pid and isinstance(target, State) and project(lay, target) == want:
                current = target
                break
        else:
            options = [
                project(lay, st.target)
                for st in kernel.steps(current)
                if st.pid == pid and isinstance(st.target, State)
            ]
            raise Disagreement(
                f"step {k + 1} by pid {pid}: the symbolic model goes to\n  {want}\n"
                f"the explicit model offers\n  " + "\n  ".join(map(str, options))
            )
        path.append(current)
    return path, None
