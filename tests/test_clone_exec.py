"""clone, vfork, threads, exit_group and exec, one test per rule.

Each test names the rule of ../shared/spec/linux-reference.md it states (F*
for clone and vfork, X* exec, E* exit, W* wait) and the kernel function that
implements it (kernel/fork.c, kernel/exit.c, kernel/signal.c, fs/exec.c), and
asserts what a program relies on: pids, parents, tgid, exit signals, states,
wait results, errno, which memory and which handler table are shared, the
pending and blocked sets. Scenarios are stepped one task at a time
(`go(k, s, pid, ...)`), as in tests/test_signals.py.

The model choices these tests take as documented behaviour: exec (with
de_thread) is one atomic step; a vfork parent sleeps in D with call
(IN_CALL, child) and, once woken (by the child's exec or exit, or by a fatal
signal), returns the pid in a later step of its own and, if killed, dies in
the step after; join sleeps in S and is never interrupted; a thread that
ends is released at once (ThreadEnded); a group leader that exits before its
threads keeps the group's fields until the last thread is released; the
last thread to exit fixes the status when no group exit was recorded.
"""

from __future__ import annotations

import pytest

from checker.kernel import clone_flags as CF
from checker.kernel import events as E
from checker.kernel.model import IN_CALL, Incomplete, Kernel, Step
from checker.kernel.signals import SIG_IGN, sigmask
from checker.kernel.state import (
    DISK_SLEEP,
    GROUP_EXIT,
    RUNNING,
    SLEEPING,
    ZOMBIE,
    State,
    get,
)
from checker.kernel.wait import FAILED, NOTHING_YET
from checker.lang.constants import (
    CLONE_FLAGS,
    EAGAIN,
    ECHILD,
    EDEADLK,
    EINVAL,
    ENOENT,
    ESRCH,
    SA_RESTART,
    SIGNALS,
)
from checker.results import EXIT_OK, HOLDS
from tests.conftest import check, kernel
from tests.test_signals import (
    at,
    exited,
    go,
    local,
    one,
    pids,
    signaled,
    steps_of,
    table,
    var,
)

SIGKILL = SIGNALS["SIGKILL"]
SIGUSR1 = SIGNALS["SIGUSR1"]
SIGUSR2 = SIGNALS["SIGUSR2"]
SIGTERM = SIGNALS["SIGTERM"]
SIGQUIT = SIGNALS["SIGQUIT"]
SIGCHLD = SIGNALS["SIGCHLD"]

USR1, USR2, CHLD, KILL = sigmask(SIGUSR1), sigmask(SIGUSR2), sigmask(SIGCHLD), sigmask(SIGKILL)

CLONE_NEWPID = CLONE_FLAGS["CLONE_NEWPID"]


# ---------------------------------------------------------------- helpers


def events(st: Step, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in st.events if isinstance(e, kind)]


def errno(s: State, pid: int) -> int:
    return at(s, pid).errno


def run_until_blocked(k: Kernel, s: State, pid: int, limit: int = 50) -> State:
    """Step task `pid` alone while it has exactly one step and is running."""
    for _ in range(limit):
        t = get(s.tasks, pid)
        if t is None or t.state != RUNNING or len(steps_of(k, s, pid)) != 1:
            return s
        s = one(k, s, pid).target  # type: ignore[assignment]
    raise AssertionError(f"pid {pid} still running after {limit} steps")


# ================================================================ 1. copy_process


def test_clone_vm_shares_vars_both_ways():
    # F20, kernel/fork.c copy_mm: CLONE_VM shares the address space, so a
    # `var` written by either task is read by the other
    k = kernel("""
        program main {
            var x = 0
            c = clone(CLONE_VM | SIGCHLD) {
                x = 1
                pause()
            }
            x = 2
            pause()
        }
    """)
    s = go(k, k.initial(), 2)
    assert at(s, 2).mm == at(s, 3).mm
    s = go(k, s, 3)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (1, 1)
    s = go(k, s, 2)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (2, 2)


def test_without_clone_vm_memory_is_copy_on_write():
    # F20, kernel/fork.c copy_mm -> dup_mm: the child starts with the
    # parent's values; later writes on either side stay on that side
    k = kernel("""
        program main {
            var x = 5
            c = clone(SIGCHLD) {
                x = 1
                pause()
            }
            x = 2
            pause()
        }
    """)
    s = go(k, k.initial(), 2)
    assert at(s, 2).mm != at(s, 3).mm
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (5, 5)
    s = go(k, s, 3)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (5, 1)
    s = go(k, s, 2)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (2, 1)


