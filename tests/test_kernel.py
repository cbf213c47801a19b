"""One test per kernel rule: a state before, the rule, the state after.

States are built by hand (tests/conftest.py) so each test shows exactly the
task table the rule sees. The rule's kernel source is named in each test.
"""

from __future__ import annotations

from checker.kernel import events as E
from checker.kernel.exit import do_exit, find_new_reaper, release_task
from checker.kernel.fork import CloneArgs, copy_process
from checker.kernel.model import Failure, Pruned
from checker.kernel.pids import alloc_pid
from checker.kernel.state import RUNNING, SLEEPING, ZOMBIE, State, Task, Tx, exited_status
from checker.kernel.wait import (
    ERROR,
    NOTHING,
    REAPED,
    SLEEP,
    WaitCall,
    do_wait,
    status_record,
)
from checker.lang.constants import (
    EAGAIN,
    ECHILD,
    EINVAL,
    ESRCH,
    INT_MIN,
    SIGCHLD,
    SIGNALS,
    WALL,
    WCLONE,
    WNOHANG,
    WNOTHREAD,
)
from tests.conftest import check, init, kernel, task, tx_of

SIGUSR1 = SIGNALS["SIGUSR1"]

FORK = CloneArgs(0, SIGCHLD)  # plain fork


class Ctx:
    """The ExitContext the exit rules need, with waiters' selections given."""

    keep_zombie_values = False
    signals = False

    def __init__(self, selections: dict[int, tuple[int, int]] | None = None):
        self.selections = {pid: WaitCall(*sel) for pid, sel in (selections or {}).items()}

    def wait_selection(self, tx: Tx, waiter: Task) -> WaitCall | None:
        return self.selections.get(waiter.pid)

    def snapshot(self, tx: Tx, t: Task) -> None:
        pass


def pids(tx: Tx) -> list[int]:
    return [t.pid for t in tx.tasks]


# ---------------------------------------------------------------- pids


def test_alloc_pid_takes_the_next_number_after_the_last_one():
    # kernel/pid.c alloc_pid -> idr_alloc_cyclic: a freed number is not reused at once
    tasks = [init((2,)), task(2)]
    assert alloc_pid(tasks, last_pid=5, pid_max=100) == 6


def test_alloc_pid_skips_numbers_of_zombies_and_of_process_groups():
    # free_pid runs only at release_task, and a pgid stays taken while the
    # group has members (SEMANTICS 1.3)
    tasks = [init((2,)), task(2), task(3, ppid=2, state=ZOMBIE), task(5, ppid=2, pgid=4)]
    assert alloc_pid(tasks, last_pid=2, pid_max=100) == 6


def test_alloc_pid_wraps_to_the_lowest_free_number_from_two():
    # model choice: wrap to 2, not to RESERVED_PIDS (300)
    tasks = [init((2,)), task(2), task(4, ppid=2)]
    assert alloc_pid(tasks, last_pid=5, pid_max=6) == 3


def test_alloc_pid_fails_when_every_number_is_taken():
    tasks = [init((2,)), task(2), task(3, ppid=2)]
    assert alloc_pid(tasks, last_pid=3, pid_max=4) is None


# ---------------------------------------------------------------- fork


def test_copy_process_creates_a_child_of_the_caller():
    # kernel/fork.c copy_process: new pid, real parent = caller, same process
    # group, exit signal SIGCHLD, appended to the parent's children list
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, pgid=2), last_pid=3)
    parent = tx.get(2)
    assert parent is not None
    pid = copy_process(
        tx, parent, FORK, max_tasks=16, pid_max=100, child_pc=7, child_locals=(1, None)
    )
    assert pid == 4
    child = tx.get(4)
    assert child is not None
    assert (child.ppid, child.tgid, child.pgid, child.state) == (2, 4, 2, RUNNING)
    assert (child.pc, child.locals, child.exit_signal, child.children) == (
        7,
        (1, None),
        SIGCHLD,
        (),
    )
    assert tx.get(2).children == (3, 4)  # type: ignore[union-attr]
    assert tx.last_pid == 4


def test_copy_process_copies_the_address_space():
    # copy_mm without CLONE_VM: dup_mm, a separate copy
    s = State((init((2,)), task(2)._replace(mm=0)), ((5, 6),), ((), ()), 2, ())
    tx = Tx(s)
    copy_process(tx, tx.get(2), FORK, 16, 100, 0, ())  # type: ignore[arg-type]
    after = tx.freeze()
    parent, child = after.tasks[1], after.tasks[2]
    assert parent.mm != child.mm
    assert after.mems[parent.mm] == after.mems[child.mm] == (5, 6)


