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
from checker.engines.symbolic.signal_rules import SignalRules, deliverable
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
    value_terms,
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
)
from checker.kernel.exec import Image
from checker.kernel.model import SIGNAL_CALLS
from checker.kernel.state import CONT_NOTIFY, CONT_REPORT, INIT_PID
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
    WALL,
    WCLONE,
    WCONTINUED,
    WNOHANG,
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
    return z3.Sum([z3.If(z3.And(c.alive, c.ppid == pid), 1, 0) for c in s.slots])


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
            exits: list[tuple[Any, tuple[Cell, ...], Any]] = []
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
                # the same, only the status and the last locals differ
                g, L, value = exits[-1]
                for g2, L2, v2 in reversed(exits[:-1]):
                    L, value = ite_cells(g2, L2, L), z3.If(g2, v2, value)
                    g = z3.Or(g2, g)
                for out in self.exit(pre, i, L, value):
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
            if instr.kind == "vfork":
                # asleep in wait_for_vfork_done, or back from it
                back = me.wopt == VFORK_CALL
                outs = self.fork(s, i, prog, pc, instr, L, ch)
                s2 = s
                if self.lay.signals:
                    # a fatal signal ended the wait: wait_for_vfork_done
                    # clears the child's vfork_done
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
            return self.fork(s, i, prog, pc, instr, L, ch)
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
            if instr.name == "set_subreaper":
                # kernel/sys.c prctl(PR_SET_CHILD_SUBREAPER): the group's flag
                s2 = put(s, i, me.set(subreaper=TRUE))
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

    def fork(self, s, i, prog, pc, instr: ir.Spawn, L, ch) -> list[Outcome]:
        """kernel/fork.c kernel_clone -> copy_process (fork.py), for fork
        and vfork. A vfork child shares its parent's address space
        (CLONE_VM), and the parent sleeps (D) in wait_for_vfork_done until
        the child execs or exits."""
        vfork = instr.kind == "vfork"
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
            elif instr.target.kind == ir.VAR and vfork:
                # the child's store lands in the memory it shares
                shared = self.store_var(s, i, instr.target.slot, z3.IntVal(0))
                child_mem = shared.slots[i].mem
            elif instr.target.kind == ir.VAR:
                child_mem = set_cell(child_mem, instr.target.slot, z3.IntVal(0))
        cpc, cL = self.settle_into(prog, instr.child_pc, cL)
        child_errno = me.errno
        if instr.cstyle and instr.target is not None and instr.target.kind == ir.ERRNO:
            child_errno = z3.IntVal(0)
        child = Slot(
            alive=TRUE,
            pid=pid,
            ppid=me.pid,
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
            # list_add_tail(&p->sibling, &p->real_parent->children)
            cpos=children_count(s, me.pid),
            ident=z3.IntVal(-1),
            wpid=z3.IntVal(0),
            wopt=z3.IntVal(NO_CALL),
            mm=me.mm if vfork else s.next_mm + 1,
            vparent=me.pid if vfork else z3.IntVal(0),
            **self.child_signals(me),
        )
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
            next_mm=s.next_mm if vfork else s.next_mm + 1,
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
        """fs/exec.c begin_new_exec (exec.py) for a process of one thread:
        a fresh image in a fresh address space, which releases a vfork
        parent; with `faults { exec }` it may fail with ENOENT instead."""
        me = s.slots[i]
        image = self.images[instr.program]  # the explicit model's: pc, locals, vars
        ident = image.ident
        s2 = self.vfork_release(s, i)
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
            mem=value_terms(self.lay.mem, image.mem),
            mm=s.next_mm + 1,
            errno=z3.IntVal(0),
            ident=z3.IntVal(ident),
            **self.exec_signals(me),
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
        exits: list[tuple[Any, tuple[Cell, ...], Any]],
    ) -> list[tuple[Any, Outcome]]:
        """One `exit` slot i may take under g: its status goes to `exits`
        (see build); an arithmetic error in it fails here."""
        me = s.slots[i]
        ctx = Ctx(s, self.lay, me, L, me.mem)
        value = as_int(term(instr.code, ctx))
        if not ctx.errors:
            exits.append((g, L, value))
            return []
        fine, failed = arithmetic_errors(s, ctx)
        exits.append((z3.And(g, fine), L, value))
        return [(z3.And(g, failed.guard), failed)]

    def exit(self, s: SState, i: int, L: tuple[Cell, ...], value: Any):
        """kernel/exit.c do_group_exit -> do_exit (exit.py) for a process of
        one thread: re-parent the children, become a zombie, notify the
        parent. init's exit panics: a violation of `assertions`."""
        me = s.slots[i]
        is_init = me.pid == INIT_PID
        died = self.do_exit(s, i, L, low_bits(value, 8))
        return [
            Outcome(is_init, TRUE, replace(s, failed=TRUE)),
            Outcome(z3.Not(is_init), TRUE, died),
        ]

    def find_new_reaper(self, s: SState, father: Slot) -> Any:
        """kernel/exit.c find_new_reaper without threads: the nearest
        ancestor marked child_subreaper that is alive, else init."""
        chain = []
        a = father.ppid
        for _ in range(len(s.slots)):
            chain.append(a)
            a = lookup(s, a, lambda sl: sl.ppid, z3.IntVal(0))
        reaper: Any = z3.IntVal(INIT_PID)
        for a in reversed(chain):
            marked = lookup(s, a, lambda sl: z3.And(sl.subreaper, sl.st != Z), FALSE)
            reaper = z3.If(z3.And(a != INIT_PID, a != 0, marked), a, reaper)
        return reaper

    def do_exit(
        self, s: SState, i: int, L: tuple[Cell, ...], status: Any, kind: int = EXITED
    ) -> SState:
        """kernel/exit.c do_exit -> exit_notify (exit.py do_exit) for a
        process of one thread, as one step: `kind` EXITED with code
        `status`, or SIGNALED by signal `status`."""
        s = self.vfork_release(s, i)
        me = s.slots[i]
        L = self.signals.program_locals(me, L)
        reaper = self.find_new_reaper(s, me)
        # forget_original_parent: the children go to the reaper, appended
        # in their order (list_splice_tail_init); an inherited zombie is
        # reported to its new parent (wakes its waiters)
        base = children_count(s, reaper)
        slots = list(s.slots)
        adopted_zombies = []
        for j, c in enumerate(s.slots):
            if j == i:
                continue
            mine = z3.And(c.alive, c.ppid == me.pid)
            slots[j] = c.set(
                ppid=z3.If(mine, reaper, c.ppid), cpos=z3.If(mine, base + c.cpos, c.cpos)
            )
            adopted_zombies.append((z3.And(mine, c.st == Z), j))
        # the zombie keeps its last locals (for T.X and PROG.X)
        zombie = me.set(
            st=code(Z),
            xkind=z3.IntVal(kind),
            xval=status,
            pc=code(-1),
            locals=L,
            wpid=z3.IntVal(0),
            wopt=z3.IntVal(NO_CALL),
            **dead_signals(self.lay),  # exit_signals ...: none of it is visible any more
        )
        slots[i] = zombie
        named = snapshot(s, me, L)
        if self.lay.signals:
            return self.exit_notify(
                replace(s, slots=tuple(slots), named=tuple(named)), i, reaper, adopted_zombies
            )
        # do_notify_parent -> __wake_up_parent: the parent's waiters whose
        # selection takes this child; and the reaper's, for adopted zombies
        for j, w in enumerate(slots):
            if j == i:
                continue
            # child_wait_callback: eligible_pid on the wait the waiter sleeps in
            wakes = [z3.And(w.pid == me.ppid, eligible_pid(w.wpid, w.pgid, zombie))]
            for zc, k in adopted_zombies:
                c = s.slots[k]
                wakes.append(z3.And(zc, w.pid == reaper, eligible_pid(w.wpid, w.pgid, c)))
            asleep = z3.And(w.alive, w.st == S, w.prog >= 0)
            slots[j] = w.set(st=z3.If(z3.And(asleep, z3.Or(wakes)), code(R), w.st))
        return replace(s, slots=tuple(slots), named=tuple(named))

    def exit_notify(self, s: SState, i: int, reaper: Any, adopted: list[tuple[Any, int]]) -> SState:
        """The notifications of do_exit with signals (exit.py): each
        inherited zombie reported to the reaper (kernel/exit.c
        forget_original_parent -> do_notify_parent) and released if the
        reaper does not want zombies, then the exiting task's own report to
        its parent (exit_notify). A second SIGCHLD to the same reaper
        changes nothing the first did not (it coalesces), so one is sent for
        all."""
        if adopted:
            s, autoreap = self.signals.sigchld_to(s, reaper, z3.Or([zc for zc, _ in adopted]))
            for zc, k in adopted:
                s = self.signals.wake_waiters(s, s.slots[k], zc)
            gone = [FALSE] * len(s.slots)
            for zc, k in adopted:
                gone[k] = z3.And(zc, autoreap)
            s = release(s, gone)
        s, auto = self.signals.notify_parent(s, s.slots[i])
        return release(s, [auto if j == i else FALSE for j in range(len(s.slots))])

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
        # eligible_child: without __WALL, a child whose exit signal is SIGCHLD
        # (every child here) is seen only without __WCLONE
        clone_ok = z3.Or(bit(WALL), z3.Not(bit(WCLONE)))
        elig = []
        for j, c in enumerate(s.slots):
            if j == i:
                elig.append(FALSE)
                continue
            elig.append(z3.And(c.alive, c.ppid == me.pid, eligible_pid(upid, me.pgid, c), clone_ok))
        zombies = [z3.And(e, c.st == Z) for e, c in zip(elig, s.slots, strict=True)]
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
        first = first_in_list(s, reportable)
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
        child in list order, a stopped one (its stop code cleared) or a
        continued one (CONT_REPORT cleared)."""
        rec: Any = (z3.IntVal(0), z3.IntVal(0), z3.IntVal(0))
        slots = []
        for f, st, c in zip(first, stopped, s.slots, strict=True):
            kind = z3.If(st, z3.IntVal(STOPPED), z3.IntVal(CONTINUED))
            val = z3.If(st, c.stop, z3.IntVal(0))
            rec = tuple(z3.If(f, x, y) for x, y in zip((c.pid, kind, val), rec, strict=True))
            slots.append(
                c.set(
                    stop=z3.If(z3.And(f, st), z3.IntVal(0), c.stop),
                    cont=z3.If(z3.And(f, z3.Not(st)), c.cont - CONT_REPORT, c.cont),
                )
            )
        return done(replace(s, slots=tuple(slots)), rec)

    # -------------------------------------------------------- init
    def init_reap(self, s: SState) -> tuple[Any, SState]:
        """The default init's `for (;;) waitpid(-1, &status, __WALL)`: it
        reaps a zombie child whenever it has one (model.Kernel._init_reap)."""
        zombies = [
            FALSE if j == 0 else z3.And(c.alive, c.ppid == INIT_PID, c.st == Z)
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
    out of the table and of its parent's children list."""
    slots = list(s.slots)
    for j, gone in enumerate(which):
        c = s.slots[j]
        slots[j] = c.set(alive=z3.If(gone, FALSE, c.alive))
    for k, sib in enumerate(s.slots):
        later = z3.Or(
            [
                z3.And(gone, s.slots[j].ppid == sib.ppid, sib.cpos > s.slots[j].cpos)
                for j, gone in enumerate(which)
                if j != k
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
