"""Hypothesis strategies for the property tests: arbitrary text mixed with Pacer's own words.

Pure random unicode rarely gets past a parser's first check, so every strategy here mixes it
with the vocabulary a grammar knows (kinds, Chinese and English date words, amounts, labels,
quotes, Slack mentions and channel references, emoji, right-to-left text, control characters)
and sometimes makes it very long. Used by tests/grammar/test_fuzz_parsers.py and
tests/slack/test_fuzz_slack.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import settings
from hypothesis import strategies as st

from bot.grammar.kinds import DEFAULT_KINDS


def examples(n: int) -> int:
    """`n` examples under the CI profile (max_examples 100); proportionally more under
    `HYPOTHESIS_PROFILE=deep` (tests/conftest.py)."""
    return max(1, n * settings.default.max_examples // 100)


USERS = ("U0ALICE", "U0BO", "U0MEI", "U0STRAY", "U0NOBODY", "W0GRID12")

KIND_WORDS = tuple(a for k in DEFAULT_KINDS for a in (*k.en, *k.zh, k.id + "s"))
DATE_WORDS = (
    "today", "yesterday", "tomorrow", "day before yesterday", "3 days ago", "in 2 days",
    "last friday", "this friday", "on monday", "next week", "last week", "sun", "fri",
    "Nov 20", "20 nov 2026", "Feb 29", "2026-11-20", "2026-13-45", "0000-00-00",
    "9999-12-31", "11/20", "20/11", "31/2", "13/45", "12/31/1999", "99 days ago",
    "999 weeks ago", "今天", "昨天", "前天", "大前天", "明天", "大后天", "三天前",
    "九十九天前", "两个星期前", "上周五", "本周三", "下周一", "周日", "星期天",
    "11月20日", "2026年11月20日", "13月40日", "2月30号", "上个月", "本月", "这周",
)
AMOUNTS = (
    "0", "1", "120000", "120,000", "120k", "1.2m", "1.5b", "2bn", "12万", "1.5亿", "3千万",
    "¥50,000", "$ 50k", "￥8万元", "50块", "rmb5000", "usd 10k", "-5k", "1,2,3", "1.2.3",
    "0.001", "99999999999999999999999", "1e9", "NaN", "inf", "１２万", "٣٤٥", "1_000",
    "9" * 40 + "亿",
)
COUNTS = ("1", "3", "x3", "3x", "×2", "3次", "三个", "两通", "100", "101", "0", "-1",
          "99999", "3 times", "十", "九十九", "一百")
FLAGS = ("new", "existing", "repeat", "renewal", "new customer", "existing client",
         "新客户", "老客户", "续约", "复购")
ACTIONS = ("undo", "list", "help", "?", "？", "撤销", "列表", "帮助", "undo last", "list month",
           "list today", "list year", "undone", "listing")
NOTES = ("note: talked pricing", "备注：客户很满意", "-- follow up", "—— 下周再去", "notes:")
QUOTES = ('"', "“", "”", "「", "」", "『", "'", '"Acme Corp"', "“腾讯”", "「阿里巴巴」",
          '"unbalanced')
CUSTOMERS = ("Acme", "Acme Corp", "Globex", "Initech", "腾讯", "阿里巴巴", "上海电气",
             "<!channel>", "<!here>", "O'Brien & Co", "a" * 250, "客" * 120)
MENTIONS = ("<@U0ALICE>", "<@U0BO|bo>", "<@U0MEI|mei>", "<@U0STRAY>", "<@U0NOBODY|x>",
            "<@W0GRID12>", "<@U0ALICE|>", "<@>", "<@u0lower>", "U0ALICE", "@alice",
            "<#C0SALES|sales>", "<#C0OTHER>", "<#G0PRIVATE|p>", "<#>", "C0SALES",
            "<https://example.com|a link>", "<mailto:a@b.c>", "<https://x.y>", "<!subteam^S1>",
            "&lt;@U0BO&gt;", "&amp;", "<", ">", "<<@U0BO>>")
PERIODS = ("week", "month", "quarter", "year", "2026-11", "2026-13", "2026-00", "0000-01",
           "0000", "0001", "9999", "2026-Q4", "2026Q1", "2026-Q5", "0000-Q1", "周", "本月",
           "季度", "今年", "W47", "2026-W47")
EMOJI = ("😀", "🎉", ":tada:", "👨‍👩‍👧", "🏳️‍🌈", "⚠️", "✅", "\u2764\ufe0f")
RTL = ("\u202e", "\u202d", "\u200f", "مرحبا", "שלום", "\u061c", "عميل ١٢٣")
CONTROL = ("\x00", "\x01", "\x07", "\x1b[31m", "\t", "\r\n", "\n", "\x0b", "\x0c", "\x7f",
           "\u0085", "\u2028", "\u2029", "\ufeff", "\u200b", "\ud7ff", "\U0010ffff")
SEPARATORS = (" ", " ", " ", "", "  ", "\n", "|", "｜", ";", "；", ",", "，", "、", "：", ":",
              "。", "\u3000")
GENERIC = (*DATE_WORDS, *AMOUNTS, *COUNTS, *QUOTES, *MENTIONS, *EMOJI, *RTL, *CONTROL,
           *CUSTOMERS, *PERIODS)

# Any character Slack could carry in form-encoded text (lone surrogates cannot be UTF-8).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def mixed(vocabulary: Iterable[str], *, max_words: int = 8) -> st.SearchStrategy[str]:
    """A command line: words from `vocabulary` and the shared pool, random text, and
    separators; sometimes padded or repeated far past any sensible length."""
    words = st.one_of(st.sampled_from(tuple(vocabulary)), st.sampled_from(tuple(vocabulary)),
                      st.sampled_from(GENERIC), any_text)
    line = st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), max_size=max_words).map(
        lambda parts: "".join(w + s for w, s in parts))
    long_line = st.tuples(line, st.integers(2, 400)).map(lambda p: (p[0] + " ") * p[1])
    return st.one_of(line, line, line, line, long_line,
                     st.text(st.characters(exclude_categories=("Cs",)), min_size=200,
                             max_size=5000))


LOG_WORDS = (*KIND_WORDS, *DATE_WORDS, *AMOUNTS, *COUNTS, *FLAGS, *ACTIONS, *NOTES,
             *CUSTOMERS, "of", "out of", "due", "due on", "due by", "应收", "到期", "on",
             "with", "at", "meeting with")
CHECKIN_WORDS = ("plan:", "today:", "yesterday:", "blockers:", "customers:", "key customers:",
                 "todo:", "计划：", "今天", "昨天：", "困难：", "阻碍：", "客户：", "重点客户：",
                 "help", "帮助", "3 visits", "5 calls", "visits: 3", "拜访3", "3个电话",
                 "电话5", "打5个电话", "two calls", "101 visits", "9999 calls", "3 visits 4 visits",
                 "cold calls", "site visit", "none", "无", *CUSTOMERS, *COUNTS)
BRIEF_WORDS = ("progress:", "wins:", "win:", "blockers:", "next:", "next week:", "focus:",
               "进展：", "成果：", "困难：", "下周", "下周重点：", "重点：", "highlights:",
               "help", "?", "done:", *CUSTOMERS)
LEAD_WORDS = ("add", "list", "stage", "lost", "tier", "owner", "show", "help", "all", "team",
              "mine", "新增", "列表", "阶段", "输单", "级别", "负责人", "查看", "全部", "我的",
              "key", "vip", "standard", "重点", "普通", "from", "source", "via", "来源",
              "lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won",
              "lost", "new", "演示", "报价", "赢单", "丢单", *CUSTOMERS, *MENTIONS)
PACER_WORDS = ("team", "me", "role", "audit", "help", "create", "add", "remove", "manager",
               "channel", "tz", "timezone", "holidays", "times", "names", "list", "East",
               "West", "east", "tz", "Asia/Shanghai", "America/New_York", "Mars/Olympus",
               "UTC", "../../etc/passwd", "currency", "CNY", "usd", "€", "XXXXXXXXX", "lang",
               "language", "zh", "en", "中文", "auto", "fr", "rep", "manager", "admin", "owner",
               "on", "off", "开", "关", "checkin", "brief", "report", "09:00", "25:61", "9",
               "17:30", "none", "CN", "US", "ZZ", "2026-12-25", "2026-02-30", "时区", "语言",
               *MENTIONS)
RATE_WORDS = ("satisfaction", "csat", "compliance", "满意度", "合规", "help", "88", "100",
              "101", "-5", "5%", "nan", "NaN", "inf", "-inf", "1e2", "1e999", "0x10", "½",
              "missing contract copy", *PERIODS, *MENTIONS)
SCORE_WORDS = ("help", "points", "sales", "new", "touches", "积分", "销售额", "新客户", "触达",
               *PERIODS, *MENTIONS)
TARGET_WORDS = ("set", "clear", "show", "help", "设置", "清除", "查看", "team", "团队", "sales",
                "new", "new_sales", "repeat", "collection", "conversion", "touches",
                "collection_rate", "回款率", "转化率", "90%", "0.9", "150%", "0%", "NaN",
                "sNaN", "Infinity", "-1", "1e999", "new territory", *AMOUNTS, *PERIODS,
                *MENTIONS)


def shaped(*shapes: tuple[tuple[str, ...], ...]) -> st.SearchStrategy[str]:
    """Command lines in the order a grammar expects them: one word from each slot of a
    shape, now and then left out or swapped for random text, so examples reach past the
    first word into the handler's deeper branches."""
    def slot(words: tuple[str, ...]) -> st.SearchStrategy[str]:
        return st.one_of(*[st.sampled_from(words)] * 6, st.just(""), any_text)

    return st.sampled_from(shapes).flatmap(
        lambda shape: st.tuples(*map(slot, shape))).map(
        lambda words: " ".join(w for w in words if w))