def test_copy_process_fails_with_eagain_when_the_table_is_full():
    # copy_process: nr_threads >= max_threads -> EAGAIN; zombies count
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, state=ZOMBIE))
    assert (
        copy_process(tx, tx.get(2), FORK, max_tasks=3, pid_max=100, child_pc=0, child_locals=())
        == -EAGAIN
    )  # type: ignore[arg-type]
    assert pids(tx) == [1, 2, 3]


def test_copy_process_fails_with_eagain_when_no_pid_is_free():
    # alloc_pid: the IDR's ENOSPC becomes EAGAIN
    tx = tx_of(init((2,)), task(2))
    assert (
        copy_process(tx, tx.get(2), FORK, max_tasks=16, pid_max=3, child_pc=0, child_locals=())
        == -EAGAIN
    )  # type: ignore[arg-type]


# ---------------------------------------------------------------- exit


def test_exit_makes_a_zombie_with_its_status():
    # kernel/exit.c exit_notify: EXIT_ZOMBIE, the status kept for wait
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2))
    ev: list[E.Event] = []
    do_exit(tx, 3, exited_status(4), Ctx(), ev)
    child = tx.get(3)
    assert child is not None and child.state == ZOMBIE
    assert child.xstatus == 4 << 8
    assert E.Exited(3, 4 << 8) in ev


def test_exit_status_keeps_only_the_low_byte():
    # SYSCALL_DEFINE1(exit_group): (error_code & 0xff) << 8
    assert exited_status(256) == 0
    assert exited_status(-1) == 0xFF << 8


def test_orphans_go_to_init_when_no_subreaper():
    # find_new_reaper: no live thread, no subreaper ancestor -> child_reaper
    tx = tx_of(init((2,)), task(2, children=(3, 4)), task(3, ppid=2), task(4, ppid=2))
    ev: list[E.Event] = []
    do_exit(tx, 2, 0, Ctx(), ev)
    assert tx.get(3).ppid == tx.get(4).ppid == 1  # type: ignore[union-attr]
    assert tx.get(1).children == (2, 3, 4)  # type: ignore[union-attr]  # spliced onto the tail
    assert tx.get(2).children == ()  # type: ignore[union-attr]
    assert E.Reparented((3, 4), 1) in ev


def test_orphans_go_to_the_nearest_live_subreaper():
    # find_new_reaper: walk up real_parent links to the first is_child_subreaper
    # 2 (subreaper) > 3 (subreaper) > 4 > 5: 4 exits -> 5 goes to 3, not 2
    tx = tx_of(
        init((2,)),
        task(2, children=(3,), subreaper=True),
        task(3, ppid=2, children=(4,), subreaper=True),
        task(4, ppid=3, children=(5,)),
        task(5, ppid=4),
    )
    assert find_new_reaper(tx, tx.get(4)) == 3  # type: ignore[arg-type]
    do_exit(tx, 4, 0, Ctx(), None)
    assert tx.get(5).ppid == 3  # type: ignore[union-attr]
    assert tx.get(3).children == (4, 5)  # type: ignore[union-attr]


def test_a_zombie_subreaper_is_skipped():
    # find_new_reaper: an ancestor whose threads have all exited is skipped
    tx = tx_of(
        init((2,)),
        task(2, children=(3,), subreaper=True),
        task(3, ppid=2, children=(4,), subreaper=True, state=ZOMBIE),
        task(4, ppid=3),
    )
    assert find_new_reaper(tx, tx.get(4)) == 2  # type: ignore[arg-type]


def test_reparenting_resets_the_exit_signal_to_sigchld():
    # reparent_leader: "We don't want people slaying init."
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, exit_signal=SIGUSR1))
    do_exit(tx, 2, 0, Ctx(), None)
    assert tx.get(3).exit_signal == SIGCHLD  # type: ignore[union-attr]


def test_exit_wakes_a_parent_waiting_for_any_child():
    # do_notify_parent -> __wake_up_parent: the waiter becomes runnable
    tx = tx_of(init((2,)), task(2, state=SLEEPING, children=(3,)), task(3, ppid=2))
    ev: list[E.Event] = []
    do_exit(tx, 3, 0, Ctx({2: (-1, 0)}), ev)
    assert tx.get(2).state == RUNNING  # type: ignore[union-attr]
    assert E.Woke((2,)) in ev


