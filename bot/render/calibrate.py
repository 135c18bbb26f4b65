"""Block Kit for calibrations: the data pack, the prompts, the summary, the digest, `/calibrate`
replies, and the three forms (the four questions, the minutes, a move).

Times are shown in the reader's own zone, with the other person's local time beside them when
their zone differs. The words are a coach's (seed 000), not a judge's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.calendar.workdays import next_working_day
from bot.i18n import Raw, format_day, format_period, slack_escape, t
from bot.render.blocks import context, header, mention, message, section, unstarred
from bot.render.forms import VALUE_ACTION, modal, plain, shown, text_input
from bot.render.log import what
from bot.render.score import _kbi_value, _target_lines, kbi_lines
from bot.services.calibration import DataPack, Occurrence
from store.calibrations import Answers
from store.deliveries import aware
from store.models import ActionItem, Calibration
from store.plans import PlanView

ANSWER_ACTION = "calibrate_answer"
MOVE_ACTION = "calibrate_move"
MINUTES_ACTION = "calibrate_minutes"
SKIP_ACTION = "calibrate_skip"
ANSWERS_FORM = "calibrate_answers_form"
MINUTES_FORM = "calibrate_minutes_form"
MOVE_FORM = "calibrate_move_form"
SKIP_FORM = "calibrate_skip_form"
VALUE = VALUE_ACTION  # every input's action_id; the block_id names the field

QUESTIONS = {"progress": 2000, "blockers": 2000, "support": 2000, "next_actions": 2000}
MINUTES_FIELDS = {"notes": 3000, "controllable": 2000, "uncontrollable": 2000}
ITEM_ROWS = 3
ITEM_TEXT_MAX = 500
ITEM_MEASURE_MAX = 500
# The brief's fields and their labels (its catalogue calls next_focus "next").
BRIEF_LABELS = {"progress": "brief.field.progress", "wins": "brief.field.wins",
                "blockers": "brief.field.blockers", "next_focus": "brief.field.next"}


def when(at: datetime, tz: ZoneInfo, lang: str) -> str:
    local = at.astimezone(tz)
    return f"{format_day(local.date(), lang)} {local:%H:%M}"


def when_both(lang: str, at: datetime, tz: ZoneInfo, other: str, other_tz: ZoneInfo) -> Raw:
    """"Tue 24 Nov 10:00 your time (Mon 23 Nov 21:00 for @Mei, America/New_York)"."""
    mine = when(at, tz, lang)
    if at.astimezone(tz).utcoffset() == at.astimezone(other_tz).utcoffset():
        return Raw(t(lang, "cal.when_same", when=Raw(mine), zone=str(tz)))
    return Raw(t(lang, "cal.when_both", when=Raw(mine), zone=str(tz),
                 other_when=Raw(when(at, other_tz, lang)), other=mention(other),
                 other_zone=str(other_tz)))


def moved_text(lang: str, moved: Occurrence, *, viewer: str, tz: ZoneInfo,
               zone: Callable[[str], ZoneInfo], following: bool) -> str:
    """The mover's confirmation: where it went, in their zone and the other person's."""
    other = moved.pair.manager if viewer == moved.pair.rep else moved.pair.rep
    return t(lang, "calx.moved", when=when_both(lang, moved.at, tz, other, zone(other)),
             following=following)


def move_words(lang: str, occ: Occurrence, at: datetime) -> dict:
    """What a refused move's text names (bot/services/calibration.move_refusal): the day
    asked for, the team, and its next working day."""
    day = at.astimezone(occ.pair.tz).date()
    return {"day": Raw(format_day(day, lang)), "team": occ.pair.info.name,
            "next": Raw(format_day(next_working_day(day, occ.pair.info.working), lang))}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "action_id": action_id, "value": value[:2000],
              "text": plain(label)}
    if style:
        button["style"] = style
    return button


def _buttons(*elements: dict) -> dict:
    return {"type": "actions", "elements": list(elements)}


def _answers_text(lang: str, answers: Answers | None) -> str:
    if answers is None or not answers.any():
        return t(lang, "cal.no_answers")
    return "\n".join(
        f"*{t(lang, f'cal.q.{name}')}*\n{_quote(shown(getattr(answers, name)) or '–')}"
        for name in Answers.FIELDS)


def _quote(text: str) -> Raw:
    return Raw("\n".join("> " + slack_escape(line) for line in text.splitlines() or [""]))


def question_lines(lang: str) -> str:
    return "\n".join(f"{n}. {t(lang, f'cal.q.{name}')}"
                     for n, name in enumerate(Answers.FIELDS, 1))


# ----------------------------------------------------------------- the data pack

def _item_line(lang: str, item: ActionItem, today: date) -> str:
    key = ("cal.item_done" if item.status == "done" else
           "cal.item_overdue" if item.due_on < today else "cal.item_open")
    return t(lang, key, text=item.text, owner=mention(item.owner_user_id),
             due=Raw(format_day(item.due_on, lang)), measure=item.measure)


def pack_sections(lang: str, pack: DataPack) -> list[dict]:
    """The data pack's sections (shared by the pre-meeting DMs and `/calibrate pack`)."""
    blocks = []
    weeks = []
    for week in pack.weeks:
        logs = " · ".join(what(lang, kind, count) for kind, count in
                          sorted(week.totals.items(), key=lambda kv: -kv[1]) if count)
        touches = week.touches
        weeks.append(t(lang, "cal.week_line", start=Raw(format_day(week.period.start, lang)),
                       to_date=week.in_progress, logs=Raw(logs or t(lang, "cal.no_logs")),
                       points=week.points,
                       done=_kbi_value("count", touches.done, lang) if touches else "–",
                       target=_kbi_value("count", touches.target, lang) if touches else "–",
                       status=Raw(t(lang, f"status.{touches.status}")) if touches else ""))
    blocks.append(section(f"*{t(lang, 'cal.pack_weeks')}*\n" + "\n".join(weeks)))
    if pack.kbis:
        blocks.append(section(f"*{t(lang, 'cal.pack_kbis')}*\n"
                              + "\n".join(kbi_lines(lang, pack.kbis))))
    if pack.month is not None:
        month = format_period(pack.month_period.label, lang)
        blocks.append(section(f"*{t(lang, 'cal.pack_targets', month=month)}*\n"
                              + "\n".join(_target_lines(lang, pack.month, pack.currency,
                                                        reasons=False))))
    items = []
    if pack.last_items:
        items.append(t(lang, "cal.pack_last_items",
                       day=Raw(format_day(pack.last_held, lang)) if pack.last_held else ""))
        items += ["• " + _item_line(lang, i, pack.as_of) for i in pack.last_items
                  if i.status != "dropped"]
    others = [i for i in pack.open_items if i not in pack.last_items]
    if others:
        items.append(t(lang, "cal.pack_open_items"))
        items += ["• " + _item_line(lang, i, pack.as_of) for i in others]
    blocks.append(section(f"*{t(lang, 'cal.pack_items')}*\n"
                          + ("\n".join(items) or t(lang, "cal.no_items"))))
    briefs = []
    for week_start, answers in pack.briefs:
        briefs.append(t(lang, "cal.pack_brief_week", start=Raw(format_day(week_start, lang))))
        briefs += [f"_{t(lang, BRIEF_LABELS[k])}_: {_inline(v)}" for k, v in answers.items()]
    blocks.append(section(f"*{t(lang, 'cal.pack_briefs')}*\n"
                          + ("\n".join(briefs) or t(lang, "cal.no_briefs"))))
    alerts = []
    if pack.idle:
        alerts.append(t(lang, "cal.alert_idle", count=len(pack.idle), leads=Raw(", ".join(
            t(lang, "cal.idle_lead", name=lead.name, hours=lead.hours, is_key=lead.key)
            for lead in pack.idle[:10]))))
    if pack.behind_weeks:
        alerts.append(t(lang, "cal.alert_behind", weeks=Raw(", ".join(
            format_day(p.start, lang) for p in pack.behind_weeks))))
    if pack.idle_alerts:
        alerts.append(t(lang, "cal.alert_sent", count=pack.idle_alerts))
    blocks.append(section(f"*{t(lang, 'cal.pack_alerts')}*\n"
                          + ("\n".join(alerts) or t(lang, "cal.no_alerts"))))
    if pack.plan is not None:
        blocks.append(section(_plan_text(lang, pack.plan)))
    return blocks


