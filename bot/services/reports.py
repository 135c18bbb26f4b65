"""A team's numbers for one period: the store's facts through the pure scoring core.

Used by /scorecard, /leaderboard, /target, the CSV export and the scheduled reports (these
for many teams at once: `team_reports`), so every view of a period shows the same numbers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import PERIOD_OF, previous, quarter_period, year_period
from bot.calendar.workdays import Span, person_working, working_days
from bot.scoring.compare import Comparison, compare
from bot.scoring.facts import FunnelLead, LeadTouches, Member, Period, Qualitative, RepFacts, Target
from bot.scoring.funnel import Funnel, funnel
from bot.scoring.kbi import KbiPace, kbi_pace
from bot.scoring.leaderboard import Honour, Leaderboard, honours, leaderboard
from bot.scoring.points import PointsBreakdown, points_breakdown
from bot.scoring.recommend import GradeRecord, Recommendation, recommend
from bot.scoring.rules import DEFAULT_RULES, Rules
from bot.scoring.scorecard import Scorecard, scorecard
from bot.scoring.targets import Attainment, attainment, history_span, target_for
from bot.services.kept_lapses import ReportLapses, report_lapses_many, team_working
from bot.services.targets import Stored, TargetResolver
from store import alerts, annual, history, idle_gaps, ratings, reviews, rosters, teams
from store import away as away_store
from store import idle as idle_store
from store import scoring as facts_store
from store.lead_life import collector_paused
from store.models import Team

MONEY = ("sales", "sales_new", "sales_repeat")
TARGET_METRICS = ("sales", "sales_new", "sales_repeat", "new_customers", "collection_rate",
                  "lead_conversion", "touches")


@dataclass(frozen=True)
class RepReport:
    user_id: str
    facts: RepFacts
    points: PointsBreakdown
    card: Scorecard
    targets: dict[str, Target | None]  # as set (or derived) for the whole period
    # Against what is due by now while the period runs (the pace); as `targets` once it ended.
    attainments: dict[str, Attainment]
    kbis: tuple[KbiPace, ...]
    qualitative: Qualitative | None
    history_months: int = 0  # the history a forecast could stand on (targets.history_span)


@dataclass(frozen=True)
class TeamReport:
    team_id: int
    team_name: str
    currency: str
    period: Period
    as_of: date  # the last day counted (today, while the period is running)
    in_progress: bool
    working_days: int  # in the period so far
    reps: dict[str, RepReport]
    funnel: Funnel
    honours: tuple[Honour, ...]
    members: dict[str, Member]

    def values(self, metric: str) -> dict[str, float | Decimal | None]:
        """One number per rep, for comparisons: total, points, sales, new, touches, or a
        scorecard part's score."""
        found: dict[str, float | Decimal | None] = {}
        for user, rep in self.reps.items():
            f = rep.facts
            found[user] = {
                "total": rep.card.total, "points": Decimal(rep.points.total),
                "sales": f.sales_new + f.sales_repeat, "new": Decimal(f.new_customers),
                "touches": Decimal(sum(f.totals.get(k, 0) for k in ("call", "visit", "email"))),
            }.get(metric, rep.card.part(metric).score if rep.card.part(metric) else None)
        return found

    def compare(self, user_id: str, metric: str, before: TeamReport | None) -> Comparison:
        earlier = before.values(metric).get(user_id) if before else None
        return compare(self.values(metric), user_id, earlier)

    def part_scores(self, part: str) -> dict[str, float | None]:
        """One scorecard part's score per rep (None where the part has no data). Not
        `values`: a part named like a metric ("sales") would get the metric's amount."""
        return {user: (p.score if (p := rep.card.part(part)) else None)
                for user, rep in self.reps.items()}

    def compare_part(self, user_id: str, part: str, before: TeamReport | None) -> Comparison:
        """A part's score against the rep's last period and the team's scores of that part."""
        earlier = before.part_scores(part).get(user_id) if before else None
        return compare(self.part_scores(part), user_id, earlier)

    def board(self, metric: str, rules: Rules) -> Leaderboard:
        return leaderboard(metric, [r.facts for r in self.reps.values()], period=self.period,
                           points={u: r.points.total for u, r in self.reps.items()},
                           rules=rules)


