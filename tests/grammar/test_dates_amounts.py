"""The date and amount finders on their own (bot/grammar/dates.py, dates_zh.py, amounts.py):
table-driven, our own phrases (none from the shared corpus, which is a benchmark only),
expected answers worked out from the calendar by hand. Each row: the line after the kind, the
reference time and zone, the day or the refusal, and what is left for customer and note.
parse_log's own tests (test_parsing.py, test_log_phrases.py) check the same through the parser.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.amounts import AmountHit, AmountRefusal, find_amount, read_amount
from bot.grammar.dates import DateHit, DateRefusal, find_date, read_date
from bot.grammar.lexer import leftover

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
# A: Wednesday 19 March 2025, 16:45 in New York (week Mon 17 - Sun 23).
A = datetime(2025, 3, 19, 16, 45, tzinfo=NY)
# B: Saturday 1 June 2024, 09:15 in Shanghai (week Mon 27 May - Sun 2 June).
B = datetime(2024, 6, 1, 9, 15, tzinfo=SH)
# C: Monday 5 January 2026, 08:00 (year boundary).
C_SH = datetime(2026, 1, 5, 8, 0, tzinfo=SH)
C_NY = datetime(2026, 1, 5, 8, 0, tzinfo=NY)

FUTURE, VAGUE, TOO_OLD = "future", "vague", "too_old"

# (line, expected: ISO day or refusal reason or None, expected leftover when a day is read)
EN_DATES_A = [
    # relative day words (dateparser)
    ("Initech yesterday", "2025-03-18", "Initech"),
    ("Initech the day before yesterday", "2025-03-17", "Initech"),
    ("Initech today", "2025-03-19", "Initech"),
    ("Initech tomorrow", FUTURE, None),
    ("Initech day after tomorrow", FUTURE, None),
    ("Initech yesterday evening", "2025-03-18", "Initech"),
    # qualified weekdays
    ("Initech last monday", "2025-03-17", "Initech"),
    ("Initech last wednesday", "2025-03-12", "Initech"),  # said on a Wednesday: a week ago
    ("Initech past tuesday", "2025-03-18", "Initech"),
    ("Initech previous friday", "2025-03-14", "Initech"),
    ("Initech last thurs", "2025-03-13", "Initech"),
    ("Initech last friday at 4pm", "2025-03-14", "Initech"),
    ("Initech this monday", "2025-03-17", "Initech"),
    ("Initech this wednesday", "2025-03-19", "Initech"),
    ("Initech this friday", FUTURE, None),
    ("Initech next monday", FUTURE, None),
    ("Initech coming monday", FUTURE, None),
    # bare weekdays: the latest one, today included
    ("Initech wednesday", "2025-03-19", "Initech"),
    ("Initech tuesday", "2025-03-18", "Initech"),
    ("Initech thursday", "2025-03-13", "Initech"),
    ("Initech on sat", "2025-03-15", "Initech"),
    # weekday of a named week
    ("Initech monday of last week", "2025-03-10", "Initech"),
    ("Initech friday from last week", "2025-03-14", "Initech"),
    ("Initech last week's thursday", "2025-03-13", "Initech"),
    ("Initech tuesday of this week", "2025-03-18", "Initech"),
    ("Initech thursday next week", FUTURE, None),
    ("Initech monday before last", "2025-03-10", "Initech"),
    ("Initech tuesday after next", FUTURE, None),
    ("Initech 3 fridays ago", "2025-02-28", "Initech"),
    ("Initech two mondays back", "2025-03-10", "Initech"),
    # nth weekday of a month
    ("Initech the second tuesday of last month", "2025-02-11", "Initech"),
    ("Initech the last friday of last month", "2025-02-28", "Initech"),
    ("Initech first monday of this month", "2025-03-03", "Initech"),
    ("Initech the first monday of march", "2025-03-03", "Initech"),
    ("Initech the second friday of december", "2024-12-13", "Initech"),
    ("Initech several days back", "unreadable", None),  # never left in the customer's name
    ("Initech fourth sunday of this month", FUTURE, None),
    # N units ago / ahead
    ("Initech 5 days ago", "2025-03-14", "Initech"),
    ("Initech five days back", "2025-03-14", "Initech"),
    ("Initech 10 days earlier", "2025-03-09", "Initech"),
    ("Initech a fortnight ago", "2025-03-05", "Initech"),
    ("Initech 2 weeks ago", "2025-03-05", "Initech"),
    ("Initech 6 months ago", "2024-09-19", "Initech"),
    ("Initech a couple of days ago", "2025-03-17", "Initech"),
    ("Initech 3d ago", "2025-03-16", "Initech"),
    ("Initech in 3 days", FUTURE, None),
    ("Initech after 2 weeks", FUTURE, None),
    ("Initech 5 days from now", FUTURE, None),
    ("Initech 3 days later", FUTURE, None),
    ("Initech 2 days hence", FUTURE, None),
    # month-name and numeric dates: the latest such day not in the future
    ("Initech Mar 2", "2025-03-02", "Initech"),
    ("Initech March 19th", "2025-03-19", "Initech"),
    ("Initech March 20", "2024-03-20", "Initech"),  # tomorrow's date: last year (SPEC)
    ("Initech 20 March", "2024-03-20", "Initech"),
    ("Initech Feb 29", TOO_OLD, None),  # the latest 29 Feb (2024) is over a year back
    ("Initech Dec 31", "2024-12-31", "Initech"),
    ("Initech Dec 31, 2024", "2024-12-31", "Initech"),
    ("Initech Jan 5 2026", FUTURE, None),
    ("Initech 3/2", "2025-03-02", "Initech"),
    ("Initech 12/24/2024", "2024-12-24", "Initech"),
    ("Initech 2025-03-01", "2025-03-01", "Initech"),
    # day of month
    ("Initech the 4th", "2025-03-04", "Initech"),
    ("Initech on the 25th", "2025-02-25", "Initech"),
    ("Initech the 31st", "2025-01-31", "Initech"),
    ("Initech the 10th of last month", "2025-02-10", "Initech"),
    ("Initech the 25th of this month", FUTURE, None),
    # weekday + date: the weekday must fit
    ("Initech Wednesday, Mar 12", "2025-03-12", "Initech"),
    ("Initech Thursday, Mar 12", "weekday_mismatch", None),
    ("Initech Friday, March 21", FUTURE, None),  # a Friday only this year: not last year's
    # refused
    ("Initech last week", VAGUE, None),
    ("Initech this month", VAGUE, None),
    ("Initech next week", FUTURE, None),
    ("Initech the other day", VAGUE, None),
    ("Initech a few days ago", VAGUE, None),
    ("Initech in April", VAGUE, None),
    ("Initech Feb 30", "no_such_day", None),
    ("Initech 18 months ago", TOO_OLD, None),
    ("Initech yesterday, today", "two_dates", None),
    # a later date after other words stays in the note; a quoted note is never read
    ("Initech yesterday, follow up next week", "2025-03-18", "Initech follow up next week"),
    ('Initech yesterday "call back tomorrow"', "2025-03-18", 'Initech "call back tomorrow"'),
    # names and numbers that are not dates
    ("May Department Stores", None, None),
    ("Sun Life Financial", None, None),
    ("Mark & Spencer 2 days ago", "2025-03-17", "Mark & Spencer"),
    ("March Networks yesterday", "2025-03-18", "March Networks"),
    ("Initech 12 units", None, None),
    ("Initech 2 days workshop", None, None),
    ("Initech 3rd floor", None, None),
    ("Initech 2019", None, None),
]

ZH_DATES_B = [
    ("华为 昨天", "2024-05-31", "华为"),
    ("华为 昨日", "2024-05-31", "华为"),
    ("华为 前天", "2024-05-30", "华为"),
    ("华为 前日", "2024-05-30", "华为"),
    ("华为 大前天", "2024-05-29", "华为"),
    ("华为 今天", "2024-06-01", "华为"),
    ("华为 今日", "2024-06-01", "华为"),
    ("华为 明天", FUTURE, None),
    ("华为 后天", FUTURE, None),
    ("华为 大后天", FUTURE, None),
    ("华为 五天前", "2024-05-27", "华为"),
    ("华为 5天前", "2024-05-27", "华为"),
    ("华为 两天前", "2024-05-30", "华为"),
    ("华为 十日前", "2024-05-22", "华为"),
    ("华为 三周前", "2024-05-11", "华为"),
    ("华为 两个星期前", "2024-05-18", "华为"),
    ("华为 一个礼拜前", "2024-05-25", "华为"),
    ("华为 三个月前", "2024-03-01", "华为"),
    ("华为 两个月以前", "2024-04-01", "华为"),
    ("华为 10天之前", "2024-05-22", "华为"),
    ("华为 三天后", FUTURE, None),
    ("华为 2周后", FUTURE, None),
    ("华为 一个月以后", FUTURE, None),
    ("华为 5天之后", FUTURE, None),
    ("华为 上周一", "2024-05-20", "华为"),
    ("华为 上周日", "2024-05-26", "华为"),
    ("华为 上星期五", "2024-05-24", "华为"),
    ("华为 上个礼拜三", "2024-05-22", "华为"),
    ("华为 上上周二", "2024-05-14", "华为"),
    ("华为 这周四", "2024-05-30", "华为"),
    ("华为 本周六", "2024-06-01", "华为"),
    ("华为 这个星期天", FUTURE, None),
    ("华为 下周一", FUTURE, None),
    ("华为 下个星期三", FUTURE, None),
    ("华为 周三", "2024-05-29", "华为"),
    ("华为 星期六", "2024-06-01", "华为"),
    ("华为 礼拜天", FUTURE, None),  # a bare weekday is this week's, as 本周日
    ("华为 上个月20号", "2024-05-20", "华为"),
    ("华为 上月3日", "2024-05-03", "华为"),
    ("华为 本月1号", "2024-06-01", "华为"),
    ("华为 这个月5号", FUTURE, None),
    ("华为 下个月2号", FUTURE, None),
    ("华为 28号", "2024-05-28", "华为"),
    ("华为 一号", "2024-06-01", "华为"),
    ("华为 三十一号", "2024-05-31", "华为"),
    ("华为 5月20日", "2024-05-20", "华为"),
    ("华为 五月二十号", "2024-05-20", "华为"),
    ("华为 6月2日", "2023-06-02", "华为"),
    ("华为 2月14", "2024-02-14", "华为"),
    ("华为 2023年12月25日", "2023-12-25", "华为"),
    ("华为 二〇二三年十二月二十五日", "2023-12-25", "华为"),
    ("华为 去年8月8日", "2023-08-08", "华为"),
    ("华为 今年7月1日", FUTURE, None),
    ("华为 2024年6月2号", FUTURE, None),
    ("华为 2024-05-18", "2024-05-18", "华为"),
    ("华为 2024/5/18", "2024-05-18", "华为"),
    ("华为 5/18", "2024-05-18", "华为"),
    ("华为 5.18", "2024-05-18", "华为"),
    ("华为 5月20日周一", "2024-05-20", "华为"),
    ("华为 周二，5月21日", "2024-05-21", "华为"),
    ("华为 5月20日(周五)", "weekday_mismatch", None),
    ("华为 昨天下午", "2024-05-31", "华为"),
    ("华为 前天晚上7点", "2024-05-30", "华为"),
    ("华为 上周", VAGUE, None),
    ("华为 本月", VAGUE, None),
    ("华为 下个月", FUTURE, None),
    ("华为 上周末", VAGUE, None),
    ("华为 前几天", VAGUE, None),
    ("华为 半个月前", VAGUE, None),
    ("华为 2月30日", "no_such_day", None),
    ("华为 五年前", TOO_OLD, None),
    ("华为 昨天 前天", "two_dates", None),
    # no spaces, notes, names with date characters
    ("华为昨天", "2024-05-31", "华为"),
    ("华为昨天聊了报价", "2024-05-31", "华为 聊了报价"),
    ("华为 上周五 聊了报价", "2024-05-24", "华为 聊了报价"),
    ("今日资本", "name_or_date", None),
    ("明天集团 昨天", "2024-05-31", "明天集团"),
    ("周黑鸭 上周五", "2024-05-24", "周黑鸭"),
    ("华为 3号楼", None, None),
]

YEAR_EDGE = [  # (line, now, zone, lang, expected, show_year)
    ("小米 12月31日", C_SH, SH, "zh", "2025-12-31", True),
    ("小米 上周五", C_SH, SH, "zh", "2026-01-02", False),
    ("小米 上周一", C_SH, SH, "zh", "2025-12-29", True),
    ("小米 上个月15号", C_SH, SH, "zh", "2025-12-15", True),
    ("Globex Dec 31", C_NY, NY, "en", "2025-12-31", True),
    ("Globex last friday", C_NY, NY, "en", "2026-01-02", False),
    ("Globex 1/1", C_NY, NY, "en", "2026-01-01", False),
]


def _check_date(line, now, tz, lang, want, rest):
    got = find_date(line, now, tz, lang=lang)
    if want is None:
        assert got is None, got
    elif want[0].isdigit():
        assert isinstance(got, DateHit), got
        assert got.day == date.fromisoformat(want), got
        assert leftover(line, [(got.start, got.end)]) == rest
    else:
        assert isinstance(got, DateRefusal), got
        assert got.reason == want, got


@pytest.mark.parametrize("line,want,rest", EN_DATES_A)
def test_en_dates(line, want, rest):
    _check_date(line, A, NY, "en", want, rest)


@pytest.mark.parametrize("line,want,rest", ZH_DATES_B)
def test_zh_dates(line, want, rest):
    _check_date(line, B, SH, "zh", want, rest)


@pytest.mark.parametrize("line,now,tz,lang,want,show_year", YEAR_EDGE)
def test_year_is_shown_when_not_this_year(line, now, tz, lang, want, show_year):
    got = find_date(line, now, tz, lang=lang)
    assert isinstance(got, DateHit) and got.day == date.fromisoformat(want), got
    assert got.show_year is show_year


def test_future_refusal_names_the_day():
    got = find_date("Initech in 3 days", A, NY)
    assert isinstance(got, DateRefusal) and got.day == date(2025, 3, 22)
    got = find_date("华为 下周一", B, SH, lang="zh")
    assert isinstance(got, DateRefusal) and got.day == date(2024, 6, 3)


def test_the_reps_zone_decides_the_day():
    # 23:30 UTC on 10 March 2026 is already 11 March in Shanghai, still 10 March in New York.
    now = datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert find_date("华为 昨天", now, SH, lang="zh").day == date(2026, 3, 10)
    assert find_date("Initech yesterday", now, NY).day == date(2026, 3, 9)


def test_day_month_order_for_a_dmy_rep():
    assert find_date("Initech 3/2", A, NY, order="DMY").day == date(2025, 2, 3)
    assert find_date("Initech 3/2", A, NY).day == date(2025, 3, 2)


def test_a_known_customer_is_never_read_as_a_date():
    line = "今日资本 昨天"
    got = find_date(line, B, SH, lang="zh", skip=((0, 4),))
    assert isinstance(got, DateHit) and got.day == date(2024, 5, 31)
    assert find_date("Friday Motors", A, NY, skip=((0, 13),)) is None


def test_read_date_whole_phrase():
    assert read_date("上个月15号", B, SH, lang="zh").day == date(2024, 5, 15)
    assert read_date("Acme", A, NY) is None
    assert read_date("3 days from now", A, NY).reason == FUTURE


# Properties over two years of reference days (own oracle: plain date arithmetic).
DAYS = [date(2025, 1, 1) + timedelta(days=i) for i in range(0, 730, 3)]
EN_WD = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ZH_WD = ["一", "二", "三", "四", "五", "六", "日"]


@pytest.mark.parametrize("today", DAYS)
def test_weekday_rules_hold_every_day(today):
    now = datetime(today.year, today.month, today.day, 12, tzinfo=NY)
    monday = today - timedelta(days=today.weekday())
    for wd in range(7):
        bare = find_date(f"X {EN_WD[wd]}", now, NY).day
        assert bare.weekday() == wd and 0 <= (today - bare).days <= 6
        last = find_date(f"X last {EN_WD[wd]}", now, NY).day
        assert last.weekday() == wd and 1 <= (today - last).days <= 7
        zh = find_date(f"华为 上周{ZH_WD[wd]}", now.replace(tzinfo=SH), SH, lang="zh")
        assert zh.day == monday - timedelta(days=7 - wd)
        this = find_date(f"华为 这周{ZH_WD[wd]}", now.replace(tzinfo=SH), SH, lang="zh")
        want = monday + timedelta(days=wd)
        if want <= today:
            assert this.day == want
        else:
            assert this.reason == FUTURE and this.day == want


@pytest.mark.parametrize("today", DAYS)
def test_month_day_is_the_latest_not_in_the_future(today):
    now = datetime(today.year, today.month, today.day, 12, tzinfo=SH)
    for delta in (-40, -1, 0, 1, 40):
        d = today + timedelta(days=delta)
        want = d if delta <= 0 else d.replace(year=d.year - 1) if (d.month, d.day) != (2, 29) \
            else None
        if want is None:
            continue  # 29 Feb ahead: the one before is 4 years back (too_old)
        got = find_date(f"华为 {d.month}月{d.day}日", now, SH, lang="zh")
        assert got.day == want, (today, d, got)
        got = find_date(f"Initech {d.strftime('%b')} {d.day}", now.replace(tzinfo=NY), NY)
        assert got.day == want, (today, d, got)


@pytest.mark.parametrize("today", DAYS[::4])
def test_n_days_ago_and_ahead(today):
    now = datetime(today.year, today.month, today.day, 0, 5, tzinfo=SH)
    for n in (1, 2, 9, 30):
        assert find_date(f"华为 {n}天前", now, SH, lang="zh").day == today - timedelta(days=n)
        assert find_date(f"华为 {n}天后", now, SH, lang="zh").reason == FUTURE
        assert find_date(f"X {n} days ago", now, SH).day == today - timedelta(days=n)
        assert find_date(f"X in {n} days", now, SH).reason == FUTURE


# --------------------------------------------------------------------------- amounts

# (line, team currency, expected value | refusal reason | None, currency, leftover)
AMOUNTS = [
    ("Globex 75k", "CNY", "75000", "CNY", "Globex"),
    ("Globex 75K", "CNY", "75000", "CNY", "Globex"),
    ("Globex 2.5m", "CNY", "2500000", "CNY", "Globex"),
    ("Globex 4000K", "CNY", "4000000", "CNY", "Globex"),
    ("Globex 250,000", "CNY", "250000", "CNY", "Globex"),
    ("Globex 250,000.50", "CNY", "250000.5", "CNY", "Globex"),
    ("Globex 7 thousand", "CNY", "7000", "CNY", "Globex"),
    ("Globex 4 million", "CNY", "4000000", "CNY", "Globex"),
    ("Globex 2.25 million", "CNY", "2250000", "CNY", "Globex"),
    ("Globex eight thousand", "CNY", "8000", "CNY", "Globex"),
    ("Globex three hundred thousand", "CNY", "300000", "CNY", "Globex"),
    ("Globex one hundred and fifty thousand", "CNY", "150000", "CNY", "Globex"),
    ("Globex four point five million", "CNY", "4500000", "CNY", "Globex"),
    ("Globex 60 grand", "CNY", "60000", "CNY", "Globex"),
    ("Globex $75k", "CNY", "75000", "USD", "Globex"),
    ("Globex 75k$", "CNY", "75000", "USD", "Globex"),
    ("Globex $ 500", "CNY", "500", "USD", "Globex"),
    ("Globex US$ 9.99", "CNY", "9.99", "USD", "Globex"),
    ("Globex USD 12,000", "CNY", "12000", "USD", "Globex"),
    ("Globex 12,000 USD", "CNY", "12000", "USD", "Globex"),
    ("Globex CNY8000", "USD", "8000", "CNY", "Globex"),
    ("Globex 8000 RMB", "USD", "8000", "CNY", "Globex"),
    ("Globex 8000 yuan", "USD", "8000", "CNY", "Globex"),
    ("Globex ¥8000", "USD", "8000", "CNY", "Globex"),
    ("Globex €40k", "CNY", "40000", "EUR", "Globex"),
    ("Globex 40k EUR", "CNY", "40000", "EUR", "Globex"),
    ("Globex £900", "CNY", "900", "GBP", "Globex"),
    ("Globex 900 CHF", "CNY", "900", "CHF", "Globex"),
    ("Globex 15 bucks", "CNY", "15", "USD", "Globex"),
    ("Globex fifteen dollars", "CNY", "15", "USD", "Globex"),
    ("Globex $35 and 20c", "CNY", "35.20", "USD", "Globex"),
    ("Globex about 80k", "CNY", "80000", "CNY", "Globex"),
    ("Globex 80k, was 60k last year", "CNY", "80000", "CNY", "Globex was 60k last year"),
    ("Seven Eleven 30k", "CNY", "30000", "CNY", "Seven Eleven"),
    # the team's currency breaks a shared mark's tie
    ("Globex $500", "SGD", "500", "SGD", "Globex"),
    ("Globex ¥500", "JPY", "500", "JPY", "Globex"),
    ("Globex ¥500", "USD", "500", "CNY", "Globex"),
    # Chinese
    ("京东 8万", "CNY", "80000", "CNY", "京东"),
    ("京东 8.5万", "CNY", "85000", "CNY", "京东"),
    ("京东 2亿", "CNY", "200000000", "CNY", "京东"),
    ("京东 0.8亿", "CNY", "80000000", "CNY", "京东"),
    ("京东 3千", "CNY", "3000", "CNY", "京东"),
    ("京东 3千万", "CNY", "30000000", "CNY", "京东"),
    ("京东 45w", "CNY", "450000", "CNY", "京东"),
    ("京东 20k", "CNY", "20000", "CNY", "京东"),
    ("京东 四万五", "CNY", "45000", "CNY", "京东"),
    ("京东 二十三万", "CNY", "230000", "CNY", "京东"),
    ("京东 一百五十万", "CNY", "1500000", "CNY", "京东"),
    ("京东 三千八", "CNY", "3800", "CNY", "京东"),
    ("京东 两万", "CNY", "20000", "CNY", "京东"),
    ("京东 千二", "CNY", "1200", "CNY", "京东"),
    ("京东 万五", "CNY", "15000", "CNY", "京东"),
    ("京东 十五万零三百", "CNY", "150300", "CNY", "京东"),
    ("京东 200万五千", "CNY", "2005000", "CNY", "京东"),
    ("京东 3万800", "CNY", "30800", "CNY", "京东"),
    ("京东 一点二万", "CNY", "12000", "CNY", "京东"),
    ("京东 贰万伍仟", "CNY", "25000", "CNY", "京东"),
    ("京东 叁仟元整", "CNY", "3000", "CNY", "京东"),
    ("京东 伍佰圆", "CNY", "500", "CNY", "京东"),
    ("京东 贰拾元伍角", "CNY", "20.5", "CNY", "京东"),
    ("京东 八块五毛", "CNY", "8.5", "CNY", "京东"),
    ("京东 二十块钱", "CNY", "20", "CNY", "京东"),
    ("京东 56元7角8分", "CNY", "56.78", "CNY", "京东"),
    ("京东 9，800元", "CNY", "9800", "CNY", "京东"),
    ("京东 １２万", "CNY", "120000", "CNY", "京东"),
    ("京东 ￥3,500", "CNY", "3500", "CNY", "京东"),
    ("京东 6.8人民币", "USD", "6.8", "CNY", "京东"),
    ("京东 5万美元", "CNY", "50000", "USD", "京东"),
    ("京东 3000欧元", "CNY", "3000", "EUR", "京东"),
    ("京东 1万港币", "CNY", "10000", "HKD", "京东"),
    ("京东 约50万", "CNY", "500000", "CNY", "京东"),
    ("京东 20万左右", "CNY", "200000", "CNY", "京东"),
    ("京东12万新客户", "CNY", "120000", "CNY", "京东 新客户"),
    ("京东 12万 新客户", "CNY", "120000", "CNY", "京东 新客户"),
    ("万达 12万", "CNY", "120000", "CNY", "万达"),
    ("三一重工 5万", "CNY", "50000", "CNY", "三一重工"),
    ("九阳 十万", "CNY", "100000", "CNY", "九阳"),
    ("腾讯三万五", "CNY", "35000", "CNY", "腾讯"),
    # refused
    ("Globex 80k 60k", "CNY", "two_amounts", None, None),
    ("京东 12万 8万", "CNY", "two_amounts", None, None),
    ("Globex 0", "CNY", "not_positive", None, None),
    ("Globex -3k", "CNY", "not_positive", None, None),
    ("Globex 1.200", "CNY", "ambiguous_number", None, None),
    ("Globex €2.500", "CNY", "ambiguous_number", None, None),
    ("Globex 99,5", "CNY", "ambiguous_number", None, None),
    ("Globex 2.5555", "CNY", "too_precise", None, None),
    ("Globex 1,23,456", "CNY", "unreadable", None, None),
    ("Globex 99999999999999999", "CNY", "too_big", None, None),
    # not an amount: names with numerals
    ("一汽", "CNY", None, None, None),
    ("百度", "CNY", None, None, None),
    ("五粮液", "CNY", None, None, None),
    ("Globex", "CNY", None, None, None),
]


@pytest.mark.parametrize("line,team,want,currency,rest", AMOUNTS)
def test_amounts(line, team, want, currency, rest):
    got = find_amount(line, team)
    if want is None:
        assert got is None, got
    elif want[0].isdigit():
        assert isinstance(got, AmountHit), got
        assert got.value == Decimal(want) and got.currency == currency, got
        assert not got.weak
        assert leftover(line, [(got.start, got.end)]) == rest
    else:
        assert isinstance(got, AmountRefusal) and got.reason == want, got


@pytest.mark.parametrize("line,value", [("Globex 12", 12), ("Globex 2 calls", 2)])
def test_bare_numbers_are_weak(line, value):
    got = find_amount(line, "CNY")
    assert isinstance(got, AmountHit) and got.weak and got.value == value


@pytest.mark.parametrize("line", ["Globex twelve", "京东 十", "Seven Eleven", "京东 三"])
def test_a_bare_number_word_is_no_amount(line):
    assert find_amount(line, "CNY") is None


def test_lower_case_words_that_are_iso_codes_are_not_currencies():
    got = find_amount("Globex 5k try again", "CNY")
    assert isinstance(got, AmountHit) and got.currency == "CNY" and got.text == "5k"
    got = find_amount("Globex 5k TRY", "CNY")
    assert isinstance(got, AmountHit) and got.currency == "TRY"


def test_read_amount_whole_phrase():
    assert read_amount("一百二十万", "CNY").value == 1200000
    assert read_amount("Globex", "CNY") is None


def test_zh_numerals_skips_cn2an_only_where_it_would_change_nothing() -> None:
    """zh_numerals does not ask cn2an about a phrase with none of the characters it converts
    (dates_zh._CN2AN_CHARS): for every other character a zh date phrase may hold, alone and
    in the phrases it makes, cn2an gives the text back unchanged, so skipping it loses
    nothing; and a phrase with a numeral is still converted."""
    import cn2an

    from bot.grammar.dates_zh import _CN2AN_CHARS, CHARS, zh_numerals

    others = sorted(c for c in CHARS if c not in _CN2AN_CHARS)
    phrases = [*others, "昨天", "前天", "今天下午", "上周日", "本月初", "去年", "大前天",
               "".join(others)]
    for phrase in phrases:
        assert cn2an.transform(phrase, "cn2an") == phrase
        assert zh_numerals(phrase) == phrase
    assert zh_numerals("三天前") == "3天前"
    assert zh_numerals("两周前") == "2周前"
    assert zh_numerals("半天前") == cn2an.transform("半天前", "cn2an")
