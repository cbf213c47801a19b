"""The symbolic transition relation, rule by rule, against the explicit step
function (checker/engines/symbolic/rules.py against checker/kernel/model.py).

An explicit state S is encoded as Z3 constants, and every post state the
relation allows from it is enumerated (a model, then that post state
blocked, until unsat). The set of them, each projected (sstate.project)
with the pid of the task that moved, must be the set of S's explicit
successors: a State by its projection, a Failure as a failed post state; a
Pruned one (`assume` false, an empty `any`) is no step on either side. So a
successor the relation misses and one it invents both fail. In each, every
task must be in the wait the explicit successor says (the arguments a
sleeping wait keeps, which the projection leaves out); `enabled` must say
whether S has a step at all; no fork may lose its task for want of a slot.

The states: every reachable state of small scenarios written to reach each
rule and its outcomes (RULES: fork at max_tasks and its fault, C-style
fork, pid reuse after wrap-around, exit with re-parenting to a subreaper
and to init, each error of wait4, WNOHANG, sleeping and waking, the wait
fault, init's reaping, `any`, `choose`, `assume`, failed asserts and
arithmetic errors; test_the_rule_scenarios_reach_every_rule checks that
they do), and random walks (hypothesis) over those and the scenario files
the symbolic engine covers. An `any` over a range too large for the
explicit engine is checked one value at a time, pinned on both sides.
"""

from __future__ import annotations

import functools
import textwrap
from collections import deque
from pathlib import Path

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engines.symbolic.bmc import Symbolic, sleeping_calls
from checker.engines.symbolic.layout import layout, unsupported
from checker.engines.symbolic.rules import choice
from checker.engines.symbolic.sstate import (
    call_cells,
    encode,
    fresh,
    leaves,
    project,
    project_model,
)
from checker.kernel import events as E
from checker.kernel.model import Failure, Kernel, Pruned, Step, TooManyValues
from checker.kernel.state import State, Tx
from checker.lang.constants import ERRNO_NAMES, LONG_MAX, LONG_MIN
from checker.lang.ir import ScenarioIR
from checker.lang.load import load_text
from checker.lang.pyexpr import EvalError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# Scenario files with more task slots take seconds each to build (a fork in
# a loop gives max_tasks slots, 16 by default): the rules they use are
# reached by the small scenarios below.
MAX_FILE_SLOTS = 4
MAX_STATES = 400  # reachable states checked per rule scenario (each has fewer)
MAX_SUCCESSORS = 200  # symbolic successors of one state before the test gives up
FAILED = "failed"  # the projection of a Failure successor

