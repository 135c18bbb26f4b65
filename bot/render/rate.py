"""Block Kit for /rate: the anonymous collaboration form and its thank-you."""

from __future__ import annotations

import json

from bot.i18n import Raw, format_period, t

PEER_CALLBACK = "peer_rating"


def _text(kind: str, text: str) -> dict:
    return {"type": kind, "text": text[:150] if kind == "plain_text" else text}


def peer_view(lang: str, *, team_id: int, period: str, ratee: str | None) -> dict:
    users = {"type": "users_select", "action_id": "value",
             "placeholder": _text("plain_text", t(lang, "rate.peer_who_hint"))}
    if ratee:
        users["initial_user"] = ratee
    options = [{"text": _text("plain_text", t(lang, f"rate.peer_option_{n}")), "value": str(n)}
               for n in range(1, 6)]
    return {
        "type": "modal", "callback_id": PEER_CALLBACK,
        "private_metadata": json.dumps({"team": team_id, "period": period}),
        "title": _text("plain_text", t(lang, "rate.peer_title")),
        "submit": _text("plain_text", t(lang, "rate.peer_submit")),
        "close": _text("plain_text", t(lang, "rate.peer_close")),
        "blocks": [
            {"type": "section", "text": _text("mrkdwn", t(lang, "rate.peer_intro",
                                                          period=format_period(period, lang)))},
            {"type": "input", "block_id": "ratee", "element": users,
             "label": _text("plain_text", t(lang, "rate.peer_who"))},
            {"type": "input", "block_id": "score",
             "element": {"type": "radio_buttons", "action_id": "value", "options": options},
             "label": _text("plain_text", t(lang, "rate.peer_how"))},
            {"type": "context", "elements": [_text("mrkdwn", t(lang, "rate.peer_privacy"))]},
        ],
    }


def peer_thanks_view(lang: str, *, ratee: str, period: str, replaced: bool) -> dict:
    text = t(lang, "rate.peer_thanks", user=Raw(f"<@{ratee}>"),
             period=format_period(period, lang),
             replaced=replaced)
    return {"type": "modal", "title": _text("plain_text", t(lang, "rate.peer_title")),
            "close": _text("plain_text", t(lang, "rate.peer_close")),
            "blocks": [{"type": "section", "text": _text("mrkdwn", text)}]}
