"""The kernel's step rules as a Z3 transition relation.

This is the symbolic twin of checker/kernel/model.py (with fork.py, exit.py
and wait.py) for the part of the language the symbolic engine covers
(layout.unsupported). The two are kept equal by test, not by construction:
tests/test_symbolic_rules.py checks, on generated states, that the
successors this relation allows are exactly the explicit step function's,
and every symbolic counterexample is replayed through the explicit model.
The explicit engine keeps its own fast Python code (it enumerates millions
of states); this one is built once per scenario, over template states, and
instantiated per step by substitution.

One step: task slot `who` takes one visible instruction; `opt` picks the
branch of a `choose`, `alt` an injected fault, `anyv` the value of an `any`.
`Transition.guards` are mutually exclusive; the successor is the If-merge
of their effects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import z3  # type: ignore[import-untyped]

from checker.engines.symbolic.groups import (
    alive_thread,
    alone,
    group_put,
    list_key,
    members,
    others_alive,
    pick,
)
from checker.engines.symbolic.layout import (
    CONTINUED,
    DFL,
    EXITED,
    IGN,
    IN_CALL,
    NO_CALL,
    RESTART,
    STATE_CODES,
    STOPPED,
    UNSET,
    VFORK_CALL,
    Layout,
)
from checker.engines.symbolic.signal_rules import SignalRules, deliverable, start_group_exit
from checker.engines.symbolic.sstate import (
    Cell,
    Named,
    Slot,
    SState,
    code,
    dead_signals,
    fresh,
    ite_cells,
    ite_fields,
    ite_state,
    leaves,
    put,
    raw_status,
    split_status,
    value_terms,
    var_values,
)
from checker.engines.symbolic.terms import (
    Ctx,
    as_bool,
    as_int,
    c_int,
    const_of,
    eligible_pid,
    exists_pid,
    has_bit,
    lookup,
    low_bits,
    term,
    tgid,
)
from checker.engines.symbolic.thread_rules import SpawnArgs, ThreadRules, spawn_args
from checker.kernel.exec import Image
from checker.kernel.fork import CLONE_PARENT, CLONE_THREAD, CLONE_VFORK, CLONE_VM
from checker.kernel.model import SIGNAL_CALLS
from checker.kernel.state import CONT_NOTIFY, CONT_REPORT, GROUP_EXIT, INIT_PID
from checker.kernel.wait import VALID_OPTIONS
from checker.lang import ir
from checker.lang.constants import (
    EAGAIN,
    ECHILD,
    EINTR,
    EINVAL,
    ENOENT,
    ESRCH,
    INT_MIN,
    SIGCHLD,
    WALL,
    WCLONE,
    WCONTINUED,
    WNOHANG,
    WNOTHREAD,
    WUNTRACED,
)

R, S, D, Z = STATE_CODES["R"], STATE_CODES["S"], STATE_CODES["D"], STATE_CODES["Z"]
TRUE, FALSE = z3.BoolVal(True), z3.BoolVal(False)


@dataclass
class Outcome:
    guard: Any  # which of a case's outcomes (exclusive)
    ok: Any  # false: the step is impossible (`assume`, an empty `any`)
    state: SState


@dataclass
class Choice:
    """The free variables of one step."""

    who: Any
    opt: Any
    alt: Any
    anyv: Any
    newpid: Any

    def all(self) -> list[Any]:
        return [self.who, self.opt, self.alt, self.anyv, self.newpid]


def choice(tag: str) -> Choice:
    return Choice(*(z3.Int(f"{tag}:{n}") for n in ("who", "opt", "alt", "anyv", "newpid")))


@dataclass
class Transition:
    """T(pre, post, choice) as terms over template variables."""

    pre: SState
    post: SState
    choice: Choice
    relation: Any  # pre -> post is a step with this choice
    enabled: Any  # some step is possible from pre (a pruned one included)
    allowed: Any  # the choice names a possible step from pre
    after: list[Any]  # the successor's leaves, as terms over pre and the choice


# ------------------------------------------------------------ state helpers


def set_cell(cells: tuple[Cell, ...], k: int, value: Any) -> tuple[Cell, ...]:
    """Store a value (an Int or Bool, or a status record) in cell k."""
    n = len(cells[k])
    if isinstance(value, tuple):
        new: Cell = tuple(value[:n]) if n == 3 else (value[0],)
    else:
        new = (as_int(value),) + (z3.IntVal(0),) * (n - 1)
    return (*cells[:k], new, *cells[k + 1 :])


def children_count(s: SState, pid: Any) -> Any:
    """The length of a task's children list (thread-group leaders only)."""
    return z3.Sum([z3.If(z3.And(c.alive, c.ppid == pid, leads(c)), 1, 0) for c in s.slots])


def leads(c: Slot) -> Any:
    """The task leads its thread group: it is a process, on its parent's
    children list (a thread is on none)."""
    return TRUE if c.tgid is None else c.pid == c.tgid


# ------------------------------------------------------------ the relation