def test_exit_does_not_wake_a_parent_waiting_for_another_child():
    # child_wait_callback -> pid_child_should_wake: the pid must match
    tx = tx_of(
        init((2,)), task(2, state=SLEEPING, children=(3, 4)), task(3, ppid=2), task(4, ppid=2)
    )
    do_exit(tx, 3, 0, Ctx({2: (4, 0)}), None)
    assert tx.get(2).state == SLEEPING  # type: ignore[union-attr]


def test_exit_wakes_a_group_waiter_only_for_its_process_group():
    # eligible_pid with PIDTYPE_PGID: waitpid(-5) is woken by a child in group 5 only
    tx = tx_of(
        init((2,)),
        task(2, state=SLEEPING, children=(3, 4)),
        task(3, ppid=2, pgid=2),
        task(4, ppid=2, pgid=5),
    )
    do_exit(tx, 3, 0, Ctx({2: (-5, 0)}), None)
    assert tx.get(2).state == SLEEPING  # type: ignore[union-attr]
    do_exit(tx, 4, 0, Ctx({2: (-5, 0)}), None)
    assert tx.get(2).state == RUNNING  # type: ignore[union-attr]


def test_an_inherited_zombie_wakes_the_new_parent():
    # reparent_leader -> do_notify_parent for a zombie child: the subreaper
    # sleeping in wait is woken for the grandchild it inherits
    tx = tx_of(
        init((2,)),
        task(2, state=SLEEPING, children=(3,), subreaper=True),
        task(3, ppid=2, children=(4,)),
        task(4, ppid=3, state=ZOMBIE),
    )
    ev: list[E.Event] = []
    do_exit(tx, 3, 0, Ctx({2: (-1, 0)}), ev)
    assert tx.get(4).ppid == 2  # type: ignore[union-attr]
    assert tx.get(2).state == RUNNING  # type: ignore[union-attr]


def test_release_task_frees_the_pid_and_unlinks_the_child():
    # release_task: gone from the table and from the parent's children list
    tx = tx_of(init((2,)), task(2, children=(3, 4)), task(3, ppid=2, state=ZOMBIE), task(4, ppid=2))
    release_task(tx, 3)
    assert pids(tx) == [1, 2, 4]
    assert tx.get(2).children == (4,)  # type: ignore[union-attr]
    assert alloc_pid(tx.tasks, last_pid=4, pid_max=5) == 3


# ---------------------------------------------------------------- wait


def test_wait_without_children_fails_with_echild():
    # __do_wait: notask_error stays -ECHILD
    tx = tx_of(init((2,)), task(2))
    r = do_wait(tx, tx.get(2), -1, 0)  # type: ignore[arg-type]
    assert (r.kind, r.errno) == (ERROR, ECHILD)


def test_wait_reaps_the_first_zombie_in_children_order():
    # do_wait_thread scans the children list in order (creation order)
    tx = tx_of(
        init((2,)),
        task(2, children=(3, 4, 5)),
        task(3, ppid=2),
        task(4, ppid=2, state=ZOMBIE, xstatus=exited_status(7)),
        task(5, ppid=2, state=ZOMBIE, xstatus=exited_status(8)),
    )
    r = do_wait(tx, tx.get(2), -1, 0)  # type: ignore[arg-type]
    assert (r.kind, r.pid, r.status) == (REAPED, 4, 7 << 8)
    assert pids(tx) == [1, 2, 3, 5]
    assert status_record(r.pid, r.status) == (4, True, 7, False, 0, False, False)


def test_wait_sleeps_while_children_run():
    # do_wait: nothing reportable, no WNOHANG -> schedule()
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2))
    r = do_wait(tx, tx.get(2), -1, 0)  # type: ignore[arg-type]
    assert (r.kind, r.eligible) == (SLEEP, (3,))


def test_wnohang_returns_zero_while_children_run():
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2))
    assert do_wait(tx, tx.get(2), -1, WNOHANG).kind == NOTHING  # type: ignore[arg-type]


