"""The clone(2) EINVAL rules as Z3 constraints over a symbolic flags word.

The rules exist once, as the table checker/kernel/clone_flags.RULES; this
module builds each row's constraint from its fields, so the static warnings
(checker/lang/flagcheck.py), `forkcheck flags` and the model's clone step
(clone_flags.violations) apply the same rules. tests/test_clone_flags.py
checks that the two evaluations agree on every combination of the flags the
rules mention, for an init caller and for any other.

The word is what the language's `clone(FLAGS)` passes to the legacy clone(2)
call, so the split that SYSCALL_DEFINE5(clone) makes (kernel/fork.c: only
the low 32 bits count, and their low byte is the exit signal) is part of
the encoding.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import z3  # type: ignore[import-untyped]

from checker.kernel import clone_flags as K
from checker.kernel.clone_flags import CSIGNAL, LEGACY_MASK, RULES, FlagRule
from checker.symbolic.z3expr import WIDTH, bv

WORD_MASK = 2**WIDTH - 1


def legacy_split(word: z3.BitVecRef) -> tuple[z3.BitVecRef, z3.BitVecRef]:
    """The flags and the exit signal kernel_clone gets from the legacy call
    (kernel/fork.c SYSCALL_DEFINE5(clone): lower_32_bits(clone_flags), then
    `clone_flags & ~CSIGNAL` and `clone_flags & CSIGNAL`), as 64-bit terms."""
    low = z3.ZeroExt(WIDTH - 32, z3.Extract(31, 0, word))
    return low & bv(LEGACY_MASK & ~CSIGNAL), low & bv(CSIGNAL)


def invalid(rule: FlagRule, word: z3.BitVecRef, caller_init: z3.BoolRef) -> z3.BoolRef:
    """When `rule` refuses the legacy clone call with flags word `word`:
    every `present` bit set, no `absent` bit set, and for the init-only rule
    a caller that is an init (FlagRule.applies, as a constraint)."""
    flags, _ = legacy_split(word)
    conds = [flags & bv(rule.present) == bv(rule.present)]
    if rule.absent:
        conds.append(flags & bv(rule.absent) == bv(0))
    if rule.caller_init:
        conds.append(caller_init)
    return z3.And(*conds)


def any_invalid(word: z3.BitVecRef, caller_init: z3.BoolRef) -> z3.BoolRef:
    """When copy_process (or kernel_clone) refuses the call with EINVAL."""
    return z3.Or(*(invalid(rule, word, caller_init) for rule in RULES))


class _Decider:
    """The rules over a symbolic word and caller, built once, as one
    bit-vector with a bit per rule (the first rule in the top bit), so that
    deciding a concrete word is one substitution that Z3 simplifies to a
    number; a solver decides it if the simplifier ever leaves a term."""

    def __init__(self) -> None:
        self.word = z3.BitVec("clone_flags_word", WIDTH)
        self.caller_init = z3.Bool("clone_caller_is_init")
        one, zero = z3.BitVecVal(1, 1), z3.BitVecVal(0, 1)
        bits = [z3.If(invalid(r, self.word, self.caller_init), one, zero) for r in RULES]
        self.holds = z3.Concat(*bits) if len(bits) > 1 else bits[0]

    def broken(self, word: int, caller_is_init: bool) -> tuple[FlagRule, ...]:
        value = z3.simplify(z3.substitute(self.holds, *self._fixed(word, caller_is_init)))
        if not z3.is_bv_value(value):
            return self.solve(word, caller_is_init)
        return self._rules(value.as_long())

    def solve(self, word: int, caller_is_init: bool) -> tuple[FlagRule, ...]:
        solver = z3.Solver()
        solver.add(*(a == b for a, b in self._fixed(word, caller_is_init)))
        if solver.check() != z3.sat:  # the word is fixed: exactly one model
            raise AssertionError(f"no model for clone flags {word:#x}")
        return self._rules(solver.model().eval(self.holds, model_completion=True).as_long())

    def _fixed(self, word: int, caller_is_init: bool) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        return [
            (self.word, bv(word & WORD_MASK)),
            (self.caller_init, z3.BoolVal(caller_is_init)),
        ]

    def _rules(self, mask: int) -> tuple[FlagRule, ...]:
        top = len(RULES) - 1
        return tuple(rule for i, rule in enumerate(RULES) if mask >> (top - i) & 1)


@functools.cache
def _decider() -> _Decider:
    return _Decider()


def broken(word: int, caller_is_init: bool = False) -> tuple[FlagRule, ...]:
    """The rules a concrete flags word breaks, decided by Z3 with the word
    fixed, in the kernel's order (the first is the one it reports)."""
    return _decider().broken(word, caller_is_init)


def solve_broken(word: int, caller_is_init: bool = False) -> tuple[FlagRule, ...]:
    """The same answer as `broken`, from a solver's model rather than the
    simplifier (slower; `broken` falls back on it, the tests compare them)."""
    return _decider().solve(word, caller_is_init)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the legacy clone call makes of a flags word."""

    word: int  # as a 64-bit unsigned value
    flags: int  # the low 32 bits without the low byte: what kernel_clone checks
    exit_signal: int  # the low byte (CSIGNAL), not validated by the legacy call
    dropped: int  # the bits above 32, which the legacy call never passes on
    caller_is_init: bool
    broken: tuple[FlagRule, ...]  # in the kernel's order; () when accepted
    # when the caller is not an init: the rules only an init's call breaks
    # (CLONE_PARENT, F6)
    broken_by_init: tuple[FlagRule, ...]

    @property
    def valid(self) -> bool:
        return not self.broken

    @property
    def flag_names(self) -> list[str]:
        return K.names(self.flags)

    @property
    def dropped_names(self) -> list[str]:
        """The named flags above 32 bits, then any other such bit in hex."""
        named = K.names(self.dropped)
        rest = self.dropped
        for name in named:
            rest &= ~K.F[name]
        return named + ([f"{rest:#x}"] if rest else [])


def explain(word: int, caller_is_init: bool = False) -> Explanation:
    """The flags word as the legacy clone call splits it, and the verdict
    of the Z3 encoding, cross-checked with the table's direct evaluation."""
    word &= WORD_MASK
    rules = broken(word, caller_is_init)
    direct = tuple(K.violations(word, caller_is_init))
    assert rules == direct, f"Z3 says {rules}, the table says {direct} for {word:#x}"
    by_init: tuple[FlagRule, ...] = ()
    if not caller_is_init:
        by_init = tuple(r for r in broken(word, True) if r not in rules)
    flags, exit_signal = K.legacy_split(word)
    return Explanation(
        word=word,
        flags=flags,
        exit_signal=exit_signal,
        dropped=word & ~LEGACY_MASK,
        caller_is_init=caller_is_init,
        broken=rules,
        broken_by_init=by_init,
    )
