"""Signals, one test per rule: the state before, the step, the state after.

Each test names the kernel function it checks (kernel/signal.c unless said
otherwise) and the rule of SEMANTICS.md / linux-reference.md it states.
Scenarios are stepped one task at a time (`go(k, s, pid, ...)`), so a test
shows exactly which step did what; whole runs (`check`) are used only where
the rule is about every interleaving (lost wake-ups, no_deadlock).
"""

from __future__ import annotations

import pytest

from checker.kernel import events as E
from checker.kernel.model import Kernel, Step
from checker.kernel.signals import SIG_DFL, SIG_IGN, action, get_signal, send_signal, sigmask
from checker.kernel.state import (
    CONT_NOTIFY,
    CONT_REPORT,
    GROUP_EXIT,
    RUNNING,
    SLEEPING,
    STOPPED,
    ZOMBIE,
    Frame,
    State,
    Task,
    get,
)
from checker.kernel.wait import FAILED, NOTHING_YET, Status
from checker.lang.constants import (
    ECHILD,
    EINTR,
    EINVAL,
    EPERM,
    ESRCH,
    SA_NODEFER,
    SA_RESETHAND,
    SA_RESTART,
    SIGNALS,
)
from checker.results import EXIT_FAIL, EXIT_OK, HOLDS, VIOLATED
from tests.conftest import check, init, kernel, task, tx_of

SIGHUP = SIGNALS["SIGHUP"]
SIGBUS = SIGNALS["SIGBUS"]
SIGKILL = SIGNALS["SIGKILL"]
SIGUSR1 = SIGNALS["SIGUSR1"]
SIGSEGV = SIGNALS["SIGSEGV"]
SIGUSR2 = SIGNALS["SIGUSR2"]
SIGTERM = SIGNALS["SIGTERM"]
SIGCHLD = SIGNALS["SIGCHLD"]
SIGCONT = SIGNALS["SIGCONT"]
SIGSTOP = SIGNALS["SIGSTOP"]
SIGTSTP = SIGNALS["SIGTSTP"]
SIGTTIN = SIGNALS["SIGTTIN"]

USR1, USR2, CHLD = sigmask(SIGUSR1), sigmask(SIGUSR2), sigmask(SIGCHLD)


# ---------------------------------------------------------------- helpers


def at(s: State, pid: int) -> Task:
    t = get(s.tasks, pid)
    assert t is not None, f"no task {pid}"
    return t


def pids(s: State) -> list[int]:
    return [t.pid for t in s.tasks]


def steps_of(k: Kernel, s: State, pid: int) -> list[Step]:
    return [st for st in k.steps(s) if st.pid == pid]


def one(k: Kernel, s: State, pid: int) -> Step:
    """The one step task `pid` can take."""
    out = steps_of(k, s, pid)
    assert len(out) == 1, out
    assert isinstance(out[0].target, State), out[0].target
    return out[0]


def go(k: Kernel, s: State, *order: int) -> State:
    """Step these tasks, one step each, in this order."""
    for pid in order:
        s = one(k, s, pid).target  # type: ignore[assignment]
    return s


def nxt(k: Kernel, s: State, pid: int) -> str:
    """The text of the statement task `pid` is at."""
    t = at(s, pid)
    return k.programs[t.prog].code[t.pc].text


def local(k: Kernel, s: State, pid: int, name: str) -> object:
    """A local of the program's own frame (under any handler frame)."""
    t = at(s, pid)
    return t.program_locals()[k.programs[t.prog].local_names.index(name)]


def var(k: Kernel, s: State, pid: int, name: str) -> object:
    t = at(s, pid)
    return s.mems[t.mm][k.programs[t.prog].var_names.index(name)]


def table(s: State, pid: int) -> tuple:  # type: ignore[type-arg]
    return s.sighands[at(s, pid).sighand]


def signaled(pid: int, signo: int) -> Status:
    return Status(pid, False, 0, True, signo, False, False)


def exited(pid: int, code: int) -> Status:
    return Status(pid, True, code, False, 0, False, False)


def taken(st: Step) -> list[tuple[int, str]]:
    """The signals a step took, with the first word of what it did
    ("handler", "kills", "ignored", "stops", "CLD_CONTINUED")."""
    return [(e.sig, e.action.split()[0]) for e in st.events if isinstance(e, E.SignalTaken)]


def sent(st: Step, signo: int, pid: int, sender: int = 0) -> list[str]:
    """What became of each signal `signo` the step sent to `pid`, as the first
    word of the event ("pending", "dropped", "lost", "fatal")."""
    return [
        e.result.split(":")[0].split()[0]
        for e in st.events
        if isinstance(e, E.SignalSent) and (e.sig, e.pid, e.sender) == (signo, pid, sender)
    ]


def violated(r, name: str) -> str:  # type: ignore[no-untyped-def]
    """The message of a violated property (fails if it holds)."""
    (p,) = [p for p in r.properties if p.name == name]
    assert p.status == VIOLATED, (p.name, p.status)
    return p.message


# ================================================================ 1. sending


def test_kill_positive_pid_queues_on_the_target_processes_shared_set():
    # kill_something_info -> kill_pid_info (PIDTYPE_TGID) -> __send_signal_locked:
    # a process-directed signal goes to signal->shared_pending (the leader's
    # Task.shared), not to the thread's private set; kill returns 0
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { pause() }
            r = kill(c, SIGUSR1)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2)
    assert (at(s, 3).shared, at(s, 3).pending, at(s, 3).blocked) == (0, 0, USR1)
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert (at(after, 3).shared, at(after, 3).pending) == (USR1, 0)
    assert (at(after, 2).shared, at(after, 2).pending) == (0, 0)


def test_kill_of_a_thread_id_targets_its_whole_process():
    # kill_pid_info uses PIDTYPE_TGID: the signal lands in the group's shared
    # set (kept on the leader), not in the named thread's private set (S10).
    # (The language has no `thread` yet: the group is built by hand.)
    tx = tx_of(init((2,)), task(2, blocked=USR1), task(3, tgid=2, blocked=USR1))
    send_signal(tx, SIGUSR1, 3, True, None)
    assert [(t.pid, t.pending, t.shared) for t in tx.tasks[1:]] == [(2, 0, USR1), (3, 0, 0)]


def test_kill_zero_reaches_every_process_of_the_callers_group_itself_included():
    # kill_something_info(pid 0) -> __kill_pgrp_info(task_pgrp(current)):
    # the caller and its child (same group); not `other` (a group of its own)
    k = kernel("""
        start main, other
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { pause() }
            r = kill(0, SIGUSR1)
            exit 0
        }
        program other { sigprocmask(SIG_BLOCK, {SIGUSR1})
            pause() }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert (at(s, 4).ppid, at(s, 4).pgid, at(s, 3).pgid) == (2, 2, 3)
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert [at(after, p).shared for p in (1, 2, 3, 4)] == [0, USR1, 0, USR1]


def test_kill_minus_one_reaches_every_process_but_init_and_the_callers_own():
    # kill_something_info(-1): for_each_process with task_pid_vnr > 1 and not
    # same_thread_group(p, current)
    k = kernel("""
        start main, other
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { pause() }
            r = kill(-1, SIGUSR1)
            exit 0
        }
        program other { sigprocmask(SIG_BLOCK, {SIGUSR1})
            pause() }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert [at(after, p).shared for p in (1, 2, 3, 4)] == [0, 0, USR1, USR1]
    assert at(after, 1) == at(s, 1)


def test_kill_below_minus_one_reaches_the_process_group_minus_pid():
    # kill_something_info(pid < -1) -> __kill_pgrp_info(find_vpid(-pid))
    k = kernel("""
        start main, other
        program main {
            r = kill(-3, SIGUSR1)
            exit 0
        }
        program other {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { pause() }
            pause()
        }
    """)
    s = go(k, k.initial(), 3, 3)
    assert at(s, 4).pgid == 3
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert [at(after, p).shared for p in (2, 3, 4)] == [0, USR1, USR1]
    assert at(after, 2).group_exit == 0  # main, not in group 3, was not hit


