"""/log's ack and what follows it: the ack carries nothing (or the parse error), the
confirmation comes by response_url, a log undone before its confirmation gets none and no
customer, the team read from memory follows roster changes, and the `log-followups` job
settles a log whose follow-up never ran."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.deps import Who
from bot.grammar.log import parse_log
from bot.jobs.log_followups import GRACE
from bot.jobs.registry import run_job
from bot.services import activity as logs
from bot.slack.signing import command_body, sign
from bot.slack.users import QUICK_TIMEOUT, Profile, zone
from store import teams
from store.models import Activity, Customer
from tests.conftest import CHANNEL, SECRET, USERS, WORKSPACE, Bot, make_deps
from tests.fakes import FakeSlack


class HoldingSlack(FakeSlack):
    """Slack that holds one response_url (/response/hold) unanswered until released (or
    HOLD seconds pass)."""

    HOLD = 30

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.holding, self.release = threading.Event(), threading.Event()

    def handle(self, path: str, args: dict, token: str) -> tuple[int, dict, dict]:
        if path.startswith("/response/hold"):
            self.holding.set()
            self.release.wait(self.HOLD)
        return super().handle(path, args, token)


@pytest.fixture
def held(tmp_path: Path, clock) -> Iterator[Bot]:  # noqa: ANN001
    fake = HoldingSlack(users=USERS, team_id=WORKSPACE).start()
    settings, deps = make_deps(f"sqlite:///{tmp_path / 'held.db'}", fake, clock)
    with deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0ALICE", "U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=clock.now())
    bot = Bot(settings, deps, fake)
    yield bot
    fake.release.set()
    bot.close()
    fake.stop()
    assert fake.problems == [], fake.problems


def raw_log(bot: Bot, text: str, response_url: str, user: str = "U0ALICE") -> object:
    body = command_body("/log", text, user_id=user, team_id=WORKSPACE, channel_id=CHANNEL,
                        response_url=response_url)
    return bot.post(body, sign(SECRET, body))


def logs_of(bot: Bot) -> list[Activity]:
    with bot.deps.sessions() as session:
        return list(session.exec(select(Activity).order_by(Activity.id)))


def customer_names(bot: Bot) -> list[str]:
    with bot.deps.sessions() as session:
        return sorted(session.exec(select(Customer.name)))


def test_the_ack_is_empty_and_the_confirmation_follows_by_response_url(bot: Bot) -> None:
    ack = raw_log(bot, "visit Acme Corp", bot.fake.response_url("one"))
    assert (ack.status, ack.body) == (200, {})
    bot.settle()
    [confirmation] = bot.fake.find("response_url")
    assert confirmation.path == "/response/one"
    assert confirmation.args["response_type"] == "ephemeral"
    assert "Logged *1 visit* with Acme Corp" in confirmation.args["text"]
    [row] = logs_of(bot)
    assert row.customer_id is not None and not row.settle_pending  # settled after the ack
    assert customer_names(bot) == ["Acme Corp"]


def test_a_parse_error_is_answered_in_the_ack_and_saves_nothing(bot: Bot) -> None:
    ack = raw_log(bot, "vist Acme", bot.fake.response_url("bad"))
    assert "Did you mean" in ack.text or "⚠️" in ack.text
    assert ack.body["response_type"] == "ephemeral" and "/log visit Acme" in ack.text
    bot.settle()
    assert logs_of(bot) == [] and bot.fake.find("response_url") == []


def test_a_log_undone_before_its_confirmation_gets_none_and_links_no_customer(
        held: Bot) -> None:
    # Alice's first confirmation is held by Slack, so her second log's follow-up waits.
    raw_log(held, "visit Acme", held.fake.response_url("hold"))
    assert held.fake.holding.wait(10)
    assert raw_log(held, "call Globex", held.fake.response_url("second")).body == {}
    undone = raw_log(held, "undo", held.fake.response_url("undo"))
    assert "Undone: 1 call with Globex" in undone.text  # the pending log, from the ack path
    held.fake.release.set()
    held.settle()
    paths = [c.path for c in held.fake.find("response_url")]
    assert paths == ["/response/hold"]  # no "Logged" for what is already undone
    visit, call = logs_of(held)
    assert call.deleted_at is not None and call.customer_id is None
    assert not call.settle_pending
    assert customer_names(held) == ["Acme"]  # Globex was never made a lead


def test_confirmations_of_one_person_come_in_the_order_of_their_logs(held: Bot) -> None:
    raw_log(held, "visit Acme", held.fake.response_url("hold"))
    assert held.fake.holding.wait(10)
    raw_log(held, "call Acme", held.fake.response_url("second"))
    raw_log(held, "电话 阿里巴巴", held.fake.response_url("bo"), user="U0BO")
    held.fake.wait_for("response_url")  # Bo's is not held up by Alice's
    assert [c.path for c in held.fake.find("response_url")] == ["/response/bo"]
    held.fake.release.set()
    held.settle()
    paths = [c.path for c in held.fake.find("response_url")]
    assert paths == ["/response/bo", "/response/hold", "/response/second"]
    second = held.fake.find("response_url")[-1].args["text"]
    assert "Logged *1 call* with Acme" in second
    assert customer_names(held) == ["Acme", "阿里巴巴"]  # the call found the visit's lead


def test_a_person_added_to_a_team_logs_for_it_at_once(bot: Bot) -> None:
    assert "not on a Pacer team yet" in bot.command("visit Acme", user="U0STRAY").text
    with bot.deps.sessions() as session:
        teams.add_members(session, workspace_id=WORKSPACE, name="East", user_ids=["U0STRAY"],
                          now=bot.deps.clock.now())
    reply = bot.command("visit Globex", user="U0STRAY")
    assert "not on a Pacer team yet" not in reply.text
    first, second = logs_of(bot)
    assert first.team_id is None and second.team_id is not None


def test_the_job_settles_a_log_whose_follow_up_never_ran(bot: Bot) -> None:
    deps = bot.deps
    who = Who(WORKSPACE, "U0BO", Profile(tz=zone("Asia/Shanghai"), locale="zh-CN"))
    entry = parse_log("拜访 华为", now=deps.clock.now(), tz=who.profile.tz,
                      currency="CNY", customers=[], rep_lang="zh").entry
    activity_id = logs.record(deps, who, entry, "拜访 华为", "trigger-cut-off")
    assert logs.record(deps, who, entry, "拜访 华为", "trigger-cut-off") is None  # a retry
    [row] = logs_of(bot)
    assert row.id == activity_id and row.settle_pending and row.customer_id is None
    too_soon = run_job(deps, "log-followups", now=deps.clock.now())
    assert too_soon.sent == 0 and logs_of(bot)[0].settle_pending  # a live worker may have it
    later = deps.clock.now() + 2 * GRACE
    assert run_job(deps, "log-followups", now=later).sent == 1
    [row] = logs_of(bot)
    assert not row.settle_pending and customer_names(bot) == ["华为"]
    assert run_job(deps, "log-followups", now=later).sent == 0  # once


class SlowSlack(FakeSlack):
    """Slack whose users.info answers later than the bot waits before an ack (the first
    `slow` times), as under heavy load."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.slow, self.asked = 2, 0
        self.gate = threading.Event()  # never set: each slow answer waits out its timeout

    def handle(self, path: str, args: dict, token: str) -> tuple[int, dict, dict]:
        if path.endswith("/users.info"):
            self.asked += 1
            if self.slow > 0:
                self.slow -= 1
                self.gate.wait(QUICK_TIMEOUT + 0.5)
        return super().handle(path, args, token)


