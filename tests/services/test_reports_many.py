"""The month-end reports read many teams at once (bot/services/reports.py `team_reports`:
store/scoring.py `rep_facts_many`, one query per time zone for all its teams); every card,
point and fact must be what each team's own report (`team_report`, one team's queries) gives.
Worlds from benchmarks/seed.py: teams in three time zones, two of them sharing one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from bot.calendar.periods import PERIOD_OF
from bot.services.reports import team_report, team_reports
from store import away, db
from store import scoring as facts_store
from store import targets as targets_store
from store.models import Team
from tests.conftest import seeded_engine

END = date(2026, 11, 30)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_many_teams_at_once_give_each_teams_own_report(request, tmp_path,  # noqa: ANN001
                                                       dialect: str) -> None:
    engine = seeded_engine(request, tmp_path, dialect, reps=70, days=150, end=END, rng_seed=11)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())
        assert len({t.tz for t in teams}) < len(teams)  # some queries read several teams
        _targets_and_leave(session, teams)
        cases = [("month", date(2026, 11, 1), datetime(2026, 12, 1, 9, tzinfo=UTC)),
                 ("month", date(2026, 10, 1), datetime(2026, 10, 17, 3, tzinfo=UTC)),
                 ("quarter", date(2026, 9, 1), datetime(2026, 12, 1, 9, tzinfo=UTC)),
                 ("week", date(2026, 11, 18), datetime(2026, 11, 19, 22, tzinfo=UTC))]
        scored = targeted = 0
        for kind, day, now in cases:
            period = PERIOD_OF[kind](day)
            many = team_reports(session, teams=teams, period=period, now=now)
            facts = facts_store.rep_facts_many(session, team_ids=[t.id for t in teams],
                                               period=period)
            for team in teams:
                alone = team_report(session, team=team, period=period, now=now)
                assert many[team.id] == alone
                assert facts[team.id] == facts_store.rep_facts(session, team_id=team.id,
                                                               period=period)
                scored += sum(1 for r in alone.reps.values()
                              if r.points.total and r.facts.sales_new and r.facts.due_total)
                targeted += sum(1 for r in alone.reps.values() for t in r.targets.values()
                                if t is not None and t.source != "forecast")
        assert scored > 0  # the world has points, sales and receivables to get wrong
        assert targeted > 0  # and targets set by hand
    engine.dispose()


def test_rep_facts_many_of_no_team_and_an_unknown_team(tmp_path) -> None:  # noqa: ANN001
    engine = db.make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    db.upgrade(engine)
    period = PERIOD_OF["month"](END)
    with Session(engine) as session:
        assert facts_store.rep_facts_many(session, team_ids=[], period=period) == {}
        try:
            facts_store.rep_facts_many(session, team_ids=[42], period=period)
        except LookupError:
            pass
        else:
            raise AssertionError("an unknown team must not read as a team with no reps")
    engine.dispose()


def _targets_and_leave(session: Session, teams: list[Team]) -> None:
    """Targets set at every level and a rep's leave, in some teams (team_reports reads them
    for all teams at once: none may land on another team)."""
    from store.models import Member, TeamMember  # noqa: PLC0415 - only this helper

    def rep(team: Team) -> Member:
        return session.exec(select(Member).join(TeamMember, TeamMember.member_id == Member.id)
                            .where(TeamMember.team_id == team.id,
                                   TeamMember.is_manager.is_(False))
                            .order_by(Member.user_id)).first()

    now = datetime(2026, 9, 20, tzinfo=UTC)
    first, second, third = teams[0], teams[1], teams[-1]
    for team, user, metric, period, value in [
            (first, rep(first).user_id, "sales", "2026-11", "90000"),
            (first, targets_store.TEAM_DEFAULT, "touches", "2026-Q3", "300"),
            (second, targets_store.TEAM_DEFAULT, "new_customers", targets_store.EVERY_MONTH, "4"),
            (second, targets_store.TEAM, "sales", "2026-Q4", "600000"),
            (third, rep(third).user_id, "collection_rate", "2026-10", "0.9")]:
        targets_store.set_target(session, team_id=team.id, user_id=user, metric=metric,
                                 period=period, value=Decimal(value), reason="test",
                                 by_user_id="U0BOSS", now=now)
    for team, first_day, last_day in [(first, date(2026, 11, 9), date(2026, 11, 13)),
                                      (third, date(2026, 8, 3), date(2026, 8, 21))]:
        away.add(session, workspace_id=team.workspace_id, user_id=rep(team).user_id,
                 first=first_day, last=last_day, reason="leave", set_by="U0BOSS", now=now)
    session.commit()