def test_kill_with_no_target_fails_with_esrch():
    # kill_pid_info: no task -> -ESRCH; __kill_pgrp_info: empty group -> -ESRCH;
    # kill(-1) with no candidate at all (only init and the caller) -> -ESRCH
    k = kernel("""
        program main {
            r1 = kill(99, SIGTERM)
            e1 = errno
            r2 = kill(-99, SIGTERM)
            e2 = errno
            r3 = kill(-1, SIGTERM)
            e3 = errno
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 6)
    got = [local(k, s, 2, n) for n in ("r1", "e1", "r2", "e2", "r3", "e3")]
    assert got == [-1, ESRCH, -1, ESRCH, -1, ESRCH]
    assert at(s, 2).group_exit == 0


def test_signal_zero_only_checks_that_the_target_exists():
    # S1: signal 0 is a probe: permission and existence only; nothing queued,
    # the sleeping target is not woken
    k = kernel("""
        program main {
            c = fork { pause() }
            r = kill(c, 0)
            r2 = kill(99, 0)
            e2 = errno
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 3)
    assert at(s, 3).state == SLEEPING
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert at(after, 3) == at(s, 3)
    after = go(k, after, 2, 2)
    assert (local(k, after, 2, "r2"), local(k, after, 2, "e2")) == (-1, ESRCH)


def test_kill_to_a_zombie_returns_zero_and_does_nothing():
    # prepare_signal: SIGNAL_GROUP_EXIT (the zombie) -> dropped; kill returns 0
    # (S12); once it is reaped its pid is gone -> ESRCH
    k = kernel("""
        program main {
            c = fork { exit 5 }
            r = kill(c, SIGTERM)
            w = wait()
            r2 = kill(c, 0)
            e2 = errno
        }
    """)
    s = go(k, k.initial(), 2, 3)
    assert (at(s, 3).state, at(s, 3).xstatus) == (ZOMBIE, 5 << 8)
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert at(after, 3) == at(s, 3)
    after = go(k, after, 2)
    assert local(k, after, 2, "w") == exited(3, 5)
    after = go(k, after, 2, 2)
    assert (local(k, after, 2, "r2"), local(k, after, 2, "e2")) == (-1, ESRCH)


def test_kill_with_an_invalid_signal_number_fails_with_einval_once_a_target_is_found():
    # kill: valid_signal(sig) is checked by check_kill_permission for each
    # target that kill_something_info found; with no target it is ESRCH
    # (kernel/signal.c kill_pid_info, __kill_pgrp_info; docs/model.md)
    k = kernel("""
        program main {
            r1 = kill(getpid(), 65)
            e1 = errno
            r2 = kill(getpid(), -1)
            e2 = errno
            r3 = kill(99, 65)
            e3 = errno
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 6)
    got = [local(k, s, 2, n) for n in ("r1", "e1", "r2", "e2", "r3", "e3")]
    assert got == [-1, EINVAL, -1, EINVAL, -1, ESRCH]
    assert (at(s, 2).pending, at(s, 2).shared, at(s, 2).group_exit) == (0, 0, 0)


def test_kill_int_min_fails_with_esrch():
    # kill_something_info: pid INT_MIN -> -ESRCH (-INT_MIN is undefined)
    k = kernel("""
        program main {
            r = kill(-2147483648, SIGTERM)
            e = errno
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2)
    assert (local(k, s, 2, "r"), local(k, s, 2, "e")) == (-1, ESRCH)
    assert at(s, 2).group_exit == 0


def test_raise_is_private_to_the_thread_and_kill_is_shared():
    # glibc raise = tgkill(getpid(), gettid()) -> PIDTYPE_PID: task->pending
    # of the calling thread; kill -> PIDTYPE_TGID: the leader's shared set
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})
            raise(SIGUSR1)
            kill(getpid(), SIGUSR2)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2)
    assert (at(s, 2).pending, at(s, 2).shared) == (USR1, 0)
    s = go(k, s, 2)
    assert (at(s, 2).pending, at(s, 2).shared) == (USR1, USR2)
    # a thread-directed signal to a non-leader thread stays on that thread
    tx = tx_of(init((2,)), task(2, blocked=USR1), task(3, tgid=2, blocked=USR1))
    send_signal(tx, SIGUSR1, 3, False, None)
    assert [(t.pid, t.pending, t.shared) for t in tx.tasks[1:]] == [(2, 0, 0), (3, USR1, 0)]


@pytest.mark.parametrize("signo", [SIGTERM, SIGKILL, SIGSTOP, SIGUSR1])
def test_the_default_init_drops_every_signal(signo):
    # sig_task_ignored: is_global_init never gets SIGKILL/SIGSTOP, and
    # SIGNAL_UNKILLABLE drops any signal it left at SIG_DFL; kill returns 0
    k = kernel(f"""
        program main {{
            r = kill(1, {signo})
            exit 0
        }}
    """)
    s = k.initial()
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert at(after, 1) == at(s, 1)
    assert at(after, 1).state == SLEEPING


def test_a_user_init_without_handlers_drops_term_kill_and_stop():
    # SEMANTICS 6.9: init is unkillable from inside; its own `init { }` with
    # every action SIG_DFL changes nothing (sig_task_ignored)
    k = kernel("""
        init { while true { pause() } }
        program main {
            r1 = kill(1, SIGTERM)
            r2 = kill(1, SIGKILL)
            r3 = kill(1, SIGSTOP)
            exit 0
        }
    """)
    s = k.initial()
    after = go(k, s, 2, 2, 2)
    assert [local(k, after, 2, n) for n in ("r1", "r2", "r3")] == [0, 0, 0]
    assert at(after, 1) == at(s, 1)
    r = check("""
        init { while true { pause() } }
        program main {
            kill(1, SIGTERM)
            kill(1, SIGKILL)
            kill(1, SIGSTOP)
        }
        check assertions
    """)
    assert r.exit_code == EXIT_OK, [(p.name, p.message) for p in r.properties]


def test_a_user_init_with_a_handler_gets_the_signal():
    # sig_task_ignored drops only what init left at SIG_DFL: a handled
    # SIGUSR1 is queued and its handler runs in init
    k = kernel("""
        init {
            var got = 0
            handler h { got = got + 1 }
            signal(SIGUSR1, h)
            while true { pause() }
        }
        program main {
            r = kill(1, SIGUSR1)
            exit 0
        }
    """)
    s = go(k, k.initial(), 1)  # init installs its handler
    after = go(k, s, 2)
    assert local(k, after, 2, "r") == 0
    assert at(after, 1).shared == USR1
    st = one(k, after, 1)
    assert taken(st) == [(SIGUSR1, "handler")]
    entered = st.target
    assert isinstance(entered, State)
    assert at(entered, 1).shared == 0 and len(at(entered, 1).frames) == 1
    ran = go(k, entered, 1)
    assert var(k, ran, 1, "got") == 1


def test_a_signal_init_blocks_is_queued_and_discarded_when_unblocked():
    # sig_ignored: a blocked signal is never ignored at send, not even by
    # init; get_signal then discards a SIG_DFL signal for SIGNAL_UNKILLABLE
    # init (S18): no panic. SIGKILL cannot be blocked: dropped at send
    k = kernel("""
        init {
            sigprocmask(SIG_BLOCK, {SIGTERM})
            skip
            sigprocmask(SIG_UNBLOCK, {SIGTERM})
            while true { skip }
        }
        program main {
            kill(1, SIGTERM)
            kill(1, SIGKILL)
        }
    """)
    s = go(k, k.initial(), 1, 2)
    assert at(s, 1).shared == sigmask(SIGTERM)
    s = go(k, s, 2)
    assert (at(s, 1).shared, at(s, 1).group_exit) == (sigmask(SIGTERM), 0)
    s = go(k, s, 1, 1)
    st = one(k, s, 1)
    assert taken(st) == [(SIGTERM, "ignored")]
    assert at(st.target, 1).shared == 0 and nxt(k, st.target, 1) == "while true"  # type: ignore[arg-type]


# ================================================================ 2. pending and coalescing


def test_a_second_instance_while_one_is_pending_is_lost():
    # __send_signal_locked -> legacy_queue: a standard signal already in the
    # set is dropped (S8); the handler then runs once
    text = """
        program main {
            var got = 0
            handler h { got = got + 1 }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            kill(getpid(), SIGUSR1)
            kill(getpid(), SIGUSR1)
            sigprocmask(SIG_UNBLOCK, {SIGUSR1})
            exit got
        }
        observe main.got
    """
    k = kernel(text)
    s = go(k, k.initial(), 2, 2, 2)
    assert at(s, 2).shared == USR1
    st = one(k, s, 2)
    assert sent(st, SIGUSR1, 2) == ["lost"]
    after = st.target
    assert isinstance(after, State)
    assert at(after, 2) == at(s, 2)._replace(pc=at(after, 2).pc)  # only the pc moved
    r = check(text)
    assert [o.values for o in r.outcomes] == [(1,)]


