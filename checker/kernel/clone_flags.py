"""The clone(2) flag rules: which flag sets copy_process refuses with EINVAL.

The rules are written once, as data (`RULES`); `violations` evaluates them
on a concrete flags word for the model's clone step, and
checker/symbolic/clone_flags.py builds the same rules as Z3 bit-vector
constraints for the static checks and `forkcheck flags`. The tests compare
the two on every combination of the flags the rules mention.

Every rule has the form "all of `present` set, none of `absent` set (and,
for one rule, the caller is an init)": that is how kernel/fork.c writes
each of them.
"""

from __future__ import annotations

from typing import NamedTuple

from checker.lang.constants import CLONE_FLAGS

F = CLONE_FLAGS
CSIGNAL = F["CSIGNAL"]
LEGACY_MASK = 0xFFFFFFFF  # sys_clone: lower_32_bits(clone_flags)


class FlagRule(NamedTuple):
    ref: str  # linux-reference.md's name for the rule
    message: str  # what a user reads: "CLONE_THREAD requires CLONE_SIGHAND"
    source: str  # where the kernel checks it
    present: int  # invalid when all of these are set ...
    absent: int = 0  # ... none of these is ...
    caller_init: bool = False  # ... and (if True) the caller is an init (SIGNAL_UNKILLABLE)

    def applies(self, flags: int, caller_is_init: bool) -> bool:
        return (
            flags & self.present == self.present
            and not flags & self.absent
            and (caller_is_init or not self.caller_init)
        )


# In the order the kernel tests them: kernel_clone's check first, then
# copy_process's, then copy_namespaces' (the first one that applies is the
# one the kernel stops at).
RULES: tuple[FlagRule, ...] = (
    FlagRule(
        "F9",
        "CLONE_PIDFD and CLONE_PARENT_SETTID both write to the parent_tid word",
        "kernel/fork.c kernel_clone",
        F["CLONE_PIDFD"] | F["CLONE_PARENT_SETTID"],
    ),
    FlagRule(
        "F1",
        "CLONE_NEWNS cannot be combined with CLONE_FS",
        "kernel/fork.c copy_process",
        F["CLONE_NEWNS"] | F["CLONE_FS"],
    ),
    FlagRule(
        "F2",
        "CLONE_NEWUSER cannot be combined with CLONE_FS",
        "kernel/fork.c copy_process",
        F["CLONE_NEWUSER"] | F["CLONE_FS"],
    ),
    FlagRule(
        "F4",
        "CLONE_THREAD requires CLONE_SIGHAND",
        "kernel/fork.c copy_process",
        F["CLONE_THREAD"],
        F["CLONE_SIGHAND"],
    ),
    FlagRule(
        "F5",
        "CLONE_SIGHAND requires CLONE_VM",
        "kernel/fork.c copy_process",
        F["CLONE_SIGHAND"],
        F["CLONE_VM"],
    ),
    FlagRule(
        "F6",
        "CLONE_PARENT from init (SIGNAL_UNKILLABLE): init may not create siblings",
        "kernel/fork.c copy_process",
        F["CLONE_PARENT"],
        caller_init=True,
    ),
    FlagRule(
        "F7",
        "CLONE_THREAD cannot be combined with CLONE_NEWUSER",
        "kernel/fork.c copy_process",
        F["CLONE_THREAD"] | F["CLONE_NEWUSER"],
    ),
    FlagRule(
        "F7",
        "CLONE_THREAD cannot be combined with CLONE_NEWPID",
        "kernel/fork.c copy_process",
        F["CLONE_THREAD"] | F["CLONE_NEWPID"],
    ),
    FlagRule(
        "F8",
        "CLONE_PIDFD cannot be combined with CLONE_DETACHED",
        "kernel/fork.c copy_process",
        F["CLONE_PIDFD"] | F["CLONE_DETACHED"],
    ),
    FlagRule(
        "F10",
        "CLONE_NEWIPC cannot be combined with CLONE_SYSVSEM",
        "kernel/nsproxy.c copy_namespaces",
        F["CLONE_NEWIPC"] | F["CLONE_SYSVSEM"],
    ),
)

# The flags some rule mentions (the tests enumerate every combination of them).
MENTIONED: tuple[str, ...] = tuple(
    name
    for name, bit in F.items()
    if name != "CSIGNAL" and any((r.present | r.absent) & bit for r in RULES)
)


def legacy_split(word: int) -> tuple[int, int]:
    """The legacy clone(2) call's flags word as kernel_clone gets it
    (kernel/fork.c SYSCALL_DEFINE5(clone)): the low 32 bits without the low
    byte are the flags, the low byte (CSIGNAL) the exit signal, unvalidated."""
    low = word & LEGACY_MASK
    return low & ~CSIGNAL, low & CSIGNAL


def violations(word: int, caller_is_init: bool = False) -> list[FlagRule]:
    """The rules a legacy clone flags word breaks, in the kernel's order
    (the first is the one the kernel reports); [] when it is accepted."""
    flags, _ = legacy_split(word)
    return [r for r in RULES if r.applies(flags, caller_is_init)]


def names(flags: int) -> list[str]:
    """The CLONE_* names of the bits set above the low byte."""
    return [n for n, bit in F.items() if n != "CSIGNAL" and bit > CSIGNAL and flags & bit]
