"""Block Kit for the App Home (a `home` view, at most 100 blocks) and its small log form.

The buttons are the ones the commands' messages carry (check-in, the calibration's answers,
move and minutes, an action item's Done, the review steps), so their handlers open the same
forms; only Done tells its handler, by its value's origin "home", to republish the Home.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.calendar.quiet import hhmm
from bot.i18n import Raw, format_day, t
from bot.render import actions as render_actions
from bot.render.blocks import context, mention, section
from bot.render.calibrate import (
    ANSWER_ACTION,
    MINUTES_ACTION,
    MOVE_ACTION,
    _button,
    _buttons,
    when,
    when_both,
)
from bot.render.checkin import checkin_button
from bot.render.forms import modal, plain
from bot.render.log import PICK_ACTION
from bot.render.review_steps import step_lines
from bot.render.score import _target_lines, kbi_lines, leaderboard_blocks, period_name

if TYPE_CHECKING:  # bot.services.home builds its views with this module
    from bot.services.home import Dashboard, IdleLine, RepPart, SetupPart, TeamPart
    from store.prefs import Prefs

MAX_BLOCKS = 100  # Slack's limit for a Home view
LOG_ACTION = "home_log"  # the quick button that opens the log form
LOG_FORM = "home_log_form"
LOG_FIELD = "entry"
ORIGIN = "home"  # what Done buttons carry, so the click republishes the Home
LIST_MAX = 8  # rows with a button per list (items, review steps, minutes)
NAMES_MAX = 8  # names per line (idle leads, people)
BOARD_TOP = 5  # a manager's leaderboard: the month's top 5 by points
SETUP_FIXES = ("no_manager", "no_channel", "no_country")  # what an admin's Home lists


def home_view(lang: str, board: Dashboard, *, tz: ZoneInfo,
              zones: dict[str, ZoneInfo]) -> dict:
    local = board.now.astimezone(tz)
    blocks: list[dict] = [
        {"type": "header", "text": plain(t(lang, "home.title"))},
        context(t(lang, "home.updated", when=Raw(f"{format_day(local.date(), lang)} "
                                                 f"{local:%H:%M}"), zone=str(tz)))]
    if not board.known:
        blocks += [section(t(lang, "home.welcome")), _quick(lang, board, checkin=False)]
        return _view(lang, blocks)
    blocks.append(_quick(lang, board, checkin=bool(board.reps)))
    if board.reps:
        blocks.append(context(t(lang, "home.checked_in" if board.checked_in
                                else "home.not_checked_in")))
    for part in board.reps:
        blocks += _rep_blocks(lang, part, board, tz, zones)
    blocks += _items_blocks(lang, board, tz)
    if board.steps:
        blocks += [{"type": "divider"}, section(f"*{t(lang, 'home.steps')}*")]
        blocks += _rows(step_lines(lang, board.steps, tz), lang)
    for part in board.teams:
        blocks += _team_blocks(lang, part, tz)
    blocks += [{"type": "divider"}, section(settings_text(lang, board.prefs, str(tz)))]
    if board.setup is not None:
        blocks += _setup_blocks(lang, board.setup, tz)
    return _view(lang, blocks)


def _view(lang: str, blocks: list[dict]) -> dict:
    footer = context(t(lang, "home.footer"))
    if len(blocks) >= MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 2] + [context(t(lang, "home.cut"))]
    return {"type": "home", "blocks": [*blocks, footer]}


def _quick(lang: str, board: Dashboard, *, checkin: bool) -> dict:
    row = [checkin_button(lang)["elements"][0]] if checkin else []
    row.append({"type": "button", "action_id": LOG_ACTION, "value": "open",
                "text": plain(t(lang, "home.log_button")), "style": "primary"})
    return {"type": "actions", "elements": row}


def _rows(items: Sequence[tuple[str, dict | None]], lang: str) -> list[dict]:
    """A section per line with its button beside it; past LIST_MAX, a count."""
    blocks = []
    for line, button in items[:LIST_MAX]:
        block = section(line)
        if button:
            block["accessory"] = button
        blocks.append(block)
    if len(items) > LIST_MAX:
        blocks.append(context(t(lang, "home.more", count=len(items) - LIST_MAX)))
    return blocks


def _names(users: Sequence[str]) -> Raw:
    shown = ", ".join(f"<@{u}>" for u in users[:NAMES_MAX])
    return Raw(shown + (" …" if len(users) > NAMES_MAX else ""))


# ----------------------------------------------------------------- a rep's own

def _rep_blocks(lang: str, part: RepPart, board: Dashboard, tz: ZoneInfo,
                zones: dict[str, ZoneInfo]) -> list[dict]:
    title = f"*{t(lang, 'home.rep_title', team=part.team)}*"
    week, month = part.week_rep, part.month_rep
    blocks: list[dict] = [{"type": "divider"}, section("\n".join([title, *(
        [t(lang, "home.no_numbers")] if week is None else
        [t(lang, "home.week", period=Raw(period_name(lang, part.week)),
           points=week.points.total), *kbi_lines(lang, week.kbis)])]))]
    if month is not None:
        blocks.append(section("\n".join([
            t(lang, "home.month", period=Raw(period_name(lang, part.month)),
              points=month.points.total), f"_{t(lang, 'score.targets')}_",
            *_target_lines(lang, month, part.currency, reasons=False)])))
    occ = part.calibration
    if occ is None:
        blocks.append(section(t(lang, "home.no_calibration")))
        return blocks
    other = occ.pair.manager
    blocks.append(section(t(lang, "cal.overview_rep", other=mention(other),
                            when=when_both(lang, occ.at, tz, other, zones.get(other, tz)),
                            moved=bool(occ.row and occ.row.moved_by),
                            answered=occ.answers is not None, adhoc=occ.adhoc)))
    blocks.append(_buttons(
        _button(t(lang, "cal.edit_answers" if occ.answers else "cal.answer_button"),
                ANSWER_ACTION, occ.ref, "primary"),
        _button(t(lang, "cal.move_button"), MOVE_ACTION, occ.ref)))
    return blocks


def _items_blocks(lang: str, board: Dashboard, tz: ZoneInfo) -> list[dict]:
    if not board.items:
        return [] if not board.reps else [{"type": "divider"},
                                          section(f"*{t(lang, 'act.title')}*\n"
                                                  + t(lang, "act.none"))]
    today = board.now.astimezone(tz).date()
    rows = [(render_actions.item_text(lang, item, today),
             render_actions._button(lang, item, ORIGIN)) for item in board.items]
    return [{"type": "divider"}, section(f"*{t(lang, 'act.title')}*"), *_rows(rows, lang)]


# ----------------------------------------------------------------- a manager's teams

def _team_blocks(lang: str, part: TeamPart, tz: ZoneInfo) -> list[dict]:
    blocks: list[dict] = [{"type": "divider"},
                          section(f"*{t(lang, 'home.team_title', team=part.team)}*")]
    if part.behind:
        lines = [t(lang, "home.behind_line", rep=mention(user), done=int(k.done),
                   expected=int(k.expected_by_now), target=int(k.target))
                 for user, k in part.behind]
        blocks.append(section(f"*{t(lang, 'home.behind', count=len(lines))}*\n"
                              + "\n".join(lines[:NAMES_MAX * 2])))
    else:
        blocks.append(section(t(lang, "home.nobody_behind")))
    blocks.append(section(_idle_text(lang, part)))
    lines = [t(lang, "home.due_line", rep=mention(o.pair.rep), when=Raw(when(o.at, tz, lang)),
               answered=o.answers is not None) for o in part.due]
    blocks.append(section(f"*{t(lang, 'home.due', count=len(lines))}*\n"
                          + ("\n".join(lines) if lines else t(lang, "home.none_due"))))
    if part.waiting:
        blocks.append(section(f"*{t(lang, 'home.waiting', count=len(part.waiting))}*"))
        blocks += _rows([(t(lang, "home.waiting_line", rep=mention(o.pair.rep),
                            when=Raw(when(o.at, tz, lang))),
                          _button(t(lang, "cal.minutes_button"), MINUTES_ACTION, o.ref,
                                  "primary")) for o in part.waiting], lang)
    board = leaderboard_blocks(lang, report=part.month, board=part.board, in_channel=False,
                               limit=BOARD_TOP)
    return blocks + board["blocks"]


def _idle_text(lang: str, part: TeamPart) -> str:
    def names(leads: Sequence[IdleLine]) -> Raw:
        shown = ", ".join(t(lang, "home.idle_lead", name=lead.name, owner=mention(lead.owner),
                            hours=lead.hours, is_key=lead.key) for lead in leads[:NAMES_MAX])
        return Raw(shown + (" …" if len(leads) > NAMES_MAX else ""))

    late = [lead for lead in part.idle if lead.escalated]
    early = [lead for lead in part.idle if not lead.escalated]
    if not part.idle:
        return t(lang, "home.no_idle")
    return "\n".join([f"*{t(lang, 'home.alerts')}*",
                      t(lang, "home.idle72", count=len(late), leads=names(late)),
                      t(lang, "home.idle48", count=len(early), leads=names(early))])


def settings_text(lang: str, own: Prefs, tz: str) -> str:
    """A person's delivery settings, a line each with the command that changes it: the
    reply to `/pacer me`, and the App Home's settings."""
    return t(lang, "pacer.me_settings", tz=tz,
             quiet_start=hhmm(own.quiet_start) if own.quiet else "",
             quiet_end=hhmm(own.quiet_end) if own.quiet else "",  # type: ignore[arg-type]
             digest=hhmm(own.digest_at) if own.digest_at else "", brief_off=own.brief_off)


