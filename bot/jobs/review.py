"""The `review` job (SPEC §3, seed 003 §二(二)2, seed 000): the review cycle, per team, in the
team's time zone, on its working days (weekends, its country's public holidays and its own
days off skipped). Improvement plans are bot/jobs/plans.py, run by the same job.

Run every tick. "Day N" below is the Nth working day after the period's last day; a step
"due on day N" is due by the end of that day (midnight, team time); 09:00 is team time.

open            09:00 on day 1 after a month or quarter ends, a review opens for each rep of
                the team for that period, with their scorecard total and grade kept as it was
                then. A quarter end opens only the quarter's review (it covers the quarter's
                last month). Opened only while the self-assessment is not yet late, and only for
                a team Pacer knew by then and reps on it during the period.
self-request    the rep, at the opening: a DM asking for the self-assessment (due on day 3).
self-remind     the rep, 09:00 on day 3, if still not sent (and not rated).
rate-request    each manager, when the rep sends the self-assessment, or at 09:00 on the working
                day after day 3 if it is late (the escalation: they may rate without it).
self-late       each manager, when a late self-assessment arrives after that (not yet rated).
rate-remind     each manager, 09:00 on day 5 (rating due), if not yet rated.
rate-escalate   escalation_for(each manager) (their own managers, else the admins), 09:00 on
                the working day after day 5, if not yet rated.

The result conversation (seed 000: the result is delivered in a two-way talk). The rating
schedules it (bot/services/review.py's plan_talk: 30 minutes in both people's working hours);
the rep hears the grade in the talk, never before.
talk-note       the rep, at the rating: when, with whom, what to bring; no grade.
talk-moved-v<n> the other of the two (both, if someone else moved it), at each move.
talk-pack       the manager holding the talk, a working day ahead at the talk's time (at once if
                it was moved closer): the rep's self-assessment first, the data against target
                beside the team's average and best, the factors, the competencies, the grade,
                the order of the conversation and the pitfalls to avoid.
record-prompt   that manager, when the talk ends: record what was agreed.
record-remind   that manager, 09:00 on the next working day, if not recorded.
record-escalate escalation_for(the managers), 09:00 on the 3rd working day after the talk.
record-v<n>     the rep, at each save of the record (n counts versions): what was agreed, the
                grade, a button to confirm or comment; due in CONFIRM_DAYS working days.
confirm-remind  the rep, 09:00 on the day the confirmation is due, if not confirmed.
                At the end of that day an unconfirmed record stands ("overdue").
window          the rep, at the confirmation (or when it went overdue): the appeal window is
                open for 3 working days, with the Appeal button. confirmed: each manager.
appeal          every admin (HR), when the rep appeals: a button to decide, due by the end of
                the 5th working day after the appeal. appeal-filed: each manager.
decide-remind   every admin, 09:00 on that day, if not decided.
decide-escalate the admins and escalation_for(each manager) (seed: HR with the sales
                director), 09:00 on the working day after, if not decided.
decision-v<n>   the rep and each manager, when HR decides (the review is then final).
final           no appeal by the end of the window: the grade is final. Then, at 09:00 on the
                next working morning: improvement plans (bot/jobs/plans.py); for a quarter,
                consequences (each manager: the recommendations from the final grades), and for
                an S, top-manager (priority training) and top-rep (share your playbook).

Every message goes through the outbox (bot/jobs/outbox.py) under the key
``review:<workspace>:<recipient>:<step>:r<review id>`` (plans: ``:p<plan id>``), so each is
sent once however often, and in however many processes, the job runs. A handler that saves a
form calls `advance` at once, so its messages go out then, and a failed one is retried by the
next tick. Reminders keep the usual 3-hour catch-up window, escalations and results 24 hours,
requests until their step is due; older than that a message is given up and logged. Every
reminder and escalation sent is written to the review's history (review_events).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from bot.calendar.periods import month_period, parse_period, previous, quarter_period
from bot.calendar.workdays import end_of_day, previous_working_day
from bot.deps import Deps
from bot.jobs import plans
from bot.jobs.outbox import CATCH_UP, PacedClient, RunResult, each_team
from bot.jobs.review_run import JOB, LATE_CATCH_UP, LOOKBACK, RECENT, Run
from bot.render import review as render
from bot.render import review_talk as talk
from bot.scoring.facts import Period
from bot.scoring.recommend import PIP
from bot.services.reports import recommendations, rules_for, team_report
from bot.services.review import TALK_LENGTH, parse_record, record_of
from bot.services.talk_pack import talk_pack
from bot.services.teams import TeamInfo, team_infos
from store import actions, alerts, teams
from store import plans as plan_store
from store import reviews as store
from store.models import Review

log = logging.getLogger(__name__)

__all__ = ["JOB", "advance", "run_review"]
SELF_DAYS, RATING_DAYS, APPEAL_DAYS, DECISION_DAYS = 3, 5, 3, 5
CONFIRM_DAYS = 2  # the rep confirms the record within 2 working days (then it stands)
RECORD_ESCALATE_DAYS = 3
REVIEW_CHUNK = 200  # teams whose active reviews are read together


def run_review(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    with deps.sessions() as session:  # two reads: which teams have reviews or plans to look at
        reviewing = store.teams_with_active(session, final_since=now - RECENT)
        planning = plan_store.teams_with_plans(session, since=now - RECENT)
    # Their reviews are read for REVIEW_CHUNK teams at a time as the visits reach them: a few
    # reads a tick rather than one per team, and a chunk's reviews in memory at a time.
    order = [info.id for info in team_infos(deps, team) if info.id in reviewing]
    position = {team_id: i for i, team_id in enumerate(order)}
    loaded: dict[int, list[store.ReviewState]] = {}

    def reviews_of(team_id: int) -> list[store.ReviewState]:
        if team_id not in loaded:
            chunk = order[position[team_id]:position[team_id] + REVIEW_CHUNK]
            with deps.sessions() as session:
                loaded.update(store.active_of(session, team_ids=chunk,
                                              final_since=now - RECENT))
        return loaded.pop(team_id)

    calendar: dict[tuple, object] = {}  # the teams' shared dates (Run.calendar)

    def visit(client: PacedClient, info: TeamInfo) -> RunResult:
        run = Run(deps, client, info, now, calendar=calendar)
        opened = _open_reviews(run)
        found, found_plans = [], []
        if info.id in position:
            found = reviews_of(info.id)
        if opened:  # read again, with the reviews just opened
            with deps.sessions() as session:
                found = store.active(session, team_id=info.id, final_since=now - RECENT)
        quiet: set[tuple] = set()  # states of reviews found with no step due this tick
        for review in found:
            state = _waiting_state(review)
            if state in quiet:
                continue  # the team's reviews share their dates: one like it had none due
            before = run.due_steps
            _review_steps(run, review)
            if state is not None and run.due_steps == before:
                quiet.add(state)
        if info.id in planning:
            with deps.sessions() as session:
                found_plans = plan_store.plans(session, team_id=info.id, since=now - RECENT)
        for plan in found_plans:
            plans.plan_steps(run, plan)
        return run.result

    return each_team(deps, team, JOB, visit)


def advance(deps: Deps, *, team_id: int, now: datetime) -> RunResult:
    """What a saved form makes due goes out now (called by handlers/review*.py)."""
    with deps.sessions() as session:
        row = teams.team_by_id(session, team_id=team_id)
    return run_review(deps, now=now, team=row.name) if row else RunResult()


# ----------------------------------------------------------------- opening

def covered_by_quarter(month: Period) -> bool:
    return month.end == quarter_period(month.end).end


def _openings(run: Run) -> list[tuple[Period, datetime, date, datetime]]:
    """The periods whose reviews open by the team's calendar around now: each with the
    moment they open, the self-assessment's due day and the end of that day (when it is too
    late to open them). The same for the teams sharing a zone and calendar (Run.calendar)."""
    info = run.info
    key = ("openings", info.tz, info.country, info.days_off)
    if key not in run.calendar:
        today = run.now.astimezone(run.tz).date()
        found = []
        for period_of in (month_period, quarter_period):
            ended = previous(period_of(today))
            if period_of is month_period and covered_by_quarter(ended):
                continue  # the quarter's review covers its last month
            self_due = run.add_days(ended.end, SELF_DAYS)
            found.append((ended, run.nine(run.add_days(ended.end, 1)), self_due,
                          end_of_day(self_due, run.tz)))
        run.calendar[key] = found
    return run.calendar[key]  # type: ignore[return-value]


def _open_reviews(run: Run) -> int:
    """Opens the reviews due to open; how many it opened."""
    info, now = run.info, run.now
    opened = 0
    for ended, open_at, self_due, late_at in _openings(run):
        if now < open_at or now >= late_at or info.created_at > open_at:
            continue
        with run.deps.sessions() as session:
            done = store.reviewed(session, team_id=info.id, period=ended.label)
            joined = alerts.joined(session, team_id=info.id)
        missing = [rep for rep in info.reps if rep not in done and (
            rep not in joined or joined[rep].astimezone(run.tz).date() <= ended.end)]
        if not missing:
            continue
        with run.deps.sessions() as session:
            report = team_report(session, team=teams.team_by_id(session, team_id=info.id),
                                 period=ended, now=now, user_ids=missing)
            for rep in missing:
                card = report.reps[rep].card if rep in report.reps else None
                if card is None:
                    continue
                store.open_review(
                    session, workspace_id=info.workspace_id, team_id=info.id, user_id=rep,
                    period=ended.label, period_end=ended.end, self_due=self_due,
                    rating_due=run.add_days(ended.end, RATING_DAYS),
                    score_total=card.total, score_grade=card.grade, now=now)
                run.result.lines.append(f"opened {rep}'s review for {ended.label}")
                opened += 1
    return opened


# ----------------------------------------------------------------- a review's steps

Fresh = Callable[[Callable[[str, Review], dict]], Callable[[str], dict]]


def _waiting_state(review: store.ReviewState) -> tuple | None:
    """A review still before its rating (waiting for the self-assessment or the rating: most
    active reviews, every minute) has only the requests, reminders and escalations of those
    two steps, whose moments follow from these dates and the team's calendar, not from the
    rep: when one review of the team in this state has no step due, neither has another in
    the same state. None for any other review (each is looked at on its own)."""
    if (review.status not in (store.SELF, store.RATING) or review.rated_at is not None
            or review.talk_at is not None or review.recorded_at is not None
            or review.appealed_at is not None or review.decided_at is not None
            or review.final_at is not None):
        return None
    return (review.status, review.period_end, review.self_due, review.rating_due,
            review.self_at)


def _review_steps(run: Run, review: store.ReviewState) -> None:
    info, rid, ref = run.info, review.id, f"r{review.id}"
    rep, managers = review.user_id, run.managers
    self_in, rated = review.self_at is not None, review.rated_at is not None
    opened_at = run.nine(run.add_days(review.period_end, 1))
    self_end = end_of_day(review.self_due, run.tz)
    late_at = run.nine(run.add_days(review.self_due, 1))
    rating_end = end_of_day(review.rating_due, run.tz)

    def fresh(message: Callable[[str, Review], dict]) -> Callable[[str], dict]:
        # Built when sent, from the review as it is then (a form may have been saved).
        def build(user: str) -> dict:
            with run.deps.sessions() as session:
                return message(run.lang(user), store.get(session, rid))
        return build

    run.send("self-request", ref, [rep], due_at=opened_at, window=self_end - opened_at,
             answered=self_in or rated,
             message=fresh(lambda lang, r: render.self_request_blocks(lang, review=r,
                                                                      team=info.name)))
    run.send("self-remind", ref, [rep], due_at=run.nine(review.self_due), window=CATCH_UP,
             answered=self_in or rated, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.self_remind_blocks(lang, review=r)))
    asked_at = min(store.utc(review.self_at), late_at) if self_in else late_at
    late = not self_in or store.utc(review.self_at) > late_at
    run.send("rate-request", ref, managers, due_at=asked_at,
             window=max(rating_end - asked_at, LATE_CATCH_UP), answered=rated,
             review_id=rid, event="escalated" if late else "",
             message=fresh(lambda lang, r: render.rate_request_blocks(
                 lang, review=r, late=r.self_at is None)))
    if self_in and late:
        run.send("self-late", ref, managers, due_at=store.utc(review.self_at),
                 window=LATE_CATCH_UP, answered=rated,
                 message=fresh(lambda lang, r: render.self_late_blocks(lang, review=r)))
    run.send("rate-remind", ref, managers, due_at=run.nine(review.rating_due), window=CATCH_UP,
             answered=rated, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.rate_remind_blocks(lang, review=r)))
    run.send("rate-escalate", ref, run.above,
             due_at=run.nine(run.add_days(review.rating_due, 1)),
             window=LATE_CATCH_UP, answered=rated, review_id=rid, event="escalated",
             message=fresh(lambda lang, r: render.escalation_blocks(
                 lang, review=r, step="rating", owners=managers, due=r.rating_due)))
    if rated and review.talk_at is not None:
        _talk_steps(run, review, fresh)
    if review.recorded_at is not None:
        review = _record_steps(run, review, fresh)
    closes = end_of_day(review.appeal_due, run.tz) if review.appeal_due else None
    if review.status == store.RESULT and closes and run.now >= closes:
        with run.deps.sessions() as session:
            current = store.get(session, rid)
            if store.finalize(session, review=current, at=closes):
                run.result.lines.append(f"{rep}'s review for {review.period} is final")
                review = current
    if review.appealed_at is not None:
        _appeal_steps(run, review, fresh)
    if review.decided_at is not None:
        for to_rep, whom in ((True, [rep]), (False, managers)):
            run.send(f"decision-v{review.decision_version}", ref, whom,
                     due_at=store.utc(review.decided_at), window=LATE_CATCH_UP,
                     answered=False, message=fresh(lambda lang, r, to_rep=to_rep: (
                         render.decision_blocks(lang, review=r, to_rep=to_rep))))
    if review.status == store.FINAL and review.final_at is not None:
        _final_steps(run, review, fresh)


def _talk_steps(run: Run, review: store.ReviewState, fresh: Fresh) -> None:
    """The conversation: the rep's note, moves, the manager's pack, the prompt to record."""
    rid, ref, rep, manager = review.id, f"r{review.id}", review.user_id, review.talk_with
    talk_at, recorded = store.utc(review.talk_at), review.recorded_at is not None
    set_at = store.utc(review.talk_set_at)
    tz_of = run.zone

    def other(user: str) -> str:
        return manager if user == rep else rep

    run.send("talk-note", ref, [rep], due_at=store.utc(review.rated_at),
             window=max(talk_at - store.utc(review.rated_at), LATE_CATCH_UP),
             answered=recorded, message=lambda user: _with_review(run, rid, lambda r: (
                 talk.talk_note_blocks(run.lang(user), review=r, tz=tz_of(user),
                                       other_tz=tz_of(manager)))))
    if review.talk_version > 1:
        told = [p for p in (rep, manager) if p != review.talk_moved_by]
        run.send(f"talk-moved-v{review.talk_version}", ref, told, due_at=set_at,
                 window=LATE_CATCH_UP, answered=recorded,
                 message=lambda user: _with_review(run, rid, lambda r: talk.talk_moved_blocks(
                     run.lang(user), review=r, tz=tz_of(user), other=other(user),
                     other_tz=tz_of(other(user)))))
    local = talk_at.astimezone(run.tz)
    ahead = datetime.combine(previous_working_day(local.date(), run.info.working),
                             local.time(), tzinfo=run.tz)
    pack_at = max(ahead, set_at)  # moved closer than a working day: at once
    run.send("talk-pack", ref, [manager], due_at=pack_at, window=talk_at + TALK_LENGTH - pack_at,
             answered=recorded, message=lambda user: _pack(run, rid, user))
    ends = talk_at + TALK_LENGTH
    next_day = run.add_days(local.date(), 1)
    run.send("record-prompt", ref, [manager], due_at=ends,
             window=max(run.nine(next_day) - ends, CATCH_UP), answered=recorded,
             message=fresh(lambda lang, r: talk.record_prompt_blocks(lang, review=r,
                                                                    remind=False)))
    run.send("record-remind", ref, [manager], due_at=run.nine(next_day), window=CATCH_UP,
             answered=recorded, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: talk.record_prompt_blocks(lang, review=r,
                                                                    remind=True)))
    run.send("record-escalate", ref, run.above,
             due_at=run.nine(run.add_days(local.date(), RECORD_ESCALATE_DAYS)),
             window=LATE_CATCH_UP, answered=recorded, review_id=rid, event="escalated",
             message=fresh(lambda lang, r: render.escalation_blocks(
                 lang, review=r, step="record", owners=[manager], due=local.date())))


def _with_review(run: Run, rid: int, build: Callable[[Review], dict]) -> dict:
    with run.deps.sessions() as session:
        return build(store.get(session, rid))


def _pack(run: Run, rid: int, user: str) -> dict:
    lang = run.lang(user)
    with run.deps.sessions() as session:
        review = store.get(session, rid)
        pack = talk_pack(session, review=review, now=run.now, lang=lang)
    return talk.talk_pack_blocks(lang, pack=pack, tz=run.zone(user),
                                 rep_tz=run.zone(review.user_id))


def _record_steps(run: Run, review: store.ReviewState,
                  fresh: Fresh) -> store.ReviewState:
    """The record to the rep, its confirmation (or overdue), and the appeal window."""
    rid, ref, rep = review.id, f"r{review.id}", review.user_id
    # A record changes only until the rep answers it: after that, nothing to look up each tick.
    if review.status == store.CONFIRM or _recent(run, review.confirmed_at):
        with run.deps.sessions() as session:
            latest = store.latest_record(session, review_id=rid)
        if latest is not None:
            run.send(f"record-v{latest.version}", ref, [rep], due_at=store.utc(latest.at),
                     window=LATE_CATCH_UP, answered=False,
                     message=fresh(lambda lang, r: _record_message(run, lang, r)))
    confirmed = review.confirmation is not None
    if review.confirm_due is not None:
        run.send("confirm-remind", ref, [rep], due_at=run.nine(review.confirm_due),
                 window=CATCH_UP, answered=confirmed, review_id=rid, event="reminded",
                 message=fresh(lambda lang, r: talk.confirm_remind_blocks(lang, review=r)))
        overdue_at = end_of_day(review.confirm_due, run.tz)
        if not confirmed and run.now >= overdue_at:
            due = run.add_days(review.confirm_due, APPEAL_DAYS)
            with run.deps.sessions() as session:
                current = store.get(session, rid)
                if store.confirm_overdue(session, review=current, at=overdue_at,
                                         appeal_due=due):
                    run.result.lines.append(f"{rep}'s record for {review.period} stands")
                review = current
    if review.confirmation is not None:
        opened = store.utc(review.confirmed_at) or end_of_day(review.confirm_due, run.tz)
        # Overdue at midnight: the rep hears in the morning.
        at = opened if review.confirmed_at else run.settled(opened)
        if not _recent(run, at):
            return review
        with run.deps.sessions() as session:
            answers = [r.body for r in store.records(session, review_id=rid)
                       if r.kind == store.CONFIRMED]
        comment = answers[-1] if answers else ""
        for to_rep, whom, step in ((True, [rep], "window"), (False, run.managers, "confirmed")):
            run.send(step, ref, whom, due_at=at, window=LATE_CATCH_UP, answered=False,
                     message=fresh(lambda lang, r, to_rep=to_rep: talk.confirmed_blocks(
                         lang, review=r, comment=comment, to_rep=to_rep)))
    return review


def _recent(run: Run, at: datetime | None) -> bool:
    """Still within the 24-hour window (and its look-back) of a message due at `at`."""
    return at is not None and run.now - store.utc(at) <= LATE_CATCH_UP + LOOKBACK


def _summary(run: Run, lang: str, review: Review) -> list[str]:
    with run.deps.sessions() as session:
        body, items, comment = record_of(session, review)
    return talk.summary_lines(lang, review, body, items, comment)


def _record_message(run: Run, lang: str, review: Review) -> dict:
    with run.deps.sessions() as session:
        latest = store.latest_record(session, review_id=review.id)
        items = actions.of_review(session, review_id=review.id)
    return talk.record_blocks(lang, review=review, body=parse_record(latest.body),
                              items=items, edited=latest.version > 1)


def _appeal_steps(run: Run, review: store.ReviewState, fresh: Fresh) -> None:
    rid, ref, decided = review.id, f"r{review.id}", review.decided_at is not None
    hr = run.admins
    appealed = store.utc(review.appealed_at)
    run.send("appeal", ref, hr, due_at=appealed, window=LATE_CATCH_UP, answered=decided,
             message=fresh(lambda lang, r: render.appeal_blocks(
                 lang, review=r, record=_summary(run, lang, r))))
    run.send("appeal-filed", ref, run.managers, due_at=appealed, window=LATE_CATCH_UP,
             answered=False,
             message=fresh(lambda lang, r: talk.appeal_filed_blocks(lang, review=r)))
    run.send("decide-remind", ref, hr, due_at=run.nine(review.decision_due), window=CATCH_UP,
             answered=decided, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.appeal_blocks(lang, review=r, remind=True)))
    run.send("decide-escalate", ref, [*hr, *run.above],
             due_at=run.nine(run.add_days(review.decision_due, 1)),
             window=LATE_CATCH_UP, answered=decided, review_id=rid, event="escalated",
             message=fresh(lambda lang, r: render.escalation_blocks(
                 lang, review=r, step="appeal", owners=hr, due=r.decision_due)))


def _final_steps(run: Run, review: store.ReviewState, fresh: Fresh) -> None:
    """What a final grade calls for, the next working morning: plans; for a quarter, the
    recommendations from the final grades (seed 003 §二(三)), and an S's prompts."""
    at = run.settled(store.utc(review.final_at))
    if run.now < at:
        return
    plans.open_after(run, review)
    if "Q" not in review.period:
        return
    ref = f"r{review.id}"
    if review.final_grade == "S":
        for to_rep, whom, step in ((True, [review.user_id], "top-rep"),
                                   (False, run.managers, "top-manager")):
            run.send(step, ref, whom, due_at=at, window=LATE_CATCH_UP, answered=False,
                     message=fresh(lambda lang, r, to_rep=to_rep: talk.top_prompt_blocks(
                         lang, review=r, to_rep=to_rep)))
    if run.now - at > LATE_CATCH_UP:
        return  # nothing more is owed: do not compute the recommendations again
    with run.deps.sessions() as session:
        team = teams.team_by_id(session, team_id=review.team_id)
        chosen = parse_period(review.period, review.period_end)
        recs = recommendations(session, team=team, user_id=review.user_id, period=chosen,
                               now=run.now, rules=rules_for(session, team.id)) if chosen else ()
    # A PIP is opened, not suggested: its own message (plan-setup) says so.
    recs = tuple(r for r in recs if r.kind != PIP)
    if recs:
        run.send("consequences", ref, run.managers, due_at=at, window=LATE_CATCH_UP,
                 answered=False, message=fresh(lambda lang, r: talk.consequences_blocks(
                     lang, review=r, recommendations=recs)))

