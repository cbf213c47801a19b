"""Property expressions (IR) compiled to `f(state)` functions.

`T.X` and `PROG.X` read task values through the helpers below; a local
that has no value in the state raises `Unset`, which the checker reports
as a mistake in the property (or shows as `unset` in an observed outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checker.kernel.state import DEFAULT_INIT, NO_MM, ZOMBIE, State, Task, get, ppid_of
from checker.lang import ir
from checker.lang.pyexpr import Unset, compile_property_expr


def _taskfield(s: State, t: Task, name: str) -> object:
    if name == "pid":
        return t.pid
    if name == "tgid":
        return t.tgid
    if name == "ppid":
        return ppid_of(s.tasks, t)
    if name == "state":
        return t.state
    if name == "program":
        return t.prog
    if name == "exit_code":
        # the code a zombie exited with (0 for live tasks)
        return (t.xstatus >> 8) & 0xFF if t.state == ZOMBIE and t.xstatus & 0x7F == 0 else 0
    if name == "subreaper":
        # is_child_subreaper belongs to the process: its leader's entry
        leader = get(s.tasks, t.tgid)
        return (leader or t).subreaper
    raise AssertionError(name)


def _taskvar(s: State, t: Task, slots: tuple[tuple[int, str, int], ...], name: str) -> object:
    for prog, kind, slot in slots:
        if prog == t.prog:
            if kind == "local":
                value = t.locals[slot] if slot < len(t.locals) else None
            else:
                value = s.mems[t.mm][slot] if t.mm != NO_MM else None
            if value is None:
                raise Unset(f"task {t.pid}'s `{name}` has no value in this state")
            return value
    who = "init" if t.prog == DEFAULT_INIT else f"task {t.pid}"
    raise Unset(f"{who} has no variable `{name}` (its program does not declare it)")


def _named(s: State, which: int, kind: str, slot: int, what: str) -> object:
    entry = s.named[which]
    if entry is None:
        prog = what.split(".")[0]
        raise Unset(f"`{what}`: no task has begun as `{prog}` in this state")
    if isinstance(entry, int):
        task = get(s.tasks, entry)
        assert task is not None
        locals_ = task.locals
        values = s.mems[task.mm] if task.mm != NO_MM else ()
    else:
        locals_, values = entry  # type: ignore[misc]
    source = locals_ if kind == "local" else values
    value = source[slot] if slot < len(source) else None
    if value is None:
        raise Unset(f"`{what}` has no value in this state")
    return value


HELPERS: dict[str, Any] = {
    "_taskfield": _taskfield,
    "_taskvar": _taskvar,
    "_named": _named,
    "_getppid": lambda s, t: ppid_of(s.tasks, t),
}


def compile_property(e: ir.Expr) -> Callable[[State], Any]:
    return compile_property_expr(e, HELPERS)


__all__ = ["HELPERS", "Unset", "compile_property"]