# Small scenarios that reach each rule of rules.py and each of its outcomes.
RULES: dict[str, str] = {
    # fork: C-style into a local and into a var (the child's copy is 0,
    # its errno the parent's), EAGAIN at max_tasks (zombies count)
    "fork_limit": """
        config { max_tasks = 3 }
        program main {
            var v = 7
            b = fork()
            if b == 0 {
                exit 2
            }
            a = fork { exit 1 }
            e = errno
            w = wait()
            v = fork()
            if v == 0 {
                exit v + 3
            }
            w = wait()
            w = wait()
        }
    """,
    # faults { fork }: a fork that could succeed fails; retried in a loop
    "fork_fault": """
        config { max_tasks = 4 }
        faults { fork }
        program main {
            c = fork { exit 4 }
            while c < 0 {
                c = fork { exit 5 }
            }
            w = waitpid(c)
        }
    """,
    # exit: the children go to the nearest live subreaper ancestor (past
    # m, which is none), appended to its list; the parent's wait is woken,
    # and so is the subreaper's when it adopts a zombie (h, when k exits
    # while m lives)
    "reparent_subreaper": """
        program main {
            set_subreaper()
            m = fork {
                k = fork {
                    h = fork { exit 3 }
                    exit 2
                }
                exit 1
            }
            w = wait()
            w = wait()
            w = wait()
        }
    """,
    # exit: to the subreaper while it lives, to init once it has exited;
    # init reaps its zombie children (the default init's own step); exit
    # codes keep their low 8 bits
    "reparent_init": """
        program main {
            s = set_subreaper()
            g = fork {
                h = fork { exit 300 }
                exit -1
            }
            exit 1
        }
    """,
    # wait4's errors: EINVAL (bad options, low or high bits), ESRCH
    # (INT_MIN), ECHILD (no child, no such group by 0 and by -pgid, not our
    # child, __WCLONE); pid_t and int arguments cut to 32 bits; waitpid(0)
    # in a task that does not lead its group; WNOHANG with nothing to
    # report; __WALL and __WNOTHREAD; arguments constant or computed
    "wait_errors": """
        program main {
            x = waitpid(-1, 123456)
            x = waitpid(-1, 65536)
            x = waitpid(-2147483648)
            x = waitpid(4294967295, 4294967296)
            x = waitpid(0)
            x = waitpid(-7)
            o = 65536
            c = fork {
                d = fork { exit 8 }
                x = waitpid(-1, o)
                x = waitpid(0)
            }
            x = waitpid(c + 1, WNOHANG)
            x = waitpid(c, WNOHANG | __WCLONE)
            o = 4294967296 + WNOHANG
            x = waitpid(c + 4294967296, o)
            x = waitpid(-getpid(), WNOHANG)
            x = waitpid(0, __WALL | __WNOTHREAD)
            e = errno
        }
    """,
    # wait sleeps, and an exit wakes it only if the wait selects the child;
    # arguments read from memory are kept in the task (Task.call), constant
    # ones are not; faults { wait }: EINTR instead of the sleep, and only
    # there
    "wait_sleep": """
        faults { wait }
        program main {
            var t = 0
            z = wait()
            a = fork { exit 5 }
            b = fork { exit 6 }
            t = b
            x = waitpid(t)
            y = waitpid(a, __WALL)
        }
    """,
    # a sleeping wait keeps the arguments it was called with, though
    # getppid() changes when main exits (c then goes to init)
    "wait_args": """
        program main {
            c = fork {
                d = fork { exit 4 }
                x = waitpid(d + getppid() - 2)
            }
            exit 0
        }
    """,
    # a user init: its wait sleeps and reaps the orphans it adopts; when its
    # code ends, the kernel panics (a failure)
    "user_init": """
        init {
            w = wait()
            w = wait()
        }
        program main {
            c = fork { exit 2 }
            exit 1
        }
    """,
    # alloc_pid: past pid_max - 1 the numbers wrap to the lowest free one;
    # a number a process group still holds is not free (main's 2, once it
    # is reaped); none free, or max_tasks reached: EAGAIN
    "pid_reuse": """
        config { pid_max = 5; max_tasks = 4 }
        program main {
            c = fork {
                d = fork { exit 0 }
                e = fork { exit 0 }
                w = wait()
                e = fork { exit 0 }
            }
            exit 0
        }
    """,
    # any, choose (nested), assume, a failed assert, arithmetic errors
    # (division and % by zero, overflow) and short-circuit evaluation
    "statements": """
        program main {
            var y = 0
            x = any(-1..2)
            choose {
                y = 10 / x
            } or {
                y = 10 % (x - 1)
            } or {
                choose {
                    assume x > 0
                    y = x * 4611686018427387904
                } or {
                    y = -4611686018427387904 * (x + 1) - x
                }
            }
            assert y != 5, "five"
            if x != 0 && 6 / x == 3 {
                exit 3
            }
            exit x
        }
    """,
    # a property reads T.X and PROG.X: zombies keep their values, and the
    # task PROG began as leaves its last ones when it is released
    "named": """
        config { max_tasks = 3 }
        program main {
            var n = 0
            c = fork {
                n = 2
                exit 1
            }
            n = 1
            w = wait()
            k = w.code + n
            repeat 2 {
                k = k - 1
            }
        }
        invariant t: forall T in tasks: T.n <= 2
        invariant m: main.n >= 0
    """,
    # vfork: the parent's D sleep, the shared memory (a C-style vfork's 0
    # lands in the parent's var), nested vforks, release by exec and by
    # exit, an exec that fails (the fault), a fresh image with its own vars
    "vfork_exec": """
        config { max_tasks = 4 }
        faults { exec }
        program main {
            var v = 1
            c = vfork {
                v = 2
                d = vfork {
                    v = 3
                    exec worker
                    exit 7
                }
                exit v
            }
            v = vfork()
            if v == 0 {
                exec worker
                exit 9
            }
            w = wait()
        }
        program worker {
            var v = 5
            v = v + 1
            exit v
        }
        invariant t: forall T in tasks: T.v <= 6
    """,
    # the signal calls' errors, masks, nested handlers (SA_NODEFER lets a
    # handler interrupt itself), a handler inherited by fork, pause
    # interrupted by a handler (EINTR), kill(0) and signal 0
    "signal_calls": """
        config { max_tasks = 3 }
        program main {
            handler on_usr1 { n = 1 }
            handler on_usr2 { raise(SIGUSR1) }
            r1 = kill(-2147483648, SIGTERM)
            r2 = kill(99, SIGTERM)
            r3 = kill(getpid(), 99)
            r4 = raise(99)
            r5 = sigaction(SIGKILL, SIG_IGN, 0)
            r6 = sigprocmask(7, {SIGUSR1})
            sigaction(SIGUSR1, on_usr1, SA_NODEFER | SA_RESETHAND)
            signal(SIGUSR2, on_usr2)
            raise(SIGUSR2)
            sigprocmask(SIG_SETMASK, {SIGUSR1, SIGKILL, SIGCHLD})
            raise(SIGUSR1)
            signal(SIGUSR1, on_usr1)
            sigprocmask(SIG_UNBLOCK, {SIGUSR1})
            kill(0, 0)
            c = fork { pause() }
            kill(c, SIGUSR1)
            w = wait()
            sigprocmask(SIG_UNBLOCK, {SIGCHLD})
        }
    """,
    # stop and continue: WUNTRACED, WCONTINUED, CLD_CONTINUED to a parent
    # with a SIGCHLD handler, SIGKILL to a stopped task, SA_NOCLDSTOP
    "stop_continue": """
        config { max_tasks = 3 }
        program main {
            handler on_chld { k = 1 }
            choose { sigaction(SIGCHLD, on_chld, SA_NOCLDSTOP) } or { signal(SIGCHLD, on_chld) }
            c = fork { sigsuspend({SIGCHLD}) }
            kill(c, SIGSTOP)
            w1 = waitpid(c, WUNTRACED | WNOHANG)
            kill(c, SIGCONT)
            w2 = waitpid(c, WCONTINUED)
            kill(c, SIGSTOP)
            kill(c, SIGKILL)
            w3 = wait()
        }
    """,
    # a user init that ignores SIGCHLD (adopted zombies are released at
    # once) and takes no SIGKILL; kill(-1); a fatal signal ends a wait
    # that SA_RESTART would restart; exit and exec inside a handler
    "init_signals": """
        config { max_tasks = 4 }
        init {
            signal(SIGCHLD, SIG_IGN)
            r = kill(1, SIGKILL)
            kill(-1, SIGTERM)
            kill(-1, SIGQUIT)
            pause()
        }
        program main {
            handler on_term { exec tail }
            signal(SIGTERM, on_term)
            d = fork { exit 2 }
            w = wait()
            exit 1
        }
        program tail {
            exit 3
        }
    """,
    # `any` over a range the explicit engine does not enumerate, with
    # bounds computed at run time (empty when lo > hi)
    "big_any": """
        program main {
            lo = any(-2..2)
            x = any(lo * 1000000000000..4000000000000 / lo)
            c = fork { exit x }
            w = wait()
        }
    """,
    # clone: CLONE_PARENT (a sibling, with its leader's exit signal),
    # exit signal 0 (a clone child: ECHILD without __WCLONE, reaped with
    # __WALL), an invalid flag set (EINVAL), CLONE_VM without a thread
    # (shared `var`s)
    "clone_flags": """
        config { max_tasks = 4 }
        program main {
            var v = 0
            b = fork {
                c = clone(CLONE_PARENT | SIGUSR1) { exit getppid() }
                x = waitpid(c, __WALL)
                exit errno
            }
            d = clone(CLONE_VM) { v = 5 }
            r = clone(CLONE_THREAD | CLONE_VM) { exit 1 }
            w = wait()
            a = waitpid(-1, __WCLONE)
            z = waitpid(-1, __WALL)
        }
    """,
    # threads: join (0, then ESRCH; EDEADLK), exit_thread of the leader
    # while a thread lives (the delayed zombie, reported with the last
    # thread's status), a child forked by a thread and reaped by the
    # leader's wait (__WNOTHREAD does not see it), adopted by the group
    # when its parent thread ends
    "threads": """
        config { max_tasks = 5 }
        program main {
            c = fork {
                t = thread {
                    k = fork { exit 3 }
                    own = waitpid(-1, __WNOTHREAD | WNOHANG)
                    exit_thread 0
                }
                r = join(t)
                r2 = join(t)
                r3 = join(gettid())
                w = wait()
                exit_thread 4
            }
            w = wait()
        }
    """,
    # exit in a thread is exit_group (the others get SIGKILL, the leader
    # dies in its join); exec from a thread that is not the leader (it
    # takes the leader's pid, the others are gone, their children are
    # its); a signal to the process taken by the thread that does not
    # block it
    "thread_groups": """
        config { max_tasks = 5 }
        program main {
            var go = 0
            handler h { go = 1 }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            t = thread {
                sigprocmask(SIG_UNBLOCK, {SIGUSR1})
                kill(getpid(), SIGUSR1)
                choose {
                    exit 9
                } or {
                    exec fresh
                }
            }
            k = fork { exit 2 }
            join(t)
        }
        program fresh {
            me = getpid()
            w = wait()
        }
    """,
}


