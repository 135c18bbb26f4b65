"""The App Home marks of /log follow-ups (one rep's, or a batch's several reps' of one
workspace, with the managers of their team) go by statements built once (store/homes.py:
_reps); they must mark exactly the Homes mark_statement marks for the same marks."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from store import customers, homes, teams
from store.models import HomeView
from tests.conftest import WORKSPACE, Bot

PEOPLE = ("U0ALICE", "U0BO", "U0MEI", "U0KAI", "U0LIN")


def _marked(bot: Bot, statement: object, params: dict | None = None) -> list[str]:
    """The Homes `statement` marks stale, all of them fresh before."""
    with bot.deps.sessions() as session:
        session.execute(update(HomeView).values(stale=False))
        session.execute(statement, params or {})
        return sorted(session.exec(select(HomeView.user_id).where(HomeView.stale)))


def test_a_batchs_marks_by_the_built_statements_are_mark_statements(
        bot_on_each_database: Bot) -> None:
    bot = bot_on_each_database
    deps = bot.deps
    with deps.sessions() as session:
        west = teams.create_team(session, workspace_id=WORKSPACE, name="West",
                                 channel_id="C0WEST", managers=["U0KAI"], members=["U0LIN"],
                                 tz="UTC", currency="USD", now=deps.clock.now())
        east = teams.team_for_user(session, workspace_id=WORKSPACE, user_id="U0ALICE")
        for user in PEOPLE:
            session.add(HomeView(workspace_id=WORKSPACE, user_id=user,
                                 opened_at=deps.clock.now(), published_at=deps.clock.now()))
    cases = [({"U0ALICE"}, set()), ({"U0ALICE"}, {east.id}), ({"U0ALICE", "U0BO"}, set()),
             ({"U0ALICE", "U0LIN"}, {east.id}), ({"U0BO", "U0LIN"}, {west.id})]
    for users, managers_of in cases:
        marks = _marks(users, managers_of)
        built = homes._reps(marks)
        assert built is not None
        assert _marked(bot, *built) == _marked(bot, homes.mark_statement(marks)), (
            users, managers_of)
    assert _marked(bot, *homes._reps(_marks({"U0ALICE", "U0LIN"}, {west.id}))) == [
        "U0ALICE", "U0KAI", "U0LIN"]  # the reps, and West's manager


def test_a_name_that_folds_to_nothing_is_no_exact_customer(bot: Bot) -> None:
    with bot.deps.sessions() as session:
        assert customers.exact_many(session, team_id=1, names=[" ", ""]) == {}


def _marks(users: set[str], managers_of: set[int]) -> homes.Marks:
    marks = homes.Marks()
    marks.user(WORKSPACE, *users)
    marks.managers_of.update(managers_of)
    return marks


def test_marks_the_built_statements_do_not_cover_go_by_mark_statement() -> None:
    many = _marks({f"U{i:05d}" for i in range(homes.MANY + 1)}, set())
    two_teams = _marks({"U0ALICE"}, {1, 2})
    other_workspace = _marks({"U0ALICE"}, set())
    other_workspace.user("T0OTHER", "U0BO")
    admins = _marks({"U0ALICE"}, set())
    admins.admins_of.add(WORKSPACE)
    assert [homes._reps(m) for m in (many, two_teams, other_workspace, admins,
                                     homes.Marks())] == [None] * 5