def rules_for(session: Session, team_id: int) -> Rules:
    """The team's rules: the defaults themselves when it overrides none (most teams; merging
    nothing into them anew took 0.4 ms a team)."""
    overrides = teams.rule_overrides(session, team_id=team_id)
    return Rules.from_mapping(overrides) if overrides else DEFAULT_RULES


def lapse_windows(team: Team, period: Period, now: datetime) -> tuple[datetime, datetime]:
    """When a lapse charged to `period` can be: from its first local midnight to its end or
    `now`, whichever is first (UTC)."""
    tz = ZoneInfo(team.tz)
    start = datetime.combine(period.start, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, min(now, end)


def team_reports(session: Session, *, teams: list[Team], period: Period, now: datetime,
                 prefilter: bool = False,
                 rules: dict[int, Rules] | None = None) -> dict[int, TeamReport]:
    """`team_report` for many teams (the scheduled reports: bot/jobs/reports.py
    `SharedReports`); `rules`, each team's when read already. With `prefilter`, one query for
    all of them first picks the leads that may have lapsed (store/idle_gaps.py) and only those
    are read; it pays where few leads lapse, and costs more than it saves where half of them
    do (benchmarks/scoring.py's seed: see its figures)."""
    with collector_paused():  # see `team_report`
        return _team_reports(session, teams=teams, period=period, now=now, prefilter=prefilter,
                             rules=rules)


def _team_reports(session: Session, *, teams: list[Team], period: Period, now: datetime,
                  prefilter: bool, rules: dict[int, Rules] | None) -> dict[int, TeamReport]:
    if rules is None:
        rules = {team.id: rules_for(session, team.id) for team in teams}
    leads: dict[int, set[int]] = {}
    if prefilter:
        leads = idle_gaps.lapse_candidates(
            session, windows={team.id: lapse_windows(team, period, now) for team in teams},
            hours=min((r.points.idle_lead_hours for r in rules.values()), default=48),
            stages=sorted({s for r in rules.values() for s in r.points.idle_lead_stages}))
    ids = [team.id for team in teams]
    facts = facts_store.rep_facts_many(session, team_ids=ids, period=period)
    # Every team's forecast history in one read, or none while their logs did not change.
    roster = history.members_many(session, team_ids=ids, history_end=_history_end(period))
    # Every team's lapses kept, the others' leads in a few reads (unless prefiltered).
    windows = {team.id: _lead_window(team, period, now) for team in teams}
    # Every team's days off in one read, for the lapses' fingerprint and the report alike.
    found_off = rosters.days_off(session, team_ids=ids)
    offs = {team_id: found_off.get(team_id, []) for team_id in ids}
    kept = None if prefilter else report_lapses_many(
        session, teams_=teams, rules=rules, windows=windows, away_days=_away_days(period),
        now=now, offs=offs)
    touches = ({} if prefilter else {t: k.leads for t, k in kept.items()} if kept
               else idle_store.lead_touches_many(session, windows=windows))
    cohorts = facts_store.funnel_many(session, team_ids=ids, period=period)
    stored = TargetResolver.read_many(session, team_ids=ids, period=period)
    # Everyone's away spells in one read per workspace, not one per team.
    people: dict[str, set[str]] = {}
    for team in teams:
        people.setdefault(team.workspace_id, set()).update(facts[team.id])
    spells = {workspace: away_store.spans(session, workspace_id=workspace,
                                          user_ids=sorted(users), start=_away_days(period)[0],
                                          end_day=period.end)
              for workspace, users in people.items()}
    return {team.id: team_report(session, team=team, period=period, now=now,
                                 rules=rules[team.id], facts=facts[team.id],
                                 roster=roster[team.id],
                                 lead_ids=leads.get(team.id, set()) if prefilter else None,
                                 leads=touches.get(team.id), cohort=cohorts[team.id],
                                 stored=stored[team.id], kept=kept[team.id] if kept else None,
                                 off=offs[team.id],
                                 gone={user: found for user, found in spells[
                                     team.workspace_id].items() if user in facts[team.id]})
            for team in teams}


def _lead_window(team: Team, period: Period, now: datetime) -> tuple[datetime, datetime,
                                                                     datetime]:
    """(since, until, after) of the leads `team_report` reads for `period` as of `now`
    (store/idle.py `lead_touches`): the lapse window, its leads read from 3 days before."""
    since, until = lapse_windows(team, period, now)
    return since - timedelta(days=3), until, since


def _away_days(period: Period) -> tuple[date, date]:
    """The days whose away spells `team_report` reads for `period`."""
    return period.start - timedelta(days=31), period.end


def team_report(session: Session, *, team: Team, period: Period, now: datetime,
                rules: Rules | None = None, user_ids: list[str] | None = None,
                lead_ids: Collection[int] | None = None,
                facts: dict[str, RepFacts] | None = None,
                roster: list[Member] | None = None,
                leads: list[LeadTouches] | None = None,
                cohort: list[FunnelLead] | None = None,
                stored: Stored | None = None, kept: ReportLapses | None = None,
                off: list[date] | None = None,
                gone: dict[str, tuple[Span, ...]] | None = None) -> TeamReport:
    """The team's numbers for `period` as of `now`. `lead_ids`: only these leads can have
    lapsed in the period (store/idle_gaps.py `lapse_candidates`); None: any lead can. `facts`:
    the team's `rep_facts` for the period when read already (for many teams at once); `roster`,
    its `members` (with their history) likewise, `leads`, its `lead_touches` (all of its
    leads: with `lead_ids` None), `cohort`, its `funnel`, and `stored`, its targets
    (bot/services/targets.py `TargetResolver.read_many`); `kept`, its lapses kept
    (bot/services/kept_lapses.py: then `leads` are its away reps' alone); `off`, its days off
    (store/teams.py `day_off_dates`); `gone`, its people's away spells in the period (those of
    `facts`' people: store/away.py `spans`).

    Python's cycle collector is held off meanwhile (store/lead_life.py `collector_paused`):
    a report builds tens of thousands of objects without cycles (rows, facts, days, lapses,
    targets), and the collector walked them again and again for nothing."""
    with collector_paused():
        return _team_report(session, team=team, period=period, now=now, rules=rules,
                            user_ids=user_ids, lead_ids=lead_ids, facts=facts, roster=roster,
                            leads=leads, cohort=cohort, stored=stored, kept=kept, off=off,
                            gone=gone)


def _team_report(session: Session, *, team: Team, period: Period, now: datetime,
                 rules: Rules | None, user_ids: list[str] | None,
                 lead_ids: Collection[int] | None, facts: dict[str, RepFacts] | None,
                 roster: list[Member] | None, leads: list[LeadTouches] | None,
                 cohort: list[FunnelLead] | None, stored: Stored | None,
                 kept: ReportLapses | None, off: list[date] | None,
                 gone: dict[str, tuple[Span, ...]] | None) -> TeamReport:
    rules = rules or rules_for(session, team.id)
    tz = ZoneInfo(team.tz)
    today = now.astimezone(tz).date()
    as_of = min(today, period.end)
    in_progress = period.start <= today <= period.end  # the last day too: not over yet
    if off is None:  # read once, for the kept lapses' fingerprint too
        off = teams.day_off_dates(session, team_id=team.id)
    all_days = working_days(period.start, period.end, country=team.holiday_country,
                            days_off=off)
    elapsed = [d for d in all_days if d <= as_of]
    if roster is None:
        roster = history.members(session, team_id=team.id, history_end=_history_end(period))
    members = {m.user_id: m for m in roster}
    if facts is None:
        facts = facts_store.rep_facts(session, team_id=team.id, period=period,
                                      user_ids=user_ids, tz=tz)
    # Each rep's away days (/pacer away) in the period: not working days for them.
    if gone is None:
        gone = away_store.spans(session, workspace_id=team.workspace_id, user_ids=list(facts),
                                start=_away_days(period)[0], end_day=period.end)
    if leads is None and lead_ids is None:
        found = report_lapses_many(session, teams_=[team], rules={team.id: rules},
                                   windows={team.id: _lead_window(team, period, now)},
                                   away_days=_away_days(period), now=now,
                                   offs={team.id: off})
        kept = found[team.id] if found else None
        leads = kept.leads if kept else None
    if kept is not None and not {user for user, spans in gone.items() if spans} <= kept.away:
        kept = leads = None  # an away spell written since the lapses were read: as before
    if leads is None:
        since, until, after = _lead_window(team, period, now)
        leads = idle_store.lead_touches(session, team_id=team.id, since=since, until=until,
                                         only=lead_ids, after=after)
    owned: dict[str, list] = {}  # points_breakdown takes the owner's leads of these
    for lead in leads:
        owned.setdefault(lead.owner, []).append(lead)
    working = team_working(team, off)  # the idle-lead clock runs on the team's working days

    qualitative = _qualitative(session, team.id, period)
    fallback = _team_average_history(members.values())
    fallback_span = history_span(fallback, rules.targets.history_months)
    resolver = TargetResolver.load(session, team=team, period=period, reps=len(members),
                                   rules=rules, off=off, stored=stored)
    reps = {}
    # First day -> (working days, those elapsed), of the reps without leave.
    on_team: dict[date, tuple[list[date], list[date]]] = {}
    for user, rep_facts in facts.items():
        member = members.get(user) or Member(user_id=user, joined_at=period.start)
        if member.joined_at > period.end and not _active(rep_facts):
            continue  # not on the team yet in this period
        own = history_span(member.history, rules.targets.history_months)
        span = own or fallback_span

        def forecast_of(metric: str, p: Period, member: Member = member,
                        own: int = own) -> Target | None:
            return _positive(target_for(metric, member=member, period=p,
                                        fallback_history=fallback.get(metric, ()),
                                        fallback_span=fallback_span, rules=rules,
                                        own_span=own))

        if resolver.forecast_only(user, period):  # the same, without asking 7 times
            as_set = {metric: forecast_of(metric, period) for metric in TARGET_METRICS}
        else:
            as_set = {metric: resolver.target(user, metric, period, forecast_of,
                                              member.joined_at) for metric in TARGET_METRICS}
        person = person_working(working, gone.get(user, ()))
        points = points_breakdown(rep_facts, owned.get(user, ()), period=period, now=now,
                                  tz=tz, rules=rules, working=person,
                                  lapsed=kept.found.get(user, ()) if kept else ())
        # Someone who joined during the period is measured from their first day, and nobody
        # on their away days: their (pro-rated) target is due over their own working days.
        spans = gone.get(user, ())
        first = max(member.joined_at, period.start)  # the days counted are in the period
        found = on_team.get(first) if not spans else None
        if found is None:
            days = [d for d in all_days if d >= first and person(d)]
            found = (days, [d for d in days if d <= as_of])
            if not spans:  # the same for everyone without leave who joined by then
                on_team[first] = found
        own_days, own_elapsed = found
        share = (Decimal(len(own_elapsed)) / Decimal(len(own_days))
                 if in_progress and own_days else 1)
        rep_targets = {metric: _to_date(t, share, metric, rules) for metric, t in as_set.items()}
        card = scorecard(rep_facts, period=period, targets=rep_targets, points=points.total,
                         working_days=len(own_elapsed), qualitative=qualitative.get(user),
                         closed=not in_progress, rules=rules)
        reps[user] = RepReport(
            user_id=user, facts=rep_facts, points=points, card=card, targets=as_set,
            attainments={m: attainment(m, _actual(rep_facts, m), t, rules)
                         for m, t in rep_targets.items()},
            kbis=kbi_pace(rep_facts, period=period, working_days=len(own_days),
                          working_days_elapsed=len(own_elapsed), rules=rules),
            qualitative=qualitative.get(user), history_months=span)
    return TeamReport(
        team_id=team.id, team_name=team.name, currency=team.currency, period=period,
        as_of=as_of, in_progress=in_progress, working_days=len(elapsed), reps=reps,
        funnel=funnel(cohort if cohort is not None
                      else facts_store.funnel(session, team_id=team.id, period=period, tz=tz),
                      rules=rules),
        honours=honours(list(facts.values()), period=period, members=members.values(),
                        scores={u: r.card.total for u, r in reps.items()},
                        satisfaction={u: (r.qualitative.satisfaction if r.qualitative else None)
                                      for u, r in reps.items()}, rules=rules),
        members=members)


def recommendations(session: Session, *, team: Team, user_id: str, period: Period,
                    now: datetime, rules: Rules) -> tuple[Recommendation, ...]:
    """SPEC §2's consequences for a review period, from the FINAL grades of this and the
    previous period (after the talk, the record and any appeal: what the rep and HR agreed,
    not what the scorecard computed). A quarter still in its review cycle has none yet; a
    year's come from the year end (annual grades from the quarters' final grades)."""
    if period.kind not in ("quarter", "year"):
        return ()
    records = []
    for p in (previous(period), period):
        if period.kind == "quarter":
            final = reviews.final_grades(session, team_id=team.id, user_id=user_id,
                                         periods=[p.label]).get(p.label)
            grade = final.final_grade if final else None
            collaboration = None
        else:
            row = annual.of(session, team_id=team.id, user_id=user_id, year=p.start.year)
            grade = row.grade if row else None
            collaboration = row.collaboration if row else None
        if grade:
            records.append(GradeRecord(period=p, grade=grade, collaboration=collaboration))
    joined_at = alerts.joined(session, team_id=team.id).get(user_id)
    joined = joined_at.astimezone(ZoneInfo(team.tz)).date() if joined_at else None
    if period.kind == "quarter":
        return recommend(records, (), joined_at=joined, rules=rules)
    return recommend((), records, joined_at=joined, rules=rules)


def _history_end(period: Period) -> date:
    """The rolling forecast is refreshed at each quarter start (seed 001 §一2): months and
    weeks use the trailing twelve months before their quarter; years, before the year."""
    return (year_period(period.start) if period.kind == "year"
            else quarter_period(period.start)).start


def _active(f: RepFacts) -> bool:
    return bool(f.totals) or bool(f.sales_new + f.sales_repeat + f.collected)


def _positive(target: Target | None) -> Target | None:
    """A forecast of nothing (no history yet) is no target, not a target of zero."""
    return target if target is not None and target.value > 0 else None


def _actual(f: RepFacts, metric: str) -> Decimal:
    if metric == "sales":
        return f.sales_new + f.sales_repeat
    if metric == "touches":
        return Decimal(sum(f.totals.get(k, 0) for k in ("call", "visit", "email")))
    if metric == "collection_rate":
        return f.paid_on_time / f.due_total if f.due_total else Decimal(0)
    if metric == "lead_conversion":
        return Decimal(f.leads_won) / f.leads_created if f.leads_created else Decimal(0)
    return Decimal(getattr(f, metric))


def _to_date(target: Target | None, share: Decimal | int, metric: str,
             rules: Rules) -> Target | None:
    """While a period runs, amounts are judged against the share of the target that is due
    by now (working days elapsed); rates are not."""
    if target is None or share == 1 or metric in rules.targets.rate_metrics:
        return target
    step = Decimal(1) if metric in MONEY else Decimal("0.01")  # money due by now: whole units
    return replace(target, value=(target.value * share).quantize(step, ROUND_HALF_UP))


def _team_average_history(members) -> dict[str, tuple[Decimal, ...]]:  # noqa: ANN001
    """The average rep's monthly history: the forecast for someone who has none yet."""
    histories = [m.history for m in members if any(any(v) for v in m.history.values())]
    if not histories:
        return {}
    metrics = histories[0].keys()
    return {metric: tuple(sum(col) / len(histories) for col in zip(
        *(h[metric] for h in histories), strict=True)) for metric in metrics}


def _qualitative(session: Session, team_id: int, period: Period) -> dict[str, Qualitative]:
    """Ratings for a quarter; a year takes its own, else its quarters' (means of the
    managers' scores, all peer ratings)."""
    if period.kind == "quarter":
        return ratings.qualitative(session, team_id=team_id, period=period.label)
    if period.kind != "year":
        return {}
    found = ratings.qualitative(session, team_id=team_id, period=period.label)
    quarters = [ratings.qualitative(session, team_id=team_id, period=f"{period.label}-Q{q}")
                for q in range(1, 5)]
    for user in {u for q in quarters for u in q} - set(found):
        parts = [q[user] for q in quarters if user in q]
        found[user] = Qualitative(
            satisfaction=_mean([p.satisfaction for p in parts]),
            compliance_deductions=_mean([p.compliance_deductions for p in parts]),
            peer_scores=tuple(sorted(s for p in parts for s in p.peer_scores)))
    return found


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def period_for(kind: str, day: date) -> Period:
    return PERIOD_OF[kind](day)
