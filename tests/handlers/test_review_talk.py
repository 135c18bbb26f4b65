"""The result conversation as seed 000 runs it, and what follows a final grade (seed 003), end
to end: the `review` job on a FixedClock, the forms opened from the DMs' buttons and sent as
signed requests to the real app, against the fake Slack (every block validated).

Team East works in Shanghai; Mei (zh, Shanghai) manages Bo (zh, Shanghai) and Alice (en, New
York: no working hours in common with Shanghai); U0HR is the Pacer admin (HR).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.render import review as render
from bot.render import review_plans as plan_render
from bot.render import review_talk as talk
from store import plans, ratings, teams
from store import reviews as store
from store.models import ActionItem, ImprovementPlan, Review
from tests.conftest import WORKSPACE
from tests.handlers.test_review import (
    HR,
    Cycle,
    button,
    competencies,
    confirm,
    cycle_world,
    rate,
    record,
)
from tests.handlers.test_score import text_of
from tests.jobs.test_jobs import NEW_YORK, SHANGHAI, local

cycle = pytest.fixture(name="cycle")(cycle_world)


def final_review(cycle: Cycle, rep: str, period: str, period_end: date, grade: str,
                 at: datetime, *, before: str | None = None) -> Review:
    """A review that went through its cycle (rated, recorded, no appeal): final at `at`.
    `before`: the manager's grade had HR changed it on appeal."""
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        review = store.open_review(s, workspace_id=WORKSPACE, team_id=team.id, user_id=rep,
                                   period=period, period_end=period_end, self_due=period_end,
                                   rating_due=period_end, score_total=40.0, score_grade="D",
                                   now=at)
        review.grade, review.rated_by, review.rated_at = before or grade, "U0MEI", at
        review.status, review.appeal_due = store.RESULT, period_end
        s.add(review)
        s.flush()
        store.finalize(s, review=review, at=at)
        if before:
            review.decision, review.final_grade = "changed", grade
            s.add(review)
        return review


# ----------------------------------------------------------------- across the world