# every reachable state of these is checked (big_any has too many)
# checked on random walks only: clone_flags and threads take minutes to
# check whole (5 slots, 70-90 states; run them by hand when changing the
# thread rules: every reachable state agreed when they were written)
WALKED_ONLY = {"big_any", "clone_flags", "threads"}
RULE_SCENARIOS = sorted(set(RULES) - WALKED_ONLY)


class Engines:
    """One scenario's explicit kernel and, built on first use, its symbolic
    relation (seconds for the larger ones)."""

    def __init__(self, name: str, scenario: ScenarioIR):
        self.name = name
        self.scenario = scenario
        self.kernel = Kernel(scenario)
        self.lay = layout(scenario, self.kernel.keep_zombie_values)

    @functools.cached_property
    def sym(self) -> Symbolic:
        return Symbolic(self.scenario, self.kernel)


def _covered_files() -> list[str]:
    """Scenario files the symbolic engine covers, small enough to build."""
    out = []
    for path in sorted(SCENARIOS.glob("*.proc")):
        scenario = load_text(path.read_text(encoding="utf-8"), str(path))
        if unsupported(scenario) is not None:
            continue
        kernel = Kernel(scenario)
        if layout(scenario, kernel.keep_zombie_values).slots <= MAX_FILE_SLOTS:
            out.append(path.name)
    return out


