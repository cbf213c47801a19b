"""Results as text: one line per file, then what a reader needs to act on it."""

from __future__ import annotations

from checker.errors import format_diagnostics
from checker.kernel import events as E
from checker.kernel.model import Step
from checker.kernel.signals import members
from checker.kernel.state import State, Task, image_name, ppid_of
from checker.kernel.wait import status_record
from checker.lang.constants import ERRNO_NAMES, SIGACTION, SIGNAL_NAMES
from checker.results import (
    MET,
    NOT_MET,
    TRACED_EXPECTATIONS,
    UNDECIDED,
    VIOLATED,
    FileResult,
    Trace,
    TraceStep,
    show_value,
)


def figures(r: FileResult) -> str:
    if r.engine == "symbolic":
        # the solver's figures: how deep it searched (no state is counted)
        return f"symbolic, runs of up to {r.bound} steps, {r.seconds:.2f} s"
    return f"{r.states:,} states, {r.transitions:,} transitions, depth {r.depth}, {r.seconds:.2f} s"


def headline(r: FileResult) -> str:
    if r.errors:
        n = len(r.errors)
        return f"{r.path}: error ({n} error{'s' if n > 1 else ''})"
    extra = ""
    if not r.complete:
        extra = f"; stopped by {r.stop}"
    return f"{r.path}: {r.verdict}  ({figures(r)}{extra})"


def render_file(r: FileResult, traces: bool = True) -> str:
    lines = [headline(r)]
    if r.errors:
        lines.append(format_diagnostics(r.errors + r.warnings, r.source))
        if r.error_trace is not None and r.error_trace.steps:
            lines.append("  the state where it fails is reached by:")
            lines += ["    " + x for x in render_trace(r.error_trace, r.programs).splitlines()[1:]]
        elif r.error_trace is not None:
            lines.append("  it fails in the initial state:")
            lines += ["    " + row for row in ps_rows(r.error_trace.initial, r.programs)]
        return "\n".join(lines)
    for w in r.warnings:
        lines.append(format_diagnostics([w], r.source))
    programs = r.programs
    for prop in r.properties:
        if prop.status != VIOLATED:
            continue
        tag = "violated, as expected" if prop.expected else "VIOLATED"
        lines.append(f"  {prop.name}: {tag}")
        lines.append(f"    {prop.message}")
        if traces and prop.trace is not None:
            lines += ["    " + x for x in render_trace(prop.trace, programs).splitlines()]
    if r.observe:
        lines.append("  outcomes of " + ", ".join(r.observe) + ":")
        for o in r.outcomes:
            vals = ", ".join(show_value(v) for v in o.values)
            n = o.count
            if n is None:
                lines.append(f"    {vals}  (reached)")
            else:
                lines.append(f"    {vals}  ({n} terminal state{'s' if n != 1 else ''})")
        if not r.outcomes:
            lines.append("    none (no terminal state)")
    for e in r.expectations:
        if e.implicit:
            continue  # a violated property is shown above; undecided ones are summed up below
        mark = {MET: "met", NOT_MET: "NOT MET", UNDECIDED: "undecided"}[e.status]
        where = f" (line {e.line})" if e.line else ""
        shown_above = e.kind == "violation" and e.status == MET
        detail = f": {e.detail}" if e.detail and not shown_above else ""
        lines.append(f"  {e.text}{where}: {mark}{detail}")
        if traces and e.trace is not None and e.status == NOT_MET and e.kind in TRACED_EXPECTATIONS:
            lines += ["    " + x for x in render_trace(e.trace, programs).splitlines()]
    undecided = [e for e in r.expectations if e.implicit and e.status == UNDECIDED]
    if undecided:
        names = ", ".join(e.text.removesuffix(" holds") for e in undecided)
        lines.append(f"  not decided (the search stopped): {names}")
    return "\n".join(lines)


# ------------------------------------------------------------------ traces


def _prog(t: Task, programs: tuple[str, ...]) -> str:
    return image_name(t, programs)


def signal_set(mask: int) -> str:
    """`{USR1,CHLD}`: a signal set in short names, `-` when empty."""
    if not mask:
        return "-"
    return "{" + ",".join(sig_name(n).removeprefix("SIG") for n in members(mask)) + "}"


def sig_name(n: int) -> str:
    return SIGNAL_NAMES.get(n, f"signal {n}")


def _uses_signals(s: State) -> bool:
    return any(t.pending or t.shared or t.blocked or t.frames for t in s.tasks)


