"""The built-in properties over kernel states (LANGUAGE.md "Built-in properties")."""

from __future__ import annotations

from checker.kernel.state import (
    DEFAULT_INIT,
    DISK_SLEEP,
    INIT_PID,
    ZOMBIE,
    State,
    Task,
    get,
    thread_list,
)


def orphans_reparented(s: State) -> str | None:
    """Every task but init has a live real parent, and a task that has exited
    has no children left: they were re-parented in the step of its exit
    (kernel/exit.c forget_original_parent)."""
    for t in s.tasks:
        if t.tgid == INIT_PID:
            continue  # init and its threads have no parent in the namespace
        parent = get(s.tasks, t.ppid)
        if parent is None:
            return f"pid {t.pid}'s parent {t.ppid} no longer exists"
        if parent.state == ZOMBIE:
            return f"pid {t.pid}'s parent {t.ppid} has exited (a zombie) and did not hand it on"
        if t.state == ZOMBIE and t.children:
            kids = ", ".join(map(str, t.children))
            return f"pid {t.pid} has exited but still has children ({kids})"
    return None


def orphans_go_to_the_reaper(pre: State, post: State) -> str | None:
    """When a task with children exits, each child is re-parented in that
    very step to the reaper LANGUAGE.md prescribes: a live thread of the same
    group, else the nearest ancestor that is a subreaper and has a live
    thread, else init.

    This states the rule again, from the state before the step, on purpose:
    it is the specification the kernel model (kernel/exit.c find_new_reaper,
    in checker/kernel/exit.py) is checked against, so a mistake there shows
    up as a violation instead of being repeated here."""
    before, after = pre.tasks, post.tasks
    if len(after) > len(before):
        return None  # a fork: nobody exited
    aligned = len(after) == len(before)
    for k, father in enumerate(before):
        if not father.children or father.state == ZOMBIE:
            continue
        if aligned and after[k] is father:
            continue  # untouched by this step (the common case)
        now = get(after, father.pid)
        if now is not None and now.state != ZOMBIE:
            continue  # did not exit in this step
        survivors = [t.pid for t in after if t.tgid == father.tgid and t.state != ZOMBIE]
        if survivors:
            # a live thread of the same group (several threads may die in one
            # step, in an exec's de_thread: the one left takes the children)
            for cpid in father.children:
                child = get(after, cpid)
                if child is not None and child.ppid not in survivors:
                    return (
                        f"pid {father.pid} exited and its child {cpid} went to pid "
                        f"{child.ppid}, not to a live thread of its process"
                    )
            continue
        reaper = _prescribed_reaper(before, father)
        for cpid in father.children:
            child = get(after, cpid)
            if child is not None and child.ppid != reaper:
                return (
                    f"pid {father.pid} exited and its child {cpid} went to pid "
                    f"{child.ppid}, not to pid {reaper}"
                )
    return None


def vfork_parent_blocked(s: State) -> str | None:
    """A task that created a child with CLONE_VFORK takes no step until that
    child has exec'd or exited: while the child still holds the vfork
    completion, its parent sleeps in D, unless a fatal signal has ended the
    wait (its group is exiting; kernel/fork.c wait_for_vfork_done)."""
    for child in s.tasks:
        if not child.vfork_parent:
            continue
        parent = get(s.tasks, child.vfork_parent)
        if parent is None:
            return f"pid {child.pid}'s vfork parent {child.vfork_parent} no longer exists"
        if parent.state == DISK_SLEEP:
            continue
        leader = get(s.tasks, parent.tgid)
        if leader is not None and leader.group_exit:
            continue  # killed: it runs only to die
        return (
            f"pid {parent.pid} runs (state {parent.state}) while its vfork child "
            f"{child.pid} has neither exec'd nor exited"
        )
    return None


def _live_thread(tasks: tuple[Task, ...], tgid: int, exiting: int = 0) -> int | None:
    """The first live thread of the group, from the head of its thread
    list: the leader, then the others in pid order."""
    for t in thread_list(tasks, tgid):
        if t.pid != exiting and t.state != ZOMBIE:
            return t.pid
    return None


def _prescribed_reaper(tasks: tuple[Task, ...], father: Task) -> int:
    thread = _live_thread(tasks, father.tgid, exiting=father.pid)
    if thread is not None:
        return thread
    ancestor = get(tasks, father.ppid)
    while ancestor is not None and ancestor.pid != INIT_PID:
        group = get(tasks, ancestor.tgid)
        if group is not None and group.subreaper:
            thread = _live_thread(tasks, ancestor.tgid)
            if thread is not None:
                return thread
        ancestor = get(tasks, ancestor.ppid)
    return INIT_PID


def live_tasks(s: State) -> list[Task]:
    """Tasks that are neither zombies nor the idle default init."""
    return [t for t in s.tasks if t.state != ZOMBIE and t.prog != DEFAULT_INIT]


def zombie_mask(s: State) -> int:
    """The zombies of a state, as a bit set of pids."""
    mask = 0
    for t in s.tasks:
        if t.state == ZOMBIE:
            mask |= 1 << t.pid
    return mask
