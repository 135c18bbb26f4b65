"""Migration 0016 (the review conversation) on a database that already has reviews, a plan
and action items from before it: they keep working, on SQLite and (when reachable)
PostgreSQL, and the migration goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from store import db
from store import plans as plan_store
from store import reviews as store
from store.models import ImprovementPlan
from tests.jobs.test_jobs import drop_postgres, scratch_postgres
from tests.store.test_postgres import BASE_URL

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ROWS = [
    "INSERT INTO workspaces (id, name, created_at) VALUES ('T1', 'Acme', :at)",
    "INSERT INTO teams (workspace_id, name, tz, currency, created_at, checkin_time, "
    "brief_time, report_time, name_quiet_reps, calibration_time) VALUES ('T1', 'East', "
    "'Asia/Shanghai', 'CNY', :at, '09:30', '15:00', '17:00', false, '10:00')",
    "INSERT INTO reviews (workspace_id, team_id, user_id, period, period_end, status, "
    "opened_at, self_due, rating_due, self_best, self_improve, self_support, grade, "
    "strengths, improvements, next_plan, comments, rating_version, appeal_reason, "
    "decision_comment, decision_version, final_grade, rated_at) VALUES ('T1', 1, 'U1', "
    "'2026-10', '2026-10-31', 'final', :at, '2026-11-04', '2026-11-06', 'wins', 'calls', '', "
    "'D', 'grit', 'calls', 'more calls', '', 1, '', '', 0, 'D', :at)",
    "INSERT INTO improvement_plans (workspace_id, team_id, user_id, review_id, open_key, "
    "start, months, targets, notes, targets_version, opened_at) VALUES ('T1', 1, 'U1', 1, "
    "'1:U1', '2026-11-10', 3, '', '', 0, :at)",
    "INSERT INTO plan_checks (plan_id, month, status, note, by_user_id, at) VALUES (1, 1, "
    "'partly', 'two maps', 'U2', :at)",
    "INSERT INTO review_events (review_id, action, actor_user_id, detail, at) VALUES (1, "
    "'final', '', 'grade D', :at)",
]


def _upgrade_from_0012(url: str) -> None:
    engine = db.make_engine(url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0012")
    with engine.begin() as conn:
        for sql in ROWS:
            conn.execute(text(sql), {"at": AT})
    command.upgrade(config, "head")
    sessions = db.session_factory(engine)
    with sessions() as s:
        review = store.get(s, 1)
        assert (review.status, review.final_grade, review.self_difficulties) == (
            "final", "D", "")
        assert (review.talk_version, review.record_version, review.talk_at) == (0, 0, None)
        plan = s.get(ImprovementPlan, 1)
        assert (plan.kind, plan.decision, plan.decision_note) == ("pip", None, "")
        # A review may now open one plan of each kind; a second PIP is still refused.
        assert plan_store.open_plan_for(s, review=review, start=AT.date(), now=AT) is None
        other = plan_store.open_plan_for(s, review=review, start=AT.date(), now=AT,
                                         kind=plan_store.SATISFACTION)
        assert other is not None and other.open_key == "1:U1:satisfaction"
    command.downgrade(config, "0012")  # the satisfaction plan cannot stay: it goes
    with engine.begin() as conn:
        assert conn.execute(text("SELECT id FROM improvement_plans")).all() == [(1,)]
    command.upgrade(config, "head")
    assert db.is_current(engine)
    engine.dispose()


def test_an_existing_sqlite_database_upgrades_and_keeps_its_reviews(tmp_path) -> None:  # noqa: ANN001
    _upgrade_from_0012(f"sqlite:///{tmp_path / 'old.db'}")


def test_an_existing_postgres_database_upgrades_and_keeps_its_reviews() -> None:
    url = scratch_postgres(BASE_URL) if BASE_URL else None
    if url is None:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set or no "
                    "server is reachable")
    try:
        _upgrade_from_0012(url)
    finally:
        drop_postgres(BASE_URL, url)
