"""The `year-end` job (SPEC §3, seed 003 §二(二)1 年度考核 and §二(三)): after the last
quarter, each rep's year from the quarters' FINAL grades (after the talk, the record and any
appeal), per team, in the team's zone.

Run every tick. In the new year, once a rep's Q4 review (and every other quarter review of
theirs that year) is final, at 09:00 on the next working morning:

annual-<year>   each manager of the team: the rep's annual grade with the quarters behind it
                (an appealed one says what it was before), the annual bonus signal (S: a
                month's salary more, D: no year-end bonus; as data) and the recommendations
                with their reasons: promotion candidate (annual S with strong collaboration),
                management-trainee pool (two consecutive years at A or above).
                The rep: their annual grade and the quarters (the bonus and the
                recommendations are for the manager to discuss).
summary-<year>  the admins (HR), once every rep of the team with a Q4 review has their year:
                the team's grades, signals and recommendations (`pacer export reviews
                --period <year>` has them too).

Each year is computed once and kept (store/annual.py); the messages go through the outbox
under ``year-end:<workspace>:<recipient>:<step>:<rep or team>``, once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from bot.calendar.periods import quarter_period, year_period
from bot.deps import Deps
from bot.jobs.outbox import PacedClient, RunResult, each_team
from bot.jobs.review_run import Run
from bot.render import year_end as render
from bot.scoring.annual import AnnualResult, annual_grade, year_end
from bot.scoring.recommend import GradeRecord
from bot.services.reports import rules_for, team_report
from bot.services.teams import TeamInfo
from store import annual, teams
from store import reviews as store
from store.models import Review

JOB = "year-end"
WINDOW = timedelta(days=3)  # a year's messages are still worth sending days later


def run_year_end(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    years = {(now + timedelta(hours=h)).year - 1 for h in (-14, 14)}  # in every team's zone
    with deps.sessions() as session:  # one read: the teams with a quarter of those years
        reviewed = store.teams_with_periods(session, periods=[
            f"{year}-Q{q}" for year in years for q in range(1, 5)])

    def visit(client: PacedClient, info: TeamInfo) -> RunResult:
        run = Run(deps, client, info, now, job=JOB)
        year = now.astimezone(run.tz).year - 1
        labels = [f"{year}-Q{q}" for q in range(1, 5)]
        if info.id not in reviewed:
            return run.result
        with deps.sessions() as session:
            found = store.of_periods(session, team_id=info.id, periods=labels)
        by_rep: dict[str, list[Review]] = defaultdict(list)
        for review in found:
            by_rep[review.user_id].append(review)
        ready: dict[str, datetime] = {}
        for rep, quarters in sorted(by_rep.items()):
            if rep not in info.reps or labels[3] not in {q.period for q in quarters}:
                continue  # left the team, or no Q4 review: their year is not whole
            if any(q.status != store.FINAL for q in quarters):
                continue
            at = run.settled(max(store.utc(q.final_at) for q in quarters))
            if now < at or now - at > WINDOW:
                continue
            ready[rep] = at
            _rep_year(run, rep, year, quarters, at)
        waiting = [r for r, q in by_rep.items()
                   if r in info.reps and labels[3] in {x.period for x in q} and r not in ready]
        if ready and not waiting:
            run.send(f"summary-{year}", f"team{info.id}", run.admins,
                     due_at=max(ready.values()), window=WINDOW, answered=False,
                     message=lambda user: _summary(run, user, year))
        return run.result

    return each_team(deps, team, JOB, visit)


def _rep_year(run: Run, rep: str, year: int, quarters: list[Review], at: datetime) -> None:
    info = run.info
    with run.deps.sessions() as session:
        row = annual.of(session, team_id=info.id, user_id=rep, year=year)
    if row is None:  # computed once; a later run (or another process) reads the row
        grade, _ = annual_grade([q.final_grade for q in quarters])
        collaboration = _collaboration(run, rep, year) if grade == "S" else None
        with run.deps.sessions() as session:
            result = _result(session, info.id, rep, year, quarters, collaboration)
            annual.save(session, workspace_id=info.workspace_id, team_id=info.id,
                        user_id=rep, year=year, grade=result.grade,
                        quarters=" ".join(f"{q.period.label}:{q.grade}"
                                          for q in result.quarters),
                        bonus_signal=result.bonus_signal,
                        recommendations=" ".join(r.kind for r in result.recommendations),
                        collaboration=collaboration, now=run.now)
        run.result.lines.append(f"{rep}'s {year}: {result.grade}")
    run.send(f"annual-{year}", rep, run.managers, due_at=at, window=WINDOW, answered=False,
             message=lambda user: _message(run, user, rep, year, quarters, manager=True))
    run.send(f"annual-{year}", rep, [rep], due_at=at, window=WINDOW, answered=False,
             message=lambda user: _message(run, user, rep, year, quarters, manager=False))


def _collaboration(run: Run, rep: str, year: int) -> float | None:
    """The year's collaboration score (anonymous peer ratings), if the card shows one."""
    with run.deps.sessions() as session:
        row = teams.team_by_id(session, team_id=run.info.id)
        report = team_report(session, team=row, period=year_period(date(year, 1, 1)),
                             now=run.now, user_ids=[rep])
    card = report.reps[rep].card if rep in report.reps else None
    part = card.part("collaboration") if card else None
    return part.score if part is not None and part.has_data else None


