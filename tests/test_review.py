"""The review cycle end to end: the `review` job scripted with a FixedClock through a quarter
end (China's 2026 National Day week) and month ends, the forms opened from the DMs' buttons
and submitted as signed requests to the real app, against the fake Slack.

Team East works in Shanghai with China's public holidays; manager U0MEI (zh, Shanghai), reps
U0BO (zh, Shanghai) and U0ALICE (en, New York); U0HR is the Pacer admin (HR, UTC).
Q3 ends Wed 30 Sep; 1-7 Oct are holidays, so working day 1 is Thu 8 Oct, day 3 (self-assessment
due) Mon 12 Oct, day 5 (rating due) Wed 14 Oct.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot import jobs
from bot.deps import Deps
from bot.render import review as render
from store import reviews as store
from store import teams
from store.models import AuditEntry, ImprovementPlan, Member, Review, ReviewEvent
from tests.conftest import WORKSPACE, Bot
from tests.fakes import FakeSlack
from tests.test_checkin import submit
from tests.test_job_reports import log
from tests.test_jobs import NEW_YORK, SHANGHAI, World, local

HR = "U0HR"


class Cycle(World):
    """World (one database, the fake Slack) plus the real app over HTTP on the same Deps."""

    def __init__(self, database_url: str, fake: FakeSlack) -> None:
        super().__init__(database_url, fake)
        self.backdate(datetime(2026, 8, 1, tzinfo=UTC))
        with self.deps.sessions() as s:
            for member in s.exec(select(Member)).all():
                member.joined_at = datetime(2026, 8, 1, tzinfo=UTC)
                s.add(member)
            teams.set_role(s, workspace_id=WORKSPACE, user_id=HR, role="admin",
                           now=datetime(2026, 8, 1, tzinfo=UTC))
        self.bot = Bot(self.settings, self.deps, fake)

    def run(self, at: datetime, deps: Deps | None = None) -> jobs.RunResult:
        self.clock.set(at)
        return jobs.run_job(deps or self.deps, "review", now=at, team="East")

    def posts(self, user: str) -> list[dict]:
        """What Slack accepted in a person's DM: text and blocks (as JSON)."""
        return [{"text": c.args["text"],
                 "blocks": json.dumps(c.args["blocks"], ensure_ascii=False)}
                for c in self.fake.find("chat.postMessage")
                if c.status == 200 and c.args["channel"] == "D" + user]

    def wait_posts(self, user: str, count: int, timeout: float = 5.0) -> list[dict]:
        """A form's submission sends its DMs after the ack, on the listener's thread."""
        deadline = time.monotonic() + timeout
        while len(self.posts(user)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)
        found = self.posts(user)
        assert len(found) == count, [p["text"] for p in found]
        return found

    def open_form(self, action: str, value: str, user: str) -> dict:
        before = len(self.fake.find("views.open"))
        reply = self.bot.click(action, value, user=user)
        assert reply.status == 200
        view = self.fake.wait_for("views.open", before + 1)[-1].args["view"]
        return json.loads(view) if isinstance(view, str) else view

    def submit(self, view: dict, answers: dict[str, str], user: str) -> dict:
        status, answer = submit(self.bot, view, answers, user=user)
        assert status == 200
        return answer

    def review(self, user: str, period: str) -> Review:
        with self.deps.sessions() as s:
            return s.exec(select(Review).where(Review.user_id == user,
                                               Review.period == period)).one()

    def events(self, user: str, period: str) -> list[tuple[str, str]]:
        rid = self.review(user, period).id
        with self.deps.sessions() as s:
            return [(e.action, e.actor_user_id) for e in s.exec(
                select(ReviewEvent).where(ReviewEvent.review_id == rid)
                .order_by(ReviewEvent.id)).all()]

    def command(self, text: str, user: str) -> str:
        reply = self.bot.command(text, command="/review", user=user)
        assert reply.status == 200
        return reply.text

    def close(self) -> None:
        self.bot.close()
        super().close()


@pytest.fixture
def cycle(database_url: str, fake_slack: FakeSlack) -> Iterator[Cycle]:
    c = Cycle(database_url, fake_slack)
    yield c
    c.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message and view valid


