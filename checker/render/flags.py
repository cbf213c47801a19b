"""`forkcheck flags`: what the legacy clone(2) call makes of a flags word, as text.

Someone writing `clone(FLAGS) { }` wants to know, before running a check,
whether copy_process accepts the flags and what the new task will share; the
verdict comes from the Z3 encoding the static warnings use
(checker/symbolic/clone_flags.py), so the command and the warnings cannot
disagree. The lines are plain and stable: tests compare them exactly.
"""

from __future__ import annotations

from checker.kernel.clone_flags import F, names
from checker.lang.constants import NSIG, NSIG_STANDARD, SIGCHLD, SIGNAL_NAMES
from checker.symbolic.clone_flags import Explanation

# What each flag the model acts on gives the new task (kernel/fork.c
# copy_process; linux-reference.md F20, F21, F26).
_SHARED = {
    # copy_mm: the same mm instead of dup_mm's copy
    "CLONE_VM": "shares the caller's address space: `var`s are shared",
    # copy_sighand: the same sighand_struct instead of a copy
    "CLONE_SIGHAND": "shares the caller's signal handler table",
    # copy_signal, and `p->exit_signal = -1` under tasklist_lock
    "CLONE_THREAD": (
        "joins the caller's thread group: same tgid, exit signal -1, not waitable,"
        " released at once on exit"
    ),
    # kernel_clone -> wait_for_vfork_done; released by mm_release
    "CLONE_VFORK": "the caller sleeps (D) until the child execs or exits",
}
# CLONE_PARENT: `p->real_parent = current->real_parent`; the exit signal is
# the group leader's unless CLONE_THREAD made it -1
_PARENT = "the caller's parent becomes its parent"
_PARENT_SIGNAL = ", and its exit signal is the caller's group leader's"
# copy_namespaces: the model has one pid namespace (its clone step stops)
_NEWPID = "a new pid namespace: not modelled (a check stops with an error)"


def render(e: Explanation) -> str:
    """The explanation, one fact per line."""
    lines = [
        f"flags word:  {e.word:#x}",
        f"flags:       {'|'.join(e.flag_names) or 'none'}",
    ]
    if e.dropped:
        lines.append(
            f"dropped:     {', '.join(e.dropped_names)}: above 32 bits, the legacy clone call drops them"
        )
    lines.append(f"exit signal: {exit_signal(e.exit_signal, e.flags)}")
    if e.caller_is_init:
        lines.append("caller:      init (SIGNAL_UNKILLABLE)")
    if not e.valid:
        lines.append("verdict:     invalid (EINVAL)")
        for i, rule in enumerate(e.broken):
            reported = "  <- the error the kernel reports" if i == 0 and len(e.broken) > 1 else ""
            lines.append(f"  {rule.ref}: {rule.message} ({rule.source}){reported}")
        return "\n".join(lines)
    lines.append("verdict:     valid")
    lines.append("the child:")
    lines += [f"  {line}" for line in shared(e.flags)]
    for rule in e.broken_by_init:
        lines.append(f"invalid when called by init: {rule.ref}: {rule.message} ({rule.source})")
    return "\n".join(lines)


def exit_signal(number: int, flags: int) -> str:
    """The low byte of the flags word as the exit signal (the legacy call
    does not validate it) and what it means for the parent and for wait
    (kernel/exit.c eligible_child: a plain wait sees only the children whose
    exit signal is SIGCHLD), unless CLONE_THREAD or CLONE_PARENT replaces it
    (copy_process)."""
    name = SIGNAL_NAMES.get(number) if number != 0 else "none"
    label = f"{name} ({number})" if name else str(number)
    if flags & F["CLONE_THREAD"]:
        return f"{label}, ignored: CLONE_THREAD makes it -1"
    if flags & F["CLONE_PARENT"]:
        return f"{label}, ignored: CLONE_PARENT takes the caller's group leader's"
    if number == 0:
        text = "none (0): the parent is not notified and a plain wait does not see the child"
    elif number == SIGCHLD:
        text = f"SIGCHLD ({number}): the parent is notified and a plain wait sees the child"
    elif number <= NSIG_STANDARD:
        text = (
            f"{name} ({number}): the parent is notified with {name}; a plain wait does not see"
            " the child (a clone child: __WCLONE or __WALL does)"
        )
    elif number <= NSIG:
        text = f"a real-time signal ({number}): not modelled (a check stops with an error)"
    else:
        text = (
            f"not a valid signal ({number}): nobody is notified, the child is still a clone child"
        )
    if number & F["CLONE_NEWTIME"]:
        text += " (CLONE_NEWTIME is this byte's top bit: only clone3 takes it as a flag)"
    return text


def shared(flags: int) -> list[str]:
    """What the new task shares with (or gets from) its creator, a line per
    flag the model acts on, then the accepted flags it does not act on."""
    lines: list[str] = []
    inert: list[str] = []
    for name in names(flags):
        if name in _SHARED:
            lines.append(f"{name}: {_SHARED[name]}")
        elif name == "CLONE_PARENT":
            thread = flags & F["CLONE_THREAD"]
            lines.append(f"{name}: {_PARENT}{'' if thread else _PARENT_SIGNAL}")
        elif name == "CLONE_NEWPID":
            lines.append(f"{name}: {_NEWPID}")
        else:
            inert.append(name)
    if not lines:
        lines.append("shares nothing with its creator: it gets copies, as with fork")
    if inert:
        lines.append(f"accepted, nothing in the model acts on them: {', '.join(inert)}")
    return lines
