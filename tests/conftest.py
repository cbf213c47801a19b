"""Shared helpers for the tests: build kernel states by hand, load scenarios."""

from __future__ import annotations

import textwrap

import pytest

from checker.kernel.model import Kernel
from checker.kernel.state import (
    DEFAULT_INIT,
    NO_MM,
    NO_SIGHAND,
    RUNNING,
    SLEEPING,
    ZOMBIE,
    State,
    Task,
    Tx,
)
from checker.lang.constants import SIGCHLD
from checker.lang.load import load_text
from checker.results import FileResult
from checker.runner import check_text


def task(
    pid: int,
    ppid: int = 1,
    state: str = RUNNING,
    children: tuple[int, ...] = (),
    pgid: int | None = None,
    tgid: int | None = None,
    subreaper: bool = False,
    xstatus: int = 0,
    exit_signal: int = SIGCHLD,
    prog: int = 0,
    pc: int = 0,
    blocked: int = 0,
    pending: int = 0,
    shared: int = 0,
) -> Task:
    """A task for hand-built states (no locals, no address space; handler
    table number pid - 1, all SIG_DFL, unless it is a zombie)."""
    return Task(
        pid=pid,
        tgid=tgid if tgid is not None else pid,
        ppid=ppid,
        pgid=pgid if pgid is not None else pid,
        state=state,
        prog=prog,
        pc=pc,
        locals=(),
        mm=NO_MM,
        xstatus=xstatus,
        errno=0,
        subreaper=subreaper,
        children=children,
        exit_signal=exit_signal,
        ident=-1,
        call=(),
        parent_execed=False,
        blocked=blocked,
        pending=pending,
        shared=shared,
        group_exit=0,
        stop_code=0,
        continued=0,
        sighand=NO_SIGHAND if state == ZOMBIE else pid - 1,
        frames=(),
    )


def init(children: tuple[int, ...]) -> Task:
    """The default init (pid 1), asleep in its idle wait."""
    return task(1, ppid=0, state=SLEEPING, children=children, pgid=1, prog=DEFAULT_INIT)


def state(*tasks: Task, last_pid: int | None = None) -> State:
    ts = tuple(sorted(tasks, key=lambda t: t.pid))
    sighands = tuple(() for _ in range(ts[-1].pid))
    return State(ts, (), sighands, last_pid if last_pid is not None else ts[-1].pid, ())


def tx_of(*tasks: Task, last_pid: int | None = None) -> Tx:
    return Tx(state(*tasks, last_pid=last_pid))


def scenario(text: str):  # type: ignore[no-untyped-def]
    return load_text(textwrap.dedent(text), "test.proc")


def kernel(text: str) -> Kernel:
    return Kernel(scenario(text))


def check(text: str, **options: object) -> FileResult:
    from checker.runner import Options

    return check_text(textwrap.dedent(text), "test.proc", Options(**options))  # type: ignore[arg-type]


@pytest.fixture
def write(tmp_path):  # type: ignore[no-untyped-def]
    """write(name, text) -> path of a .proc file in a temporary directory."""

    def _write(name: str, text: str) -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
        return str(p)

    return _write
