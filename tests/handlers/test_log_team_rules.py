"""/log's confirmation counts with the rep's team's own rules and calendar, as the week's
card does (issue 12: it scored with the default rules)."""

from __future__ import annotations

from datetime import timedelta

from bot.calendar.periods import week_period
from bot.i18n import t
from bot.services.reports import team_report
from store import teams
from tests.conftest import WORKSPACE, Bot

# Two visits a day earn 25 (not three for 20), and ten touches a week are expected (not 8).
OVERRIDES = {"points": {"visit_day_threshold": 2, "visit_day_points": 25},
             "kbi": {"weekly_touches": 10, "touch_kinds": ["call", "visit", "email", "demo"]}}


def _next_week(bot: Bot) -> None:
    """A week after the team was made (Wed 18 Nov), so the whole week is the reps': Tue 24
    Nov evening for Alice in New York, Wed 25 Nov 10:00 for Bo in Shanghai."""
    bot.deps.clock.advance(timedelta(days=7))


def _rules(bot: Bot, overrides: dict) -> None:
    _next_week(bot)
    with bot.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        teams.set_rule_overrides(s, team_id=team.id, overrides=overrides)


def test_the_confirmation_scores_with_the_teams_rules(bot: Bot) -> None:
    _rules(bot, OVERRIDES)
    first = bot.command("visit Acme")
    assert "Points (Today): 0" in first.text
    second = bot.command("visit Globex")
    assert "Points (Today): 25" in second.text  # the team's two visits, not the default three
    third = bot.command("demo Globex")  # a touch for this team
    assert "Customer touches (This week): 3/10" in third.text


def test_a_team_on_the_defaults_is_unchanged(bot: Bot) -> None:
    _next_week(bot)
    bot.command("visit Acme")
    second = bot.command("visit Globex")
    assert "Points (Today): 0" in second.text
    third = bot.command("demo Globex")
    assert "Customer touches (This week): 2/8" in third.text


def test_the_confirmation_and_the_weeks_card_agree(bot: Bot) -> None:
    """Bo (Shanghai, the team's zone) logs on Wednesday: the touches KBI the confirmation
    shows is the one the week's card computes at that moment, target and status alike."""
    _rules(bot, OVERRIDES)
    bot.command("拜访 阿里巴巴", user="U0BO")
    reply = bot.command("演示 阿里巴巴", user="U0BO")
    now = bot.deps.clock.now()
    with bot.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        report = team_report(s, team=team, now=now,
                             period=week_period(now.astimezone(team_tz(team)).date()))
    touches = report.reps["U0BO"].kbis[0]
    assert (touches.kbi, touches.done, touches.target) == ("touches", 2, 10)
    status = t("zh", f"status.{touches.status}")
    assert f"客户触达（本周）：2/10，{status}" in reply.text


def team_tz(team):  # noqa: ANN001, ANN201
    from zoneinfo import ZoneInfo

    return ZoneInfo(team.tz)



def test_a_week_with_no_working_days_of_the_reps_shows_no_touches_target(bot: Bot) -> None:
    """A log back-dated to before the rep joined (the team was made Wed 18 Nov): that week
    had no working day of theirs, so there is no target to be ahead of or behind."""
    reply = bot.command("visit Acme Nov 10")
    assert "Customer touches (Week of Mon 9 Nov): 1\"" in reply.text  # no "/8, ahead"
    reply = bot.command("拜访 阿里巴巴 11月10日", user="U0BO")
    assert "客户触达（11月9日 周一起的一周）：1\"" in reply.text, reply.text


def _chinese_calendar_since_january(bot: Bot) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from store.models import Member

    with bot.deps.sessions() as s:
        teams.set_holiday_country(s, workspace_id=WORKSPACE, name="East", country="CN")
        for member in s.exec(select(Member)).all():
            member.joined_at = datetime(2026, 1, 1, tzinfo=UTC)
            s.add(member)


def test_a_make_up_saturday_is_a_working_day_of_the_week(bot: Bot) -> None:
    """Sat 14 Feb 2026 is one of China's make-up working days (调休): the week of 9 Feb has
    six working days, so ten touches are expected (8 × 6/5), on the card as in /log."""
    from datetime import UTC, datetime

    _chinese_calendar_since_january(bot)
    bot.deps.clock.set(datetime(2026, 2, 14, 2, 0, tzinfo=UTC))  # Sat 10:00 in Shanghai
    reply = bot.command("拜访 阿里巴巴", user="U0BO")
    assert "客户触达（本周）：1/10，落后" in reply.text, reply.text
    with bot.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        report = team_report(s, team=team, now=bot.deps.clock.now(),
                             period=week_period(datetime(2026, 2, 14).date()))
    assert report.working_days == 6 and report.reps["U0BO"].kbis[0].target == 10
    # The Spring Festival week (15-23 Feb) has no working day: no target to be behind.
    bot.deps.clock.set(datetime(2026, 2, 17, 2, 0, tzinfo=UTC))
    reply = bot.command("拜访 阿里巴巴", user="U0BO")
    assert "客户触达（本周）：1\"" in reply.text, reply.text
