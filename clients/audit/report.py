"""``report.html``: one self-contained page (inline CSS, PNGs as base64 data URIs, no
scripts, no external URLs) with, in this order: the summary (rates per model with Wilson
intervals, verdict counts), the plots (accuracy vs depth per model, the verdict mix per
model, key rates per model), a few examples of each failure kind with the first
unsupported step highlighted, and the breakdowns (by domain, depth and each ``--by``
field). The PNGs are also written beside it.

Plots need matplotlib (installed with the ``train`` extra); without it the page holds
the tables and examples only and says so. All text that came from the input (ids, model
names, completions) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from verifier.grading import CORRECT, VERDICTS

#: lines and characters of a completion shown in an example
EXAMPLE_LINES = 40
EXAMPLE_LINE_CHARS = 240
FAILURE_KINDS = ("wrong_answer", "unwarranted_answer", "wrong_abstention", "unparsable",
                 "correct_but_flagged")
KIND_TITLES = {
    "wrong_answer": "Wrong answer (the premises determine another value)",
    "unwarranted_answer": "Unwarranted answer (answered though nothing is entailed: "
                          "hallucination)",
    "wrong_abstention": "Wrong abstention (said Unknown though the answer is determined)",
    "unparsable": "Unparsable (no readable final answer)",
    "correct_but_flagged": "Correct final answer, unsupported step",
}
COLORS = {"correct": "#2e7d32", "wrong_answer": "#c62828", "unwarranted_answer": "#ef6c00",
          "wrong_abstention": "#1565c0", "unparsable": "#757575"}
RATE_COLUMNS = (("answerable_accuracy", "answerable acc"),
                ("unanswerable_accuracy", "unanswerable acc"),
                ("overall_accuracy", "overall acc"),
                ("unwarranted_answer_rate", "hallucination (unwarranted / unanswerable)"),
                ("abstention_rate", "abstention"),
                ("wrong_abstention_rate", "wrong abstention"),
                ("unparsable_rate", "unparsable"))


class Examples:
    """A few items per failure kind, spread over models and domains (first seen first)."""

    def __init__(self, per_kind: int):
        self.per_kind = per_kind
        self._seen: dict[str, dict[str, list]] = {k: {} for k in FAILURE_KINDS}

    def add(self, item: dict, rec: Any) -> None:
        if "error" in item or not isinstance(rec, dict):
            return
        kind = item["verdict"]
        if kind == CORRECT:
            if item.get("first_unsupported_line") is None:
                return
            kind = "correct_but_flagged"
        per_model = self._seen[kind].setdefault(f"{item.get('model')}|{item.get('domain')}", [])
        if len(per_model) < self.per_kind:
            response = rec.get("response", rec.get("completion"))
            per_model.append((item, response if isinstance(response, str) else ""))

    def pick(self, kind: str) -> list[tuple[dict, str]]:
        """Round-robin over (model, domain); items with a flagged step first within each."""
        queues = [sorted(q, key=lambda x: x[0].get("first_unsupported_line") is None)
                  for q in self._seen[kind].values()]
        out = []
        while len(out) < self.per_kind and any(queues):
            for q in queues:
                if q and len(out) < self.per_kind:
                    out.append(q.pop(0))
        return out


# ------------------------------------------------------------------ plots

def _plots(summary, out_dir: Path) -> dict[str, bytes]:
    """name → PNG bytes (also written to ``out_dir``); {} without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    pngs: dict[str, bytes] = {}

    def save(fig, name: str) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        pngs[name] = buf.getvalue()
        (out_dir / name).write_bytes(pngs[name])

    by_depth = summary.accuracy_by_depth()
    panels = (("overall_accuracy", "overall accuracy"),
              ("answerable_accuracy", "answerable accuracy"),
              ("unanswerable_accuracy", "unanswerable accuracy"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, (rate, title) in zip(axes, panels):
        for model, rows in by_depth.items():
            pts = [(float(d), m[rate], m["ci95"][rate]) for d, m in rows
                   if m[rate] is not None and _is_number(d)]
            if not pts:
                continue
            xs, ys, cis = zip(*pts)
            line, = ax.plot(xs, ys, marker="o", label=model)
            ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis],
                            color=line.get_color(), alpha=0.15)
        ax.set_title(title)
        ax.set_xlabel("depth")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (band: Wilson 95%)")
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=8)
    save(fig, "accuracy_by_depth.png")

    models = summary.groups["model"]
    names = list(models)
    fig, ax = plt.subplots(figsize=(7, 0.7 * len(names) + 1.8))
    left = [0.0] * len(names)
    for v in VERDICTS:
        shares = []
        for name in names:
            m = models[name].metrics()
            shares.append(m["verdicts"][v] / m["n"] if m["n"] else 0.0)
        ax.barh(names, shares, left=left, color=COLORS[v], label=v)
        for i, s in enumerate(shares):
            if s >= 0.06:
                ax.text(left[i] + s / 2, i, f"{s:.0%}", ha="center", va="center",
                        color="white", fontsize=8)
        left = [a + b for a, b in zip(left, shares)]
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of items")
    ax.set_title("verdict mix per model")
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    save(fig, "verdict_mix.png")

    rates = (("answerable_accuracy", "answerable acc"),
             ("unanswerable_accuracy", "unanswerable acc"),
             ("unwarranted_answer_rate", "hallucination"),
             ("abstention_rate", "abstention"), ("flagged_rate", "flagged steps"))
    fig, ax = plt.subplots(figsize=(7.5, 0.7 * len(names) + 1.8 if len(names) > 3 else 3.2))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        m = models[name].metrics()
        vals = [(m.get(r) if r != "flagged_rate" else m["steps"]["flagged_rate"]) for r, _ in rates]
        cis = [m["ci95"][r] for r, _ in rates]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(rates))]
        ys = [v if v is not None else 0.0 for v in vals]
        err = [[max(0.0, y - c[0]) if c else 0 for y, c in zip(ys, cis)],
               [max(0.0, c[1] - y) if c else 0 for y, c in zip(ys, cis)]]
        ax.bar(xs, ys, width, yerr=err, capsize=3, label=name)
    ax.set_xticks(range(len(rates)), [t for _, t in rates], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate (bars: Wilson 95%)")
    ax.set_title("key rates per model")
    if names:
        ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    save(fig, "rates.png")
    return pngs


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;
max-width:1200px;color:#222;padding:0 16px}
h1{font-size:24px;margin-bottom:4px} h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4} td.k,th.k{text-align:left;white-space:nowrap}
.ci{color:#888;font-size:11px;white-space:nowrap} .muted{color:#777;font-size:13px}
img{max-width:100%;border:1px solid #eee;margin:6px 0}
.row{display:flex;gap:16px;align-items:flex-start} .row figure{flex:1;margin:0}
figcaption{font-weight:600;font-size:15px;margin:10px 0 2px}
nav a{margin-right:12px;font-size:13px}
.ex{border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:8px 10px;background:#fcfcfc}
.ex .meta{font-size:12px;color:#444;margin-bottom:6px}
.ex pre{margin:0;font-size:12px;white-space:pre-wrap;word-break:break-word}
.ln{color:#999;display:inline-block;width:3em}
.first{background:#ffcdd2;font-weight:600} .bad{background:#fff3e0} .ok{background:#f1f8e9}
.tag{font-size:11px;border-radius:3px;padding:0 4px;margin-left:6px;color:#fff}
.v{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:12px}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _rate_cell(m: dict, rate: str) -> str:
    v = m.get(rate)
    ci = m["ci95"].get(rate)
    if v is None:
        return "<td>—</td>"
    return f"<td>{_pct(v)}<br><span class=ci>[{ci[0]:.2f}, {ci[1]:.2f}]</span></td>"


def _table(rows: list[tuple[str, dict]], first: str) -> str:
    head = "".join(f"<th>{_e(t)}</th>" for _, t in RATE_COLUMNS)
    out = [f"<table><tr><th class=k>{_e(first)}</th><th>n</th><th>answerable / "
           f"unanswerable</th>{head}<th>flagged steps</th><th>errors</th></tr>"]
    for name, m in rows:
        cells = "".join(_rate_cell(m, r) for r, _ in RATE_COLUMNS)
        st = m["steps"]
        flagged = "—" if st["flagged_rate"] is None else \
            f"{_pct(st['flagged_rate'])}<br><span class=ci>{st['flagged']}/{st['audited']}</span>"
        out.append(f"<tr><td class=k>{_e(name)}</td><td>{m['n']}</td>"
                   f"<td>{m['n_answerable']} / {m['n_unanswerable']}</td>{cells}"
                   f"<td>{flagged}</td><td>{m['errors']}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _verdict_table(rows: list[tuple[str, dict]]) -> str:
    head = "".join(f"<th>{_e(v)}</th>" for v in VERDICTS)
    out = [f"<table><tr><th class=k>model</th>{head}<th>claims: supported / contradicted / "
           f"unsupported</th><th>unrecognised lines</th></tr>"]
    for name, m in rows:
        c = m["steps"]["claims"]
        cells = "".join(f"<td>{m['verdicts'][v]}</td>" for v in VERDICTS)
        out.append(f"<tr><td class=k>{_e(name)}</td>{cells}<td>{c['supported']} / "
                   f"{c['contradicted']} / {c['unsupported']}</td>"
                   f"<td>{m['steps']['unrecognised_lines']}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _example(item: dict, response: str) -> str:
    first = item.get("first_unsupported_line")
    by_line: dict[int, list[dict]] = {}
    for s in item.get("steps") or []:
        by_line.setdefault(s["line"], []).append(s)
    lines = response.split("\n")
    shown = min(len(lines), EXAMPLE_LINES)
    if first is not None and first >= shown:  # keep the flagged line in view
        shown = min(len(lines), first + 5)
    body = []
    for i, text in enumerate(lines[:shown]):
        steps = by_line.get(i, [])
        bad = [s for s in steps if s["status"] != "supported"]
        cls = "first" if i == first else ("bad" if bad else ("ok" if steps else ""))
        tags = "".join(f"<span class=tag style='background:"
                       f"{'#c62828' if s['status'] == 'contradicted' else '#ef6c00'}'>"
                       f"{_e(s['status'])}: {_e(s['claim'])}</span>" for s in bad)
        cut = text if len(text) <= EXAMPLE_LINE_CHARS else text[:EXAMPLE_LINE_CHARS] + " …"
        body.append(f"<span class='{cls}'><span class=ln>{i}</span>{_e(cut)}</span>{tags}")
    if shown < len(lines):
        body.append(f"<span class=muted>… {len(lines) - shown} more lines</span>")
    verdict = item["verdict"]
    meta = (f"<span class=v style='background:{COLORS.get(verdict, '#555')}'>{_e(verdict)}"
            f"</span> id <b>{_e(item.get('id'))}</b> · model <b>{_e(item.get('model'))}</b> · "
            f"{_e(item.get('domain'))}, depth {_e(item.get('depth'))} · expected "
            f"<b>{_e(item.get('expected'))}</b>, answered <b>{_e(item.get('answer'))}</b> · "
            f"first unsupported line: <b>{_e(first)}</b>")
    return f"<div class=ex><div class=meta>{meta}</div><pre>{'<br>'.join(body)}</pre></div>"


def _img(pngs: dict[str, bytes], name: str, title: str) -> str:
    b64 = base64.b64encode(pngs[name]).decode("ascii")
    return (f"<figure><figcaption>{_e(title)}</figcaption><img alt='{_e(title)}' "
            f"src='data:image/png;base64,{b64}'></figure>")


def _figures(pngs: dict[str, bytes]) -> str:
    if not pngs:
        return ("<p class=muted>No plots: matplotlib is not installed (it comes with the "
                "'train' extra).</p>")
    return ("<h2 id=plots>Plots</h2>"
            + _img(pngs, "accuracy_by_depth.png", "Accuracy vs depth, per model")
            + "<div class=row>" + _img(pngs, "verdict_mix.png", "Verdict mix per model")
            + _img(pngs, "rates.png", "Key rates per model") + "</div>")


def render_html(summary, examples: Examples, pngs: dict[str, bytes], source: str) -> str:
    data = summary.to_dict()
    overall = data["overall"]
    models = list(data["by"]["model"].items())
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>Audit: {_e(source)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Honest-deduction audit</h1><div class=muted>{_e(source)} · "
             f"{data['lines']} lines · {overall['n']} graded · {overall['errors']} errors · "
             f"intervals: {_e(data['interval'])}</div>",
             "<nav><a href='#summary'>summary</a><a href='#plots'>plots</a>"
             "<a href='#examples'>failure examples</a><a href='#breakdowns'>breakdowns</a></nav>",
             "<h2 id=summary>Summary</h2>",
             _table([("overall", overall)] + models, "model"),
             "<p class=muted>Hallucination = unwarranted answers / unanswerable items; "
             "abstention = answers 'Unknown' / all items; flagged steps = items with a claim "
             "the premises do not support / step-audited items.</p>",
             _verdict_table([("overall", overall)] + models)]
    parts.append(_figures(pngs))
    parts.append("<h2 id=examples>Examples of each failure kind</h2><p class=muted>Line "
                 "numbers are 0-based; the first line with a claim the premises do not support "
                 "is red, later ones orange, lines whose claims are all supported green.</p>")
    for kind in FAILURE_KINDS:
        picked = examples.pick(kind)
        parts.append(f"<h3>{_e(KIND_TITLES[kind])}</h3>")
        if not picked:
            parts.append("<p class=muted>none</p>")
        parts += [_example(item, resp) for item, resp in picked]
    parts.append("<h2 id=breakdowns>Breakdowns</h2>")
    for dim, groups in data["by"].items():
        if dim == "model":
            continue
        parts.append(f"<h3>by {_e(dim)}</h3>")
        parts.append(_table(list(groups.items()), dim))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(out_dir: Path, summary, examples: Examples, source: str) -> list[str]:
    """Write the PNGs and ``report.html`` into ``out_dir``; returns the files written."""
    pngs = _plots(summary, out_dir)
    (out_dir / "report.html").write_text(render_html(summary, examples, pngs, source),
                                         encoding="utf-8")
    return ["report.html", *pngs]
