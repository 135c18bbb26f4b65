"""`/pacer away` (`/pacer 请假`): a person's leave, set by themself, their manager or an admin
(handlers/pacer.py dispatches the words here, as bot/services/review.py serves /review).

    /pacer away                      the current and upcoming leave (yours, or `@rep`'s)
    /pacer away 3d [reason]          three WORKING days from today (or the next working day)
    /pacer away 2w [reason]          two calendar weeks from today (or the next working day)
    /pacer away until 2026-12-20 …   from today to that day, included
    /pacer away from 2026-12-21 3d   either form, starting on a later day
    /pacer away off                  back: a current leave ends yesterday, upcoming ones go
    /pacer away @rep …               the same for someone else (their manager, an admin)

"3 days" / 请假3天 counts working days, as people mean leave: a Friday's "3 days" is Friday,
Monday and Tuesday. Weeks are calendar weeks (a week's leave is Monday to Sunday). Dates are
read by the /log grammar in the typist's zone, and lean forward (`Dec 20` in November is this
year's), since leave is planned ahead. Away days are not working days for that person
(bot/calendar/workdays.person_working): no reminders, no expected pace, pro-rated targets.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import Working, is_working_day, working_days_from
from bot.deps import Deps, Who
from bot.errors import Refused, Usage
from bot.grammar.dates import resolve_date
from bot.grammar.days import valid
from bot.i18n import Raw, format_day, t
from bot.permissions import decide
from bot.services.teams import working_for
from bot.slack.text import user_id
from store import audit, away, teams

WORDS = ("away", "leave", "请假", "休假")
OFF = ("off", "back", "end", "cancel", "结束", "取消", "销假", "回来")
UNTIL = ("until", "till", "to", "through", "thru", "到", "至", "直到")
FROM = ("from", "starting", "从", "自")
MAX_DAYS = 366  # a longer leave is not "away": take the person off the team
_COUNT = re.compile(r"^(\d+|[一二两三四五六七八九十]+)\s*(d|days?|天|日|个?工作日|"
                    r"w|wks?|weeks?|周|个?星期|个?礼拜)(?=\s|$)", re.IGNORECASE)
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_ZH_DATE = re.compile(r"^((?:\d{4}[-/年])?\d{1,2}[-/月]\d{1,2}[日号]?)")


def split_head(args: list[str]) -> list[str]:
    """`请假3天` typed without a space is `请假 3天`."""
    if args and args[0] not in WORDS:
        for word in WORDS:
            if args[0].startswith(word):
                return [word, args[0][len(word):], *args[1:]]
    return args


def away_command(session: Session, deps: Deps, who: Who, args: list[str]) -> str:
    args = split_head(args)[1:]
    target = user_id(args[0]) if args else None
    if target is not None:
        args = args[1:]
    target = target or who.user_id
    today = who.today(deps.clock)
    words = " ".join(args)
    if not args or args[0].lower() in ("list", "show", "列表", "查看"):
        _allow(session, who, "member.view", target)
        return _listing(session, who, target, today)
    _allow(session, who, "member.edit", target)
    if args[0].lower() in OFF:
        ended = away.end(session, workspace_id=who.workspace_id, user_id=target, today=today)
        _audit(session, deps, who, target, "off")
        return t(who.lang, "away.off" if ended else "away.off_none", user=_mention(target))
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=target)
    working = (working_for(session, team) if team is not None
               else lambda day: is_working_day(day))
    first, last, reason = read_leave(words, today=today, tz=who.profile.tz, working=working)
    away.add(session, workspace_id=who.workspace_id, user_id=target, first=first, last=last,
             reason=reason, set_by=who.user_id, now=deps.clock.now())
    _audit(session, deps, who, target, f"{first.isoformat()}..{last.isoformat()} {reason}")
    days = sum(1 for i in range((last - first).days + 1) if working(first + timedelta(i)))
    return t(who.lang, "away.set", user=_mention(target), first=Raw(_day(first, who.lang, today)),
             last=Raw(_day(last, who.lang, today)), days=days, reason=reason)


def read_leave(words: str, *, today: date, tz: ZoneInfo,
               working: Working) -> tuple[date, date, str]:
    """(first day, last day, reason) of `3d trip`, `until Dec 20 trip`, `from … 3d`, read
    on `today` in zone `tz`, days counted by `working` (the person's team's); a Usage with a
    corrected example otherwise."""
    start, rest = today, words.strip()
    head = rest.split(maxsplit=1)
    if head and head[0].lower() in FROM:
        start, rest = _read_day(head[1] if len(head) > 1 else "", today, tz, "from")
        if start < today:
            raise Usage("away.past", word=start.isoformat(),
                        example=f"from {_ahead(start, today).isoformat()} 3d")
    if (count := _COUNT.match(rest)) is not None:
        number = _number(count.group(1))
        if not 1 <= number <= MAX_DAYS:
            raise Usage("away.usage", word=count.group(0), example=f"3d {rest[count.end():]}"
                        .strip())
        unit = count.group(2).lower()
        if unit[0] in "w周星礼":  # calendar weeks from the first working day
            first = working_days_from(start, 1, working)[0]
            last = first + timedelta(days=7 * number - 1)
        else:
            first, last = working_days_from(start, number, working)
        return _checked(first, last, rest[count.end():].strip())
    head = rest.split(maxsplit=1)
    if head and head[0].lower() in UNTIL:
        last, reason = _read_day(head[1] if len(head) > 1 else "", today, tz, "until")
        if last < start:
            raise Usage("away.past", word=head[1].split()[0] if len(head) > 1 else "",
                        example=f"until {_ahead(last, max(start, today)).isoformat()} "
                                f"{reason}".strip())
        return _checked(start, last, reason.strip())
    raise Usage("away.usage", word=rest.split()[0] if rest else "",
                example=f"3d {' '.join(rest.split()[1:])}".strip())


def _checked(first: date, last: date, reason: str) -> tuple[date, date, str]:
    if (last - first).days >= MAX_DAYS:
        raise Usage("away.too_long", days=MAX_DAYS,
                    example=f"until {(first + timedelta(days=MAX_DAYS - 1)).isoformat()}")
    return first, last, reason


def _read_day(text: str, today: date, tz: ZoneInfo, word: str) -> tuple[date, str]:
    """The date at the start of `text` (the longest run of words that reads as one, or a
    Chinese date glued to what follows) and the rest; leaning forward."""
    local = datetime.combine(today, time(12), tzinfo=tz)
    if (glued := _ZH_DATE.match(text)) is not None:
        day = resolve_date(glued.group(1), now_local=local, lang="zh")
        if day is not None:
            return _forward(day, glued.group(1), today), text[glued.end():].strip()
    found = text.split()
    for end in range(min(len(found), 4), 0, -1):
        phrase = " ".join(found[:end])
        day = (resolve_date(phrase, now_local=local, lang="en")
               or resolve_date(phrase, now_local=local, lang="zh"))
        if day is not None:
            return _forward(day, phrase, today), " ".join(found[end:])
    raise Usage("away.bad_date", word=found[0] if found else "",
                example=f"{word} {(today + timedelta(days=7)).isoformat()}"
                        f" {' '.join(found[1:])}".rstrip())


def _forward(day: date, phrase: str, today: date) -> date:
    """`Dec 20` said in November is this year's; said in January, last year's would be gone:
    a date without a year is the next such day."""
    if day < today and not re.search(r"\d{4}|年", phrase):
        return valid(day.year + 1, day.month, day.day) or day
    return day


def _ahead(day: date, today: date) -> date:
    """`day` moved on by whole years until it is not before `today` (a corrected example)."""
    while day < today:
        day = valid(day.year + 1, day.month, day.day) or day + timedelta(days=365)
    return day


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    # Own code: 1..99 in Chinese numerals (三, 十, 十五, 二十) is all leave ever needs.
    tens, _, ones = text.rpartition("十")
    if "十" not in text:
        return _ZH_DIGITS.get(text, 0) if len(text) == 1 else 0
    return (_ZH_DIGITS.get(tens, 0) if tens else 1) * 10 + (_ZH_DIGITS.get(ones, 0)
                                                            if ones else 0)


def _listing(session: Session, who: Who, target: str, today: date) -> str:
    spells = away.current(session, workspace_id=who.workspace_id, user_id=target, today=today)
    if not spells:
        return t(who.lang, "away.none", user=_mention(target))
    lines = [t(who.lang, "away.line", first=Raw(_day(s.first_day, who.lang, today)),
               last=Raw(_day(s.last_day, who.lang, today)), reason=s.reason,
               by=_mention(s.set_by) if s.set_by != target else "",
               now=s.first_day <= today) for s in spells]
    return "\n".join([t(who.lang, "away.list", user=_mention(target)), *lines])


def away_status(session: Session, who: Who, name: str, args: list[str],
                now: datetime) -> tuple[str, str]:
    """`/pacer team away-status East on|off`: Slack's status counts as away (a team of
    TEAM_SUBCOMMANDS in handlers/pacer.py, which checks the permission and audits)."""
    choice = args[0].lower() if args else ""
    if choice not in ("on", "off", "开", "关"):
        raise Usage("pacer.usage_away-status", name=name, word=choice)
    on = choice in ("on", "开")
    team = teams.get_team(session, workspace_id=who.workspace_id, name=name)
    away.set_status_reading(session, team=team, on=on, by=who.user_id, now=now)
    return t(who.lang, "away.status_on" if on else "away.status_off", name=name), choice


def _allow(session: Session, who: Who, action: str, target: str) -> None:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    decision = decide(actor, action, owner=target, target_teams=teams.teams_of(
        session, workspace_id=who.workspace_id, user_id=target))
    if not decision.allowed:
        raise Refused(decision.reason)  # handlers/pacer.py audits it


def _audit(session: Session, deps: Deps, who: Who, target: str, detail: str) -> None:
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action="member.away", outcome="done", now=deps.clock.now(), target=target,
                 detail=detail.strip())


def _mention(user: str) -> Raw:
    return Raw(f"<@{user}>")


def _day(day: date, lang: str, today: date) -> str:
    return format_day(day, lang, year=day.year != today.year)