def command_text(words: tuple[str, ...], shapes: tuple = ()) -> st.SearchStrategy[str]:
    """A command's text: its words in any order, or (if it has shapes) in its grammar's."""
    return st.one_of(mixed(words), shaped(*shapes)) if shapes else mixed(words)


MENTION = ("<@U0ALICE>", "<@U0BO|bo>", "<@U0MEI>", "<@U0STRAY>", "<@U0WEST|w>", "<@U0ADMIN>",
           "<@U0NOBODY>")
TEAM_NAMES = ("East", "West", "east", "North", "新团队", "x" * 100, "<!channel>")
LOG_SHAPES = (
    (KIND_WORDS, CUSTOMERS, DATE_WORDS, AMOUNTS, FLAGS, NOTES),
    (COUNTS, KIND_WORDS, DATE_WORDS, NOTES),
    (("payment", "回款", "collected"), CUSTOMERS, AMOUNTS, ("of", "out of", "应收"), AMOUNTS,
     ("due", "due on", "到期"), DATE_WORDS),
    (ACTIONS,),
)
CHECKIN_SHAPES = ((CHECKIN_WORDS, CUSTOMERS + COUNTS, ("|", ";", "\n"), CHECKIN_WORDS,
                   CHECKIN_WORDS),)
BRIEF_SHAPES = ((BRIEF_WORDS, CUSTOMERS, ("|", ";", "\n"), BRIEF_WORDS, BRIEF_WORDS),)
LEAD_SHAPES = (
    (("add", "新增"), CUSTOMERS, ("key", "vip", "standard", "重点"), ("from", "来源"),
     CUSTOMERS),
    (("stage", "lost", "tier", "owner", "show", "阶段", "输单"), CUSTOMERS,
     ("demo", "won", "lost", "contacted", "key", "standard", *MENTION, "chose a competitor")),
    (("list", "列表"), ("all", "mine", "team", *MENTION)),
)
PACER_SHAPES = (
    (("team",), ("create",), TEAM_NAMES, ("<#C0NEW|new>", "<#C0SALES>", *MENTION),
     ("tz", "currency"), ("Asia/Shanghai", "Mars/Olympus", "USD", "😀", "x" * 20)),
    (("team",), ("add", "remove", "manager", "channel", "tz", "holidays", "times", "names"),
     TEAM_NAMES, (*MENTION, "<#C0NEW>", "Asia/Tokyo", "add", "CN", "ZZ", "checkin", "on"),
     ("2026-12-25", "09:00", "25:99", "brief", *MENTION), ("17:30", "x", "")),
    (("me",), ("tz", "lang", "时区", "语言"), ("Asia/Tokyo", "Mars/Olympus", "zh", "en", "fr",
                                             "auto", "x" * 100)),
    (("role",), MENTION, ("rep", "manager", "admin", "owner", "")),
    (("audit", "help", "team"), ("list", "")),
)
RATE_SHAPES = ((MENTION, ("satisfaction", "csat", "compliance", "满意度", "合规"),
                ("88", "100", "101", "-5", "5%", "nan", "inf", "1e2", "0.5", "-0"), PERIODS,
                ("missing contract copy", "x" * 600, "")),)