class Rules:
    def __init__(self, scenario: ir.ScenarioIR, lay: Layout, images: list[Image]):
        self.scenario = scenario
        self.images = images  # each program as exec (or time 0) starts it
        self.lay = lay
        self.programs = scenario.programs
        self.max_tasks = scenario.settings.max_tasks
        self.pid_max = scenario.settings.pid_max
        self.fault_fork = "fork" in scenario.faults
        self.fault_wait = "wait" in scenario.faults
        self.default_init = scenario.init is None
        self.fault_exec = "exec" in scenario.faults
        self.signals = SignalRules(self)
        self.threads = ThreadRules(self)
        # whether two tasks can share an address space (vfork)
        self.shared_mm = any(
            isinstance(instr, ir.Spawn) and instr.kind != "fork"
            for p in scenario.programs
            for instr in p.code
        )

    # -------------------------------------------------------- silent code
    def settle(
        self, prog: ir.ProgramIR, pc: int, L: tuple[Cell, ...]
    ) -> list[tuple[Any, int, tuple[Cell, ...]]]:
        """model.Kernel.settle, on symbolic counters: the paths to the next
        visible instruction or `choose`, each with its condition."""
        out: list[tuple[Any, int, tuple[Cell, ...]]] = []
        visits: dict[int, int] = {}

        def walk(cond: Any, pc: int, L: tuple[Cell, ...]) -> None:
            instr = prog.code[pc]
            if isinstance(instr, ir.RepeatInit):
                walk(cond, instr.next, set_cell(L, instr.counter, z3.IntVal(instr.count)))
            elif isinstance(instr, ir.RepeatTest):
                left = L[instr.counter][0]
                visits[pc] = visits.get(pc, 0) + 1
                body = z3.And(left > 0, left != UNSET)
                known = const_of(left)
                if known is None or known > 0:
                    walk(z3.And(cond, body), instr.body_pc, set_cell(L, instr.counter, left - 1))
                if known is None or known <= 0:
                    walk(
                        z3.And(cond, z3.Not(body)),
                        instr.exit_pc,
                        set_cell(L, instr.counter, z3.IntVal(UNSET)),
                    )
                visits[pc] -= 1
            else:
                assert not isinstance(instr, ir.Jump)
                out.append((z3.simplify(cond), pc, L))

        walk(TRUE, pc, L)
        return out

    def settle_into(
        self, prog: ir.ProgramIR, pc: int, L: tuple[Cell, ...]
    ) -> tuple[Any, tuple[Cell, ...]]:
        """The settled pc and locals as terms (If over the paths)."""
        paths = self.settle(prog, pc, L)
        _, pc_out, L_out = paths[-1]
        pc_term: Any = code(pc_out)
        for cond, p, Lp in reversed(paths[:-1]):
            pc_term = z3.If(cond, code(p), pc_term)
            L_out = ite_cells(cond, Lp, L_out)
        return pc_term, L_out

    def expand(
        self, prog: ir.ProgramIR, pc: int, L: tuple[Cell, ...]
    ) -> list[tuple[Any, int, tuple[Cell, ...]]]:
        """model.Kernel._expand: the visible instructions a task resting at
        `pc` may take, one per `choose` branch."""
        out = []
        for cond, p, Lp in self.settle(prog, pc, L):
            instr = prog.code[p]
            if isinstance(instr, ir.Choose):
                for target in instr.targets:
                    for c2, p2, L2 in self.expand(prog, target, Lp):
                        out.append((z3.And(cond, c2), p2, L2))
            else:
                out.append((cond, p, Lp))
        return out

    def resting_pcs(self, prog: ir.ProgramIR) -> list[int]:
        silent = (ir.Jump, ir.RepeatInit, ir.RepeatTest)
        return [pc for pc, instr in enumerate(prog.code) if not isinstance(instr, silent)]

    # -------------------------------------------------------- building
    def build(self) -> Transition:
        lay = self.lay
        pre = fresh(lay, "pre")
        post = fresh(lay, "post")
        ch = choice("ch")
        guarded: list[tuple[Any, Outcome]] = []
        enabled = []
        for i, sl in enumerate(pre.slots):
            exits: list[tuple[Any, tuple[Cell, ...], Any, Any]] = []
            runs = z3.And(z3.Not(pre.failed), sl.alive, sl.st == R)
            enabled.append(runs)
            code_runs = runs
            if self.lay.signals:
                # get_signal on the way back to user space, before the next
                # statement, unless the task is still inside a call, which
                # goes on first (model.Kernel.task_steps)
                in_call = z3.And(sl.wopt != NO_CALL, sl.phase == IN_CALL)
                takes = z3.Or(
                    has_bit(sl.cont, CONT_NOTIFY), z3.And(z3.Not(in_call), deliverable(sl))
                )
                given = z3.And(sl.wopt != NO_CALL, sl.phase == RESTART)
                g = z3.And(ch.who == i, runs, takes, ch.opt == 0, ch.alt == 0)
                guarded.append((g, Outcome(TRUE, TRUE, self.signals.deliver(pre, i, given))))
                code_runs = z3.And(runs, z3.Not(takes))
            for prog in self.programs:
                for pc in self.resting_pcs(prog):
                    at = z3.And(ch.who == i, code_runs, sl.prog == prog.index, sl.pc == pc)
                    for j, (cond, vpc, L) in enumerate(self.expand(prog, pc, sl.locals)):
                        g = z3.And(at, ch.opt == j, cond)
                        instr = prog.code[vpc]
                        if isinstance(instr, ir.Exit):
                            guarded += self.exit_case(pre, i, instr, g, L, exits)
                            continue
                        for out in self.instruction(pre, i, prog, vpc, L, ch):
                            guarded.append((z3.And(g, out.guard), out))
            if exits:
                # every `exit` this slot may take, as one do_exit: the rule is
                # the same, only the status, the kind and the last locals differ
                g, L, value, thread = exits[-1]
                for g2, L2, v2, t2 in reversed(exits[:-1]):
                    L, value = ite_cells(g2, L2, L), z3.If(g2, v2, value)
                    thread = z3.If(g2, t2, thread)
                    g = z3.Or(g2, g)
                for out in self.exit(pre, i, L, value, thread):
                    guarded.append((z3.And(g, out.guard), out))
        if self.default_init:
            can, after = self.init_reap(pre)
            can = z3.And(z3.Not(pre.failed), can)
            enabled.append(can)
            g = z3.And(ch.who == 0, can, ch.opt == 0)
            guarded.append((g, Outcome(TRUE, TRUE, after)))
        # the successor: each leaf an If over the outcomes that change it
        base = leaves(pre)
        merged = list(base)
        changes: list[list[tuple[Any, Any]]] = [[] for _ in base]
        for g, out in guarded:
            for k, (old, new) in enumerate(zip(base, leaves(out.state), strict=True)):
                if new is not old:
                    changes[k].append((g, new))
        for k, alts in enumerate(changes):
            value = base[k]
            for g, new in reversed(alts):
                value = z3.If(g, new, value)
            merged[k] = value
        allowed = z3.And(
            z3.Or([z3.And(g, out.ok) for g, out in guarded]) if guarded else FALSE,
            self.newpid_rule(pre, ch.newpid),
        )
        relation = z3.And(
            allowed, z3.And([a == b for a, b in zip(leaves(post), merged, strict=True)])
        )
        return Transition(
            pre, post, ch, relation, z3.Or(enabled) if enabled else FALSE, allowed, merged
        )

    # -------------------------------------------------------- instructions
    def instruction(
        self, s: SState, i: int, prog: ir.ProgramIR, pc: int, L: tuple[Cell, ...], ch: Choice
    ) -> list[Outcome]:
        me = s.slots[i]
        instr = prog.code[pc]
        ctx = Ctx(s, self.lay, me, L, me.mem)
        outs = self._instruction(s, i, me, prog, pc, instr, L, ctx, ch)
        if not ctx.errors:
            return outs
        fine, failed = arithmetic_errors(s, ctx)
        return [Outcome(z3.And(fine, o.guard), o.ok, o.state) for o in outs] + [failed]

    def _instruction(self, s, i, me, prog, pc, instr, L, ctx, ch):
        if isinstance(instr, ir.Assign):
            value = term(instr.value, ctx)
            return [
                Outcome(TRUE, TRUE, self.store_next(s, i, prog, instr.next, L, instr.target, value))
            ]
        if isinstance(instr, ir.AnyAssign):
            lo, hi = as_int(term(instr.lo, ctx)), as_int(term(instr.hi, ctx))
            ok = z3.And(lo <= ch.anyv, ch.anyv <= hi)
            after = self.store_next(s, i, prog, instr.next, L, instr.target, ch.anyv)
            return [Outcome(TRUE, ok, after)]
        if isinstance(instr, ir.Branch):
            cond = as_bool(term(instr.cond, ctx))
            yes = self.store_next(s, i, prog, instr.then_pc, L, None, None)
            no = self.store_next(s, i, prog, instr.else_pc, L, None, None)
            return [Outcome(TRUE, TRUE, ite_state(cond, yes, no))]
        if isinstance(instr, ir.Assert):
            cond = as_bool(term(instr.cond, ctx))
            good = self.store_next(s, i, prog, instr.next, L, None, None)
            return [Outcome(cond, TRUE, good), Outcome(z3.Not(cond), TRUE, replace(s, failed=TRUE))]
        if isinstance(instr, ir.Assume):
            cond = as_bool(term(instr.cond, ctx))
            return [Outcome(TRUE, cond, self.store_next(s, i, prog, instr.next, L, None, None))]
        if isinstance(instr, ir.Skip):
            return [Outcome(TRUE, TRUE, self.store_next(s, i, prog, instr.next, L, None, None))]
        if isinstance(instr, ir.Spawn):
            return self.spawn(s, i, prog, pc, instr, L, ch)
        if isinstance(instr, ir.Exec):
            return self.exec_image(s, i, prog, instr, L, ch)
        if isinstance(instr, ir.Return):
            return [Outcome(TRUE, TRUE, self.signals.sig_return(s, i, prog, L))]
        if isinstance(instr, ir.Syscall) and instr.name in SIGNAL_CALLS:
            if instr.name == "kill":
                after = self.signals.kill(s, i, prog, instr, L, ctx)
            elif instr.name == "raise":
                after = self.signals.raise_(s, i, prog, instr, L)
            elif instr.name in ("signal", "sigaction"):
                after = self.signals.sigaction(s, i, prog, instr, L)
            elif instr.name == "sigprocmask":
                after = self.signals.sigprocmask(s, i, prog, instr, L)
            else:
                after = self.signals.pause(s, i, prog, pc, instr, L)
            return [Outcome(ch.alt == 0, TRUE, after)]
        if isinstance(instr, ir.Syscall):
            if instr.name in ("wait", "waitpid"):
                return self.wait(s, i, prog, pc, instr, L, ctx, ch)
            if instr.name == "join":
                return [
                    Outcome(ch.alt == 0, TRUE, self.threads.join(s, i, prog, pc, instr, L, ctx))
                ]
            if instr.name == "set_subreaper":
                # kernel/sys.c prctl(PR_SET_CHILD_SUBREAPER): the group's flag
                s2 = group_put(s, i, subreaper=TRUE)
                return [
                    Outcome(
                        TRUE,
                        TRUE,
                        self.store_next(s2, i, prog, instr.next, L, instr.target, z3.IntVal(0)),
                    )
                ]
        raise AssertionError(f"not covered: {instr!r}")

    def store_next(
        self,
        s: SState,
        i: int,
        prog: ir.ProgramIR,
        next_pc: int,
        L: tuple[Cell, ...],
        ref: ir.Ref | None,
        value: Any,
        **changes: Any,
    ) -> SState:
        """Assign `value` to `ref` and move on to next_pc, settled
        (model.Kernel._store)."""
        if ref is not None and ref.kind == ir.VAR:
            s = self.store_var(s, i, ref.slot, value)
        me = s.slots[i]
        if ref is not None:
            if ref.kind == ir.LOCAL:
                L = set_cell(L, ref.slot, value)
            elif ref.kind == ir.ERRNO:
                changes["errno"] = as_int(value)
        pc, L = self.settle_into(prog, next_pc, L)
        return put(s, i, me.set(pc=pc, locals=L, **changes))

    def store_var(self, s: SState, i: int, k: int, value: Any) -> SState:
        """Store `value` in `var` k of slot i's address space: in its copy,
        and in the copy of every live task that shares it."""
        me = s.slots[i]
        mem = set_cell(me.mem, k, value)
        s = put(s, i, me.set(mem=mem))
        if not self.shared_mm:
            return s
        for j, sl in enumerate(s.slots):
            if j != i:
                shares = z3.And(sl.alive, sl.st != Z, sl.mm == me.mm)
                s = put(s, j, sl.set(mem=ite_cells(shares, mem, sl.mem)))
        return s

    # -------------------------------------------------------- fork
    def newpid_rule(self, s: SState, newpid: Any) -> Any:
        """kernel/pid.c alloc_pid (checker/kernel/pids.py): `newpid` is the
        next free number after last_pid below pid_max, wrapping to the
        lowest free from 2; every number attached to a task (pid, process
        group) is taken. The answer is last_pid + 1, 2, or one more than a
        taken number, so those are the only candidates."""
        last = s.last_pid
        candidates = [last + 1, z3.IntVal(2)]
        for sl in s.slots:
            candidates += [sl.pid + 1, sl.pgid + 1]

        def used(x: Any) -> Any:
            return z3.Or([z3.And(sl.alive, z3.Or(sl.pid == x, sl.pgid == x)) for sl in s.slots])

        def key(x: Any) -> Any:
            return z3.If(x > last, x - last, x + self.pid_max)

        def valid(x: Any) -> Any:
            return z3.And(x >= 2, x < self.pid_max, z3.Not(used(x)))

        some = z3.Or([valid(c) for c in candidates])
        best = z3.And(
            z3.Or([z3.And(valid(c), newpid == c) for c in candidates]),
            z3.And([z3.Implies(valid(c), key(newpid) <= key(c)) for c in candidates]),
        )
        return z3.If(some, best, newpid == 0)

    def spawn(self, s, i, prog, pc, instr: ir.Spawn, L, ch) -> list[Outcome]:
        """fork, vfork, clone, thread (model.Kernel._spawn): EINVAL for a
        flag set copy_process refuses, else a new task; with CLONE_VFORK
        the caller sleeps until it returns in a later step."""
        me = s.slots[i]
        args = spawn_args(instr)
        invalid = self.store_next(
            s, i, prog, instr.next, L, instr.target, z3.IntVal(-1),
            errno=z3.IntVal(EINVAL), wpid=z3.IntVal(0), wopt=z3.IntVal(NO_CALL),
        )  # fmt: skip
        if args.invalid:
            return [Outcome(ch.alt == 0, TRUE, invalid)]
        outs = self.fork(s, i, prog, pc, instr, L, ch, args)
        if args.invalid_for_init:
            # SIGNAL_UNKILLABLE is on init's signal_struct: its threads too
            bad = tgid(me) == INIT_PID
            outs = [Outcome(z3.And(z3.Not(bad), o.guard), o.ok, o.state) for o in outs]
            outs.append(Outcome(z3.And(bad, ch.alt == 0), TRUE, invalid))
        if not args.flags & CLONE_VFORK:
            return outs
        # asleep in wait_for_vfork_done, or back from it
        back = me.wopt == VFORK_CALL
        s2 = s
        if self.lay.signals:
            # a fatal signal ended the wait: wait_for_vfork_done clears the
            # child's vfork_done
            s2 = replace(
                s,
                slots=tuple(
                    c.set(
                        vparent=z3.If(
                            z3.And(c.alive, c.pid == me.wpid, c.vparent == me.pid),
                            z3.IntVal(0),
                            c.vparent,
                        )
                    )
                    for c in s.slots
                ),
            )
        after = self.store_next(
            s2, i, prog, instr.next, L, instr.target, me.wpid,
            wpid=z3.IntVal(0), wopt=z3.IntVal(NO_CALL),
        )  # fmt: skip
        return [Outcome(z3.And(z3.Not(back), o.guard), o.ok, o.state) for o in outs] + [
            Outcome(z3.And(back, ch.alt == 0), TRUE, after)
        ]

    def children_count(self, s: SState, pid: Any) -> Any:
        return children_count(s, pid)

    def snapshot(self, s: SState, me: Slot, L: tuple[Cell, ...]) -> tuple[Named, ...]:
        return snapshot(s, me, L)

    def fork(self, s, i, prog, pc, instr: ir.Spawn, L, ch, args: SpawnArgs) -> list[Outcome]:
        """kernel/fork.c kernel_clone -> copy_process (fork.py), once the
        flags have passed. With CLONE_VM the child shares the caller's
        address space; with CLONE_VFORK the caller sleeps (D) in
        wait_for_vfork_done until the child execs or exits."""
        vfork = bool(args.flags & CLONE_VFORK)
        share_mm = bool(args.flags & CLONE_VM)
        me = s.slots[i]
        alive = z3.Sum([z3.If(sl.alive, 1, 0) for sl in s.slots])
        # copy_process: nr_threads >= max_threads -> EAGAIN; alloc_pid: none free
        success = z3.And(alive < self.max_tasks, ch.newpid != 0)
        pid = ch.newpid
        # the child's locals: the caller's; C-style fork returns 0 in the child
        cL = L
        child_mem = me.mem
        shared = s
        if instr.cstyle and instr.target is not None:
            if instr.target.kind == ir.LOCAL:
                cL = set_cell(cL, instr.target.slot, z3.IntVal(0))
            elif instr.target.kind == ir.VAR and share_mm:
                # the child's store lands in the memory it shares
                shared = self.store_var(s, i, instr.target.slot, z3.IntVal(0))
                child_mem = shared.slots[i].mem
            elif instr.target.kind == ir.VAR:
                child_mem = set_cell(child_mem, instr.target.slot, z3.IntVal(0))
        cpc, cL = self.settle_into(prog, instr.child_pc, cL)
        child_errno = me.errno
        if instr.cstyle and instr.target is not None and instr.target.kind == ir.ERRNO:
            child_errno = z3.IntVal(0)
        thread_fields = self.threads.child_fields(s, me, args, pid)
        # CLONE_PARENT, CLONE_THREAD: the caller's real parent is the new task's
        ppid = me.ppid if args.flags & (CLONE_PARENT | CLONE_THREAD) else me.pid
        new_ids = self.threads.new_ids(args, self.lay.threads)
        child = Slot(
            alive=TRUE,
            pid=pid,
            ppid=ppid,
            pgid=me.pgid,
            st=code(R),
            prog=z3.IntVal(prog.index),
            pc=cpc,
            locals=cL,
            mem=child_mem,
            xkind=z3.IntVal(0),
            xval=z3.IntVal(0),
            errno=child_errno,
            subreaper=FALSE,
            # list_add_tail(&p->sibling, &p->real_parent->children); a
            # thread joins its group's thread list instead
            cpos=z3.IntVal(0) if args.flags & CLONE_THREAD else children_count(s, ppid),
            ident=z3.IntVal(-1),
            wpid=z3.IntVal(0),
            wopt=z3.IntVal(NO_CALL),
            mm=me.mm if share_mm else s.next_mm + 1,
            vparent=me.pid if vfork else z3.IntVal(0),
            **self.child_signals(me),
        ).set(**thread_fields)
        # the child goes into the first free slot
        born = shared
        taken = TRUE
        for j, sl in enumerate(s.slots):
            here = z3.And(taken, z3.Not(sl.alive))
            born = put(born, j, ite_fields(here, child, born.slots[j]))
            taken = z3.And(taken, sl.alive)
        born = replace(
            born,
            last_pid=pid,
            lost=z3.Or(s.lost, taken),
            next_mm=s.next_mm + 1 if new_ids else s.next_mm,
        )
        if vfork:
            # wait_for_vfork_done: vfork returns the pid in a later step
            parent = born.slots[i].set(
                st=code(D), pc=code(pc), locals=L, wpid=pid, wopt=z3.IntVal(VFORK_CALL)
            )
            if self.lay.signals:
                parent = parent.set(phase=z3.IntVal(IN_CALL))
            good = put(born, i, parent)
        else:
            good = self.store_next(born, i, prog, instr.next, L, instr.target, pid)
        bad = self.store_next(
            s, i, prog, instr.next, L, instr.target, z3.IntVal(-1), errno=z3.IntVal(EAGAIN)
        )
        outs = [
            Outcome(z3.And(success, ch.alt == 0), TRUE, good),
            Outcome(z3.And(z3.Not(success), ch.alt == 0), TRUE, bad),
        ]
        if self.fault_fork:
            outs.append(Outcome(z3.And(success, ch.alt == 1), TRUE, bad))
        return outs

    # -------------------------------------------------------- exec
    def exec_image(self, s, i, prog, instr: ir.Exec, L, ch) -> list[Outcome]:
        """fs/exec.c begin_new_exec (exec.py): de_thread, then a fresh image
        in a fresh address space, which releases a vfork parent; with
        `faults { exec }` it may fail with ENOENT instead."""
        image = self.images[instr.program]  # the explicit model's: pc, locals, vars
        ident = image.ident
        s1 = s
        if self.lay.threads:
            s1 = self.threads.de_thread(s, i)
        me = s1.slots[i]
        s2 = self.vfork_release(s1, i)
        # PROG.X keeps the values of the image it leaves; a second task
        # beginning as a program PROG.X names is the explicit model's
        # ModelError (its replay raises it)
        clash = s2.named[ident].kind != 0 if ident >= 0 else FALSE
        named = list(snapshot(s2, me, self.signals.program_locals(me, L)))
        if ident >= 0:
            n = s2.named[ident]
            named[ident] = Named(z3.IntVal(1), me.pid, n.locals, n.mem)
        new = s2.slots[i].set(
            prog=z3.IntVal(image.prog),
            pc=code(image.pc),
            locals=value_terms(self.lay.locals, image.locals),
            mem=value_terms(self.lay.mem, var_values(self.lay, image.mem)),
            mm=s.next_mm + 1,
            errno=z3.IntVal(0),
            ident=z3.IntVal(ident),
            **self.exec_signals(me),
        )
        if self.lay.threads:
            # unshare_sighand: a table of its own; exit signal SIGCHLD; a
            # fresh address space has no unjoined threads
            new = new.set(
                sh=s.next_mm + 1,
                exsig=z3.IntVal(SIGCHLD),
                ended=tuple(z3.IntVal(0) for _ in new.ended),
            )
            # self_exec_id++: its children's parent_exec_id no longer matches
            s2 = replace(
                s2,
                slots=tuple(
                    c.set(pexec=z3.If(z3.And(c.alive, c.ppid == me.pid), TRUE, c.pexec))
                    for c in s2.slots
                ),
            )
        done = replace(
            put(s2, i, new),
            named=tuple(named),
            next_mm=s.next_mm + 1,
            lost=z3.Or(s.lost, clash),
        )
        outs = [Outcome(ch.alt == 0, TRUE, done)]
        if self.fault_exec:
            failed = self.store_next(s, i, prog, instr.next, L, None, None, errno=z3.IntVal(ENOENT))
            outs.append(Outcome(ch.alt == 1, TRUE, failed))
        return outs

    def vfork_release(self, s: SState, i: int) -> SState:
        """kernel/fork.c mm_release -> complete_vfork_done: the parent
        waiting for slot i's exec or exit runs again."""
        if not self.shared_mm:
            return s
        me = s.slots[i]
        slots = list(s.slots)
        for j, w in enumerate(s.slots):
            if j != i:
                waits = z3.And(me.vparent != 0, w.alive, w.pid == me.vparent, w.st == D)
                slots[j] = w.set(st=z3.If(waits, code(R), w.st))
        slots[i] = me.set(vparent=z3.IntVal(0))
        return replace(s, slots=tuple(slots))

    # -------------------------------------------------------- exit
    def exit_case(
        self,
        s: SState,
        i: int,
        instr: ir.Exit,
        g: Any,
        L: tuple[Cell, ...],
        exits: list[tuple[Any, tuple[Cell, ...], Any, Any]],
    ) -> list[tuple[Any, Outcome]]:
        """One `exit` slot i may take under g: its status goes to `exits`
        (see build); an arithmetic error in it fails here. `exit_thread`
        ends the thread; the end of a clone block whose flags made it a
        thread too (Exit.thread None: a task that is not its leader)."""
        me = s.slots[i]
        ctx = Ctx(s, self.lay, me, L, me.mem)
        value = as_int(term(instr.code, ctx))
        thread = z3.BoolVal(instr.thread) if instr.thread is not None else z3.Not(leads(me))
        if not ctx.errors:
            exits.append((g, L, value, thread))
            return []
        fine, failed = arithmetic_errors(s, ctx)
        exits.append((z3.And(g, fine), L, value, thread))
        return [(z3.And(g, failed.guard), failed)]

    def exit(self, s: SState, i: int, L: tuple[Cell, ...], value: Any, thread: Any):
        """`exit` (exit_group: kernel/exit.c do_group_exit) and
        `exit_thread` (the exit syscall: do_exit of the thread alone), as in
        model.Kernel._exit. The end of init's group panics: a violation of
        `assertions`."""
        me = s.slots[i]
        kind, val = z3.IntVal(EXITED), low_bits(value, 8)
        if not self.lay.threads:
            is_init = me.pid == INIT_PID
            died = self.do_exit(s, i, L, kind, val)
        else:
            live = [z3.And(g, s.slots[k].st != Z) for k, g in members(s, i) if k != i]
            is_init = z3.And(me.tgid == INIT_PID, z3.Or(z3.Not(thread), z3.Not(z3.Or(live))))
            died = ite_state(
                thread, self.do_exit(s, i, L, kind, val), self.do_group_exit(s, i, L, kind, val)
            )
        return [
            Outcome(is_init, TRUE, replace(s, failed=TRUE)),
            Outcome(z3.Not(is_init), TRUE, died),
        ]

    def do_group_exit(self, s: SState, i: int, L: tuple[Cell, ...], kind: Any, val: Any) -> SState:
        """kernel/exit.c do_group_exit (exit.py): the first thread to get
        here records the group's status and queues SIGKILL on the others
        (zap_other_threads); a later one dies with the recorded status.
        Then the caller's own do_exit."""
        if not self.lay.threads:
            return self.do_exit(s, i, L, kind, val)
        me = s.slots[i]
        recorded = me.gexit != 0
        rk, rv = split_status(me.gexit - GROUP_EXIT)
        live = [z3.And(g, s.slots[k].st != Z) for k, g in members(s, i) if k != i]
        zaps = z3.And(z3.Not(recorded), z3.Or(live))
        s = ite_state(zaps, start_group_exit(s, i, raw_status(kind, val), i), s)
        return self.do_exit(s, i, L, z3.If(recorded, rk, kind), z3.If(recorded, rv, val))

    def find_new_reaper(self, s: SState, i: int) -> tuple[Any, Any]:
        """kernel/exit.c find_new_reaper (exit.py): a live thread of the same
        group; else the nearest ancestor marked child_subreaper that has a
        live thread (that thread); else init. Also whether the reaper is of
        the exiting task's own group."""
        father = s.slots[i]
        chain = []
        a = father.ppid
        for _ in range(len(s.slots)):
            chain.append(a)
            a = lookup(s, a, lambda sl: sl.ppid, z3.IntVal(0))
        reaper: Any = z3.IntVal(INIT_PID)
        for a in reversed(chain):
            if father.tgid is None:
                marked = lookup(s, a, lambda sl: z3.And(sl.subreaper, sl.st != Z), FALSE)
                found = a
            else:
                # is_child_subreaper is the group's; find_alive_thread of it
                alive = alive_thread(s, lookup(s, a, lambda sl: sl.tgid, z3.IntVal(0)), 0)
                marked = z3.And(lookup(s, a, lambda sl: sl.subreaper, FALSE), z3.Or(alive))
                found = pick(alive, [sl.pid for sl in s.slots], a)
            reaper = z3.If(z3.And(a != INIT_PID, a != 0, marked), found, reaper)
        if father.tgid is None:
            return reaper, FALSE
        thread = alive_thread(s, father.tgid, father.pid)
        return z3.If(z3.Or(thread), pick(thread, [sl.pid for sl in s.slots], 0), reaper), z3.Or(
            thread
        )

    def reparent(
        self, s: SState, i: int, reaper: Any, threaded: Any
    ) -> tuple[SState, list[tuple[Any, int]]]:
        """kernel/exit.c forget_original_parent: every child of the exiting
        task (each thread of each child process) gets the reaper as its real
        parent, appended in order to its children list (list_splice_tail_init).
        Moved to another process, a child's exit signal becomes SIGCHLD and
        its parent_exec_id the new parent's (reparent_leader). Returns, with
        the state, the inherited zombies to report to the reaper."""
        me = s.slots[i]
        base = children_count(s, reaper)
        slots = list(s.slots)
        adopted = []
        for j, c in enumerate(s.slots):
            if j == i:
                continue
            mine = z3.And(c.alive, c.ppid == me.pid)
            changes = dict(
                ppid=z3.If(mine, reaper, c.ppid),
                cpos=z3.If(z3.And(mine, leads(c)), base + c.cpos, c.cpos),
            )
            if self.lay.threads:
                moved = z3.And(mine, z3.Not(threaded))
                changes.update(
                    pexec=z3.If(moved, FALSE, c.pexec),
                    exsig=z3.If(z3.And(moved, leads(c)), z3.IntVal(SIGCHLD), c.exsig),
                )
            slots[j] = c.set(**changes)
            adopted.append((z3.And(mine, leads(c), c.st == Z, alone(s, j), z3.Not(threaded)), j))
        return replace(s, slots=tuple(slots)), adopted

    def do_exit(self, s: SState, i: int, L: tuple[Cell, ...], kind: Any, val: Any) -> SState:
        """kernel/exit.c do_exit -> exit_notify (exit.py do_exit), as one
        step, with the wait status (kind, val): EXITED with a code, or
        SIGNALED by a signal. A thread that is not its group's leader is
        released at once; a leader whose threads live on stays a silent
        zombie (delay_group_leader) until the last of them is released."""
        lay = self.lay
        s = self.vfork_release(s, i)
        me = s.slots[i]
        L = self.signals.program_locals(me, L)
        if lay.threads:
            s = self.threads.thread_released(s, i, others_alive(s, i))
        reaper, threaded = self.find_new_reaper(s, i)
        s, adopted = self.reparent(s, i, reaper, threaded)
        me = s.slots[i]
        s = replace(s, named=snapshot(s, me, L))
        # the zombie keeps its last locals (for T.X and PROG.X)
        zombie = me.set(
            st=code(Z),
            xkind=kind,
            xval=val,
            pc=code(-1),
            locals=L,
            wpid=z3.IntVal(0),
            wopt=z3.IntVal(NO_CALL),
            **dead_signals(lay),  # exit_signals ...: none of it is visible any more
        )
        if lay.threads:
            zombie = zombie.set(sh=z3.IntVal(0), ended=tuple(z3.IntVal(0) for _ in me.ended))
        if not lay.signals:
            return self.wake_for_exit(put(s, i, zombie), i, reaper, adopted)
        s = self.notify_adopted(s, reaper, adopted)
        if not lay.threads:
            return self.leader_done(put(s, i, zombie), i)
        # a leader whose threads live on: delay_group_leader keeps the
        # group's signal_struct in its entry, and notifies nobody yet
        others = others_alive(s, i)
        delayed = zombie.set(shared=me.shared, gexit=me.gexit, stop=me.stop, cont=me.cont)
        as_leader = ite_state(others, put(s, i, delayed), self.leader_done(put(s, i, zombie), i))
        # a thread: released at once; if its leader is a zombie waiting
        # for the group to empty and it was the last, the group is done,
        # with this thread's status unless one was recorded
        gone = release(s, [TRUE if j == i else FALSE for j in range(len(s.slots))])
        as_thread = gone
        for k, ld in enumerate(s.slots):
            if k == i:
                continue
            last = z3.And(
                ld.alive,
                ld.pid == me.tgid,
                ld.st == Z,
                *[
                    z3.Not(z3.And(q.alive, q.tgid == me.tgid))
                    for j, q in enumerate(s.slots)
                    if j not in (i, k)
                ],
            )
            done = put(gone, k, gone.slots[k].set(xkind=kind, xval=val))
            as_thread = ite_state(last, self.leader_done(done, k), as_thread)
        return ite_state(leads(me), as_leader, as_thread)

    def leader_done(self, s: SState, j: int) -> SState:
        """exit.py _leader_done: the group is empty and its leader (slot j)
        a zombie: its status is the group's recorded one if any, else its
        own; its group fields go; it notifies its parent with its exit
        signal and is released at once if the parent does not want it."""
        ld = s.slots[j]
        if self.lay.threads:
            recorded = ld.gexit != 0
            rk, rv = split_status(ld.gexit - GROUP_EXIT)
            zero = z3.IntVal(0)
            ld = ld.set(
                xkind=z3.If(recorded, rk, ld.xkind),
                xval=z3.If(recorded, rv, ld.xval),
                shared=z3.BitVecVal(0, ld.shared.size()),
                gexit=zero,
                stop=zero,
                cont=zero,
            )
            s = put(s, j, ld)
        s, auto = self.signals.notify_parent(s, ld)
        return release(s, [auto if k == j else FALSE for k in range(len(s.slots))])

    def notify_adopted(self, s: SState, reaper: Any, adopted: list[tuple[Any, int]]) -> SState:
        """forget_original_parent -> do_notify_parent for each inherited
        zombie (its exit signal is SIGCHLD now): the reaper's waiters woken,
        and the zombie released if the reaper does not want zombies. A
        second SIGCHLD to the same reaper changes nothing the first did not
        (it coalesces), so one is sent for all."""
        if not adopted:
            return s
        when = z3.Or([zc for zc, _ in adopted])
        child = s.slots[adopted[0][1]].set(ppid=reaper)
        if self.lay.threads:
            child = child.set(exsig=z3.IntVal(SIGCHLD), pexec=FALSE)
        s, autoreap = self.signals.send_exit_signal(s, child, when)
        for zc, k in adopted:
            s = self.signals.wake_waiters(s, s.slots[k], zc)
        gone = [FALSE] * len(s.slots)
        for zc, k in adopted:
            gone[k] = z3.And(zc, autoreap)
        return release(s, gone)

    def wake_for_exit(
        self, s: SState, i: int, reaper: Any, adopted: list[tuple[Any, int]]
    ) -> SState:
        """do_notify_parent without signals (SIGCHLD is dropped at SIG_DFL):
        __wake_up_parent of the parent's waiters whose selection takes this
        child, and of the reaper's, for adopted zombies."""
        zombie = s.slots[i]
        slots = list(s.slots)
        for j, w in enumerate(s.slots):
            if j == i:
                continue
            # child_wait_callback: eligible_pid on the wait the waiter sleeps in
            wakes = [z3.And(w.pid == zombie.ppid, eligible_pid(w.wpid, w.pgid, zombie))]
            for zc, k in adopted:
                c = s.slots[k]
                wakes.append(z3.And(zc, w.pid == reaper, eligible_pid(w.wpid, w.pgid, c)))
            asleep = z3.And(w.alive, w.st == S, w.prog >= 0)
            slots[j] = w.set(st=z3.If(z3.And(asleep, z3.Or(wakes)), code(R), w.st))
        return replace(s, slots=tuple(slots))

    def child_signals(self, me: Slot) -> dict[str, Any]:
        """copy_process: the child has the caller's mask, a copy of its
        handler table and its handler frames (on the copied stack), and
        nothing pending."""
        if not self.lay.signals:
            return {}
        return {
            **dead_signals(self.lay),
            "blocked": me.blocked,
            "act": me.act,
            "frames": me.frames,
            "nfr": me.nfr,
        }

    def exec_signals(self, me: Slot) -> dict[str, Any]:
        """fs/exec.c begin_new_exec -> flush_signal_handlers (exec.py): handlers become SIG_DFL, SIG_IGN stays,
        every sa_flags is cleared; no handler frame survives; the mask and
        the pending signals stay."""
        if not self.lay.signals:
            return {}
        act = tuple(
            (z3.If(h == IGN, z3.IntVal(IGN), z3.IntVal(DFL)), z3.IntVal(0)) for h, _ in me.act
        )
        return dict(act=act, nfr=z3.IntVal(0))

    # -------------------------------------------------------- wait
    def wait(self, s, i, prog, pc, instr: ir.Syscall, L, ctx, ch) -> list[Outcome]:
        """wait4 (wait.py do_wait): reap, report nothing (WNOHANG), fail, or
        sleep; one atomic step."""
        me = s.slots[i]
        if instr.name == "wait":
            upid0, opts0 = z3.IntVal(-1), z3.IntVal(0)
        else:
            upid0 = c_int(as_int(term(instr.args[0], ctx)))  # type: ignore[arg-type]
            opts0 = low_bits(as_int(term(instr.args[1], ctx)), 32)  # type: ignore[arg-type]
        # going on with a call it slept in: the arguments it made (kernel_wait4
        # fixes wo_pid and wo_flags for the whole call; they were checked then)
        in_call = me.wopt != NO_CALL
        upid = z3.If(in_call, me.wpid, upid0)
        opts = z3.If(in_call, me.wopt, opts0)
        bad_opts = z3.And(z3.Not(in_call), _bad_options(opts0))

        def bit(b: int) -> Any:
            return z3.If(in_call, has_bit(me.wopt, b), has_bit(opts0, b))

        group = z3.If(upid == 0, me.pgid, -upid)
        no_group = z3.Not(z3.Or([z3.And(c.alive, c.pgid == group) for c in s.slots]))
        no_pid = z3.Not(exists_pid(s, upid))
        elig = []
        for j, c in enumerate(s.slots):
            if j == i:
                elig.append(FALSE)
                continue
            if not self.lay.threads:
                # eligible_child: every child's exit signal is SIGCHLD, seen
                # only without __WCLONE (or with __WALL)
                elig.append(
                    z3.And(
                        c.alive,
                        c.ppid == me.pid,
                        eligible_pid(upid, me.pgid, c),
                        z3.Or(bit(WALL), z3.Not(bit(WCLONE))),
                    )
                )
                continue
            # a child process of this thread, or (without __WNOTHREAD) of
            # another thread of its group (wait.py _scan)
            ours = z3.Or(
                c.ppid == me.pid,
                z3.And(
                    z3.Not(bit(WNOTHREAD)),
                    z3.Or([z3.And(p.alive, p.pid == c.ppid, p.tgid == me.tgid) for p in s.slots]),
                ),
            )
            # eligible_child: without __WALL, a "clone child" (exit signal
            # not SIGCHLD) only with __WCLONE, the others only without
            clone_ok = z3.Or(bit(WALL), (c.exsig != SIGCHLD) == bit(WCLONE))
            elig.append(z3.And(c.alive, leads(c), ours, eligible_pid(upid, me.pgid, c), clone_ok))
        # a zombie is reaped unless its threads live on (delay_group_leader)
        zombies = [
            z3.And(e, c.st == Z, alone(s, j))
            for j, (e, c) in enumerate(zip(elig, s.slots, strict=True))
        ]
        reportable = zombies
        if self.lay.signals:
            # wait_task_stopped (WUNTRACED) and wait_task_continued (WCONTINUED)
            stopped = [
                z3.And(e, bit(WUNTRACED), c.stop != 0) for e, c in zip(elig, s.slots, strict=True)
            ]
            conts = [
                z3.And(e, bit(WCONTINUED), has_bit(c.cont, CONT_REPORT))
                for e, c in zip(elig, s.slots, strict=True)
            ]
            reportable = [z3.Or(a, b, c) for a, b, c in zip(zombies, stopped, conts, strict=True)]
        first = self.first_in_scan(s, i, reportable)
        failed_rec = (z3.IntVal(-1), z3.IntVal(0), z3.IntVal(0))
        nothing_rec = (z3.IntVal(0), z3.IntVal(0), z3.IntVal(0))

        def done(base: SState, rec: Any, **changes: Any) -> SState:
            return self.store_next(
                base,
                i,
                prog,
                instr.next,
                L,
                instr.target,
                rec,
                wpid=z3.IntVal(0),
                wopt=z3.IntVal(NO_CALL),
                **changes,
            )

        error = z3.Or(
            bad_opts,
            upid == INT_MIN,
            z3.And(z3.Or(upid < -1, upid == 0), no_group),
            z3.And(upid > 0, no_pid),
        )
        errno = z3.If(
            bad_opts, z3.IntVal(EINVAL), z3.If(upid == INT_MIN, z3.IntVal(ESRCH), z3.IntVal(ECHILD))
        )
        err_state = done(s, failed_rec, errno=errno)
        echild = done(s, failed_rec, errno=z3.IntVal(ECHILD))
        nothing = done(s, nothing_rec)
        asleep = put(s, i, me.set(st=code(S), pc=code(pc), locals=L, wpid=upid, wopt=opts))
        if self.lay.signals:
            asleep = put(asleep, i, asleep.slots[i].set(phase=z3.IntVal(IN_CALL)))
            # do_wait: nothing to report and a signal pending -> -ERESTARTSYS
            in_call = z3.And(me.wopt != NO_CALL, me.phase == IN_CALL)
            asleep = ite_state(
                z3.And(in_call, deliverable(me)), self.signals.deliver(s, i, TRUE), asleep
            )
        # reaping: wait_task_zombie -> release_task of the first zombie
        rec: Any = nothing_rec
        for j, c in enumerate(s.slots):
            rec = tuple(
                z3.If(first[j], x, y) for x, y in zip((c.pid, c.xkind, c.xval), rec, strict=True)
            )
        first_zombie = [z3.And(f, c.st == Z) for f, c in zip(first, s.slots, strict=True)]
        reaped = done(release(s, first_zombie), rec)
        if self.lay.signals:
            reaped = ite_state(z3.Or(first_zombie), reaped, self.report(s, first, stopped, done))
        any_zombie = z3.Or(reportable)
        any_elig = z3.Or(elig)
        nohang = bit(WNOHANG)
        result = ite_state(
            error,
            err_state,
            ite_state(
                any_zombie,
                reaped,
                ite_state(z3.Not(any_elig), echild, ite_state(nohang, nothing, asleep)),
            ),
        )
        sleeps = z3.And(z3.Not(error), z3.Not(any_zombie), any_elig, z3.Not(nohang))
        outs = [Outcome(ch.alt == 0, TRUE, result)]
        if self.fault_wait:
            # faults { wait }: a signal arrives instead of the sleep
            eintr = done(s, failed_rec, errno=z3.IntVal(EINTR))
            outs.append(Outcome(z3.And(sleeps, ch.alt == 1), TRUE, eintr))
        return outs

    def report(self, s: SState, first: list[Any], stopped: list[Any], done: Any) -> SState:
        """wait_task_stopped and wait_task_continued: the first reportable
        child in scan order, a stopped one (its group's stop code cleared)
        or a continued one (CONT_REPORT cleared)."""
        rec: Any = (z3.IntVal(0), z3.IntVal(0), z3.IntVal(0))
        out = s
        for j, (f, st, c) in enumerate(zip(first, stopped, s.slots, strict=True)):
            kind = z3.If(st, z3.IntVal(STOPPED), z3.IntVal(CONTINUED))
            val = z3.If(st, c.stop, z3.IntVal(0))
            rec = tuple(z3.If(f, x, y) for x, y in zip((c.pid, kind, val), rec, strict=True))
            cleared = group_put(
                out,
                j,
                stop=z3.If(st, z3.IntVal(0), c.stop),
                cont=z3.If(st, c.cont, c.cont - CONT_REPORT),
            )
            out = ite_state(f, cleared, out)
        return done(out, rec)

    def first_in_scan(self, s: SState, i: int, marked: list[Any]) -> list[Any]:
        """Of the marked children, the first wait considers (wait.py _scan):
        the waiter's own children first, then those of the threads after
        it in its group's thread list, wrapping round to the leader; each
        thread's in list order."""
        if not self.lay.threads:
            return first_in_list(s, marked)
        me = s.slots[i]
        keys = []
        for c in s.slots:
            pk = lookup(s, c.ppid, list_key, z3.IntVal(0))
            keys.append((pk < list_key(me), pk, c.cpos))

        def before(a: tuple[Any, Any, Any], b: tuple[Any, Any, Any]) -> Any:
            return z3.Or(
                z3.And(z3.Not(a[0]), b[0]),
                z3.And(a[0] == b[0], z3.Or(a[1] < b[1], z3.And(a[1] == b[1], a[2] < b[2]))),
            )

        return [
            z3.And(
                mj,
                *[
                    z3.Not(z3.And(mk, before(keys[k], keys[j])))
                    for k, mk in enumerate(marked)
                    if k != j
                ],
            )
            for j, mj in enumerate(marked)
        ]

    # -------------------------------------------------------- init
    def init_reap(self, s: SState) -> tuple[Any, SState]:
        """The default init's `for (;;) waitpid(-1, &status, __WALL)`: it
        reaps a zombie child whenever it has one (model.Kernel._init_reap)."""
        zombies = [
            FALSE if j == 0 else z3.And(c.alive, c.ppid == INIT_PID, c.st == Z, alone(s, j))
            for j, c in enumerate(s.slots)
        ]
        return z3.Or(zombies), release(s, first_in_list(s, zombies))


