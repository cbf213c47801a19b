"""What a check concludes about one file: verdicts, figures, outcomes and
counterexample traces, as plain data for the renderers (text, JSON)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from checker.errors import Diagnostic
from checker.kernel import events as E
from checker.kernel.model import Failure, Kernel
from checker.kernel.state import State
from checker.kernel.wait import Status
from checker.lang import ir

# exit statuses of `forkcheck check` (LANGUAGE.md), most severe first
EXIT_OK, EXIT_FAIL, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
SEVERITY = (EXIT_INTERNAL, EXIT_ERROR, EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK)

HOLDS, VIOLATED, UNKNOWN = "holds", "violated", "unknown"
MET, NOT_MET, UNDECIDED = "met", "not met", "undecided"


def most_severe(codes: list[int]) -> int:
    for code in SEVERITY:
        if code in codes:
            return code
    return EXIT_OK


@dataclass
class TraceStep:
    number: int
    pid: int
    program: str
    instr: ir.Instr | None
    events: tuple[E.Event, ...]
    before: State
    after: State | None  # None when the step fails (the path ends there)
    failure: Failure | None = None


@dataclass
class Trace:
    property: str
    message: str
    initial: State
    steps: list[TraceStep]
    # a lasso (liveness): the steps after step `loop` repeat forever (the
    # last step returns to the state after step `loop`); None: no loop
    loop: int | None = None
    # a safety counterexample is a shortest path to where the property
    # fails; a liveness one is a whole run (a lasso, or a run that ends)
    liveness: bool = False

    def states(self) -> list[State]:
        """The state after each step, the initial one first; a failing step
        leaves the state as it was."""
        return [self.initial] + [
            st.after if st.after is not None else st.before for st in self.steps
        ]

    def final_state(self) -> State:
        return self.states()[-1]


@dataclass
class PropertyResult:
    name: str
    status: str  # holds / violated / unknown
    expected: bool  # an `expect violation` names it
    message: str = ""
    trace: Trace | None = None


@dataclass
class ExpectationResult:
    text: str
    line: int
    status: str  # met / not met / undecided
    detail: str = ""
    trace: Trace | None = None
    implicit: bool = False  # "every checked property holds", not written in the file
    kind: str = ""  # the `expect` form (pass, violation, outcomes, ...), or "holds"


@dataclass
class Outcome:
    values: tuple[object, ...]
    # terminal states with these values; None from the symbolic engine,
    # which finds one run per outcome and counts no states
    count: int | None


@dataclass
class FileResult:
    path: str
    title: str | None = None
    exit_code: int = EXIT_OK
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    complete: bool = True
    stop: str | None = None
    terminal_states: int = 0
    properties: list[PropertyResult] = field(default_factory=list)
    expectations: list[ExpectationResult] = field(default_factory=list)
    observe: tuple[str, ...] = ()
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    error_trace: Trace | None = None
    source: str | None = None
    programs: tuple[str, ...] = ()
    # what the pictures and ITF traces need besides the trace (None when the
    # file did not load)
    scenario: ir.ScenarioIR | None = field(default=None, repr=False)
    fairness: str = "weak"  # the fairness the liveness properties were judged under
    engine: str = "explicit"
    bound: int | None = None  # the symbolic engine's depth searched

    @property
    def verdict(self) -> str:
        return {
            EXIT_OK: "ok",
            EXIT_FAIL: "FAIL",
            EXIT_ERROR: "error",
            EXIT_INCOMPLETE: "incomplete",
            EXIT_INTERNAL: "internal error",
        }[self.exit_code]


def build_trace(
    kernel: Kernel,
    path: list[State],
    prop: str,
    message: str,
    failure: Failure | None = None,
    loop: int | None = None,
    pids: list[int | None] | None = None,
    liveness: bool = False,
) -> Trace:
    """Replay a path of states (and a failing last step) into steps with
    what each one did; `loop`: the path's last state is its state `loop`,
    from where it repeats; `pids`: the task of each step, where it matters."""
    steps: list[TraceStep] = []
    for n, (a, b) in enumerate(itertools.pairwise(path), start=1):
        # a lasso names the task of a step where two tasks' steps lead to
        # the same state and fairness needs that one
        step = kernel.explain(a, b, pids[n - 1] if pids else None)
        steps.append(TraceStep(n, step.pid, step.program, step.instr, step.events, a, b))
    if failure is not None:
        last = path[-1]
        step = kernel.explain(last, failure)
        steps.append(
            TraceStep(
                len(steps) + 1, step.pid, step.program, step.instr, step.events, last, None, failure
            )
        )
    return Trace(prop, message, path[0], steps, loop, liveness)


# ------------------------------------------------------------------ values

UNSET = "unset"  # an observed value the state does not have


def value_sort_key(values: tuple[object, ...]) -> tuple[tuple[int, object], ...]:
    out: list[tuple[int, object]] = []
    for v in values:
        if isinstance(v, bool):
            out.append((1, int(v)))
        elif isinstance(v, int):
            out.append((0, v))
        else:
            out.append((2, str(v)))
    return tuple(out)


def show_value(v: object) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Status):
        pid, exited, code, signaled, sig, stopped, cont = v
        if pid <= 0:
            return f"(pid={pid})"
        what = (
            f"exited {code}"
            if exited
            else f"signaled {sig}"
            if signaled
            else f"stopped {sig}"
            if stopped
            else "continued"
            if cont
            else ""
        )
        return f"(pid={pid}, {what})"
    return str(v)


def show_values(values: tuple[object, ...]) -> str:
    if len(values) == 1:
        return show_value(values[0])
    return "(" + ", ".join(show_value(v) for v in values) + ")"


def show_value_set(values: set[tuple[object, ...]]) -> str:
    return "{" + ", ".join(show_values(v) for v in sorted(values, key=value_sort_key)) + "}"


# ------------------------------------------------------------------ counterexamples

TRACED_EXPECTATIONS = ("outcomes", "never", "always")  # an unmet one has a trace of its own


@dataclass(frozen=True)
class Counterexample:
    """One trace a file's result holds, with what it shows."""

    name: str  # the property, or the `expect` line, that it breaks
    kind: str  # "property", an expect form (outcomes, never, always), or "error"
    slug: str  # a file name for it: the property's name, `expect-line-12`, `error`
    heading: str  # `assertions violated`, `expect never ... (line 12) not met`
    trace: Trace


def counterexamples(r: FileResult) -> list[Counterexample]:
    """Every trace of a result: violated properties (in the order checked),
    unmet expectations that have their own trace, a model error's trace."""
    out = []
    for p in r.properties:
        if p.status == VIOLATED and p.trace is not None:
            heading = f"{p.name} violated" + (", as expected" if p.expected else "")
            out.append(Counterexample(p.name, "property", p.name, heading, p.trace))
    for e in r.expectations:
        if e.trace is not None and e.status == NOT_MET and e.kind in TRACED_EXPECTATIONS:
            heading = f"{e.text} (line {e.line}) not met"
            out.append(Counterexample(e.text, e.kind, f"expect-line-{e.line}", heading, e.trace))
    if r.error_trace is not None:
        t = r.error_trace
        out.append(Counterexample(t.property, "error", "error", f"error: {t.message}", t))
    return out