@pytest.mark.parametrize("spawn", ["clone(SIGCHLD)", "clone(CLONE_VM | SIGCHLD)", "thread"])
def test_locals_are_always_copied(spawn):
    # F18, kernel/fork.c dup_task_struct / copy_thread: registers and stack
    # are the new task's own, with or without CLONE_VM
    k = kernel(f"""
        program main {{
            a = 1
            c = {spawn} {{
                a = a + 10
                pause()
            }}
            a = 3
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 2)
    assert (local(k, s, 2, "a"), local(k, s, 3, "a")) == (1, 1)
    s = go(k, s, 3, 2)
    assert (local(k, s, 2, "a"), local(k, s, 3, "a")) == (3, 11)


def test_clone_sighand_shares_the_handler_table():
    # F20, kernel/fork.c copy_sighand: with CLONE_SIGHAND the child uses the
    # caller's table (refcount), so a handler the child installs is the
    # parent's too
    k = kernel("""
        program main {
            handler h { skip }
            c = clone(CLONE_VM | CLONE_SIGHAND | SIGCHLD) {
                signal(SIGUSR1, h)
                pause()
            }
            pause()
        }
    """)
    s = go(k, k.initial(), 2)
    assert at(s, 2).sighand == at(s, 3).sighand
    s = go(k, s, 3)
    assert table(s, 2) == table(s, 3) == ((SIGUSR1, "h", SA_RESTART),)


@pytest.mark.parametrize("flags", ["SIGCHLD", "CLONE_VM | SIGCHLD"])
def test_without_clone_sighand_the_child_gets_a_copy_of_the_table(flags):
    # F20, kernel/fork.c copy_sighand: a new sighand_struct with the caller's
    # actions; later changes on either side are not seen by the other
    k = kernel(f"""
        program main {{
            handler h {{ skip }}
            signal(SIGUSR2, h)
            c = clone({flags}) {{
                signal(SIGUSR1, h)
                pause()
            }}
            signal(SIGUSR2, SIG_IGN)
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 2).sighand != at(s, 3).sighand
    assert table(s, 3) == ((SIGUSR2, "h", SA_RESTART),)
    s = go(k, s, 3, 2)
    assert table(s, 2) == ((SIGUSR2, SIG_IGN, 0),)
    assert table(s, 3) == ((SIGUSR1, "h", SA_RESTART), (SIGUSR2, "h", SA_RESTART))


@pytest.mark.parametrize("spawn", ["thread", "clone(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)"])
def test_clone_thread_joins_the_callers_thread_group(spawn):
    # F21/F22, E6, W3/W4, kernel/fork.c copy_process (CLONE_THREAD): same
    # tgid, real parent = the caller's real parent, exit_signal -1, on no
    # children list; kernel/exit.c: waitpid(tid) is ECHILD (a tid is no
    # tgid), and the thread's exit is released at once, unseen by anyone
    k = kernel(f"""
        program main {{
            t = {spawn} {{
                g = getppid()
                exit_thread 4
            }}
            w = waitpid(t, __WALL | WNOHANG)
            e = errno
            pause()
        }}
    """)
    s = go(k, k.initial(), 2)
    th = at(s, 3)
    assert (th.pid, th.tgid, th.ppid, th.exit_signal) == (3, 2, 1, -1)
    assert at(s, 2).children == () and at(s, 1).children == (2,)
    assert local(k, s, 2, "t") == 3
    s = go(k, s, 2, 2)
    assert (local(k, s, 2, "w"), local(k, s, 2, "e")) == (FAILED, ECHILD)
    s = go(k, s, 3)
    assert local(k, s, 3, "g") == 1
    st = one(k, s, 3)
    assert events(st, E.ThreadEnded) == [E.ThreadEnded(3, 4 << 8)]
    assert not events(st, E.Exited) and not events(st, E.SignalSent)
    after = st.target
    assert pids(after) == [1, 2]
    assert (at(after, 1).shared, at(after, 2).shared) == (0, 0)


@pytest.mark.parametrize(
    ("creator", "leader_signal", "wait_option"),
    [("fork", SIGCHLD, "0"), ("clone(SIGUSR2)", SIGUSR2, "__WCLONE")],
)
def test_clone_parent_makes_a_sibling_with_the_leaders_exit_signal(
    creator, leader_signal, wait_option
):
    # F21/F22, kernel/fork.c copy_process (CLONE_PARENT): the real parent is
    # the caller's real parent, the child is appended to that parent's
    # children list, and its exit signal is the caller's group leader's
    # (here the caller is a thread, exit signal -1), not the low byte asked
    # for; the grandparent gets that signal and waits for it like for its
    # own child
    k = kernel(f"""
        program main {{
            sigprocmask(SIG_BLOCK, {{SIGCHLD, SIGUSR1, SIGUSR2}})
            b = {creator} {{
                t = thread {{
                    c = clone(CLONE_PARENT | SIGUSR1) {{
                        g = getppid()
                        exit 6
                    }}
                    pause()
                }}
                pause()
            }}
            w = waitpid(-1, {wait_option} | WNOHANG)
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 2, 3, 4)
    b, t, c = at(s, 3), at(s, 4), at(s, 5)
    assert (b.exit_signal, t.exit_signal, t.ppid) == (leader_signal, -1, 2)
    assert (c.pid, c.tgid, c.ppid, c.exit_signal) == (5, 5, 2, leader_signal)
    assert at(s, 2).children == (3, 5)
    assert (b.children, t.children) == ((), ())
    assert local(k, s, 4, "c") == 5
    s = go(k, s, 5)
    assert local(k, s, 5, "g") == 2
    s = go(k, s, 5)
    assert at(s, 5).state == ZOMBIE
    assert at(s, 2).shared == sigmask(leader_signal)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == exited(5, 6)
    assert at(s, 2).children == (3,)


@pytest.mark.parametrize("exit_signal", [0, SIGUSR1, 100])
def test_the_low_byte_is_the_exit_signal_and_wclone_or_wall_see_it(exit_signal):
    # F12/F21, kernel/fork.c SYSCALL_DEFINE5(clone): the low byte is the exit
    # signal, unvalidated (0: none, 100: no such signal, sent to nobody);
    # kernel/signal.c do_notify_parent sends it and wakes the waiters either
    # way; W4, kernel/exit.c eligible_child: a child whose exit signal is not
    # SIGCHLD is seen only with __WCLONE or __WALL, and a SIGCHLD child is
    # not seen with __WCLONE
    k = kernel(f"""
        program main {{
            sigprocmask(SIG_BLOCK, {{SIGCHLD, SIGUSR1}})
            c = clone({exit_signal}) {{ exit 3 }}
            a = waitpid(c, WNOHANG)
            ea = errno
            b = waitpid(c, __WCLONE)
            d = clone({exit_signal}) {{ exit 4 }}
            x = waitpid(-1, __WALL | WNOHANG)
            f = fork {{ exit 5 }}
            y = waitpid(f, __WCLONE | WNOHANG)
            ey = errno
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 3).exit_signal == exit_signal
    s = go(k, s, 2, 2)
    assert (local(k, s, 2, "a"), local(k, s, 2, "ea")) == (FAILED, ECHILD)
    s = go(k, s, 2)
    assert at(s, 2).state == SLEEPING
    st = one(k, s, 3)
    assert events(st, E.Woke) == [E.Woke((2,))]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == (USR1 if exit_signal == SIGUSR1 else 0)
    s = go(k, s, 2)
    assert local(k, s, 2, "b") == exited(3, 3)
    s = go(k, s, 2, 4, 2)
    assert local(k, s, 2, "x") == exited(4, 4)
    s = go(k, s, 2, 5, 2, 2)
    assert (local(k, s, 2, "y"), local(k, s, 2, "ey")) == (FAILED, ECHILD)
    assert at(s, 5).state == ZOMBIE


# The words that break exactly one rule each, in RULES order; F6 is the
# init's (a user `init { }` makes the call).
EINVAL_CASES = [
    ("F9", "CLONE_PIDFD | CLONE_PARENT_SETTID", False),
    ("F1", "CLONE_NEWNS | CLONE_FS", False),
    ("F2", "CLONE_NEWUSER | CLONE_FS", False),
    ("F4", "CLONE_THREAD", False),
    ("F5", "CLONE_SIGHAND", False),
    ("F6", "CLONE_PARENT", True),
    ("F7", "CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER", False),
    ("F7", "CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWPID", False),
    ("F8", "CLONE_PIDFD | CLONE_DETACHED", False),
    ("F10", "CLONE_NEWIPC | CLONE_SYSVSEM", False),
]


def test_every_einval_rule_has_a_case():
    # clone_flags.RULES is the model's table: each row is tested below
    assert [ref for ref, _, _ in EINVAL_CASES] == [r.ref for r in CF.RULES]


@pytest.mark.parametrize(("ref", "flags", "from_init"), EINVAL_CASES)
def test_an_invalid_flag_combination_fails_with_einval_and_creates_nothing(ref, flags, from_init):
    # F1-F10, kernel/fork.c kernel_clone / copy_process, kernel/nsproxy.c
    # copy_namespaces: the call returns -1 with errno EINVAL before anything
    # is allocated (no task, no pid used); the flags come from memory, so it
    # is the running model that refuses them
    body = f"""
        var f = {flags}
        r = clone(f | SIGCHLD) {{ exit 0 }}
        e = errno
        while true {{ skip }}
    """
    if from_init:
        k = kernel(f"init {{ {body} }}\nprogram main {{ pause() }}")
        caller = 1
    else:
        k = kernel(f"program main {{ {body} }}")
        caller = 2
    s0 = k.initial()
    word = s0.mems[at(s0, caller).mm][0]
    assert isinstance(word, int)
    (rule,) = CF.violations(word | SIGCHLD, from_init)
    assert rule.ref == ref
    st = one(k, s0, caller)
    assert events(st, E.Failed) == [E.Failed(EINVAL, rule.message)]
    s = st.target
    assert pids(s) == pids(s0) and s.last_pid == s0.last_pid  # type: ignore[union-attr]
    s = go(k, s, caller)  # type: ignore[arg-type]
    assert (local(k, s, caller, "r"), local(k, s, caller, "e")) == (-1, EINVAL)


def test_an_init_may_create_threads_but_neither_it_nor_its_threads_clone_parent():
    # F6, kernel/fork.c copy_process: SIGNAL_UNKILLABLE is on init's
    # signal_struct, so CLONE_PARENT is refused to every thread of init;
    # CLONE_THREAD is not (an init may be multi-threaded, e17)
    k = kernel("""
        init {
            var f = CLONE_PARENT
            t = thread {
                r = clone(f | SIGCHLD) { exit 0 }
                e = errno
                while true { skip }
            }
            while true { skip }
        }
        program main { pause() }
    """)
    s = go(k, k.initial(), 1)
    th = at(s, 3)
    assert (th.tgid, th.ppid, th.exit_signal) == (1, 0, -1)
    assert at(s, 1).children == (2,)
    s = go(k, s, 3, 3)
    assert (local(k, s, 3, "r"), local(k, s, 3, "e")) == (-1, EINVAL)
    assert pids(s) == [1, 2, 3]


@pytest.mark.parametrize(
    ("flags", "thread"),
    [("CLONE_VM | CLONE_SIGHAND | CLONE_THREAD", True), ("CLONE_VM | SIGCHLD", False)],
)
def test_falling_off_a_clone_block_ends_the_thread_or_the_process(flags, thread):
    # LANGUAGE.md, E1/E6: the end of a clone block is exit_thread 0 when the
    # task is a thread (CLONE_THREAD) and exit 0 (exit_group) otherwise, also
    # when the flags are known only at run time
    k = kernel(f"""
        program main {{
            var f = {flags}
            c = clone(f) {{ skip }}
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 3)
    st = one(k, s, 3)
    s = st.target  # type: ignore[assignment]
    if thread:
        assert events(st, E.ThreadEnded) == [E.ThreadEnded(3, 0)]
        assert pids(s) == [1, 2]
    else:
        assert events(st, E.Exited) == [E.Exited(3, 0)]
        assert (at(s, 3).state, at(s, 3).ppid) == (ZOMBIE, 2)
    assert at(s, 2).state == RUNNING and at(s, 2).group_exit == 0


def test_clone_vfork_without_clone_vm_still_waits_for_the_child():
    # F12/F27, kernel/fork.c kernel_clone -> wait_for_vfork_done: the wait
    # does not depend on CLONE_VM; the child has its own (copied) memory
    k = kernel("""
        program main {
            var x = 0
            c = clone(CLONE_VFORK | SIGCHLD) {
                x = 1
                exit 2
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2)
    assert (at(s, 2).state, at(s, 2).call) == (DISK_SLEEP, (IN_CALL, 3))
    assert at(s, 2).mm != at(s, 3).mm
    assert at(s, 3).vfork_parent == 2
    assert steps_of(k, s, 2) == []
    s = go(k, s, 3)
    assert (var(k, s, 2, "x"), at(s, 2).state) == (0, DISK_SLEEP)
    st = one(k, s, 3)
    assert events(st, E.VforkDone) == [E.VforkDone(2)]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).state == RUNNING
    st = one(k, s, 2)
    assert events(st, E.VforkReturned) == [E.VforkReturned(3, False)]
    s = go(k, st.target, 2)  # type: ignore[arg-type]
    assert (local(k, s, 2, "c"), local(k, s, 2, "w")) == (3, exited(3, 2))


@pytest.mark.parametrize(
    "flag", ["CLONE_FS", "CLONE_FILES", "CLONE_SYSVSEM", "CLONE_SETTLS", "CLONE_DETACHED"]
)
def test_flags_without_a_visible_effect_are_accepted_and_act_like_fork(flag):
    # F12/F20, kernel/fork.c copy_process: these flags pass every check
    # (CLONE_DETACHED alone is ignored); what they share (fs, files, SysV
    # undo lists, TLS) is outside the model, so the child is a plain child
    k = kernel(f"""
        program main {{
            var x = 0
            c = clone({flag} | SIGCHLD) {{
                x = 1
                exit 3
            }}
            w = wait()
        }}
    """)
    s = go(k, k.initial(), 2)
    c = at(s, 3)
    assert (c.tgid, c.ppid, c.exit_signal, c.vfork_parent) == (3, 2, SIGCHLD, 0)
    assert at(s, 2).children == (3,)
    assert (c.mm, c.sighand) != (at(s, 2).mm, at(s, 2).sighand)
    s = go(k, s, 3, 3, 2)
    assert var(k, s, 2, "x") == 0
    assert local(k, s, 2, "w") == exited(3, 3)


def test_flags_above_32_bits_are_dropped_by_the_legacy_call():
    # kernel/fork.c SYSCALL_DEFINE5(clone): lower_32_bits(clone_flags), so
    # CLONE_CLEAR_SIGHAND (bit 32) does nothing and CLONE_THREAD moved up 32
    # bits neither makes a thread nor breaks F4
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            c = clone(CLONE_CLEAR_SIGHAND | CLONE_THREAD * 4294967296 | SIGCHLD) { pause() }
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2)
    c = at(s, 3)
    assert (c.tgid, c.ppid, c.exit_signal) == (3, 2, SIGCHLD)
    assert local(k, s, 2, "c") == 3
    assert table(s, 3) == ((SIGUSR1, "h", SA_RESTART),)


@pytest.mark.parametrize(
    "spawn",
    ["fork { exit 0 }", "vfork { exit 0 }", "clone(SIGCHLD) { exit 0 }", "thread { skip }"],
)
def test_fork_fault_gives_eagain_for_every_way_to_make_a_task(spawn):
    # F13-F15, kernel/fork.c copy_process / alloc_pid: faults { fork }
    # explores the EAGAIN return of fork, vfork, clone and pthread_create
    # alike: -1, errno EAGAIN, no task, and the caller goes on
    k = kernel(f"""
        faults {{ fork }}
        program main {{
            c = {spawn}
            e = errno
            pause()
        }}
    """)
    s0 = k.initial()
    made, failed = steps_of(k, s0, 2)
    assert pids(made.target) == [1, 2, 3]  # type: ignore[arg-type]
    assert events(failed, E.ForkFailed) == [E.ForkFailed(EAGAIN, "fault injected")]
    s = go(k, failed.target, 2)  # type: ignore[arg-type]
    assert pids(s) == [1, 2]
    assert (local(k, s, 2, "c"), local(k, s, 2, "e")) == (-1, EAGAIN)


def test_max_tasks_counts_threads():
    # F14, kernel/fork.c copy_process: nr_threads >= max_threads -> EAGAIN;
    # nr_threads counts every task, threads included (init, main, 2 threads)
    k = kernel("""
        config { max_tasks = 4 }
        program main {
            a = thread { pause() }
            b = thread { pause() }
            c = thread { pause() }
            e = errno
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2)
    assert pids(s) == [1, 2, 3, 4]
    st = one(k, s, 2)
    assert events(st, E.ForkFailed) == [E.ForkFailed(EAGAIN, "task table full (max_tasks)")]
    s = go(k, st.target, 2)  # type: ignore[arg-type]
    assert (local(k, s, 2, "c"), local(k, s, 2, "e")) == (-1, EAGAIN)


def _combinations() -> list[int]:
    """Every combination of the flags some EINVAL rule mentions."""
    bits = [CF.F[name] for name in CF.MENTIONED]
    out = []
    for n in range(1 << len(bits)):
        out.append(sum(bit for i, bit in enumerate(bits) if n >> i & 1))
    return out


def test_the_model_and_the_z3_encoding_agree_on_every_flag_combination():
    # kernel/fork.c kernel_clone/copy_process, kernel/nsproxy.c
    # copy_namespaces (F1-F10): for every combination of the flags the rules
    # mention, from an init and from any other caller, the model's clone step
    # fails with EINVAL exactly when the table (clone_flags.violations) and
    # the Z3 encoding (checker/symbolic/clone_flags.py) say so; a valid
    # combination with CLONE_NEWPID stops the search (pid namespaces are not
    # modelled)
    import z3

    from checker.symbolic import clone_flags as Z
    from checker.symbolic.z3expr import WIDTH

    body = """
        var f = 0
        r = clone(f | SIGCHLD) { exit 0 }
        while true { skip }
    """
    word_bv = z3.BitVec("word", WIDTH)
    caller_bv = z3.Bool("caller_init")
    z3_invalid = Z.any_invalid(word_bv, caller_bv)
    combos = _combinations()
    assert len(CF.MENTIONED) >= 13 and len(combos) == 1 << len(CF.MENTIONED)
    seen = {"einval": 0, "created": 0, "newpid": 0}
    for caller_init in (False, True):
        if caller_init:
            k = kernel(f"init {{ {body} }}\nprogram main {{ pause() }}")
        else:
            k = kernel(f"program main {{ {body} }}")
        s0 = k.initial()
        caller = at(s0, 1 if caller_init else 2)
        n = s0.tasks.index(caller)
        for flags in combos:
            mems = list(s0.mems)
            mems[caller.mm] = (flags,)
            s = s0._replace(mems=tuple(mems))
            word = flags | SIGCHLD
            table_says = bool(CF.violations(word, caller_init))
            z3_says = z3.simplify(
                z3.substitute(
                    z3_invalid,
                    (word_bv, z3.BitVecVal(word, WIDTH)),
                    (caller_bv, z3.BoolVal(caller_init)),
                )
            )
            assert z3.is_true(z3_says) or z3.is_false(z3_says)
            assert z3.is_true(z3_says) == table_says, (hex(word), caller_init)
            try:
                successors = k.successors(s)
            except Incomplete as err:
                assert "pid namespaces" in str(err)
                assert flags & CLONE_NEWPID and not table_says, (hex(word), caller_init)
                seen["newpid"] += 1
                continue
            (after,) = [x for x in successors if x.tasks[n] != s.tasks[n]]  # type: ignore[union-attr]
            assert isinstance(after, State)
            einval = after.tasks[n].errno == EINVAL
            assert einval == table_says, (hex(word), caller_init)
            assert len(after.tasks) == len(s.tasks) + (not einval), (hex(word), caller_init)
            seen["einval" if einval else "created"] += 1
    assert sum(seen.values()) == 2 * len(combos)
    assert all(seen.values()), seen


# ================================================================ 2. vfork


@pytest.mark.parametrize("release", ["exit 3", "exec other"])
def test_the_vfork_parent_sleeps_in_d_until_the_child_execs_or_exits(release):
    # F26/F27/X9, kernel/fork.c wait_for_vfork_done (TASK_KILLABLE) and
    # mm_release -> complete_vfork_done, from exit_mm or exec_mmap: the
    # parent takes no step until then; it returns the pid in a step of its own
    k = kernel(f"""
        program main {{
            c = vfork {{
                skip
                {release}
            }}
            w = wait()
        }}
        program other {{ exit 4 }}
    """)
    s = go(k, k.initial(), 2)
    assert (at(s, 2).state, at(s, 2).call, at(s, 3).vfork_parent) == (DISK_SLEEP, (IN_CALL, 3), 2)
    assert at(s, 2).mm == at(s, 3).mm
    assert steps_of(k, s, 2) == []
    s = go(k, s, 3)
    assert steps_of(k, s, 2) == []
    st = one(k, s, 3)
    assert events(st, E.VforkDone) == [E.VforkDone(2)]
    s = st.target  # type: ignore[assignment]
    assert (at(s, 2).state, at(s, 3).vfork_parent) == (RUNNING, 0)
    st = one(k, s, 2)
    assert events(st, E.VforkReturned) == [E.VforkReturned(3, False)]
    s = st.target  # type: ignore[assignment]
    assert (local(k, s, 2, "c"), at(s, 2).call) == (3, ())
    s = go(k, run_until_blocked(k, s, 3), 2)
    assert local(k, s, 2, "w") == exited(3, 3 if release == "exit 3" else 4)


def test_a_failed_exec_does_not_release_the_vfork_parent():
    # F27/X1, fs/exec.c: an exec that fails before the point of no return
    # (faults { exec }: -1 ENOENT) leaves the vfork wait as it is; the
    # child's exit then releases the parent
    k = kernel("""
        faults { exec }
        program main {
            c = vfork {
                exec other
                exit 5
            }
            w = wait()
        }
        program other { exit 4 }
    """)
    s = go(k, k.initial(), 2)
    execed, failed = steps_of(k, s, 3)
    assert at(execed.target, 2).state == RUNNING  # type: ignore[arg-type]
    assert events(failed, E.ExecFailed) == [E.ExecFailed(ENOENT)]
    s = failed.target  # type: ignore[assignment]
    assert (at(s, 2).state, at(s, 3).vfork_parent, errno(s, 3)) == (DISK_SLEEP, 2, ENOENT)
    s = go(k, s, 3)
    assert at(s, 2).state == RUNNING
    s = go(k, s, 2, 2)
    assert local(k, s, 2, "w") == exited(3, 5)


@pytest.mark.parametrize("signo", [SIGKILL, SIGTERM])
def test_a_fatal_signal_ends_the_vfork_wait_and_the_parent_dies_after_returning(signo):
    # F28, kernel/signal.c complete_signal (SIGKILL, or the fatal short-cut
    # of a SIG_DFL terminate signal) queues SIGKILL and wakes the killable
    # sleeper; kernel/fork.c wait_for_vfork_done clears the child's
    # vfork_done, kernel_clone returns, and the parent dies on its way out;
    # the child runs on and goes to init
    k = kernel(f"""
        start main, killer
        program main {{
            c = vfork {{
                skip
                exit 7
            }}
            w = wait()
        }}
        program killer {{ r = kill(2, {signo}) }}
    """)
    s = go(k, k.initial(), 2)
    assert at(s, 2).state == DISK_SLEEP and at(s, 4).vfork_parent == 2
    s = go(k, s, 3)
    assert at(s, 2).state == RUNNING
    assert at(s, 2).group_exit == GROUP_EXIT | signo
    st = one(k, s, 2)
    assert events(st, E.VforkReturned) == [E.VforkReturned(4, True)]
    s = st.target  # type: ignore[assignment]
    assert at(s, 4).vfork_parent == 0
    s = go(k, s, 2)
    assert at(s, 2).state == ZOMBIE and at(s, 2).xstatus == signo
    assert (at(s, 4).ppid, at(s, 4).state) == (1, RUNNING)
    s = go(k, s, 4)
    assert at(s, 4).state == RUNNING


@pytest.mark.parametrize(
    ("setup", "signo"),
    [
        ("skip", SIGQUIT),
        ("signal(SIGUSR1, h)", SIGUSR1),
        ("sigprocmask(SIG_BLOCK, {SIGTERM})", SIGTERM),
    ],
)
def test_other_signals_wait_for_the_vfork_child(setup, signo):
    # F28, kernel/signal.c: only a group kill ends a killable sleep. A
    # core-dump signal takes no short-cut (it kills at delivery, after the
    # wait), a caught one runs its handler after vfork returned, a blocked
    # fatal one stays pending
    k = kernel(f"""
        start main, killer
        program main {{
            handler h {{ got = 1 }}
            {setup}
            c = vfork {{ exit 7 }}
            d = c
            pause()
        }}
        program killer {{ r = kill(2, {signo}) }}
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert local(k, s, 3, "r") == 0
    assert (at(s, 2).state, at(s, 2).shared) == (DISK_SLEEP, sigmask(signo))
    assert steps_of(k, s, 2) == []
    s = go(k, s, 4)
    assert at(s, 2).state == RUNNING
    st = one(k, s, 2)
    assert events(st, E.VforkReturned) == [E.VforkReturned(4, False)]
    s = st.target  # type: ignore[assignment]
    assert local(k, s, 2, "c") == 4
    st = one(k, s, 2)
    if signo == SIGQUIT:
        s = st.target  # type: ignore[assignment]
        assert (at(s, 2).state, at(s, 2).xstatus) == (ZOMBIE, SIGQUIT)
    elif signo == SIGUSR1:
        assert [(e.sig, e.action) for e in events(st, E.SignalTaken)] == [(SIGUSR1, "handler h")]
    else:
        s = st.target  # type: ignore[assignment]
        assert local(k, s, 2, "d") == 4
        assert at(s, 2).shared == sigmask(SIGTERM)


def test_c_style_vfork_child_sees_zero_and_writes_the_parents_memory():
    # F29, LANGUAGE.md `X = vfork()`: the child continues after the call with
    # X = 0, in the parent's address space (CLONE_VM): what it writes there
    # before it exits is what the parent reads
    k = kernel("""
        program main {
            var x = 0
            v = vfork()
            if v == 0 {
                x = 7
                exit 0
            }
            y = x
        }
    """)
    s = go(k, k.initial(), 2)
    assert (local(k, s, 3, "v"), at(s, 2).state) == (0, DISK_SLEEP)
    s = go(k, s, 3, 3)
    assert var(k, s, 2, "x") == 7
    s = go(k, s, 3, 2)
    assert local(k, s, 2, "v") == 3
    s = go(k, s, 2, 2)
    assert local(k, s, 2, "y") == 7


def test_vfork_parent_blocked_holds_in_every_interleaving():
    # LANGUAGE.md vfork_parent_blocked, kernel/fork.c wait_for_vfork_done:
    # over every interleaving of a vfork child that execs, fails to exec or
    # exits, and a killer, the parent never runs while its child holds it
    r = check("""
        start main, killer
        faults { exec }
        check vfork_parent_blocked
        program main {
            c = vfork {
                choose { exec other } or { exit 1 }
                exit 2
            }
            w = wait()
        }
        program other { exit 3 }
        program killer { choose { kill(2, SIGKILL) } or { skip } }
    """)
    assert {p.name: p.status for p in r.properties} == {
        "assertions": HOLDS,
        "vfork_parent_blocked": HOLDS,
    }
    assert r.exit_code == EXIT_OK and r.states > 100


# ================================================================ 3. threads and exit


def test_exit_in_a_thread_ends_the_whole_process_with_its_code():
    # E1, kernel/exit.c do_group_exit -> zap_other_threads: `exit` is
    # exit_group: the group's status is recorded, SIGKILL is queued on every
    # other thread (sleepers woken), each dies in a step of its own, and the
    # parent sees the code of the thread that called exit
    k = kernel("""
        program main {
            p = fork {
                t = thread { exit 9 }
                u = thread { pause() }
                pause()
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 3, 3, 3, 5)
    assert (at(s, 2).state, at(s, 3).state, at(s, 5).state) == (SLEEPING, SLEEPING, SLEEPING)
    st = one(k, s, 4)
    assert events(st, E.GroupExit) == [E.GroupExit((3, 5))]
    s = st.target  # type: ignore[assignment]
    assert pids(s) == [1, 2, 3, 5]
    assert at(s, 3).group_exit == GROUP_EXIT | 9 << 8
    assert [(at(s, p).state, at(s, p).pending) for p in (3, 5)] == [(RUNNING, KILL)] * 2
    s = go(k, s, 3)
    assert at(s, 3).state == ZOMBIE and at(s, 2).state == SLEEPING
    s = go(k, s, 5)
    assert pids(s) == [1, 2, 3] and at(s, 2).state == RUNNING
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == exited(3, 9)


def test_exit_thread_ends_only_that_thread():
    # E2/E6, kernel/exit.c SYSCALL_DEFINE1(exit) -> do_exit: the other
    # threads run on, no group exit is recorded, nothing is queued
    k = kernel("""
        program main {
            t = thread { exit_thread 4 }
            u = thread { pause() }
            x = 1
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2)
    st = one(k, s, 3)
    assert not events(st, E.GroupExit)
    s = st.target  # type: ignore[assignment]
    assert pids(s) == [1, 2, 4]
    assert (at(s, 2).group_exit, at(s, 2).pending, at(s, 4).pending) == (0, 0, 0)
    assert at(s, 4).state == RUNNING
    s = go(k, s, 2)
    assert local(k, s, 2, "x") == 1


def test_a_leader_that_exits_first_waits_as_a_zombie_for_its_last_thread():
    # E5/E8/E9/W7, kernel/exit.c exit_notify (delay_group_leader), then
    # release_task of the last thread notifies the leader's parent; the
    # status is the last thread's (synchronize_group_exit); meanwhile wait
    # does not reap the zombie leader: WNOHANG returns 0, a blocking wait
    # sleeps until the last thread is gone
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            p = fork {
                t = thread {
                    x = 1
                    exit_thread 7
                }
                exit_thread 3
            }
            w = waitpid(p, WNOHANG)
            v = wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    st = one(k, s, 3)
    assert not events(st, E.SignalSent) and not events(st, E.Woke)
    s = st.target  # type: ignore[assignment]
    assert (at(s, 3).state, at(s, 4).state, at(s, 2).shared) == (ZOMBIE, RUNNING, 0)
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == NOTHING_YET
    s = go(k, s, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 4)
    assert (at(s, 2).state, at(s, 2).shared) == (SLEEPING, 0)
    s = go(k, s, 4)
    assert pids(s) == [1, 2, 3]
    assert (at(s, 2).state, at(s, 2).shared) == (RUNNING, CHLD)
    assert at(s, 3).xstatus == 7 << 8
    s = go(k, s, 2)
    assert local(k, s, 2, "v") == exited(3, 7)


def test_a_delayed_leader_is_released_with_its_last_thread_when_the_parent_ignores_sigchld():
    # E7/E8/W15, kernel/exit.c release_task -> do_notify_parent(leader)
    # says auto-reap when the parent ignores SIGCHLD: the leader goes with
    # the last thread, and the parent's blocking wait ends with ECHILD
    k = kernel("""
        program main {
            signal(SIGCHLD, SIG_IGN)
            p = fork {
                t = thread {
                    skip
                    exit_thread 7
                }
                exit_thread 3
            }
            w = wait()
            e = errno
        }
    """)
    s = go(k, k.initial(), 2, 2, 3, 3)
    assert at(s, 3).state == ZOMBIE
    s = go(k, s, 2)
    assert at(s, 2).state == SLEEPING
    s = go(k, s, 4, 4)
    assert pids(s) == [1, 2] and at(s, 2).children == ()
    assert at(s, 2).state == RUNNING
    s = go(k, s, 2, 2)
    assert (local(k, s, 2, "w"), local(k, s, 2, "e")) == (FAILED, ECHILD)


def test_a_threads_children_go_to_a_live_thread_of_its_group():
    # E12/E14/E17, kernel/exit.c find_new_reaper -> find_alive_thread: the
    # children of an exiting thread go to a live thread of the same group,
    # with their exit signal unchanged (no reparent_leader within the
    # group); kernel/sys.c getppid is the parent's tgid, before and after
    k = kernel("""
        program main {
            t = thread {
                c = clone(SIGUSR1) {
                    a = getppid()
                    b = getppid()
                    pause()
                }
                exit_thread 0
            }
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 3, 4)
    assert (at(s, 4).ppid, local(k, s, 4, "a")) == (3, 2)
    assert at(s, 3).children == (4,)
    st = one(k, s, 3)
    assert events(st, E.Reparented) == [E.Reparented((4,), 2)]
    s = go(k, st.target, 4)  # type: ignore[arg-type]
    assert (at(s, 4).ppid, at(s, 4).exit_signal, local(k, s, 4, "b")) == (2, SIGUSR1, 2)
    assert at(s, 2).children == (4,)


def test_any_thread_waits_for_another_threads_children_but_not_with_wnothread():
    # W3/W16, kernel/exit.c do_wait_thread / do_wait_pid: without
    # __WNOTHREAD every thread's children are the process's (by pid or any
    # child); with it, only the caller's own
    k = kernel("""
        program main {
            t = thread {
                c = fork { exit 5 }
                d = fork { exit 6 }
                pause()
            }
            a = waitpid(-1, __WNOTHREAD | WNOHANG)
            ea = errno
            b = waitpid(4, __WNOTHREAD | WNOHANG)
            eb = errno
            w = waitpid(4, WNOHANG)
            x = waitpid(-1, WNOHANG)
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 3, 3, 4, 5)
    assert (at(s, 4).ppid, at(s, 5).ppid, at(s, 3).children) == (3, 3, (4, 5))
    assert (at(s, 4).state, at(s, 5).state) == (ZOMBIE, ZOMBIE)
    s = go(k, s, 2, 2, 2, 2)
    assert (local(k, s, 2, "a"), local(k, s, 2, "ea")) == (FAILED, ECHILD)
    assert (local(k, s, 2, "b"), local(k, s, 2, "eb")) == (FAILED, ECHILD)
    s = go(k, s, 2, 2)
    assert (local(k, s, 2, "w"), local(k, s, 2, "x")) == (exited(4, 5), exited(5, 6))
    assert pids(s) == [1, 2, 3] and at(s, 3).children == ()


@pytest.mark.parametrize("first", [2, 4])
def test_two_threads_waiting_for_one_child_one_reaps_the_other_gets_echild(first):
    # W6/W13, kernel/exit.c wait_task_zombie: the child's exit wakes both
    # waiters of the group (__wake_up_parent); the first to rescan reaps it,
    # the other finds no child left
    k = kernel("""
        program main {
            c = fork {
                skip
                exit 5
            }
            t = thread {
                w = wait()
                e = errno
                pause()
            }
            w = wait()
            e = errno
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 4)
    assert (at(s, 2).state, at(s, 4).state) == (SLEEPING, SLEEPING)
    s = go(k, s, 3)
    st = one(k, s, 3)
    assert events(st, E.Woke) == [E.Woke((2, 4))]
    other = 6 - first
    s = go(k, st.target, first, other, first, other)  # type: ignore[arg-type]
    assert (local(k, s, first, "w"), local(k, s, first, "e")) == (exited(3, 5), 0)
    assert (local(k, s, other, "w"), local(k, s, other, "e")) == (FAILED, ECHILD)


def test_kill_of_a_non_leader_tid_reaches_the_whole_process():
    # S10, kernel/signal.c kill_pid_info (PIDTYPE_TGID): a thread's tid
    # names its process: the signal is queued on the group's shared set
    k = kernel("""
        start main, killer
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            t = thread { pause() }
            pause()
        }
        program killer { r = kill(4, SIGUSR1) }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert local(k, s, 3, "r") == 0
    assert (at(s, 2).shared, at(s, 2).pending, at(s, 4).pending) == (USR1, 0, 0)


def test_raise_in_a_thread_is_pending_on_that_thread_only():
    # S10, glibc raise -> tgkill(getpid(), gettid()): a private signal of
    # the calling thread; neither the leader nor the shared set has it
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1})
            t = thread {
                raise(SIGUSR1)
                pause()
            }
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert (at(s, 3).pending, at(s, 2).pending, at(s, 2).shared) == (USR1, 0, 0)


def test_join_sleeps_until_the_thread_ends_and_reports_each_thread_once():
    # F25, kernel/fork.c mm_release (CLONE_CHILD_CLEARTID futex wake) and
    # glibc pthread_join: join sleeps in S while the thread runs, a handled
    # signal runs its handler and the join goes on (glibc retries the futex
    # wait), 0 once the thread ended; ESRCH the second time and for a pid
    # that is no thread of the group, EDEADLK for the caller itself
    k = kernel("""
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGUSR1, h)
            c = fork { pause() }
            t = thread {
                kill(getpid(), SIGUSR1)
                exit_thread 0
            }
            r = join(t)
            r2 = join(t)
            e2 = errno
            r3 = join(c)
            e3 = errno
            r4 = join(getpid())
            e4 = errno
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)
    assert (at(s, 2).state, at(s, 2).call) == (SLEEPING, (IN_CALL, 4))
    s = go(k, s, 4)
    assert at(s, 2).state == RUNNING
    st = one(k, s, 2)
    assert [(e.sig, e.action) for e in events(st, E.SignalTaken)] == [(SIGUSR1, "handler h")]
    s = go(k, st.target, 2, 2, 2)  # type: ignore[arg-type]
    assert var(k, s, 2, "got") == 1
    assert (at(s, 2).state, at(s, 2).call, at(s, 2).errno) == (SLEEPING, (IN_CALL, 4), 0)
    st = one(k, s, 4)
    assert events(st, E.ThreadEnded) == [E.ThreadEnded(4, 0)]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).state == RUNNING
    st = one(k, s, 2)
    assert events(st, E.Joined) == [E.Joined(4)]
    s = go(k, st.target, 2, 2, 2, 2, 2, 2)  # type: ignore[arg-type]
    assert local(k, s, 2, "r") == 0
    assert (local(k, s, 2, "r2"), local(k, s, 2, "e2")) == (-1, ESRCH)
    assert (local(k, s, 2, "r3"), local(k, s, 2, "e3")) == (-1, ESRCH)
    assert (local(k, s, 2, "r4"), local(k, s, 2, "e4")) == (-1, EDEADLK)


# ================================================================ 4. exec


def test_exec_starts_the_image_with_its_vars_at_their_initial_values():
    # X8/F20, fs/exec.c exec_mmap: a new address space with the new image's
    # `var`s at their initial values and no locals; a CLONE_VM parent keeps
    # the memory the exec'ing child shared until then
    k = kernel("""
        program main {
            var x = 1
            c = clone(CLONE_VM | SIGCHLD) {
                x = 5
                exec other
            }
            pause()
        }
        program other {
            var x = 2
            var y = 3
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 3)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (5, 5)
    st = one(k, s, 3)
    assert events(st, E.Execed) == [E.Execed("other", (), 0)]
    s = st.target  # type: ignore[assignment]
    assert at(s, 3).mm != at(s, 2).mm
    assert (var(k, s, 3, "x"), var(k, s, 3, "y"), var(k, s, 2, "x")) == (2, 3, 5)
    assert at(s, 3).prog == k.program_names.index("other")


@pytest.mark.parametrize(
    ("chld", "reaped"),
    [("sigaction(SIGCHLD, h, SA_NOCLDWAIT)", False), ("signal(SIGCHLD, SIG_IGN)", True)],
)
def test_exec_resets_handlers_keeps_sig_ign_and_clears_the_flags(chld, reaped):
    # X7, fs/exec.c begin_new_exec -> flush_signal_handlers(me, 0): every
    # handler becomes SIG_DFL, SIG_IGN stays, every sa_flags is cleared. So
    # SA_NOCLDWAIT (with a handler) is lost and a child becomes a zombie
    # again, while SIGCHLD at SIG_IGN keeps auto-reaping after the exec
    k = kernel(f"""
        program main {{
            handler h {{ skip }}
            signal(SIGUSR1, h)
            signal(SIGUSR2, SIG_IGN)
            {chld}
            exec other
        }}
        program other {{
            c = fork {{ exit 1 }}
            w = wait()
            e = errno
        }}
    """)
    s = go(k, k.initial(), 2, 2, 2, 2)
    expected = ((SIGUSR2, SIG_IGN, 0),)
    if reaped:
        expected = ((SIGUSR2, SIG_IGN, 0), (SIGCHLD, SIG_IGN, 0))
    assert table(s, 2) == expected
    s = go(k, s, 2, 3)
    assert pids(s) == ([1, 2] if reaped else [1, 2, 3])
    s = go(k, s, 2, 2)
    if reaped:
        assert (local(k, s, 2, "w"), local(k, s, 2, "e")) == (FAILED, ECHILD)
    else:
        assert local(k, s, 2, "w") == exited(3, 1)


def test_exec_keeps_the_blocked_mask_and_the_pending_signals():
    # X8, fs/exec.c: neither the blocked mask nor the private and shared
    # pending sets change; a blocked signal raised before the exec kills the
    # new image as soon as it unblocks it (e8: signaled(10))
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGUSR1, SIGUSR2})
            raise(SIGUSR1)
            kill(getpid(), SIGUSR2)
            exec other
        }
        program other {
            sigprocmask(SIG_UNBLOCK, {SIGUSR1})
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2)
    before = at(s, 2)
    assert (before.blocked, before.pending, before.shared) == (USR1 | USR2, USR1, USR2)
    s = go(k, s, 2)
    after = at(s, 2)
    assert after.prog == k.program_names.index("other")
    assert (after.blocked, after.pending, after.shared) == (USR1 | USR2, USR1, USR2)
    s = go(k, s, 2, 2)
    assert (at(s, 2).state, at(s, 2).xstatus) == (ZOMBIE, SIGUSR1)


def test_exec_unshares_a_clone_sighand_table_and_the_parents_handler_stays():
    # X7, fs/exec.c unshare_sighand: a table shared through CLONE_SIGHAND
    # (without CLONE_THREAD) is copied before it is reset, so the other
    # process keeps its handlers (e12)
    k = kernel("""
        program main {
            handler h { skip }
            signal(SIGUSR1, h)
            c = clone(CLONE_VM | CLONE_SIGHAND | SIGCHLD) { exec other }
            pause()
        }
        program other { pause() }
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 2).sighand == at(s, 3).sighand
    s = go(k, s, 3)
    assert at(s, 2).sighand != at(s, 3).sighand
    assert (table(s, 2), table(s, 3)) == (((SIGUSR1, "h", SA_RESTART),), ())


def test_exec_kills_the_other_threads_and_takes_their_children():
    # X2/X4/E12, fs/exec.c de_thread -> zap_other_threads: the other threads
    # die silently (no exit status, no signal to anyone) and their children
    # are re-parented to the exec'ing thread, the only live one left
    k = kernel("""
        program main {
            c1 = fork { pause() }
            t = thread {
                c2 = fork { pause() }
                pause()
            }
            exec other
        }
        program other {
            a = waitpid(-1, WNOHANG)
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 4)
    assert (at(s, 5).ppid, at(s, 4).children) == (4, (5,))
    st = one(k, s, 2)
    assert events(st, E.Execed) == [E.Execed("other", (4,), 0)]
    assert not events(st, E.SignalSent) and not events(st, E.Exited)
    s = st.target  # type: ignore[assignment]
    assert pids(s) == [1, 2, 3, 5]
    assert (at(s, 3).ppid, at(s, 5).ppid, at(s, 2).children) == (2, 2, (3, 5))
    s = go(k, s, 2)
    assert local(k, s, 2, "a") == NOTHING_YET


def test_exec_in_a_non_leader_takes_over_the_leaders_pid():
    # X3, fs/exec.c de_thread (exchange_tids, transfer_pid): the exec'ing
    # thread becomes the leader with the process's pid and exit signal
    # SIGCHLD; the old leader is released unseen, so the parent sees one
    # exit, of that pid, then ECHILD (e8)
    k = kernel("""
        program main {
            p = fork {
                t = thread { exec other }
                pause()
            }
            w = wait()
            w2 = wait()
            e = errno
        }
        program other {
            a = getpid()
            b = gettid()
            exit 6
        }
    """)
    s = go(k, k.initial(), 2, 2, 3)
    assert (at(s, 4).tgid, at(s, 4).exit_signal) == (3, -1)
    st = one(k, s, 4)
    assert events(st, E.Execed) == [E.Execed("other", (3,), 4)]
    s = st.target  # type: ignore[assignment]
    assert pids(s) == [1, 2, 3]
    new = at(s, 3)
    assert (new.tgid, new.ppid, new.exit_signal, new.state) == (3, 2, SIGCHLD, RUNNING)
    assert new.prog == k.program_names.index("other")
    assert at(s, 2).children == (3,)
    s = go(k, s, 3, 3)
    assert (local(k, s, 3, "a"), local(k, s, 3, "b")) == (3, 3)
    s = go(k, s, 3, 2, 2, 2)
    assert local(k, s, 2, "w") == exited(3, 6)
    assert (local(k, s, 2, "w2"), local(k, s, 2, "e")) == (FAILED, ECHILD)


def test_exec_makes_the_exit_signal_sigchld():
    # X5, fs/exec.c de_thread (end): exit_signal = SIGCHLD, so a clone child
    # with exit signal 0 is an ordinary child once it has exec'd: its parent
    # gets SIGCHLD and a plain wait reaps it (e2)
    k = kernel("""
        program main {
            sigprocmask(SIG_BLOCK, {SIGCHLD})
            c = clone(0) { exec other }
            w = wait()
        }
        program other { exit 2 }
    """)
    s = go(k, k.initial(), 2, 2)
    assert at(s, 3).exit_signal == 0
    s = go(k, s, 3)
    assert at(s, 3).exit_signal == SIGCHLD
    s = go(k, s, 3)
    assert at(s, 2).shared == CHLD
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == exited(3, 2)


@pytest.mark.parametrize(
    ("setup", "autoreaped"), [("skip", False), ("signal(SIGCHLD, SIG_IGN)", True)]
)
def test_after_the_parent_execs_a_clone_child_notifies_with_sigchld(setup, autoreaped):
    # X6/E7, kernel/signal.c do_notify_parent: the parent's self_exec_id no
    # longer matches the child's parent_exec_id, so the child's exit sends
    # SIGCHLD instead of its exit signal (SIGUSR1); its exit_signal field is
    # unchanged, so plain wait still does not see it, __WCLONE does (e14);
    # and since the signal is SIGCHLD, a parent ignoring SIGCHLD auto-reaps it
    k = kernel(f"""
        program main {{
            sigprocmask(SIG_BLOCK, {{SIGCHLD, SIGUSR1}})
            c = clone(SIGUSR1) {{
                skip
                exit 3
            }}
            exec other
        }}
        program other {{
            {setup}
            a = waitpid(-1, WNOHANG)
            e = errno
            b = waitpid(-1, __WCLONE | WNOHANG)
            pause()
        }}
    """)
    s = go(k, k.initial(), 2, 2, 2)
    assert (at(s, 3).parent_execed, at(s, 3).exit_signal) == (True, SIGUSR1)
    s = go(k, s, 2, 3, 3)
    if autoreaped:
        assert pids(s) == [1, 2] and at(s, 2).shared == 0
        s = go(k, s, 2, 2, 2)
        assert (local(k, s, 2, "a"), local(k, s, 2, "e")) == (FAILED, ECHILD)
        assert local(k, s, 2, "b") == FAILED
    else:
        assert (at(s, 3).state, at(s, 2).shared) == (ZOMBIE, CHLD)
        s = go(k, s, 2, 2, 2)
        assert (local(k, s, 2, "a"), local(k, s, 2, "e")) == (FAILED, ECHILD)
        assert local(k, s, 2, "b") == exited(3, 3)


def test_a_failed_exec_returns_enoent_and_the_caller_goes_on():
    # X1, fs/exec.c bprm_execve: a failure before the point of no return
    # returns -1 (faults { exec }: ENOENT) and changes nothing else
    k = kernel("""
        faults { exec }
        program main {
            var x = 4
            handler h { skip }
            signal(SIGUSR1, h)
            exec other
            e = errno
            pause()
        }
        program other { var x = 0 }
    """)
    s = go(k, k.initial(), 2)
    execed, failed = steps_of(k, s, 2)
    assert at(execed.target, 2).prog == k.program_names.index("other")  # type: ignore[arg-type]
    assert events(failed, E.ExecFailed) == [E.ExecFailed(ENOENT)]
    s = go(k, failed.target, 2)  # type: ignore[arg-type]
    assert at(s, 2).prog == k.program_names.index("main")
    assert (local(k, s, 2, "e"), var(k, s, 2, "x")) == (ENOENT, 4)
    assert table(s, 2) == ((SIGUSR1, "h", SA_RESTART),)


def test_exec_releases_the_vfork_parent_which_keeps_its_memory():
    # X9/F27, fs/exec.c exec_mmap -> exec_mm_release -> mm_release: the
    # vfork parent wakes at the child's exec, not at its exit; the child
    # leaves the shared address space, which the parent keeps as written
    k = kernel("""
        program main {
            var x = 0
            v = vfork()
            if v == 0 {
                x = 7
                exec other
            }
            y = x
            w = wait()
        }
        program other {
            var x = 1
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 3, 3)
    assert (at(s, 2).state, var(k, s, 2, "x")) == (DISK_SLEEP, 7)
    st = one(k, s, 3)
    assert events(st, E.VforkDone) == [E.VforkDone(2)]
    s = st.target  # type: ignore[assignment]
    assert (at(s, 2).state, at(s, 3).state) == (RUNNING, RUNNING)
    assert (var(k, s, 2, "x"), var(k, s, 3, "x")) == (7, 1)
    s = go(k, s, 2, 2, 2, 2)
    assert (local(k, s, 2, "v"), local(k, s, 2, "y")) == (3, 7)
    assert at(s, 2).state == SLEEPING  # in wait(): its child runs `other`


def test_a_fatal_signal_raised_in_one_thread_kills_the_whole_process():
    # E1/S9, kernel/signal.c complete_signal: SIGKILL to one thread (tgkill)
    # is a group kill: every thread dies and the parent sees signaled(9) (e7)
    k = kernel("""
        program main {
            p = fork {
                t = thread { raise(SIGKILL) }
                pause()
            }
            w = wait()
        }
    """)
    s = go(k, k.initial(), 2, 2, 3, 3, 4)
    assert at(s, 3).group_exit == GROUP_EXIT | SIGKILL
    assert (at(s, 3).state, at(s, 4).state) == (RUNNING, RUNNING)
    s = go(k, s, 4, 3)
    assert pids(s) == [1, 2, 3] and at(s, 3).state == ZOMBIE
    s = go(k, s, 2)
    assert local(k, s, 2, "w") == signaled(3, SIGKILL)


def test_a_delayed_leader_keeps_the_group_fields_for_the_live_threads():
    # E5, kernel/exit.c delay_group_leader: the signal_struct outlives the
    # leader's exit; a signal to the process (its pid is the zombie
    # leader's) is queued on the shared set and taken by a live thread; the
    # leader's entry gives the fields back only when the last thread is gone
    k = kernel("""
        start main, killer
        program main {
            var got = 0
            handler h { got = 1 }
            signal(SIGUSR1, h)
            t = thread {
                pause()
                exit_thread 7
            }
            exit_thread 3
        }
        program killer { r = kill(2, SIGUSR1) }
    """)
    s = go(k, k.initial(), 2, 2, 4, 2)
    assert (at(s, 2).state, at(s, 4).state) == (ZOMBIE, SLEEPING)
    s = go(k, s, 3)
    assert (local(k, s, 3, "r"), at(s, 2).shared, at(s, 4).pending) == (0, USR1, 0)
    assert at(s, 4).state == RUNNING
    st = one(k, s, 4)
    assert [(e.sig, e.action) for e in events(st, E.SignalTaken)] == [(SIGUSR1, "handler h")]
    s = st.target  # type: ignore[assignment]
    assert at(s, 2).shared == 0
    s = go(k, s, 4)
    assert var(k, s, 4, "got") == 1
    s = go(k, s, 4, 4)
    assert pids(s) == [1, 2, 3]
    assert (at(s, 2).state, at(s, 2).xstatus, at(s, 2).shared) == (ZOMBIE, 7 << 8, 0)


def test_a_group_stop_skips_a_thread_in_the_vfork_wait():
    # Model choice (docs/model.md), kernel/signal.c do_signal_stop: the
    # threads that can stop stop at once and the parent is told; a thread
    # sleeping in D for its vfork child stays there
    k = kernel("""
        start main, stopper
        program main {
            t = thread {
                v = vfork { pause() }
                x = 1
            }
            pause()
        }
        program stopper { kill(2, SIGSTOP) }
    """)
    s = go(k, k.initial(), 2, 4, 2, 3)
    assert (at(s, 2).state, at(s, 4).state, at(s, 5).vfork_parent) == (RUNNING, DISK_SLEEP, 4)
    st = one(k, s, 2)
    assert events(st, E.Stopped) == [E.Stopped((2,), SIGNALS["SIGSTOP"])]
    s = st.target  # type: ignore[assignment]
    assert (at(s, 2).state, at(s, 4).state) == ("T", DISK_SLEEP)
    assert at(s, 2).stop_code == SIGNALS["SIGSTOP"]


def test_exec_kills_a_vfork_waiting_thread_and_its_child_is_released():
    # X2/F28, fs/exec.c de_thread -> zap_other_threads: SIGKILL ends the
    # other thread's killable vfork wait, and kernel/fork.c
    # wait_for_vfork_done (killed) sets child->vfork_done = NULL before the
    # thread dies: the child runs on, held by nobody (and its later exit
    # must not wake whatever task gets that pid next)
    src = """
        check vfork_parent_blocked
        program main {
            t = thread {
                v = vfork { pause() }
                pause()
            }
            exec other
        }
        program other { pause() }
    """
    k = kernel(src)
    s = go(k, k.initial(), 2, 3)
    assert (at(s, 3).state, at(s, 4).vfork_parent) == (DISK_SLEEP, 3)
    s = go(k, s, 2)
    assert pids(s) == [1, 2, 4] and at(s, 4).ppid == 2
    assert at(s, 4).vfork_parent == 0
    r = check(src)
    assert {p.name: p.status for p in r.properties}["vfork_parent_blocked"] == HOLDS


def test_a_subreaper_adopts_through_the_first_live_thread_of_its_list():
    # E12 (item 2), kernel/exit.c find_new_reaper -> find_alive_thread(reaper):
    # for_each_thread starts at the head of signal->thread_head, the leader,
    # whichever thread of the subreaper is the real parent on the way up.
    # Here the subreaper's thread T (3) forks C (4), C forks G (5) and exits:
    # G's new parent is the leader (2), not T
    src = """
        check orphans_reparented
        program main {
            set_subreaper()
            t = thread {
                c = fork {
                    g = fork { pause() }
                    exit 0
                }
                pause()
            }
            pause()
        }
    """
    k = kernel(src)
    s = go(k, k.initial(), 2, 2, 3, 4)
    assert (at(s, 4).ppid, at(s, 5).ppid, at(s, 2).subreaper) == (3, 4, True)
    s = go(k, s, 4)
    assert (at(s, 5).ppid, at(s, 2).children) == (2, (5,))
    r = check(src)
    assert {p.name: p.status for p in r.properties}["orphans_reparented"] == HOLDS


def test_wait_scans_the_callers_thread_then_the_list_round_from_it():
    # W3/W10, kernel/exit.c __do_wait: do_wait_thread(current), then
    # while_each_thread(current, tsk), which follows next_thread: the threads
    # after the caller in creation order, then from the leader round to the
    # caller. Threads L (2), T1 (3), T2 (4); L's child 5 and T2's child 6 are
    # zombies; T1's waitpid(-1) scans T1, T2, L and reaps 6
    k = kernel("""
        program main {
            t1 = thread {
                skip
                w = waitpid(-1, WNOHANG)
                pause()
            }
            t2 = thread {
                c2 = fork { exit 2 }
                pause()
            }
            cl = fork { exit 1 }
            pause()
        }
    """)
    s = go(k, k.initial(), 2, 2, 2, 4, 5, 6, 3)
    assert (at(s, 5).ppid, at(s, 6).ppid) == (2, 4)
    assert (at(s, 5).state, at(s, 6).state) == (ZOMBIE, ZOMBIE)
    s = go(k, s, 3)
    assert local(k, s, 3, "w") == exited(6, 2)


def test_a_join_that_slept_and_then_failed_is_out_of_the_call():
    # two threads join one thread: the one that slept and lost gets ESRCH and
    # is out of the call (no stale arguments): its next wait works, and the
    # SIGKILL of main's exit_group reaches it
    r = check("""
        program main {
            t = thread { skip }
            u = thread {
                r = join(2 + 1)
                w = wait()
                while true { skip }
            }
            join(t)
            exit 0
        }
    """)
    assert r.exit_code == EXIT_OK, [e.text for e in r.expectations]
    assert {p.name: p.status for p in r.properties}["zombies_reaped"] == HOLDS
