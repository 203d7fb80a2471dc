"""PNG figures: training curves of several runs side by side, and evaluation bars.

matplotlib runs headless (Agg); nothing here needs a display.
"""

from __future__ import annotations

#: (log key, panel title); keys are written by clients.trl.VerifierReward
CURVES = (("honest/reward_mean", "mean reward (policy samples)"),
          ("honest/answerable_acc", "answerable accuracy"),
          ("honest/unanswerable_acc", "unanswerable accuracy"),
          ("honest/abstention_rate", "abstention rate (said Unknown)"),
          ("honest/zero_std_groups", "groups with zero reward variance"))


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    pts = [(h["step"], h[key]) for h in history if key in h and "step" in h]
    return [p[0] for p in pts], [p[1] for p in pts]


def _ema(values: list[float], alpha: float = 0.25) -> list[float]:
    out, acc = [], None
    for v in values:
        acc = v if acc is None else alpha * v + (1 - alpha) * acc
        out.append(acc)
    return out


def plot_training_curves(runs: dict[str, list[dict]], path: str, title: str = "") -> str:
    """One panel per metric in :data:`CURVES`, one line per run (raw: faint; EMA: solid)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CURVES), figsize=(3.8 * len(CURVES), 3.4), squeeze=False)
    colors = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    for ax, (key, label) in zip(axes[0], CURVES):
        for (name, history), color in zip(runs.items(), colors):
            steps, values = _series(history, key)
            if not steps:
                continue
            ax.plot(steps, values, color=color, alpha=0.25, linewidth=1)
            ax.plot(steps, _ema(values), color=color, linewidth=2, label=name)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    axes[0][0].legend(loc="best", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_eval(reports, path: str) -> str:
    """Left: grouped bars (answerable / unanswerable / overall accuracy and abstention per
    model). Right: accuracy by reasoning depth (answerable solid, unanswerable dashed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = (("answerable", "answerable acc"), ("unanswerable", "unanswerable acc"),
            ("overall", "overall acc"), ("abstention", "abstention"))
    width = 0.8 / max(1, len(reports))
    fig, (ax, ax_d) = plt.subplots(1, 2, figsize=(2.0 + 1.6 * len(cats) + 4.2, 3.6),
                                   gridspec_kw={"width_ratios": [1.6, 1]})
    for k, rep in enumerate(reports):
        xs = [i + k * width for i in range(len(cats))]
        vals = [getattr(rep, attr) or 0.0 for attr, _ in cats]
        bars = ax.bar(xs, vals, width, label=rep.name, color=f"C{k}")
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", fontsize=7)
        depths = sorted(rep.by_depth, key=int)
        for kind, style in (("answerable", "-"), ("unanswerable", "--")):
            pts = [(int(d), rep.by_depth[d][kind]) for d in depths
                   if rep.by_depth[d][kind] is not None]
            if pts:
                ax_d.plot(*zip(*pts), style, marker="o", color=f"C{k}",
                          label=f"{rep.name} ({kind})")
    ax.set_xticks([i + width * (len(reports) - 1) / 2 for i in range(len(cats))])
    ax.set_xticklabels([label for _, label in cats])
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax_d.set_title("accuracy by depth (— answerable, -- unanswerable)", fontsize=9)
    ax_d.set_xlabel("reasoning depth")
    ax_d.set_ylim(-0.03, 1.1)
    all_depths = sorted({int(d) for rep in reports for d in rep.by_depth})
    if len(all_depths) == 1:  # one depth (the demo): a tick at it, not 0.96 ... 1.04
        ax_d.set_xticks(all_depths)
        ax_d.set_xlim(all_depths[0] - 1, all_depths[0] + 1)
    else:
        ax_d.xaxis.get_major_locator().set_params(integer=True)
    ax_d.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