# ----------------------------------------------------------------- an admin's setup

def _setup_blocks(lang: str, setup: SetupPart, tz: ZoneInfo) -> list[dict]:
    fixes = []
    for key in SETUP_FIXES:
        for name in getattr(setup, key)[:NAMES_MAX]:
            fixes.append(t(lang, f"home.setup_{key}", team=name))
    if setup.without_team:
        fixes.append(t(lang, "home.setup_without_team", count=len(setup.without_team),
                       people=_names(setup.without_team)))
    lines = fixes or [t(lang, "home.setup_ok")]
    lines.append(t(lang, f"home.install_{setup.install}",
                   at=Raw(_day(setup.installed_at, tz, lang)),
                   since=Raw(_day(setup.uninstalled_at, tz, lang))))
    if setup.troubles:
        lines.append(t(lang, "home.troubles"))
        lines += [t(lang, "home.trouble_line", job=x.job, failed=x.failed, gave_up=x.gave_up,
                    error=x.last_error[:120]) for x in setup.troubles]
    else:
        lines.append(t(lang, "home.no_troubles"))
    return [{"type": "divider"}, section(f"*{t(lang, 'home.setup_title')}*\n"
                                         + "\n".join(lines))]


def _day(at: datetime | None, tz: ZoneInfo, lang: str) -> str:
    return format_day(at.astimezone(tz).date(), lang) if at else ""