def test_the_private_and_the_shared_set_each_hold_one_instance():
    # S8: one standard signal can be pending twice, once in the thread's
    # private set (tgkill) and once in the shared set (kill): two handler runs
    text = """
        program main {
            var got = 0
            handler h { got = got + 1 }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            raise(SIGUSR1)
            raise(SIGUSR1)
            kill(getpid(), SIGUSR1)
            kill(getpid(), SIGUSR1)
            sigprocmask(SIG_UNBLOCK, {SIGUSR1})
            exit got
        }
        observe main.got
    """
    k = kernel(text)
    s = go(k, k.initial(), 2, 2, 2, 2, 2, 2)
    assert (at(s, 2).pending, at(s, 2).shared) == (USR1, USR1)
    r = check(text)
    assert [o.values for o in r.outcomes] == [(2,)]


def test_two_children_exiting_while_sigchld_is_blocked_leave_one_sigchld():
    # do_notify_parent -> send_signal twice: the second SIGCHLD coalesces,
    # both children stay zombies to be reaped (6.1)
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            a = fork { exit 1 }
            b = fork { exit 2 }
            w1 = wait()
            w2 = wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3)
    assert at(s, 2).shared == CHLD
    st = one(k, s, 4)
    assert sent(st, SIGCHLD, 2, 4) == ["lost"]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == CHLD
    assert (at(s, 3).state, at(s, 4).state) == (ZOMBIE, ZOMBIE)
    s = go(k, s, 2, 2)
    assert (local(k, s, 2, "w1"), local(k, s, 2, "w2")) == (exited(3, 1), exited(4, 2))


# ================================================================ 3. dispositions


def test_fork_copies_the_mask_and_the_handlers_but_not_the_pending_sets():
    # copy_process: dup_task_struct copies blocked; init_sigpending gives an
    # empty private set; copy_signal a new, empty shared set; copy_sighand
    # a copy of the handler table (S2, F18)
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})
            raise(SIGUSR1)
            kill(getpid(), SIGUSR2)
            c = fork { exit 0 }
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2, 2)
    parent, child = at(s, 2), at(s, 3)
    assert (parent.blocked, parent.pending, parent.shared) == (USR1 | USR2, USR1, USR2)
    assert (child.blocked, child.pending, child.shared) == (USR1 | USR2, 0, 0)
    assert table(s, 3) == table(s, 2) == ((SIGUSR1, "h", SA_RESTART),)


def test_signal_and_sigaction_set_the_handler_table():
    # do_sigaction: the action is replaced in the shared sighand table;
    # `signal` is glibc's sigaction(SA_RESTART)
    k = kernel("""
        program main {
            handler h { skip }
            r1 = signal(SIGUSR1, h)
            r2 = sigaction(SIGUSR2, h, SA_NODEFER | SA_RESETHAND)
            r3 = sigaction(SIGUSR1, SIG_IGN, 0)
            r4 = sigaction(SIGUSR2, SIG_DFL, 0)
            exit 0
        }
    """)
    s = k.initial()
    assert table(s, 2) == ()
    s = go(k, s, 2)
    assert action(table(s, 2), SIGUSR1) == ("h", SA_RESTART)
    s = go(k, s, 2)
    assert action(table(s, 2), SIGUSR2) == ("h", SA_NODEFER | SA_RESETHAND)
    s = go(k, s, 2)
    assert action(table(s, 2), SIGUSR1) == (SIG_IGN, 0)
    s = go(k, s, 2)
    assert table(s, 2) == ((SIGUSR1, SIG_IGN, 0),)
    assert [local(k, s, 2, n) for n in ("r1", "r2", "r3", "r4")] == [0, 0, 0, 0]


def test_sig_ign_drops_the_signal_at_send():
    # sig_ignored -> sig_handler_ignored(SIG_IGN): not queued, no effect
    k = kernel("""
        program main {
            signal(SIGTERM, SIG_IGN)
            r = kill(getpid(), SIGTERM)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2)
    st = one(k, s, 2)
    assert sent(st, SIGTERM, 2) == ["dropped"]
    after = st.target
    assert local(k, after, 2, "r") == 0  # type: ignore[arg-type]
    me = at(after, 2)  # type: ignore[arg-type]
    assert (me.pending, me.shared, me.group_exit, me.state) == (0, 0, 0, RUNNING)


def _child_raises(name: str) -> Kernel:
    """main forks a child that raises `name` and then exits 0; main waits."""
    return kernel(f"""
        program main {{
            c = fork {{
                raise({name})
                exit 0
            }}
            w = wait()
        }}
    """)


@pytest.mark.parametrize(
    "name",
    [
        "SIGHUP", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR",
    ],
)  # fmt: skip
def test_default_terminate_marks_the_group_at_send_and_the_parent_sees_signaled(name):
    # complete_signal: sig_fatal and not a core signal -> SIGNAL_GROUP_EXIT at
    # once (group_exit_code = sig, SIGKILL queued); get_signal -> do_group_exit(sig);
    # wait reports WIFSIGNALED with WTERMSIG = sig
    signo = SIGNALS[name]
    k = _child_raises(name)
    s = go(k, k.initial(), 2, 3)
    child = at(s, 3)
    assert (child.group_exit, child.pending & sigmask(SIGKILL)) == (
        GROUP_EXIT | signo,
        sigmask(SIGKILL),
    )
    st = one(k, s, 3)
    assert taken(st) == [(signo, "kills")]
    s = st.target  # type: ignore[assignment]
    assert (at(s, 3).state, at(s, 3).xstatus) == (ZOMBIE, signo)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == signaled(3, signo)


@pytest.mark.parametrize(
    "name",
    [
        "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV",
        "SIGXCPU", "SIGXFSZ", "SIGSYS",
    ],
)  # fmt: skip
def test_default_core_acts_at_delivery_and_is_just_signaled(name):
    # complete_signal skips its fatal short-cut for sig_kernel_coredump; the
    # signal stays pending and get_signal -> do_group_exit(sig); the model has
    # no core file (RLIMIT_CORE 0): status is the bare signal, no 0x80
    signo = SIGNALS[name]
    k = _child_raises(name)
    s = go(k, k.initial(), 2, 3)
    child = at(s, 3)
    assert (child.group_exit, child.pending) == (0, sigmask(signo))
    s = go(k, s, 3)
    assert (at(s, 3).state, at(s, 3).xstatus) == (ZOMBIE, signo)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == signaled(3, signo)


@pytest.mark.parametrize("name", ["SIGCHLD", "SIGURG", "SIGWINCH", "SIGCONT"])
def test_default_ignore_is_dropped_at_send_unless_blocked(name):
    # sig_ignored: SIG_DFL with default ignore -> dropped, but never while the
    # task blocks it (the action may change before it is unblocked, S6); once
    # unblocked, get_signal discards it and the program goes on
    signo = SIGNALS[name]
    k = kernel(f"""
        program main {{
            kill(getpid(), {name})
            sigprocmask(SIG_BLOCK, {{{name}}})
            kill(getpid(), {name})
            sigprocmask(SIG_UNBLOCK, {{{name}}})
            exit 7
        }}
    """)
    s = go(k, k.initial(), 2)
    assert (at(s, 2).shared, at(s, 2).pending) == (0, 0)
    s = go(k, s, 2, 2)
    assert at(s, 2).shared == sigmask(signo)
    s = go(k, s, 2)
    st = one(k, s, 2)
    assert taken(st) == [(signo, "ignored")]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == 0 and nxt(k, s, 2) == "exit 7"


@pytest.mark.parametrize("name", ["SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"])
def test_default_stop_stops_the_process(name):
    # get_signal: sig_kernel_stop -> do_signal_stop: TASK_STOPPED (T),
    # group_exit_code = the signal (for WUNTRACED)
    signo = SIGNALS[name]
    k = kernel(f"""
        program main {{
            c = fork {{
                raise({name})
                exit 0
            }}
            w = waitpid(c, WUNTRACED)
            kill(c, SIGKILL)
            wait()
        }}
    """)
    s = go(k, k.initial(), 2, 3)
    assert (at(s, 3).pending, at(s, 3).state) == (sigmask(signo), RUNNING)
    st = one(k, s, 3)
    assert taken(st) == [(signo, "stops")]
    s = st.target  # type: ignore[assignment]
    assert (at(s, 3).state, at(s, 3).stop_code, at(s, 3).pending) == (STOPPED, signo, 0)
    assert steps_of(k, s, 3) == []


def test_sigaction_on_sigkill_or_sigstop_fails_with_einval():
    # do_sigaction: sig_kernel_only(sig) -> -EINVAL for any action, SIG_DFL
    # included; valid_signal: numbers outside 1..64 -> -EINVAL (S4, 6.4)
    k = kernel("""
        program main {
            handler h { skip }
            r1 = sigaction(SIGKILL, h, 0)
            e1 = errno
            r2 = signal(SIGSTOP, SIG_IGN)
            e2 = errno
            r3 = signal(SIGKILL, SIG_DFL)
            e3 = errno
            r4 = sigaction(SIGSTOP, SIG_DFL, 0)
            e4 = errno
            r5 = signal(65, SIG_IGN)
            e5 = errno
            r6 = signal(0, SIG_IGN)
            e6 = errno
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 12)
    names = [f"{x}{n}" for n in range(1, 7) for x in "re"]
    assert [local(k, s, 2, n) for n in names] == [-1, EINVAL] * 6
    assert table(s, 2) == ()


def test_setting_sig_ign_discards_a_pending_blocked_signal():
    # do_sigaction: sig_handler_ignored(new action) -> flush_sigqueue_mask on
    # the shared set and every thread's private set, blocked or not (S7)
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            raise(SIGUSR1)
            kill(getpid(), SIGUSR1)
            signal(SIGUSR1, SIG_IGN)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert (at(s, 2).pending, at(s, 2).shared) == (USR1, USR1)
    s = go(k, s, 2)
    assert (at(s, 2).pending, at(s, 2).shared, at(s, 2).blocked) == (0, 0, USR1)


def test_setting_sig_dfl_discards_only_a_default_ignored_signal():
    # do_sigaction: SIG_DFL counts as ignoring for SIGCHLD (default ignore),
    # so its pending instance goes; SIG_DFL for SIGUSR1 discards nothing
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGCHLD, h)
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGCHLD, SIGUSR1})
            kill(getpid(), SIGCHLD)
            kill(getpid(), SIGUSR1)
            signal(SIGUSR1, SIG_DFL)
            signal(SIGCHLD, SIG_DFL)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2, 2)
    assert at(s, 2).shared == CHLD | USR1
    s = go(k, s, 2)
    assert at(s, 2).shared == CHLD | USR1
    s = go(k, s, 2)
    assert at(s, 2).shared == USR1


