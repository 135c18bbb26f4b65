"""/pacer: team setup for managers and admins, and each person's own settings.

The same store functions serve `pacer team ...` on the command line. `/pacer me …` sets only
the person's own: time zone, language, quiet hours, a daily digest and the Friday brief
request (times read in their own zone; how quiet hours and the digest shape the scheduled
DMs is bot/jobs/outbox.py's; replies to commands and channel posts are never held).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.quiet import BadTime, hhmm, read_span, read_time, suggest_time
from bot.deps import Deps, Who
from bot.errors import Refused, Usage
from bot.i18n import (
    Raw,
    catalogue,
    format_country,
    format_day,
    lang_for,
    slack_escape,
    t,
)
from bot.permissions import decide
from bot.render.blocks import notice_blocks
from bot.render.home import settings_text
from bot.services import away as leave
from bot.services import calibration as cal
from bot.slack.text import channel_id, tokens, user_id
from store import admins, audit, prefs, teams
from store.models import ROLES

COMMAND = "/pacer"
LANGS = {"en": "en-US", "english": "en-US", "zh": "zh-CN", "chinese": "zh-CN", "中文": "zh-CN"}
AUTO = ("auto", "slack", "自动")
OFF = ("off", "none", "no", "关", "关闭", "取消", "无")
ON = ("on", "yes", "开", "开启", "打开")
QUIET = ("quiet", "免打扰", "勿扰")
DIGEST = ("digest", "摘要", "汇总")
BRIEF = ("brief", "周报")
SHOW = ("", "show", "settings", "查看", "设置")


def handle_pacer(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    ack(**run(deps, who, tokens(command.get("text") or "")))


LISTENERS = [("command", COMMAND, handle_pacer)]


def run(deps: Deps, who: Who, args: list[str]) -> dict:
    """Do what the words say, or explain; returns the private reply."""
    lang = who.lang
    now = deps.clock.now()
    head = [a.lower() for a in args[:2]]
    notes = []
    try:
        with deps.sessions() as session:
            if not admins.has_admin(session, workspace_id=who.workspace_id):
                # Nobody becomes admin by asking first (SPEC §5b): say who can set it up.
                notes.append(t(lang, "pacer.no_admin", workspace=who.workspace_id))
            if not args or head[0] in ("help", "帮助", "?"):
                reply = t(lang, "pacer.help")
            elif head[0] == "team":
                reply = team_command(session, deps, who, head[1] if len(head) > 1 else "",
                                     args[2:])
            elif head[0] == "me":
                reply = me_command(session, deps, who, args[1:])
            elif head[0] == "role":
                reply = role_command(session, deps, who, args[1:])
            elif head[0] in leave.WORDS or args[0].startswith(leave.WORDS):
                reply = leave.away_command(session, deps, who, args)
            elif head[0] == "audit":
                reply = audit_command(session, deps, who)
            else:
                raise Usage("pacer.unknown", word=args[0])
    except Refused as refusal:  # audited in a session of its own: the work's rolled back
        with deps.sessions() as session:
            audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                         action="pacer " + " ".join(head if head[0] == "team" else head[:1]),
                         outcome="denied", now=now,
                         detail=refusal.key)
        raise
    except teams.TeamError as error:  # the store's words for it (teamerr.*)
        raise Usage(f"teamerr.{error.code}", **{k: str(v) for k, v in error.params.items()}
                    ) from error
    return notice_blocks("\n".join([*notes, reply]))


def _allow(session: Session, who: Who, action: str, **scope: object) -> None:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    decision = decide(actor, action, **scope)
    if not decision.allowed:
        raise Refused(decision.reason)  # the caller audits it


def _done(session: Session, deps: Deps, who: Who, action: str, target: str,
          detail: str = "") -> None:
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action=action, outcome="done", now=deps.clock.now(), target=target,
                 detail=detail)


def _mentions(items: list[str]) -> str:
    return Raw(", ".join(f"<@{u}>" for u in items))


def _users(args: list[str], usage: str, name: str) -> list[str]:
    ids = [user_id(a) for a in args]
    if not ids or None in ids:
        bad = next((a for a, i in zip(args, ids, strict=True) if i is None), "")
        raise Usage(usage, name=name, word=bad)
    return ids  # type: ignore[return-value]


def team_command(session: Session, deps: Deps, who: Who, sub: str, args: list[str]) -> str:
    lang, ws, now = who.lang, who.workspace_id, deps.clock.now()
    if sub in ("list", ""):
        summaries = teams.list_teams(session, workspace_id=ws)
        if not summaries:
            return t(lang, "pacer.no_teams")
        return "\n".join(t(lang, "pacer.team_line", name=s.name, tz=s.tz, currency=s.currency,
                           channel=Raw(f"<#{s.channel_id}>") if s.channel_id else "",
                           managers=_mentions(list(s.managers)), reps=len(s.members))
                         + " · " + channel_lang_text(lang, s.channel_lang)
                         for s in summaries)
    if not args:
        raise Usage(f"pacer.usage_{sub}" if sub in TEAM_SUBCOMMANDS else "pacer.unknown_team",
                    word=sub, name="East")
    if sub == "create":
        return create_team(session, deps, who, args)
    handler = TEAM_SUBCOMMANDS.get(sub)
    if handler is None:
        raise Usage("pacer.unknown_team", word=sub)
    name, rest = _team_named(session, ws, args)
    team = teams.get_team(session, workspace_id=ws, name=name)
    _allow(session, who, "team.edit", team_id=team.id)
    reply, detail = handler(session, who, team.name, rest, now)
    _done(session, deps, who, f"team.{sub}", team.name, detail)
    return reply


def _team_named(session: Session, workspace_id: str, args: list[str]) -> tuple[str, list[str]]:
    """The team named at the start of `args`: the longest run of words that is a team's name,
    case ignored (`/pacer team add East Coast @bob` needs no quotes); else the first word,
    for the store's "no team named …" reply."""
    names = {team.name.casefold(): team.name
             for team in teams.list_teams(session, workspace_id=workspace_id)}
    for end in range(len(args), 0, -1):
        if name := names.get(" ".join(args[:end]).casefold()):
            return name, args[end:]
    return args[0], args[1:]


