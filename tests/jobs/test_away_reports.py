"""Away days in the reports: the manager's month-end overview says who is away and until
when. The team is tests/jobs/test_job_reports.py's September world."""

from __future__ import annotations

from datetime import date

from store import away
from tests.conftest import WORKSPACE
from tests.jobs.test_job_reports import posts, run, september, world
from tests.jobs.test_jobs import SHANGHAI, World, local

__all__ = ["september", "world"]  # the fixtures


def leave(world: World, user: str, first: date, last: date) -> None:
    with world.deps.sessions() as s:
        away.add(s, workspace_id=WORKSPACE, user_id=user, first=first, last=last, reason="",
                 set_by="U0MEI", now=world.clock.now())


def test_the_month_end_overview_says_who_is_away_until_when(september: World) -> None:
    world = september
    leave(world, "U0BO", date(2026, 10, 8), date(2026, 10, 9))
    leave(world, "U0BO", date(2026, 10, 10), date(2026, 10, 12))  # one leave, two spells
    leave(world, "U0ALICE", date(2026, 9, 21), date(2026, 9, 25))  # over: not said
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00")).failed == 0
    [overview] = posts(world, "DU0MEI")
    assert "🌴 请假中：<@U0BO>（至 10月12日 周一）" in overview["blocks"]
    assert "<@U0ALICE>（至" not in overview["blocks"]


def test_no_away_line_when_nobody_is_away(september: World) -> None:
    assert run(september, "month-end", local(SHANGHAI, "2026-10-08 09:00")).failed == 0
    [overview] = posts(september, "DU0MEI")
    assert "🌴" not in overview["blocks"]