def arithmetic_errors(s: SState, ctx: Ctx) -> tuple[Any, Outcome]:
    """An arithmetic error in the instruction's expressions is a violation
    of `assertions` (model.py EvalError): the condition that there is none,
    and the failing outcome."""
    err = z3.Or(ctx.errors)
    return z3.Not(err), Outcome(err, TRUE, replace(s, failed=TRUE))


def snapshot(s: SState, me: Slot, L: tuple[Cell, ...]) -> tuple[Named, ...]:
    """model.Kernel.snapshot: the task that began as PROG leaves its last
    values for PROG.X (at its exit, or an exec into another image)."""
    named = []
    for j, n in enumerate(s.named):
        mine = z3.And(me.ident == j, n.kind == 1, n.pid == me.pid)
        named.append(
            Named(
                z3.If(mine, z3.IntVal(2), n.kind),
                n.pid,
                ite_cells(mine, L, n.locals),
                ite_cells(mine, me.mem, n.mem),
            )
        )
    return tuple(named)


def first_in_list(s: SState, marked: list[Any]) -> list[Any]:
    """Of the marked children of one parent, the first in its children list
    (kernel/exit.c do_wait_thread walks tsk->children in list order)."""
    return [
        z3.And(
            zj,
            *[
                z3.Not(z3.And(zk, ck.cpos < cj.cpos))
                for zk, ck in zip(marked, s.slots, strict=True)
                if ck is not cj
            ],
        )
        for zj, cj in zip(marked, s.slots, strict=True)
    ]


