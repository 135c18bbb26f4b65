"""Tables. Every row belongs to a workspace (Slack team id) so no query can mix workspaces."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from store import installations

ROLES = ("rep", "manager", "admin")
STAGES = ("lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won", "lost")
TIERS = ("key", "standard")


def _utc_column(**kw: object) -> Column:
    return Column(DateTime(timezone=True), **kw)


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: str = Field(primary_key=True, max_length=32)  # Slack team id, e.g. T0ACME
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    # Through the OAuth install; an uninstalled workspace keeps its data, and scheduled jobs
    # skip it until it is installed again.
    installed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    uninstalled_at: datetime | None = Field(default=None, sa_column=_utc_column())
    # Free text older than this many days is blanked (store/privacy.py); None keeps it.
    notes_retention_days: int | None = Field(default=None)


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    tz: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="CNY", max_length=8)
    holiday_country: str | None = Field(default=None, max_length=8)  # `holidays` country code
    rules: str = Field(default="{}", max_length=20000)  # JSON overrides of scoring Rules
    # When the scheduled messages go out, local time ("HH:MM"; reps' own zones for the
    # check-in and brief requests, the team's for its report).
    checkin_time: str = Field(default="09:30", max_length=5)
    brief_time: str = Field(default="15:00", max_length=5)
    report_time: str = Field(default="17:00", max_length=5)
    # The Friday summary counts reps who logged nothing; it names them only if the team opts in.
    name_quiet_reps: bool = Field(default=False)
    # Bi-weekly calibrations run from this local date at calibration_time (team zone);
    # None: the first Tuesday on or after the team was created.
    calibration_anchor: date | None = Field(default=None)
    calibration_time: str = Field(default="10:00", max_length=5)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    notes_retention_days: int | None = Field(default=None)  # None: the workspace's setting


class TeamHoliday(SQLModel, table=True):
    """A team's own days off, on top of its country's public holidays."""

    __tablename__ = "team_holidays"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    day: date = Field(primary_key=True)
    name: str = Field(default="", max_length=100)


class Member(SQLModel, table=True):
    """A person Pacer knows in a workspace; tz and locale come from Slack unless set here."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    role: str = Field(default="rep", max_length=16)  # rep | manager | admin
    name: str | None = Field(default=None, max_length=200)
    tz: str | None = Field(default=None, max_length=64)  # from Slack
    locale: str | None = Field(default=None, max_length=16)  # from Slack
    tz_override: str | None = Field(default=None, max_length=64)  # set in Pacer, wins
    locale_override: str | None = Field(default=None, max_length=16)
    profile_checked_at: datetime | None = Field(default=None, sa_column=_utc_column())
    joined_at: datetime = Field(sa_column=_utc_column(nullable=False))


class TeamMember(SQLModel, table=True):
    """Who is on which team, and who manages it."""

    __tablename__ = "team_members"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    member_id: int = Field(foreign_key="members.id", primary_key=True)
    is_manager: bool = Field(default=False)


class Activity(SQLModel, table=True):
    """One /log line: a behaviour or result, on the rep's local date."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", name="uq_activity_source"),
        Index("ix_activity_user_day", "workspace_id", "user_id", "occurred_on"),
        # Every period read filters a team's days; the KBI checks look up a customer's logs
        # by kind (benchmarks/scoring.py measured both).
        Index("ix_activity_team_day", "team_id", "occurred_on"),
        Index("ix_activity_customer_kind_day", "customer_id", "kind", "occurred_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    kind: str = Field(max_length=32)
    count: int = Field(default=1)
    customer: str | None = Field(default=None, max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    new_customer: bool | None = Field(default=None)
    amount_due: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    due_on: date | None = Field(default=None)  # payments: when it was due (on-time rate)
    occurred_on: date
    note: str | None = Field(default=None, max_length=1000)
    text: str = Field(default="", max_length=1000)  # what the user typed, kept verbatim
    source: str = Field(max_length=128)  # the request it came from (trigger_id), for dedupe
    recorded_at: datetime = Field(sa_column=_utc_column(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=_utc_column())


class Customer(SQLModel, table=True):
    """One record per customer per team: its lead stage, tier, owner and last touch."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_customer_key"),
        UniqueConstraint("team_id", "external_id", name="uq_customer_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    name: str = Field(max_length=200)
    key: str = Field(max_length=200)  # the name case- and space-folded, for matching
    tier: str = Field(default="standard", max_length=16)  # key | standard
    owner_user_id: str | None = Field(default=None, max_length=32)
    stage: str = Field(default="lead", max_length=16)
    source: str | None = Field(default=None, max_length=100)
    lost_reason: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=100)  # the CRM's id
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    stage_changed_at: datetime = Field(sa_column=_utc_column(nullable=False))
    last_touched_at: datetime | None = Field(default=None, sa_column=_utc_column())