def test_sa_resethand_restores_sig_dfl_at_delivery():
    # get_signal: SA_ONESHOT -> sa_handler = SIG_DFL before the handler runs,
    # so a second SIGUSR1 kills (S19)
    k = kernel("""
        program main {
            handler h { skip }
            c = fork {
                sigaction(SIGUSR1, h, SA_RESETHAND)
                raise(SIGUSR1)
                raise(SIGUSR1)
                exit 0
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 3, 3)
    assert action(table(s, 3), SIGUSR1) == ("h", SA_RESETHAND)
    st = one(k, s, 3)
    assert taken(st) == [(SIGUSR1, "handler")]
    s = st.target  # type: ignore[assignment]
    assert action(table(s, 3), SIGUSR1)[0] == SIG_DFL
    s = go(k, s, 3, 3, 3)  # skip, return, raise again
    assert at(s, 3).group_exit == GROUP_EXIT | SIGUSR1
    s = go(k, s, 3, 2)
    assert local(k, s, 2, "w") == signaled(3, SIGUSR1)


def test_sa_nodefer_does_not_block_the_signal_in_its_handler():
    # signal_delivered: blocked |= sa_mask, plus the signal unless SA_NODEFER
    k = kernel("""
        program main {
            handler h { skip }
            sigaction(SIGUSR1, h, SA_NODEFER)
            sigaction(SIGUSR2, h, 0)
            raise(SIGUSR1)
            raise(SIGUSR2)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)  # take SIGUSR1
    assert at(s, 2).frames[-1].signal == SIGUSR1 and at(s, 2).blocked == 0
    s = go(k, s, 2, 2, 2, 2)  # skip, return, raise(SIGUSR2), take it
    assert at(s, 2).frames[-1].signal == SIGUSR2 and at(s, 2).blocked == USR2


# ================================================================ 4. delivery


def test_a_signal_is_taken_before_the_next_statement_and_others_may_run_first():
    # get_signal runs on the way back to user space: the target's next step
    # takes the signal (SEMANTICS 6.6); the sender and others may step before
    k = kernel("""
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGUSR1, h)
            c = fork {
                kill(getppid(), SIGUSR1)
                exit 0
            }
            x = 5
            exit x
        }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert at(s, 2).shared == USR1 and nxt(k, s, 2) == "x = 5"
    assert len(steps_of(k, s, 3)) == 1  # the child may run on first
    s = go(k, s, 3)  # it exits; SIGCHLD is dropped (SIG_DFL)
    assert at(s, 2).shared == USR1
    st = one(k, s, 2)
    assert st.instr is None and taken(st) == [(SIGUSR1, "handler")]
    me = at(st.target, 2)  # type: ignore[arg-type]
    assert me.frames == (Frame(at(s, 2).pc, at(s, 2).locals, 0, (), SIGUSR1, False),)
    assert me.blocked == USR1 and me.shared == 0


def test_the_lowest_numbered_signal_is_taken_first():
    # next_signal: ffz of the pending & ~blocked set (SEMANTICS 6.6 model
    # choice: one per step, lowest first; further ones nest, as Linux stacks
    # the frames)
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGHUP, h)
            signal(SIGUSR1, h)
            signal(SIGUSR2, h)
            sigprocmask(SIG_BLOCK, {SIGHUP, SIGUSR1, SIGUSR2})
            raise(SIGUSR2)
            raise(SIGUSR1)
            raise(SIGHUP)
            sigprocmask(SIG_SETMASK, {})
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 8)
    assert at(s, 2).pending == sigmask(SIGHUP) | USR1 | USR2
    s = go(k, s, 2, 2, 2)
    assert [f.signal for f in at(s, 2).frames] == [SIGHUP, SIGUSR1, SIGUSR2]


def test_synchronous_signals_are_taken_before_the_others_of_a_set():
    # next_signal: SYNCHRONOUS_MASK (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE,
    # SIGSYS) first, the lowest of them first; then the rest
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGHUP, h)
            signal(SIGBUS, h)
            signal(SIGSEGV, h)
            sigprocmask(SIG_BLOCK, {SIGHUP, SIGBUS, SIGSEGV})
            raise(SIGHUP)
            raise(SIGSEGV)
            raise(SIGBUS)
            sigprocmask(SIG_SETMASK, {})
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 8)
    s = go(k, s, 2, 2, 2)
    assert [f.signal for f in at(s, 2).frames] == [SIGBUS, SIGSEGV, SIGHUP]


def test_the_private_set_is_taken_before_the_shared_set():
    # dequeue_signal: task->pending first, then signal->shared_pending
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            signal(SIGUSR2, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})
            kill(getpid(), SIGUSR1)
            raise(SIGUSR2)
            sigprocmask(SIG_SETMASK, {})
            exit 0
        }
    """)
    s = go(k, k.initial(), *[2] * 6)
    assert (at(s, 2).pending, at(s, 2).shared) == (USR2, USR1)
    s = go(k, s, 2, 2)
    assert [f.signal for f in at(s, 2).frames] == [SIGUSR2, SIGUSR1]


def test_sigkill_goes_first_through_the_group_exit():
    # complete_signal marks SIGNAL_GROUP_EXIT for SIGKILL; get_signal then
    # takes the "already marked for death" path before dequeuing anything
    tx = tx_of(init((2,)), task(2, pending=sigmask(SIGHUP)))
    tx.sighands[1] = ((SIGHUP, "h", 0),)
    send_signal(tx, SIGKILL, 2, True, None)
    t = tx.get(2)
    assert t is not None
    assert (t.group_exit, t.shared, t.pending) == (
        GROUP_EXIT | SIGKILL,
        sigmask(SIGKILL),
        sigmask(SIGHUP) | sigmask(SIGKILL),
    )
    got = get_signal(tx, 2)
    assert (got.kind, got.sig) == ("die", SIGKILL)


def test_a_handler_runs_with_its_signal_blocked_and_return_restores_the_mask():
    # handle_signal -> signal_delivered: blocked |= the signal; rt_sigreturn
    # restores the saved mask and the interrupted context (pc, locals)
    k = kernel("""
        program main {
            var got = 0
            handler h {
                got = got + 1
                return
                got = 100
            }
            sigprocmask(SIG_BLOCK, {SIGUSR2})
            signal(SIGUSR1, h)
            x = 7
            raise(SIGUSR1)
            exit x
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)
    before = at(s, 2)
    assert (before.pending, before.blocked, nxt(k, s, 2)) == (USR1, USR2, "exit x")
    s = go(k, s, 2)  # take it
    me = at(s, 2)
    assert me.blocked == USR2 | USR1 and me.pending == 0
    assert me.frames == (Frame(before.pc, before.locals, USR2, (), SIGUSR1, False),)
    s = go(k, s, 2, 2)  # got = got + 1; return
    me = at(s, 2)
    assert (me.blocked, me.pc, me.locals, me.frames) == (USR2, before.pc, before.locals, ())
    assert var(k, s, 2, "got") == 1 and local(k, s, 2, "x") == 7


def test_the_same_signal_raised_in_its_handler_waits_for_the_return():
    # signal_delivered blocks the signal while its handler runs: a new
    # instance stays pending, and sigreturn's unblock makes it deliverable
    k = kernel("""
        program main {
            var got = 0
            handler h {
                got = got + 1
                if got == 1 { raise(SIGUSR1) }
            }
            signal(SIGUSR1, h)
            raise(SIGUSR1)
            exit got
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2, 2, 2)  # ..., take, got = 1, test, raise
    me = at(s, 2)
    assert (me.pending, me.blocked, len(me.frames)) == (USR1, USR1, 1)
    assert one(k, s, 2).instr is not None  # no nested take: it is blocked
    s = go(k, s, 2)  # end of handler: mask restored
    assert (at(s, 2).blocked, at(s, 2).frames, nxt(k, s, 2)) == (0, (), "exit got")
    st = one(k, s, 2)
    assert taken(st) == [(SIGUSR1, "handler")]
    s = go(k, st.target, 2, 2, 2)  # type: ignore[arg-type]  # got = 2, test, return
    assert var(k, s, 2, "got") == 2 and at(s, 2).pending == 0


def test_errno_is_eintr_after_the_handler_even_if_the_handler_changed_it():
    # SEMANTICS 6.7: pause() returns -1 EINTR *after* the handler ran. The
    # -EINTR is in the saved registers (handle_signal sets regs->ax), and the
    # libc wrapper writes errno only when rt_sigreturn has brought it back,
    # so a failing call inside the handler cannot leave its errno behind
    k = kernel("""
        program main {
            handler h { kill(99, 0) }
            sigaction(SIGUSR1, h, 0)
            c = fork { kill(getppid(), SIGUSR1) }
            r = pause()
            e = errno
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3, 2)
    s = go(k, s, 2)  # kill(99, 0) in the handler: ESRCH
    assert at(s, 2).errno == ESRCH
    s = go(k, s, 2, 2)  # end of handler; e = errno
    assert (local(k, s, 2, "r"), local(k, s, 2, "e")) == (-1, EINTR)


def test_pause_is_woken_by_a_handled_signal_and_returns_eintr_after_the_handler():
    # sys_pause: TASK_INTERRUPTIBLE until signal_pending; -ERESTARTNOHAND ->
    # EINTR once a handler ran, SA_RESTART or not (S22, 6.7)
    k = kernel("""
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGUSR1, h)
            c = fork { kill(getppid(), SIGUSR1) }
            r = pause()
            e = errno
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert at(s, 2).state == SLEEPING and nxt(k, s, 2) == "r = pause()"
    s = go(k, s, 3)
    assert (at(s, 2).state, at(s, 2).shared) == (RUNNING, USR1)
    st = one(k, s, 2)
    assert taken(st) == [(SIGUSR1, "handler")]
    assert E.Interrupted("r = pause()", False) in st.events
    s = go(k, st.target, 2, 2)  # type: ignore[arg-type]  # got = 1; end of handler
    assert (var(k, s, 2, "got"), local(k, s, 2, "r"), at(s, 2).errno) == (1, -1, EINTR)
    assert nxt(k, s, 2) == "e = errno" and at(s, 2).blocked == 0


@pytest.mark.parametrize("call", ["pause()", "sigsuspend({})"])
def test_pause_is_not_ended_by_a_signal_without_a_handler(call):
    # S22: a signal that is ignored (SIGCHLD at SIG_DFL) does not end pause()
    # or sigsuspend(): the child's exit (do_notify_parent -> __wake_up_parent,
    # which wakes only wait4 sleepers) leaves the parent asleep. Found by this
    # file: Kernel.wait_selection crashed on the pause/sigsuspend call tuple
    k = kernel(f"""
        program main {{
            c = fork {{ exit 0 }}
            {call}
        }}
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert at(s, 2).state == SLEEPING and at(s, 3).state == ZOMBIE
    assert steps_of(k, s, 2) == []


def test_sigsuspend_swaps_the_mask_and_restores_it_after_the_handler():
    # sys_rt_sigsuspend: saved_sigmask = blocked, blocked = set; the handler
    # runs with set | sig, and sigreturn restores the saved mask; -EINTR
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { kill(getppid(), SIGUSR1) }
            r = sigsuspend({SIGUSR2})
            e = errno
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)
    assert (at(s, 2).state, at(s, 2).blocked) == (SLEEPING, USR2)
    s = go(k, s, 3, 2)  # the child's kill wakes it; it takes SIGUSR1
    assert at(s, 2).blocked == USR2 | USR1
    s = go(k, s, 2, 2)  # skip; end of handler
    me = at(s, 2)
    assert (me.blocked, me.errno, local(k, s, 2, "r")) == (USR1, EINTR, -1)
    assert nxt(k, s, 2) == "e = errno"


def test_a_blocking_wait_interrupted_by_a_handler_without_sa_restart_fails_with_eintr():
    # do_wait -> -ERESTARTSYS; handle_signal without SA_RESTART -> -EINTR (W14)
    k = kernel("""
        program main {
            handler h { skip }
            sigaction(SIGUSR1, h, 0)
            c = fork {
                kill(getppid(), SIGUSR1)
                pause()
            }
            w = wait()
            e = errno
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert at(s, 2).state == RUNNING
    st = one(k, s, 2)
    assert E.Interrupted("w = wait()", False) in st.events
    s = go(k, st.target, 2, 2)  # type: ignore[arg-type]
    assert (local(k, s, 2, "w"), at(s, 2).errno, nxt(k, s, 2)) == (FAILED, EINTR, "e = errno")


def test_a_blocking_wait_interrupted_by_an_sa_restart_handler_restarts():
    # handle_signal: -ERESTARTSYS with SA_RESTART -> the syscall is restarted
    # after the handler: the wait goes on and returns the child (W14)
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            c = fork {
                kill(getppid(), SIGUSR1)
                exit 4
            }
            w = wait()
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3)
    st = one(k, s, 2)
    assert E.Interrupted("w = wait()", True) in st.events
    s = go(k, st.target, 2, 2)  # type: ignore[arg-type]  # skip; end of handler
    assert nxt(k, s, 2) == "w = wait()" and local(k, s, 2, "w") is None
    s = go(k, s, 2)  # the restarted wait: the child still runs, so it sleeps
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3, 2)
    assert local(k, s, 2, "w") == exited(3, 4) and at(s, 2).errno == 0


def test_a_stop_during_a_blocking_wait_restarts_it_after_sigcont():
    # do_wait -> -ERESTARTSYS; no handler runs (the signal stopped the task),
    # so the call is restarted transparently after SIGCONT (W14, S21)
    k = kernel("""
        start main, other
        program main {
            c = fork { exit 6 }
            w = wait()
            exit 0
        }
        program other {
            kill(2, SIGSTOP)
            kill(2, SIGCONT)
        }
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3, 2)  # SIGSTOP wakes it; it takes it and stops
    assert at(s, 2).state == STOPPED and nxt(k, s, 2) == "w = wait()"
    s = go(k, s, 4)  # the child exits while its parent is stopped
    assert at(s, 2).state == STOPPED and at(s, 4).state == ZOMBIE
    s = go(k, s, 3, 2)  # SIGCONT; CLD_CONTINUED to init
    assert at(s, 2).state == RUNNING and local(k, s, 2, "w") is None
    s = go(k, s, 2)  # the restarted wait reaps the child
    assert (local(k, s, 2, "w"), at(s, 2).errno) == (exited(4, 6), 0)


def test_a_woken_wait_returns_a_reportable_child_before_the_handler_runs():
    # do_wait scans before it tests signal_pending (SEMANTICS 5.5): the exit
    # that sends SIGCHLD also makes the child reportable, so the wait returns
    # it and the handler (no SA_RESTART) runs afterwards
    k = kernel("""
        program main {
            var got = 0
            handler h { got = 1 }
            sigaction(SIGCHLD, h, 0)
            c = fork { exit 3 }
            w = wait()
            exit 0
        }
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert (at(s, 2).state, at(s, 2).shared) == (RUNNING, CHLD)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == exited(3, 3) and at(s, 2).errno == 0
    assert at(s, 2).shared == CHLD and var(k, s, 2, "got") == 0
    st = one(k, s, 2)
    assert taken(st) == [(SIGCHLD, "handler")]


def test_a_fatal_signal_ends_the_process_and_wait_reports_it():
    # complete_signal marks the group exit and wakes the sleeper; its next
    # step is do_group_exit(SIGTERM); wait_task_zombie reports WTERMSIG
    k = kernel("""
        program main {
            c = fork { pause() }
            kill(c, SIGTERM)
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 3)
    assert at(s, 3).state == SLEEPING
    s = go(k, s, 2)
    child = at(s, 3)
    assert (child.state, child.group_exit) == (RUNNING, GROUP_EXIT | SIGTERM)
    s = go(k, s, 2)  # the parent runs first: the child is not dead yet
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert (at(s, 3).state, at(s, 3).xstatus, at(s, 2).state) == (ZOMBIE, SIGTERM, RUNNING)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == signaled(3, SIGTERM)
    assert pids(s) == [1, 2]


# ================================================================ 5. masks


def test_sigprocmask_block_unblock_setmask_and_kill_stop_left_out():
    # sigprocmask: SIG_BLOCK |=, SIG_UNBLOCK &= ~, SIG_SETMASK =; an unknown
    # `how` -> -EINVAL, mask unchanged; sigdelsetmask(SIGKILL|SIGSTOP) silently
    k = kernel("""
        program main {
            r1 = sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})
            r2 = sigprocmask(SIG_UNBLOCK, {SIGUSR1})
            r3 = sigprocmask(SIG_SETMASK, {SIGHUP, SIGTERM})
            r4 = sigprocmask(3, {SIGUSR1})
            e4 = errno
            r5 = sigprocmask(SIG_BLOCK, {SIGKILL, SIGSTOP, SIGUSR1})
            r6 = sigprocmask(SIG_SETMASK, {})
            exit 0
        }
    """)
    s = k.initial()
    masks = []
    for _ in range(7):
        s = go(k, s, 2)
        masks.append(at(s, 2).blocked)
    hup_term = sigmask(SIGHUP) | sigmask(SIGTERM)
    assert masks == [USR1 | USR2, USR2, hup_term, hup_term, hup_term, hup_term | USR1, 0]
    rets = [local(k, s, 2, n) for n in ("r1", "r2", "r3", "r4", "e4", "r5", "r6")]
    assert rets == [0, 0, 0, -1, EINVAL, 0, 0]


def test_a_blocked_fatal_signal_waits_for_the_unblock():
    # complete_signal: a signal the only thread blocks is not fatal yet
    # (S9); once unblocked, get_signal -> do_group_exit
    k = kernel("""
        program main {
            c = fork {
                sigprocmask(SIG_BLOCK, {SIGTERM})
                raise(SIGTERM)
                sigprocmask(SIG_UNBLOCK, {SIGTERM})
                exit 0
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 3, 3)
    assert (at(s, 3).pending, at(s, 3).group_exit) == (sigmask(SIGTERM), 0)
    s = go(k, s, 3)
    assert nxt(k, s, 3) == "exit 0"
    st = one(k, s, 3)
    assert taken(st) == [(SIGTERM, "kills")]
    s = go(k, st.target, 2)  # type: ignore[arg-type]
    assert local(k, s, 2, "w") == signaled(3, SIGTERM)


def test_block_sigchld_fork_sigsuspend_never_loses_the_wakeup():
    # the classic pattern: SIGCHLD blocked across the test, sigsuspend({})
    # unblocks and sleeps atomically, so a child that exits early leaves
    # SIGCHLD pending and sigsuspend returns at once
    ok = """
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGCHLD, h)
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            c = fork { exit 0 }
            while got == 0 { sigsuspend({}) }
            w = wait()
        }
        check no_deadlock, zombies_reaped
        observe main.got, main.w.pid
    """
    r = check(ok)
    assert r.exit_code == EXIT_OK, [(p.name, p.message) for p in r.properties]
    assert [o.values for o in r.outcomes] == [(1, 3)]
    # state level: the child exits before the sigsuspend; it does not sleep
    k = kernel(ok)
    s = go(k, k.initial(), 2, 2, 2, 3, 2)  # ..., fork, child exits, loop test
    assert (at(s, 2).shared, nxt(k, s, 2)) == (CHLD, "sigsuspend({})")
    s = go(k, s, 2)
    assert at(s, 2).state == RUNNING and at(s, 2).blocked == 0
    st = one(k, s, 2)
    assert taken(st) == [(SIGCHLD, "handler")]
    # without the mask: the check-then-pause race
    racy = """
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGCHLD, h)
            c = fork { exit 0 }
            while got == 0 { pause() }
            w = wait()
        }
        check no_deadlock
    """
    r = check(racy)
    assert r.exit_code == EXIT_FAIL
    assert "sleeps in `pause()`" in violated(r, "no_deadlock")


# ================================================================ 6. SIGCHLD, stop, continue


def test_exit_sends_sigchld_to_the_parent():
    # exit_notify -> do_notify_parent(tsk, exit_signal): SIGCHLD to the
    # parent's process; SIG_DFL ignores it unless blocked
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            c = fork { exit 0 }
            d = fork { exit 0 }
            sigprocmask(SIG_UNBLOCK, {SIGCHLD})
            wait()
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2)
    st = one(k, s, 3)
    assert sent(st, SIGCHLD, 2, 3) == ["pending"]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == CHLD
    s = go(k, s, 2, 2)  # fork d; unblock -> SIGCHLD is now deliverable
    st = one(k, s, 2)
    assert taken(st) == [(SIGCHLD, "ignored")]
    s = st.target  # type: ignore[assignment]
    st = one(k, s, 4)
    assert sent(st, SIGCHLD, 2, 4) == ["dropped"]
    assert at(st.target, 2).shared == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("install", "sent"),
    [("signal(SIGCHLD, SIG_IGN)", 0), ("sigaction(SIGCHLD, SIG_DFL, SA_NOCLDWAIT)", CHLD)],
)
def test_sigchld_ignored_or_nocldwait_releases_the_child_at_once(install, sent):
    # do_notify_parent: SIG_IGN or SA_NOCLDWAIT -> autoreap: release_task in
    # the exit step, no zombie; a later wait has no child: ECHILD (4.4, 5.4).
    # With SIG_IGN no SIGCHLD is sent at all (sig = 0), so even a blocked one
    # is not left pending; with SA_NOCLDWAIT alone it is sent
    k = kernel(f"""
        program main {{
            sigprocmask(SIG_BLOCK, {{SIGCHLD}})
            {install}
            c = fork {{ exit 3 }}
            w = wait()
            e = errno
        }}
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert at(s, 2).children == (3,)
    s = go(k, s, 3)
    assert pids(s) == [1, 2] and at(s, 2).children == ()
    assert at(s, 2).shared == sent
    s = go(k, s, 2)
    assert (local(k, s, 2, "w"), at(s, 2).errno) == (FAILED, ECHILD)


def test_a_blocking_wait_with_sigchld_ignored_sleeps_until_every_child_is_gone():
    # W15: every exit wakes the waiter (__wake_up_parent) but leaves no zombie;
    # it rescans and sleeps while a child lives, then returns ECHILD
    k = kernel("""
        program main {
            signal(SIGCHLD, SIG_IGN)
            a = fork { exit 1 }
            b = fork { exit 2 }
            w = wait()
            e = errno
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert pids(s) == [1, 2, 4] and at(s, 2).state == RUNNING
    s = go(k, s, 2)
    assert at(s, 2).state == SLEEPING and local(k, s, 2, "w") is None
    s = go(k, s, 4)
    assert pids(s) == [1, 2] and at(s, 2).state == RUNNING
    s = go(k, s, 2)
    assert (local(k, s, 2, "w"), at(s, 2).errno) == (FAILED, ECHILD)


def test_sa_nocldwait_with_a_handler_releases_the_child_and_runs_the_handler():
    # do_notify_parent: SA_NOCLDWAIT with a handler: autoreap, but SIGCHLD is
    # still sent and its handler runs (4.4, tried)
    k = kernel("""
        program main {
            var got = 0
            handler h { got = got + 1 }
            sigaction(SIGCHLD, h, SA_NOCLDWAIT)
            c = fork { exit 0 }
            skip
            exit got
        }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert pids(s) == [1, 2] and at(s, 2).shared == CHLD
    st = one(k, s, 2)
    assert taken(st) == [(SIGCHLD, "handler")]
    s = go(k, st.target, 2)  # type: ignore[arg-type]
    assert var(k, s, 2, "got") == 1


def test_a_sleeping_wait_with_nocldwait_and_a_handler_returns_echild_then_the_handler_runs():
    # do_wait: the woken scan finds no child left (autoreaped) -> -ECHILD,
    # which is returned even though SIGCHLD is pending (only -ERESTARTSYS
    # looks at signals); the handler runs on the way back (W15, 4.4)
    k = kernel("""
        program main {
            handler h { skip }
            sigaction(SIGCHLD, h, SA_NOCLDWAIT)
            c = fork { exit 0 }
            w = wait()
            e = errno
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3)
    assert pids(s) == [1, 2] and (at(s, 2).state, at(s, 2).shared) == (RUNNING, CHLD)
    s = go(k, s, 2)
    assert (local(k, s, 2, "w"), at(s, 2).errno, at(s, 2).shared) == (FAILED, ECHILD, CHLD)
    st = one(k, s, 2)
    assert taken(st) == [(SIGCHLD, "handler")]


def test_wnohang_with_sigchld_ignored_returns_zero_then_echild():
    # W15: with WNOHANG, 0 while a child lives, ECHILD once it is gone
    k = kernel("""
        program main {
            signal(SIGCHLD, SIG_IGN)
            c = fork { exit 0 }
            w = waitpid(-1, WNOHANG)
            w2 = waitpid(-1, WNOHANG)
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3, 2)
    assert local(k, s, 2, "w") == NOTHING_YET
    assert (local(k, s, 2, "w2"), at(s, 2).errno) == (FAILED, ECHILD)


def test_an_inherited_zombie_is_released_when_the_new_parent_ignores_sigchld():
    # forget_original_parent -> reparent_leader -> do_notify_parent for a
    # zombie: the new parent (a subreaper) ignores SIGCHLD, so it is
    # released at once (SEMANTICS 4.3)
    k = kernel("""
        program main {
            set_subreaper()
            signal(SIGCHLD, SIG_IGN)
            c = fork {
                signal(SIGCHLD, SIG_DFL)
                d = fork { exit 5 }
                exit 0
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3, 3, 4)
    assert (at(s, 4).state, at(s, 4).ppid) == (ZOMBIE, 3)
    st = one(k, s, 3)
    assert E.Released(4) in st.events and E.Released(3) in st.events
    assert pids(st.target) == [1, 2] and at(st.target, 2).children == ()  # type: ignore[arg-type]


STOP_TEXT = """
    program main {
        sigprocmask(SIG_BLOCK, {SIGCHLD})
        %s
        c = fork { pause() }
        kill(c, SIGSTOP)
        w = waitpid(c, WUNTRACED)
        w2 = waitpid(c, WUNTRACED | WNOHANG)
        kill(c, %s)
        w3 = wait()
    }
"""


def _stopped(k: Kernel) -> State:
    """main (2) has sent SIGSTOP to its paused child (3), which has stopped."""
    s = go(k, k.initial(), 2, 2, 2, 3, 2)
    assert (at(s, 3).state, at(s, 3).shared) == (RUNNING, sigmask(SIGSTOP))
    return go(k, s, 3)


def test_sigstop_stops_the_child_and_notifies_the_parent_with_sigchld():
    # get_signal -> do_signal_stop: T, group_exit_code = SIGSTOP;
    # do_notify_parent_cldstop(CLD_STOPPED): SIGCHLD to the parent (6.8)
    k = kernel(STOP_TEXT % ("skip", "SIGKILL"))
    s = _stopped(k)
    child = at(s, 3)
    assert (child.state, child.stop_code, child.shared) == (STOPPED, SIGSTOP, 0)
    assert at(s, 2).shared == CHLD


def test_sa_nocldstop_suppresses_the_stop_sigchld_but_not_the_wakeup():
    # do_notify_parent_cldstop: no SIGCHLD when the parent has SA_NOCLDSTOP,
    # but __wake_up_parent still wakes a waiter, and WUNTRACED reports it
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            sigaction(SIGCHLD, SIG_DFL, SA_NOCLDSTOP)
            c = fork { raise(SIGSTOP) }
            w = waitpid(c, WUNTRACED)
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2, 3)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 3)
    assert (at(s, 3).state, at(s, 2).shared, at(s, 2).state) == (STOPPED, 0, RUNNING)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == Status(3, False, 0, False, SIGSTOP, True, False)
    s = go(k, s, 2)  # kill(c, SIGKILL) ... but first: SIGCONT's report
    assert at(s, 3).group_exit == GROUP_EXIT | SIGKILL


def test_sa_nocldstop_suppresses_the_continue_sigchld_too():
    # do_notify_parent_cldstop(CLD_CONTINUED): same SA_NOCLDSTOP rule (6.8)
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            sigaction(SIGCHLD, SIG_DFL, SA_NOCLDSTOP)
            c = fork { pause() }
            kill(c, SIGSTOP)
            kill(c, SIGCONT)
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 3, 2, 3, 2)
    assert at(s, 3).continued == CONT_REPORT | CONT_NOTIFY
    st = one(k, s, 3)
    assert taken(st) == [(0, "CLD_CONTINUED")]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == 0 and at(s, 3).continued == CONT_REPORT


def test_waitpid_wuntraced_reports_a_stop_once():
    # wait_task_stopped: reports (SIGSTOP << 8) | 0x7f and clears
    # group_exit_code, so a second WUNTRACED wait finds nothing (W8)
    k = kernel(STOP_TEXT % ("skip", "SIGKILL"))
    s = go(k, _stopped(k), 2)
    assert local(k, s, 2, "w") == Status(3, False, 0, False, SIGSTOP, True, False)
    assert (at(s, 3).stop_code, at(s, 3).state) == (0, STOPPED)
    s = go(k, s, 2)
    assert local(k, s, 2, "w2") == NOTHING_YET


def test_sigkill_kills_a_stopped_process_at_once():
    # complete_signal: SIGKILL is wanted even by a stopped thread; the group
    # exit wakes it (signal_wake_up fatal) and it dies (S15)
    k = kernel(STOP_TEXT % ("skip", "SIGKILL"))
    s = go(k, _stopped(k), 2, 2, 2)
    child = at(s, 3)
    assert (child.state, child.group_exit) == (RUNNING, GROUP_EXIT | SIGKILL)
    s = go(k, s, 3)
    assert (at(s, 3).state, at(s, 3).xstatus) == (ZOMBIE, SIGKILL)
    s = go(k, s, 2)
    assert local(k, s, 2, "w3") == signaled(3, SIGKILL)


def test_sigterm_to_a_stopped_process_stays_pending_and_kills_at_sigcont():
    # wants_signal: a stopped thread does not want SIGTERM, so no group exit;
    # SIGCONT wakes it and get_signal dequeues SIGTERM -> do_group_exit (S15)
    k = kernel("""
        program main {
            c = fork { pause() }
            kill(c, SIGSTOP)
            kill(c, SIGTERM)
            kill(c, SIGCONT)
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 3, 2, 3)
    assert at(s, 3).state == STOPPED
    s = go(k, s, 2)
    child = at(s, 3)
    assert (child.state, child.shared, child.group_exit) == (STOPPED, sigmask(SIGTERM), 0)
    assert steps_of(k, s, 3) == []
    s = go(k, s, 2)
    assert at(s, 3).state == RUNNING
    kinds = []
    while at(s, 3).state != ZOMBIE:
        st = one(k, s, 3)
        kinds += taken(st)
        s = st.target  # type: ignore[assignment]
    assert (SIGTERM, "kills") in kinds
    assert at(s, 3).xstatus == SIGTERM
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == signaled(3, SIGTERM)


def test_sigcont_resumes_even_when_blocked_and_wcontinued_reports_it_once():
    # prepare_signal(SIGCONT): whatever its action and mask, wakes the stopped
    # threads and sets SIGNAL_STOP_CONTINUED | SIGNAL_CLD_CONTINUED; SIGCONT
    # itself stays pending (blocked); wait_task_continued reports 0xffff once
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            c = fork {
                sigprocmask(SIG_BLOCK, {SIGCONT})
                pause()
            }
            kill(c, SIGSTOP)
            kill(c, SIGCONT)
            w = waitpid(c, WCONTINUED)
            w2 = waitpid(c, WCONTINUED | WNOHANG)
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 3, 3, 2, 3)
    assert at(s, 3).state == STOPPED and at(s, 2).shared == CHLD
    s = go(k, s, 2)
    child = at(s, 3)
    assert (child.state, child.continued, child.shared, child.stop_code) == (
        RUNNING,
        CONT_REPORT | CONT_NOTIFY,
        sigmask(SIGCONT),
        0,
    )
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == Status(3, False, 0, False, 0, False, True)
    assert at(s, 3).continued == CONT_NOTIFY
    s = go(k, s, 2)
    assert local(k, s, 2, "w2") == NOTHING_YET


def test_sigcont_continues_even_when_its_action_is_sig_ign():
    # prepare_signal acts before sig_ignored: an ignored SIGCONT is dropped
    # but still wakes the stopped process (S14: "whatever its action")
    k = kernel("""
        program main {
            c = fork {
                signal(SIGCONT, SIG_IGN)
                pause()
            }
            kill(c, SIGSTOP)
            r = kill(c, SIGCONT)
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 3, 3, 2, 3)
    assert at(s, 3).state == STOPPED
    st = one(k, s, 2)
    assert sent(st, SIGCONT, 3) == ["dropped"]
    child = at(st.target, 3)  # type: ignore[arg-type]
    assert (child.state, child.shared, child.continued) == (RUNNING, 0, CONT_REPORT | CONT_NOTIFY)


def test_sigcont_notifies_the_parent_with_cld_continued():
    # SIGNAL_CLD_CONTINUED: the continued child's first get_signal sends the
    # parent SIGCHLD (do_notify_parent_cldstop(CLD_CONTINUED))
    k = kernel("""
        program main {
            c = fork { pause() }
            kill(c, SIGSTOP)
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            kill(c, SIGCONT)
            kill(c, SIGKILL)
            wait()
        }
    """)
    s = go(k, k.initial(), 2, 3, 2, 3)
    assert at(s, 3).state == STOPPED
    s = go(k, s, 2, 2)
    assert at(s, 2).shared == 0 and at(s, 3).continued & CONT_NOTIFY
    st = one(k, s, 3)
    assert taken(st) == [(0, "CLD_CONTINUED")]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == CHLD and at(s, 3).continued == CONT_REPORT
    s = go(k, s, 3)  # back in pause: nothing deliverable, it sleeps again
    assert at(s, 3).state == SLEEPING


def test_a_stop_signal_discards_a_pending_sigcont_and_sigcont_discards_stops():
    # prepare_signal: a stop signal flushes SIGCONT from every set; SIGCONT
    # flushes SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU from every set (6.8, S13, S14)
    cont, tstp, ttin = sigmask(SIGCONT), sigmask(SIGTSTP), sigmask(SIGTTIN)
    tx = tx_of(init((2,)), task(2, blocked=cont | tstp, shared=cont, pending=cont))
    send_signal(tx, SIGTSTP, 2, True, None)
    t = tx.get(2)
    assert t is not None and (t.shared, t.pending) == (tstp, 0)
    tx = tx_of(init((2,)), task(2, blocked=tstp | ttin, shared=tstp, pending=ttin))
    send_signal(tx, SIGCONT, 2, True, None)
    t = tx.get(2)
    assert t is not None and (t.shared, t.pending) == (0, 0)  # SIGCONT itself: ignored


# ================================================================ 7. faults


def test_wait_fault_adds_the_eintr_branch_of_a_blocking_wait():
    # faults { wait }: a blocking wait may also return -1 EINTR; a wait that
    # reaps at once has no such branch
    k = kernel("""
        faults { wait }
        program main {
            c = fork { exit 0 }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2)
    outs = sorted(
        ((at(st.target, 2).state, local(k, st.target, 2, "w"), at(st.target, 2).errno))  # type: ignore[arg-type]
        for st in steps_of(k, s, 2)
    )
    assert outs == [(RUNNING, FAILED, EINTR), (SLEEPING, None, 0)]
    zombie = go(k, s, 3)
    (st,) = steps_of(k, zombie, 2)
    assert local(k, st.target, 2, "w") == exited(3, 0)  # type: ignore[arg-type]


def test_kill_fault_adds_the_eperm_branch_and_kill_minus_one_still_returns_zero():
    # faults { kill }: check_kill_permission refuses (EPERM) and nothing is
    # sent; kill(-1) ignores EPERM and returns 0 (S10)
    k = kernel("""
        faults { kill }
        program main {
            c = fork { pause() }
            r = kill(c, SIGTERM)
            r2 = kill(-1, SIGTERM)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2)
    outs = {
        (local(k, st.target, 2, "r"), at(st.target, 2).errno, at(st.target, 3).group_exit)  # type: ignore[arg-type]
        for st in steps_of(k, s, 2)
    }
    assert outs == {(0, 0, GROUP_EXIT | SIGTERM), (-1, EPERM, 0)}
    refused = next(st.target for st in steps_of(k, s, 2) if local(k, st.target, 2, "r") == -1)  # type: ignore[arg-type]
    outs = {
        (local(k, st.target, 2, "r2"), at(st.target, 2).errno, at(st.target, 3).group_exit)  # type: ignore[arg-type]
        for st in steps_of(k, refused, 2)  # type: ignore[arg-type]
    }
    assert outs == {(0, EPERM, GROUP_EXIT | SIGTERM), (0, EPERM, 0)}


def test_kill_fault_never_refuses_the_callers_own_process():
    # check_kill_permission: same_thread_group(current, t) is always allowed
    # (linux-reference S11), so kill(getpid()) cannot fail with EPERM, and
    # kill(0), whose group holds the caller, succeeds (__kill_pgrp_info
    # returns 0 when one send succeeded)
    k = kernel("""
        faults { kill }
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            r = kill(getpid(), SIGUSR1)
            r2 = kill(0, SIGUSR1)
            exit 0
        }
    """)
    s = go(k, k.initial(), 2)
    outs = {(local(k, st.target, 2, "r"), at(st.target, 2).shared) for st in steps_of(k, s, 2)}  # type: ignore[arg-type]
    assert outs == {(0, USR1)}
    s = go(k, s, 2)
    outs = {local(k, st.target, 2, "r2") for st in steps_of(k, s, 2)}  # type: ignore[arg-type]
    assert outs == {0}


# ================================================================ 8. no_deadlock


def test_pause_with_nobody_to_send_is_a_deadlock_that_says_why():
    # props/suite.py why_stuck: pause() ends only after a handler runs
    r = check("program main { pause() }\ncheck no_deadlock")
    assert r.exit_code == EXIT_FAIL
    msg = violated(r, "no_deadlock")
    assert "pid 2 (main) sleeps in `pause()`" in msg
    assert "only a handler ends it, and no signal has one" in msg
    r = check("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            signal(SIGUSR2, h)
            sigprocmask(SIG_BLOCK, {SIGUSR2})
            pause()
        }
        check no_deadlock
    """)
    assert "it waits for SIGUSR1, and no task is left to send it" in violated(r, "no_deadlock")
    r = check("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            pause()
        }
        check no_deadlock
    """)
    assert "every signal with a handler is blocked" in violated(r, "no_deadlock")


def test_a_stopped_process_with_nobody_to_continue_it_is_a_deadlock():
    # why_stuck: a T task resumes only with SIGCONT or SIGKILL
    r = check("program main { raise(SIGSTOP) }\ncheck no_deadlock")
    msg = violated(r, "no_deadlock")
    assert "pid 2 (main) is stopped at" in msg
    assert "only SIGCONT or SIGKILL resumes it" in msg


def test_sigsuspend_with_a_sender_is_not_a_deadlock():
    # the same sleep, with a child that sends the handled signal (blocked
    # until sigsuspend, so it cannot come too early): no_deadlock holds
    r = check("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            c = fork { kill(getppid(), SIGUSR1) }
            sigsuspend({})
            wait()
        }
        check no_deadlock
    """)
    (p,) = [p for p in r.properties if p.name == "no_deadlock"]
    assert p.status == HOLDS, p.message


def test_a_handler_taken_after_a_stop_inside_wait_interrupts_the_wait():
    # The stop is taken inside get_signal on the way out of wait4, with
    # -ERESTARTSYS in the registers; after SIGCONT, get_signal goes on,
    # dequeues SIGUSR1, and handle_signal turns the restart code into EINTR
    # (no SA_RESTART): p exits 1. If the stop lands before p calls wait, the
    # handler runs before the call, which then reaps c: p exits 2.
    r = check(
        """
        program main {
            var ready = 0
            var c = 0
            handler on_usr2 { ready = 1 }
            handler on_usr1 { kill(c, SIGKILL) }
            sigaction(SIGUSR2, on_usr2, 0)
            sigprocmask(SIG_BLOCK, {SIGUSR2})
            p = fork {
                sigaction(SIGUSR1, on_usr1, 0)
                c = fork { while true { skip } }
                kill(getppid(), SIGUSR2)
                w = wait()
                if w.pid == -1 { exit 1 }
                exit 2
            }
            while ready == 0 { sigsuspend({}) }
            kill(p, SIGSTOP)
            s = waitpid(p, WUNTRACED)
            kill(p, SIGUSR1)
            kill(p, SIGCONT)
            w2 = waitpid(p)
        }
        observe main.w2.code
        """
    )
    assert sorted(o.values for o in r.outcomes) == [(1,), (2,)]
