"""/log's follow-ups queued together: a runner of the follow-up pool takes them at once
(bot/followups.py), in order, one person's never on two threads, and settles them in one
transaction (bot/services/activity.py: follow_ups), each confirmed exactly once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from slack_bolt import Respond
from sqlalchemy import event
from sqlmodel import select

from bot.deps import Who
from bot.followups import FollowUps
from bot.grammar.log import parse_log
from bot.jobs.log_followups import GRACE
from bot.services import activity as logs
from bot.slack.users import Profile, zone
from handlers.log import confirm
from store import rosters, teams
from store.models import Activity, Customer, HomeView, StageChange
from tests.conftest import WORKSPACE, Bot
from tests.handlers.test_log_followups import customer_names, logs_of


def test_follow_ups_queued_behind_a_busy_runner_are_taken_together_in_order() -> None:
    pool = FollowUps()
    pool.THREADS = 1
    gate, started = threading.Event(), threading.Event()
    calls: list[list[tuple]] = []

    def fn(items: list[tuple]) -> None:
        calls.append(items)
        started.set()
        gate.wait(10)

    pool.submit("alice", fn, "a1", settles="a1")
    assert started.wait(10)
    for key, item in (("bo", "b1"), ("cai", "c1"), ("alice", "a2"), ("bo", "b2")):
        pool.submit(key, fn, item, settles=item)
    assert pool.settling() == {"a1", "b1", "c1", "a2", "b2"}
    gate.set()
    pool.wait()
    assert calls == [[("a1",)], [("b1",), ("c1",), ("a2",), ("b2",)]]
    assert pool.settling() == frozenset()


def test_one_persons_follow_ups_never_run_on_two_threads_at_once() -> None:
    pool = FollowUps()
    running: dict[str, int] = {}
    overlap: list[str] = []
    seen: list[str] = []
    lock = threading.Lock()

    def fn(items: list[tuple]) -> None:
        people = {key for key, _ in items}
        with lock:
            for key in people:
                if running.get(key):
                    overlap.append(key)
                running[key] = running.get(key, 0) + 1
            seen.extend(item for _, item in items)
        threading.Event().wait(0.002)
        with lock:
            for key in people:
                running[key] -= 1

    for i in range(300):
        key = f"p{i % 7}"
        pool.submit(key, fn, key, f"{key}:{i}")
    pool.wait()
    assert overlap == []
    assert sorted(seen) == sorted(f"p{i % 7}:{i}" for i in range(300))  # each once
    for person in (f"p{k}" for k in range(7)):  # and each person's in their order
        mine = [int(s.split(":")[1]) for s in seen if s.startswith(person + ":")]
        assert mine == sorted(mine)


def test_a_follow_up_that_raises_is_logged_and_the_next_ones_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    pool = FollowUps()
    pool.THREADS = 1
    done: list[tuple] = []

    def boom(items: list[tuple]) -> None:
        raise RuntimeError("boom")

    pool.submit("alice", boom, "a1", settles="a1")
    pool.submit("alice", lambda items: done.extend(items), "a2", settles="a2")
    pool.wait()
    assert done == [("a2",)]
    assert "a /log follow-up failed" in caplog.text and "boom" in caplog.text
    assert pool.settling() == frozenset()  # neither is left marked as being settled here


def test_logs_settled_together_share_one_commit_and_find_each_others_customers(
        bot_on_each_database: Bot) -> None:
    bot = bot_on_each_database
    deps = bot.deps
    with deps.sessions() as session:  # Alice's and Bo's Homes, open and up to date
        for user in ("U0ALICE", "U0BO"):
            session.add(HomeView(workspace_id=WORKSPACE, user_id=user,
                                 opened_at=deps.clock.now(), published_at=deps.clock.now()))
    alice = Who(WORKSPACE, "U0ALICE", Profile(tz=zone("America/New_York"), locale="en-US"))
    bo = Who(WORKSPACE, "U0BO", Profile(tz=zone("Asia/Shanghai"), locale="zh-CN"))
    queued = []
    for n, (who, text) in enumerate(((alice, "visit Initech"), (bo, "拜访 华为"),
                                     (alice, "call Initech"))):
        entry = parse_log(text, now=deps.clock.now(), tz=who.profile.tz, currency="CNY",
                          customers=[], rep_lang="en" if who is alice else "zh").entry
        queued.append((who, logs.record(deps, who, entry, text, f"trigger-{n}")))
    writes: list[str] = []  # the transactions that wrote, as they commit

    def wrote(conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            conn.info["test_wrote"] = True

    def committed(conn) -> None:  # noqa: ANN001
        if conn.info.pop("test_wrote", False):
            writes.append("commit")

    event.listen(deps.engine, "before_cursor_execute", wrote)
    event.listen(deps.engine, "commit", committed)
    try:
        visit, huawei, call = logs.follow_ups(deps, queued)
    finally:
        event.remove(deps.engine, "before_cursor_execute", wrote)
        event.remove(deps.engine, "commit", committed)
    assert writes == ["commit"]  # the three settled in one write transaction
    assert visit.link.created and not call.link.created  # the call found the visit's lead
    assert call.link.customer.id == visit.link.customer.id
    assert huawei.link.created
    assert (visit.day_total.count, call.day_total.count) == (1, 1)  # a visit, a call
    assert [row.settle_pending for row in logs_of(bot)] == [False, False, False]
    assert customer_names(bot) == ["Initech", "华为"]
    with deps.sessions() as session:  # both marked stale by the one commit
        assert sorted(session.exec(select(HomeView.user_id).where(HomeView.stale))) == [
            "U0ALICE", "U0BO"]
    assert logs.follow_ups(deps, queued[:1])[0].link is None  # settled once: not again


def test_the_teams_of_several_people_read_together_are_each_ones_log_team(bot: Bot) -> None:
    with bot.deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="West", channel_id="C0WEST",
                          managers=["U0ALICE"], members=["U0MEI", "U0NEW"], tz="UTC",
                          currency="USD", now=bot.deps.clock.now())
        people = ["U0ALICE", "U0BO", "U0MEI", "U0NEW", "U0STRAY"]
        together = rosters.log_teams(session, workspace_id=WORKSPACE, user_ids=people)
        alone = {user: rosters.log_team(session, workspace_id=WORKSPACE, user_id=user)
                 for user in people}
    assert together == alone
    assert together["U0STRAY"] is None and together["U0MEI"].currency == "USD"
    assert together["U0ALICE"].currency == "CNY"  # a rep on East before a manager of West


def test_follow_ups_wait_while_acks_keep_coming_at_most_defer() -> None:
    pool = FollowUps()
    # QUIET well above the 20 ms between acks: a busy machine oversleeps a sleep(0.02).
    pool.QUIET, pool.DEFER = 0.25, 0.6
    ran: list[tuple[float, str]] = []

    def fn(items: list[tuple]) -> None:
        ran.extend((time.monotonic(), item) for (item,) in items)

    started = time.monotonic()
    for i in range(50):  # a burst: a new ack every 20 ms for 1 s or more
        pool.submit(f"p{i}", fn, f"log{i}")
        time.sleep(0.02)
    ended = time.monotonic()
    pool.wait()
    assert sorted(item for _, item in ran) == sorted(f"log{i}" for i in range(50))
    # The first came alone (nothing told it a burst was starting): confirmed at once.
    assert min(at for at, item in ran if item == "log0") - started < 0.6
    first = min(at for at, item in ran if item == "log1")
    assert first - started >= 0.6  # not during the burst, before DEFER
    assert first < ended  # but once DEFER passed, while the burst went on
    last = max(at for at, _ in ran)
    assert last >= ended  # the rest when it was over


def test_a_lone_follow_up_does_not_wait_for_quiet() -> None:
    pool = FollowUps()
    pool.QUIET = pool.DEFER = 30.0  # were it taken for a burst, it would wait 30 s
    ran: list[str] = []
    pool.submit("p", lambda items: ran.extend(item for (item,) in items), "log")
    pool.wait(timeout=5)
    assert ran == ["log"]


def test_a_deferred_follow_up_is_never_old_enough_for_another_processs_repair() -> None:
    # Another process's `log-followups` job settles logs older than GRACE without the
    # confirmation's customer note: a burst must not hold one back that long.
    assert timedelta(seconds=FollowUps.DEFER) < GRACE


def _two_logs(bot: Bot, name: str) -> list[tuple]:
    """Alice's "visit Initech" and Bo's "拜访 华为", recorded as before their acks, as the
    follow-up pool hands them to `confirm` (their confirmations to /response/NAME-0 and -1)."""
    deps = bot.deps
    alice = Who(WORKSPACE, "U0ALICE", Profile(tz=zone("America/New_York"), locale="en-US"))
    bo = Who(WORKSPACE, "U0BO", Profile(tz=zone("Asia/Shanghai"), locale="zh-CN"))
    items = []
    for n, (who, text) in enumerate(((alice, "visit Initech"), (bo, "拜访 华为"))):
        entry = parse_log(text, now=deps.clock.now(), tz=who.profile.tz, currency="CNY",
                          customers=[], rep_lang="en" if who is alice else "zh").entry
        activity_id = logs.record(deps, who, entry, text, f"trigger-{n}")
        items.append((deps, who, activity_id,
                      Respond(response_url=bot.fake.response_url(f"{name}-{n}")), None))
    return items


def _confirm_refusing(bot: Bot, items: list[tuple], refuse) -> None:  # noqa: ANN001
    """`confirm(items)` while `refuse` (a before_cursor_execute listener that raises) sees
    every statement the database is sent."""
    event.listen(bot.deps.engine, "before_cursor_execute", refuse)
    try:
        confirm(items)
    finally:
        event.remove(bot.deps.engine, "before_cursor_execute", refuse)


def test_a_batch_that_fails_is_settled_and_confirmed_one_log_at_a_time(bot: Bot) -> None:
    """The follow-ups taken together fail (here the database refuses their shared claim):
    each is then tried alone, so every log is still settled and confirmed once."""
    items = _two_logs(bot, "batch")

    refused = []

    def refuse_the_shared_claim(conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        upper = statement.upper()
        if upper.lstrip().startswith("UPDATE ACTIVITIES") and " IN (" in upper:
            refused.append(statement)  # the claim of several rows (one row's: "id = ?")
            raise RuntimeError("the database refused the batch")

    _confirm_refusing(bot, items, refuse_the_shared_claim)
    assert len(refused) == 1  # the batch was tried, refused, and not tried again
    sent = {c.path: c.args["text"] for c in bot.fake.find("response_url")}
    assert "Initech" in sent["/response/batch-0"] and "华为" in sent["/response/batch-1"]
    assert len(bot.fake.find("response_url")) == 2  # each once
    assert [row.settle_pending for row in logs_of(bot)] == [False, False]
    assert customer_names(bot) == ["Initech", "华为"]


def test_a_log_that_fails_alone_too_stays_owed_and_the_others_are_confirmed(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """The batch fails, and so does one of its logs alone: that one is logged, left
    unsettled for the `log-followups` job, and not confirmed; the other is, once."""
    items = _two_logs(bot, "alone")
    bos_log = items[1][2]

    def refuse_bos_claims(conn, _cursor, statement, parameters, *_args) -> None:  # noqa: ANN001
        upper = statement.upper()
        if upper.lstrip().startswith("UPDATE ACTIVITIES") and (
                " IN (" in upper or bos_log in tuple(parameters or ())):
            raise RuntimeError("the database refused it")

    _confirm_refusing(bot, items, refuse_bos_claims)
    assert [c.path for c in bot.fake.find("response_url")] == ["/response/alone-0"]
    assert f"the follow-up of log {bos_log} failed" in caplog.text
    assert [row.settle_pending for row in logs_of(bot)] == [False, True]  # Bo's still owed


def _settled_state(bot: Bot, team_id: int) -> tuple[list, list, list]:
    """Per log of `team_id` in order: its customer's name and whether it was new business;
    the team's customers with their stages; their stage moves."""
    with bot.deps.sessions() as session:
        names = {c.id: c.name for c in session.exec(select(Customer).where(
            Customer.team_id == team_id))}
        rows = [(names.get(row.customer_id), row.new_customer, row.settle_pending)
                for row in session.exec(select(Activity).where(Activity.team_id == team_id)
                                        .order_by(Activity.id))]
        leads = sorted((c.name, c.stage) for c in session.exec(select(Customer).where(
            Customer.team_id == team_id)))
        moves = sorted((names[m.customer_id], m.from_stage or "", m.to_stage)
                       for m in session.exec(select(StageChange))
                       if m.customer_id in names)
    return rows, leads, moves


