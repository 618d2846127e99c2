"""PNG plots for ``iacfilter eval --plot``: precision-recall curve and the threshold sweep."""

from __future__ import annotations

from pathlib import Path


def plot(out_dir: Path, labels, scores, sweep: list[dict], threshold: float, title: str) -> list[Path]:
    from iacfilter.errors import needs_extra

    with needs_extra("train"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

    from .metrics import metrics, pr_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    curve = pr_curve(labels, scores)
    here = metrics(labels, scores, threshold)
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=110)
    ax.plot([r for _, _, r in curve], [p for _, p, _ in curve], drawstyle="steps-post", label="model")
    ax.scatter([here["recall"]], [here["precision"]], color="crimson", zorder=3, label=f"threshold {threshold:.2f}")
    base = sum(labels) / len(labels) if labels else 0
    ax.axhline(base, color="grey", linestyle=":", label=f"scanner alone (precision {base:.2f})")
    ax.set(xlabel="recall (real problems kept)", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02),
           title=f"Precision-recall: {title}")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    pr_path = out_dir / "pr_curve.png"
    fig.savefig(pr_path)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=110)
    ts = [row["threshold"] for row in sweep]
    for key, style in (("f1", "-"), ("precision", "--"), ("recall", "-."), ("fp_removed", ":")):
        ax.plot(ts, [row[key] for row in sweep], style, label=key.replace("_", " "))
    ax.axvline(threshold, color="crimson", linewidth=1, label=f"frozen {threshold:.2f}")
    ax.set(xlabel="threshold", ylabel="score on this dataset", ylim=(0, 1.02), title=f"Threshold sweep: {title}")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    sweep_path = out_dir / "threshold_sweep.png"
    fig.savefig(sweep_path)
    plt.close(fig)
    return [pr_path, sweep_path]
