"""The load report as one self-contained HTML file: tables of the verdict, and plots where a person would rather look.

Plots are drawn with plotly, with plotly.js inlined once in the page, so the
file opens offline and needs no network. Everything shown comes from the same
report dict the JSON holds.
"""

from __future__ import annotations

import math
from html import escape

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from ..outcomes.verdict import FAILING
from ..reports.html import code_spans
from ..reports.matrix import SHORT, mark
from ..wire.cost import plural
from .answer import HTTP_OUTCOMES

CONFIG = {"displaylogo": False, "responsive": True}
# The legend sits under the plot, clear of the axis titles (the right-hand one included), the bottom margin making room.
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.22, "yanchor": "top"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2329; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccd3da; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; }
.fail, .error { background: #fbe3e4; } .pass { background: #e6f4ea; } .skip, .not-supported { background: #f1f3f4; }
.verdict-failed { color: #b3261e; } .verdict-certified { color: #1e7e34; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: 0.5rem; max-width: 110ch; }
"""


def render(report: dict) -> str:
    t, run = report["target"], report["run"]
    body = [f"<h1>Conformance under load: {escape(t['base_url'])}</h1>",
            f"<p class='verdict-{report['verdict']}'><strong>Verdict: {escape(report['verdict'])}</strong>. "
            f"Profile <code>{escape(t['profile'])}</code>, models {escape(', '.join(t['models']))}.</p>",
            f"<p>{run['answers']} answers in {run['wall_s']:.1f} s from {run['users']} users"
            + (f" on {run['workers']} {plural(run['workers'], 'worker')}" if run["workers"] else "")
            + f", stopped by {escape(str(run['stopped_by']))}; {run['judged']} judged, {run['throttled']} throttled; "
            f"at most {run['streams_peak']} streams open at once. Mix <code>{escape(run['mix'])}</code>.</p>",
            "<h2>Over time</h2>", _figure(_latency_over_time(report)), _figure(_violations_over_time(report)),
            "<h2>HTTP outcomes</h2>", _http_table(report), "<h2>Latency (ms)</h2>", _latency_table(report),
            "<h2>Requirements</h2>", _checks_table(report), _violations(report)]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>crun-conformance load: {escape(t['base_url'])}</title><style>{STYLE}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>{''.join(body)}</body></html>\n")


def _figure(fig: go.Figure) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, config=CONFIG)


def _cases(report: dict) -> list[str]:
    return sorted({s["case"] for s in report["timeline"]["series"]})


def _latency_over_time(report: dict) -> go.Figure:
    cases = _cases(report) or ["(no answer)"]
    fig = make_subplots(rows=len(cases), cols=1, shared_xaxes=True, subplot_titles=cases, vertical_spacing=0.08)
    for row, case in enumerate(cases, start=1):
        points = [s for s in report["timeline"]["series"] if s["case"] == case]
        x = [p["t"] for p in points]
        for q, dash in (("p50", "solid"), ("p95", "dash"), ("p99", "dot")):
            fig.add_trace(go.Scatter(x=x, y=[p["total_ms"][q] for p in points], name=f"{case} answer {q}",
                                     mode="lines+markers", line={"dash": dash}), row=row, col=1)
        if any(p["ttft_ms"]["count"] for p in points):
            fig.add_trace(go.Scatter(x=x, y=[p["ttft_ms"]["p50"] for p in points], name=f"{case} first token p50",
                                     mode="lines"), row=row, col=1)
        fig.update_yaxes(title_text="ms", row=row, col=1)
    fig.update_xaxes(rangemode="tozero")
    fig.update_xaxes(title_text="seconds since the start", row=len(cases), col=1)
    fig.update_layout(title="Latency percentiles per second, per case", height=220 * len(cases) + 200,
                      legend={**LEGEND, "y": -60 / (220 * len(cases))}, margin={"b": 160})
    return fig


def count_axis(top: float) -> dict:
    """A count axis: whole numbers only, from 0, about five ticks at a step of 1, 2 or 5 times a power of ten."""
    rough = max(top, 1) / 5
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return {"tick0": 0, "dtick": step, "tickformat": "d", "rangemode": "tozero", "range": [0, max(top, 1) * 1.05]}


def _violations_over_time(report: dict) -> go.Figure:
    fig = go.Figure()
    for case in _cases(report):
        points = [s for s in report["timeline"]["series"] if s["case"] == case]
        fig.add_trace(go.Bar(x=[p["t"] for p in points], y=[p["violations"] for p in points], name=f"{case} violating"))
    streams = report["timeline"]["streams"]
    fig.add_trace(go.Scatter(x=[s["t"] for s in streams], y=[s["open_streams"] for s in streams], yaxis="y2",
                             name="streams open (peak)", mode="lines"))
    per_second: dict[int, int] = {}
    for s in report["timeline"]["series"]:
        per_second[s["t"]] = per_second.get(s["t"], 0) + s["violations"]
    fig.update_layout(title="Answers violating a requirement per second, per case", barmode="stack",
                      xaxis={"title": "seconds since the start", "rangemode": "tozero"},
                      yaxis={"title": "answers violating", **count_axis(max(per_second.values(), default=0))},
                      yaxis2={"title": "streams open", "overlaying": "y", "side": "right",
                              **count_axis(max((s["open_streams"] for s in streams), default=0))},
                      legend=LEGEND, margin={"b": 140}, height=440)
    return fig


def _http_table(report: dict) -> str:
    rows = "".join(f"<tr><td>{escape(name)}</td><td class='num'>{report['http'][name]}</td></tr>" for name in HTTP_OUTCOMES)
    return f"<table><tr><th>outcome</th><th>answers</th></tr>{rows}</table>"


def _latency_table(report: dict) -> str:
    lat = report["latency"]
    head = "<tr><th>case</th><th>measure</th><th>p50</th><th>p95</th><th>p99</th><th>count</th></tr>"
    rows = []
    for case, values in [("all", lat), *sorted(lat["by_case"].items())]:
        for label, key in (("first byte", "ttfb_ms"), ("first token", "ttft_ms"), ("whole answer", "total_ms"),
                           ("gap between events", "gap_ms")):
            s = values[key]
            if not s["count"]:
                continue
            cells = "".join(f"<td class='num'>{_ms(s.get(q))}</td>" for q in ("p50", "p95", "p99"))
            rows.append(f"<tr><td>{escape(case)}</td><td>{label}</td>{cells}<td class='num'>{s['count']}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _checks_table(report: dict) -> str:
    head = ("<tr><th>requirement</th><th>level</th><th>endpoint</th><th>case</th><th>model</th><th>outcome</th>"
            "<th>violated / answers</th><th>load-only</th><th>statement</th></tr>")
    rows = []
    for c in report["checks"]:
        shown = mark(c["outcome"], c["actual"])
        only = {True: "yes", False: "no", None: ""}[c["load_only"]]
        rows.append(f"<tr class='{shown.replace(' ', '-')}'><td>{escape(c['id'])}</td><td>{c['level']}</td>"
                    f"<td>{escape(c['endpoint'])}</td><td>{escape(c['case'])}</td><td>{escape(c['model'])}</td>"
                    f"<td>{SHORT[shown]}</td>"
                    f"<td class='num'>{c['violated']} / {c['answers']}</td><td>{only}</td>"
                    f"<td>{code_spans(c['statement'])}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _violations(report: dict) -> str:
    bad = [c for c in report["checks"] if c["outcome"] in FAILING]
    if not bad:
        return ""
    out = ["<h2>Violations</h2>"]
    for c in bad:
        examples = "".join(f"<li>{escape(v)}</li>" for v in c["violations"])
        out.append(f"<details open><summary><strong>{escape(c['id'])}</strong> [{c['level']}] {escape(c['case'])}, "
                   f"{escape(c['model'])}: violated by {c['violated']} of {c['answers']} answers"
                   f"{' (load-only)' if c['load_only'] else ''}</summary>"
                   f"<p>{code_spans(c['statement'])}<br><small>{escape(c['source'])}</small></p>"
                   f"<p>expected: {escape(c['expected'] or '-')}<br>actual: {escape(c['actual'])}</p>"
                   f"<ul>{examples}</ul><pre>{escape(c['exchange'])}</pre></details>")
    return "".join(out)
