"""The timeline page's charts as one PNG (`timeline.png` beside timeline.html), via matplotlib.

The same series as the HTML page (`timeline_report.summary_series`), stacked one above
the other on a shared time axis. matplotlib is a dev dependency: `write_png` returns None
without writing when it is not installed.
"""

from __future__ import annotations

from pathlib import Path

from loadtest.timeline_report import summary_series


def write_png(summary: dict, path: Path) -> Path | None:
    """Draw every series into `path` (PNG, 100 dpi); None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    series = summary_series(summary)
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.2 * len(series)), sharex=True,
                             squeeze=False)
    for ax, s in zip(axes[:, 0], series, strict=True):
        xs = [t for t, v in s.points]
        ys = [float("nan") if v is None else v for _, v in s.points]
        ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.5, color="#1f6feb")
        ax.set_title(s.title, fontsize=10, loc="left")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("seconds since the start of the run")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
