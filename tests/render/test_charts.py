"""Charts render to real PNGs, gaps and all."""

from __future__ import annotations

from bot.render.charts import score_trend_png


def test_score_trend_is_a_png() -> None:
    png = score_trend_png(["2026-09", "2026-10", "2026-11"], [[80.0, None, 97.5], [70, 75, 82]])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_empty_history_still_renders() -> None:
    assert score_trend_png([], []).startswith(b"\x89PNG")
