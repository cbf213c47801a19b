"""index.html of a report: one page for the whole run, every scenario's
verdict, figures and expectations, and each counterexample as a timeline, a
process tree (both inline SVG) and the text trace with its ps tables."""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from checker import __version__
from checker.errors import format_diagnostics
from checker.render.dot import INSTALL_HINT
from checker.render.text import figures
from checker.results import MET, NOT_MET, UNDECIDED, FileResult, show_value

if TYPE_CHECKING:
    from checker.report import Drawn, Page, Report

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #212121; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-top: 1px solid #ccc; padding-top: .8em; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
.v-ok, .s-met { color: #2e7d32; font-weight: bold; }
.v-FAIL, .v-error, .v-internal-error, .s-not-met { color: #c62828; font-weight: bold; }
.v-incomplete, .s-undecided { color: #ef6c00; font-weight: bold; }
.picture { overflow-x: auto; border: 1px solid #eee; margin: .5em 0; padding: .3em; }
.picture svg { display: block; }
pre { background: #fafafa; border: 1px solid #eee; padding: .6em; overflow-x: auto; font-size: .85em; }
.note { color: #616161; }
.warn { background: #fff3e0; border: 1px solid #ffb74d; padding: .5em; }
"""

_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.S)
_ID = re.compile(r'\bid="([^"]*)"')


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element of the page: without its XML prolog,
    its ids made unique in the page."""
    body = _PROLOG.sub("", svg, count=1)
    return _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)


def _href(*parts: str) -> str:
    """A relative link to a report file, quoted for a URL and for HTML."""
    return escape("/".join(quote(p) for p in parts))


def _cls(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text)


def index_html(report: Report) -> str:
    pages = report.pages
    counts: dict[str, int] = {}
    for p in pages:
        counts[p.result.verdict] = counts.get(p.result.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    states = sum(p.result.states for p in pages)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>forkcheck report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>forkcheck report</h1>",
        f"<p>{len(pages)} scenario{'s' if len(pages) != 1 else ''}: {escape(summary)}; "
        f"{states:,} states in all. forkcheck {escape(__version__)}.</p>",
    ]
    if report.dot_missing:
        out.append(f"<p class='warn'>{escape(INSTALL_HINT)}. The .dot files are linked below.</p>")
    for err in report.render_errors:
        out.append(f"<p class='warn'>{escape(err)}</p>")
    out.append(
        "<table class='summary'><tr><th>scenario</th><th>verdict</th><th>states</th>"
        "<th>transitions</th><th>depth</th><th>seconds</th><th>expectations met</th>"
        "<th>counterexamples</th></tr>"
    )
    for p in pages:
        r = p.result
        met = sum(1 for e in r.expectations if e.status == MET)
        out.append(
            f"<tr><td><a href='#{_href(p.folder)}'>{escape(r.path)}</a></td>"
            f"<td class='v-{_cls(r.verdict)}'>{escape(r.verdict)}</td>"
            f"<td>{r.states:,}</td><td>{r.transitions:,}</td><td>{r.depth}</td>"
            f"<td>{r.seconds:.2f}</td><td>{met} of {len(r.expectations)}</td>"
            f"<td>{len(p.drawn)}</td></tr>"
        )
    out.append("</table>")
    for p in pages:
        out += _page(p)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _page(p: Page) -> list[str]:
    r = p.result
    out = [
        f"<section id='{escape(p.folder)}'>",  # folder names need no quoting (report.py)
        f"<h2>{escape(r.path)} <span class='v-{_cls(r.verdict)}'>{escape(r.verdict)}</span></h2>",
    ]
    if r.title:
        out.append(f"<p><i>{escape(r.title)}</i></p>")
    if not r.errors:
        out.append(f"<p class='note'>{escape(figures(r))}</p>")
    if r.errors or r.warnings:
        text = format_diagnostics(r.errors + r.warnings, r.source)
        out.append(f"<pre>{escape(text)}</pre>")
    if r.expectations:
        out.append(
            "<table><tr><th>expectation</th><th>line</th><th>result</th><th>detail</th></tr>"
        )
        for e in r.expectations:
            status = {MET: "met", NOT_MET: "not met", UNDECIDED: "undecided"}[e.status]
            line = str(e.line) if e.line else ""
            out.append(
                f"<tr><td><code>{escape(e.text)}</code></td><td>{line}</td>"
                f"<td class='s-{_cls(status)}'>{status}</td><td>{escape(e.detail)}</td></tr>"
            )
        out.append("</table>")
    if r.observe:
        out += _outcomes(r)
    for d in p.drawn:
        out += _drawn(d)
    if "graph" in p.svgs:
        out.append(f"<p><a href='{_href(p.folder, 'graph.svg')}'>state graph</a> (SVG)</p>")
    elif p.graph_dot is not None:
        out.append(f"<p><a href='{_href(p.folder, 'graph.dot')}'>state graph</a> (dot)</p>")
    elif p.graph_note:
        out.append(f"<p class='note'>{escape(p.graph_note)}</p>")
    out.append("</section>")
    return out


def _outcomes(r: FileResult) -> list[str]:
    head = "".join(f"<th><code>{escape(o)}</code></th>" for o in r.observe)
    out = [f"<table><tr>{head}<th>terminal states</th></tr>"]
    for o in r.outcomes:
        cells = "".join(f"<td>{escape(show_value(v))}</td>" for v in o.values)
        out.append(f"<tr>{cells}<td>{'reached' if o.count is None else o.count}</td></tr>")
    if not r.outcomes:
        out.append(f"<tr><td colspan='{len(r.observe) + 1}'>no terminal state</td></tr>")
    out.append("</table>")
    return out


def _drawn(d: Drawn) -> list[str]:
    cx = d.cx
    n = len(cx.trace.steps)
    out = [
        f"<h3 id='{escape(d.folder)}'>{escape(cx.heading)}</h3>",
        f"<p>{escape(cx.trace.message)} ({n} step{'s' if n != 1 else ''})</p>",
    ]
    for name in ("trace", "tree"):
        svg = d.svgs.get(name)
        if svg is not None:
            prefix = _cls(f"{d.folder}-{name}")
            out.append(f"<div class='picture {name}'>{inline_svg(svg, prefix)}</div>")
    links = [f"<a href='{_href(d.folder, f)}'>{escape(f)}</a>" for f in sorted(d.files)]
    out.append(f"<p class='note'>files: {' · '.join(links)}</p>")
    text = d.files.get("trace.txt", "")
    out.append(f"<details open><summary>text trace</summary><pre>{escape(text)}</pre></details>")
    return out