def test_waitpid_for_one_child_ignores_another_zombie():
    # waitpid(pid > 0): do_wait_pid considers that child only
    tx = tx_of(init((2,)), task(2, children=(3, 4)), task(3, ppid=2, state=ZOMBIE), task(4, ppid=2))
    assert do_wait(tx, tx.get(2), 4, 0).kind == SLEEP  # type: ignore[arg-type]
    assert do_wait(tx, tx.get(2), 3, 0).kind == REAPED  # type: ignore[arg-type]


def test_waitpid_for_a_pid_that_is_not_a_child_fails_with_echild():
    # W12: waitpid(1) (not a child) -> ECHILD, WNOHANG or not
    tx = tx_of(init((2,)), task(2))
    assert do_wait(tx, tx.get(2), 1, WNOHANG).errno == ECHILD  # type: ignore[arg-type]
    assert do_wait(tx, tx.get(2), 99, 0).errno == ECHILD  # type: ignore[arg-type]


def test_waitpid_zero_and_minus_pgid_select_by_process_group():
    # kernel_wait4: 0 -> the caller's group, < -1 -> group -pid
    tx = tx_of(
        init((2,)),
        task(2, children=(3, 4)),
        task(3, ppid=2, pgid=2, state=ZOMBIE),
        task(4, ppid=2, pgid=4, state=ZOMBIE),
    )
    r = do_wait(tx, tx.get(2), -4, 0)  # type: ignore[arg-type]
    assert (r.kind, r.pid) == (REAPED, 4)
    r = do_wait(tx, tx.get(2), 0, 0)  # type: ignore[arg-type]
    assert (r.kind, r.pid) == (REAPED, 3)
    # group 9 has no task at all: ECHILD before any scan (__do_wait)
    assert do_wait(tx, tx.get(2), -9, 0).errno == ECHILD  # type: ignore[arg-type]


def test_wait_argument_errors():
    # kernel_wait4: unknown option bits -> EINVAL; INT_MIN -> ESRCH
    tx = tx_of(init((2,)), task(2))
    assert do_wait(tx, tx.get(2), -1, 0x100).errno == EINVAL  # type: ignore[arg-type]
    assert do_wait(tx, tx.get(2), INT_MIN, 0).errno == ESRCH  # type: ignore[arg-type]


def test_clone_children_are_seen_only_with_wclone_or_wall():
    # eligible_child: (exit_signal != SIGCHLD) ^ !!(options & __WCLONE)
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, state=ZOMBIE, exit_signal=0))
    assert do_wait(tx, tx.get(2), -1, WNOHANG).errno == ECHILD  # type: ignore[arg-type]
    assert do_wait(tx, tx.get(2), -1, WCLONE).kind == REAPED  # type: ignore[arg-type]
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, state=ZOMBIE))
    assert do_wait(tx, tx.get(2), -1, WCLONE | WNOHANG).errno == ECHILD  # type: ignore[arg-type]
    assert do_wait(tx, tx.get(2), -1, WALL).kind == REAPED  # type: ignore[arg-type]


def test_wnothread_is_a_valid_option():
    tx = tx_of(init((2,)), task(2, children=(3,)), task(3, ppid=2, state=ZOMBIE))
    assert do_wait(tx, tx.get(2), -1, WNOTHREAD).kind == REAPED  # type: ignore[arg-type]


# ---------------------------------------------------------------- steps


def _only(succ: list) -> State:  # type: ignore[type-arg]
    assert len(succ) == 1, succ
    assert isinstance(succ[0], State)
    return succ[0]


def test_initial_state_init_and_started_programs():
    # init is pid 1; `start` programs are its children in order, each leading a group
    k = kernel("""
        program a { exit 0 }
        program b { exit 0 }
        start b, a
    """)
    s = k.initial()
    assert [(t.pid, t.ppid, t.pgid) for t in s.tasks] == [(1, 0, 1), (2, 1, 2), (3, 1, 3)]
    assert s.tasks[0].children == (2, 3)
    assert [k.programs[t.prog].name for t in s.tasks[1:]] == ["b", "a"]
    assert s.last_pid == 3


def test_c_style_fork_returns_zero_in_the_child_and_the_pid_in_the_parent():
    k = kernel("""
        program main {
            x = fork()
            exit x
        }
    """)
    s = _only(k.successors(k.initial()))
    main, child = s.tasks[1], s.tasks[2]
    slot = k.programs[0].local_names.index("x")
    assert (main.locals[slot], child.locals[slot]) == (3, 0)
    assert main.pc == child.pc  # both continue after the fork