# ----------------------------------------------------------------- the log form

def log_modal(lang: str, *, nonce: str) -> dict:
    """One line in /log's grammar; `nonce` (the opening click's trigger) makes one form
    one log, however often it is submitted."""
    block = {"type": "input", "block_id": LOG_FIELD, "label": plain(t(lang, "home.log_label")),
             "hint": plain(t(lang, "home.log_hint")),
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 500,
                         "focus_on_load": True,
                         "placeholder": plain(t(lang, "home.log_placeholder"))}}
    return modal(title=t(lang, "home.log_title"), blocks=[block], callback_id=LOG_FORM,
                 submit=t(lang, "home.log_submit"), close=t(lang, "home.log_close"),
                 metadata={"n": nonce})


def asks_customer(reply: dict) -> bool:
    """Whether /log's confirmation asks which of several close customers was meant."""
    return any(e.get("action_id", "").startswith(PICK_ACTION)
               for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])


def log_saved_view(lang: str, reply: dict) -> dict:
    """The form once saved: /log's confirmation without its buttons (Undo and the choice of
    customer answer in a message, which a form is not: a question goes to the DM)."""
    blocks = [b for b in reply["blocks"] if b["type"] != "actions"]
    blocks.append(context(t(lang, "home.log_pick_in_dm" if asks_customer(reply)
                            else "home.log_saved_note")))
    return modal(title=t(lang, "home.log_title"), blocks=blocks[:50],
                 close=t(lang, "home.log_done"))