def release(s: SState, which: list[Any]) -> SState:
    """kernel/exit.c release_task of the task in the slot `which` marks:
    out of the table and (a group leader) of its parent's children list."""
    slots = list(s.slots)
    for j, gone in enumerate(which):
        c = s.slots[j]
        slots[j] = c.set(alive=z3.If(gone, FALSE, c.alive))
    for k, sib in enumerate(s.slots):
        later = z3.Or(
            [
                z3.And(
                    gone,
                    leads(s.slots[j]),
                    leads(sib),
                    s.slots[j].ppid == sib.ppid,
                    sib.cpos > s.slots[j].cpos,
                )
                for j, gone in enumerate(which)
                if j != k and not z3.is_false(gone)
            ]
        )
        slots[k] = slots[k].set(cpos=z3.If(later, sib.cpos - 1, sib.cpos))
    return replace(s, slots=tuple(slots))


def _bad_options(opts: Any) -> Any:
    """kernel_wait4: options & ~(WNOHANG|WUNTRACED|WCONTINUED|__WALL|__WCLONE|
    __WNOTHREAD) -> EINVAL."""
    c = const_of(opts)
    if c is not None:
        return z3.BoolVal(bool(c & ~VALID_OPTIONS))
    bv = z3.Int2BV(opts, 64)
    return bv & z3.BitVecVal(~VALID_OPTIONS & (2**64 - 1), 64) != 0