def _plan_text(lang: str, plan: PlanView) -> str:
    """An open improvement plan: its targets, mentor and monthly checks (seed 003 §二(三)2)."""
    title = t(lang, "cal.plan.title", start=Raw(format_day(plan.start, lang)),
              end=Raw(format_day(plan.end, lang)), period=plan.review_period)
    lines = [f"*{title}*",
             t(lang, "cal.plan.targets", targets=_inline(plan.targets) if plan.targets else "",
               mentor=mention(plan.mentor_user_id) if plan.mentor_user_id else "")]
    lines += [t(lang, "cal.plan.check", month=c.month, note=_inline(c.note) if c.note else "",
                status=Raw(t(lang, f"cal.plan.{c.status}"))) for c in plan.checks]
    if not plan.checks:
        lines.append(t(lang, "cal.plan.no_checks"))
    return "\n".join(lines)


def _inline(text: str) -> Raw:
    return Raw( slack_escape(shown(text).replace("\n", " ")))


def pack_blocks(lang: str, pack: DataPack, *, viewer: str, tz: ZoneInfo, other_tz: ZoneInfo,
                kind: str) -> dict:
    """A pre-meeting DM (kind dayahead | hourbefore | start | preview) to the rep or the
    manager: when, the data pack, the four questions, and what they can do."""
    occ = pack.occurrence
    pair = occ.pair
    is_rep = viewer == pair.rep
    other = pair.manager if is_rep else pair.rep
    at = when_both(lang, occ.at, tz, other, other_tz)
    title = t(lang, "cal.title_rep" if is_rep else "cal.title_manager", other=mention(other))
    intro = t(lang, f"cal.intro_{kind}", when=at, other=mention(other), rep=mention(pair.rep),
              manager=mention(pair.manager), mine=viewer == pair.manager)
    blocks = [header(t(lang, "cal.header", when=Raw(when(occ.at, tz, lang)))),
              section(f"*{title}*\n{intro}")]
    blocks += pack_sections(lang, pack)
    answers = occ.answers
    if is_rep:
        blocks.append(section(f"*{t(lang, 'cal.questions_rep')}*\n{question_lines(lang)}\n"
                              + (t(lang, "cal.answered_already") if answers else "")))
        row = [_button(t(lang, "cal.edit_answers" if answers else "cal.answer_button"),
                       ANSWER_ACTION, occ.ref, "primary"),
               _button(t(lang, "cal.move_button"), MOVE_ACTION, occ.ref)]
    else:
        blocks.append(section(f"*{t(lang, 'cal.questions_manager', rep=mention(pair.rep))}*\n"
                              + _answers_text(lang, answers)))
        row = [_button(t(lang, "cal.move_button"), MOVE_ACTION, occ.ref)]
        if kind in ("hourbefore", "start", "preview"):
            row.insert(0, _button(t(lang, "cal.minutes_button"), MINUTES_ACTION, occ.ref,
                                  "primary"))
    blocks.append(_buttons(*row))
    blocks.append(context(t(lang, "cal.coach_note")))
    return message(f"{title} · {when(occ.at, tz, lang)}", blocks)