class StageChange(SQLModel, table=True):
    """Every move of a lead between stages: the funnel's history."""

    __tablename__ = "lead_stage_changes"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    by_user_id: str | None = Field(default=None, max_length=32)
    cause: str = Field(default="manual", max_length=64)  # manual | log:<id> | import
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class Checkin(SQLModel, table=True):
    """A rep's daily check-in: one per local day; a second one edits the first."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "day", name="uq_checkin_day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    day: date
    planned_visits: int | None = Field(default=None)
    planned_calls: int | None = Field(default=None)
    key_customers: str = Field(default="", max_length=500)
    plan: str = Field(default="", max_length=2000)  # today's plan, free text
    yesterday: str = Field(default="", max_length=2000)
    blockers: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Brief(SQLModel, table=True):
    """A rep's Friday brief for one week (Monday start), answered in a modal or /brief."""

    __tablename__ = "briefs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", "week_start", name="uq_brief_week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    week_start: date
    progress: str = Field(default="", max_length=3000)  # on action items
    wins: str = Field(default="", max_length=3000)
    blockers: str = Field(default="", max_length=3000)
    next_focus: str = Field(default="", max_length=3000)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class AuditEntry(SQLModel, table=True):
    """Every refusal and every change to someone else's data: who, what, to whom, when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32, index=True)
    actor_user_id: str = Field(max_length=32)
    action: str = Field(max_length=64)  # e.g. team.add, lead.stage
    target: str = Field(default="", max_length=200)  # user id, team or customer name
    outcome: str = Field(max_length=16)  # done | denied
    detail: str = Field(default="", max_length=2000)
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class TargetRow(SQLModel, table=True):
    """A manager's target for a rep (or the whole team: user_id "") and one period. Periods
    without one use the rolling forecast (bot/scoring), so only adjustments are stored."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "metric", "period", name="uq_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(default="", max_length=32)  # "" = the team's own target
    metric: str = Field(max_length=32)
    period: str = Field(max_length=16)  # 2026-11, 2026-Q4, 2026
    value: Decimal = Field(sa_column=Column(Numeric(18, 4), nullable=False))
    reason: str = Field(default="", max_length=500)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Rating(SQLModel, table=True):
    """A manager's rating of a rep for a period: customer satisfaction (0-100, from the
    survey) or compliance deductions (points off 100)."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "period", "kind", name="uq_rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    period: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # satisfaction | compliance
    value: float
    note: str = Field(default="", max_length=500)
    by_user_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class PeerRating(SQLModel, table=True):
    """An anonymous collaboration rating. The rater is kept only as a keyed hash (HMAC with
    a secret the database does not hold), enough to allow one rating per rater per ratee and
    period and nothing more: no rater id, no time, no comment."""

    __tablename__ = "peer_ratings"
    __table_args__ = (
        UniqueConstraint("team_id", "ratee_user_id", "period", "rater_key", name="uq_peer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    ratee_user_id: str = Field(max_length=32)
    period: str = Field(max_length=16)
    rater_key: str = Field(max_length=64)
    score: int


class Delivery(SQLModel, table=True):
    """The scheduler's ledger: one row per message a job must deliver once (its key names
    the job, the recipient and the period). Claimed before sending, marked sent after."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("key", name="uq_delivery_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # e.g. checkin-reminder:T0ACME:U0ALICE:2026-11-18
    job: str = Field(max_length=32, index=True)
    workspace_id: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    user_id: str | None = Field(default=None, max_length=32)
    period: str = Field(max_length=32)  # the day, week or month it is for
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | failed | gave_up
    attempts: int = Field(default=0)
    claimed_by: str = Field(default="", max_length=64)  # host:pid of the claiming process
    claimed_at: datetime = Field(sa_column=_utc_column(nullable=False))
    due_at: datetime = Field(sa_column=_utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column())
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)  # Slack's message timestamp
    last_error: str = Field(default="", max_length=500)


