"""What forkcheck's pictures share: the state colours, the fonts, how text
is put into dot, and a graph with its title and legend above it."""

from __future__ import annotations

from html import escape

import graphviz

GONE = "gone"  # the task has been reaped (or released): its lane is over

# (legend text, colour) per ps state letter (fs/proc/array.c task_state_array)
STATES: dict[str, tuple[str, str]] = {
    "R": ("running (R)", "#2e7d32"),
    "S": ("sleeping (S)", "#1e88e5"),
    "D": ("vfork wait (D)", "#8e24aa"),
    "T": ("stopped (T)", "#fb8c00"),
    "Z": ("zombie (Z)", "#5d4037"),
    GONE: ("gone", "#bdbdbd"),
}
VIOLATION = "#d32f2f"
FONT = "Helvetica"

LABEL_WIDTH = 22  # characters of a statement shown in its box (all of it in the tooltip)


def plain(text: str) -> str:
    """Text for a dot label, shown as written (dot reads `\\n`, `\\N`...
    in a label as escapes; a statement or a message may hold a backslash)."""
    return graphviz.escape(text)  # a str that the package quotes as text, never as HTML


def tip(text: str) -> str:
    """Text for a tooltip: dot expands escapes there even when escaped, so a
    backslash is shown as the look-alike U+29F5."""
    return text.replace("\\", "\u29f5")


def short(text: str, width: int = LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _legend(gone: bool = True) -> str:
    cells = "".join(
        f'<TD BGCOLOR="{colour}" WIDTH="14"> </TD><TD ALIGN="LEFT">{escape(text)}  </TD>'
        for key, (text, colour) in STATES.items()
        if gone or key != GONE
    )
    return f"<TABLE BORDER='0' CELLSPACING='2'><TR>{cells}</TR></TABLE>"


def title_label(title: str, subtitle: str, legend: bool = True, gone: bool = True) -> str:
    """An HTML-like label: the title in bold, the message, then (with
    `legend`) what the state colours mean."""
    sub = escape(short(subtitle, 160))
    return (
        "<<TABLE BORDER='0' CELLSPACING='0'>"
        f"<TR><TD ALIGN='LEFT'><B>{escape(title)}</B></TD></TR>"
        f"<TR><TD ALIGN='LEFT'>{sub}</TD></TR>"
        + (f"<TR><TD ALIGN='LEFT'>{_legend(gone)}</TD></TR>" if legend else "")
        + "</TABLE>>"
    )


def titled_graph(
    name: str, title: str, subtitle: str, legend: bool = True, gone: bool = True, **attrs: str
) -> graphviz.Digraph:
    """A dot graph with the look every picture shares: the title, the
    message and (with `legend`) the state colours above it, on the left."""
    g = graphviz.Digraph(name)
    g.attr(
        label=title_label(title, subtitle, legend, gone),
        labelloc="t",
        labeljust="l",
        fontname=FONT,
        fontsize="12",
        bgcolor="white",
        **attrs,
    )
    return g
