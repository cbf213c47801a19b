"""The properties one scenario checks, compiled once: what the engine calls
on every state, on every terminal state, and what is left for the graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from checker.kernel.signals import sigmask
from checker.kernel.state import (
    DEFAULT_INIT,
    DISK_SLEEP,
    RUNNING,
    SLEEPING,
    STOPPED,
    State,
    Task,
    image_name,
)
from checker.lang import ir
from checker.lang.constants import SIGNAL_NAMES
from checker.props import builtin
from checker.props.compile import compile_property

Check = Callable[[State], str | None]
StepCheck = Callable[[State, State], str | None]


def task_name(scenario: ir.ScenarioIR, t: Task) -> str:
    """`pid 3 (worker)` as traces and messages name a task."""
    return f"pid {t.pid} ({image_name(t, [p.name for p in scenario.programs])})"


def where(scenario: ir.ScenarioIR, t: Task) -> str:
    """What a task is doing: `sleeps in w = wait() (line 7)`."""
    if t.prog == DEFAULT_INIT:
        return "waits for children"
    instr = scenario.programs[t.prog].code[t.pc]
    verb = {
        SLEEPING: "sleeps in",
        RUNNING: "is at",
        DISK_SLEEP: "sleeps (D) in",
        STOPPED: "is stopped at",
    }[t.state]
    return f"{verb} `{instr.text}` (line {instr.pos.line})"


def why_stuck(scenario: ir.ScenarioIR, s: State, t: Task) -> str:
    """Why a task of a deadlocked state never runs again, when signals are
    the reason: what could wake it, and that nobody is left to send it."""
    if t.state == STOPPED:
        return "; only SIGCONT or SIGKILL resumes it, and no task is left to send one"
    if t.state == DISK_SLEEP:
        return f"; it waits for its vfork child {t.call[1]} to exec or exit"
    if t.prog == DEFAULT_INIT or t.state != SLEEPING:
        return ""
    instr = scenario.programs[t.prog].code[t.pc]
    if isinstance(instr, ir.Syscall) and instr.name == "join" and t.call:
        return f"; it waits for thread {t.call[1]} to end"
    if not isinstance(instr, ir.Syscall) or instr.name not in ("pause", "sigsuspend"):
        return ""
    table = s.sighands[t.sighand] if t.sighand >= 0 else ()
    handled = [n for n, handler, _ in table if handler not in ("SIG_DFL", "SIG_IGN")]
    usable = [n for n in handled if not t.blocked & sigmask(n)]
    if not usable:
        return (
            "; only a handler ends it, and every signal with a handler is blocked"
            if handled
            else "; only a handler ends it, and no signal has one"
        )
    names = ", ".join(SIGNAL_NAMES[n] for n in usable)
    return f"; it waits for {names}, and no task is left to send it"


Predicate = Callable[[State], object]


@dataclass(frozen=True)
class Liveness:
    """A property of infinite (fair) and terminated paths: `eventually P`
    (then is None), `leadsto P ~> Q`, or zombies_eventually_reaped (kind
    "zombies": for every pid, `pid is a zombie ~> it is not`)."""

    name: str
    kind: str  # "eventually", "leadsto", "zombies"
    expr: Predicate | None
    then: Predicate | None
    text: str


@dataclass
class PropertySuite:
    scenario: ir.ScenarioIR
    state_checks: list[tuple[str, Check]] = field(default_factory=list)
    step_checks: list[tuple[str, StepCheck]] = field(default_factory=list)
    terminal_checks: list[tuple[str, Check]] = field(default_factory=list)
    zombies: bool = False  # zombies_reaped: needs the whole graph
    liveness: list[Liveness] = field(default_factory=list)  # need the graph and its edges' tasks
    fairness: str = "weak"  # which infinite paths the liveness properties are judged on
    names: tuple[str, ...] = ()  # every property checked, built-in and the file's own

    @classmethod
    def build(cls, scenario: ir.ScenarioIR, fairness: str | None = None) -> PropertySuite:
        suite = cls(scenario, fairness=fairness or scenario.settings.fairness)
        checks = scenario.checks
        if "orphans_reparented" in checks:
            suite.state_checks.append(("orphans_reparented", builtin.orphans_reparented))
            suite.step_checks.append(("orphans_reparented", builtin.orphans_go_to_the_reaper))
        if "vfork_parent_blocked" in checks:
            suite.state_checks.append(("vfork_parent_blocked", builtin.vfork_parent_blocked))
        for inv in scenario.invariants:
            suite.state_checks.append((inv.name, _predicate(inv)))
        if "no_deadlock" in checks:
            suite.terminal_checks.append(("no_deadlock", suite.deadlock))
        for fin in scenario.finals:
            suite.terminal_checks.append((fin.name, _predicate(fin)))
        suite.zombies = "zombies_reaped" in checks
        if "zombies_eventually_reaped" in checks:
            suite.liveness.append(Liveness("zombies_eventually_reaped", "zombies", None, None, ""))
        for live in scenario.liveness:
            suite.liveness.append(
                Liveness(
                    live.name,
                    live.kind,
                    compile_property(live.expr),
                    compile_property(live.then) if live.then is not None else None,
                    live.text,
                )
            )
        suite.names = (
            *checks,
            *(p.name for p in scenario.invariants),
            *(p.name for p in scenario.finals),
            *(p.name for p in scenario.liveness),
        )
        return suite

    def deadlock(self, s: State) -> str | None:
        """A terminal state in which some task other than the idle init is
        still alive: nobody can ever step again."""
        stuck = builtin.live_tasks(s)
        if not stuck:
            return None
        parts = [
            f"{task_name(self.scenario, t)} {where(self.scenario, t)}{why_stuck(self.scenario, s, t)}"
            for t in stuck
        ]
        return "no task can take a step: " + "; ".join(parts)


def _predicate(prop: ir.PropertyIR) -> Check:
    fn = compile_property(prop.expr)

    def check(s: State) -> str | None:
        return None if fn(s) else f"`{prop.text}` is false"

    return check
