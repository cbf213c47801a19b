#!/usr/bin/env python3
"""The three scenario families of the SPIN/TLC reference benchmarks
(../shared/bench/RESULTS.md, "What is modelled"; the models are
../shared/bench/spin/gen_pml.py and ../shared/bench/tlc/*.tla) as forkcheck
`.proc` scenarios.

    python bench/families.py F1 7 2 > fanout_7_2.proc     # fanout(N=7, K=2)
    python bench/families.py F2 10                        # orphan_chain(D=10)
    python bench/families.py F3 5                         # sigchld_coalesce(N=5)
    python bench/families.py --write DIR                  # every size of BRIEF_SIZES

and from Python `scenario("F1", 7, 2)` (the family may also be named
`fanout`, `orphan_chain`, `sigchld_coalesce` or `sigchld`).

The families, as in the reference models:

- F1 fanout(N, K): main forks N children; child i (pid 3+i) makes K local
  steps `x = x + 1` and exits with code i; main then waits N times, adds the
  codes and asserts `sum == N*(N-1)/2`. Checked: `assertions`,
  `no_deadlock`, `zombies_reaped`. Expected: pass.
- F2 orphan_chain(D): main forks c1, c1 forks c2, ..., c(D-1) forks the leaf
  cD; every task exits right after its fork, the leaf at once. Checked:
  `orphans_reparented` (SPIN's never claim, TLA+ `OrphanInv`),
  `zombies_reaped`, `no_deadlock`. Expected: pass.
- F3 sigchld_coalesce(N): main installs a SIGCHLD handler that reaps one
  child per signal with `waitpid(-1, WNOHANG)` and counts it, forks N
  children that exit at once, then sleeps until the count reaches N.
  Checked: `zombies_reaped`, `no_deadlock`. Expected: both violated: two
  exits while one SIGCHLD is pending lose a signal, so one child stays a
  zombie at the end (RESULTS.md: "zombie left at end") and main sleeps for
  good.

Where forkcheck's Linux semantics differ from the simplified SPIN/TLA+ kernel,
the scenarios keep Linux's, so state counts are not comparable one for one
with the reference tables (the verdicts are):

- Steps. A reference step is a whole kernel operation (SPIN `d_step`, one
  TLA+ action); a forkcheck step is one statement of one task (LANGUAGE.md,
  docs/model.md "Steps"). So F1's `wait` plus `sum = sum + code` is one
  reference step but two or three here (a wait that finds no zombie goes to
  sleep in a step of its own, the child's exit wakes it, and it completes in
  a later step), main's final assert and its exit are two steps, and in F3
  the signal's delivery, the handler's waitpid, its `if` test, the
  increment and its return are separate steps, as are the `while` test and
  `sigsuspend`. forkcheck's graphs are therefore larger.
- Waiting without a race (F3). The reference main blocks on a guard
  `reaped == N` that the handler can interrupt at any time; a real program
  needs `sigprocmask(SIG_BLOCK, {SIGCHLD})` and then
  `while reaped < N { sigsuspend({}) }` (the race-free form of scenario 38).
  The handler can run during the forks, as in the references, and while main
  sleeps in `sigsuspend`; between the block and `sigsuspend` the signal stays
  pending (still a single bit, so a second exit is still lost). `signal()` is
  glibc's: SA_RESTART, SIGCHLD blocked while the handler runs.
- Pids. Linux's cyclic allocator (`pid_max` 32768, never reached here) gives
  the same pids as the references: init 1, main 2, then 3, 4, ... in fork
  order. `config { max_tasks = ... }` is set to the references' MAXP (N+2
  or D+2: init, main and every child), so fork never fails in either.
- Which child a wait reaps. The references reap the lowest-pid zombie child;
  Linux's do_wait reaps the first zombie on the children list, which is in
  creation order with adopted children appended at the tail. In F1 and F3 the
  list order is pid order, so nothing changes; in F2 only init reaps, and
  its list is in adoption order. That order is part of the state (it decides
  which zombie init reaps first), so F2's graph grows much faster than the
  references' (x8.2 from D=7 to D=8 against their x2.6: 833,618 states at
  D=8 against 7,143), and the explicit engine does not reach the references'
  D=9 and D=10 in reasonable time and memory (bench/results/families_explicit.md).
- The default init. The references' init reaps any zombie child and, when
  nothing else can move, checks that no zombie is left. forkcheck's default
  init (LANGUAGE.md) reaps any child with `waitpid(-1, __WALL)` in a loop and
  sleeps otherwise; that idle sleep is never a deadlock. "No zombie at the
  end" is the terminal case of `zombies_reaped`, which asks more: in every
  reachable state every zombie can still be reaped by some continuation.
- Orphans (F2). `orphans_reparented` asks more than the references'
  invariant (every task but init has a parent in the table): each child of
  an exiting task must go at once to the reaper Linux chooses, and no task
  may have a parent that no longer exists.
- Deadlock (F3). SPIN and TLC stop at the first error, the end-of-run
  zombie check, in the state where main is blocked for good; their deadlock
  checks (invalid end state, TLC's deadlock) would flag that state too.
  forkcheck reports every property, so F3 expects both violations.
- Memory. The children's counter `x` is a `var` of main, copied into each
  child by fork (copy-on-write) and written only there, so each child counts
  from 0, as the references' per-task `x` does, without a step to set it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The reference benchmarks' sizes ("the brief's sizes" of RESULTS.md).
BRIEF_SIZES: dict[str, list[tuple[int, ...]]] = {
    "F1": [(n, 2) for n in range(2, 8)] + [(3, k) for k in (1, 3, 4, 5, 6, 7, 8)],
    "F2": [(d,) for d in range(2, 11)],
    "F3": [(n,) for n in range(2, 8)],
}

ALIASES = {
    "F1": "F1",
    "FANOUT": "F1",
    "F2": "F2",
    "ORPHAN_CHAIN": "F2",
    "F3": "F3",
    "SIGCHLD": "F3",
    "SIGCHLD_COALESCE": "F3",
}
ARITY = {"F1": ("N", "K"), "F2": ("D",), "F3": ("N",)}
TITLES = {"F1": "fanout", "F2": "orphan_chain", "F3": "sigchld_coalesce"}


def family_id(family: str) -> str:
    """F1, F2 or F3 for any accepted name of a family."""
    try:
        return ALIASES[family.upper()]
    except KeyError:
        raise ValueError(
            f"unknown family {family!r}: F1 (fanout), F2 (orphan_chain) or F3 (sigchld_coalesce)"
        ) from None


def label(family: str, *sizes: int) -> str:
    """`F1 fanout(N=7, K=2)`."""
    fam = family_id(family)
    args = ", ".join(f"{name}={v}" for name, v in zip(ARITY[fam], sizes, strict=True))
    return f"{fam} {TITLES[fam]}({args})"


def file_name(family: str, *sizes: int) -> str:
    """`F1_fanout_N7_K2.proc`."""
    fam = family_id(family)
    args = "_".join(f"{name}{v}" for name, v in zip(ARITY[fam], sizes, strict=True))
    return f"{fam}_{TITLES[fam]}_{args}.proc"


def scenario(family: str, *sizes: int) -> str:
    """The `.proc` text of one family at one size."""
    fam = family_id(family)
    if len(sizes) != len(ARITY[fam]):
        raise ValueError(f"{fam} takes {len(ARITY[fam])} size(s): {', '.join(ARITY[fam])}")
    if fam == "F1":
        return fanout(*sizes)
    if fam == "F2":
        return orphan_chain(*sizes)
    return sigchld_coalesce(*sizes)


def _header(fam: str, sizes: tuple[int, ...], what: str, tasks: int) -> list[str]:
    return [
        f"# {label(fam, *sizes)}, generated by bench/families.py (see its docstring",
        "# for how this differs from the SPIN and TLA+ models of ../shared/bench).",
        *(f"# {line}" for line in what.splitlines()),
        "",
        f'scenario "{label(fam, *sizes)}"',
        "",
        "# the references' MAXP: init, main and every child; fork never fails",
        f"config {{ max_tasks = {tasks} }}",
        "",
    ]


def fanout(n: int, k: int) -> str:
    """F1: main forks n children; child i makes k local steps and exits i;
    main waits n times and asserts that the codes add up to n(n-1)/2."""
    if n < 1 or k < 0:
        raise ValueError("fanout needs N >= 1 and K >= 0")
    total = n * (n - 1) // 2
    what = (
        f"main forks {n} children; child i makes {k} local steps and exits with\n"
        f"code i; main waits {n} times and checks that the codes add up to {total}.\n"
        "Expected (SPIN and TLC): pass."
    )
    out = _header("F1", (n, k), what, n + 2)
    out += [
        "program main {",
        "    var sum = 0",
        "    var x = 0                   # the children's counter: each child writes its own copy",
    ]
    steps = ["x = x + 1"] * k
    for i in range(n):
        body = "; ".join([*steps, f"exit {i}"])
        out.append(f"    fork {{ {body} }}    # child {i}, pid {3 + i}")
    for _ in range(n):
        out += ["    w = wait()", "    sum = sum + w.code"]
    out += [
        f'    assert sum == {total}, "the exit codes add up to N*(N-1)/2"',
        "}",
        "",
        "check assertions, no_deadlock, zombies_reaped",
        "expect pass",
        "",
    ]
    return "\n".join(out)


def orphan_chain(d: int) -> str:
    """F2: a chain of d forks below main; each task exits right after its
    fork, so every child is orphaned and adopted by init."""
    if d < 1:
        raise ValueError("orphan_chain needs D >= 1")
    what = (
        f"a chain of {d} process{'es' if d > 1 else ''} below main: main forks c1, each ck forks c(k+1),\n"
        f"the leaf is c{d}; every task exits right after its fork, the leaf at once:\n"
        "each child is orphaned and re-parented to init, which reaps them all.\n"
        "Expected (SPIN and TLC): pass."
    )
    out = _header("F2", (d,), what, d + 2)
    out.append("program main {")
    for level in range(1, d + 1):
        pad = "    " * level
        who = f"c{level}" + (" (the leaf)" if level == d else "")
        if level < d:
            out.append(f"{pad}fork {{    # {who}, pid {2 + level}")
        else:
            out.append(f"{pad}fork {{ exit 0 }}    # {who}, pid {2 + level}")
    for level in range(d - 1, -1, -1):
        pad = "    " * (level + 1)
        out.append(f"{pad}exit 0")
        out.append("    " * level + "}")
    out += [
        "",
        "check orphans_reparented, zombies_reaped, no_deadlock",
        "expect pass",
        "",
    ]
    return "\n".join(out)


def sigchld_coalesce(n: int) -> str:
    """F3: a SIGCHLD handler that reaps one child per signal (WNOHANG); main
    forks n children that exit at once and sleeps until n are reaped."""
    if n < 2:
        raise ValueError("sigchld_coalesce needs N >= 2 (a signal is lost only with two exits)")
    what = (
        f"main installs a SIGCHLD handler that reaps one child per signal with\n"
        f"waitpid(-1, WNOHANG), forks {n} children that exit at once, and sleeps\n"
        f"until the handler has reaped {n}. SIGCHLD is one pending bit: an exit while\n"
        "it is pending is lost, the handler then runs once for two exits, and a\n"
        "zombie is left at the end while main sleeps for good.\n"
        "Expected (SPIN and TLC): a zombie left at the end."
    )
    out = _header("F3", (n,), what, n + 2)
    out += [
        "program main {",
        "    var reaped = 0",
        "    handler on_chld {",
        "        w = waitpid(-1, WNOHANG)    # one child per signal, never blocking",
        "        if w.pid > 0 {",
        "            reaped = reaped + 1",
        "        }",
        "    }",
        "    signal(SIGCHLD, on_chld)",
    ]
    for i in range(n):
        out.append(f"    fork {{ exit 0 }}    # pid {3 + i}")
    out += [
        "    sigprocmask(SIG_BLOCK, {SIGCHLD})    # test the count and sleep without a gap",
        f"    while reaped < {n} {{",
        "        sigsuspend({})    # unblock SIGCHLD and sleep, atomically",
        "    }",
        "}",
        "",
        "check zombies_reaped, no_deadlock",
        "expect violation zombies_reaped    # a lost SIGCHLD leaves a zombie at the end",
        "expect violation no_deadlock       # ... and main sleeping in sigsuspend for good",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Print a forkcheck scenario of the SPIN/TLC benchmark families.",
        epilog="examples: families.py F1 7 2; families.py F2 10; families.py F3 5; "
        "families.py --write DIR",
    )
    parser.add_argument("family", nargs="?", help="F1 (fanout), F2 (orphan_chain), F3 (sigchld)")
    parser.add_argument("sizes", nargs="*", type=int, help="F1: N K; F2: D; F3: N")
    parser.add_argument(
        "--write",
        metavar="DIR",
        help="write every size of BRIEF_SIZES (or of FAMILY only) to DIR, one file each",
    )
    args = parser.parse_args(argv)
    try:
        if args.write:
            folder = Path(args.write)
            folder.mkdir(parents=True, exist_ok=True)
            fams = [family_id(args.family)] if args.family else list(BRIEF_SIZES)
            for fam in fams:
                for sizes in BRIEF_SIZES[fam]:
                    path = folder / file_name(fam, *sizes)
                    path.write_text(scenario(fam, *sizes), encoding="utf-8")
                    print(path)
            return 0
        if not args.family:
            parser.error("name a family and its sizes, or use --write DIR")
        sys.stdout.write(scenario(args.family, *args.sizes))
    except ValueError as err:
        parser.error(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