_CREATE_OPTIONS = ("tz", "timezone", "时区", "currency", "货币", "币种")


def create_team(session: Session, deps: Deps, who: Who, args: list[str]) -> str:
    _allow(session, who, "team.create")
    # The name is every word before the first option: `East Coast #sales` needs no quotes.
    # A `#word` or `@word` Slack left as text (it escapes only channels and people it knows)
    # ends the name too, so a typo is refused rather than becoming part of the name.
    size = next((i for i, word in enumerate(args) if channel_id(word) or user_id(word)
                 or word[:1] in "#@" or word.lower() in _CREATE_OPTIONS), len(args))
    if size == 0:
        raise Usage("pacer.usage_create", word=args[0], name="East")
    name, channel, managers, tz, currency = (" ".join(args[:size]), None, [],
                                             who.profile.tz.key, "CNY")
    words = iter(args[size:])
    for word in words:
        if channel_id(word):
            channel = channel_id(word)
        elif user_id(word):
            managers.append(user_id(word))
        elif word.lower() in ("tz", "timezone", "时区"):
            tz = next(words, "")
        elif word.lower() in ("currency", "货币", "币种"):
            currency = next(words, "").upper() or currency
        elif word[:1] in "#@":
            raise Usage("pacer.usage_create_unknown", word=word, name=name)
        else:
            raise Usage("pacer.usage_create", word=word, name=name)
    managers = managers or [who.user_id]
    team = teams.create_team(session, workspace_id=who.workspace_id, name=name,
                             channel_id=channel, managers=managers, members=[], tz=tz,
                             currency=currency, now=deps.clock.now())
    _done(session, deps, who, "team.create", team.name, f"managers={','.join(managers)}")
    return t(who.lang, "pacer.created", name=team.name, tz=team.tz, currency=team.currency,
             channel=Raw(f"<#{channel}>") if channel else "", managers=_mentions(managers))


