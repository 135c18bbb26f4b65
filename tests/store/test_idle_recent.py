"""A report's lead touches (store/idle.py `lead_touches(after=...)`) read a lead's logs older
than RECENT_DAYS before the period only when it was not touched since: the charged lapses stay
those of every touch walked with the calendar (tests/store/test_idle_gaps.py `compare`),
whether few leads need their older logs (a long recent stretch) or most do (a short one)."""

from __future__ import annotations

import random

import pytest

from store import idle
from tests.store.test_idle_gaps import compare, worlds


@pytest.mark.parametrize("days", [0, 3, 45])
def test_lapses_with_older_touches_read_only_for_leads_not_touched_lately(
        tmp_path, monkeypatch, days: int) -> None:  # noqa: ANN001
    monkeypatch.setattr(idle, "RECENT_DAYS", days)
    session, teams = worlds(f"sqlite:///{tmp_path / 'w.db'}", 4)
    assert compare(session, teams, random.Random(4 + days)) > 0  # the test can fail
    session.close()
