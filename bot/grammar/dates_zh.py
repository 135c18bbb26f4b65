"""The Chinese date phrases of a /log line: 昨天, 三天前, 上周五, 上个月15号, 11月20日, 去年8月8日,
周日，2月10号 ... (bot/grammar/dates.py finds them in the line and judges them).

Libraries first: cn2an turns numerals into digits (四月十三 -> 4月13), then dateparser reads
今天/昨天/前天, N天前 / N周前 / N个月前 / N天后, 11月20 and 2015年3月3日, checked against the
numbers typed. Each `Own code:` says which case they miss or misread.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import cn2an

from bot.grammar.days import (
    Read,
    add_months,
    dp_checked,
    dp_day,
    latest_day_of_month,
    monday_of,
    read_numeric,
    valid,
    weekday_check,
)
from bot.grammar.lexer import Window

_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
       "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_SHIFT = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "下下": 2}
_WD_RE = r"(?:周|星期|礼拜)([1-7一二三四五六日天])"
CHARS = set("零〇一二两三四五六七八九十百千年月日号號周週星期礼拜天上下本这個个今昨明前后"
             "大去以之半末初底中最近几早晚午凌晨傍夜点分过整") | set("0123456789 ,/-.()（）")
_TIME = r"(?:早上|上午|中午|下午|傍晚|晚上|夜里|凌晨)?(?:\d{1,2}点(?:\d{1,2}分|半|整)?)?"
# dateparser reads 今天 昨天 前天 大前天 明天 后天 大后天; own map: 今日 本日 昨日 前日 明日 后日.
_DAY_WORDS = {"今天": "今天", "今日": "今天", "本日": "今天", "昨天": "昨天", "昨日": "昨天",
              "前天": "前天", "前日": "前天", "大前天": "大前天", "明天": "明天", "明日": "明天",
              "后天": "后天", "后日": "后天", "大后天": "大后天"}

# What cn2an.transform converts: its numerals and units, 廿 (twenty) and 半 (a half).
_TRANSFORM = cn2an.Transform()
_CN2AN_CHARS = frozenset(_TRANSFORM.all_num + _TRANSFORM.all_unit + "廿半")


def zh_numerals(p: str) -> str:
    """Chinese numerals -> digits with cn2an.transform (四月十三 -> 4月13, 三天前 -> 3天前).
    Own code around it: cn2an leaves a lone 两 alone (两周前), so 两 -> 二 first; a phrase
    with none of the characters it converts (昨天, 上周五) is left as it is without asking
    it (~12 µs a call, for the phrase it would give back unchanged)."""
    if _CN2AN_CHARS.isdisjoint(p):
        return p
    return cn2an.transform(p.replace("两", "二"), "cn2an")


def read_zh(p: str, today: date, base: datetime) -> Read | None:  # noqa: C901
    if not all(c in CHARS for c in p):
        return None
    p = zh_numerals(p.replace(" ", "")).replace("個", "个").replace("週", "周").replace("號", "号")

    # Own code: periods (上周, 本月, 下个月, 周末, 前几天) are refused, never a day.
    if m := re.fullmatch(r"(上上|上|这|本|下下|下)(?:个|一)?(?:周|星期|礼拜|月)(?:末|初|底|中)?"
                         r"|(?:这|本)?(?:个)?周末|(去年|今年|明年)|前几天|最近|近期|这几天"
                         r"|月[初底中]|年[初底]", p):
        return Read(None, vague=True, future=(m[1] or "").startswith("下") or m[2] == "明年")

    # A time of day after the day (昨天下午, 上周五晚上8点): /log keeps the day.
    if (m := re.fullmatch(rf"(.+?){_TIME}", p)) and m[1] != p and (
            r := read_zh(m[1], today, base)) is not None:
        return r

    # Own code: a weekday beside a date (周日，2月10号 / 11月20日(周五)) picks the year.
    for pat, wd_first in ((rf"{_WD_RE}[,\s]*(.+)", True), (rf"(.+?)[,\s(]*{_WD_RE}\)?", False)):
        if m := re.fullmatch(pat, p):
            wd, rest = (m[1], m[2]) if wd_first else (m[2], m[1])
            if "月" in rest and (r := read_zh(rest, today, base)) is not None and r.day:
                return weekday_check(_WD[wd], r, today,
                                     explicit_year="年" in rest and not rest.startswith("今"))

    monday = monday_of(today)
    # Own code: 上周五 / 上个礼拜三 / 这周二 / 下周周六 / 上上周一: dateparser reads none of them,
    # and reads 上周日 as 上周 (a week ago), silently.
    week = r"(上上|上|这|本|下下|下)(?:个|一)?(?:周|星期|礼拜)周?"
    if m := re.fullmatch(week + r"([1-7一二三四五六日天])", p):
        return Read(monday + timedelta(days=7 * _SHIFT[m[1]] + _WD[m[2]]))
    # Own code: a bare 周四 / 星期天 is this week's, as 本周四 (dateparser: the nearest one
    # back, a week back when said on that weekday); ahead, it is refused.
    if m := re.fullmatch(_WD_RE, p):
        return Read(monday + timedelta(days=_WD[m[1]]), weak=True)

    # Own code: 上个月15号 / 本月9日 (dateparser reads 本月9日 as 9 days before this month's
    # start and 上个月15日 as some other day, silently).
    if m := re.fullmatch(r"(上上|上|本|这|下)(?:个|一)?月(\d{1,2})(?:号|日)?", p):
        y, mo = add_months(today, _SHIFT[m[1]])
        return Read(valid(y, mo, int(m[2])))
    # Own code: a bare 15号 / 20日 is the latest such day (dateparser: 15日 = 15 days ago).
    if m := re.fullmatch(r"(\d{1,2})(?:号|日)", p):
        return Read(latest_day_of_month(today, int(m[1])), weak=True)

    # M月D日 with an optional year: dateparser reads 11月20 and 2015年3月3日, not 11月20日, 3号
    # or 去年: said its way, then checked.
    if m := re.fullmatch(r"(?:(\d{4}|\d{2})年|(去年|今年|前年))?(\d{1,2})月(\d{1,2})(?:号|日)?", p):
        year = None
        if m[1]:
            year = int(m[1]) + (2000 if len(m[1]) == 2 else 0)
        elif m[2]:
            year = today.year - {"今年": 0, "去年": 1, "前年": 2}[m[2]]
        month, dom = int(m[3]), int(m[4])
        text = f"{year}年{month}月{dom}日" if year else f"{month}月{dom}"
        return dp_checked(text, "zh", base, "YMD", month, dom, year, today)

    if p in _DAY_WORDS:
        return Read(dp_day(_DAY_WORDS[p], "zh", base, "YMD"))

    # N天前 / 2星期前 / 3个月前 / 20天后: dateparser reads N天前, N周前, N个月前, N年前 and the 后
    # forms. Own code: 日/星期/礼拜/以前/之前/以后/之后/过后 said its way; 半 is vague.
    if m := re.fullmatch(r"(\d+(?:\.\d+)?|半)(?:个)?(天|日|周|星期|礼拜|月|年)(?:半)?"
                         r"(前|以前|之前|后|以后|之后|过后)", p):
        if not m[1].isdecimal() or "半" in p:  # 半个月前 (cn2an: 0.5个月前), 一个半月前
            return Read(None, vague=True, future="后" in m[3])
        unit = {"天": "天", "日": "天", "周": "周", "星期": "周", "礼拜": "周", "月": "个月",
                "年": "年"}[m[2]]
        text = f"{m[1]}{unit}{'前' if '前' in m[3] else '后'}"
        return Read(dp_day(text, "zh", base, "YMD", any_period=True))

    if re.fullmatch(r"[\d/.\-]+", p):
        return read_numeric(p, today, base, "YMD")
    return None


def glue_guard(r: Read, w: Window, today: date) -> Read | None:
    """Own guard for Chinese typed without spaces: a weak form (周五, 15号) must end at a space
    or the line's end (3号楼 is no date); a day word starting a Chinese run that goes on
    (明日科技, 今日头条) may be a name: refused, unless it names a past day (昨天聊了续约)."""
    if r.weak and w.glued_right:
        return None
    if w.glued_right and not w.glued_left and (r.day is None or r.day >= today):
        return Read(None, name_like=True)
    return r