def _add(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    ids = _users(args, "pacer.usage_add", name)
    teams.add_members(session, workspace_id=who.workspace_id, name=name, user_ids=ids, now=now)
    return t(who.lang, "pacer.added", name=name, users=_mentions(ids)), ",".join(ids)


def _remove(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    ids = _users(args, "pacer.usage_remove", name)
    teams.remove_members(session, workspace_id=who.workspace_id, name=name, user_ids=ids)
    return t(who.lang, "pacer.removed", name=name, users=_mentions(ids)), ",".join(ids)


def _manager(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    ids = _users(args, "pacer.usage_manager", name)
    teams.add_managers(session, workspace_id=who.workspace_id, name=name, user_ids=ids, now=now)
    return t(who.lang, "pacer.managers_added", name=name, users=_mentions(ids)), ",".join(ids)


def _channel(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    channel = channel_id(args[0]) if args else None
    if channel is None:
        raise Usage("pacer.usage_channel", name=name, word=args[0] if args else "")
    teams.set_channel(session, workspace_id=who.workspace_id, name=name, channel_id=channel)
    return t(who.lang, "pacer.channel_set", name=name, channel=Raw(f"<#{channel}>")), channel


def _tz(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    if not args:
        raise Usage("pacer.usage_tz", name=name, word="")
    team = teams.set_tz(session, workspace_id=who.workspace_id, name=name, tz=args[0])
    return t(who.lang, "pacer.tz_set", name=name, tz=team.tz), team.tz


def _holidays(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    ws, lang = who.workspace_id, who.lang
    op = args[0].lower() if args else "show"
    if op in ("add", "remove") and len(args) >= 2:
        try:
            day = date.fromisoformat(args[1])
        except ValueError as exc:
            raise Usage("pacer.usage_holidays", name=name, word=args[1]) from exc
        if op == "add":
            teams.add_day_off(session, workspace_id=ws, name=name, day=day,
                              label=" ".join(args[2:]))
        else:
            teams.remove_day_off(session, workspace_id=ws, name=name, day=day)
        detail = f"{op} {day.isoformat()}"
    elif op in ("none", "off"):
        teams.set_holiday_country(session, workspace_id=ws, name=name, country=None)
        detail = "country none"
    elif op != "show":
        teams.set_holiday_country(session, workspace_id=ws, name=name, country=args[0])
        detail = f"country {args[0].upper()}"
    else:
        detail = "show"
    team = teams.get_team(session, workspace_id=ws, name=name)
    days = teams.days_off(session, team_id=team.id)
    listing = ", ".join(f"{d.day.isoformat()}{' ' + d.name if d.name else ''}" for d in days)
    country = team.holiday_country
    return t(lang, "pacer.holidays", name=name,
             country=format_country(country, lang) if country else "",
             days=listing), detail


def _times(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    """`/pacer team times East checkin 09:00 report 17:30` (also brief)."""
    pairs = list(zip(args[::2], args[1::2], strict=False))
    if not pairs or len(args) % 2:
        raise Usage("pacer.usage_times", name=name, word=" ".join(args))
    for which, at in pairs:
        teams.set_time(session, workspace_id=who.workspace_id, name=name, which=which.lower(),
                       at=at)
    team = teams.get_team(session, workspace_id=who.workspace_id, name=name)
    return (t(who.lang, "pacer.times", name=name, checkin=team.checkin_time,
              brief=team.brief_time, report=team.report_time, tz=team.tz),
            " ".join(args))


def _names(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    """`/pacer team names East on|off`: name, or only count, who logged nothing on Fridays."""
    choice = args[0].lower() if args else ""
    if choice not in ("on", "off", "开", "关"):
        raise Usage("pacer.usage_names", name=name, word=choice)
    on = choice in ("on", "开")
    teams.set_name_quiet_reps(session, workspace_id=who.workspace_id, name=name, on=on)
    return t(who.lang, "pacer.names_on" if on else "pacer.names_off", name=name), choice


def _calibration(session: Session, who: Who, name: str, args: list[str],
                 now) -> tuple[str, str]:
    """`/pacer team calibration East 2026-11-24 10:00`: every two weeks from that day, at
    that time (team time); either part alone changes just that."""
    anchor, at = None, None
    for word in args:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            try:
                anchor = date.fromisoformat(word)
            except ValueError:
                raise Usage("pacer.usage_calibration", name=name, word=word) from None
        elif re.fullmatch(r"\d{1,2}:\d{2}", word):
            at = word
        else:
            raise Usage("pacer.usage_calibration", name=name, word=word)
    if anchor is None and at is None:
        raise Usage("pacer.usage_calibration", name=name, word="")
    team = cal.set_team_cadence(session, workspace_id=who.workspace_id, name=name,
                                anchor=anchor, at=at, now=now)
    return (t(who.lang, "pacer.calibration", name=name, anchor=Raw(format_day(
        team.calibration_anchor, who.lang)) if team.calibration_anchor else "",
        at=team.calibration_time, tz=team.tz), " ".join(args))


# What people type for a team's channel-post languages (store.teams.CHANNEL_LANGS).
CHANNEL_LANG_WORDS = {"english": "en", "英文": "en", "英语": "en", "chinese": "zh", "中文": "zh",
                      "双语": "both", "自动": "auto", "zh-en": "zh+en", "en-zh": "en+zh",
                      "zh,en": "zh+en", "en,zh": "en+zh", "zh/en": "zh+en", "en/zh": "en+zh"}


def _language(session: Session, who: Who, name: str, args: list[str], now) -> tuple[str, str]:
    """`/pacer team language East both`: the language(s) of the team's channel posts (the
    Friday summary, the month- and quarter-end leaderboards); DMs keep each person's own."""
    word = args[0].lower() if len(args) == 1 else ""
    value = CHANNEL_LANG_WORDS.get(word, word)
    if value not in teams.CHANNEL_LANGS:
        raise Usage("pacer.usage_language", name=name, word=" ".join(args))
    teams.set_channel_lang(session, workspace_id=who.workspace_id, name=name, value=value)
    return (t(who.lang, "pacer.language_set", name=name,
              posts=Raw(channel_lang_text(who.lang, value))), value)


_CHANNEL_LANG_KEYS = {"auto": "pacer.channel_lang_auto", "en": "pacer.channel_lang_en",
                      "zh": "pacer.channel_lang_zh", "both": "pacer.channel_lang_both",
                      "zh+en": "pacer.channel_lang_zh_en", "en+zh": "pacer.channel_lang_en_zh"}


def channel_lang_text(lang: str, value: str) -> str:
    """A team's channel-post language setting in words (an unknown one reads as auto, as the
    reports read it)."""
    return t(lang, _CHANNEL_LANG_KEYS.get(value, _CHANNEL_LANG_KEYS["auto"]))


TEAM_SUBCOMMANDS: dict[str, Callable] = {
    "add": _add, "remove": _remove, "manager": _manager, "channel": _channel, "tz": _tz,
    "holidays": _holidays, "times": _times, "names": _names, "calibration": _calibration,
    "away-status": leave.away_status,
    "language": _language,
}


def me_command(session: Session, deps: Deps, who: Who, args: list[str]) -> str:
    what = args[0].lower() if args else ""
    value = args[1] if len(args) > 1 else ""
    now = deps.clock.now()
    if what in ("tz", "timezone", "时区") and value:
        auto = value.lower() in AUTO
        teams.set_own_tz(session, workspace_id=who.workspace_id, user_id=who.user_id,
                         tz=None if auto else value, now=now)
        deps.users.forget(who.workspace_id, who.user_id)
        return t(who.lang, "pacer.me_tz_auto" if auto else "pacer.me_tz", tz=value)
    if what in ("lang", "language", "语言") and value:
        auto = value.lower() in AUTO
        locale = None if auto else LANGS.get(value.lower())
        if not auto and locale is None:
            raise Usage("pacer.usage_me", word=value)
        member = teams.set_own_locale(session, workspace_id=who.workspace_id,
                                      user_id=who.user_id, locale=locale, now=now)
        deps.users.forget(who.workspace_id, who.user_id)
        # Answer in the language chosen: the override, or back to what Slack last said.
        lang = lang_for(locale or member.locale)
        return t(lang, "pacer.me_lang_auto" if auto else "pacer.me_lang")
    if what in QUIET:
        return _quiet(session, deps, who, args[1:])
    if what in DIGEST:
        return _digest(session, deps, who, args[1:])
    if what in BRIEF:
        return _brief(session, deps, who, args[1:])
    if what in SHOW:
        return settings_text(who.lang, prefs.get(session, workspace_id=who.workspace_id,
                                                 user_id=who.user_id), str(who.profile.tz))
    raise Usage("pacer.usage_me", word=what)


def _quiet(session: Session, deps: Deps, who: Who, rest: list[str]) -> str:
    """`quiet 20:00-08:00` (also `20:00 08:00`, `20-8`, `8pm-8am`, `20:00到08:00`), `quiet off`."""
    typed = " ".join(rest)
    if typed.lower() in OFF:
        prefs.set_quiet(session, workspace_id=who.workspace_id, user_id=who.user_id,
                        start=None, end=None, now=deps.clock.now())
        return t(who.lang, "pacer.me_quiet_off")
    if len(rest) == 2:  # two times side by side: from and to
        typed = "-".join(rest)
    try:
        start, end = read_span(typed)
    except BadTime as bad:
        raise Usage("pacer.usage_me_quiet", word=typed, example=bad.example) from None
    prefs.set_quiet(session, workspace_id=who.workspace_id, user_id=who.user_id, start=start,
                    end=end, now=deps.clock.now())
    return t(who.lang, "pacer.me_quiet", start=hhmm(start), end=hhmm(end),
             tz=str(who.profile.tz))


def _digest(session: Session, deps: Deps, who: Who, rest: list[str]) -> str:
    """`digest 17:30` (also `5:30pm`, `17点`), `digest off`."""
    typed = " ".join(rest)
    if typed.lower() in OFF:
        prefs.set_digest(session, workspace_id=who.workspace_id, user_id=who.user_id,
                         at=None, now=deps.clock.now())
        return t(who.lang, "pacer.me_digest_off")
    try:
        if len(rest) != 1:
            raise BadTime(suggest_time(typed))
        at = read_time(typed)
    except BadTime as bad:
        raise Usage("pacer.usage_me_digest", word=typed, example=bad.example) from None
    prefs.set_digest(session, workspace_id=who.workspace_id, user_id=who.user_id, at=at,
                     now=deps.clock.now())
    return t(who.lang, "pacer.me_digest", at=hhmm(at), tz=str(who.profile.tz))


def _brief(session: Session, deps: Deps, who: Who, rest: list[str]) -> str:
    """`brief off` (no Friday brief request), `brief on`."""
    choice = " ".join(rest).lower()
    if choice not in OFF + ON:
        raise Usage("pacer.usage_me_brief", word=choice)
    off = choice in OFF
    prefs.set_brief(session, workspace_id=who.workspace_id, user_id=who.user_id, off=off,
                    now=deps.clock.now())
    return t(who.lang, "pacer.me_brief_off" if off else "pacer.me_brief_on")


def role_command(session: Session, deps: Deps, who: Who, args: list[str]) -> str:
    """`/pacer role @x admin|manager|rep`, `/pacer role list`: admins only; every grant and
    revocation of the admin role is audited by store/admins.py."""
    if args and args[0].lower() in ("list", "列表"):
        _allow(session, who, "admin.only")
        return role_list(session, who)
    target = user_id(args[0]) if args else None
    if target is None or len(args) < 2:
        raise Usage("pacer.usage_role", word=args[0] if args else "")
    _allow(session, who, "admin.only")
    role, now = args[1].lower(), deps.clock.now()
    if role == "admin":
        admins.grant(session, workspace_id=who.workspace_id, user_id=target,
                     source=admins.NAMED, by=who.user_id, now=now)
    elif not (role in ROLES and admins.revoke(session, workspace_id=who.workspace_id,
                                              user_id=target, by=who.user_id, now=now,
                                              role=role)):  # a revocation audits itself
        teams.set_role(session, workspace_id=who.workspace_id, user_id=target, role=role,
                       now=now)
        _done(session, deps, who, "member.role", target, role)
    return t(who.lang, "pacer.role_set", user=Raw(f"<@{target}>"),
             role=Raw(t(who.lang, f"roles.{role}")))


def role_list(session: Session, who: Who) -> str:
    lines = [t(who.lang, "pacer.role_line", user=Raw(f"<@{line.user_id}>"),
               role=Raw(t(who.lang, f"roles.{line.role}")),
               how=Raw(t(who.lang, f"pacer.admin_{line.source or 'legacy'}",
                         by=Raw(f"<@{line.by}>") if line.by not in (None, "slack", "cli")
                         else "")) if line.role == "admin" else "")
             for line in admins.roles(session, workspace_id=who.workspace_id)]
    return "\n".join(lines) or t(who.lang, "pacer.no_roles")


def audit_command(session: Session, deps: Deps, who: Who) -> str:
    _allow(session, who, "admin.only")
    entries = audit.recent(session, workspace_id=who.workspace_id, limit=20)
    if not entries:
        return t(who.lang, "pacer.audit_empty")
    return "\n".join(t(who.lang, "pacer.audit_line", at=e.at.strftime("%Y-%m-%d %H:%M"),
                       actor=Raw(f"<@{e.actor_user_id}>"), action=e.action, target=e.target,
                       outcome=Raw(t(who.lang, f"pacer.outcome_{e.outcome}")),
                       detail=_audit_detail(who.lang, e.detail)) for e in entries)


def _audit_detail(lang: str, detail: str) -> str:
    """A refusal's reason (a catalogue key) in words; anything else as recorded, in code."""
    if detail in catalogue(lang):
        return Raw(t(lang, detail))
    return Raw("`" + slack_escape(detail.replace("`", "'")) + "`") if detail else ""
