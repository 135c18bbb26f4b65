"""A conversation logged with no objections (seed 001's 异议处理 KBI can be met honestly): the
phrase is a flag on the log, never part of the customer's name or the note."""

from __future__ import annotations

import pytest

from tests.grammar.test_parsing import TODAY, entry, error


@pytest.mark.parametrize(("text", "kind", "customer"), [
    ("visit Acme no objections", "visit", "Acme"),
    ("visit Acme no objection", "visit", "Acme"),
    ("call Acme Corp, no objections", "call", "Acme Corp"),
    ("visit no objections Acme", "visit", "Acme"),
    ("demo Globex No-Objections", "demo", "Globex"),
    ("discovery Initech no objections today", "discovery", "Initech"),
    ("拜访 阿里巴巴 无异议", "visit", "阿里巴巴"),
    ("拜访阿里巴巴无异议", "visit", "阿里巴巴"),
    ("电话 华为 没有异议", "call", "华为"),
    ("没有异议 演示 腾讯", "demo", "腾讯"),
])
def test_no_objections_is_a_flag(text: str, kind: str, customer: str) -> None:
    got = entry(text)
    assert (got.kind, got.customer, got.no_objections, got.note, got.day) == (
        kind, customer, True, None, TODAY)


def test_other_fields_still_read_around_it() -> None:
    got = entry("visit Acme no objections yesterday")
    assert got.day.isoformat() == "2026-11-17" and got.no_objections
    got = entry("拜访 阿里巴巴 无异议 备注：聊了续约")
    assert (got.customer, got.note, got.no_objections) == ("阿里巴巴", "聊了续约", True)


@pytest.mark.parametrize("text", [
    "visit Acme",
    "visit Acme objections raised on price",  # not the phrase
    "visit Acme note: no objections today",  # inside the note: the rep's words, kept as typed
    "异议 阿里巴巴",  # an objection log is not a conversation without one
])
def test_without_the_phrase_nothing_is_flagged(text: str) -> None:
    assert entry(text).no_objections is False


def test_a_log_that_is_no_conversation_keeps_the_words_as_before() -> None:
    got = entry("deal Acme 5000 no objections")
    assert (got.kind, got.no_objections, got.note) == ("deal", False, "no objections")


@pytest.mark.parametrize(("text", "example"), [
    ("no objections", "/log visit Acme no objections"),
    ("Acme no objections", "/log visit Acme no objections"),
    ("无异议", "/log 拜访 阿里巴巴 无异议"),
])
def test_no_objections_without_a_conversation_asks_which(text: str, example: str) -> None:
    err = error(text)
    assert (err.code, err.example) == ("no_kind", example)