# ----------------------------------------------------------------- prompts after the meeting

def minutes_prompt_blocks(lang: str, occ: Occurrence, *, tz: ZoneInfo) -> dict:
    text = t(lang, "cal.minutes_prompt", rep=mention(occ.pair.rep),
             when=Raw(when(occ.at, tz, lang)))
    return message(unstarred(text), [
        section(text),
        _buttons(_button(t(lang, "cal.minutes_button"), MINUTES_ACTION, occ.ref, "primary"),
                 _button(t(lang, "cal.skip_button"), SKIP_ACTION, occ.ref)),
        context(t(lang, "cal.minutes_why"))])


def nudge_blocks(lang: str, occ: Occurrence, *, viewer: str, tz: ZoneInfo) -> dict:
    is_rep = viewer == occ.pair.rep
    text = t(lang, "cal.nudge_rep" if is_rep else "cal.nudge_manager",
             other=mention(occ.pair.manager if is_rep else occ.pair.rep),
             when=Raw(when(occ.at, tz, lang)))
    row = [_button(t(lang, "cal.move_button"), MOVE_ACTION, occ.ref)]
    if not is_rep:
        row = [_button(t(lang, "cal.minutes_button"), MINUTES_ACTION, occ.ref, "primary"),
               *row, _button(t(lang, "cal.skip_button"), SKIP_ACTION, occ.ref)]
    return message(unstarred(text), [section(text), _buttons(*row),
                                  context(t(lang, "cal.nudge_why"))])