FILES = _covered_files()


@functools.cache
def engines(name: str) -> Engines:
    if name in RULES:
        text = textwrap.dedent(RULES[name])
    else:
        text = (SCENARIOS / name).read_text(encoding="utf-8")
    scenario = load_text(text, name)
    reason = unsupported(scenario)
    assert reason is None, f"{name}: {reason}"
    return Engines(name, scenario)


# ------------------------------------------------------------ one state

Key = tuple[int, object]  # (pid of the task that moves, projection of the successor)
Calls = tuple[tuple[int, int, int], ...]  # (pid, wait pid, wait options) of each task


def explicit_steps(e: Engines, s: State, pin: int | None) -> list[Step]:
    """kernel.steps(s), with every `any` taking the value `pin` if given
    (Kernel.any_values, as a symbolic run's replay pins it)."""
    if pin is None:
        return e.kernel.steps(s)
    keys = [(s, t.pid) for t in s.tasks]
    for k in keys:
        e.kernel.any_values[k] = pin
    try:
        return e.kernel.steps(s)
    finally:
        for k in keys:
            del e.kernel.any_values[k]


def explicit_successors(e: Engines, s: State, pin: int | None) -> dict[Key, list[Step]]:
    """The explicit successors (a Pruned one is no step), by key."""
    out: dict[Key, list[Step]] = {}
    for step in explicit_steps(e, s, pin):
        if isinstance(step.target, Pruned):
            continue
        if isinstance(step.target, Failure):
            key = (step.pid, FAILED)
        else:
            key = (step.pid, project(e.lay, step.target))
        out.setdefault(key, []).append(step)
    return out