def test_a_slow_users_info_is_not_retried_before_the_ack(tmp_path: Path, clock) -> None:  # noqa: ANN001
    fake = SlowSlack(users=USERS, team_id=WORKSPACE).start()
    settings, deps = make_deps(f"sqlite:///{tmp_path / 'slow.db'}", fake, clock)
    with deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0ALICE"], tz="Asia/Shanghai",
                          currency="CNY", now=clock.now())
    bot = Bot(settings, deps, fake)
    try:
        # Retried, the timed-out users.info took two timeouts: past Slack's 3 seconds
        # with the rest, and Bolt answered 404 "unhandled request".
        ack = raw_log(bot, "visit Acme Corp", fake.response_url("slow"))
        assert (ack.status, ack.body) == (200, {})
        assert fake.asked == 1  # one try, given up after its timeout
        bot.settle()
        [confirmation] = fake.find("response_url")
        assert "Logged *1 visit* with Acme Corp" in confirmation.args["text"]
        # The team's zone stood in; after the ack, the follow-up asked Slack again (slow
        # once more, then retried as usual) and Alice's own zone is remembered.
        assert (fake.slow, fake.asked) == (0, 2)
        profile = deps.users.cached(WORKSPACE, "U0ALICE")
        assert profile is not None and profile.tz == zone("America/New_York")
    finally:
        bot.close()
        fake.stop()
    assert fake.problems == [], fake.problems


def test_before_the_ack_a_timeout_is_not_retried_a_refused_connection_is() -> None:
    from urllib.error import URLError

    from bot.slack.users import _RetryRefusedOnly

    handler = _RetryRefusedOnly(max_retry_count=1)

    def retried(error: Exception) -> bool:
        return handler._can_retry(state=None, request=None, response=None, error=error)

    assert not retried(URLError(TimeoutError("timed out")))  # connecting timed out
    assert not retried(TimeoutError("timed out"))  # the answer timed out
    assert retried(URLError(ConnectionRefusedError(111, "refused")))
    assert retried(ConnectionResetError())


def test_the_job_leaves_a_follow_up_still_queued_to_the_pool(held: Bot) -> None:
    # Under a burst the follow-ups trail the acks past the job's grace. Settled by the job,
    # a log's confirmation (sent by the pool all the same) lost its new-customer note.
    raw_log(held, "visit Acme", held.fake.response_url("hold"))
    assert held.fake.holding.wait(10)
    raw_log(held, "visit Globex", held.fake.response_url("second"))  # queued behind it
    queued = logs_of(held)[-1]
    assert queued.settle_pending
    later = held.deps.clock.now() + 2 * GRACE
    assert run_job(held.deps, "log-followups", now=later).sent == 0
    assert logs_of(held)[-1].settle_pending
    held.fake.release.set()
    held.settle()
    second = held.fake.find("response_url")[-1]
    assert second.path == "/response/second"
    assert "New customer *Globex* added to your leads" in json.dumps(second.args["blocks"],
                                                                    ensure_ascii=False)
    assert not logs_of(held)[-1].settle_pending
    assert run_job(held.deps, "log-followups", now=later).sent == 0
