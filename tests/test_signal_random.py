"""Random signal programs: every reachable state keeps the kernel's signal
invariants, and exploration is deterministic and replayable.

Programs are short sequences of kill/raise/signal/sigaction/sigprocmask
calls mixed with fork, exit, wait (WNOHANG, WUNTRACED, WCONTINUED) and, in
half the examples, pause/sigsuspend; handlers do small things (count in a
`var`, reap with waitpid(-1, WNOHANG), send one more signal a bounded number
of times, return early, exit). Targets are getppid(), a forked child's pid,
0, -1, getpid() and constants; signals come from a set with every
default-action class (terminate, core, ignore, stop, continue), and masks
and sigaction name SIGKILL/SIGSTOP on purpose. Each program is explored
completely with a plain breadth-first search over `Kernel.successors` and
`Kernel.steps` (independent of the engines); in every reachable state
(SEMANTICS 6):

- no blocked mask (nor a handler frame's saved one) holds SIGKILL or
  SIGSTOP, and no set holds a bit outside signals 1..31; so no pending set
  holds SIGKILL/SIGSTOP blocked;
- only a group leader has a shared pending set; a zombie has no pending,
  shared or blocked signals and no handler frames;
- a task asleep in S (pause, sigsuspend, wait) has no deliverable signal,
  private or shared, and no CLD_CONTINUED to send (signal_wake_up woke it),
  the default init excepted;
- a stopped task's group has its stop still to report (stop_code), or a
  wait reported it (checked on each edge); an unreported stop_code is a stop
  signal and every live thread of its group is stopped; a dying group
  (group_exit) has every live thread awake with SIGKILL pending and none
  stopped;
- at most MAX_FRAMES handler frames;
- a second exploration with a fresh Kernel gives the same states in the
  same order and the same number of transitions, steps() gives exactly
  successors() in every state, and explain() finds the step of each edge
  of a few random paths.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, NamedTuple

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from checker.kernel import events as E
from checker.kernel.model import Kernel, Step
from checker.kernel.signals import SIG_KERNEL_STOP_MASK, sigmask
from checker.kernel.state import (
    CONT_NOTIFY,
    DEFAULT_INIT,
    RUNNING,
    SLEEPING,
    STOPPED,
    ZOMBIE,
    State,
    Task,
    get,
)
from checker.lang import ir
from checker.lang.constants import SIGKILL, SIGSTOP
from checker.lang.load import load_text

STATE_CAP = 3_000  # an example whose state space is larger is skipped
MAX_FRAMES = 32  # handler frames a task can stack up in these programs

KILL_STOP = sigmask(SIGKILL) | sigmask(SIGSTOP)
STANDARD = (1 << 31) - 1  # bits of signals 1..31

# ------------------------------------------------------------------ programs

SIGNAL_NAMES = [
    "SIGUSR1",
    "SIGUSR2",
    "SIGTERM",
    "SIGCHLD",
    "SIGSTOP",
    "SIGCONT",
    "SIGKILL",
    "SIGINT",
    "SIGTSTP",  # a stop signal that can be caught and blocked
    "SIGQUIT",  # default action: terminate with core
]
# the signals handlers are mostly installed for, and stop/continue, come up more often
SIG = st.one_of(
    st.sampled_from(["SIGUSR1", "SIGUSR2", "SIGCHLD"]),
    st.sampled_from(SIGNAL_NAMES),
    st.sampled_from(["SIGSTOP", "SIGCONT", "SIGTSTP"]),
)
ANY_TARGET = st.sampled_from(["getppid()", "c", "0", "-1", "getpid()", "2", "3", "99"])
# where a fork child sends (its parent, mostly) and where its parent sends
CHILD_TARGET = st.one_of(st.just("getppid()"), st.just("getppid()"), ANY_TARGET)
PARENT_TARGET = st.one_of(st.just("c"), st.just("c"), ANY_TARGET)
SELF_TARGET = st.one_of(st.just("getpid()"), ANY_TARGET)
HANDLERS = {
    "h_count": "n = n + 1",
    "h_reap": "w = waitpid(-1, WNOHANG)",
    # one more signal, a bounded number of times (n is per address space)
    "h_chain": "if n < 2 { n = n + 1; kill(getpid(), SIGUSR1) }",
    "h_raise": "if n < 2 { n = n + 1; raise(SIGUSR2) }",
    "h_early": "if n > 0 { return }\n        n = n + 1",
    "h_exit": "exit 5",
}
HANDLER = st.sampled_from(list(HANDLERS))
ACTION = st.one_of(HANDLER, st.sampled_from(["SIG_DFL", "SIG_IGN", *HANDLERS]))
FLAGS = st.sampled_from(
    [
        "0",
        "SA_RESTART",
        "SA_NODEFER",
        "SA_RESETHAND",
        "SA_NOCLDSTOP",
        "SA_NOCLDWAIT",
        "SA_RESTART | SA_NOCLDSTOP",
        "SA_NODEFER | SA_RESETHAND",
    ]
)
HOW = st.sampled_from(["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"])
# masks: SIGKILL and SIGSTOP are named often, on purpose
SIGSET = st.lists(
    st.one_of(SIG, st.sampled_from(["SIGKILL", "SIGSTOP"])), max_size=3, unique=True
).map(lambda sigs: "{" + ", ".join(sigs) + "}")


def signal_call(target: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda p, s: f"kill({p}, {s})", target, SIG),
        st.builds(lambda p, s: f"r = kill({p}, {s})", target, SIG),
        st.builds(lambda s: f"raise({s})", SIG),
        st.builds(lambda s, a: f"signal({s}, {a})", SIG, ACTION),
        st.builds(lambda s, a, f: f"sigaction({s}, {a}, {f})", SIG, ACTION, FLAGS),
        st.builds(lambda h, m: f"sigprocmask({h}, {m})", HOW, SIGSET),
    )


PLAIN = st.sampled_from(
    [
        "skip",
        "x = x + 1",
        "w = waitpid(-1, WNOHANG)",
        "w = wait()",
        "w = waitpid(c, WUNTRACED)",
        "w = waitpid(-1, WUNTRACED | WCONTINUED)",
        "w = waitpid(-1, WUNTRACED | WCONTINUED | WNOHANG)",
    ]
)
SLEEPER = st.one_of(st.just("pause()"), SIGSET.map(lambda m: f"sigsuspend({m})"))
# a child that stops itself, and what its parent does about it
SELF_STOP = st.sampled_from(["raise(SIGSTOP)", "kill(getpid(), SIGTSTP)", "kill(0, SIGSTOP)"])
EPILOGUE = st.sampled_from(
    [
        "kill(c, SIGCONT)",
        "kill(c, SIGCONT)",
        "kill(-1, SIGCONT)",
        "kill(c, SIGSTOP)",
        "kill(c, SIGKILL)",
        "w = waitpid(c, WUNTRACED | WCONTINUED)",
        "w = waitpid(-1, WCONTINUED | WNOHANG)",
    ]
)


@st.composite
def preamble(draw: st.DrawFn) -> list[str]:
    """Actions set up front for the signals sent most, mostly handlers, so
    that the sends that follow often run one."""
    out = []
    for name in ("SIGUSR1", "SIGUSR2", "SIGCHLD"):
        how = draw(st.integers(0, 5))
        if how == 0:
            continue  # SIG_DFL
        act = draw(HANDLER) if how <= 4 else draw(ACTION)
        if draw(st.booleans()):
            out.append(f"signal({name}, {act})")
        else:
            out.append(f"sigaction({name}, {act}, {draw(FLAGS)})")
    return draw(st.permutations(out))


@st.composite
def block(
    draw: st.DrawFn, depth: int, sleepers: bool, target: st.SearchStrategy[str] = SELF_TARGET
) -> list[str]:
    """A few statements: mostly signal calls (kill and raise aimed at
    `target`), some wait code and (with `sleepers`) pause/sigsuspend;
    compound ones (fork, if, choose, repeat, exit) nest `depth` deep."""
    calls = signal_call(target)
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 9))
        if kind <= 4:
            out.append(draw(calls))
        elif kind <= 6:
            out.append(draw(PLAIN))
        elif kind == 7 and sleepers:
            out.append(draw(SLEEPER))
        elif depth == 0:
            out.append(draw(calls))
        else:
            form = draw(st.sampled_from(["fork", "fork", "if", "choose", "repeat", "exit"]))
            code = draw(st.integers(0, 3))
            if form == "fork":
                a = "; ".join(draw(block(depth - 1, sleepers, CHILD_TARGET)))
                out.append(f"c = fork {{ {a}; exit {code} }}")
                continue
            a = "; ".join(draw(block(depth - 1, sleepers, target)))
            if form == "if":
                b = "; ".join(draw(block(depth - 1, sleepers, target)))
                out.append(f"if n > 0 {{ {a} }} else {{ {b} }}")
            elif form == "choose":
                b = "; ".join(draw(block(depth - 1, sleepers, target)))
                out.append(f"choose {{ {a} }} or {{ {b} }}")
            elif form == "repeat":
                out.append(f"repeat 2 {{ {a} }}")
            else:
                out.append(f"exit {code}")
    return out


@st.composite
def parent_and_children(draw: st.DrawFn, sleepers: bool) -> list[str]:
    """The common shape: handlers installed, one or two children forked
    that signal their parent, the parent signalling and waiting for them."""
    body = draw(preamble())
    if draw(st.booleans()):
        body.append(draw(st.builds(lambda h, m: f"sigprocmask({h}, {m})", HOW, SIGSET)))
    for code in range(draw(st.integers(1, 2))):
        child = draw(block(1, sleepers, CHILD_TARGET))
        if draw(st.booleans()):
            child.insert(draw(st.integers(0, len(child))), draw(SELF_STOP))
        body.append(f"c = fork {{ {'; '.join(child)}; exit {code} }}")
        body += draw(block(0, sleepers, PARENT_TARGET))
    body += draw(st.lists(EPILOGUE | PLAIN | signal_call(PARENT_TARGET), min_size=1, max_size=3))
    return body


def _program(name: str, body: list[str]) -> str:
    text = "\n".join(body)
    handlers = "".join(
        f"    handler {h} {{\n        {code}\n    }}\n" for h, code in HANDLERS.items() if h in text
    )
    lines = "\n    ".join(body)
    return (
        f"program {name} {{\n    var n = 0\n{handlers}"
        f"    x = 0\n    c = getpid()\n    w = waitpid(-1, WNOHANG)\n    r = 0\n"
        f"    {lines}\n}}\n"
    )


@st.composite
def programs(draw: st.DrawFn) -> str:
    sleepers = draw(st.booleans())
    if draw(st.booleans()):
        main = draw(parent_and_children(sleepers))
    else:
        main = draw(preamble()) + draw(block(2, sleepers))
    text = "config { max_tasks = 4 }\n" + _program("main", main)
    if draw(st.integers(0, 3)) == 0:
        # a second process group: kill(-1), kill(2) and kill(3) cross groups
        peer = draw(preamble()) + draw(block(1, sleepers, ANY_TARGET))
        text += "start main, peer\n" + _program("peer", peer)
    return text


# ------------------------------------------------------------------ exploration


class Graph(NamedTuple):
    order: list[State]  # every reachable state, in breadth-first order
    transitions: int
    out: dict[State, list[Any]]  # each state's steps (or successors)


def explore(kernel: Kernel, with_steps: bool) -> Graph | None:
    """A plain breadth-first search over `kernel.steps` (with_steps) or
    `kernel.successors`; None past STATE_CAP states."""
    start = kernel.initial()
    order, seen, out, transitions = [start], {start}, {}, 0
    queue = deque([start])
    while queue:
        s = queue.popleft()
        moves: list[Any] = kernel.steps(s) if with_steps else kernel.successors(s)
        out[s] = moves
        transitions += len(moves)
        for move in moves:
            t = move.target if with_steps else move
            if isinstance(t, State) and t not in seen:
                seen.add(t)
                order.append(t)
                queue.append(t)
                if len(order) > STATE_CAP:
                    return None
    return Graph(order, transitions, out)


# ------------------------------------------------------------------ invariants


def _where(kernel: Kernel, s: State, t: Task) -> str:
    if t.prog == DEFAULT_INIT or t.state == ZOMBIE:
        return f"task {t.pid} ({t.state})"
    instr = kernel.programs[t.prog].code[t.pc]
    return f"task {t.pid} ({t.state}) at `{instr.text}` line {instr.pos.line}"


def _in_sleeping_call(kernel: Kernel, t: Task) -> bool:
    instr = kernel.programs[t.prog].code[t.pc]
    return isinstance(instr, ir.Syscall) and instr.name in (
        "pause",
        "sigsuspend",
        "wait",
        "waitpid",
    )


def check_state(kernel: Kernel, s: State) -> None:
    for t in s.tasks:
        where = _where(kernel, s, t)
        leader = get(s.tasks, t.tgid)
        assert leader is not None, f"{where}: no group leader"
        # sets hold standard signals only; SIGKILL/SIGSTOP are never blocked
        for name, mask in (("blocked", t.blocked), ("pending", t.pending), ("shared", t.shared)):
            assert not mask & ~STANDARD, f"{where}: {name} {mask:#x} outside signals 1..31"
        assert not t.blocked & KILL_STOP, f"{where}: blocked {t.blocked:#x} holds SIGKILL/SIGSTOP"
        for f in t.frames:
            assert not f.blocked & (KILL_STOP | ~STANDARD), f"{where}: frame mask {f.blocked:#x}"
        # pending sets never hold SIGKILL/SIGSTOP blocked
        assert not (t.pending | leader.shared) & t.blocked & KILL_STOP, (
            f"{where}: SIGKILL/SIGSTOP pending and blocked"
        )
        if t.pid != t.tgid:
            assert t.shared == 0, f"{where}: a non-leader with a shared pending set"
        if t.state == ZOMBIE:
            assert (t.pending, t.shared, t.blocked, t.frames) == (0, 0, 0, ()), (
                f"{where}: a zombie keeps signal state"
            )
            continue
        assert len(t.frames) <= MAX_FRAMES, f"{where}: {len(t.frames)} handler frames"
        # signal_wake_up: an interruptible sleeper with a deliverable signal is woken
        if t.state == SLEEPING and not (t.pid == 1 and t.prog == DEFAULT_INIT):
            assert _in_sleeping_call(kernel, t), f"{where}: asleep outside a sleeping call"
            ready = (t.pending | leader.shared) & ~t.blocked
            assert not ready, (
                f"MODEL BUG? {where}: left asleep with deliverable signals {ready:#x} "
                "(signal_wake_up must wake it, SEMANTICS 6.3/6.6)"
            )
            assert not (t.pid == leader.pid and leader.continued & CONT_NOTIFY), (
                f"MODEL BUG? {where}: asleep with CLD_CONTINUED to send"
            )
        if t.state == STOPPED:
            assert not leader.group_exit, f"{where}: stopped in a dying group"
        # a group marked for exit has every live thread awake with SIGKILL pending
        if leader.group_exit:
            assert t.state == RUNNING and t.pending & sigmask(SIGKILL), (
                f"{where}: group exit {leader.group_exit} without SIGKILL pending/awake"
            )
    for leader in s.tasks:
        if leader.pid == leader.tgid and leader.stop_code:
            assert sigmask(leader.stop_code) & SIG_KERNEL_STOP_MASK, f"stop_code {leader.stop_code}"
            for t in s.tasks:
                if t.tgid == leader.tgid and t.state != ZOMBIE:
                    assert t.state == STOPPED, (
                        f"task {t.pid} ({t.state}): its group has an unreported stop"
                    )


def check_edge(kernel: Kernel, s: State, step: Step) -> None:
    """A task stopped in the target belongs to a group whose stop is still
    to report (stop_code), or that a wait reported: it was stopped already
    and either had been reported or this step reported it (WUNTRACED)."""
    after = step.target
    if not isinstance(after, State):
        return
    reported = {e.child for e in step.events if isinstance(e, E.ChildReported)}
    for t in after.tasks:
        if t.state != STOPPED:
            continue
        leader = get(after.tasks, t.tgid)
        assert leader is not None
        if leader.stop_code:
            continue
        before = get(s.tasks, t.pid)
        before_leader = get(s.tasks, t.tgid)
        assert before is not None and before.state == STOPPED and before_leader is not None, (
            f"task {t.pid} stopped with no stop_code and not stopped before"
        )
        assert before_leader.stop_code == 0 or leader.pid in reported, (
            f"task {t.pid}: stop_code cleared without a report"
        )


def replay(kernel: Kernel, rng: random.Random, paths: int = 4, length: int = 40) -> None:
    """Random paths: explain() finds the step of each edge."""
    for _ in range(paths):
        s = kernel.initial()
        for _ in range(length):
            succ = kernel.successors(s)
            if not succ:
                break
            t = rng.choice(succ)
            step = kernel.explain(s, t)
            assert step.target == t
            if not isinstance(t, State):
                break
            s = t


# ------------------------------------------------------------------ the test

# Fixed examples that always run: a wait interrupted by a handler, a stop
# reported and continued, sigsuspend with SIGSTOP in its mask; pause with a
# blocked signal pending, a group stop by kill(0).
EXAMPLES = [
    """config { max_tasks = 4 }
