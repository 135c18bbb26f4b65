"""UTC offsets of a time zone over a stretch of years: pure calendar maths shared by the
idle-lead clock's bound (bot/scoring/gaps.py) and the SQL that must place instants on local
days without time zone support (SQLite has none: store/idle.py, store/idle_gaps.py take the
midpoint of the zone's offsets and allow for half their range). Standard library only, so
store/ may import it (tests/test_architecture.py: STORE_MAY_IMPORT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

STEP = timedelta(hours=6)  # tz database offset changes are months apart, never within 6 h


@lru_cache(maxsize=4096)
def offset_bounds(tz: tzinfo, year: int) -> tuple[float, float, float]:
    """(lowest, highest UTC offset, total change of the offset) of `tz` during `year` and the
    day either side, in seconds, sampled every 6 hours."""
    at = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    offsets = []
    while at <= end:
        offsets.append(at.astimezone(tz).utcoffset().total_seconds())  # type: ignore[union-attr]
        at += STEP
    variation = sum(abs(b - a) for a, b in zip(offsets, offsets[1:], strict=False))
    return min(offsets), max(offsets), variation


def span_bounds(tz: tzinfo, first: date, last: date) -> tuple[float, float, float]:
    """`offset_bounds` over every year from `first` to `last` (the variation summed)."""
    parts = [offset_bounds(tz, year) for year in range(first.year, last.year + 1)]
    return (min(p[0] for p in parts), max(p[1] for p in parts), sum(p[2] for p in parts))
