"""Property tests: arbitrary text at every command grammar (issue 7 §8).

Each parser either returns a result that obeys its invariants or raises its own documented
usage error, which renders as a valid Slack reply in both languages; never anything else.

Adding a grammar is one line in PARSERS below: (name, a strategy for its text, a function
that parses one text and checks what came back). Strategies mix random unicode with each
grammar's own words (tests/fuzzing.py). Settings come from the "pacer" hypothesis profile in
tests/conftest.py (derandomized, so CI sees the same examples every run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar.periods import PERIOD_OF, parse_period
from bot.grammar.amounts import storable_amount
from bot.grammar.inline import InlineError, customers_in_plan, planned_counts, split_labelled
from bot.grammar.kinds import DEFAULT_KINDS, ERROR_CODES, LogParseError
from bot.grammar.log import MAX_COUNT, parse_log
from bot.i18n import LANGS
from bot.render import brief as brief_render
from bot.render import checkin as checkin_render
from bot.render.log import log_error_blocks
from bot.slack.text import channel_id, tokens, user_id
from handlers import target as target_handler
from handlers.brief import BRIEF_LABELS, parse_brief
from handlers.checkin import CHECKIN_LABELS, parse_checkin
from store.models import Activity
from tests import fuzzing as fz
from tests.fakes import message_problems

ZONES = [ZoneInfo(z) for z in ("UTC", "Asia/Shanghai", "America/New_York",
                               "Pacific/Kiritimati", "Pacific/Pago_Pago")]
# Any instant this century, and the awkward ones: leap days, year ends.
nows = st.one_of(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31),
                 timezones=st.just(UTC)),
    st.sampled_from([datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2026, 12, 31, 23, 59,
                     tzinfo=UTC), datetime(2027, 1, 1, 0, 1, tzinfo=UTC)]))
KINDS = {k.id: k for k in DEFAULT_KINDS}
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def column_limit(model: type, field: str) -> int:
    return model.__table__.columns[field].type.length


def renders(builder: Callable[..., dict], *args: object) -> None:
    """An error reply, builder(lang, *args), is valid Block Kit in every language."""
    for lang in LANGS:
        reply = builder(lang, *args)
        assert message_problems(reply) == [], reply
        assert reply["response_type"] == "ephemeral"


# ------------------------------------------------------------------------- /log

def check_log(text: str, now: datetime, tz: ZoneInfo) -> None:
    try:
        parsed = parse_log(text, now=now, tz=tz)
    except LogParseError as error:
        assert error.code in ERROR_CODES
        assert set(error.params) <= {*ERROR_CODES[error.code], "lang"}
        assert all(isinstance(v, str) for v in error.params.values())
        assert error.example.startswith("/log")
        renders(log_error_blocks, error)
        return
    assert parsed.action in ("log", "undo", "list", "help")
    if parsed.action == "list":
        assert parsed.period in ("today", "week", "month")
    if parsed.action != "log":
        return
    entry, today = parsed.entry, now.astimezone(tz).date()
    kind = KINDS[entry.kind]
    assert 1 <= entry.count <= MAX_COUNT
    assert entry.day <= today, "a date in the future"
    assert entry.day >= today - timedelta(days=366)
    for amount in (entry.amount, entry.amount_due):
        assert amount is None or storable_amount(amount), amount
    assert (entry.amount is not None and entry.amount > 0) == kind.needs_amount
    assert entry.customer or not kind.needs_customer
    assert entry.new_customer is None or kind.tracks_new_customer
    if entry.customer is not None:
        assert entry.customer.strip() and len(entry.customer) <= column_limit(
            Activity, "customer")
    assert entry.note is None or len(entry.note) <= column_limit(Activity, "note")


# ------------------------------------------------------------------------- /checkin, /brief

def check_inline(parse: Callable, error_blocks: Callable, text_fields: dict,
                 text: str) -> object | None:
    """`/checkin TEXT` or `/brief TEXT`: help, answers within the form's limits, or an
    InlineError that renders; the answers, if any."""
    try:
        parsed = parse(text)
    except InlineError as error:
        renders(error_blocks, error.code, error.params)
        return None
    assert parsed.action in ("help", "save")
    if parsed.action == "help":
        return None
    assert parsed.answers.given(), "nothing to save"
    for field, limit in text_fields.values():
        value = getattr(parsed.answers, field)
        assert value is None or len(value) <= limit
    return parsed.answers


def check_checkin(text: str) -> None:
    answers = check_inline(parse_checkin, checkin_render.checkin_error_blocks,
                           checkin_render.TEXT_FIELDS, text)
    for count in (answers.planned_visits, answers.planned_calls) if answers else ():
        assert count is None or 0 <= count <= checkin_render.MAX_PLANNED


def check_brief(text: str) -> None:
    check_inline(parse_brief, brief_render.brief_error_blocks, brief_render.TEXT_FIELDS, text)


def check_labelled(text: str) -> None:
    for labels in (CHECKIN_LABELS, BRIEF_LABELS):
        parts = split_labelled(text, labels)
        assert set(parts) <= set(labels.words.values()) | {labels.default}
        assert all(isinstance(v, str) for v in parts.values())


def check_planned(text: str) -> None:
    try:
        counts, rest = planned_counts(text)
    except InlineError as error:
        assert error.code == "ambiguous_count"
        return
    assert set(counts) <= {"visits", "calls"}
    assert all(isinstance(n, int) and n >= 0 for n in counts.values())
    assert isinstance(rest, str)
    names = customers_in_plan(text)
    assert names is None or names.strip()


# ------------------------------------------------------------------------- shared words

def check_period(text: str, today: date) -> None:
    period = parse_period(text, today)
    if period is not None:
        assert period.kind in PERIOD_OF and period.start <= period.end
        assert period.label and len(period.label) <= 16  # the ratings/targets column


def check_tokens(text: str) -> None:
    for token in tokens(text):
        assert isinstance(token, str)
        for found in (user_id(token), channel_id(token)):
            assert found is None or (found.isalnum() and found.isupper() and len(found) <= 32)


def check_target_value(text: str, metric: str) -> None:
    try:
        value = target_handler._value(metric, text)
    except target_handler.Usage as usage:
        assert usage.key in ("target.bad_rate", "target.bad_value")
        return
    assert value.is_finite() and value > 0
    if metric in ("collection_rate", "lead_conversion"):
        assert value <= 1
    else:
        assert value < target_handler.MAX_TARGET


@dataclass(frozen=True)
class Grammar:
    name: str
    text: st.SearchStrategy
    check: Callable[..., None]  # called with one drawn value (a tuple is spread)


PARSERS = [
    Grammar("/log", st.tuples(fz.mixed(fz.LOG_WORDS), nows, st.sampled_from(ZONES)), check_log),
    Grammar("/checkin", fz.mixed(fz.CHECKIN_WORDS), check_checkin),
    Grammar("/brief", fz.mixed(fz.BRIEF_WORDS), check_brief),
    Grammar("labelled text", fz.mixed((*fz.CHECKIN_WORDS, *fz.BRIEF_WORDS)), check_labelled),
    Grammar("planned counts", fz.mixed(fz.CHECKIN_WORDS), check_planned),
    Grammar("periods", st.tuples(fz.mixed(fz.PERIODS, max_words=2),
                                 st.dates(date(2001, 1, 1), date(2099, 12, 31))), check_period),
    Grammar("slack tokens", fz.mixed(fz.MENTIONS + fz.QUOTES), check_tokens),
    Grammar("/target values", st.tuples(fz.mixed(fz.TARGET_WORDS, max_words=1),
                                        st.sampled_from(sorted(set(
                                            target_handler.METRIC_WORDS.values())))),
            check_target_value),
]


@pytest.mark.parametrize("grammar", PARSERS, ids=lambda g: g.name)
def test_parser_returns_a_result_or_its_own_usage_error(grammar: Grammar) -> None:
    @settings(max_examples=fz.examples(150))
    @given(grammar.text)
    def run(drawn: object) -> None:
        grammar.check(*drawn) if isinstance(drawn, tuple) else grammar.check(drawn)

    run()



# ------------------------------------------------------------------------- what they found


def test_a_period_in_year_zero_is_not_a_period() -> None:
    today = date(2026, 11, 18)
    for text in ("0000", "0000-01", "0000-Q1", "0001", "9999-Q4"):
        assert parse_period(text, today) is None, text
    assert parse_period("2026-Q4", today).label == "2026-Q4"


def test_an_amount_too_large_to_store_is_refused_not_a_crash() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 9999999999999999999999999999999999999999亿", now=NOW, tz=UTC)
    assert info.value.code == "bad_amount"
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 99999999999999999", now=NOW, tz=UTC)  # 10^17: over Numeric(18, 2)
    assert info.value.code == "bad_amount"
    with pytest.raises(target_handler.Usage):
        target_handler._value("sales", "9999999999999999999999999999999999999999亿")
    with pytest.raises(target_handler.Usage):
        target_handler._value("sales", "1000000亿")  # 10^14: over Numeric(18, 4)


def test_an_amount_below_a_cent_is_refused_not_stored_as_zero() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 0.001", now=NOW, tz=UTC)
    assert info.value.code == "bad_amount"
    assert parse_log("deal Acme 0.5k", now=NOW, tz=UTC).entry.amount == 500


def test_a_customer_name_longer_than_its_column_is_refused() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("call " + "a" * 250, now=NOW, tz=UTC)
    assert info.value.code == "customer_too_long"
    assert info.value.params["length"] == "250"
    assert info.value.example.startswith("/log call Acme note: aaaa")


def test_a_superscript_digit_is_a_word_not_a_crash() -> None:
    # "²".isdigit() is True but int("²") fails: counts, amounts and ids use isdecimal().
    assert parse_log("call ²", now=NOW, tz=UTC).entry.customer == "²"
    assert parse_log("电话 ²", now=NOW, tz=UTC).entry.count == 1
    assert parse_log("visit ٣ yesterday", now=NOW, tz=UTC).entry.count == 3  # Arabic-Indic 3


def test_a_mention_too_long_for_an_id_column_is_no_one() -> None:
    assert user_id("<@U" + "A" * 40 + ">") is None and user_id("U" + "A" * 40) is None
    assert channel_id("<#C" + "1" * 40 + "|x>") is None
    assert user_id("<@U0BO|bo>") == "U0BO" and channel_id("<#C0SALES|sales>") == "C0SALES"