def _result(session, team_id: int, rep: str, year: int, quarters: list[Review],  # noqa: ANN001
            collaboration: float | None) -> AnnualResult:
    records = [GradeRecord(period=quarter_period(q.period_end), grade=q.final_grade)
               for q in quarters]
    return year_end(year_period(date(year, 1, 1)), records, collaboration=collaboration,
                    previous=_previous(session, team_id, rep, year - 1),
                    rules=rules_for(session, team_id))


def _previous(session, team_id: int, rep: str, year: int) -> GradeRecord | None:  # noqa: ANN001
    """Last year's annual grade: as the year end recorded it, else from that year's final
    quarter reviews (a team that started its reviews mid-year)."""
    period = year_period(date(year, 1, 1))
    row = annual.of(session, team_id=team_id, user_id=rep, year=year)
    if row is not None:
        return GradeRecord(period=period, grade=row.grade)
    finals = store.final_grades(session, team_id=team_id, user_id=rep,
                                periods=[f"{year}-Q{q}" for q in range(1, 5)])
    if f"{year}-Q4" not in finals:
        return None
    return GradeRecord(period=period,
                       grade=annual_grade([r.final_grade for r in finals.values()])[0])


def _message(run: Run, user: str, rep: str, year: int, quarters: list[Review], *,
             manager: bool) -> dict:
    lang = run.lang(user)
    appealed = {q.period: q.grade for q in quarters
                if q.decision == "changed" and q.grade and q.grade != q.final_grade}
    with run.deps.sessions() as session:
        row = annual.of(session, team_id=run.info.id, user_id=rep, year=year)
        result = _result(session, run.info.id, rep, year, quarters, row.collaboration)
        rules = rules_for(session, run.info.id)
    if manager:
        return render.manager_blocks(lang, rep=rep, result=result, appealed=appealed,
                                     rules=rules)
    return render.rep_blocks(lang, rep=rep, result=result, appealed=appealed)


def _summary(run: Run, user: str, year: int) -> dict:
    with run.deps.sessions() as session:
        rows = annual.of_year(session, team_id=run.info.id, year=year)
    return render.summary_blocks(run.lang(user), team=run.info.name, year=year, rows=rows)


def next_year_end(info: TeamInfo, tz, now: datetime) -> datetime | None:  # noqa: ANN001
    """For `pacer jobs list`: the year end looks every minute from the new year's first
    working day on, once the Q4 reviews are final."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
