"""The kernel constants a scenario may name, with their Linux x86-64 values.

Values are those of the 6.12 uapi headers: arch/x86/include/uapi/asm/signal.h,
include/uapi/asm-generic/signal-defs.h, include/uapi/linux/sched.h,
include/uapi/linux/wait.h, include/uapi/asm-generic/errno{-base,}.h.
"""

from __future__ import annotations

# signal(7) for x86-64 (arch/x86/include/uapi/asm/signal.h)
SIGNALS: dict[str, int] = {
    "SIGHUP": 1,
    "SIGINT": 2,
    "SIGQUIT": 3,
    "SIGILL": 4,
    "SIGTRAP": 5,
    "SIGABRT": 6,
    "SIGIOT": 6,
    "SIGBUS": 7,
    "SIGFPE": 8,
    "SIGKILL": 9,
    "SIGUSR1": 10,
    "SIGSEGV": 11,
    "SIGUSR2": 12,
    "SIGPIPE": 13,
    "SIGALRM": 14,
    "SIGTERM": 15,
    "SIGSTKFLT": 16,
    "SIGCHLD": 17,
    "SIGCONT": 18,
    "SIGSTOP": 19,
    "SIGTSTP": 20,
    "SIGTTIN": 21,
    "SIGTTOU": 22,
    "SIGURG": 23,
    "SIGXCPU": 24,
    "SIGXFSZ": 25,
    "SIGVTALRM": 26,
    "SIGPROF": 27,
    "SIGWINCH": 28,
    "SIGIO": 29,
    "SIGPOLL": 29,
    "SIGPWR": 30,
    "SIGSYS": 31,
}
SIGCHLD = SIGNALS["SIGCHLD"]
SIGKILL = SIGNALS["SIGKILL"]
SIGSTOP = SIGNALS["SIGSTOP"]
SIGCONT = SIGNALS["SIGCONT"]
# the name traces print for a signal number (SIGABRT, not SIGIOT; SIGIO, not SIGPOLL)
SIGNAL_NAMES: dict[int, str] = {}
for _name, _number in SIGNALS.items():
    SIGNAL_NAMES.setdefault(_number, _name)
NSIG_STANDARD = 31  # 1..31 are standard signals; 32..64 (_NSIG) real-time ones
NSIG = 64  # valid_signal: 1..64

# include/uapi/linux/sched.h: clone(2) flags; the low byte (CSIGNAL) is the
# exit signal. CLONE_NEWTIME shares the low byte and, like CLONE_CLEAR_SIGHAND
# and CLONE_INTO_CGROUP, is only accepted by clone3.
CLONE_FLAGS: dict[str, int] = {
    "CSIGNAL": 0x000000FF,
    "CLONE_NEWTIME": 0x00000080,
    "CLONE_VM": 0x00000100,
    "CLONE_FS": 0x00000200,
    "CLONE_FILES": 0x00000400,
    "CLONE_SIGHAND": 0x00000800,
    "CLONE_PIDFD": 0x00001000,
    "CLONE_PTRACE": 0x00002000,
    "CLONE_VFORK": 0x00004000,
    "CLONE_PARENT": 0x00008000,
    "CLONE_THREAD": 0x00010000,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_SYSVSEM": 0x00040000,
    "CLONE_SETTLS": 0x00080000,
    "CLONE_PARENT_SETTID": 0x00100000,
    "CLONE_CHILD_CLEARTID": 0x00200000,
    "CLONE_DETACHED": 0x00400000,
    "CLONE_UNTRACED": 0x00800000,
    "CLONE_CHILD_SETTID": 0x01000000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    "CLONE_IO": 0x80000000,
    "CLONE_CLEAR_SIGHAND": 0x100000000,
    "CLONE_INTO_CGROUP": 0x200000000,
}