def test_a_batch_links_its_logs_as_one_log_at_a_time_does(bot_on_each_database: Bot) -> None:
    """A batch reads its customers by name at once, before linking any (and matches a name
    it did not find without flushing first): the links, the new-business flags and the
    stage moves are those the repair job's one-at-a-time settling makes of the same logs."""
    bot = bot_on_each_database
    deps = bot.deps
    with deps.sessions() as session:
        west = teams.create_team(session, workspace_id=WORKSPACE, name="West",
                                 channel_id="C0WEST", managers=["U0MEI"],
                                 members=["U0KAI", "U0LIN"], tz="Asia/Shanghai",
                                 currency="CNY", now=deps.clock.now())
        east_id = teams.team_for_user(session, workspace_id=WORKSPACE, user_id="U0ALICE").id
    # (the team's first or second rep, text): a lead known before the batch, one made in it
    # and found again, a close name (ambiguous), deals on one lead, a name in another case.
    lines = [(0, "visit Globex")]
    batch = [(0, "demo Globex"), (0, "visit Acme Corp"), (1, "deal Acme 120k"),
             (0, "deal Acme Corp 50k"), (1, "deal Acme Corp 30k"), (1, "call Initech"),
             (0, "call initech"), (1, "visit Globex")]
    tz = zone("Asia/Shanghai")

    def record(user: str, text: str, n: str) -> int:
        entry = parse_log(text, now=deps.clock.now(), tz=tz, currency="CNY",
                          customers=[], rep_lang="en").entry
        return logs.record(deps, Who(WORKSPACE, user, Profile(tz=tz, locale="en-US")), entry,
                           text, n)

    def who(user: str) -> Who:
        return Who(WORKSPACE, user, Profile(tz=tz, locale="en-US"))

    for team_reps, settle in ((("U0ALICE", "U0BO"), "batch"), (("U0KAI", "U0LIN"), "alone")):
        for n, (rep, text) in enumerate(lines):  # settled before: known to the batch's read
            logs.follow_ups(deps, [(who(team_reps[rep]), record(team_reps[rep], text,
                                                                 f"{settle}-before-{n}"))])
        queued = [(who(team_reps[rep]), record(team_reps[rep], text, f"{settle}-{n}"))
                  for n, (rep, text) in enumerate(batch)]
        if settle == "batch":
            shown = logs.follow_ups(deps, queued)
            ambiguous = shown[2].link
            assert ambiguous.customer is None
            assert [c.name for c in ambiguous.candidates] == ["Acme Corp"]
            assert shown[1].link.created and not shown[3].link.created
            assert shown[0].link.moved_to == "demo"
        else:
            assert all(logs.repair(deps, activity_id) for _, activity_id in queued)
    batched, alone = _settled_state(bot, east_id), _settled_state(bot, west.id)
    assert batched == alone
    rows = batched[0]
    assert rows[1][0] == "Globex" and rows[3][0] is None  # demo Globex; the ambiguous deal
    assert [new for _, new, _ in rows[4:6]] == [True, False]  # the lead's first deal only
