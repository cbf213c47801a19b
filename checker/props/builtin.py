"""The built-in properties over kernel states (LANGUAGE.md "Built-in properties")."""

from __future__ import annotations

from checker.kernel.state import DEFAULT_INIT, ZOMBIE, State, Task, get


def orphans_reparented(s: State) -> str | None:
    """Every task but init has a live real parent, and a task that has exited
    has no children left: they were re-parented in the step of its exit
    (kernel/exit.c forget_original_parent)."""
    for t in s.tasks:
        if t.pid == 1:
            continue
        parent = get(s.tasks, t.ppid)
        if parent is None:
            return f"pid {t.pid}'s parent {t.ppid} no longer exists"
        if parent.state == ZOMBIE:
            return f"pid {t.pid}'s parent {t.ppid} has exited (a zombie) and did not hand it on"
        if t.state == ZOMBIE and t.children:
            kids = ", ".join(map(str, t.children))
            return f"pid {t.pid} has exited but still has children ({kids})"
    return None


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