def seed_q3(cycle: Cycle) -> None:
    for day in (date(2026, 9, 7), date(2026, 9, 8), date(2026, 9, 15)):
        log(cycle, "U0BO", "visit", day, count=3, customer="Acme")
    log(cycle, "U0BO", "deal", date(2026, 9, 16), customer="Acme", amount=Decimal(80000),
        new_customer=True)


def button(post: dict, action: str) -> str:
    """The value of the button `action` in a posted message."""
    blocks = json.loads(post["blocks"])
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action:
                return element["value"]
    raise AssertionError(f"no {action} button in {post['text']}")


def write_self(cycle: Cycle, user: str, post: dict, **answers: str) -> dict:
    view = cycle.open_form(render.SELF_OPEN, button(post, render.SELF_OPEN), user)
    return cycle.submit(view, answers, user)


# ----------------------------------------------------------------- a quarter, step by step

def test_a_quarter_end_opens_the_quarters_review_only_on_working_day_one(cycle: Cycle) -> None:
    seed_q3(cycle)
    for at in ("2026-10-01 09:00", "2026-10-07 12:00", "2026-10-08 08:59"):
        assert cycle.run(local(SHANGHAI, at)).sent == 0  # National Day week
    result = cycle.run(local(SHANGHAI, "2026-10-08 09:00"))
    assert (result.sent, result.failed) == (2, 0), result.lines
    with cycle.deps.sessions() as s:
        found = sorted((r.user_id, r.period, r.self_due, r.rating_due)
                       for r in s.exec(select(Review)).all())
    assert found == [("U0ALICE", "2026-Q3", date(2026, 10, 12), date(2026, 10, 14)),
                     ("U0BO", "2026-Q3", date(2026, 10, 12), date(2026, 10, 14))]
    [alice] = cycle.posts("U0ALICE")  # 21:00 the evening before in New York: team time rules
    assert "your self-assessment, please" in alice["text"] and "2026-Q3" in alice["text"]
    assert "Mon 12 Oct" in alice["blocks"] and "(2026-09)" in alice["blocks"]
    assert "no separate monthly review" in alice["blocks"]
    [bo] = cycle.posts("U0BO")
    assert "请填写你的自评" in bo["text"] and "10月12日 周一" in bo["blocks"]
    assert "绩效卡" in bo["blocks"]
    assert cycle.posts("U0MEI") == []
    again = cycle.run(local(SHANGHAI, "2026-10-08 09:05"))
    assert again.sent == 0 and len(cycle.fake.find("chat.postMessage")) == 2
    assert cycle.events("U0BO", "2026-Q3") == [("opened", "")]