def symbolic_successors(
    e: Engines, s: State, pin: int | None
) -> tuple[dict[Key, set[Calls]], bool]:
    """Every post state the relation allows from s (with `any` = pin if
    given), by key, with the wait each task is in there; and `enabled(s)`."""
    sym, lay = e.sym, e.sym.lay
    pre = encode(lay, s, sleeping_calls(e.kernel, s))
    post = fresh(lay, "post")
    ch = choice("ch")
    solver = z3.Solver()
    solver.add(sym.step(pre, post, ch))
    if pin is not None:
        solver.add(ch.anyv == pin)
    terms = leaves(post)
    out: dict[Key, set[Calls]] = {}
    for _ in range(MAX_SUCCESSORS):
        if solver.check() != z3.sat:
            break
        m = solver.model()

        def val(x: z3.ExprRef, m: z3.ModelRef = m) -> z3.ExprRef:
            return m.eval(x, model_completion=True)

        who = val(ch.who).as_long()
        pid = val(pre.slots[who].pid).as_long()
        assert not z3.is_true(val(post.lost)), f"pid {pid}: a fork found no free task slot"
        if z3.is_true(val(post.failed)):
            key: Key = (pid, FAILED)
        else:
            key = (pid, project_model(lay, e.scenario.programs, m, post))
        calls = sorted(
            (val(sl.pid).as_long(), val(sl.wpid).as_long(), val(sl.wopt).as_long())
            for sl in post.slots
            if z3.is_true(val(sl.alive))
        )
        out.setdefault(key, set()).add(tuple(calls))
        # the post state is a function of the choice: block this one
        solver.add(z3.Or([x != val(x) for x in terms]))
    else:
        raise AssertionError(f"more than {MAX_SUCCESSORS} symbolic successors")
    enabled = z3.Solver()
    enabled.add(sym.enabled(pre))
    return out, enabled.check() == z3.sat


def wait_calls(e: Engines, s: State) -> dict[int, set[tuple[int, int]]]:
    """The wait each task of s may be in, as the symbolic state holds it
    (Slot.wpid, Slot.wopt): the arguments stored with the task, or those a
    sleeping task's wait evaluates to again (as `encode` has them), else
    none; and a task woken in a wait whose arguments the explicit state
    does not store may still hold them."""
    stored = sleeping_calls(e.kernel, s)
    tx = Tx(s)
    out = {}
    for t in s.tasks:
        allowed = {call_cells(t, stored, e.lay)}
        if t.state == "R" and not t.call:
            try:
                woken = e.kernel.wait_selection(tx, t)
            except EvalError:  # its arguments fail: it cannot be inside the call
                woken = None
            if woken is not None:
                allowed.add((woken.upid, woken.options))
        out[t.pid] = allowed
    return out


def show(s: State) -> str:
    rows = [
        f"  pid {t.pid} ppid {t.ppid} pgid {t.pgid} {t.state} prog {t.prog} pc {t.pc} "
        f"locals {t.locals} errno {t.errno} children {t.children} call {t.call}"
        for t in s.tasks
    ]
    return "\n".join([*rows, f"  mems {s.mems} last_pid {s.last_pid} named {s.named}"])


def describe(step: Step) -> str:
    return step.instr.text if step.instr is not None else "init reaps"


_checked: set[tuple[str, State, int | None]] = set()