def ps_rows(
    s: State,
    programs: tuple[str, ...],
    pids: list[int] | None = None,
    signals: bool = False,
    threads: bool = False,
) -> list[str]:
    """`ps -o pid,ppid,stat,comm`-like rows (all tasks, or these pids); with
    `threads`, each thread's tid and its process (`ps -L`: LWP, PID); with
    `signals`, also each task's pending and blocked sets, as
    /proc/PID/status shows them (ShdPnd is the process's shared set)."""
    head = f"{'PID':>5} {'PPID':>5} STAT {'PROGRAM':<10}"
    if threads:
        head = f"{'TID':>5} {'TGID':>5} {'PPID':>5} STAT {'PROGRAM':<10}"
    rows = [head + f" {'PENDING':<14} {'SHARED':<14} BLOCKED" if signals else head.rstrip()]
    by_pid = {t.pid: t for t in s.tasks}
    for pid in pids if pids is not None else sorted(by_pid):
        t = by_pid.get(pid)
        if t is None:
            blank = f"{'':>5} " if threads else ""
            rows.append(f"{pid:>5} {blank}{'':>5} -    (gone)")
            continue
        row = f"{t.pid:>5} {ppid_of(s.tasks, t):>5} {t.state:<4} {_prog(t, programs):<10}"
        if threads:
            row = f"{t.pid:>5} {t.tgid:>5} " + row[6:]
        if signals:
            depth = (
                f" (in {len(t.frames)} handler{'s' if len(t.frames) > 1 else ''})"
                if t.frames
                else ""
            )
            row += f" {signal_set(t.pending):<14} {signal_set(t.shared):<14} {signal_set(t.blocked)}{depth}"
        rows.append(row.rstrip())
    return rows


def _row_key(s: State, t: Task, signals: bool) -> tuple[object, ...]:
    key: tuple[object, ...] = (ppid_of(s.tasks, t), t.state, t.prog)
    if signals:
        key += (t.pending, t.shared, t.blocked, len(t.frames))
    return key


def changed_pids(before: State, after: State, signals: bool = False) -> list[int]:
    old = {t.pid: _row_key(before, t, signals) for t in before.tasks}
    new = {t.pid: _row_key(after, t, signals) for t in after.tasks}
    return sorted(pid for pid in old.keys() | new.keys() if old.get(pid) != new.get(pid))


