"""What the language knows by name: its functions, built-in properties,
status-record fields, task fields, config keys and fault classes.

One table each, read by the static checker (arity, types, where a call may
appear), by lowering, and by the documentation tests.
"""

from __future__ import annotations

from dataclasses import dataclass

# Value types of the static checker.
INT = "integer"
BOOL = "boolean"
STATUS = "status record"
SIGSET = "signal set"
PROGRAM = "program"
STATE = "task state"
TASK = "task"
TUPLE = "tuple"
ACTION = "signal action"


@dataclass(frozen=True, slots=True)
class FuncSpec:
    """A callable. `params` name the kind of each argument:
    "int", "signal" (an integer that is a signal number), "sigset",
    "action" (SIG_DFL, SIG_IGN or a handler), "program"
    (a program or kthread name), "name" (a lock or wait queue), "cond" (an
    expression re-evaluated by the callee); `optional` trailing ones may be
    left out."""

    name: str
    params: tuple[str, ...]
    returns: str | None
    effect: str  # "query": pure, usable in expressions; "syscall"; "kernel"
    supported: bool
    optional: int = 0
    default: tuple[int, ...] = ()


FUNCTIONS: dict[str, FuncSpec] = {
    f.name: f
    for f in (
        # process lifecycle
        FuncSpec("wait", (), STATUS, "syscall", True),
        FuncSpec("waitpid", ("int", "int"), STATUS, "syscall", True, optional=1, default=(0,)),
        FuncSpec("set_subreaper", (), INT, "syscall", True),
        FuncSpec("getpid", (), INT, "query", True),
        FuncSpec("getppid", (), INT, "query", True),
        FuncSpec("gettid", (), INT, "query", True),
        # signals
        FuncSpec("kill", ("int", "signal"), INT, "syscall", True),
        FuncSpec("raise", ("signal",), INT, "syscall", True),
        FuncSpec("signal", ("signal", "action"), INT, "syscall", True),
        FuncSpec("sigaction", ("signal", "action", "int"), INT, "syscall", True),
        FuncSpec("sigprocmask", ("int", "sigset"), INT, "syscall", True),
        FuncSpec("sigsuspend", ("sigset",), INT, "syscall", True),
        FuncSpec("pause", (), INT, "syscall", True),
        # threads
        FuncSpec("join", ("int",), INT, "syscall", True),
        # kernel context
        FuncSpec("kthread_create", ("program",), INT, "kernel", False),
        FuncSpec("kthread_run", ("program",), INT, "kernel", False),
        FuncSpec("kthread_stop", ("int",), INT, "kernel", False),
        FuncSpec("kthread_should_stop", (), BOOL, "kernel", False),
        FuncSpec("set_current_state", ("int",), None, "kernel", False),
        FuncSpec("__set_current_state", ("int",), None, "kernel", False),
        FuncSpec("schedule", (), None, "kernel", False),
        FuncSpec("wake_up_process", ("int",), INT, "kernel", False),
        FuncSpec("add_wait_queue", ("name",), None, "kernel", False),
        FuncSpec("remove_wait_queue", ("name",), None, "kernel", False),
        FuncSpec("prepare_to_wait", ("name", "int"), None, "kernel", False),
        FuncSpec("finish_wait", ("name",), None, "kernel", False),
        FuncSpec("wait_event", ("name", "cond"), None, "kernel", False),
        FuncSpec("wait_event_interruptible", ("name", "cond"), INT, "kernel", False),
        FuncSpec("wake_up", ("name",), None, "kernel", False),
        FuncSpec("wake_up_all", ("name",), None, "kernel", False),
        FuncSpec("spin_lock", ("name",), None, "kernel", False),
        FuncSpec("spin_unlock", ("name",), None, "kernel", False),
        FuncSpec("mutex_lock", ("name",), None, "kernel", False),
        FuncSpec("mutex_unlock", ("name",), None, "kernel", False),
    )
}

# Fields of a status record (wait's result), in storage order.
STATUS_FIELDS: dict[str, str] = {
    "pid": INT,
    "exited": BOOL,
    "code": INT,
    "signaled": BOOL,
    "signal": INT,
    "stopped": BOOL,
    "continued": BOOL,
}
STATUS_INDEX = {name: i for i, name in enumerate(STATUS_FIELDS)}

# Fields every task has, for properties (`T.pid`, `T.state`, ...).
TASK_FIELDS: dict[str, str] = {
    "pid": INT,
    "ppid": INT,
    "tgid": INT,
    "state": STATE,
    "program": PROGRAM,
    "exit_code": INT,
    "subreaper": BOOL,
}


@dataclass(frozen=True, slots=True)
class PropertySpec:
    name: str
    default: bool  # checked when no `check` line is given
    supported: bool


BUILTIN_PROPERTIES: dict[str, PropertySpec] = {
    p.name: p
    for p in (
        PropertySpec("assertions", True, True),
        PropertySpec("orphans_reparented", True, True),
        PropertySpec("zombies_reaped", True, True),
        PropertySpec("no_deadlock", True, True),
        PropertySpec("vfork_parent_blocked", True, True),
        PropertySpec("zombies_eventually_reaped", False, True),
        PropertySpec("no_lost_wakeup", False, False),
    )
}

# config { KEY = VALUE }: (default, minimum) for the integer keys.
CONFIG_INT_KEYS: dict[str, tuple[int, int]] = {
    "max_tasks": (16, 2),
    "pid_max": (32768, 3),
    "max_depth": (0, 0),
    "max_states": (0, 0),
}
FAIRNESS = ("weak", "strong", "none")
# config { engine = ... } and --engine: which engine checks the file (the
# first is the default)
ENGINES = ("explicit", "symbolic", "both")
# the config keys whose value is one of a few names (the first the default)
CONFIG_NAME_KEYS: dict[str, tuple[str, ...]] = {"fairness": FAIRNESS, "engine": ENGINES}


@dataclass(frozen=True, slots=True)
class Settings:
    """A scenario's `config`, with the defaults of CONFIG_INT_KEYS."""

    max_tasks: int = CONFIG_INT_KEYS["max_tasks"][0]
    pid_max: int = CONFIG_INT_KEYS["pid_max"][0]
    max_depth: int = CONFIG_INT_KEYS["max_depth"][0]
    max_states: int = CONFIG_INT_KEYS["max_states"][0]
    fairness: str = FAIRNESS[0]
    engine: str = ENGINES[0]


# faults { ... }: the calls whose error returns are explored, and whether the
# checker can explore them yet.
FAULTS: dict[str, bool] = {"fork": True, "wait": True, "exec": True, "kill": True}
