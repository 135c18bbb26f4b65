"""Away days in the reports: the manager's month-end overview says who is away and until
when. The team is tests/jobs/test_job_reports.py's September world."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.calendar.periods import month_period, quarter_period, week_period
from bot.calendar.workdays import working_days
from bot.scoring.targets import sensible
from bot.services.reports import team_report
from store import away, targets, teams
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


def test_targets_are_pro_rated_to_the_working_days_a_rep_is_not_away(
        september: World) -> None:
    """Bo is away Mon 14 to Fri 18 September: his September target is the team's × the
    working days he is there / the month's; the quarter's is the sum of his months; Alice's
    stay as set."""
    world = september
    leave(world, "U0BO", date(2026, 9, 14), date(2026, 9, 18))
    now = local(SHANGHAI, "2026-10-08 10:00")
    with world.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        targets.set_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT, metric="sales",
                           period="2026-Q3", value=Decimal(300000), reason="",
                           by_user_id="U0MEI", now=now)
        month = team_report(s, team=team, period=month_period(date(2026, 9, 1)), now=now)
        quarter = team_report(s, team=team, period=quarter_period(date(2026, 9, 1)), now=now)
        week = team_report(s, team=team, period=week_period(date(2026, 9, 16)), now=now)
    days = working_days(date(2026, 9, 1), date(2026, 9, 30), country="CN")
    there = [d for d in days if not date(2026, 9, 14) <= d <= date(2026, 9, 18)]
    assert len(days) - len(there) == 5
    half = Decimal(150000)  # Q3 over the two months since they joined on 1 Aug
    share = sensible("sales", half * len(there) / len(days))
    assert month.reps["U0BO"].targets["sales"].value == share < half
    assert month.reps["U0ALICE"].targets["sales"].value == half
    assert quarter.reps["U0BO"].targets["sales"].value == half + share
    assert quarter.reps["U0ALICE"].targets["sales"].value == Decimal(300000)
    # The week: its working days there (a make-up Sunday, if CN has one that week) over
    # the month's.
    in_week = [d for d in there if date(2026, 9, 14) <= d <= date(2026, 9, 20)]
    bo_week = week.reps["U0BO"].targets.get("sales")
    assert (bo_week.value if bo_week else None) == sensible("sales",
                                                            half * len(in_week) / len(days))
    assert week.reps["U0ALICE"].targets["sales"].value == sensible(
        "sales", half * len([d for d in days if date(2026, 9, 14) <= d <= date(2026, 9, 20)])
        / len(days))


def test_a_rep_away_all_week_is_not_nudged_nor_counted_as_logging_nothing(
        world: World) -> None:
    from tests.jobs.test_job_reports import seed_week

    seed_week(world)  # Bo logs; Alice logs nothing, but was away Monday to Friday
    leave(world, "U0ALICE", date(2026, 11, 16), date(2026, 11, 20))
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    assert (result.sent, result.failed) == (3, 0), result.lines
    [alice] = posts(world, "DU0ALICE")
    assert "You were away this week" in alice["blocks"]
    assert "Nothing logged this week" not in alice["blocks"]
    [summary] = posts(world, "C0SALES")  # the manager's language: Chinese
    assert "本周每个人都有记录" in summary["blocks"] and "另有 1 名本周休假" in summary["blocks"]


def test_a_rep_away_part_of_the_week_who_logged_nothing_is_still_counted(
        world: World) -> None:
    from tests.jobs.test_job_reports import seed_week

    seed_week(world)
    leave(world, "U0ALICE", date(2026, 11, 16), date(2026, 11, 18))  # back on Thursday
    run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    [alice] = posts(world, "DU0ALICE")
    assert "Nothing logged this week" in alice["blocks"]