def test_the_whole_cycle_with_reminders_escalations_an_appeal_and_a_plan(cycle: Cycle) -> None:
    seed_q3(cycle)
    with cycle.deps.sessions() as s:  # Mei reports to a director: late ratings go there
        teams.create_team(s, workspace_id=WORKSPACE, name="Leads", channel_id=None,
                          managers=["U0DIR"], members=["U0MEI"], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 8, 1, tzinfo=UTC))
    cycle.run(local(SHANGHAI, "2026-10-08 09:00"))
    [bo_request] = cycle.posts("U0BO")

    # Bo's self-assessment: a bad one shows errors beside the fields and saves nothing.
    view = cycle.open_form(render.SELF_OPEN, button(bo_request, render.SELF_OPEN), "U0BO")
    assert view["callback_id"] == render.SELF_FORM and view["title"]["text"] == "绩效自评"
    bad = cycle.submit(view, {"best": "", "improve": "x" * 3001, "grade": "Z"}, "U0BO")
    assert bad["response_action"] == "errors"
    assert set(bad["errors"]) == {"best", "improve", "grade"}
    assert "请填写此项" in bad["errors"]["best"] and "3000" in bad["errors"]["improve"]
    assert cycle.review("U0BO", "2026-Q3").self_at is None
    cycle.clock.set(local(SHANGHAI, "2026-10-09 10:00"))
    good = cycle.submit(view, {"best": "签下 Acme <!channel>", "improve": "回款跟进",
                               "support": "需要法务支持", "grade": "A"}, "U0BO")
    assert good["response_action"] == "update" and "谢谢" in json.dumps(good, ensure_ascii=False)
    [request] = cycle.wait_posts("U0MEI", 1)  # Mei hears at once, in Chinese, with the answers
    assert "已提交" in request["text"] and "签下 Acme &lt;!channel&gt;" in request["blocks"]
    assert "10月14日 周三" in request["blocks"]
    # A second submission edits, once, and is in the history; Mei is not asked twice.
    edited = write_self(cycle, "U0BO", bo_request, best="签下 Acme", improve="回款跟进更及时")
    assert edited["response_action"] == "update"
    assert cycle.review("U0BO", "2026-Q3").self_improve == "回款跟进更及时"
    assert [a for a, _ in cycle.events("U0BO", "2026-Q3")] == [
        "opened", "self_sent", "self_edited"]
    cycle.wait_posts("U0MEI", 1)

    # Mon 12 Oct 09:00, day 3: only Alice (still owing) is reminded, once.
    assert cycle.run(local(SHANGHAI, "2026-10-12 08:59")).sent == 0
    assert cycle.run(local(SHANGHAI, "2026-10-12 09:00")).sent == 1
    assert cycle.run(local(SHANGHAI, "2026-10-12 10:00")).sent == 0
    assert "due by the end of today (Mon 12 Oct)" in cycle.posts("U0ALICE")[-1]["text"]
    assert len(cycle.posts("U0BO")) == 1
    # Before it is late, Mei cannot rate Alice yet.
    refusal = cycle.open_form(render.RATE_OPEN, str(cycle.review("U0ALICE", "2026-Q3").id),
                              "U0MEI")
    assert "提交后或逾期后即可评价" in json.dumps(refusal, ensure_ascii=False)

    # Tue 13 Oct 09:00: Alice's self-assessment is late: Mei is asked to rate without it.
    assert cycle.run(local(SHANGHAI, "2026-10-13 09:00")).sent == 1
    late = cycle.posts("U0MEI")[-1]
    assert "逾期" in late["text"] and "<@U0ALICE>" in late["text"]
    assert ("escalated", "") in cycle.events("U0ALICE", "2026-Q3")

    # Mei rates Bo: the grade starts at the scorecard's; errors per field; then the result.
    bo_review = cycle.review("U0BO", "2026-Q3")
    view = cycle.open_form(render.RATE_OPEN, str(bo_review.id), "U0MEI")
    grade_block = next(b for b in view["blocks"] if b.get("block_id") == "grade")
    assert grade_block["element"].get("initial_option", {}).get("value") == bo_review.score_grade
    assert "需要法务支持" in json.dumps(view, ensure_ascii=False)  # Bo's answers, shown to Mei
    bad = cycle.submit(view, {"grade": "B", "strengths": "", "improvements": "",
                              "next_plan": ""}, "U0MEI")
    assert set(bad["errors"]) == {"strengths", "improvements", "next_plan"}
    assert cycle.review("U0BO", "2026-Q3").rated_at is None
    rated = cycle.submit(view, {"grade": "C", "strengths": "大客户推进", "improvements": "回款",
                                "next_plan": "每月2次深度回访", "comments": ""}, "U0MEI")
    assert rated["response_action"] == "update"
    [_, result] = cycle.wait_posts("U0BO", 2)
    assert "等级 *C*" in result["text"] and "30 分钟" in result["blocks"]
    assert "10月16日 周五" in result["blocks"]  # 3 working days after Tue 13 Oct
    assert button(result, render.APPEAL_OPEN) == str(bo_review.id)
    # Bo can no longer change the self-assessment.
    locked = cycle.open_form(render.SELF_OPEN, str(bo_review.id), "U0BO")
    assert "不能再修改" in json.dumps(locked, ensure_ascii=False)

    # Wed 14 Oct 09:00 (day 5): Mei is reminded about Alice only; Thu 15: the director hears.
    assert cycle.run(local(SHANGHAI, "2026-10-14 09:00")).sent == 1
    assert "今天（10月14日 周三）结束前截止" in cycle.posts("U0MEI")[-1]["text"]
    assert cycle.run(local(SHANGHAI, "2026-10-15 09:00")).sent == 1
    [director] = cycle.posts("U0DIR")
    assert "<@U0MEI>" in director["text"] and "Wed 14 Oct" in director["text"]
    assert cycle.posts(HR) == []

    # Bo appeals (a reason is required) on Thu 15; HR is asked, due 5 working days later.
    cycle.clock.set(local(SHANGHAI, "2026-10-15 11:00"))
    view = cycle.open_form(render.APPEAL_OPEN, str(bo_review.id), "U0BO")
    assert cycle.submit(view, {"reason": ""}, "U0BO")["errors"].keys() == {"reason"}
    assert cycle.submit(view, {"reason": "Q3 大单延期是客户原因"}, "U0BO")[
        "response_action"] == "update"
    [appeal] = cycle.wait_posts(HR, 1)
    assert "appealed" in appeal["text"] and "Thu 22 Oct" in appeal["text"]
    assert "客户原因" in appeal["blocks"]

    # Alice never wrote hers; Mei rates her D on Fri 16 Oct.
    cycle.clock.set(local(SHANGHAI, "2026-10-16 10:00"))
    alice_review = cycle.review("U0ALICE", "2026-Q3")
    view = cycle.open_form(render.RATE_OPEN, str(alice_review.id), "U0MEI")
    assert "尚未提交自评" in json.dumps(view, ensure_ascii=False)
    cycle.submit(view, {"grade": "D", "strengths": "态度积极", "improvements": "拜访量",
                        "next_plan": "每周8次触达"}, "U0MEI")
    [*_, alice_result] = cycle.wait_posts("U0ALICE", 3)
    assert "grade *D*" in alice_result["text"] and "Wed 21 Oct" in alice_result["blocks"]

    # Thu 22 Oct 09:00: HR is reminded; Alice's window closed at the end of Wed 21: final, D,
    # so a plan opens: Mei is asked for targets and a mentor, Alice is told, kindly.
    result = cycle.run(local(SHANGHAI, "2026-10-22 09:00"))
    assert result.failed == 0
    assert cycle.review("U0ALICE", "2026-Q3").final_grade == "D"
    assert "waiting for a decision" in cycle.posts(HR)[-1]["text"]
    setup = cycle.posts("U0MEI")[-1]
    assert "改进计划" in setup["text"] and "<@U0ALICE>" in setup["text"]
    assert "improvement plan" in cycle.posts("U0ALICE")[-1]["text"]
    late_appeal = cycle.open_form(render.APPEAL_OPEN, str(alice_review.id), "U0ALICE")
    assert "closed at the end of Wed 21 Oct" in json.dumps(late_appeal)
    # Fri 23 Oct 09:00: HR still has not decided: HR again, and the director.
    cycle.run(local(SHANGHAI, "2026-10-23 09:00"))
    assert len(cycle.posts(HR)) == 3 and "HR's decision" in cycle.posts(HR)[-1]["text"]
    assert "<@U0BO>'s appeal" in cycle.posts("U0DIR")[-1]["text"]  # U0DIR reads English

    # HR decides: a comment is required; changing needs another grade. Bo and Mei hear.
    view = cycle.open_form(render.DECIDE_OPEN, str(bo_review.id), HR)
    bad = cycle.submit(view, {"decision": "changed", "grade": "C", "comment": ""}, HR)
    assert bad["errors"].keys() == {"grade", "comment"}
    cycle.clock.set(local(SHANGHAI, "2026-10-23 15:00"))
    cycle.submit(view, {"decision": "changed", "grade": "B", "comment": "客户延期属实"}, HR)
    bo_final = cycle.wait_posts("U0BO", 3)[-1]
    assert "等级调整为 *B*" in bo_final["text"] and "客户延期属实" in bo_final["blocks"]
    assert "等级调整为 *B*" in cycle.posts("U0MEI")[-1]["text"]
    assert cycle.review("U0BO", "2026-Q3").final_grade == "B"
    assert [a for a, _ in cycle.events("U0BO", "2026-Q3")] == [
        "opened", "self_sent", "self_edited", "rated", "result_sent", "appealed",
        "reminded", "escalated", "escalated", "decided", "final"]  # HR and the director
    # Running everything again sends nothing more; nobody heard anything twice.
    before = len(cycle.fake.find("chat.postMessage"))
    cycle.run(local(SHANGHAI, "2026-10-23 15:05"))
    assert len(cycle.fake.find("chat.postMessage")) == before
    assert all(status == "sent" and attempts == 1
               for status, attempts in cycle.ledger().values())