_SA_NAMES = ("SA_NOCLDSTOP", "SA_NOCLDWAIT", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND")


def _flags(flags: int) -> str:
    return "|".join(n for n in _SA_NAMES if flags & SIGACTION[n])


def shown(ev: E.Event) -> bool:
    """Whether a text trace mentions the event (ParentNotified is for
    pictures: the text says `SIGCHLD to pid 2` only where signals matter)."""
    return not isinstance(ev, E.ParentNotified)


def describe(ev: E.Event) -> str:
    if isinstance(ev, E.Chose):
        return f"branch {ev.branch} of the choose at line {ev.line}"
    if isinstance(ev, E.Assigned):
        return f"{ev.name} = {show_value(ev.value)}"
    if isinstance(ev, E.Tested):
        return "true" if ev.result else "false"
    if isinstance(ev, E.Forked):
        return f"child {ev.child}"
    if isinstance(ev, E.Cloned):
        return f"{ev.what or 'child'} {ev.child}"
    if isinstance(ev, E.VforkWaiting):
        return f"sleeps (D) until child {ev.child} execs or exits"
    if isinstance(ev, E.VforkDone):
        return f"releases its vfork parent {ev.parent}"
    if isinstance(ev, E.VforkReturned):
        if ev.killed:
            return f"child {ev.child} (a fatal signal ended the wait)"
        return f"child {ev.child}"
    if isinstance(ev, E.GroupExit):
        return "SIGKILL to " + ", ".join(f"thread {p}" for p in ev.threads) + " (exit_group)"
    if isinstance(ev, E.Execed):
        text = f"now runs {ev.program}"
        if ev.killed:
            text += "; de_thread ended " + ", ".join(f"thread {p}" for p in ev.killed)
        if ev.old_tid:
            text += f"; thread {ev.old_tid} takes over the leader's pid"
        return text
    if isinstance(ev, E.ExecFailed):
        return f"-1, errno {ERRNO_NAMES.get(ev.errno, ev.errno)} (fault injected); goes on"
    if isinstance(ev, E.Joined):
        return f"thread {ev.thread} has ended: 0"
    if isinstance(ev, E.ForkFailed):
        return f"-1, errno {ERRNO_NAMES.get(ev.errno, ev.errno)} ({ev.reason})"
    if isinstance(ev, E.Exited):
        if ev.status & 0x7F:
            return f"zombie (killed by {sig_name(ev.status & 0x7F)})"
        return f"zombie (exit code {(ev.status >> 8) & 0xFF})"
    if isinstance(ev, E.ThreadEnded):
        return f"thread {ev.pid} ends ({status_text(ev.status)}) and is released at once"
    if isinstance(ev, E.Reparented):
        kids = ",".join(map(str, ev.children))
        return f"child{'ren' if len(ev.children) > 1 else ''} {kids} re-parented to {ev.reaper}"
    if isinstance(ev, E.Woke):
        return "wakes " + ", ".join(f"pid {p}" for p in ev.pids)
    if isinstance(ev, E.Released):
        return f"pid {ev.pid} released at once"
    if isinstance(ev, E.Reaped):
        return f"reaped {ev.child} ({status_text(ev.status)})"
    if isinstance(ev, E.WaitNothing):
        return "0 (WNOHANG: children still running)"
    if isinstance(ev, E.Failed):
        note = f" ({ev.reason})" if ev.reason else ""
        return f"-1, errno {ERRNO_NAMES.get(ev.errno, ev.errno)}{note}"
    if isinstance(ev, E.Slept):
        if not ev.waiting_for:
            return "sleeps until a signal is taken"
        kids = ", ".join(map(str, ev.waiting_for))
        return f"sleeps (waiting for {kids})"
    if isinstance(ev, E.SubreaperSet):
        return "now a child subreaper"
    if isinstance(ev, E.AssertFailed):
        return f"FAILS: {ev.message}"
    if isinstance(ev, E.SignalSent):
        return f"{sig_name(ev.sig)} to pid {ev.pid}: {ev.result}"
    if isinstance(ev, E.Continued):
        return "resumes " + ", ".join(f"pid {p}" for p in ev.pids)
    if isinstance(ev, E.Stopped):
        return "stopped: " + ", ".join(f"pid {p}" for p in ev.pids)
    if isinstance(ev, E.SignalTaken):
        if ev.action == "CLD_CONTINUED":
            return "reports CLD_CONTINUED to its parent"
        what = {
            "ignored": "ignored",
            "stops": "stops the process",
            "kills": "kills the process",
            "group exit": "dies with its thread group",
        }
        action = what.get(ev.action, ev.action.replace("handler ", "runs handler "))
        return f"takes {sig_name(ev.sig)}: {action}"
    if isinstance(ev, E.Interrupted):
        if ev.restarted:
            return "the call restarts after the handler (SA_RESTART)"
        return "the call is interrupted: it returns -1, errno EINTR, after the handler"
    if isinstance(ev, E.HandlerReturned):
        return f"back from the {sig_name(ev.sig)} handler, blocked = {signal_set(ev.blocked)}"
    if isinstance(ev, E.MaskSet):
        return f"blocked = {signal_set(ev.blocked)}"
    if isinstance(ev, E.ActionSet):
        flags = _flags(ev.flags)
        text = f"{sig_name(ev.sig)} -> {ev.handler}" + (f" ({flags})" if flags else "")
        return text + (f"; the pending {sig_name(ev.sig)} is discarded" if ev.discarded else "")
    if isinstance(ev, E.ChildReported):
        return f"reports {ev.child} ({status_text(ev.status)})"
    if isinstance(ev, E.KillRefused):
        who = ", ".join(f"pid {p}" for p in ev.pids)
        return f"refused by {who} (EPERM, fault injected)"
    return repr(ev)


def status_text(status: int) -> str:
    """`exited 3`, `killed by signal 9`: a wait status in words."""
    _, exited, code, signaled, sig, stopped, _cont = status_record(0, status)
    if exited:
        return f"exited {code}"
    if signaled:
        return f"killed by {sig_name(sig)}"
    if stopped:
        return f"stopped by {sig_name(sig)}"
    return "continued"


_ORDER: dict[type, int] = {E.Exited: 0, E.ThreadEnded: 0, E.Chose: -1, E.SignalTaken: -1}


def step_text(step: TraceStep | Step) -> str:
    """What the step runs: its statement, `takes SIGUSR1` for a signal taken
    before the next statement, `wait()` for init's reaping."""
    if step.instr is not None:
        return step.instr.text
    for ev in step.events:
        if isinstance(ev, E.SignalTaken):
            return f"takes {sig_name(ev.sig)}" if ev.sig else "back from a stop"
    return "wait()"


def step_line(step: TraceStep) -> str:
    events = sorted(step.events, key=lambda e: _ORDER.get(type(e), 1))
    text = step_text(step)
    said = "; ".join(describe(e).removeprefix(text + ": ") for e in events if shown(e))
    return f"pid {step.pid} ({step.program}): {text}" + (f" -> {said}" if said else "")


def render_trace(trace: Trace, programs: tuple[str, ...]) -> str:
    n = len(trace.steps)
    what = "shortest counterexample"
    if trace.loop is not None:
        what = "counterexample, a lasso"
    elif trace.liveness:
        what = "counterexample, a run that ends"
    lines = [f"{what} ({n} step{'s' if n != 1 else ''}):"]
    width = len(str(n))
    states = trace.states()
    signals = any(_uses_signals(x) for x in states)
    threads = any(t.pid != t.tgid for x in states for t in x.tasks)
    for step in trace.steps:
        if trace.loop is not None and step.number == trace.loop + 1:
            lines.append("  -- loop starts here --")
        lines.append(f"  {step.number:>{width}}. {step_line(step)}")
        if step.after is not None:
            pids = changed_pids(step.before, step.after, signals)
            if pids:
                rows = ps_rows(step.after, programs, pids, signals, threads)
                lines += [" " * (width + 6) + row for row in rows]
    if trace.loop is not None:
        back = f"the state after step {trace.loop}" if trace.loop else "the initial state"
        lines.append(f"  -- and back to {back}: steps {trace.loop + 1} to {n} repeat forever --")
    lines.append("  state at the end:" if trace.loop is None else "  state where it loops:")
    final = ps_rows(trace.final_state(), programs, signals=signals, threads=threads)
    lines += ["    " + row for row in final]
    return "\n".join(lines)