class CalibrationPair(SQLModel, table=True):
    """A rep and the manager they calibrate with, when it differs from the team's default
    (its first manager) or runs on its own cadence (a later move "this and following")."""

    __tablename__ = "calibration_pairs"
    __table_args__ = (UniqueConstraint("team_id", "rep_user_id", name="uq_calibration_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    rep_user_id: str = Field(max_length=32)
    manager_user_id: str | None = Field(default=None, max_length=32)
    # The pair's own cadence: every two weeks from this moment, in the team's zone.
    anchor_at: datetime | None = Field(default=None, sa_column=_utc_column())
    updated_by: str = Field(default="", max_length=32)
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Calibration(SQLModel, table=True):
    """One bi-weekly calibration 1:1 (seed 001 §三2), stored once something happened to it:
    the rep answered the four questions, someone moved or skipped it, the manager recorded
    minutes, or it was started ad hoc. Until then it exists only in the cadence."""

    __tablename__ = "calibrations"
    __table_args__ = (
        UniqueConstraint("team_id", "rep_user_id", "slot", name="uq_calibration_slot"),
        Index("ix_calibration_team_time", "team_id", "scheduled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id")
    rep_user_id: str = Field(max_length=32)
    manager_user_id: str = Field(max_length=32)
    # The cadence date it stands for ("2026-11-24"), or "adhoc:<request>" for one started now.
    slot: str = Field(max_length=80)
    scheduled_at: datetime = Field(sa_column=_utc_column(nullable=False))
    status: str = Field(default="scheduled", max_length=16)  # scheduled|held|skipped|cancelled
    # The rep's answers to the four questions, before the meeting.
    progress: str = Field(default="", max_length=2000)
    blockers: str = Field(default="", max_length=2000)
    support: str = Field(default="", max_length=2000)
    next_actions: str = Field(default="", max_length=2000)
    answered_at: datetime | None = Field(default=None, sa_column=_utc_column())
    # The manager's minutes (seed 000: controllable vs uncontrollable factors).
    notes: str = Field(default="", max_length=3000)
    controllable: str = Field(default="", max_length=2000)
    uncontrollable: str = Field(default="", max_length=2000)
    recorded_by: str | None = Field(default=None, max_length=32)
    recorded_at: datetime | None = Field(default=None, sa_column=_utc_column())
    skip_reason: str = Field(default="", max_length=500)
    moved_by: str | None = Field(default=None, max_length=32)
    # When it got its current time (created, or last moved): reminders due before this are
    # not owed (a meeting moved to tomorrow morning gets no "a day ahead" pack after the fact).
    set_at: datetime = Field(sa_column=_utc_column(nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class ActionItem(SQLModel, table=True):
    """An agreed action from a calibration: an owner, a due date and how it is measured."""

    __tablename__ = "action_items"
    __table_args__ = (
        UniqueConstraint("calibration_id", "position", name="uq_action_position"),
        Index("ix_action_owner_status", "workspace_id", "owner_user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    calibration_id: int | None = Field(default=None, foreign_key="calibrations.id")
    position: int = Field(default=0)  # its row in the minutes form
    rep_user_id: str = Field(max_length=32)  # whose calibration agreed it
    owner_user_id: str = Field(max_length=32)
    text: str = Field(max_length=500)
    measure: str = Field(default="", max_length=500)
    due_on: date
    status: str = Field(default="open", max_length=16)  # open | done | dropped
    done_at: datetime | None = Field(default=None, sa_column=_utc_column())
    done_by: str | None = Field(default=None, max_length=32)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))
class SeenEvent(SQLModel, table=True):
    """Events API deliveries already handled, by Slack's event_id: Slack retries a delivery
    (X-Slack-Retry-Num) it thinks failed, and every process must treat it as seen. Rows older
    than a day are pruned; Slack stops retrying after minutes."""

    __tablename__ = "seen_events"

    event_id: str = Field(primary_key=True, max_length=64)
    workspace_id: str = Field(max_length=32)
    type: str = Field(max_length=64)
    seen_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))


# slack_sdk's OAuth tables (store/installations.py) on the same metadata, so the migrations
# and the test that compares them with the models cover them too.
installations.schema(SQLModel.metadata)


class Review(SQLModel, table=True):
    """A rep's performance review for one month or quarter (seed 003 §二(二)2): the
    self-assessment, the manager's rating, the result, an appeal and HR's decision. Deadlines
    are local dates in the team's zone; a step is due by the end of its day."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "period", name="uq_review"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)  # the rep
    period: str = Field(max_length=16)  # 2026-11, 2026-Q4
    period_end: date
    status: str = Field(default="self", max_length=16)  # self|rating|result|appeal|final
    opened_at: datetime = Field(sa_column=_utc_column(nullable=False))
    score_total: float | None = Field(default=None)  # the scorecard when the review opened
    score_grade: str | None = Field(default=None, max_length=1)
    self_due: date
    rating_due: date
    self_best: str = Field(default="", max_length=3000)
    self_improve: str = Field(default="", max_length=3000)
    self_support: str = Field(default="", max_length=3000)
    self_grade: str | None = Field(default=None, max_length=1)
    self_at: datetime | None = Field(default=None, sa_column=_utc_column())
    grade: str | None = Field(default=None, max_length=1)  # the manager's
    strengths: str = Field(default="", max_length=3000)
    improvements: str = Field(default="", max_length=3000)
    next_plan: str = Field(default="", max_length=3000)
    comments: str = Field(default="", max_length=3000)
    rated_by: str | None = Field(default=None, max_length=32)
    rated_at: datetime | None = Field(default=None, sa_column=_utc_column())
    rating_version: int = Field(default=0)  # each saved rating sends the result again
    appeal_due: date | None = Field(default=None)
    appeal_reason: str = Field(default="", max_length=3000)
    appealed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    decision_due: date | None = Field(default=None)
    decision: str | None = Field(default=None, max_length=16)  # upheld | changed
    decided_grade: str | None = Field(default=None, max_length=1)
    decision_comment: str = Field(default="", max_length=3000)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = Field(default=None, sa_column=_utc_column())
    decision_version: int = Field(default=0)
    final_grade: str | None = Field(default=None, max_length=1)
    final_at: datetime | None = Field(default=None, sa_column=_utc_column())


class ReviewEvent(SQLModel, table=True):
    """A review's history: who did what when (opened, self-assessment sent or edited, rated,
    result sent, appealed, decided, final, reminded, escalated, plan opened, plan checked)."""

    __tablename__ = "review_events"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    action: str = Field(max_length=32)
    actor_user_id: str = Field(default="", max_length=32)  # "" for Pacer itself
    detail: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class ImprovementPlan(SQLModel, table=True):
    """A 3-month performance-improvement plan (seed 003 §二(三)2): after a final D, or a
    second C in a row. `open_key` is "<team>:<user>" while open and NULL once closed, so the
    unique constraint allows one open plan per rep and team (NULLs never collide)."""

    __tablename__ = "improvement_plans"
    __table_args__ = (UniqueConstraint("open_key", name="uq_plan_open"),
                      UniqueConstraint("review_id", name="uq_plan_review"))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    review_id: int = Field(foreign_key="reviews.id")
    open_key: str | None = Field(default=None, max_length=64)
    start: date
    months: int = Field(default=3)  # an extension adds one
    targets: str = Field(default="", max_length=3000)
    mentor_user_id: str | None = Field(default=None, max_length=32)
    notes: str = Field(default="", max_length=3000)
    set_by: str | None = Field(default=None, max_length=32)
    set_at: datetime | None = Field(default=None, sa_column=_utc_column())
    targets_version: int = Field(default=0)
    outcome: str | None = Field(default=None, max_length=16)  # completed | not_met
    opened_at: datetime = Field(sa_column=_utc_column(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column())


class PlanCheck(SQLModel, table=True):
    """A manager's monthly check of a plan; a second one for the same month edits it."""

    __tablename__ = "plan_checks"
    __table_args__ = (UniqueConstraint("plan_id", "month", name="uq_plan_check"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="improvement_plans.id", index=True)
    month: int
    status: str = Field(max_length=16)  # on_track | partly | off_track
    note: str = Field(default="", max_length=3000)
    outcome: str | None = Field(default=None, max_length=16)  # end:: completed|extended|not_met
    by_user_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class HomeView(SQLModel, table=True):
    """A person's App Home: there once they opened it. `stale` says the data it shows changed
    since it was last published (store/homes.py marks it in the transaction that changed
    it); the `home` job republishes stale ones, each at most once a minute."""

    __tablename__ = "home_views"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_home_view"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    opened_at: datetime = Field(sa_column=_utc_column(nullable=False))
    # The last publish (or attempt): the next is due a minute later at the earliest.
    published_at: datetime | None = Field(default=None, sa_column=_utc_column())
    stale: bool = Field(default=False, index=True)
    failures: int = Field(default=0)  # publishes refused in a row; retried while under 5


def max_length(model: type[SQLModel], field: str) -> int:
    """How many characters a text column holds (PostgreSQL enforces it, SQLite does not)."""
    return model.__table__.columns[field].type.length