def digest_blocks(lang: str, *, team: str, week_start: date,
                  lines: Sequence[tuple[Occurrence, str]], tz: ZoneInfo) -> dict:
    """The weekly digest to a manager's manager (or the admins): calibrations skipped or
    left without minutes last week."""
    title = t(lang, "cal.digest_title", team=team, start=Raw(format_day(week_start, lang)))
    rows = [t(lang, f"cal.digest_{state}", rep=mention(o.pair.rep),
              manager=mention(o.pair.manager), when=Raw(when(o.at, tz, lang)),
              reason=o.row.skip_reason if o.row else "")
            for o, state in lines]
    return message(unstarred(title), [section(f"*{title}*"), section("\n".join(rows)),
                                   context(t(lang, "cal.digest_why"))])


def summary_blocks(lang: str, row: Calibration, items: Sequence[ActionItem], *, viewer: str,
                   tz: ZoneInfo, edited: bool) -> dict:
    """The minutes as both sides get them once the manager records them."""
    other = row.manager_user_id if viewer == row.rep_user_id else row.rep_user_id
    title = t(lang, "cal.summary_edited" if edited else "cal.summary_title",
              other=mention(other), when=Raw(when(aware(row.scheduled_at), tz, lang)))
    parts = [f"*{t(lang, 'cal.field.notes')}*\n{_quote(shown(row.notes))}"]
    for name in ("controllable", "uncontrollable"):
        if getattr(row, name):
            parts.append(f"*{t(lang, f'cal.field.{name}')}*\n"
                         f"{_quote(shown(getattr(row, name)))}")
    agreed = [i for i in items if i.status != "dropped"]
    lines = ["• " + t(lang, "cal.item_open", text=i.text, owner=mention(i.owner_user_id),
                      due=Raw(format_day(i.due_on, lang)), measure=i.measure) for i in agreed]
    return message(unstarred(title), [
        section(f"*{title}*"), section("\n".join(parts)),
        section(f"*{t(lang, 'cal.summary_items')}*\n"
                + ("\n".join(lines) or t(lang, "cal.no_new_items"))),
        context(t(lang, "cal.summary_footer"))])


def moved_blocks(lang: str, occ: Occurrence, *, by: str, tz: ZoneInfo, other_tz: ZoneInfo,
                 viewer: str, following: bool) -> dict:
    other = occ.pair.manager if viewer == occ.pair.rep else occ.pair.rep
    text = t(lang, "cal.moved_notice", by=mention(by),
             when=when_both(lang, occ.at, tz, other, other_tz), following=following)
    return message(unstarred(text), [section(text), _buttons(
        _button(t(lang, "cal.move_button"), MOVE_ACTION, occ.ref))])


def answers_notice_blocks(lang: str, occ: Occurrence, *, tz: ZoneInfo) -> dict:
    text = t(lang, "cal.answers_notice", rep=mention(occ.pair.rep),
             when=Raw(when(occ.at, tz, lang)))
    return message(unstarred(text), [section(text),
                                  section(_answers_text(lang, occ.answers))])


# ----------------------------------------------------------------- /calibrate replies

