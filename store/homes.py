"""Each person's App Home: opened, published, and marked stale when what it shows changes.

The mark rides on the transaction that changed the data: SQLAlchemy's session events collect
the rows a flush wrote (after_flush) and, just before the outermost commit, one UPDATE marks
the Homes they touch (`stale = true`). So a /log costs one more statement in the transaction
it commits anyway, never a recompute, and a mark can't be lost by a crash between the change
and the mark, nor seen by the `home` job before the change is. Only people who opened their
Home have a row; for everyone else the UPDATE matches nothing.

Hooking the session rather than each handler means every path that changes the data (the
commands, their buttons and forms, the jobs, the console, CSV imports) marks the Homes
without anyone having to remember to; what each table's change touches is `_touched` below.
Statements that bypass the ORM (a Core `update()`) are not seen: the ones on reviews always
come with a ReviewEvent row, which is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, event, exists, false, inspect, or_, true, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from store.models import (
    ActionItem,
    Activity,
    Brief,
    Calibration,
    CalibrationPair,
    Checkin,
    Customer,
    HomeView,
    ImprovementPlan,
    Member,
    MemberPrefs,
    Review,
    ReviewEvent,
    TargetRow,
    Team,
    TeamHoliday,
    TeamMember,
    Workspace,
)

MAX_FAILURES = 5
# Past this many people in one workspace, a change (an import, a seed) marks the whole
# workspace rather than naming everyone in one statement.
MANY = 200
HV, M, TM, T, R = (HomeView.__table__, Member.__table__, TeamMember.__table__,
                   Team.__table__, Review.__table__)
_KEY = "pacer.home_marks"
MEMBER_SETTINGS = ("role", "locale_override", "tz_override")


@dataclass
class Marks:
    """Whose Homes a transaction's changes touch."""

    users: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # ws -> ids
    managers_of: set[int] = field(default_factory=set)  # the managers of these teams
    members_of: set[int] = field(default_factory=set)  # everyone on these teams
    admins_of: set[str] = field(default_factory=set)  # the admins of these workspaces
    admins_of_teams: set[int] = field(default_factory=set)  # ... of these teams' workspaces
    members: set[int] = field(default_factory=set)  # Member ids
    reviews: set[int] = field(default_factory=set)  # the rep, managers and admins of each

    def __bool__(self) -> bool:
        return any((self.users, self.managers_of, self.members_of, self.admins_of,
                    self.admins_of_teams, self.members, self.reviews))

    def user(self, workspace_id: str | None, *user_ids: str | None) -> None:
        if workspace_id:
            self.users[workspace_id].update(u for u in user_ids if u)


def _touched(marks: Marks, row: object, session: Session) -> None:
    """What a written row changes on which Homes (rep parts, manager parts, admin setup)."""
    if isinstance(row, Activity):
        marks.user(row.workspace_id, row.user_id)
        if row.team_id:
            marks.managers_of.add(row.team_id)
    elif isinstance(row, Customer):  # touches and idle leads
        marks.user(row.workspace_id, row.owner_user_id)
        marks.managers_of.add(row.team_id)
    elif isinstance(row, Checkin | Brief | MemberPrefs):  # MemberPrefs: the settings line
        marks.user(row.workspace_id, row.user_id)
    elif isinstance(row, ActionItem):
        marks.user(row.workspace_id, row.owner_user_id, row.rep_user_id)
    elif isinstance(row, Calibration):
        marks.user(row.workspace_id, row.rep_user_id, row.manager_user_id)
        marks.managers_of.add(row.team_id)
    elif isinstance(row, CalibrationPair | TargetRow | TeamHoliday):
        marks.members_of.add(row.team_id)
    elif isinstance(row, Review | ImprovementPlan):
        marks.user(row.workspace_id, row.user_id)
        marks.managers_of.add(row.team_id)
        marks.admins_of.add(row.workspace_id)
    elif isinstance(row, ReviewEvent):
        marks.reviews.add(row.review_id)
    elif isinstance(row, Team):
        if row.id is not None:
            marks.members_of.add(row.id)
        marks.admins_of.add(row.workspace_id)
    elif isinstance(row, TeamMember):
        marks.members.add(row.member_id)
        marks.managers_of.add(row.team_id)
        marks.admins_of_teams.add(row.team_id)
    elif isinstance(row, Member):
        # A new person (admins list people without a team), a new role, language or zone;
        # not the profile refreshes every request makes.
        if row in session.new or any(_changed(row, a) for a in MEMBER_SETTINGS):
            marks.user(row.workspace_id, row.user_id)
            marks.admins_of.add(row.workspace_id)
    elif isinstance(row, Workspace):
        marks.admins_of.add(row.id)