def test_a_write_after_fork_is_invisible_to_the_other_side():
    # copy-on-write (dup_mm): the child's write changes only its own copy
    k = kernel("""
        program main {
            var x = 0
            fork { x = 1 }
            skip
        }
    """)
    s = _only(k.successors(k.initial()))  # fork
    child_step = [t for t in k.successors(s) if t.tasks[2].pc != s.tasks[2].pc]  # type: ignore[union-attr]
    after = child_step[0]
    assert isinstance(after, State)
    main, child = after.tasks[1], after.tasks[2]
    assert after.mems[main.mm] == (0,) and after.mems[child.mm] == (1,)


def test_a_failed_assert_ends_the_path():
    k = kernel('program main { assert 1 == 2, "nope" }')
    (f,) = k.successors(k.initial())
    assert isinstance(f, Failure) and f.property == "assertions" and f.message == "nope"


def test_arithmetic_errors_violate_assertions():
    k = kernel("program main { x = 0\n y = 1 / x }")
    s = _only(k.successors(k.initial()))
    (f,) = k.successors(s)
    assert isinstance(f, Failure) and "division by zero" in f.message


def test_c_division_truncates_toward_zero():
    k = kernel("program main { x = -7\n y = x / 2\n z = x % 2\n exit 0 }")
    s = k.initial()
    for _ in range(3):
        s = _only(k.successors(s))
    L = s.tasks[1].locals
    names = k.programs[0].local_names
    assert (L[names.index("y")], L[names.index("z")]) == (-3, -1)


def test_assume_false_prunes_the_path():
    k = kernel("program main { assume 1 == 2 }")
    assert k.successors(k.initial()) == [Pruned(2)]


def test_any_gives_one_successor_per_value():
    k = kernel("program main { x = any(1..3)\n exit x }")
    succ = k.successors(k.initial())
    slot = k.programs[0].local_names.index("x")
    assert sorted(s.tasks[1].locals[slot] for s in succ) == [1, 2, 3]  # type: ignore[union-attr]


def test_choose_branches_are_not_steps_of_their_own():
    # SEMANTICS 7: picking a branch belongs to the step of the next statement
    k = kernel("program main { choose { x = 1 } or { x = 2 }\n exit x }")
    succ = k.successors(k.initial())
    slot = k.programs[0].local_names.index("x")
    assert sorted(s.tasks[1].locals[slot] for s in succ) == [1, 2]  # type: ignore[union-attr]


def test_an_if_test_is_a_step_of_its_own():
    k = kernel("program main { if 1 == 1 { x = 5 }\n exit 0 }")
    s1 = _only(k.successors(k.initial()))
    assert s1.tasks[1].locals[0] is None  # the test only moved the pc
    s2 = _only(k.successors(s1))
    assert s2.tasks[1].locals[0] == 5


def test_a_blocked_wait_sleeps_then_completes_after_the_childs_exit():
    # do_wait: sleep; the child's exit wakes it (__wake_up_parent); the wait
    # then completes in a step of the parent's own (SEMANTICS 7)
    k = kernel("""
        program main {
            c = fork { exit 3 }
            w = wait()
            exit w.code
        }
    """)
    s = _only(k.successors(k.initial()))  # fork
    asleep = [t for t in k.successors(s) if t.tasks[1].state == SLEEPING]  # type: ignore[union-attr]
    assert len(asleep) == 1
    woken = _only(k.successors(asleep[0]))  # only the child can run
    assert woken.tasks[1].state == RUNNING and woken.tasks[2].state == ZOMBIE
    done = _only(k.successors(woken))
    w = done.tasks[1].locals[k.programs[0].local_names.index("w")]
    assert w == (3, True, 3, False, 0, False, False)
    assert [t.pid for t in done.tasks] == [1, 2]


def test_fork_fault_explores_the_failure_too():
    # faults { fork }: fork also returns -1 with EAGAIN
    k = kernel("faults { fork }\nprogram main { c = fork { exit 0 }\n exit 0 }")
    succ = k.successors(k.initial())
    slot = k.programs[0].local_names.index("c")
    results = sorted((s.tasks[1].locals[slot], s.tasks[1].errno) for s in succ)  # type: ignore[union-attr]
    assert results == [(-1, EAGAIN), (3, 0)]


def test_fork_at_the_task_limit_returns_eagain():
    k = kernel("config { max_tasks = 2 }\nprogram main { c = fork { exit 0 }\n exit 0 }")
    s = _only(k.successors(k.initial()))
    main = s.tasks[1]
    assert (main.locals[k.programs[0].local_names.index("c")], main.errno) == (-1, EAGAIN)
    assert len(s.tasks) == 2