SCORE_SHAPES = ((MENTION, PERIODS), (PERIODS, ("points", "sales", "new", "touches")))
TARGET_SHAPES = (
    (("set", "设置"), (*MENTION, "team", "团队"), ("sales", "new", "collection", "conversion",
                                                 "touches", "回款率"),
     ("500k", "90%", "0.9", "150%", "NaN", "Infinity", "1e999", "0", "12万", "1000000亿"),
     PERIODS, ("new territory", "x" * 600, "")),
    (("clear", "清除"), (*MENTION, "team"), ("sales", "new", "touches"), PERIODS),
    (("show", "查看", ""), MENTION, PERIODS),
)
CALIBRATE_WORDS = ("move", "reschedule", "now", "minutes", "skip", "history", "pack", "help",
                   "show", "next", "改期", "纪要", "跳过", "历史", "tomorrow", "15:00", "3pm",
                   "next tue 10am", "2026-12-01 9:30", "明天下午3点", "25:99", "yesterday 9:00",
                   "2099-01-01 10:00", "on leave", *MENTION, *DATE_WORDS)
CALIBRATE_SHAPES = (
    (("move", "改期", "skip", "跳过"), MENTION, DATE_WORDS, ("15:00", "10am", "下午3点", "25:99",
                                                           "on leave", "")),
    (("now", "minutes", "history", "pack", "show", "help"), MENTION),
)
ACTIONS_WORDS = ("all", "done", "全部", "help", "帮助", *MENTION)
REVIEW_WORDS = ("history", "历史", "记录", "help", "帮助", "move", "改期", "level", "级别",
                "senior", "junior", "资深", "tomorrow", "15:00", "明天", "下午3点", *MENTION,
                *PERIODS)
REVIEW_SHAPES = ((("history", "历史"), MENTION), (("move", "改期"), MENTION),
                 (("level", "级别"), MENTION, ("senior", "资深", "junior", "boss")))
