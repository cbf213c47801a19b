"""The symbolic engine (Z3): BMC verdicts and depths against the explicit
engine, large `any` ranges, k-induction proofs and counterexamples to
induction, and the structural invariants `prove` assumes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import z3

from checker.engines.explicit import explore
from checker.engines.symbolic.bmc import Symbolic, bmc, sleeping_calls
from checker.engines.symbolic.induction import (
    NOT_INDUCTIVE,
    PROVED,
    VIOLATED,
    Proof,
    prove,
    structural,
)
from checker.engines.symbolic.layout import unsupported
from checker.engines.symbolic.sstate import encode
from checker.kernel.model import Kernel
from checker.lang.load import load_text
from checker.props.suite import PropertySuite
from checker.results import EXIT_INCOMPLETE, EXIT_OK
from checker.results import VIOLATED as PROP_VIOLATED
from checker.runner import Options, check_text
from tests.cli_helpers import run

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def load(src: str):  # type: ignore[no-untyped-def]
    return load_text(textwrap.dedent(src), "t.proc")


# a user init that reaps forever: runs need not end
REAPER = """
    init {
        while true {
            w = wait()
        }
    }
"""


def proofs_of(src: str, k: int) -> dict[str, Proof]:
    """`prove` with k on the programs in src under the REAPER init."""
    scenario = load(REAPER + src)
    return {p.name: p for p in prove(Symbolic(scenario, Kernel(scenario)), k)}


SMALL_BUG = """
    program main {
        x = any(0..3)
        c = fork { exit x }
        w = wait()
        assert w.code != 2, "two"
    }
    start main
    expect violation assertions
