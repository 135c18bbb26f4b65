"""/pacer: team admin in Slack, roles, permissions and the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from store import teams
from store.models import AuditEntry, Member, Team, TeamHoliday
from tests.conftest import WORKSPACE, Bot


def audit_rows(bot: Bot) -> list[tuple[str, str, str]]:
    with bot.deps.sessions() as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor_user_id, r.action, r.outcome) for r in rows]


def summary(bot: Bot, name: str) -> teams.TeamSummary:
    with bot.deps.sessions() as session:
        return next(s for s in teams.list_teams(session, workspace_id=WORKSPACE)
                    if s.name == name)


def pacer(bot: Bot, text: str, user: str) -> str:
    reply = bot.command(text, command="/pacer", user=user)
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    return reply.text


def slack_admin(bot: Bot, user: str) -> None:
    """Slack says `user` is a workspace admin (users.info is_admin), before Pacer asks."""
    bot.fake.users[user] = {**bot.fake.users.get(user, {}), "is_admin": True}


def roles_and_sources(bot: Bot) -> dict[str, tuple[str, str | None]]:
    with bot.deps.sessions() as session:
        rows = session.exec(select(Member.user_id, Member.role, Member.admin_source)).all()
    return {user: (role, source) for user, role, source in rows}


def test_a_reps_first_pacer_makes_nobody_admin_and_says_who_can(bot: Bot) -> None:
    # Issue 14: the first person to type /pacer used to become the workspace's admin.
    text = pacer(bot, "help", "U0STRAY")
    assert "Pacer has no admin in this workspace yet" in text and "owners and admins" in text
    assert f"pacer role U… admin --workspace {WORKSPACE}" in text
    assert "Only a Pacer admin" in pacer(bot, "role <@U0STRAY> admin", "U0STRAY")
    assert roles_and_sources(bot)["U0STRAY"] == ("rep", None)
    slack_admin(bot, "U0OWNER")  # a Slack workspace admin uses Pacer: Pacer's admin
    assert "no admin" not in pacer(bot, "help", "U0OWNER")
    assert "no admin" not in pacer(bot, "help", "U0ALICE")
    assert roles_and_sources(bot)["U0OWNER"] == ("admin", "slack")
    assert ("slack", "admin.grant", "done") in audit_rows(bot)


def test_admins_name_admins_who_can_be_revoked_but_not_slacks_own(bot: Bot) -> None:
    slack_admin(bot, "U0OWNER")
    assert "admin" in pacer(bot, "role <@U0LEE> admin", "U0OWNER")
    assert "✅" in pacer(bot, 'team create West <#C0WEST>', "U0LEE")  # Lee may do anything
    listing = pacer(bot, "role list", "U0LEE")
    assert "<@U0OWNER> · *admin* · a Slack workspace owner or admin" in listing
    assert "<@U0LEE> · *admin* · named by <@U0OWNER>" in listing
    assert "Slack workspace owner or admin" in pacer(bot, "role <@U0OWNER> rep", "U0LEE")
    pacer(bot, "role <@U0LEE> rep", "U0OWNER")
    assert roles_and_sources(bot)["U0LEE"] == ("rep", None)
    assert roles_and_sources(bot)["U0OWNER"] == ("admin", "slack")
    assert "Only a Pacer admin" in pacer(bot, "role list", "U0LEE")
    grants = [(actor, action, target, detail) for actor, action, target, detail in audit_log(
        bot) if action.startswith("admin.")]
    assert grants == [("slack", "admin.grant", "U0OWNER", "slack"),
                      ("U0OWNER", "admin.grant", "U0LEE", "named"),
                      ("U0OWNER", "admin.revoke", "U0LEE", "was named; now rep")]


def test_a_slack_admin_who_is_no_longer_one_loses_what_slack_gave(bot: Bot) -> None:
    slack_admin(bot, "U0OWNER")
    pacer(bot, "help", "U0OWNER")
    bot.fake.users["U0OWNER"]["is_admin"] = False  # demoted in Slack
    bot.deps.clock.advance(timedelta(hours=25))  # users.info is asked again after a day
    bot.deps.users.forget(WORKSPACE, "U0OWNER")
    assert "Only a Pacer admin" in pacer(bot, "audit", "U0OWNER")
    assert roles_and_sources(bot)["U0OWNER"] == ("rep", None)
    assert ("slack", "admin.revoke", "U0OWNER", "was slack; now rep") in audit_log(bot)


def audit_log(bot: Bot) -> list[tuple[str, str, str, str]]:
    with bot.deps.sessions() as session:
        rows = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor_user_id, r.action, r.target, r.detail) for r in rows]


def test_manager_runs_their_team_in_slack(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")  # someone else is admin
    # Mei's Slack is in Chinese, so Pacer answers her in Chinese.
    assert "已将 <@U0CARLOS>, <@U0DIANA> 加入 *East*" in pacer(
        bot, "team add East <@U0CARLOS|carlos> U0DIANA", "U0MEI")
    assert "U0CARLOS" in summary(bot, "East").members
    assert "在 <#C0NEW> 发布" in pacer(bot, "team channel East <#C0NEW|sales-east>", "U0MEI")
    pacer(bot, "team tz East Asia/Singapore", "U0MEI")
    pacer(bot, "team holidays East cn", "U0MEI")
    text = pacer(bot, "team holidays East add 2026-12-24 Team offsite", "U0MEI")
    assert "中国法定节假日" in text and "2026-12-24 Team offsite" in text
    pacer(bot, "team remove East <@U0DIANA>", "U0MEI")
    pacer(bot, "team manager East <@U0LEE>", "U0MEI")
    east = summary(bot, "East")
    assert (east.channel_id, east.tz) == ("C0NEW", "Asia/Singapore")
    assert "U0DIANA" not in east.members and "U0LEE" in east.managers
    with bot.deps.sessions() as session:
        assert session.exec(select(TeamHoliday.day)).all()[0].isoformat() == "2026-12-24"
    actions = [a for _, a, outcome in audit_rows(bot) if outcome == "done"]
    assert actions == ["admin.grant", "team.add", "team.channel", "team.tz", "team.holidays",
                       "team.holidays", "team.remove", "team.manager"]


def test_reps_are_refused_politely_and_it_is_audited(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    text = pacer(bot, "team add East <@U0EVE>", "U0ALICE")
    assert "Only managers and admins can do that" in text
    assert "Only managers and admins" in pacer(bot, "team create West", "U0ALICE")
    assert "只有 Pacer 管理员" in pacer(bot, "role <@U0ALICE> admin", "U0BO")
    assert "U0EVE" not in summary(bot, "East").members
    assert audit_rows(bot) == [("slack", "admin.grant", "done"),
                               ("U0ALICE", "pacer team add", "denied"),
                               ("U0ALICE", "pacer team create", "denied"),
                               ("U0BO", "pacer role", "denied")]
    assert "Try: `/pacer team add East @alice @bob`" not in pacer(bot, "team add East", "U0ALICE")


def test_a_manager_cannot_change_another_managers_team(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    pacer(bot, "role <@U0LEE> manager", "U0STRAY")
    assert "Created team *West*" in pacer(bot, "team create West <#C0WEST> currency usd", "U0LEE")
    assert "only change teams you manage" in pacer(bot, "team add East <@U0EVE>", "U0LEE")
    with bot.deps.sessions() as session:
        west = session.exec(select(Team).where(Team.name == "West")).one()
    assert (west.currency, west.channel_id) == ("USD", "C0WEST")


def test_admin_can_do_anything_and_read_the_audit(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    assert "✅" in pacer(bot, 'team create "North Star" <#C0NORTH> tz Asia/Tokyo <@U0KAI>',
                        "U0STRAY")
    assert "✅" in pacer(bot, 'team add "North Star" <@U0ALICE>', "U0STRAY")
    assert "North Star" in pacer(bot, "team list", "U0ALICE")
    pacer(bot, "team add East <@U0EVE>", "U0ALICE")  # refused, audited
    log = pacer(bot, "audit", "U0STRAY")
    assert "team.create" in log and "denied" in log
    assert "只有 Pacer 管理员" in pacer(bot, "audit", "U0MEI")


def test_bad_input_gets_specific_help(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    pacer(bot, "me lang en", "U0MEI")
    assert "`@bob` isn't a person" in pacer(bot, "team add East @bob", "U0MEI")
    assert "no team named 'Nope'" in pacer(bot, "team add Nope <@U0X>", "U0MEI")
    assert "unknown time zone 'Mars/Base'" in pacer(bot, "team tz East Mars/Base", "U0MEI")
    assert "unknown holiday country 'XX'" in pacer(bot, "team holidays East XX", "U0MEI")
    assert "isn't a /pacer command" in pacer(bot, "dance", "U0MEI")
    assert "Try: `/pacer team add East @alice @bob`" in pacer(bot, "team add East", "U0MEI")
    assert "没有名为“不存在”的团队" in pacer(bot, "team add 不存在 <@U0X>", "U0BO")


def test_personal_time_zone_and_language_win_over_slack(bot: Bot) -> None:
    assert "follows Slack" not in pacer(bot, "me tz Asia/Tokyo", "U0ALICE")
    reply = bot.command("visit Acme")  # 02:00 UTC = 11:00 Wednesday in Tokyo
    assert "on Wed 18 Nov" in reply.text
    assert "中文" in pacer(bot, "me lang zh", "U0ALICE")
    assert "已记录" in bot.command("call Acme").text
    pacer(bot, "me lang auto", "U0ALICE")
    pacer(bot, "me tz auto", "U0ALICE")
    assert "on Tue 17 Nov" in bot.command("visit Globex").text
    assert "/pacer me tz" in pacer(bot, "me tz", "U0ALICE")


def test_team_times_in_slack(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    pacer(bot, "me lang en", "U0MEI")
    text = pacer(bot, "team times East checkin 09:00 report 17:30", "U0MEI")
    assert "check-in reminder at 09:00" in text and "Friday report at 17:30" in text
    assert "isn't" not in pacer(bot, "team times East brief 25:00", "U0MEI")
    assert "'25:00' is not a time of day" in pacer(bot, "team times East brief 25:00", "U0MEI")
    assert "Try: `/pacer team times East" in pacer(bot, "team times East checkin", "U0MEI")


def test_team_names_opt_in(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    assert "将列出本周没有任何记录的销售" in pacer(bot, "team names East on", "U0MEI")
    assert "只统计" in pacer(bot, "team names East off", "U0MEI")
    assert "`/pacer team names East on`" in pacer(bot, "team names East maybe", "U0MEI")
    assert "Only managers" in pacer(bot, "team names East on", "U0ALICE")


def test_team_names_with_spaces_need_no_quotes(bot: Bot) -> None:
    slack_admin(bot, "U0ALICE")  # only an admin creates teams (SPEC §5b)
    text = pacer(bot, "team create East Coast <#C0EAST|east> tz Asia/Shanghai currency USD",
                 "U0ALICE")
    assert "Created team *East Coast*" in text
    assert "Added <@U0BO>" in pacer(bot, "team add east coast <@U0BO|bo>", "U0ALICE")
    assert summary(bot, "East Coast").members == ("U0BO",)
    text = pacer(bot, "team add West Coast <@U0BO|bo>", "U0ALICE")
    assert "no team named 'West'" in text and 'quotes: \\"East Coast' in text


def test_a_short_user_id_typed_as_a_mention_is_a_user() -> None:
    from bot.slack.text import user_id

    assert user_id("@U0BO") == "U0BO" and user_id("<@U0BO>") == "U0BO"
    assert user_id("U0BO") is None and user_id("UK") is None  # bare, short: a word
    assert user_id("U012ABCDEF") == "U012ABCDEF"


def test_a_channel_slack_did_not_escape_is_refused_not_made_part_of_the_name(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    reply = pacer(bot, "team create South #nosuchchannel", "U0STRAY")
    assert "`#nosuchchannel`" in reply and "/pacer team create South #sales" in reply
    reply = pacer(bot, "team create South <@U0KAI> @nobody", "U0STRAY")
    assert "`@nobody`" in reply
    with bot.deps.sessions() as session:
        assert not session.exec(select(Team).where(Team.name.like("South%"))).all()