# include/uapi/linux/wait.h
WAIT_OPTIONS: dict[str, int] = {
    "WNOHANG": 0x00000001,
    "WUNTRACED": 0x00000002,
    "WSTOPPED": 0x00000002,
    "WEXITED": 0x00000004,
    "WCONTINUED": 0x00000008,
    "WNOWAIT": 0x01000000,
    "__WNOTHREAD": 0x20000000,
    "__WALL": 0x40000000,
    "__WCLONE": 0x80000000,
}
WNOHANG = WAIT_OPTIONS["WNOHANG"]
WUNTRACED = WAIT_OPTIONS["WUNTRACED"]
WCONTINUED = WAIT_OPTIONS["WCONTINUED"]
WNOTHREAD = WAIT_OPTIONS["__WNOTHREAD"]
WALL = WAIT_OPTIONS["__WALL"]
WCLONE = WAIT_OPTIONS["__WCLONE"]

# include/uapi/asm-generic/signal-defs.h
SIGACTION: dict[str, int] = {
    "SIG_DFL": 0,
    "SIG_IGN": 1,
    "SA_NOCLDSTOP": 0x00000001,
    "SA_NOCLDWAIT": 0x00000002,
    "SA_RESTART": 0x10000000,
    "SA_NODEFER": 0x40000000,
    "SA_RESETHAND": 0x80000000,
    "SIG_BLOCK": 0,
    "SIG_UNBLOCK": 1,
    "SIG_SETMASK": 2,
}

# include/uapi/asm-generic/errno-base.h, errno.h
ERRNOS: dict[str, int] = {
    "EPERM": 1,
    "ENOENT": 2,
    "ESRCH": 3,
    "EINTR": 4,
    "ECHILD": 10,
    "EAGAIN": 11,
    "ENOMEM": 12,
    "EINVAL": 22,
    "EDEADLK": 35,
}
ERRNO_NAMES: dict[int, str] = {v: k for k, v in ERRNOS.items()}
ESRCH = ERRNOS["ESRCH"]
EINTR = ERRNOS["EINTR"]
ECHILD = ERRNOS["ECHILD"]
EAGAIN = ERRNOS["EAGAIN"]
EINVAL = ERRNOS["EINVAL"]
EPERM = ERRNOS["EPERM"]
ENOENT = ERRNOS["ENOENT"]
EDEADLK = ERRNOS["EDEADLK"]
SIG_DFL = SIGACTION["SIG_DFL"]
SIG_IGN = SIGACTION["SIG_IGN"]
SA_NOCLDSTOP = SIGACTION["SA_NOCLDSTOP"]
SA_NOCLDWAIT = SIGACTION["SA_NOCLDWAIT"]
SA_RESTART = SIGACTION["SA_RESTART"]
SA_NODEFER = SIGACTION["SA_NODEFER"]
SA_RESETHAND = SIGACTION["SA_RESETHAND"]
SIG_BLOCK = SIGACTION["SIG_BLOCK"]
SIG_UNBLOCK = SIGACTION["SIG_UNBLOCK"]
SIG_SETMASK = SIGACTION["SIG_SETMASK"]

# include/linux/sched.h task states, for set_current_state (kernel threads)
TASK_STATES: dict[str, int] = {
    "TASK_RUNNING": 0,
    "TASK_INTERRUPTIBLE": 1,
    "TASK_UNINTERRUPTIBLE": 2,
}

# Every integer-valued constant a program or a property may name.
CONSTANTS: dict[str, int] = {
    **SIGNALS,
    **CLONE_FLAGS,
    **WAIT_OPTIONS,
    **SIGACTION,
    **ERRNOS,
    **TASK_STATES,
}

# The task states a property compares `T.state` with, and the letter `ps`
# prints for each (fs/proc/array.c task_state_array).
STATE_NAMES: dict[str, str] = {
    "RUNNING": "R",
    "SLEEPING": "S",
    "DISK_SLEEP": "D",
    "STOPPED": "T",
    "ZOMBIE": "Z",
}

INT_MIN = -(2**31)


def c_int(value: int) -> int:
    """A value passed as a C `int` (pid_t, a signal number): its low 32 bits, signed."""
    return ((value - INT_MIN) % 2**32) + INT_MIN


LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