def overview_blocks(lang: str, *, viewer: str, tz: ZoneInfo,
                    rows: Sequence[tuple[Occurrence | None, list[Occurrence], str]],
                    zones: dict[str, ZoneInfo]) -> dict:
    """`/calibrate`: each pair the viewer is in (a rep: theirs; a manager: each rep's), the
    next calibration with its buttons, and those waiting for minutes."""
    blocks: list[dict] = [section(f"*{t(lang, 'cal.overview_title')}*")]
    for upcoming, waiting, rep in rows[:20]:
        is_rep = viewer == rep
        if upcoming is None:
            blocks.append(section(t(lang, "cal.overview_none", rep=mention(rep))))
            continue
        other = upcoming.pair.manager if is_rep else rep
        line = t(lang, "cal.overview_rep" if is_rep else "cal.overview_pair", rep=mention(rep),
                 other=mention(other),
                 when=when_both(lang, upcoming.at, tz, other, zones.get(other, tz)),
                 moved=bool(upcoming.row and upcoming.row.moved_by),
                 answered=upcoming.answers is not None, adhoc=upcoming.adhoc)
        blocks.append(section(line))
        row = [_button(t(lang, "cal.move_button"), MOVE_ACTION, upcoming.ref)]
        if is_rep:
            row.insert(0, _button(t(lang, "cal.edit_answers" if upcoming.answers
                                      else "cal.answer_button"), ANSWER_ACTION, upcoming.ref,
                                  "primary"))
        else:
            row.append(_button(t(lang, "cal.skip_button"), SKIP_ACTION, upcoming.ref))
        blocks.append(_buttons(*row))
        for occ in waiting[:3]:
            if is_rep:
                continue
            blocks.append(section(t(lang, "cal.overview_waiting", rep=mention(rep),
                                    when=Raw(when(occ.at, tz, lang)))))
            blocks.append(_buttons(_button(t(lang, "cal.minutes_button"), MINUTES_ACTION,
                                           occ.ref, "primary")))
    blocks.append(context(t(lang, "cal.overview_footer")))
    return message(unstarred(t(lang, "cal.overview_title")), blocks[:50])


def history_blocks(lang: str, *, rep: str, tz: ZoneInfo, today: date,
                   rows: Sequence[tuple[Occurrence, str, Sequence[ActionItem]]]) -> dict:
    """Past calibrations, newest first: held ones with their notes and action items, and
    those that didn't happen."""
    title = t(lang, "cal.history_title", rep=mention(rep))
    if not rows:
        return message(unstarred(title), [section(f"*{title}*"),
                                       section(t(lang, "cal.history_none"))])
    blocks = [section(f"*{title}*")]
    for occ, state, items in rows:
        row = occ.row
        body = [t(lang, f"cal.history_{state}", when=Raw(when(occ.at, tz, lang)),
                  manager=mention(row.manager_user_id if row else occ.pair.manager),
                  reason=row.skip_reason if row else "",
                  adhoc=occ.adhoc)]
        if row is not None and row.notes:
            body.append(_inline(row.notes))
        body += ["• " + _item_line(lang, i, today) for i in items if i.status != "dropped"]
        blocks.append(section("\n".join(body)))
    return message(unstarred(title), blocks[:50])


# ----------------------------------------------------------------- forms

def answers_modal(lang: str, occ: Occurrence, *, tz: ZoneInfo) -> dict:
    existing = occ.answers
    blocks = [section(t(lang, "cal.answers_intro", other=mention(occ.pair.manager),
                        when=Raw(when(occ.at, tz, lang))))]
    for name, limit in QUESTIONS.items():
        blocks.append(text_input(name, t(lang, f"cal.q.{name}"), max_length=limit,
                                 initial=getattr(existing, name) if existing else None,
                                 hint=t(lang, f"cal.hint.{name}")))
    return modal(title=t(lang, "cal.answers_title"), blocks=blocks, callback_id=ANSWERS_FORM,
                 submit=t(lang, "cal.save"), close=t(lang, "cal.cancel"),
                 metadata={"ref": occ.ref})


def date_input(block_id: str, label: str, initial: date | None) -> dict:
    element: dict = {"type": "datepicker", "action_id": VALUE}
    if initial:
        element["initial_date"] = initial.isoformat()
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain(label),
            "element": element}


def _user_input(block_id: str, label: str, initial: str | None) -> dict:
    element: dict = {"type": "users_select", "action_id": VALUE}
    if initial:
        element["initial_user"] = initial
    return {"type": "input", "block_id": block_id, "optional": True, "label": plain(label),
            "element": element}


