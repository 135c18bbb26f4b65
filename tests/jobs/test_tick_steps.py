"""Issue 15: what a tick works out per rep, pair or review, it works out once when they share
it (a team's reviews waiting alike, its pairs meeting at one time, reminders final already),
and what it sends stays the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.jobs import calibration as cal_job
from bot.jobs import outbox, reminders
from bot.jobs import registry as jobs
from bot.jobs import review as review_job
from bot.services import calibration as cal
from store import reviews, teams
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

CREATED = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
REPS = ("U0R1", "U0R2", "U0R3")


def _team(database_url: str, fake_slack: FakeSlack, now: datetime):  # noqa: ANN202
    _, deps = make_deps(database_url, fake_slack, FixedClock(now))
    with deps.sessions() as s:
        team = teams.create_team(s, workspace_id=WORKSPACE, name="Team", channel_id="C0T",
                                 managers=["U0MGR"], members=list(REPS), tz="Asia/Shanghai",
                                 currency="CNY", now=CREATED)
        team_id = team.id
    return deps, team_id


def _open_reviews(deps, team_id: int) -> None:  # noqa: ANN001
    """October's reviews of the three reps, waiting for the self-assessments (due Wednesday
    18 November, the rating Friday 20th)."""
    with deps.sessions() as s:
        for rep in REPS:
            reviews.open_review(s, workspace_id=WORKSPACE, team_id=team_id, user_id=rep,
                                period="2026-10", period_end=date(2026, 10, 31),
                                self_due=date(2026, 11, 18), rating_due=date(2026, 11, 20),
                                score_total=50.0, score_grade="C", now=CREATED)


def _count_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = review_job._review_steps
    monkeypatch.setattr(review_job, "_review_steps",
                        lambda run, review: seen.append(review.id) or real(run, review))
    return seen


def test_reviews_waiting_alike_are_worked_out_once_when_none_has_a_step_due(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = datetime(2026, 11, 26, 4, 17, tzinfo=UTC)  # every step long past its window
    deps, team_id = _team(database_url, fake_slack, quiet)
    _open_reviews(deps, team_id)
    seen = _count_steps(monkeypatch)
    result = jobs.run_job(deps, review_job.JOB, now=quiet)
    assert len(seen) == 1 and result.sent == 0  # the other two: the same dates, nothing due
    deps.engine.dispose()


def test_reviews_waiting_alike_each_get_their_reminder_when_one_is_due(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    remind = datetime(2026, 11, 18, 1, 5, tzinfo=UTC)  # 09:05 on the self-assessment's day
    deps, team_id = _team(database_url, fake_slack, remind)
    _open_reviews(deps, team_id)
    with deps.sessions() as s:  # one rep sent theirs: a review in another state
        first = reviews.active(s, team_id=team_id, final_since=remind)[0]
        reviews.save_self(s, review=first, best="b", improve="i", difficulties="d",
                          support="s", grade="B", now=remind - timedelta(hours=1))
    seen = _count_steps(monkeypatch)
    result = jobs.run_job(deps, review_job.JOB, now=remind)
    assert len(seen) == 3
    # The two waiting reps: the request (still open) and today's reminder; the manager: the
    # self-assessment that came in, to rate.
    keys = [line.split(" ")[1] for line in result.lines if line.startswith("sent")]
    assert result.sent == 5 and sorted(keys) == sorted(["U0R2", "U0R2", "U0R3", "U0R3",
                                                        "U0MGR"]), result.lines
    deps.engine.dispose()


def test_a_reviews_step_columns_are_read_without_its_free_text(
        database_url: str, fake_slack: FakeSlack) -> None:
    deps, team_id = _team(database_url, fake_slack, CREATED)
    _open_reviews(deps, team_id)
    with deps.sessions() as s:
        found = reviews.active_of(s, team_ids=[team_id], final_since=CREATED)[team_id]
    assert [r.user_id for r in found] == list(REPS)
    assert found[0].self_due == date(2026, 11, 18) and found[0].status == reviews.SELF
    assert not hasattr(found[0], "self_best")  # free text is read when a message is built
    deps.engine.dispose()


def test_a_teams_pairs_meeting_at_one_time_share_its_moments(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pair of a team on the team's cadence meets at the same moments: the day-ahead
    and next-working-day moments are worked out once per moment, not once per pair."""
    now = datetime(2026, 11, 18, 4, 17, tzinfo=UTC)
    deps, _ = _team(database_url, fake_slack, now)
    asked: list[datetime] = []
    for name in ("day_ahead", "next_working_moment"):
        real = getattr(cal, name)
        monkeypatch.setattr(cal, name, lambda occ, real=real: asked.append(occ.at) or real(occ))
    jobs.run_job(deps, cal_job.JOB, now=now)
    assert asked and len(asked) <= 2 * len(set(asked)), asked  # per moment, not per pair
    deps.engine.dispose()


def test_a_missed_reminder_final_already_is_not_looked_at_again(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check-in reminder sent this morning (and yesterday's, given up) is final for good:
    past its catch-up window a tick passes over it without asking the ledger or `deliver`."""
    morning = datetime(2026, 11, 18, 9, 35, tzinfo=UTC)  # 09:35 in the reps' zone (UTC)
    deps, _ = _team(database_url, fake_slack, morning)
    sent = jobs.run_job(deps, reminders.CHECKIN_REMINDER, now=morning)
    assert sent.sent == 3
    delivered: list[str] = []
    real = outbox.deliver
    monkeypatch.setattr(reminders, "deliver",
                        lambda deps, client, due, **kw: delivered.append(due.key)
                        or real(deps, client, due, **kw))
    later = morning + timedelta(hours=3, minutes=5)  # past the 3-hour window
    again = jobs.run_job(deps, reminders.CHECKIN_REMINDER, now=later)
    assert delivered == [] and again.sent == again.gave_up == 0
    inside = jobs.run_job(deps, reminders.CHECKIN_REMINDER, now=morning + timedelta(hours=1))
    assert len(delivered) == 3 and inside.sent == 0  # within the window: deliver decides
    deps.engine.dispose()
