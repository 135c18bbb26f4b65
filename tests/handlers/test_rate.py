"""/rate: managers' ratings with permissions, and anonymous peer ratings in a form."""

from __future__ import annotations

import json
import urllib.request

from sqlmodel import select

from bot.slack.signing import sign, view_submission_body
from store import ratings, teams
from store.models import AuditEntry, PeerRating, Rating
from tests.conftest import SECRET, WORKSPACE, Bot
from tests.fakes import view_problems


def rate(bot: Bot, text: str, user: str) -> str:
    reply = bot.command(text, command="/rate", user=user)
    assert reply.status == 200
    return reply.text


def open_form(bot: Bot, text: str, user: str) -> dict:
    before = len(bot.fake.find("views.open"))
    bot.command(text, command="/rate", user=user)
    view = bot.fake.wait_for("views.open", before + 1)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def submit(bot: Bot, view: dict, answers: dict[str, str], user: str) -> dict:
    body = view_submission_body(view, answers, user_id=user, team_id=WORKSPACE)
    request = urllib.request.Request(bot.url + "/slack/events", data=body.encode(),
                                     headers=sign(SECRET, body), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read().decode()
    reply = json.loads(raw) if raw else {}
    if reply.get("response_action") == "update":
        assert view_problems(reply["view"]) == []
    return reply


def add_teammate(bot: Bot, user: str) -> None:
    with bot.deps.sessions() as session:
        teams.add_members(session, workspace_id=WORKSPACE, name="East", user_ids=[user],
                          now=bot.deps.clock.now())


def test_managers_rate_satisfaction_and_compliance(bot: Bot) -> None:
    assert "U0ALICE" in rate(bot, "<@U0ALICE> 满意度 88", "U0MEI")
    assert "(replacing the earlier score)" not in rate(bot, "<@U0ALICE> csat 90", "U0MEI")
    rate(bot, "<@U0ALICE> compliance -5 2026-Q3 missing contract copy", "U0MEI")
    with bot.deps.sessions() as session:
        rows = session.exec(select(Rating.kind, Rating.period, Rating.value, Rating.note)
                            .order_by(Rating.id)).all()
        found = ratings.qualitative(session, team_id=1, period="2026-Q4")
    assert rows == [("satisfaction", "2026-Q4", 90.0, ""),
                    ("compliance", "2026-Q3", 5.0, "missing contract copy")]
    assert found["U0ALICE"].satisfaction == 90.0


def test_reps_cannot_rate_and_nobody_rates_themselves(bot: Bot) -> None:
    assert "Only managers and admins" in rate(bot, "<@U0BO> satisfaction 100", "U0ALICE")
    with bot.deps.sessions() as session:
        teams.add_managers(session, workspace_id=WORKSPACE, name="East", user_ids=["U0ALICE"],
                           now=bot.deps.clock.now())
    assert "🙏" in rate(bot, "<@U0ALICE> satisfaction 100", "U0ALICE")
    with bot.deps.sessions() as session:
        assert session.exec(select(Rating)).all() == []
        denied = session.exec(select(AuditEntry.outcome)).all()
    assert denied == ["denied", "denied"]


def test_bad_values_get_examples(bot: Bot) -> None:
    assert "不是 0 到 100 之间的分数" in rate(bot, "<@U0ALICE> 满意度 很好", "U0MEI")
    assert "不是 0 到 100" in rate(bot, "<@U0ALICE> satisfaction 180", "U0MEI")
    assert "/rate @teammate" in rate(bot, "<@U0ALICE> mood 3", "U0ALICE")


def test_peer_rating_form_is_anonymous_one_per_rater_and_validated(bot: Bot) -> None:
    view = open_form(bot, "<@U0BO>", "U0ALICE")
    assert view["callback_id"] == "peer_rating"
    assert "admins included" in json.dumps(view)
    assert submit(bot, view, {"score": "4"}, "U0ALICE")["response_action"] == "update"
    again = submit(bot, view, {"score": "5"}, "U0ALICE")
    assert "replacing your earlier one" in json.dumps(again)
    self_rating = submit(bot, view, {"ratee": "U0ALICE", "score": "5"}, "U0ALICE")
    assert self_rating["errors"] == {"ratee": "You can't rate yourself; pick a teammate."}
    stranger = submit(bot, view, {"ratee": "U0STRAY", "score": "5"}, "U0ALICE")
    assert "ratee" in stranger["errors"]
    assert "score" in submit(bot, open_form(bot, "", "U0ALICE"), {"ratee": "U0BO"},
                             "U0ALICE")["errors"]
    add_teammate(bot, "U0CARLOS")
    submit(bot, view, {"ratee": "U0CARLOS", "score": "3"}, "U0ALICE")
    with bot.deps.sessions() as session:
        rows = session.exec(select(PeerRating)).all()
        found = ratings.qualitative(session, team_id=1, period="2026-Q4")
    assert sorted((r.ratee_user_id, r.score) for r in rows) == [("U0BO", 5), ("U0CARLOS", 3)]
    everything = json.dumps([r.model_dump() for r in rows])
    assert "U0ALICE" not in everything  # the rater is nowhere in the table
    assert rows[0].rater_key != rows[1].rater_key  # nor linkable across ratees
    assert found["U0BO"].peer_scores == (5.0,)


def test_the_form_is_in_chinese_for_chinese_users(bot: Bot) -> None:
    view = open_form(bot, "", "U0BO")
    assert view["title"]["text"] == "评价同事" and "完全匿名" in json.dumps(view,
                                                                        ensure_ascii=False)
    assert "U0BO" not in json.dumps(view.get("blocks"))
