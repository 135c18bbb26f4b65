"""Charts as PNG, where a trend reads better as a picture than as numbers.

matplotlib (and numpy under it, ~40 MiB) is imported when the first chart is drawn, not when
the bot starts: most processes never draw one.

Words stay out of the image (matplotlib's bundled font has no Chinese glyphs): the axes carry
period labels and scores, and the Slack message around the image names the lines.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

COLORS = ("#1d3557", "#e63946", "#a8dadc")
# Default grade bands (S >= 95, A >= 85, B >= 70, C >= 60, D below), lightly shaded.
BANDS = (("S", 95, 120, "#d8f3dc"), ("A", 85, 95, "#e9f5db"), ("B", 70, 85, "#f1faee"),
         ("C", 60, 70, "#fff3e0"), ("D", 0, 60, "#fde2e4"))


def score_trend_png(labels: Sequence[str], series: Sequence[Sequence[float | None]]) -> bytes:
    """Lines of scores (0-120) over periods: the rep's total first, then comparisons (team
    average, ...); grade bands shaded behind them. Missing values leave gaps."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=110)
    try:
        for grade, low, high, color in BANDS:
            ax.axhspan(low, high, color=color, lw=0, zorder=0)
            ax.text(1.01, (low + high) / 2, grade, transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#555555")
        x = list(range(len(labels)))
        for i, values in enumerate(series):
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(x, ys, marker="o", color=COLORS[i % len(COLORS)], lw=2.2 if i == 0 else 1.4,
                    ls="-" if i == 0 else "--", zorder=3)
        ax.set_xticks(x, list(labels))
        ax.set_ylim(0, 120)
        ax.set_yticks([0, 60, 70, 85, 95, 120])
        ax.grid(axis="y", color="#dddddd", lw=0.6, zorder=1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, loaded on first use
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory
    from matplotlib import pyplot

    return pyplot
