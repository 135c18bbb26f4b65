"""Rules as data: defaults from SPEC §2, overrides from a team's JSON, errors that name the key."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.scoring.rules import DEFAULT_RULES, Rules


def test_defaults_follow_the_spec() -> None:
    r = DEFAULT_RULES
    assert (r.points.visit_day_threshold, r.points.visit_day_points) == (3, 20)
    assert (r.points.report_points, r.points.idle_lead_points, r.points.idle_lead_hours) == (
        30, -10, 48)
    assert r.kbi.weekly_touches == 8 and r.kbi.touch_kinds == ("call", "visit", "email")
    assert (r.targets.band_low, r.targets.band_high) == (Decimal("0.85"), Decimal("1.15"))
    assert (r.grades.s, r.grades.a, r.grades.b, r.grades.c) == (95, 85, 70, 60)
    assert [r.bonus.s, r.bonus.a, r.bonus.b, r.bonus.c, r.bonus.d] == [
        Decimal("1.2"), 1, Decimal("0.8"), Decimal("0.6"), 0]
    assert (r.scores.monthly.behaviour, r.scores.monthly.sales) == (40, 60)
    review = dict(r.scores.review.items())
    assert sum(review[p] for p in ("sales", "new_customers", "collection", "conversion")) == 60
    assert sum(review[p] for p in ("satisfaction", "compliance", "collaboration",
                                   "learning")) == 40
    assert r.scores.cap == 120


def test_flat_names_still_work_for_older_callers() -> None:
    r = Rules.from_mapping({"points": {"visit_day_threshold": 4}, "kbi": {"weekly_touches": 10}})
    assert r.visit_day_threshold == 4 and r.weekly_touches == 10
    assert (r.visit_day_points, r.report_points, r.idle_lead_points, r.idle_lead_hours) == (
        20, 30, -10, 48)
    assert r.touch_kinds == ("call", "visit", "email")


def test_round_trip_through_json() -> None:
    text = json.dumps(DEFAULT_RULES.to_mapping())
    assert Rules.from_mapping(json.loads(text)) == DEFAULT_RULES


@pytest.mark.parametrize("overrides", [None, {}])
def test_no_overrides_give_the_defaults(overrides: dict | None) -> None:
    assert Rules.from_mapping(overrides) == DEFAULT_RULES


@pytest.mark.parametrize(("overrides", "read", "expected"), [
    ({"points": {"visit_day_points": 25}}, lambda r: r.points.visit_day_points, 25),
    ({"points": {"idle_lead_hours": 24}}, lambda r: r.idle_lead_hours, 24),
    ({"kbi": {"touch_kinds": ["call", "visit"]}}, lambda r: r.touch_kinds, ("call", "visit")),
    ({"kbi": {"demo_share": 0.9}}, lambda r: r.kbi.demo_share, 0.9),
    ({"kbi": {"demo_share": 1}}, lambda r: r.kbi.demo_share, 1.0),
    ({"targets": {"band_low": "0.9"}}, lambda r: r.targets.band_low, Decimal("0.9")),
    ({"targets": {"band_high": 1.2}}, lambda r: r.targets.band_high, Decimal("1.2")),
    ({"grades": {"a": 80}}, lambda r: (r.grades.s, r.grades.a), (95, 80)),
    ({"bonus": {"s": "1.5"}}, lambda r: r.bonus.s, Decimal("1.5")),
    ({"scores": {"monthly": {"sales": 40, "new_customers": 20}}},
     lambda r: (r.scores.monthly.behaviour, r.scores.monthly.sales,
                r.scores.monthly.new_customers), (40, 40, 20)),
    ({"scores": {"cap": 150}}, lambda r: r.scores.cap, 150.0),
    ({"recommend": {"raised_commission_rate": "0.02"}},
     lambda r: r.recommend.raised_commission_rate, Decimal("0.02")),
    ({"honours": {"rookie_days": 60}}, lambda r: r.honours.rookie_days, 60),
])
def test_overrides_apply_on_top_of_defaults(overrides: dict, read, expected) -> None:
    rules = Rules.from_mapping(overrides)
    assert read(rules) == expected
    # Everything not overridden keeps its default.
    assert rules.points.report_points == 30 or "report_points" in str(overrides)


@pytest.mark.parametrize(("overrides", "named"), [
    ({"nonsense": 1}, "nonsense"),
    ({"points": {"visit_points": 20}}, "points.visit_points"),
    ({"scores": {"monthly": {"charm": 10}}}, "scores.monthly.charm"),
    ({"points": {"visit_day_points": "20"}}, "points.visit_day_points"),
    ({"points": {"visit_day_points": 2.5}}, "points.visit_day_points"),
    ({"points": {"visit_day_points": True}}, "points.visit_day_points"),
    ({"kbi": {"demo_share": "high"}}, "kbi.demo_share"),
    ({"kbi": {"touch_kinds": "call"}}, "kbi.touch_kinds"),
    ({"kbi": {"touch_kinds": ["call", 3]}}, "kbi.touch_kinds"),
    ({"targets": {"band_low": "lots"}}, "targets.band_low"),
    ({"targets": {"band_low": "NaN"}}, "targets.band_low"),
    ({"points": 20}, "points"),
    ({"scores": {"monthly": 5}}, "scores.monthly"),
])
def test_bad_overrides_raise_naming_the_key(overrides: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        Rules.from_mapping(overrides)


@pytest.mark.parametrize("overrides", [
    {"grades": {"a": 99}},  # A above S
    {"grades": {"c": 71}},  # C above B
    {"targets": {"band_low": "1.1"}},
    {"targets": {"band_high": "0.9"}},
    {"targets": {"history_months": 0}},
    {"scores": {"monthly": {"behaviour": -1}}},
    {"scores": {"monthly": {"behaviour": 0, "sales": 0}}},
    {"scores": {"cap": 90}},
    {"analysis": {"funnel_stages": ["lead"]}},
])
def test_inconsistent_rules_are_refused(overrides: dict) -> None:
    with pytest.raises(ValueError):
        Rules.from_mapping(overrides)


@pytest.mark.parametrize("overrides", [[], "points", 3])
def test_overrides_must_be_a_mapping(overrides: object) -> None:
    with pytest.raises(ValueError):
        Rules.from_mapping(overrides)  # type: ignore[arg-type]


def test_rules_are_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_RULES.points.visit_day_points = 1  # type: ignore[misc]


# ----------------------------------------------------------------- competencies (seed 000)

def test_competency_dimensions_by_level_with_names_in_both_languages() -> None:
    c = Rules().competencies
    assert c.levels == ("junior", "senior")
    assert c.dimensions("junior") == ("technical", "solution", "communication", "coordination",
                                      "product_knowledge", "visit_process")
    assert c.dimensions("senior")[-3:] == ("key_accounts", "negotiation", "team_lift")
    assert c.dimensions("unknown") == c.dimensions("junior")  # the first level by default
    assert (c.name("negotiation", "en"), c.name("negotiation", "zh")) == (
        "Complex negotiation", "复杂谈判")
    assert c.level_of("资深") == c.level_of("Senior") == c.level_of("senior") == "senior"
    assert c.level_of("director") is None


def test_a_team_adds_levels_and_dimensions_key_by_key() -> None:
    r = Rules.from_mapping({"competencies": {
        "levels": ["junior", "senior", "lead"], "by_level": {"lead": ["coaching"]},
        "names": {"lead": {"en": "Team lead", "zh": "组长"},
                  "coaching": {"en": "Coaching", "zh": "辅导"}}}})
    assert r.competencies.dimensions("lead")[-1] == "coaching"
    assert r.competencies.name("technical", "zh") == "技术理解能力"  # defaults kept
    assert Rules.from_mapping(r.to_mapping()) == r  # round-trips through TOML's shape


@pytest.mark.parametrize(("overrides", "message"), [
    ({"levels": []}, "at least one level"),
    ({"levels": ["junior", "boss"]}, "competencies.names.boss needs a name in en, zh"),
    ({"by_level": {"junior": ["technical"]}}, "each once"),
    ({"names": {"technical": {"en": "Tech"}}}, "competencies.names.technical needs a name in zh"),
    ({"names": {"technical": "Tech"}}, "must be a table"),
    ({"by_level": {"junior": "x"}}, "a list of text"),
])
def test_competency_rules_are_checked(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rules.from_mapping({"competencies": overrides})