def mark(session: Session, row: object) -> None:
    """Owe the marks `row` makes (as if a flush had written it) to this transaction's commit:
    for a change a Core statement made, which the flush never sees."""
    _touched(_marks(session), row, session)


def _changed(row: object, attribute: str) -> bool:
    return inspect(row).attrs[attribute].history.has_changes()


def _marks(session: Session) -> Marks:
    return session.info.setdefault(_KEY, Marks())


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: object) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        _touched(_marks(session), row, session)


@event.listens_for(Session, "before_commit")
def _mark_on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit marks everything at once
    session.flush()  # rows added since the last flush are collected too
    marks = session.info.pop(_KEY, None)
    if marks:
        session.execute(*_reps(marks) or (mark_statement(marks),))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed or rolled back: nothing is owed any more
        session.info.pop(_KEY, None)


def _person() -> object:
    return and_(M.c.workspace_id == HV.c.workspace_id, M.c.user_id == HV.c.user_id)


def mark_statement(marks: Marks) -> object:
    """One UPDATE marking stale the Homes `marks` touch (those not stale already)."""
    whose = []
    for workspace_id, users in marks.users.items():
        people = (HV.c.workspace_id == workspace_id)
        whose.append(people if len(users) > MANY
                     else and_(people, HV.c.user_id.in_(sorted(users))))
    linked = M.join(TM, TM.c.member_id == M.c.id)
    on_teams = []
    if marks.managers_of:
        on_teams.append(and_(TM.c.team_id.in_(sorted(marks.managers_of)),
                             TM.c.is_manager == true()))
    if marks.members_of:
        on_teams.append(TM.c.team_id.in_(sorted(marks.members_of)))
    if on_teams:
        whose.append(exists(core_select(1).select_from(linked).where(_person(), or_(*on_teams))))
    if marks.members:
        whose.append(exists(core_select(1).where(_person(), M.c.id.in_(sorted(marks.members)))))
    admin = and_(_person(), M.c.role == "admin")
    workspaces = []
    if marks.admins_of:
        workspaces.append(M.c.workspace_id.in_(sorted(marks.admins_of)))
    if marks.admins_of_teams:
        workspaces.append(M.c.workspace_id.in_(core_select(T.c.workspace_id).where(
            T.c.id.in_(sorted(marks.admins_of_teams)))))
    if workspaces:
        whose.append(exists(core_select(1).where(admin, or_(*workspaces))))
    if marks.reviews:
        reviews = R.c.id.in_(sorted(marks.reviews))
        whose.append(exists(core_select(1).where(reviews, R.c.workspace_id == HV.c.workspace_id,
                                            or_(R.c.user_id == HV.c.user_id,
                                                exists(core_select(1).where(admin)),
                                                exists(core_select(1).select_from(linked).where(
                                                    _person(), TM.c.team_id == R.c.team_id,
                                                    TM.c.is_manager == true()))))))
    return update(HV).where(HV.c.stale == false(), or_(*whose)).values(stale=True)


def _reps(marks: Marks) -> tuple[object, dict] | None:
    """The marks of /logs (their reps, and the managers of their team: one workspace, one
    team), as mark_statement would mark them, by a statement built once: building it was
    most of a /log follow-up's commit, one log's or a batch's (bot/followups.py)."""
    if len(marks.users) != 1 or len(marks.managers_of) > 1 or any((
            marks.members_of, marks.admins_of, marks.admins_of_teams, marks.members,
            marks.reviews)):
        return None
    [(workspace_id, users)] = marks.users.items()
    if not users or len(users) > MANY:
        return None
    if len(users) == 1:
        params: dict = {"rep_workspace": workspace_id, "rep_user": next(iter(users))}
        statements = (_REP, _REP_AND_MANAGERS)
    else:
        params = {"rep_workspace": workspace_id, "rep_users": sorted(users)}
        statements = (_REPS, _REPS_AND_MANAGERS)
    if not marks.managers_of:
        return statements[0], params
    return statements[1], {**params, "rep_team": next(iter(marks.managers_of))}


