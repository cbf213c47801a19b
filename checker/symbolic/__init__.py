"""Symbolic reasoning over the IR with Z3.

z3expr translates IR expressions to Z3 terms with the explicit engine's C
arithmetic; clone_flags encodes the clone(2) EINVAL rules of
checker/kernel/clone_flags.py over a symbolic flags word. Nothing here is
imported by a scenario that does not need it: importing z3 costs a noticeable
fraction of a second, so callers import these modules lazily.
"""