def test_no_shared_hours_a_late_record_and_a_confirmation_that_goes_overdue(
        cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    # Fri 6 Nov 10:00: Mei rates Alice (late: no self-assessment). Shanghai and New York share
    # no 09:00-18:00, so the talk is at the first half hour inside a stretched day for both:
    # Tue 10 Nov 20:00 in Shanghai is 07:00 the same morning in New York.
    answer = rate(cycle, "U0ALICE", "2026-10", "D", local(SHANGHAI, "2026-11-06 10:00"))
    review = cycle.review("U0ALICE", "2026-10")
    assert store.utc(review.talk_at) == local(NEW_YORK, "2026-11-10 07:00")
    done = json.dumps(answer, ensure_ascii=False)
    assert "11月10日 周二 20:00" in done and "没有共同的工作时间" in done
    [_, note] = cycle.wait_posts("U0ALICE", 2)
    assert "review conversation for October 2026 with <@U0MEI>" in note["text"]
    assert "*Tue 10 Nov 07:00* your time (America/New_York)" in note["blocks"]
    assert "Tue 10 Nov 20:00 for <@U0MEI>" in note["blocks"]
    assert "grade" not in note["blocks"].lower() and "*D*" not in note["blocks"]

    # Mon 9 Nov 20:00 Shanghai: the pack, a working day ahead at the talk's time.
    cycle.run(local(SHANGHAI, "2026-11-09 09:00"))  # Bo's late rating goes up (not ours)
    assert cycle.run(local(SHANGHAI, "2026-11-09 19:59")).sent == 0
    cycle.run(local(SHANGHAI, "2026-11-09 20:00"))
    pack = cycle.posts("U0MEI")[-1]
    assert "面谈资料包" in pack["text"] and "没有提交自评" in pack["blocks"]
    assert "未达预期" in pack["blocks"] and "业绩优秀" not in pack["blocks"]  # a D: causes
    assert "America/New_York" in pack["blocks"]  # her time too

    # Nobody records it: the prompt at 20:30, a reminder the next morning, then Mei's own
    # manager (none: the admins) on the third working day.
    cycle.run(local(SHANGHAI, "2026-11-10 20:30"))
    assert "记录双方达成的共识" in cycle.posts("U0MEI")[-1]["text"]
    cycle.run(local(SHANGHAI, "2026-11-11 09:00"))
    assert "还没有记录" in cycle.posts("U0MEI")[-1]["text"]
    cycle.run(local(SHANGHAI, "2026-11-13 09:00"))
    escalated = cycle.posts(HR)[-1]
    assert "has not recorded what was agreed" in escalated["text"]
    assert "cannot confirm, or appeal" in escalated["text"]

    # Mei records on Fri 13 Nov; Alice does not answer: reminded on the day it is due (Tue
    # 17 Nov), and at its end the record stands; she hears the next morning that her appeal
    # window is open (3 working days: to the end of Fri 20 Nov).
    record(cycle, "U0ALICE", "2026-10", grade="D")
    assert cycle.review("U0ALICE", "2026-10").confirm_due == date(2026, 11, 17)
    assert "Confirm by the end of Tue 17 Nov" in cycle.posts("U0ALICE")[-1]["blocks"]
    cycle.run(local(SHANGHAI, "2026-11-17 09:00"))
    assert "waiting for your confirmation" in cycle.posts("U0ALICE")[-1]["text"]
    cycle.run(local(SHANGHAI, "2026-11-18 00:00"))
    assert cycle.review("U0ALICE", "2026-10").confirmation == "overdue"
    assert "waiting for your confirmation" in cycle.posts("U0ALICE")[-1]["text"]  # not yet
    cycle.run(local(SHANGHAI, "2026-11-18 09:00"))
    window = cycle.posts("U0ALICE")[-1]
    assert "not confirmed in time, so it stands" in window["text"]
    assert "Fri 20 Nov" in window["text"] and render.APPEAL_OPEN in window["blocks"]
    assert "未在截止前确认" in cycle.posts("U0MEI")[-1]["text"]
    refused = cycle.open_form(talk.CONFIRM_OPEN, str(cycle.review("U0ALICE", "2026-10").id),
                              "U0ALICE")
    assert "already answered" in json.dumps(refused)
    # No appeal: final at the end of Fri 20 Nov; a D opens a plan on Mon 23 Nov 09:00.
    cycle.run(local(SHANGHAI, "2026-11-23 09:00"))
    assert cycle.review("U0ALICE", "2026-10").final_grade == "D"
    with cycle.deps.sessions() as s:
        [plan] = s.exec(select(ImprovementPlan)).all()
    assert (plan.kind, plan.start) == ("pip", date(2026, 11, 23))
    assert [a for a, _ in cycle.events("U0ALICE", "2026-10")] == [
        "opened", "rated", "talk_scheduled", "reminded", "escalated", "recorded", "reminded",
        "confirm_overdue", "final", "plan_opened"]


def test_either_of_the_two_moves_the_talk_and_the_other_hears(cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    rate(cycle, "U0BO", "2026-10", "B", local(SHANGHAI, "2026-11-05 10:00"))
    review = cycle.review("U0BO", "2026-10")
    assert store.utc(review.talk_at) == local(SHANGHAI, "2026-11-09 10:00")  # Mon, 2nd day
    cycle.settle()
    # Bo moves it with the button in his note (to a day off first: refused, nothing moved).
    note = cycle.posts("U0BO")[-1]
    view = cycle.open_form(talk.MOVE_OPEN, button(note, talk.MOVE_OPEN), "U0BO")
    bad = cycle.submit(view, {"day": "2026-11-07", "time": "15:00"}, "U0BO")
    assert "11月7日 周六" in bad["errors"]["day"]
    moved = cycle.submit(view, {"day": "2026-11-09", "time": "15:00"}, "U0BO")
    assert "<@U0MEI>" in json.dumps(moved) and "15:00" in json.dumps(moved)
    told = cycle.posts("U0MEI")[-1]
    assert "调整了绩效面谈" in told["text"] and "11月9日 周一 15:00" in told["blocks"]
    # Mei moves it in words, /calibrate's way; Bo hears; Alice may not move Bo's talk.
    reply = cycle.command("move <@U0BO> 11月10日 11:00", "U0MEI")
    assert "11月10日 周二 11:00" in reply
    cycle.settle()
    assert "11月10日 周二 11:00" in cycle.posts("U0BO")[-1]["blocks"]
    assert "not yours" in cycle.command("move <@U0BO> tomorrow 9:00", "U0ALICE")
    assert "`/review move @alice tomorrow 15:00`" in cycle.command("move", "U0BO")
    assert "下下下周八" in cycle.command("move 下下下周八", "U0BO")  # not understood, said so
    # The pack waits for the new day-ahead moment (Mon 9 Nov 11:00), once.
    packs = []
    for at in ("2026-11-09 10:00", "2026-11-09 10:59", "2026-11-09 11:00", "2026-11-09 15:00"):
        cycle.run(local(SHANGHAI, at))
        packs.append(len([p for p in cycle.posts("U0MEI") if "面谈资料包" in p["text"]]))
    assert packs == [0, 0, 1, 1]
    # After the record, the talk cannot move any more.
    record(cycle, "U0BO", "2026-10", grade="B")
    assert "<@U0BO> 目前没有待进行的绩效面谈" in cycle.command("move 明天 10:00", "U0BO")


def test_the_record_asks_for_examples_and_smart_actions_that_become_action_items(
        cycle: Cycle) -> None:
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    rate(cycle, "U0BO", "2026-10", "A", local(SHANGHAI, "2026-11-05 10:00"))
    review = cycle.review("U0BO", "2026-10")
    # Not before the talk: the record is of a conversation held.
    early = cycle.open_form(talk.RECORD_OPEN, str(review.id), "U0MEI")
    assert "面谈之后再记录" in json.dumps(early, ensure_ascii=False)
    cycle.clock.set(store.utc(review.talk_at) + timedelta(minutes=31))
    view = cycle.open_form(talk.RECORD_OPEN, str(review.id), "U0MEI")
    shown = json.dumps(view, ensure_ascii=False)
    assert "秋后算账" in shown and "挑战性目标" in shown and "带教一名新人" in shown
    bad = cycle.submit(view, {"strengths_1": "沟通好", "improvements_2_ex": "某次拜访",
                              "a1_text": "做决策图谱", "development": ""}, "U0MEI")
    assert set(bad["errors"]) == {"strengths_1_ex", "improvements_1", "improvements_1_ex",
                                  "improvements_2", "a1_due", "a1_measure", "development"}
    bad = cycle.submit(view, {"strengths_1": "沟通好", "strengths_1_ex": "三轮化解数据顾虑",
                              "improvements_1": "决策链", "improvements_1_ex": "丢单未见CFO",
                              "development": "大客户方向", "mentee": "U0BO"}, "U0MEI")
    assert set(bad["errors"]) == {"a1_text", "mentee"}
    assert "SMART" in bad["errors"]["a1_text"]
    ok = cycle.submit(view, {"strengths_1": "沟通好", "strengths_1_ex": "三轮化解数据顾虑",
                             "improvements_1": "决策链", "improvements_1_ex": "丢单未见CFO",
                             "a1_text": "3 个决策图谱", "a1_due": "2026-12-04",
                             "a1_measure": "每周五汇报", "a2_text": "参加 SPIN 培训",
                             "a2_due": "2026-11-30", "a2_measure": "培训结业",
                             "development": "大客户方向", "stretch": "牵头一个行业项目",
                             "mentee": "U0ALICE"}, "U0MEI")
    assert "2 个带提醒的行动项" in json.dumps(ok, ensure_ascii=False)
    with cycle.deps.sessions() as s:
        items = s.exec(select(ActionItem).where(ActionItem.review_id == review.id)).all()
    assert sorted((i.text, i.owner_user_id, i.due_on, i.status) for i in items) == [
        ("3 个决策图谱", "U0BO", date(2026, 12, 4), "open"),
        ("参加 SPIN 培训", "U0BO", date(2026, 11, 30), "open")]
    rec = cycle.wait_posts("U0BO", 3)[-1]
    assert "牵头一个行业项目" in rec["blocks"] and "<@U0ALICE>" in rec["blocks"]
    assert "/actions" not in rec["blocks"]
    assert "3 个决策图谱" in cycle.bot.command("", command="/actions", user="U0BO").text
    # The grade now lives in the record: the rating form is closed.
    rerate = cycle.open_form(render.RATE_OPEN, str(review.id), "U0MEI")
    assert "等级请在面谈记录中修改" in json.dumps(rerate, ensure_ascii=False)
    # An edit before the confirmation: a row emptied is dropped, the rep gets the new
    # version; a confirmation form opened on the old version is refused.
    old = cycle.open_form(talk.CONFIRM_OPEN, str(review.id), "U0BO")
    view = cycle.open_form(talk.RECORD_OPEN, str(review.id), "U0MEI")
    cycle.submit(view, {"a2_text": "", "a2_due": "", "a2_measure": ""}, "U0MEI")
    with cycle.deps.sessions() as s:
        statuses = sorted(i.status for i in s.exec(select(ActionItem)).all())
    assert statuses == ["dropped", "open"]
    assert "更新了" in cycle.posts("U0BO")[-1]["text"]
    stale = cycle.submit(old, {"comment": ""}, "U0BO")
    assert "新版本" in json.dumps(stale, ensure_ascii=False)
    assert cycle.review("U0BO", "2026-10").confirmed_at is None
    confirm(cycle, "U0BO", "2026-10")
    # Once confirmed, the record is closed to edits.
    refused = cycle.open_form(talk.RECORD_OPEN, str(review.id), "U0MEI")
    assert "不能再改期或重新记录" in json.dumps(refused, ensure_ascii=False)


# ----------------------------------------------------------------- levels and competencies

def test_competencies_by_level_are_rules_data_in_both_languages(cycle: Cycle) -> None:
    assert "只有团队经理" in cycle.command("level <@U0ALICE> senior", "U0BO")
    assert "初级" in cycle.command("level <@U0BO>", "U0MEI")
    unknown = cycle.command("level <@U0BO> 总监", "U0MEI")
    assert "不认识级别 `总监`" in unknown and "/review level @alice senior" in unknown
    set_ = cycle.command("level <@U0BO> 资深", "U0MEI")
    assert "*资深*" in set_ and "大客户战略规划" in set_ and "团队带动" in set_
    # A team adds a level and a dimension of its own, named in English and Chinese.
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        teams.set_rule_overrides(s, team_id=team.id, overrides={"competencies": {
            "levels": ["junior", "senior", "lead"], "by_level": {"lead": ["coaching"]},
            "names": {"lead": {"en": "Team lead", "zh": "组长"},
                      "coaching": {"en": "Coaching others", "zh": "辅导他人"}}}})
    assert "*组长*" in cycle.command("level <@U0ALICE> lead", "U0MEI")
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    cycle.clock.set(local(SHANGHAI, "2026-11-05 10:00"))
    bo = cycle.open_form(render.RATE_OPEN, str(cycle.review("U0BO", "2026-10").id), "U0MEI")
    names = [b["label"]["text"] for b in bo["blocks"]
             if b.get("block_id", "").startswith("c_") and not b["block_id"].endswith("_ex")]
    assert names == ["技术理解能力", "方案设计能力", "客户沟通能力", "资源协调能力",
                     "大客户战略规划", "复杂谈判", "团队带动"]
    alice = cycle.open_form(render.RATE_OPEN, str(cycle.review("U0ALICE", "2026-10").id),
                            "U0MEI")
    assert "辅导他人" in json.dumps(alice, ensure_ascii=False)
    answers = {**competencies(alice), "c_coaching": "strength",
               "c_coaching_ex": "带新人拿下首单"}
    cycle.submit(alice, {"grade": "A", "strengths": "带教", "improvements": "预测",
                         **answers}, "U0MEI")
    review = cycle.review("U0ALICE", "2026-10")
    assert review.level == "lead"
    rated = {c["key"]: c["rating"] for c in json.loads(review.competencies)}
    assert rated["coaching"] == "strength" and len(rated) == 5


# ----------------------------------------------------------------- what final grades call for

def test_consequences_read_final_grades_not_computed_ones(cycle: Cycle) -> None:
    """Q2 final A (the scorecard said D), Q3 final A after an appeal from B: a commission
    raise is recommended to Mei, from the final grades, the morning after Q3 is final."""
    final_review(cycle, "U0BO", "2026-Q2", date(2026, 6, 30), "A",
                 local(SHANGHAI, "2026-07-20 00:00"))
    final_review(cycle, "U0BO", "2026-Q3", date(2026, 9, 30), "A",
                 local(SHANGHAI, "2026-10-22 00:00"), before="B")
    cycle.run(local(SHANGHAI, "2026-10-22 08:59"))
    assert cycle.posts("U0MEI") == []
    cycle.run(local(SHANGHAI, "2026-10-22 09:00"))
    [rec] = cycle.posts("U0MEI")
    assert "最终等级为 *A*" in rec["text"] and "1% → 1.5%" in rec["blocks"]
    assert "最终等级 A, A" in rec["blocks"]
    assert cycle.posts("U0BO") == []  # a suggestion for the manager and HR
    cycle.run(local(SHANGHAI, "2026-10-22 12:00"))
    assert len(cycle.posts("U0MEI")) == 1
    # /scorecard for Q3 shows Mei the same, from the final grades (its card is ungraded: no
    # targets, so no computed grade could have said so).
    cycle.bot.command("<@U0BO> 2026-Q3", command="/scorecard", user="U0MEI")
    card = text_of(cycle.bot)
    assert "1% → 1.5%" in card and "最终等级 A, A" in card


def test_an_s_and_a_low_satisfaction_each_open_their_follow_up(cycle: Cycle) -> None:
    """Bo: S for Q3 → priority training (Mei) and "share your playbook" (Bo). Alice: customer
    satisfaction 72 below the baseline 80 → her own improvement plan, checked monthly."""
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        ratings.rate(s, team_id=team.id, user_id="U0ALICE", period="2026-Q3",
                     kind="satisfaction", value=72, note="", by_user_id="U0MEI",
                     now=datetime(2026, 10, 9, tzinfo=UTC))
    final_review(cycle, "U0BO", "2026-Q3", date(2026, 9, 30), "S",
                 local(SHANGHAI, "2026-10-21 00:00"))
    final_review(cycle, "U0ALICE", "2026-Q3", date(2026, 9, 30), "B",
                 local(SHANGHAI, "2026-10-21 00:00"))
    cycle.run(local(SHANGHAI, "2026-10-21 09:00"))
    [share] = cycle.posts("U0BO")
    assert "分享你的经验" in share["text"] and "标杆案例" in share["blocks"]
    training = [p for p in cycle.posts("U0MEI") if "优先培训" in p["text"]]
    assert len(training) == 1 and "大客户销售策略" in training[0]["blocks"]
    [ask] = cycle.posts("U0ALICE")
    assert "rated your service at 72" in ask["text"] and "baseline of 80" in ask["text"]
    assert "satisfaction" in [p.kind for p in _plans(cycle)]
    told = [p for p in cycle.posts("U0MEI") if "满意度低于团队基准分" in p["text"]]
    assert len(told) == 1 and plan_render.PLAN_OPEN not in told[0]["blocks"]
    # Alice proposes it (no mentor asked of her); Mei gets it; Mei may not fill it for her.
    view = cycle.open_form(plan_render.PLAN_OPEN, button(ask, plan_render.PLAN_OPEN),
                           "U0ALICE")
    assert "mentor" not in {b.get("block_id") for b in view["blocks"]}
    assert cycle.submit(view, {"targets": ""}, "U0ALICE")["errors"].keys() == {"targets"}
    cycle.submit(view, {"targets": "Two deep follow-ups a month with key accounts; 85",
                        "notes": "A CRM reminder"}, "U0ALICE")
    proposal = cycle.posts("U0MEI")[-1]
    assert "提交提升客户满意度的改进方案" in proposal["text"]
    assert "Two deep follow-ups" in proposal["blocks"]
    [plan] = [p for p in _plans(cycle) if p.kind == "satisfaction"]
    assert (plan.set_by, plan.mentor_user_id) == ("U0ALICE", None)
    assert plan_render.PLAN_OPEN not in cycle.command("", "U0ALICE")  # proposed: done
    # Month one's check goes to Mei, like a PIP's.
    cycle.run(local(SHANGHAI, "2026-11-23 09:00"))
    assert plan_render.CHECK_OPEN in cycle.posts("U0MEI")[-1]["blocks"]


def _plans(cycle: Cycle) -> list[ImprovementPlan]:
    with cycle.deps.sessions() as s:
        return list(s.exec(select(ImprovementPlan)).all())


def test_managers_hear_of_an_appeal_and_hr_of_a_plans_decision(cycle: Cycle) -> None:
    """Seed 003's appeal goes to HR with the sales director; the manager is told it was filed
    (not asked to decide). A plan not met ends in a decision HR is told of."""
    cycle.run(local(SHANGHAI, "2026-11-02 09:00"))
    rate(cycle, "U0BO", "2026-10", "C", local(SHANGHAI, "2026-11-05 10:00"))
    record(cycle, "U0BO", "2026-10", grade="C")
    confirm(cycle, "U0BO", "2026-10")
    view = cycle.open_form(render.APPEAL_OPEN, str(cycle.review("U0BO", "2026-10").id), "U0BO")
    cycle.submit(view, {"reason": "客户付款流程变更"}, "U0BO")
    filed = cycle.posts("U0MEI")[-1]
    assert "提出申诉" in filed["text"] and "客户付款流程变更" in filed["blocks"]
    assert render.DECIDE_OPEN not in filed["blocks"] and "不是冲突" in filed["blocks"]
    assert render.DECIDE_OPEN in cycle.posts(HR)[-1]["blocks"]
    with cycle.deps.sessions() as s:
        assert plans.open_plans(s, workspace_id=WORKSPACE) == []


def test_quarter_end_leaves_recommendations_to_the_final_grades(cycle: Cycle) -> None:
    """At quarter-end no Q3 review is final yet: the overview says the recommendations
    follow the final grades, and suggests nothing from the computed ones."""
    from bot.jobs import registry as jobs

    final_review(cycle, "U0BO", "2026-Q2", date(2026, 6, 30), "A",
                 local(SHANGHAI, "2026-07-20 00:00"))
    jobs.run_job(cycle.deps, "quarter-end", now=local(SHANGHAI, "2026-10-08 09:00"),
                 team="East")
    [overview] = [p for p in cycle.posts("U0MEI") if "团队总览" in p["text"]]
    assert "*最终*等级为准" in overview["blocks"] and "1.5%" not in overview["blocks"]