def check_state(e: Engines, s: State, pin: int | None = None) -> None:
    """The explicit successors of s are exactly the symbolic ones, and in
    each the tasks are in the same waits."""
    if (e.name, s, pin) in _checked:
        return
    want = explicit_successors(e, s, pin)
    got, enabled = symbolic_successors(e, s, pin)
    head = f"{e.name}: the engines disagree in state (any = {pin}):\n{show(s)}"
    if want.keys() != got.keys():
        lines = [head]
        for pid in sorted({p for p, _ in want.keys() ^ got.keys()}):
            lines.append(f"pid {pid}:")
            lines += [
                f"  explicit only ({describe(want[k][0])}): {k[1]}"
                for k in sorted(want.keys() - got.keys(), key=str)
                if k[0] == pid
            ]
            lines += [
                f"  symbolic only: {k[1]}"
                for k in sorted(got.keys() - want.keys(), key=str)
                if k[0] == pid
            ]
        raise AssertionError("\n".join(lines))
    for key, steps in want.items():
        if key[1] == FAILED:
            continue
        allowed = [wait_calls(e, st.target) for st in steps if isinstance(st.target, State)]
        for calls in got[key]:
            assert any(all(c[1:] in a[c[0]] for c in calls) for a in allowed), (
                f"{head}\npid {key[0]} ({describe(steps[0])}): the symbolic successor's waits "
                f"(pid, wpid, wopt) {calls}, the explicit one's {allowed}"
            )
    has_step = bool(explicit_steps(e, s, pin))  # a Pruned step counts
    assert enabled == has_step, f"{head}\nenabled is {enabled}, explicit steps {has_step}"
    _checked.add((e.name, s, pin))


def reachable(e: Engines, limit: int) -> list[State]:
    first = e.kernel.initial()
    seen = {first}
    order = [first]
    todo = deque(order)
    while todo:
        s = todo.popleft()
        for step in e.kernel.steps(s):
            t = step.target
            if isinstance(t, State) and t not in seen:
                assert len(seen) < limit, f"{e.name}: more than {limit} states"
                seen.add(t)
                order.append(t)
                todo.append(t)
    return order


def features(e: Engines, s: State) -> set[str]:
    """Which rules and outcomes the explicit steps from s exercise."""
    out = {"a wait's arguments kept in the task"} if any(t.call for t in s.tasks) else set()
    for step in e.kernel.steps(s):
        target = step.target
        if isinstance(target, Pruned):
            out.add("a pruned step")
        elif isinstance(target, Failure):
            out |= {f"failure: {m}" for m in FAILURES if m in target.message}
        if step.instr is None:
            out.add("the default init reaps")
        for ev in step.events:
            if isinstance(ev, E.ForkFailed):
                out.add(f"fork fails: {ev.reason}")
            elif isinstance(ev, E.Forked) and ev.child <= s.last_pid:
                out.add("the pid wraps")
            elif isinstance(ev, E.Failed):
                out.add(f"wait fails: {ERRNO_NAMES[ev.errno]} {ev.reason}".strip())
            elif isinstance(ev, E.Reparented):
                out.add("re-parented to init" if ev.reaper == 1 else "re-parented to a subreaper")
            elif isinstance(ev, (E.VforkWaiting, E.VforkDone, E.Execed, E.ExecFailed)):
                out.add(type(ev).__name__)
            elif isinstance(ev, E.VforkReturned):
                out.add(f"{type(ev).__name__} after {describe(step)}")
            elif isinstance(ev, (E.WaitNothing, E.Slept, E.Woke, E.Chose)):
                out.add(type(ev).__name__)
            elif isinstance(ev, E.SignalSent):
                out.add(f"signal {ev.result.split(':')[0]}")
            elif isinstance(ev, E.SignalTaken):
                out.add(f"signal taken: {ev.action.split()[0]}")
            elif isinstance(ev, E.Interrupted):
                out.add("interrupted, restarts" if ev.restarted else "interrupted, EINTR")
            elif isinstance(
                ev, (E.HandlerReturned, E.ChildReported, E.Released, E.Stopped, E.Continued)
            ):
                out.add(type(ev).__name__)
    if any(len(t.frames) > 1 for t in s.tasks):
        out.add("nested handlers")
    return out