def _rep_statements(rep: object) -> tuple[object, object]:
    managers = exists(core_select(1).select_from(M.join(TM, TM.c.member_id == M.c.id)).where(
        _person(), TM.c.team_id == bindparam("rep_team"), TM.c.is_manager == true()))
    return (update(HV).where(HV.c.stale == false(), rep).values(stale=True),
            update(HV).where(HV.c.stale == false(), or_(rep, managers)).values(stale=True))


# (Not named as HomeView's columns: an UPDATE reserves those names for its SET values.)
_REP, _REP_AND_MANAGERS = _rep_statements(and_(HV.c.workspace_id == bindparam("rep_workspace"),
                                               HV.c.user_id == bindparam("rep_user")))
_REPS, _REPS_AND_MANAGERS = _rep_statements(and_(
    HV.c.workspace_id == bindparam("rep_workspace"),
    HV.c.user_id.in_(bindparam("rep_users", expanding=True))))


# ----------------------------------------------------------------- the rows

def get(session: Session, *, workspace_id: str, user_id: str) -> HomeView | None:
    return session.exec(select(HomeView).where(
        HomeView.workspace_id == workspace_id, HomeView.user_id == user_id)).first()


def _due(gap: timedelta, now: datetime) -> object:
    return or_(HV.c.published_at.is_(None), HV.c.published_at <= _utc(now) - gap)


def _utc(at: datetime) -> datetime:
    # SQLite keeps no offset: times are stored, and so compared, in UTC.
    return at.astimezone(UTC)


def _claim(session: Session, row_id: int, now: datetime, *conditions: object) -> bool:
    """Compare-and-set: this process publishes the Home now (nobody else did meanwhile)."""
    result = session.execute(update(HV).where(HV.c.id == row_id, *conditions)
                             .values(stale=False, published_at=_utc(now)))
    return result.rowcount == 1


def opened(session: Session, *, workspace_id: str, user_id: str, now: datetime,
           shown: bool, gap: timedelta) -> int | None:
    """The person opened their Home. Its row's id when it is to be published now (the
    first time, when Slack shows none, when it is stale, or when the last publish is over
    `gap` old), else None."""
    row = get(session, workspace_id=workspace_id, user_id=user_id)
    if row is None:
        try:
            with session.begin_nested():  # the same person opening it twice at once
                row = HomeView(workspace_id=workspace_id, user_id=user_id,
                               opened_at=_utc(now), published_at=_utc(now))
                session.add(row)
            return row.id
        except IntegrityError:
            row = get(session, workspace_id=workspace_id, user_id=user_id)
    session.execute(update(HV).where(HV.c.id == row.id).values(opened_at=_utc(now)))
    due = () if not shown else (or_(HV.c.stale == true(), _due(gap, now)),)
    return row.id if _claim(session, row.id, now, *due) else None


def claim_now(session: Session, *, workspace_id: str, user_id: str,
              now: datetime) -> int | None:
    """Publish now, whatever the minute says (the person pressed something on their Home).
    None for someone who never opened it."""
    row = get(session, workspace_id=workspace_id, user_id=user_id)
    return row.id if row is not None and _claim(session, row.id, now) else None


def stale(session: Session, *, now: datetime, gap: timedelta,
          workspace_id: str | None = None, limit: int = 1000) -> list[HomeView]:
    """Stale Homes whose last publish is over `gap` old, the longest-waiting first."""
    query = select(HomeView).where(col(HomeView.stale) == true(), _due(gap, now))
    if workspace_id:
        query = query.where(HomeView.workspace_id == workspace_id)
    return list(session.exec(query.order_by(HomeView.published_at, HomeView.id)
                             .limit(limit)).all())


def claim_stale(session: Session, *, row_id: int, now: datetime, gap: timedelta) -> bool:
    return _claim(session, row_id, now, HV.c.stale == true(), _due(gap, now))


def published(session: Session, *, row_id: int) -> None:
    session.execute(update(HV).where(HV.c.id == row_id, HV.c.failures > 0).values(failures=0))


def failed(session: Session, *, row_id: int) -> bool:
    """Slack refused the publish: stale again (the next tick after a minute retries) while
    it has failed fewer than MAX_FAILURES times in a row. True when it will be retried."""
    result = session.execute(update(HV).where(HV.c.id == row_id,
                                              HV.c.failures < MAX_FAILURES - 1)
                             .values(stale=True, failures=HV.c.failures + 1))
    if result.rowcount == 0:
        session.execute(update(HV).where(HV.c.id == row_id)
                        .values(failures=HV.c.failures + 1))
    return result.rowcount == 1