def minutes_modal(lang: str, occ: Occurrence, *, tz: ZoneInfo,
                  items: Sequence[ActionItem]) -> dict:
    row = occ.row
    blocks = [section(t(lang, "cal.minutes_intro", rep=mention(occ.pair.rep),
                        when=Raw(when(occ.at, tz, lang))))]
    if occ.answers:
        blocks.append(context(t(lang, "cal.minutes_answers_note")))
    for name, limit in MINUTES_FIELDS.items():
        block = text_input(name, t(lang, f"cal.field.{name}"), max_length=limit,
                           initial=getattr(row, name) if row else None,
                           hint=t(lang, f"cal.hint.{name}"))
        if name == "notes":
            block["optional"] = False
        blocks.append(block)
    by_position = {i.position: i for i in items if i.status != "dropped"}
    for n in range(1, ITEM_ROWS + 1):
        item = by_position.get(n)
        blocks.append({"type": "divider"})
        blocks.append(text_input(f"a{n}_text", t(lang, "cal.field.item", n=n),
                                 max_length=ITEM_TEXT_MAX, initial=item.text if item else None,
                                 hint=t(lang, "cal.hint.item") if n == 1 else None,
                                 multiline=False))
        blocks.append(_user_input(f"a{n}_owner", t(lang, "cal.field.owner"),
                                  item.owner_user_id if item else occ.pair.rep))
        blocks.append(date_input(f"a{n}_due", t(lang, "cal.field.due"),
                                  item.due_on if item else None))
        blocks.append(text_input(f"a{n}_measure", t(lang, "cal.field.measure"),
                                 max_length=ITEM_MEASURE_MAX,
                                 initial=item.measure if item else None,
                                 hint=t(lang, "cal.hint.measure") if n == 1 else None,
                                 multiline=False))
    return modal(title=t(lang, "cal.minutes_title"), blocks=blocks, callback_id=MINUTES_FORM,
                 submit=t(lang, "cal.save"), close=t(lang, "cal.cancel"),
                 metadata={"ref": occ.ref})


def move_modal(lang: str, occ: Occurrence, *, tz: ZoneInfo) -> dict:
    local = occ.at.astimezone(tz)
    blocks = [section(t(lang, "cal.move_intro", when=Raw(when(occ.at, tz, lang)), zone=str(tz))),
              {"type": "input", "block_id": "day", "label": plain(t(lang, "cal.field.day")),
               "element": {"type": "datepicker", "action_id": VALUE,
                           "initial_date": local.date().isoformat()}},
              {"type": "input", "block_id": "time",
               "label": plain(t(lang, "cal.field.time", zone=str(tz))),
               "element": {"type": "timepicker", "action_id": VALUE,
                           "initial_time": f"{local:%H:%M}"}}]
    if not occ.adhoc:
        options = [{"text": plain(t(lang, f"cal.scope_{scope}")), "value": scope}
                   for scope in ("one", "following")]
        blocks.append({"type": "input", "block_id": "scope",
                       "label": plain(t(lang, "cal.field.scope")),
                       "element": {"type": "radio_buttons", "action_id": VALUE,
                                   "options": options, "initial_option": options[0]}})
    return modal(title=t(lang, "cal.move_title"), blocks=blocks, callback_id=MOVE_FORM,
                 submit=t(lang, "cal.move_submit"), close=t(lang, "cal.cancel"),
                 metadata={"ref": occ.ref})


def skip_modal(lang: str, occ: Occurrence, *, tz: ZoneInfo) -> dict:
    blocks = [section(t(lang, "cal.skip_intro", rep=mention(occ.pair.rep),
                        when=Raw(when(occ.at, tz, lang)))),
              text_input("reason", t(lang, "cal.field.reason"), max_length=500, initial=None,
                         hint=t(lang, "cal.hint.reason"), multiline=False)]
    return modal(title=t(lang, "cal.skip_title"), blocks=blocks, callback_id=SKIP_FORM,
                 submit=t(lang, "cal.skip_submit"), close=t(lang, "cal.cancel"),
                 metadata={"ref": occ.ref})


def done_view(lang: str, text: str) -> dict:
    return modal(title=t(lang, "cal.done_title"), blocks=[section(text)],
                 close=t(lang, "cal.close"))


def parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        return None