"""


def test_symbolic_finds_the_explicit_shortest_violation() -> None:
    text = textwrap.dedent(SMALL_BUG)
    a = check_text(text, "t.proc", Options(engine="explicit"))
    b = check_text(text, "t.proc", Options(engine="symbolic", depth=10))
    pa = {p.name: p for p in a.properties}["assertions"]
    pb = {p.name: p for p in b.properties}["assertions"]
    assert pa.status == pb.status == PROP_VIOLATED
    assert pa.trace is not None and pb.trace is not None
    assert len(pa.trace.steps) == len(pb.trace.steps) == 5
    assert pb.message == "two"
    assert b.exit_code == EXIT_OK


def test_both_engines_agree_on_small_scenarios() -> None:
    for name in ("86_reaper_keeps_parent_links.proc",):
        text = (SCENARIOS / name).read_text()
        r = check_text(text, name, Options(engine="both", depth=6))
        assert r.exit_code == EXIT_OK, [d.message for d in r.errors]
    r = check_text(textwrap.dedent(SMALL_BUG), "t.proc", Options(engine="both", depth=10))
    assert r.exit_code == EXIT_OK, [d.message for d in r.errors]


def test_both_searches_as_deep_as_the_explicit_search() -> None:
    """Without --depth, `--engine both` has the symbolic engine search as
    deep as the explicit one had to go to see every state: every verdict
    and the outcomes are then compared whole, with no warning."""
    name = "56_vfork_shared_memory.proc"
    explicit = check_text((SCENARIOS / name).read_text(), name)
    r = check_text((SCENARIOS / name).read_text(), name, Options(engine="both"))
    assert r.exit_code == EXIT_OK, [d.message for d in r.errors]
    assert not [w.message for w in r.warnings if "symbolic" in w.message]
    symbolic = check_text(
        (SCENARIOS / name).read_text(), name, Options(engine="symbolic", depth=explicit.depth)
    )
    assert {o.values for o in symbolic.outcomes} == {o.values for o in explicit.outcomes}


def test_a_time_budget_stops_the_symbolic_search() -> None:
    """--budget: the search stops at the last depth searched whole; with
    --engine both that is a warning naming what stayed bounded, not a
    disagreement."""
    text = (SCENARIOS / "04_exit_codes.proc").read_text()
    r = check_text(text, "04.proc", Options(engine="symbolic", budget=1))
    assert r.exit_code == EXIT_INCOMPLETE
    assert r.stop is not None and r.stop.startswith("time budget of 1 s spent after depth")
    assert r.bound is not None and r.bound < 19
    r = check_text(text, "04.proc", Options(engine="both", budget=1))
    assert r.exit_code == EXIT_OK
    (warning,) = [w.message for w in r.warnings if "symbolic" in w.message]
    assert "bounded" in warning and "every state is within 19" in warning
    assert "time budget of 1 s" in warning


def test_a_large_any_range_is_answered_symbolically() -> None:
    text = textwrap.dedent("""
        program main {
            x = any(0..1000000)
            assert x != 654321, "the unlucky value"
        }
        start main
        expect violation assertions
    """)
    explicit = check_text(text, "t.proc")
    assert explicit.exit_code == EXIT_INCOMPLETE
    r = check_text(text, "t.proc", Options(engine="symbolic", depth=6))
    assert r.exit_code == EXIT_OK
    p = {p.name: p for p in r.properties}["assertions"]
    assert p.trace is not None
    assert p.trace.steps[0].events[0].value == 654321  # type: ignore[union-attr]


# clone flags computed at run time: the one clone the encoding refuses
RUNTIME_FLAGS = """
program main {
    f = any(0..1)
    c = clone(SIGCHLD + f) { exit 0 }
    w = wait()
}
"""


def test_clone_flags_that_are_not_constant_are_reported_as_not_covered() -> None:
    r = check_text(RUNTIME_FLAGS, "flags.proc", Options(engine="symbolic"))
    assert r.exit_code == EXIT_INCOMPLETE
    assert (
        "does not cover `clone` flags that are not a constant yet (line 4)" in r.errors[0].message
    )


@pytest.mark.parametrize(
    "name",
    [
        "46_pause_nobody_sends.proc",
        "55_pause_not_ended_by_child_exit.proc",
        "73_exec_keeps_sig_ign.proc",
        "68_vfork_parent_caught_signal_waits.proc",
    ],
)
def test_both_engines_agree_on_signal_scenarios(name: str) -> None:
    """Signals in the encoding: handlers, pause, SIG_IGN across exec, a
    caught signal to a vfork parent. Searched as deep as the explicit
    search, so every verdict and the outcomes are compared whole."""
    text = (SCENARIOS / name).read_text()
    explicit = check_text(text, name)
    r = check_text(text, name, Options(engine="both"))
    assert r.exit_code == explicit.exit_code == EXIT_OK, [d.message for d in r.errors]
    assert not [w.message for w in r.warnings if "symbolic" in w.message]
    symbolic = check_text(text, name, Options(engine="symbolic", depth=explicit.depth))
    assert {o.values for o in symbolic.outcomes} == {o.values for o in explicit.outcomes}


def test_prove_the_reaper_scenario(tmp_path: Path) -> None:
    r = run("prove", SCENARIOS / "86_reaper_keeps_parent_links.proc")
    assert r.returncode == EXIT_OK, r.stderr
    assert r.stdout.count("proved (k=1)") == 3


def test_prove_an_inductive_invariant() -> None:
    proofs = proofs_of(
        """
        program main {
            var n = 0
            n = 1
            n = 2
            n = 3
        }
        start main
        invariant small: forall T in tasks: T.program == main -> T.n <= 3
        expect pass
    """,
        1,
    )
    # n only ever takes the constants 0..3: the invariant is 1-inductive
    assert proofs["small"].status == PROVED


def test_prove_finds_a_real_violation() -> None:
    proofs = proofs_of(
        """
        program main {
            c = fork { exit 1 }
            assert c == 0, "parent"
        }
        start main
        expect violation assertions
    """,
        4,
    )
    assert proofs["assertions"].status == VIOLATED


def test_not_k_inductive_without_a_strengthening() -> None:
    proofs = proofs_of(
        """
        program main {
            var n = 0
            while true {
                n = n + 1
                if n >= 3 { n = 0 }
            }
        }
        start main
        invariant bounded: forall T in tasks: T.program == main -> T.n <= 5
        expect pass
    """,
        1,
    )
    assert proofs["bounded"].status == NOT_INDUCTIVE
    assert proofs["bounded"].cti


def test_prove_assumes_the_other_invariants_houdini_style() -> None:
    """The step case assumes every property still believed inductive: b_zero
    holds only because a_zero does, and is proved with it; bounded is
    dropped, and its CTI is computed against what is proved (a and b are 0
    in it)."""
    proofs = proofs_of(
        """
        program main {
            var a = 0
            var b = 0
            var n = 0
            while true {
                b = a
                n = n + 1
                if n >= 3 { n = 0 }
            }
        }
        start main
        invariant b_zero: forall T in tasks: T.program == main -> T.b == 0
        invariant a_zero: forall T in tasks: T.program == main -> T.a == 0
        invariant bounded: forall T in tasks: T.program == main -> T.n <= 5
        expect pass
    """,
        1,
    )
    assert proofs["a_zero"].status == PROVED
    assert proofs["b_zero"].status == PROVED
    assert proofs["bounded"].status == NOT_INDUCTIVE
    rows = [row for state in proofs["bounded"].cti for row in state if row[3] == "main"]
    assert rows and all(str(row[6]).startswith("a=0, b=0, ") for row in rows), rows


@pytest.mark.parametrize(
    "path",
    # a sample: encoding each state is slow (bench/ covers the rest by hand)
    [
        SCENARIOS / n
        for n in (
            "02_fork_pids.proc",
            "07_orphan_adopted_by_init.proc",
            "09_subreaper.proc",
            "57_vfork_exec_releases_parent.proc",
            "58_vfork_exec_fails_falls_through.proc",
            "86_reaper_keeps_parent_links.proc",
            "44_stop_continue_wait.proc",
            "48_wait_eintr_no_restart.proc",
            "67_vfork_parent_killed_by_sigterm.proc",
        )
    ],
    ids=lambda p: p.name[:2],
)
def test_structural_invariants_hold_in_every_reachable_state(path: Path) -> None:
    """What `prove` assumes of every state must be true of every state the
    explicit engine reaches (else a proof could be unsound)."""
    scenario = load_text(path.read_text(), str(path))
    if unsupported(scenario) is not None:
        pytest.skip("not covered by the symbolic engine")
    kernel = Kernel(scenario)
    sym = Symbolic(scenario, kernel)
    ex = explore(kernel, PropertySuite.build(scenario), 40, 0)
    for s in ex.states[:40]:
        inv = z3.simplify(structural(sym, encode(sym.lay, s, sleeping_calls(kernel, s))))
        assert z3.is_true(inv), (path.name, s)


def test_bmc_is_complete_when_every_run_ends() -> None:
    scenario = load("""
        program main {
            c = fork { exit 1 }
            w = wait()
        }
        start main
        expect pass
    """)
    result, _ = bmc(Symbolic(scenario, Kernel(scenario)), 20)
    assert result.complete
    assert not result.found


def test_cli_budget_option() -> None:
    r = run("check", "--engine", "symbolic", "--budget", "1", SCENARIOS / "04_exit_codes.proc")
    assert r.returncode == 3
    assert "stopped by time budget of 1 s spent after depth" in r.stdout


def test_cli_engine_option_is_checked() -> None:
    r = run("check", "--engine", "magic", SCENARIOS / "01_fork_wait_sum.proc")
    assert r.returncode == 2
    assert "--engine magic" in r.stderr
