"""Dot source to SVG or PNG, through the graphviz package and Graphviz's
`dot` program; without `dot`, a clear error (the .dot text is still ours)."""

from __future__ import annotations

import shutil

import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` was not found on PATH: no SVG or PNG pictures without it; "
    "install Graphviz (Debian: `apt-get install graphviz`)"
)
PICTURE_FORMATS = ("svg", "png")


class RenderError(Exception):
    """`dot` is missing or failed; the message says what to do."""


def have_dot() -> bool:
    return shutil.which("dot") is not None


def render(source: str, fmt: str) -> bytes:
    """The picture of a dot graph, laid out by `dot`, as `fmt` (svg, png)."""
    assert fmt in PICTURE_FORMATS, fmt
    try:
        return graphviz.Source(source, engine="dot").pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError(INSTALL_HINT) from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip()
        raise RenderError(f"dot failed (exit {err.returncode}): {detail}") from None