FAILURES = ("five", "division by zero", "(in %)", "overflow", "Attempted to kill init")
REACHED = {
    *(f"failure: {m}" for m in FAILURES),
    "a pruned step",
    "the default init reaps",
    "fork fails: task table full (max_tasks)",
    "fork fails: no free pid below pid_max",
    "fork fails: fault injected",
    "the pid wraps",
    "wait fails: EINVAL",
    "wait fails: ESRCH",
    "wait fails: ECHILD",
    "wait fails: EINTR fault injected",
    "re-parented to init",
    "re-parented to a subreaper",
    "WaitNothing",
    "Slept",
    "Woke",
    "Chose",
    "VforkWaiting",
    "VforkDone",
    "VforkReturned after c = vfork { … }",
    "VforkReturned after v = vfork()",
    "Execed",
    "ExecFailed",
    "a wait's arguments kept in the task",
    "wait fails: EINVAL not a signal number",
    "wait fails: EINVAL SIGKILL and SIGSTOP cannot be caught or ignored",
    "wait fails: EINVAL `how` is not SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK",
    "wait fails: ESRCH pid INT_MIN",
    "wait fails: ESRCH no such process",
    "wait fails: EINTR `pause()` was interrupted",
    "signal pending",
    "signal dropped",
    "signal lost",
    "signal fatal",
    "signal taken: ignored",
    "signal taken: handler",
    "signal taken: stops",
    "signal taken: kills",
    "signal taken: CLD_CONTINUED",
    "interrupted, EINTR",
    "HandlerReturned",
    "ChildReported",
    "Released",
    "Stopped",
    "Continued",
    "nested handlers",
}


# ------------------------------------------------------------ the tests


def test_the_rule_scenarios_reach_every_rule() -> None:
    """What the exhaustive test below covers (explicit steps only)."""
    seen: set[str] = set()
    for name in RULE_SCENARIOS:
        e = engines(name)
        for s in reachable(e, MAX_STATES):
            seen |= features(e, s)
    assert not REACHED - seen, sorted(REACHED - seen)


@pytest.mark.parametrize("name", RULE_SCENARIOS)
def test_every_reachable_state_of_a_rule_scenario(name: str) -> None:
    e = engines(name)
    for s in reachable(e, MAX_STATES):
        check_state(e, s)


# values near the bounds of big_any's ranges, and anywhere in a long
ANY_VALUES = st.one_of(
    st.integers(-(2 * 10**12) - 3, 4 * 10**12 + 3),
    st.sampled_from([-(2 * 10**12), -(10**12), 0, 10**12, 2 * 10**12, 4 * 10**12]),
    st.integers(LONG_MIN, LONG_MAX),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_walks(data: st.DataObject) -> None:
    """A random reachable state of a covered scenario: the walk picks one
    explicit successor after another, and every state on it is checked.
    Where an `any` has more values than the explicit engine enumerates, the
    walk and the check pin it to a drawn value."""
    e = engines(data.draw(st.sampled_from(sorted(RULES) + FILES), label="scenario"))
    s = e.kernel.initial()
    length = data.draw(st.integers(0, 30), label="length")
    for k in range(length + 1):
        pin = None
        try:
            steps = explicit_steps(e, s, None)
        except TooManyValues:
            pin = data.draw(ANY_VALUES, label="any")
            steps = explicit_steps(e, s, pin)
        check_state(e, s, pin)
        targets = [step.target for step in steps if isinstance(step.target, State)]
        if k == length or not targets:
            return
        s = targets[data.draw(st.integers(0, len(targets) - 1), label="step")]


@settings(max_examples=40, deadline=None)
@given(st.integers(-2, 2), ANY_VALUES)
def test_a_huge_any_range_one_value_at_a_time(lo: int, value: int) -> None:
    """`x = any(lo * 10**12 .. 4 * 10**12 / lo)`: the value is in the
    relation exactly when the explicit engine, pinned to it, takes the step
    (an empty range, or a division by zero when lo is 0, included)."""
    e = engines("big_any")
    s = e.kernel.initial()
    check_state(e, s)
    slot = e.scenario.programs[0].local_names.index("lo")
    (after,) = [
        step.target
        for step in e.kernel.steps(s)
        if isinstance(step.target, State) and step.target.tasks[1].locals[slot] == lo
    ]
    check_state(e, after, value)
    for step in explicit_steps(e, after, value):
        if isinstance(step.target, State):
            check_state(e, step.target)
