"""/lead and the leads that /log touches: matching, stages, ambiguity, permissions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from store.models import Activity, AuditEntry, Customer, StageChange
from tests.conftest import Bot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def lead(bot: Bot, text: str, user: str = "U0ALICE") -> str:
    reply = bot.command(text, command="/lead", user=user)
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    return reply.text


def customers(bot: Bot) -> dict[str, Customer]:
    with bot.deps.sessions() as session:
        return {c.name: c for c in session.exec(select(Customer)).all()}


def stages(bot: Bot, name: str) -> list[str]:
    with bot.deps.sessions() as session:
        cid = session.exec(select(Customer.id).where(Customer.name == name)).one()
        return list(session.exec(select(StageChange.to_stage)
                                 .where(StageChange.customer_id == cid)
                                 .order_by(StageChange.id)).all())


def buttons(reply) -> list[dict]:
    return [e for b in reply.body["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_logs_create_and_touch_one_customer_matched_forgivingly(bot: Bot) -> None:
    first = bot.command("visit Acme Corp")
    assert "New customer *Acme Corp* added to your leads (contacted)" in first.text
    bot.command("call acme  corp")
    bot.command("email ACMECORP")
    assert list(customers(bot)) == ["Acme Corp"]
    with bot.deps.sessions() as session:
        ids = set(session.exec(select(Activity.customer_id)).all())
    assert ids == {customers(bot)["Acme Corp"].id}


def test_logs_advance_the_stage_forward_only_and_a_deal_wins(bot: Bot) -> None:
    bot.command("visit Acme")
    assert "*Acme* moved to *demo*" in bot.command("demo Acme").text
    bot.command("call Acme")  # a call after a demo does not move it back
    reply = bot.command("deal Acme 120k")
    assert "*Acme* moved to *won*" in reply.text and "new customer" in reply.text
    assert stages(bot, "Acme") == ["lead", "contacted", "demo", "won"]
    second = bot.command("deal Acme 50k")  # new/existing inferred from the first deal
    assert "existing customer" in second.text


def test_undo_takes_back_the_stage_move_and_a_customer_it_created(bot: Bot) -> None:
    bot.command("visit Acme")
    bot.command("demo Acme")
    bot.command("undo")
    assert customers(bot)["Acme"].stage == "contacted"
    bot.command("visit Typo Inc")
    bot.command("undo")
    assert "Typo Inc" not in customers(bot)


def test_an_ambiguous_name_asks_which_customer(bot: Bot) -> None:
    lead(bot, "add Acme Corp")
    lead(bot, "add Acme Labs")
    reply = bot.command("visit acme")
    assert "Which customer is *acme*?" in reply.text
    labels = [b["text"]["text"] for b in buttons(reply)]
    assert labels == ["Acme Corp", "Acme Labs", "New customer: acme", "Undo"]
    corp = buttons(reply)[0]
    bot.click(corp["action_id"], corp["value"])
    linked = bot.responses(1)[-1]
    assert linked.args["replace_original"] is True and "moved to *contacted*" in json.dumps(
        linked.args)
    assert customers(bot)["Acme Corp"].stage == "contacted"
    bot.click(corp["action_id"], corp["value"])  # a double click links nothing twice
    assert len(stages(bot, "Acme Corp")) == 2
    new = bot.command("visit acme")
    choice = buttons(new)[2]
    bot.click(choice["action_id"], choice["value"])
    bot.responses(3)
    assert "acme" in customers(bot)


def test_lead_commands_move_lose_retier_and_hand_over(bot: Bot) -> None:
    assert "Added *Acme Corp* as a new lead (key, from trade show)" in lead(
        bot, "add Acme Corp key from trade show")
    assert "already on your team's list" in lead(bot, "add acme corp")
    assert "now at *proposal*" in lead(bot, "stage Acme Corp proposal")
    assert "already at *proposal*" in lead(bot, "stage acme corp proposal")
    assert "isn't a stage" in lead(bot, "stage Acme Corp sideways")
    assert "marked lost: chose a competitor" in lead(bot, "lost Acme Corp chose a competitor")
    assert "standard account" in lead(bot, "tier Acme Corp standard")
    assert "now owns *Acme Corp*" in lead(bot, "owner Acme Corp <@U0BO|bo>")
    acme = customers(bot)["Acme Corp"]
    assert (acme.stage, acme.lost_reason, acme.tier, acme.owner_user_id, acme.source) == (
        "lost", "chose a competitor", "standard", "U0BO", "trade show")
    shown = lead(bot, "show Acme Corp", user="U0BO")
    assert "输单" in shown and "方案报价 → 输单" in shown
    assert "no customer called *Initech*" in lead(bot, "stage Initech demo")


def test_chinese_lead_commands(bot: Bot) -> None:
    added = lead(bot, "add 阿里巴巴 重点 来源 展会", "U0BO")
    assert "已添加新线索 *阿里巴巴*（重点客户，来源：展会）" in added
    assert "*阿里巴巴* 已进入 *方案演示* 阶段" in lead(bot, "stage 阿里巴巴 演示", "U0BO")
    bot.command("拜访 阿里巴巴 昨天", user="U0BO")
    assert "阿里巴巴" in lead(bot, "list", "U0BO")


def test_only_the_owner_or_a_manager_moves_a_lead(bot: Bot) -> None:
    lead(bot, "add Globex")
    assert "只有线索负责人或经理" in lead(bot, "stage Globex demo", user="U0BO")
    assert customers(bot)["Globex"].stage == "lead"
    assert "方案演示" in lead(bot, "stage Globex demo", user="U0MEI")  # Mei manages East
    with bot.deps.sessions() as session:
        trail = session.exec(select(AuditEntry.actor_user_id, AuditEntry.action,
                                    AuditEntry.outcome).order_by(AuditEntry.id)).all()
    assert trail == [("U0BO", "lead.stage", "denied"), ("U0MEI", "lead.stage", "done")]


def test_lists_show_idle_leads_and_respect_privacy(bot: Bot) -> None:
    lead(bot, "add Acme")
    lead(bot, "add 腾讯", user="U0BO")
    mine = lead(bot, "list")
    assert "Acme" in mine and "腾讯" not in mine
    bot.deps.clock.advance(timedelta(hours=50))
    assert "waiting for a follow-up for 50 working h" in lead(bot, "list")
    team = lead(bot, "list", user="U0MEI")
    assert "Acme" in team and "腾讯" in team
    assert "only see or change that for reps on your own teams" not in lead(
        bot, "list <@U0ALICE>", user="U0MEI")
    assert "🙏" in lead(bot, "list <@U0BO>")


def test_the_list_flags_leads_by_working_hours_and_stage(bot: Bot) -> None:
    """Seed 001's 48 hours are working hours of a lead (stage lead or contacted) waiting for
    a follow-up: a weekend stops the clock, a won or later-stage customer is never flagged."""
    bot.deps.clock.set(datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    lead(bot, "add Acme")
    lead(bot, "add Globex")
    lead(bot, "stage Globex demo")
    bot.deps.clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    listed = lead(bot, "list")
    assert "touched 65 h ago" in listed and "⚠️" not in listed  # Fri 7 h + Mon 10 h = 17
    bot.deps.clock.set(datetime(2026, 11, 24, 17, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    assert "⚠️" not in lead(bot, "list")  # exactly 48 working hours: still in time
    bot.deps.clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    listed = lead(bot, "list")
    assert "*Acme* · lead · standard · <@U0ALICE> · ⚠️ waiting for a follow-up for 49 working h" \
        in listed
    assert "*Globex* · demo · standard · <@U0ALICE> · touched 97 h ago" in listed


def test_someone_without_a_team_is_told_how_to_join(bot: Bot) -> None:
    assert "not on one yet" in lead(bot, "list", user="U0STRAY")
    assert "/lead add Acme Corp" in lead(bot, "help", user="U0STRAY")


def test_lead_add_reads_tier_and_source_words_without_from(bot: Bot) -> None:
    assert "*Initech* as a new lead (standard, from referral)" in lead(bot, "add Initech referral")
    assert "(key, from trade show)" in lead(bot, "add Hooli key trade show")
    assert "（重点客户，来源：展会）" in lead(bot, "add 腾讯 重点 展会", user="U0BO")
    lead(bot, "add Partner Systems")  # a source word that starts the name is the name
    lead(bot, 'add "Acme Partner" website')  # quoted: the name whole
    lead(bot, "add Globex from LinkedIn ad")
    got = {name: (c.tier, c.source) for name, c in customers(bot).items()}
    assert got == {"Initech": ("standard", "referral"), "Hooli": ("key", "trade show"),
                   "腾讯": ("key", "展会"), "Partner Systems": ("standard", None),
                   "Acme Partner": ("standard", "website"),
                   "Globex": ("standard", "LinkedIn ad")}


def test_the_source_words_are_a_setting() -> None:
    from bot.config import DEFAULT_LEAD_SOURCES, Settings

    assert Settings.from_env({}).lead_sources == DEFAULT_LEAD_SOURCES
    got = Settings.from_env({"PACER_LEAD_SOURCES": "Referral, Road Show，展会"}).lead_sources
    assert got == ("referral", "road show", "展会")
