"""The review cycle end to end: the `review` job scripted with a FixedClock through a quarter
end (China's 2026 National Day week) and month ends, the forms opened from the DMs' buttons
and submitted as signed requests to the real app, against the fake Slack. The result
conversation itself (seed 000: talk pack, record, confirmation) is tests/handlers/
test_review_talk.py; the year end tests/jobs/test_year_end.py.

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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.deps import Deps
from bot.jobs import registry as jobs
from bot.render import review as render
from bot.render import review_plans as plan_render
from bot.render import review_talk as talk
from store import plans, teams
from store import reviews as store
from store.models import AuditEntry, ImprovementPlan, Member, Review, ReviewEvent
from tests.conftest import WORKSPACE, Bot
from tests.fakes import FakeSlack
from tests.handlers.test_checkin import submit
from tests.jobs.test_job_reports import log
from tests.jobs.test_jobs import NEW_YORK, SHANGHAI, World, local

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

    def wait_posts(self, user: str, count: int, timeout: float = 30.0) -> list[dict]:
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
        if answer.get("response_action") == "update":
            self.settle()  # a save sends what became due after the ack: let it finish
        return answer

    def settle(self, quiet: float = 0.25, timeout: float = 5.0) -> None:
        """Until every listener has finished its work after the ack, then nothing has been
        posted for `quiet` seconds."""
        self.bot.settle(timeout=30.0)  # a loaded machine outlasted a quiet spell alone
        deadline = time.monotonic() + timeout
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.fake.calls)
            if count != seen:
                seen, since = count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.02)

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


def cycle_world(database_url: str, fake_slack: FakeSlack) -> Iterator[Cycle]:
    """The `cycle` fixture (tests/handlers/test_review_talk.py and tests/jobs/test_year_end.py
    use it too)."""
    c = Cycle(database_url, fake_slack)
    yield c
    c.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message and view valid


cycle = pytest.fixture(name="cycle")(cycle_world)


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




def print_blocks(post: dict) -> None:
    """For reading a message as its reader would (pytest -s)."""
    for block in json.loads(post["blocks"]):
        text = (block.get("text") or {}).get("text") or " ".join(
            e.get("text", "") if isinstance(e.get("text"), str) else e.get("text", {}).get(
                "text", "") for e in block.get("elements", []))
        print(text)


def competencies(view: dict, rating: str = "solid", example: str = "三轮沟通拿下") -> dict:
    """Every competency of a rating form, rated, each with its behaviour example."""
    found = {}
    for block in view["blocks"]:
        block_id = block.get("block_id", "")
        if block.get("type") == "input" and block_id.startswith("c_"):
            found[block_id] = example if block_id.endswith("_ex") else rating
    return found


def rate(cycle: Cycle, rep: str, period: str, grade: str, at: datetime,
         manager: str = "U0MEI") -> dict:
    """The manager rates the period (all competencies solid, with examples)."""
    cycle.clock.set(at)
    view = cycle.open_form(render.RATE_OPEN, str(cycle.review(rep, period).id), manager)
    answer = cycle.submit(view, {"grade": grade, "strengths": "跟进及时",
                                 "improvements": "新客户", **competencies(view)}, manager)
    assert answer["response_action"] == "update", answer
    return answer


RECORD = {"strengths_1": "能把技术功能讲成客户价值", "strengths_1_ex": "Acme 的混合云方案演示",
          "improvements_1": "梳理客户决策链", "improvements_1_ex": "Globex 丢单时没见到 CFO",
          "a1_text": "完成 3 个重点客户的决策图谱", "a1_due": "2026-12-31",
          "a1_measure": "每周五汇报进展", "support": "报名大客户销售策略培训",
          "development": "向售前顾问方向发展，考取云架构认证"}


def record(cycle: Cycle, rep: str, period: str, manager: str = "U0MEI", **changes: str) -> dict:
    """After the talk: the manager records what was agreed (the clock just past the talk)."""
    review = cycle.review(rep, period)
    cycle.clock.set(max(cycle.clock.now(), store.utc(review.talk_at) + timedelta(minutes=31)))
    view = cycle.open_form(talk.RECORD_OPEN, str(review.id), manager)
    answer = cycle.submit(view, {**RECORD, **changes}, manager)
    assert answer["response_action"] == "update", answer
    cycle.settle()  # the rep's DM goes after the ack: a loaded machine read posts first
    return answer


def confirm(cycle: Cycle, rep: str, period: str, comment: str = "") -> dict:
    view = cycle.open_form(talk.CONFIRM_OPEN, str(cycle.review(rep, period).id), rep)
    answer = cycle.submit(view, {"comment": comment}, rep)
    assert answer["response_action"] == "update", answer
    cycle.settle()  # as in `record`
    return answer




def conclude(cycle: Cycle, rep: str, period: str, grade: str, at: datetime,
             talk_at: str = "今天 11:00") -> None:
    """Rated at `at`; Mei moves the talk to `talk_at` (her words, /review move), they talk,
    she records it and the rep confirms: the appeal window is open."""
    rate(cycle, rep, period, grade, at)
    assert "✅" in cycle.command(f"move <@{rep}> {talk_at}", "U0MEI")
    cycle.settle()
    record(cycle, rep, period, grade=grade)
    cycle.clock.set(cycle.clock.now() + timedelta(minutes=5))
    confirm(cycle, rep, period)
    cycle.settle()
    assert cycle.review(rep, period).status == "result"


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
    # Working days 8, 9 and Sat 10 Oct (China's make-up working day after the holidays): the
    # self-assessment is due on the 3rd, the rating on the 5th (Tue 13 Oct).
    assert found == [("U0ALICE", "2026-Q3", date(2026, 10, 10), date(2026, 10, 13)),
                     ("U0BO", "2026-Q3", date(2026, 10, 10), date(2026, 10, 13))]
    [alice] = cycle.posts("U0ALICE")  # 21:00 the evening before in New York: team time rules
    assert "your self-assessment, please" in alice["text"] and "Q3 2026" in alice["text"]
    assert "Sat 10 Oct" in alice["blocks"] and "(2026-09)" in alice["blocks"]
    assert "no separate monthly review" in alice["blocks"]
    [bo] = cycle.posts("U0BO")
    assert "请填写你的自评" in bo["text"] and "10月10日 周六" in bo["blocks"]
    assert "绩效卡" in bo["blocks"]
    assert cycle.posts("U0MEI") == []
    again = cycle.run(local(SHANGHAI, "2026-10-08 09:05"))
    assert again.sent == 0 and len(cycle.fake.find("chat.postMessage")) == 2
    assert cycle.events("U0BO", "2026-Q3") == [("opened", "")]


def test_the_whole_cycle_with_reminders_escalations_an_appeal_and_a_plan(cycle: Cycle) -> None:
    seed_q3(cycle)
    with cycle.deps.sessions() as s:
        # This team took China's make-up Saturday (10 Oct) as its own day off, which wins
        # over the country's calendar: the steps below fall on weekdays (the quarter above
        # shows the make-up day counted).
        teams.add_day_off(s, workspace_id=WORKSPACE, name="East", day=date(2026, 10, 10))
    with cycle.deps.sessions() as s:  # Mei reports to a director: late steps go there
        teams.create_team(s, workspace_id=WORKSPACE, name="Leads", channel_id=None,
                          managers=["U0DIR"], members=["U0MEI"], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 8, 1, tzinfo=UTC))
    cycle.run(local(SHANGHAI, "2026-10-08 09:00"))
    [bo_request] = cycle.posts("U0BO")

    # Bo's self-assessment: a bad one shows errors beside the fields and saves nothing.
    view = cycle.open_form(render.SELF_OPEN, button(bo_request, render.SELF_OPEN), "U0BO")
    assert view["callback_id"] == render.SELF_FORM and view["title"]["text"] == "绩效自评"
    labels = {b["block_id"]: b["label"]["text"] for b in view["blocks"] if b["type"] == "input"}
    assert labels["grade"] == "我的自评等级"  # Slack adds "（可选）" to optional inputs itself
    assert list(labels) == ["best", "improve", "difficulties", "support", "grade"]
    bad = cycle.submit(view, {"best": "", "improve": "x" * 3001, "grade": "Z"}, "U0BO")
    assert bad["response_action"] == "errors"
    assert set(bad["errors"]) == {"best", "improve", "grade"}
    assert "请填写此项" in bad["errors"]["best"] and "3000" in bad["errors"]["improve"]
    assert cycle.review("U0BO", "2026-Q3").self_at is None
    cycle.clock.set(local(SHANGHAI, "2026-10-09 10:00"))
    good = cycle.submit(view, {"best": "签下 Acme <!channel>", "improve": "回款跟进",
                               "difficulties": "法务审核慢", "support": "需要法务支持",
                               "grade": "A"}, "U0BO")
    assert good["response_action"] == "update" and "谢谢" in json.dumps(good, ensure_ascii=False)
    [request] = cycle.wait_posts("U0MEI", 1)  # Mei hears at once, in Chinese, with the answers
    assert "已提交" in request["text"] and "签下 Acme &lt;!channel&gt;" in request["blocks"]
    assert "10月14日 周三" in request["blocks"] and "法务审核慢" in request["blocks"]
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

    # Mei rates Bo: the grade starts at the scorecard's, each competency of his level (junior
    # by default) with an example; errors per field. Bo hears of the talk, not of the grade.
    bo_review = cycle.review("U0BO", "2026-Q3")
    view = cycle.open_form(render.RATE_OPEN, str(bo_review.id), "U0MEI")
    grade_block = next(b for b in view["blocks"] if b.get("block_id") == "grade")
    assert grade_block["element"].get("initial_option", {}).get("value") == bo_review.score_grade
    shown = json.dumps(view, ensure_ascii=False)
    assert "需要法务支持" in shown and "秋后算账" in shown  # his answers; the pitfalls
    assert [b["label"]["text"] for b in view["blocks"] if b.get("block_id", "").startswith("c_")
            and not b["block_id"].endswith("_ex")] == [
        "技术理解能力", "方案设计能力", "客户沟通能力", "资源协调能力", "产品知识掌握",
        "客户拜访流程规范"]
    bad = cycle.submit(view, {"grade": "B", "strengths": "", "improvements": "",
                              "c_technical": "solid"}, "U0MEI")
    assert {"strengths", "improvements", "c_technical_ex", "c_solution",
            "c_solution_ex"} <= set(bad["errors"]) and "c_technical" not in bad["errors"]
    assert cycle.review("U0BO", "2026-Q3").rated_at is None
    rated = cycle.submit(view, {"grade": "C", "strengths": "大客户推进", "improvements": "回款",
                                "uncontrollable": "客户预算冻结", **competencies(view)}, "U0MEI")
    done = json.dumps(rated, ensure_ascii=False)
    assert "等级 C" in done and "10月15日 周四 10:00" in done  # 2nd working day, 10:00
    [_, note] = cycle.wait_posts("U0BO", 2)
    assert "绩效面谈" in note["text"] and "10月15日 周四 10:00" in note["blocks"]
    assert "请准备" in note["blocks"] and "等级" not in note["blocks"] + note["text"]
    assert "*C*" not in note["blocks"] and talk.MOVE_OPEN in note["blocks"]
    assert "经理 —" in cycle.command("history", "U0BO")  # not before the talk
    assert "经理 C" in cycle.command("history <@U0BO>", "U0MEI")
    assert render.APPEAL_OPEN not in cycle.command("", "U0BO")
    # Bo can no longer change the self-assessment, nor appeal before the record.
    locked = cycle.open_form(render.SELF_OPEN, str(bo_review.id), "U0BO")
    assert "不能再修改" in json.dumps(locked, ensure_ascii=False)
    early = cycle.open_form(render.APPEAL_OPEN, str(bo_review.id), "U0BO")
    assert "确认面谈记录时开始" in json.dumps(early, ensure_ascii=False)

    # Wed 14 Oct 09:00 (day 5): Mei is reminded about Alice only; 10:00, the talk pack for Bo
    # (a working day ahead); Thu 15 09:00: the director hears of Alice's late rating.
    assert cycle.run(local(SHANGHAI, "2026-10-14 09:00")).sent == 1
    assert "今天（10月14日 周三）结束前截止" in cycle.posts("U0MEI")[-1]["text"]
    assert cycle.run(local(SHANGHAI, "2026-10-14 09:59")).sent == 0
    assert cycle.run(local(SHANGHAI, "2026-10-14 10:00")).sent == 1
    pack = cycle.posts("U0MEI")[-1]
    assert "面谈资料包" in pack["text"] and "客户预算冻结" in pack["blocks"]
    assert pack["blocks"].index("法务审核慢") < pack["blocks"].index("· 团队平均") \
        < pack["blocks"].index("技术理解能力") < pack["blocks"].index("等级 *C*")
    assert cycle.run(local(SHANGHAI, "2026-10-15 09:00")).sent == 1
    [director] = cycle.posts("U0DIR")
    assert "<@U0MEI>" in director["text"] and "Wed 14 Oct" in director["text"]
    assert cycle.posts(HR) == []

    # The talk ends at 10:30: Mei is asked to record it; Bo confirms with a comment.
    assert cycle.run(local(SHANGHAI, "2026-10-15 10:29")).sent == 0
    assert cycle.run(local(SHANGHAI, "2026-10-15 10:30")).sent == 1
    assert "记录双方达成的共识" in cycle.posts("U0MEI")[-1]["text"]
    record(cycle, "U0BO", "2026-Q3", grade="C")
    posted = cycle.wait_posts("U0BO", 3)[-1]
    assert "面谈记录" in posted["text"] and "*C*" in posted["blocks"]
    assert "Acme 的混合云方案演示" in posted["blocks"] and talk.CONFIRM_OPEN in posted["blocks"]
    cycle.clock.set(local(SHANGHAI, "2026-10-15 11:00"))
    confirmed = confirm(cycle, "U0BO", "2026-Q3", comment="Q3 大单延期是客户原因")
    assert "10月20日 周二" in json.dumps(confirmed, ensure_ascii=False)  # 3 working days on
    window = cycle.wait_posts("U0BO", 4)[-1]
    assert render.APPEAL_OPEN in window["blocks"] and "10月20日 周二" in window["text"]
    told = [p for p in cycle.posts("U0MEI") if "已确认" in p["text"]]
    assert told and "客户原因" in told[0]["blocks"]

    # Bo appeals (a reason is required); HR is asked, due 5 working days later; Mei is told.
    cycle.clock.set(local(SHANGHAI, "2026-10-15 11:30"))
    view = cycle.open_form(render.APPEAL_OPEN, str(bo_review.id), "U0BO")
    assert cycle.submit(view, {"reason": ""}, "U0BO")["errors"].keys() == {"reason"}
    assert cycle.submit(view, {"reason": "Q3 大单延期是客户原因"}, "U0BO")[
        "response_action"] == "update"
    [appeal] = cycle.wait_posts(HR, 1)
    assert "appealed" in appeal["text"] and "Thu 22 Oct" in appeal["text"]
    assert "客户原因" in appeal["blocks"]
    filed = cycle.posts("U0MEI")[-1]
    assert "提出申诉" in filed["text"] and "10月22日 周四" in filed["text"]

    # Alice never wrote hers; Mei rates her D on Fri 16 Oct, they talk and she confirms.
    conclude(cycle, "U0ALICE", "2026-Q3", "D", local(SHANGHAI, "2026-10-16 10:00"),
             talk_at="今天 11:00")
    assert "*Grade:* *D*" in cycle.posts("U0ALICE")[-2]["blocks"]  # the record
    assert "Wed 21 Oct" in cycle.posts("U0ALICE")[-1]["text"]  # the appeal window

    # Thu 22 Oct 09:00: HR is reminded; Alice's window closed at the end of Wed 21: final, D,
    # so a plan opens: Mei is asked for targets and a mentor, Alice is told, kindly.
    result = cycle.run(local(SHANGHAI, "2026-10-22 09:00"))
    assert result.failed == 0
    assert cycle.review("U0ALICE", "2026-Q3").final_grade == "D"
    assert "waiting for a decision" in cycle.posts(HR)[-1]["text"]
    setup = cycle.posts("U0MEI")[-1]
    assert "改进计划" in setup["text"] and "<@U0ALICE>" in setup["text"]
    assert "improvement plan" in cycle.posts("U0ALICE")[-1]["text"]
    late_appeal = cycle.open_form(render.APPEAL_OPEN, str(cycle.review("U0ALICE", "2026-Q3").id),
                                  "U0ALICE")
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
    bo_final = cycle.wait_posts("U0BO", 5)[-1]
    assert "等级调整为 *B*" in bo_final["text"] and "客户延期属实" in bo_final["blocks"]
    assert "等级调整为 *B*" in cycle.posts("U0MEI")[-1]["text"]
    assert cycle.review("U0BO", "2026-Q3").final_grade == "B"
    assert [a for a, _ in cycle.events("U0BO", "2026-Q3")] == [
        "opened", "self_sent", "self_edited", "rated", "talk_scheduled", "recorded",
        "confirmed", "appealed", "reminded", "escalated", "escalated", "decided", "final"]
    # Running everything again sends nothing more; nobody heard anything twice.
    before = len(cycle.fake.find("chat.postMessage"))
    cycle.run(local(SHANGHAI, "2026-10-23 15:05"))
    assert len(cycle.fake.find("chat.postMessage")) == before
    assert all(status == "sent" and attempts == 1
               for status, attempts in cycle.ledger().values())


# ----------------------------------------------------------------- months, and plans

def test_two_cs_in_a_row_open_a_plan_with_monthly_checks(cycle: Cycle) -> None:
    # October: opens Mon 2 Nov (31 Oct is a Saturday); rated C on Thu 5 Nov, talked and
    # confirmed the same day, final after the appeal window (to the end of Tue 10 Nov).
    assert cycle.run(local(SHANGHAI, "2026-11-02 09:00")).sent == 2
    assert cycle.run(local(SHANGHAI, "2026-11-05 09:00")).sent == 2  # late: Mei asked twice
    conclude(cycle, "U0BO", "2026-10", "C", local(SHANGHAI, "2026-11-05 10:00"))
    conclude(cycle, "U0ALICE", "2026-10", "B", local(SHANGHAI, "2026-11-05 11:40"),
             talk_at="今天 14:00")
    cycle.run(local(SHANGHAI, "2026-11-10 23:59"))
    assert cycle.review("U0BO", "2026-10").status == "result"
    cycle.run(local(SHANGHAI, "2026-11-11 00:00"))
    assert cycle.review("U0BO", "2026-10").final_grade == "C"
    cycle.run(local(SHANGHAI, "2026-11-11 09:00"))
    with cycle.deps.sessions() as s:
        assert s.exec(select(ImprovementPlan)).all() == []

    # November: opens Tue 1 Dec 09:00 in Shanghai, which is Mon 30 Nov 20:00 in New York.
    assert cycle.run(local(NEW_YORK, "2026-11-30 19:59")).sent == 0
    assert cycle.run(local(NEW_YORK, "2026-11-30 20:00")).sent == 2
    assert "November 2026" in cycle.posts("U0ALICE")[-1]["text"]
    conclude(cycle, "U0BO", "2026-11", "C", local(SHANGHAI, "2026-12-04 10:00"))
    conclude(cycle, "U0ALICE", "2026-11", "C", local(SHANGHAI, "2026-12-04 11:40"),
             talk_at="今天 14:00")
    before = len(cycle.posts("U0MEI"))
    cycle.run(local(SHANGHAI, "2026-12-10 00:00"))  # final since the end of Wed 9 Dec ...
    assert cycle.review("U0BO", "2026-11").final_grade == "C"
    assert cycle.posts("U0MEI")[before:] == []  # ... what follows waits for the morning
    cycle.run(local(SHANGHAI, "2026-12-10 09:00"))
    # Bo: C after C, a plan. Alice: C after B, none.
    with cycle.deps.sessions() as s:
        [plan] = s.exec(select(ImprovementPlan)).all()
        team_id = plan.team_id
    assert (plan.user_id, plan.start, plan.months, plan.kind) == (
        "U0BO", date(2026, 12, 10), 3, "pip")
    [setup] = [p for p in cycle.posts("U0MEI")[before:] if plan_render.PLAN_OPEN in p["blocks"]]
    assert "3 个月的绩效改进计划" in setup["text"]
    assert "改进计划" in cycle.posts("U0BO")[-1]["text"]
    with cycle.deps.sessions() as s:
        shown = plans.open_plan(s, team_id=team_id, user_id="U0BO")
        assert shown is not None and shown.targets == "" and shown.end == date(2027, 3, 10)
        assert plans.open_plan(s, team_id=team_id, user_id="U0ALICE") is None

    assert plan_render.PLAN_OPEN in cycle.command("", "U0MEI")  # /review lists it too
    # Mei sets the targets: each field checked; a mentor other than Bo; Bo and the mentor
    # are told.
    view = cycle.open_form(plan_render.PLAN_OPEN, button(setup, plan_render.PLAN_OPEN), "U0MEI")
    bad = cycle.submit(view, {"targets": "", "mentor": "U0BO"}, "U0MEI")
    assert bad["errors"].keys() == {"targets", "mentor"}
    assert cycle.open_form(plan_render.PLAN_OPEN, str(plan.id), "U0ALICE")  # a rep: refused
    assert "not yours" in json.dumps(cycle.fake.find("views.open")[-1].args)
    alice_before = len(cycle.posts("U0ALICE"))
    cycle.submit(view, {"targets": "客户满意度提升至85分", "mentor": "U0ALICE",
                        "notes": "每周一对一"}, "U0MEI")
    told = cycle.posts("U0BO")[-1]
    assert "<@U0ALICE>" in told["text"] and "客户满意度提升至85分" in told["blocks"]
    [mentor] = cycle.posts("U0ALICE")[alice_before:]
    assert "mentor <@U0BO>" in mentor["text"] and "85" in mentor["blocks"]

    # Monthly checks: the first working day on or after 10 Jan (a Sunday), 10 Feb (Spring
    # Festival) and 10 Mar 2027, at 09:00 team time, to the managers.
    dates = []
    for at in ("2027-01-10 09:00", "2027-01-11 08:59", "2027-01-11 09:00",
               "2027-02-10 09:00", "2027-02-11 09:00", "2027-03-10 09:00"):
        n = len(cycle.posts("U0MEI"))
        cycle.run(local(SHANGHAI, at))
        dates += [at] * len([p for p in cycle.posts("U0MEI")[n:]
                             if plan_render.CHECK_OPEN in p["blocks"]])
    assert dates == ["2027-01-11 09:00", "2027-02-11 09:00", "2027-03-10 09:00"]
    checks = [p for p in cycle.posts("U0MEI") if plan_render.CHECK_OPEN in p["blocks"]]
    assert cycle.command("", "U0MEI").count(plan_render.CHECK_OPEN) == 3  # all three due
    assert "最后一次跟进" in checks[2]["text"] and "最后一次" not in checks[0]["text"]
    view = cycle.open_form(plan_render.CHECK_OPEN, button(checks[0], plan_render.CHECK_OPEN),
                           "U0MEI")
    assert cycle.submit(view, {"note": "ok"}, "U0MEI")["errors"].keys() == {"status"}
    cycle.submit(view, {"status": "partly", "note": "满意度 80"}, "U0MEI")
    cycle.submit(view, {"status": "on_track", "note": "满意度 83"}, "U0MEI")  # edits
    # The last check: not met needs a decision and its reason; extending adds a month.
    view = cycle.open_form(plan_render.CHECK_OPEN, button(checks[2], plan_render.CHECK_OPEN),
                           "U0MEI")
    assert cycle.submit(view, {"status": "on_track"}, "U0MEI")["errors"].keys() == {"outcome"}
    bad = cycle.submit(view, {"status": "partly", "outcome": "not_met"}, "U0MEI")
    assert bad["errors"].keys() == {"decision", "decision_note"}
    assert "延长、调岗或辞退" in bad["errors"]["decision"]
    cycle.submit(view, {"status": "partly", "outcome": "not_met", "decision": "extend",
                        "decision_note": "满意度 83，差一点"}, "U0MEI")
    with cycle.deps.sessions() as s:
        shown = plans.open_plan(s, team_id=team_id, user_id="U0BO")
    assert shown.months == 4 and shown.end == date(2027, 4, 10)
    assert [(c.month, c.status, c.note, c.outcome) for c in shown.checks] == [
        (1, "on_track", "满意度 83", None), (3, "partly", "", "not_met")]
    assert "再延长一个月" in cycle.posts("U0BO")[-1]["text"]
    # The extra month's check (10 Apr is a Saturday: Mon 12 Apr) closes it; HR hears of it.
    cycle.run(local(SHANGHAI, "2027-04-12 09:00"))
    last = cycle.posts("U0MEI")[-1]
    assert "第 4/4 个月" in last["text"] and "最后一次跟进" in last["text"]
    view = cycle.open_form(plan_render.CHECK_OPEN, button(last, plan_render.CHECK_OPEN), "U0MEI")
    assert "decision" in cycle.submit(view, {"status": "on_track", "outcome": "completed",
                                             "decision": "end"}, "U0MEI")["errors"]
    cycle.submit(view, {"status": "off_track", "outcome": "not_met", "decision": "move_role",
                        "decision_note": "调到客户成功岗位，双方已沟通"}, "U0MEI")
    with cycle.deps.sessions() as s:
        assert plans.open_plan(s, team_id=team_id, user_id="U0BO") is None
        closed = s.get(ImprovementPlan, plan.id)
        assert (closed.outcome, closed.decision) == ("not_met", "move_role")
    assert "当面沟通" in cycle.posts("U0BO")[-1]["text"]
    assert "*move to another role*" in cycle.posts(HR)[-1]["text"]
    assert "调到客户成功岗位" in cycle.posts(HR)[-1]["blocks"]
    assert [a for a, _ in cycle.events("U0BO", "2026-11")][-8:] == [
        "plan_opened", "plan_set", "plan_checked", "plan_checked", "plan_checked",
        "plan_decided", "plan_checked", "plan_decided"]
    refused = cycle.open_form(plan_render.CHECK_OPEN, f"{plan.id}:4", "U0MEI")
    assert "已结束" in json.dumps(refused, ensure_ascii=False)


def test_a_plans_last_check_never_left_undone(cycle: Cycle) -> None:
    """A plan must end in an outcome: an overdue last check goes to the people above."""
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    conclude(cycle, "U0BO", "2026-10", "D", local(SHANGHAI, "2026-11-05 10:00"))
    cycle.run(local(SHANGHAI, "2026-11-11 09:00"))
    with cycle.deps.sessions() as s:
        [plan] = s.exec(select(ImprovementPlan)).all()
    assert plan.start == date(2026, 11, 11)
    # Last check due Thu 11 Feb 2027 (the 11th); five working days on, HR (Mei has no
    # manager) hears that it is still not recorded.
    for day in ("2027-02-11", "2027-02-18", "2027-02-25"):
        cycle.run(local(SHANGHAI, f"{day} 09:00"))
    overdue = [p for p in cycle.posts(HR) if "overdue" in p["text"]]
    assert len(overdue) == 1 and "<@U0BO>" in overdue[0]["text"]


def test_a_d_that_hr_changes_to_c_opens_no_plan_but_an_upheld_d_does(cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    conclude(cycle, "U0BO", "2026-10", "D", local(SHANGHAI, "2026-11-05 10:00"))
    conclude(cycle, "U0ALICE", "2026-10", "D", local(SHANGHAI, "2026-11-05 11:40"),
             talk_at="今天 14:00")
    for rep in ("U0BO", "U0ALICE"):
        view = cycle.open_form(render.APPEAL_OPEN, str(cycle.review(rep, "2026-10").id), rep)
        cycle.submit(view, {"reason": "please look again"}, rep)
    for rep, decision in (("U0BO", {"decision": "changed", "grade": "C"}),
                          ("U0ALICE", {"decision": "upheld"})):
        view = cycle.open_form(render.DECIDE_OPEN, str(cycle.review(rep, "2026-10").id), HR)
        assert cycle.submit(view, {**decision, "comment": "reviewed with the director"},
                            HR)["response_action"] == "update"
    cycle.run(local(SHANGHAI, "2026-11-06 09:00"))  # the next working morning
    with cycle.deps.sessions() as s:
        assert [p.user_id for p in s.exec(select(ImprovementPlan)).all()] == ["U0ALICE"]
    assert cycle.review("U0BO", "2026-10").final_grade == "C"
    assert cycle.review("U0ALICE", "2026-10").final_grade == "D"


# ----------------------------------------------------------------- exactly once

def test_two_processes_running_every_step_at_once_send_each_message_once(cycle: Cycle) -> None:
    race_through_a_month(cycle)


def test_processes_racing_on_postgres_send_each_message_once(fake_slack: FakeSlack) -> None:
    from tests.jobs.test_jobs import drop_postgres, scratch_postgres
    from tests.store.test_postgres import BASE_URL

    url = scratch_postgres(BASE_URL) if BASE_URL else None
    if url is None:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set or no "
                    "server is reachable")
    cycle = Cycle(url, fake_slack)
    try:
        race_through_a_month(cycle)
    finally:
        cycle.close()
        drop_postgres(BASE_URL, url)
    assert fake_slack.problems == []


def race_through_a_month(cycle: Cycle) -> None:
    """Four "processes" (own Deps and engine each) run each step's tick at the same moment."""
    others = [Deps.build(cycle.settings, clock=cycle.clock) for _ in range(3)]
    cycle.others += others

    def race(at: datetime) -> None:
        cycle.clock.set(at)
        start = threading.Barrier(len(others) + 1)

        def go(deps: Deps) -> None:
            start.wait()
            jobs.run_job(deps, "review", now=at, team="East")

        threads = [threading.Thread(target=go, args=(d,)) for d in [cycle.deps, *others]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    race(local(SHANGHAI, "2026-11-02 09:00"))  # open: both reps asked
    race(local(SHANGHAI, "2026-11-04 09:00"))  # day 3: both reminded
    race(local(SHANGHAI, "2026-11-05 09:00"))  # late: Mei asked twice (once per rep)
    race(local(SHANGHAI, "2026-11-06 09:00"))  # day 5: Mei reminded twice
    race(local(SHANGHAI, "2026-11-09 09:00"))  # escalated to HR (Mei has no manager)
    assert [len(cycle.posts(u)) for u in ("U0BO", "U0ALICE", "U0MEI", HR)] == [2, 2, 4, 2]
    # Bo's rating, then the talk pack and the record prompt, raced too.
    rate(cycle, "U0BO", "2026-10", "B", local(SHANGHAI, "2026-11-09 10:00"))
    talk_at = store.utc(cycle.review("U0BO", "2026-10").talk_at)
    race(talk_at - timedelta(days=1))
    race(talk_at + timedelta(minutes=30))
    assert [len(cycle.posts(u)) for u in ("U0BO", "U0MEI")] == [3, 6]
    with cycle.deps.sessions() as s:
        assert len(s.exec(select(Review)).all()) == 2
        events = s.exec(select(ReviewEvent.action)).all()
    assert sorted(events) == sorted(["opened"] * 2 + ["reminded"] * 4 + ["escalated"] * 4
                                    + ["rated", "talk_scheduled"])
    assert all(v == ("sent", 1) for v in cycle.ledger().values())


def test_each_reminder_only_while_its_step_is_open(cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    for rep in ("U0BO", "U0ALICE"):  # both answer on day 2
        cycle.clock.set(local(SHANGHAI, "2026-11-03 10:00"))
        write_self(cycle, rep, cycle.posts(rep)[0], best="wins", improve="follow-ups")
    cycle.wait_posts("U0MEI", 2)
    rate(cycle, "U0BO", "2026-10", "B", local(SHANGHAI, "2026-11-04 10:00"))
    rate(cycle, "U0ALICE", "2026-10", "A", local(SHANGHAI, "2026-11-04 10:05"))
    [_, note] = cycle.wait_posts("U0ALICE", 2)
    # An edited rating before the talk tells Alice nothing: the grade is for the talk.
    rate(cycle, "U0ALICE", "2026-10", "S", local(SHANGHAI, "2026-11-05 10:00"))
    assert len(cycle.posts("U0ALICE")) == 2 and "grade" not in note["blocks"]
    # From now on no self-assessment or rating reminder is owed: only the talks' messages.
    before = cycle.posts("U0MEI") + cycle.posts("U0BO") + cycle.posts("U0ALICE")
    for day in range(4, 13):
        for hour in ("09:00", "12:00"):
            cycle.run(local(SHANGHAI, f"2026-11-{day:02d} {hour}"))
    later = (cycle.posts("U0MEI") + cycle.posts("U0BO") + cycle.posts("U0ALICE"))[len(before):]
    assert not [p for p in later if "⏰" in p["text"] and ("自评" in p["text"]
                                                          or "评价" in p["text"])]
    alice = cycle.review("U0ALICE", "2026-10")
    assert (alice.grade, alice.rating_version, alice.status) == ("S", 2, "talk")
    assert [a for a, _ in cycle.events("U0ALICE", "2026-10")][:5] == [
        "opened", "self_sent", "rated", "talk_scheduled", "rating_edited"]


# ----------------------------------------------------------------- /review

def test_review_lists_each_persons_open_steps_with_buttons(cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    assert "self-assessment for October 2026" in cycle.command("", "U0ALICE")
    assert render.SELF_OPEN in cycle.command("", "U0ALICE")
    assert "没有等你处理的事项" in cycle.command("", "U0MEI")  # not ready to rate yet
    cycle.clock.set(local(SHANGHAI, "2026-11-05 10:00"))  # late now
    mine = cycle.command("", "U0MEI")
    assert "有 2 项等你处理" in mine and mine.count(render.RATE_OPEN) == 2
    rate(cycle, "U0BO", "2026-10", "C", local(SHANGHAI, "2026-11-05 10:00"))
    talk_at = store.utc(cycle.review("U0BO", "2026-10").talk_at)
    cycle.clock.set(talk_at)
    assert talk.RECORD_OPEN in cycle.command("", "U0MEI")  # the talk is on: record it
    record(cycle, "U0BO", "2026-10", grade="C")
    assert talk.CONFIRM_OPEN in cycle.command("", "U0BO")
    confirm(cycle, "U0BO", "2026-10")
    assert "结束前申诉" in cycle.command("", "U0BO")
    view = cycle.open_form(render.APPEAL_OPEN, str(cycle.review("U0BO", "2026-10").id), "U0BO")
    cycle.submit(view, {"reason": "客户原因"}, "U0BO")
    assert render.DECIDE_OPEN in cycle.command("", HR)
    assert render.DECIDE_OPEN not in cycle.command("", "U0MEI")
    # Nobody decides their own appeal, not even an admin; and a manager may not decide.
    for user in ("U0BO", "U0MEI"):
        refused = cycle.open_form(render.DECIDE_OPEN, str(cycle.review("U0BO", "2026-10").id),
                                  user)
        assert "不由你处理" in json.dumps(refused, ensure_ascii=False)
    assert "/review history" in cycle.command("help", "U0BO")
    assert "考核流程" in cycle.command("帮助", "U0BO")


def test_review_history_is_private_and_refusals_are_audited(cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    cycle.clock.set(local(SHANGHAI, "2026-11-03 10:00"))
    write_self(cycle, "U0BO", cycle.posts("U0BO")[0], best="签下腾讯", improve="回款")
    rate(cycle, "U0BO", "2026-10", "B", local(SHANGHAI, "2026-11-04 10:00"))
    own = cycle.command("history", "U0BO")
    assert "2026-10" in own and "提交自评" in own and "安排面谈" in own and "<@U0MEI>" not in own
    assert "经理 —" in own and "完成评价" not in own  # the grade comes in the talk
    record(cycle, "U0BO", "2026-10", grade="B")
    own = cycle.command("history", "U0BO")
    assert "经理 B" in own and "完成评价" in own and "<@U0MEI>" in own
    # Alice may not see Bo's; nor may a manager of another team; Mei and HR may.
    refused = cycle.command("history <@U0BO>", "U0ALICE")
    assert "2026-10" not in refused and "only see or change" not in refused
    assert "Only managers and admins" in refused
    with cycle.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West", channel_id=None,
                          managers=["U0LEE"], members=["U0STRAY"], tz="Europe/London",
                          currency="GBP", now=datetime(2026, 8, 1, tzinfo=UTC))
    assert "2026-10" not in cycle.command("history <@U0BO>", "U0LEE")
    assert "完成评价" in cycle.command("history <@U0BO>", "U0MEI")
    assert "rated" in cycle.command("history <@U0BO>", HR)
    with cycle.deps.sessions() as s:
        denied = s.exec(select(AuditEntry.actor_user_id, AuditEntry.target).where(
            AuditEntry.action == "review.history", AuditEntry.outcome == "denied")).all()
    assert sorted(denied) == [("U0ALICE", "U0BO"), ("U0LEE", "U0BO")]
    # The forms are as private: Alice cannot open Bo's, and that is audited too.
    refused = cycle.open_form(talk.CONFIRM_OPEN, str(cycle.review("U0BO", "2026-10").id),
                              "U0ALICE")
    assert "not yours" in json.dumps(refused) and "签下腾讯" not in json.dumps(refused)
    # Bad input: private, specific, with an example, in the user's language.
    assert "看不懂 `lsit`" in cycle.command("lsit", "U0BO")
    assert "/review history @alice" in cycle.command("lsit", "U0BO")
    assert "`bob` is not a person" in cycle.command("history bob", "U0ALICE")
    # Nothing about a review was ever posted in a channel.
    assert all(c.args["channel"].startswith("D") for c in cycle.fake.find("chat.postMessage"))


# ----------------------------------------------------------------- the export

def test_export_reviews_as_csv(cycle: Cycle, capsys: pytest.CaptureFixture,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main
    from bot.services.exports import REVIEW_COLUMNS

    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    cycle.clock.set(local(SHANGHAI, "2026-11-03 10:00"))
    write_self(cycle, "U0BO", cycle.posts("U0BO")[0], best="=HYPERLINK(\"x\")", improve="回款")
    rate(cycle, "U0BO", "2026-10", "B", local(SHANGHAI, "2026-11-04 10:00"))
    record(cycle, "U0BO", "2026-10", grade="A", strengths_1="开拓新客户")
    record(cycle, "U0BO", "2026-10", grade="B")  # a second version: both are kept
    cycle.clock.set(local(SHANGHAI, "2026-11-06 12:00"))
    confirm(cycle, "U0BO", "2026-10", comment="回款慢是客户流程")
    monkeypatch.setenv("DATABASE_URL", cycle.url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["export", "reviews", "--team", "East", "--period", "2026-10"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == REVIEW_COLUMNS
    bo = next(r for r in rows if r["user_id"] == "U0BO")
    assert (bo["period"], bo["status"], bo["grade"], bo["rated_by"]) == (
        "2026-10", "result", "B", "U0MEI")
    assert bo["self_best"] == "'=HYPERLINK(\"x\")" and bo["appeal_due"] == "2026-11-11"
    assert bo["self_at"] == "2026-11-03T02:00:00+00:00" and bo["level"] == "junior"
    assert (bo["record_version"], bo["confirmation"], bo["rep_comment"]) == (
        "2", "confirmed", "回款慢是客户流程")
    assert json.loads(bo["record"])["grade"] == "B"
    versions = json.loads(bo["records"])
    assert [(v["kind"], v["version"], v["by"]) for v in versions] == [
        ("record", 1, "U0MEI"), ("record", 2, "U0MEI"), ("confirmed", 2, "U0BO")]
    assert "开拓新客户" in versions[0]["body"] and "开拓新客户" not in versions[1]["body"]
    assert len(json.loads(bo["competencies"])) == 6
    assert len(rows) == 2
    assert main(["export", "reviews", "--period", "2026-Q3"]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 0
    assert main(["export", "reviews", "--period", "soon"]) == 2
    assert "not a review period" in capsys.readouterr().err