program main {
    var n = 0
    handler h_count {
        n = n + 1
    }
    handler h_reap {
        w = waitpid(-1, WNOHANG)
    }
    x = 0
    c = getpid()
    w = waitpid(-1, WNOHANG)
    r = 0
    sigaction(SIGUSR1, h_count, 0)
    signal(SIGCHLD, h_reap)
    c = fork { kill(getppid(), SIGUSR1); raise(SIGSTOP); exit 1 }
    w = wait()
    sigprocmask(SIG_BLOCK, {SIGUSR2, SIGKILL})
    kill(c, SIGCONT)
    w = waitpid(c, WUNTRACED | WCONTINUED)
    sigsuspend({SIGSTOP})
}
""",
    """config { max_tasks = 4 }
program main {
    var n = 0
    handler h_count {
        n = n + 1
    }
    x = 0
    c = getpid()
    w = waitpid(-1, WNOHANG)
    r = 0
    signal(SIGUSR2, h_count)
    sigprocmask(SIG_BLOCK, {SIGUSR1, SIGSTOP})
    c = fork { kill(getppid(), SIGUSR1); r = kill(getppid(), SIGUSR2); kill(0, SIGTSTP); exit 2 }
    pause()
    kill(-1, SIGCONT)
    w = waitpid(-1, WUNTRACED | WCONTINUED)
}
""",
]


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(programs(), st.integers(0, 2**32 - 1))
@example(EXAMPLES[0], 1)
@example(EXAMPLES[1], 2)
def test_random_signal_programs(text: str, path_seed: int) -> None:
    # The replay's random paths come from a seed drawn with the program, not
    # from a hypothesis Random drawn during the test, so which examples run
    # depends on this file alone, not on how the model explores them.
    # successors() first: it is the cheaper search, and finds the too-large examples
    scenario = load_text(text, "x.proc")
    plain = explore(Kernel(scenario), with_steps=False)
    if plain is None:
        event("skipped: more than STATE_CAP states")
        return
    kernel = Kernel(scenario)
    full = explore(kernel, with_steps=True)
    # determinism: a fresh kernel explores the same states in the same order,
    # with the same transitions, and steps() gives exactly successors()
    assert full is not None and full.order == plain.order, "exploration is not deterministic"
    assert full.transitions == plain.transitions
    for s in full.order:
        assert [step.target for step in full.out[s]] == plain.out[s], (
            "steps() and successors() disagree"
        )
    for s in full.order:
        check_state(kernel, s)
        for step in full.out[s]:
            check_edge(kernel, s, step)
    replay(kernel, random.Random(path_seed))
    for feature in coverage(full):
        event(feature)


def coverage(g: Graph) -> set[str]:
    """What an example exercised (hypothesis statistics: pytest
    --hypothesis-show-statistics), to keep an eye on the generator."""
    seen: set[str] = set()
    for s in g.order:
        for t in s.tasks:
            if t.state == STOPPED:
                seen.add("a stop")
            if t.continued:
                seen.add("a continue")
            if t.frames:
                seen.add("a handler")
            if len(t.frames) > 1:
                seen.add("nested handlers")
            if t.state == SLEEPING and t.pid != 1 and (t.pending | t.shared):
                seen.add("a sleeper with a blocked signal pending")
            if t.group_exit:
                seen.add("a group exit")
        for step in g.out[s]:
            for e in step.events:
                if isinstance(e, E.Interrupted):
                    seen.add("an interrupted call")
                if isinstance(e, E.ChildReported):
                    seen.add("a stop/continue reported")
    return seen
