"""What the /log follow-ups queued together read once for the batch (bot/services/
activity.py: follow_ups): the totals of the batch's people in one read, and a name's match
against the team's customers once, until a log of the batch makes a customer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import event

from bot.deps import Who
from bot.grammar.log import parse_log
from bot.services import activity as logs
from bot.slack.users import Profile, zone
from store import activity, customers
from store.models import Activity
from tests.conftest import WORKSPACE, Bot

TZ = zone("Asia/Shanghai")


def _who(user: str) -> Who:
    return Who(WORKSPACE, user, Profile(tz=TZ, locale="en-US"))


def _record(bot: Bot, user: str, text: str, source: str) -> int:
    entry = parse_log(text, now=bot.deps.clock.now(), tz=TZ, currency="CNY", customers=[],
                      rep_lang="en").entry
    return logs.record(bot.deps, _who(user), entry, text, source)


def test_the_batchs_totals_read_together_are_each_persons_day_and_week(
        bot_on_each_database: Bot) -> None:
    deps = bot_on_each_database.deps
    monday, sunday = date(2026, 11, 16), date(2026, 11, 22)
    rows = [  # (user, kind, count, amount, currency, day, undone)
        ("U0ALICE", "visit", 2, None, None, monday, False),
        ("U0ALICE", "visit", 1, None, None, monday + timedelta(days=2), False),
        ("U0ALICE", "deal", 1, Decimal("1234.56"), None, monday, False),
        ("U0ALICE", "deal", 1, Decimal("0.10"), None, monday, False),
        ("U0ALICE", "deal", 1, Decimal("0.20"), None, monday + timedelta(days=1), False),
        ("U0ALICE", "deal", 1, Decimal("99.99"), "USD", monday + timedelta(days=1), False),
        ("U0ALICE", "call", 5, None, None, monday + timedelta(days=1), True),  # undone
        ("U0ALICE", "call", 3, None, None, monday - timedelta(days=1), False),  # last week
        ("U0BO", "deal", 1, Decimal("50000"), None, sunday, False),
        ("U0BO", "deal", 2, Decimal("0.70"), None, sunday, False),
        ("U0BO", "call", 4, None, None, monday, False),
        ("U0MEI", "visit", 1, None, None, sunday + timedelta(days=1), False),  # next week
    ]
    with deps.sessions() as session:
        for n, (user, kind, count, amount, currency, day, undone) in enumerate(rows):
            session.add(Activity(
                workspace_id=WORKSPACE, user_id=user, kind=kind, count=count, amount=amount,
                currency=currency, occurred_on=day, text="t", source=f"s{n}",
                recorded_at=deps.clock.now(),
                deleted_at=deps.clock.now() if undone else None))
        session.commit()
        people = ["U0ALICE", "U0BO", "U0MEI", "U0STRAY"]
        found = activity.day_and_week_totals_many(session, workspace_id=WORKSPACE,
                                                  user_ids=people, week_start=monday,
                                                  week_end=sunday)
        assert len(found) == len(people) * 7
        for user in people:
            for day in (monday + timedelta(days=i) for i in range(7)):
                alone = activity.day_and_week_totals(session, workspace_id=WORKSPACE,
                                                     user_id=user, day=day, week_start=monday,
                                                     week_end=sunday)
                assert found[user, day] == alone
                assert [list(d) for d in found[user, day]] == [list(d) for d in alone]
    alice_monday = found["U0ALICE", monday]
    assert alice_monday[0]["deal"] == activity.KindTotal(2, Decimal("1234.66"))
    # The USD deal counted in the week, not summed.
    assert alice_monday[1]["deal"] == activity.KindTotal(4, Decimal("1234.86"))
    assert "call" not in alice_monday[1]  # undone, and last week's


def test_a_batch_with_several_people_reads_their_totals_once(bot: Bot) -> None:
    deps = bot.deps
    queued = [(_who(user), _record(bot, user, text, f"t{n}")) for n, (user, text) in
              enumerate((("U0ALICE", "3 calls"), ("U0BO", "2 calls"), ("U0ALICE", "1 call"),
                         ("U0BO", "visit Initech")))]
    selects: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "sum(" in statement.lower():
            selects.append(statement)

    event.listen(deps.engine, "before_cursor_execute", seen)
    try:
        shown = logs.follow_ups(deps, queued)
    finally:
        event.remove(deps.engine, "before_cursor_execute", seen)
    assert len(selects) == 1
    assert [(s.day_total.count, s.week_total.count) for s in shown] == [
        (4, 4), (2, 2), (4, 4), (1, 1)]


def _close_reads(bot: Bot, queued: list[tuple[Who, int]]) -> tuple[list, int]:
    reads: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if " LIKE " in statement.upper():
            reads.append(statement)

    event.listen(bot.deps.engine, "before_cursor_execute", seen)
    try:
        shown = logs.follow_ups(bot.deps, queued)
    finally:
        event.remove(bot.deps.engine, "before_cursor_execute", seen)
    return shown, len(reads)


def test_a_name_close_to_others_is_matched_once_for_the_batch(bot: Bot) -> None:
    logs.follow_ups(bot.deps, [(_who("U0ALICE"), _record(bot, "U0ALICE", "visit Acme Corp",
                                                        "before"))])
    queued = [(_who(user), _record(bot, user, text, f"t{n}")) for n, (user, text) in
              enumerate((("U0ALICE", "visit Acme"), ("U0BO", "call Acme")))]
    shown, reads = _close_reads(bot, queued)
    assert reads == 1
    assert [[c.name for c in s.link.candidates] for s in shown] == [["Acme Corp"]] * 2


def test_a_customer_made_in_the_batch_is_among_a_later_logs_matches(bot: Bot) -> None:
    logs.follow_ups(bot.deps, [(_who("U0ALICE"), _record(bot, "U0ALICE", "visit Acme Corp",
                                                        "before"))])
    queued = [(_who(user), _record(bot, user, text, f"t{n}")) for n, (user, text) in
              enumerate((("U0ALICE", "visit Acme"), ("U0BO", "visit Acme Inc"),
                         ("U0ALICE", "call Acme"), ("U0BO", "call Acme Inc")))]
    shown, reads = _close_reads(bot, queued)
    assert [[c.name for c in s.link.candidates] for s in shown] == [
        ["Acme Corp"], [], ["Acme Corp", "Acme Inc"], []]
    assert shown[1].link.created and shown[3].link.customer is shown[1].link.customer
    assert reads == 3  # Acme, Acme Inc (made), Acme again after it was made
    with bot.deps.sessions() as session:
        assert customers.match(session, team_id=shown[1].link.customer.team_id,
                               name="Acme").candidates[1].name == "Acme Inc"