def test_a_user_init_that_ends_violates_assertions():
    # kernel/exit.c do_exit: panic("Attempted to kill init!")
    k = kernel("init { skip }\nprogram main { exit 0 }")
    s = k.initial()
    succ = k.successors(s)
    init_step = [t for t in succ if not isinstance(t, State) or t.tasks[0].pc != s.tasks[0].pc]
    s2 = init_step[0]
    assert isinstance(s2, State)
    failures = [t for t in k.successors(s2) if isinstance(t, Failure)]
    assert failures and "Attempted to kill init!" in failures[0].message


def test_set_subreaper_marks_the_task():
    k = kernel("program main { set_subreaper()\n exit 0 }")
    s = _only(k.successors(k.initial()))
    assert s.tasks[1].subreaper is True


def test_the_default_init_reaps_a_zombie_child():
    k = kernel("program main { exit 0 }")
    zombie = _only(k.successors(k.initial()))
    assert zombie.tasks[1].state == ZOMBIE
    reaped = _only(k.successors(zombie))
    assert [t.pid for t in reaped.tasks] == [1]
    assert k.successors(reaped) == []  # init's idle wait is not a step


def test_a_wait_reached_through_choose_sleeps_on_the_wait_itself():
    # Found by tests/test_random_programs.py: the sleeper must keep the pc of
    # the wait, so that its child's exit wakes it and it does not choose again.
    k = kernel("""
        program main {
            c = fork { exit 0 }
            choose { skip } or { w = wait() }
        }
    """)
    s = _only(k.successors(k.initial()))
    asleep = [t for t in k.successors(s) if t.tasks[1].state == SLEEPING]  # type: ignore[union-attr]
    instr = k.programs[0].code[asleep[0].tasks[1].pc]  # type: ignore[union-attr]
    assert instr.text == "w = wait()"
    woken = _only(k.successors(asleep[0]))
    assert woken.tasks[1].state == RUNNING


def test_a_sleeping_wait_keeps_the_arguments_it_was_called_with():
    # kernel_wait4 fixes wo_pid at the call: found by review, the pid was
    # re-evaluated from getppid() after the waiter had been re-parented
    r = check("""
        program main {
            c = fork {
                d = fork { exit 7 }
                w = waitpid(getppid() + 2)   # waitpid(4) while main lives, else waitpid(3)
                assert w.pid == -1 || (w.pid == 4 && w.code == 7)
            }
            exit 0
        }
        check zombies_reaped, no_deadlock
    """)
    assert r.exit_code == 0, [(p.name, p.message) for p in r.properties if p.status == "violated"]


def test_wait_arguments_are_c_ints():
    # wait4(pid_t upid, ..., int options): 4294967295 is -1 and 2**32 is 0
    r = check("""
        program main {
            c = fork { exit 1 }
            w = waitpid(4294967295, 4294967296)
            assert w.pid == c
        }
    """)
    assert r.exit_code == 0


def test_an_empty_repeat_is_not_a_step():
    # found by review: a fixed bound on silent steps rejected `repeat 20000 { }`
    k = kernel("program main { repeat 20000 { }\n exit 0 }")
    s = k.initial()
    assert k.programs[0].code[s.tasks[1].pc].text == "exit 0"


def test_a_subreaper_whose_leader_exited_adopts_through_a_live_thread():
    # find_new_reaper -> find_alive_thread(reaper): the ancestor subreaper's
    # leader (2) is a zombie, its thread 5 lives; 4 exits, 6 goes to 5. The
    # model and the orphans_reparented oracle must agree (found by review).
    from checker.props.builtin import orphans_go_to_the_reaper

    tasks = (
        init((2,)),
        task(2, children=(3,), subreaper=True, state=ZOMBIE),
        task(3, ppid=2, children=(4,)),
        task(4, ppid=3, children=(6,)),
        task(5, ppid=1, tgid=2),
        task(6, ppid=4),
    )
    tx = tx_of(*tasks)
    assert find_new_reaper(tx, tx.get(4)) == 5  # type: ignore[arg-type]
    before = tx.freeze()
    do_exit(tx, 4, 0, Ctx(), None)
    assert orphans_go_to_the_reaper(before, tx.freeze()) is None
