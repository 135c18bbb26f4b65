"""Scorecards: monthly 40/60 (seed 001), reviews 60/40 (seed 003), no-data parts spread."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from bot.scoring.facts import Period, Qualitative, RepFacts, Target
from bot.scoring.rules import Rules
from bot.scoring.scorecard import points_target, score_month, score_review, scorecard

NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
Q4 = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
YEAR = Period("year", date(2026, 1, 1), date(2026, 12, 31), "2026")
SALES_100 = {"sales": Target("sales", D(100))}


def month(points: int, sales: int | str = 0, targets: dict | None = SALES_100,
          working_days: int = 20, rules: Rules | None = None):
    facts = RepFacts("U1", sales_new=D(sales))
    kw = {"rules": rules} if rules else {}
    return score_month(facts, period=NOV, points=points, working_days=working_days,
                       targets=targets, **kw)


def test_points_target_is_what_meeting_every_kbi_earns() -> None:
    assert points_target(5) == 50  # one 3-visit day + one report per working week
    assert points_target(20) == 200
    assert points_target(22) == 220


@pytest.mark.parametrize(("points", "sales", "behaviour", "result", "total", "letter"), [
    (200, 100, 100.0, 100.0, 100.0, "S"),
    (150, 90, 75.0, 90.0, 84.0, "B"),  # 0.4 * 75 + 0.6 * 90
    (0, 0, 0.0, 0.0, 0.0, "D"),
    (-40, 0, 0.0, 0.0, 0.0, "D"),  # lapses cannot push a score below 0
    (1000, 500, 120.0, 120.0, 120.0, "S"),  # attainment capped at 120
    (240, 120, 120.0, 120.0, 120.0, "S"),
    (100, 110, 50.0, 110.0, 86.0, "A"),
])
def test_monthly_scorecard(points: int, sales: int, behaviour: float, result: float,
                           total: float, letter: str) -> None:
    card = month(points, sales)
    assert card.kind == "monthly"
    assert [p.name for p in card.parts] == ["behaviour", "sales"]
    assert [p.weight for p in card.parts] == [0.4, 0.6]
    assert card.part("behaviour").score == behaviour  # type: ignore[union-attr]
    assert card.part("sales").score == result  # type: ignore[union-attr]
    assert (card.total, card.grade, card.redistributed) == (total, letter, ())


@pytest.mark.parametrize(("total_points", "letter", "bonus"), [
    (190, "S", D("1.2")), (170, "A", D(1)), (140, "B", D("0.8")), (120, "C", D("0.6")),
    (118, "D", D(0))])
def test_monthly_bonus_multiplier(total_points: int, letter: str, bonus: D) -> None:
    # Behaviour (points / 200) and sales (of 100) at the same score: the total is points / 2.
    card = month(total_points, D(total_points) / 2)
    assert (card.grade, card.bonus_multiplier) == (letter, bonus)


def test_grade_band_edges_on_the_total() -> None:
    assert [month(p, D(p) / 2).grade for p in (190, 189, 170, 169, 140, 139, 120, 119)] == [
        "S", "A", "A", "B", "B", "C", "C", "D"]


def test_no_sales_target_is_no_grade_and_no_bonus() -> None:
    """Issue 12: with no target every result was "no data", its weight went to behaviour and
    a rep who closed CN¥2,000,000 read "Total 0 · grade D · monthly bonus ×0%". A month is
    graded only when its results are measured against something."""
    for points, sales in ((150, 500), (0, 2_000_000), (0, 0)):
        card = month(points, sales, targets={})
        sales_part = card.part("sales")
        assert sales_part is not None and sales_part.score is None
        assert sales_part.raw == D(sales)  # what was achieved is still there to show
        assert sales_part.attainment is not None and sales_part.attainment.band == "no_target"
        assert (card.total, card.grade, card.bonus_multiplier) == (None, None, None)
        assert card.missing == "results"
    assert month(150, 500).missing is None


@pytest.mark.parametrize("kind", ["week", "month"])
def test_weeks_and_months_to_date_show_pace_not_a_grade(kind: str) -> None:
    period = (NOV if kind == "month"
              else Period("week", date(2026, 11, 16), date(2026, 11, 22), "2026-W47"))
    card = score_month(RepFacts("U1", sales_new=D(90)), period=period, points=150,
                       working_days=20, targets=SALES_100, closed=kind == "week")
    assert (card.grade, card.bonus_multiplier) == (None, None)
    assert card.pace_grade == "B" and card.total == 84.0  # 0.4 * 75 + 0.6 * 90


def test_a_closed_month_is_graded_with_its_bonus() -> None:
    card = month(150, 90)
    assert (card.grade, card.bonus_multiplier, card.pace_grade) == ("B", D("0.8"), None)


def test_nothing_to_score_gives_no_total() -> None:
    card = month(100, targets={}, working_days=0)
    assert (card.total, card.grade, card.bonus_multiplier) == (None, None, None)
    assert card.redistributed == ("behaviour", "sales")


def test_sales_shows_new_and_repeat_apart() -> None:
    facts = RepFacts("U1", sales_new=D(60), sales_repeat=D(30))
    targets = {"sales": Target("sales", D(100)), "sales_new": Target("sales_new", D(50))}
    card = score_month(facts, period=NOV, points=0, working_days=20, targets=targets)
    sales = card.part("sales")
    assert sales is not None
    assert sales.raw == D(90) and sales.score == 90.0
    detail = dict(sales.detail)
    assert detail["sales_new"] == D(60) and detail["sales_repeat"] == D(30)
    assert detail["sales_new_attainment"] == D("1.2") and detail["sales_repeat_attainment"] is None


def test_sales_target_from_new_and_repeat_targets() -> None:
    facts = RepFacts("U1", sales_new=D(60), sales_repeat=D(60))
    targets = {"sales_new": Target("sales_new", D(50)),
               "sales_repeat": Target("sales_repeat", D(50))}
    card = score_month(facts, period=NOV, points=0, working_days=20, targets=targets)
    assert card.part("sales").target == D(100)  # type: ignore[union-attr]


def test_monthly_weights_are_rules() -> None:
    rules = Rules.from_mapping({"scores": {"monthly": {"behaviour": 50, "sales": 50}}})
    assert month(200, 50, rules=rules).total == 75.0


# --- quarterly and annual reviews ---

FULL = RepFacts("U1", sales_new=D(80), sales_repeat=D(20), new_customers=4, due_total=D(100),
                paid_on_time=D(90), leads_created=10, leads_won=3, learning=2)
TARGETS = {"sales": Target("sales", D(100)), "new_customers": Target("new_customers", D(4)),
           "collection_rate": Target("collection_rate", D("0.9")),
           "lead_conversion": Target("lead_conversion", D("0.3"))}
QUAL = Qualitative(satisfaction=90, compliance_deductions=10, peer_scores=(5, 4, 4))


def test_full_review() -> None:
    card = score_review(FULL, period=Q4, qualitative=QUAL, targets=TARGETS)
    assert card.kind == "review" and card.bonus_multiplier is None
    scores = {p.name: p.score for p in card.parts}
    assert scores == {"sales": 100.0, "new_customers": 100.0, "collection": 100.0,
                      "conversion": 100.0, "satisfaction": 90.0, "compliance": 90.0,
                      "collaboration": pytest.approx(100 * (13 / 3 - 1) / 4),
                      "learning": 100.0}
    groups = {p.name: p.group for p in card.parts}
    assert groups["sales"] == "quantitative" and groups["learning"] == "qualitative"
    assert sum(p.weight for p in card.parts if p.group == "quantitative") == pytest.approx(0.6)
    expected = 0.6 * 100 + 0.1 * (90 + 90 + 100 * (13 / 3 - 1) / 4 + 100)
    assert card.total == round(expected, 2)
    assert card.grade == "S"  # 96.33
    assert card.redistributed == ()


@pytest.mark.parametrize(("ratings", "has_data"), [
    ((), False), ((5,), False), ((5, 5), False), ((1, 3, 5), True), ((4, 4, 4, 4), True)])
def test_collaboration_needs_three_ratings(ratings: tuple, has_data: bool) -> None:
    q = Qualitative(peer_scores=ratings)
    part = score_review(FULL, period=Q4, qualitative=q, targets=TARGETS).part("collaboration")
    assert part is not None and part.has_data is has_data
    if not has_data:
        assert part.raw is None and part.detail == ()  # nothing that could identify a rater


@pytest.mark.parametrize(("ratings", "score"), [((1, 1, 1), 0.0), ((5, 5, 5), 100.0),
                                                 ((3, 3, 3), 50.0), ((2, 3, 4), 50.0)])
def test_collaboration_maps_one_to_five_onto_zero_to_hundred(ratings: tuple,
                                                              score: float) -> None:
    q = Qualitative(peer_scores=ratings)
    part = score_review(FULL, period=Q4, qualitative=q, targets=TARGETS).part("collaboration")
    assert part is not None and part.score == score


def test_missing_parts_are_redistributed_proportionally() -> None:
    q = Qualitative(satisfaction=50, peer_scores=(5,))  # no compliance; 1 rating: no data
    card = score_review(FULL, period=Q4, qualitative=q, targets=TARGETS)
    assert card.redistributed == ("compliance", "collaboration")
    eff = {p.name: p.effective_weight for p in card.parts}
    assert eff["sales"] == pytest.approx(15 / 80) and eff["satisfaction"] == pytest.approx(10 / 80)
    assert eff["compliance"] == 0.0
    assert sum(eff.values()) == pytest.approx(1.0)
    assert card.total == round((60 * 100 + 10 * 50 + 10 * 100) / 80, 2)


def test_review_without_targets_or_ratings_scores_what_it_can() -> None:
    card = score_review(RepFacts("U1", learning=1), period=Q4, qualitative=None)
    assert [p.name for p in card.parts if p.has_data] == ["learning"]
    assert card.part("learning").score == 50.0  # 1 of 2 trainings a quarter
    assert (card.total, card.grade, card.missing) == (None, None, "quantitative")


@pytest.mark.parametrize(("due", "on_time", "has_data"), [
    (D(0), D(0), False), (D(100), D(0), True), (D(100), D(100), True)])
def test_collection_needs_something_due(due: D, on_time: D, has_data: bool) -> None:
    facts = RepFacts("U1", due_total=due, paid_on_time=on_time)
    part = score_review(facts, period=Q4, qualitative=None, targets=TARGETS).part("collection")
    assert part is not None and part.has_data is has_data


@pytest.mark.parametrize(("created", "won", "score"), [
    (0, 0, None), (10, 3, 100.0), (10, 0, 0.0), (10, 6, 120.0)])
def test_conversion(created: int, won: int, score: float | None) -> None:
    facts = RepFacts("U1", leads_created=created, leads_won=won)
    part = score_review(facts, period=Q4, qualitative=None, targets=TARGETS).part("conversion")
    assert part is not None and part.score == score


@pytest.mark.parametrize(("deductions", "score"), [(0, 100.0), (15, 85.0), (130, 0.0)])
def test_compliance_is_100_minus_deductions(deductions: float, score: float) -> None:
    q = Qualitative(compliance_deductions=deductions)
    assert score_review(FULL, period=Q4, qualitative=q).part(  # type: ignore[union-attr]
        "compliance").score == score


def test_annual_learning_target_is_four_quarters() -> None:
    part = score_review(RepFacts("U1", learning=4), period=YEAR, qualitative=None).part("learning")
    assert part is not None and (part.target, part.score) == (8.0, 50.0)


def test_results_score_for_the_quadrant() -> None:
    card = scorecard(FULL, period=Q4, targets={"sales": Target("sales", D(200))},
                     qualitative=QUAL)
    assert card.results_score == 50.0  # only sales has a target


QUARTER = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")


@pytest.mark.parametrize(("qualitative", "graded"), [
    (None, False),  # conversion and learning (25%) grade nothing
    (Qualitative(satisfaction=90), False),  # 35% of the weight
    (Qualitative(satisfaction=90, compliance_deductions=0), True),  # 45%: enough to grade
])
def test_a_card_is_graded_only_with_enough_of_the_weight(qualitative, graded) -> None:  # noqa: ANN001
    facts = RepFacts("U1", leads_created=10, leads_won=3)
    card = score_review(facts, period=QUARTER, qualitative=qualitative,
                        targets={"lead_conversion": Target("lead_conversion", D("0.3"))})
    assert card.total is not None
    assert (card.grade is not None) is graded


def test_a_quarter_cannot_reach_s_on_qualitative_inputs_alone() -> None:
    """Issue 12: the qualitative 40% alone (perfect ratings) graded a quarter S."""
    perfect = Qualitative(satisfaction=100, compliance_deductions=0, peer_scores=(5.0,) * 5)
    card = score_review(RepFacts("U1", learning=2, sales_new=D(900)), period=QUARTER,
                        qualitative=perfect)
    assert (card.total, card.grade, card.missing) == (None, None, "quantitative")
    graded = score_review(RepFacts("U1", learning=2, sales_new=D(50)), period=QUARTER,
                          qualitative=perfect, targets=SALES_100)
    assert graded.grade is not None and graded.missing is None


def test_behaviour_alone_does_not_grade_a_month() -> None:
    month = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    card = score_month(RepFacts("U1"), period=month, points=100, working_days=10)
    assert card.grade is None and card.redistributed == ("sales",)
    assert card.missing == "results" and card.bonus_multiplier is None


def test_top_on_results_is_never_graded_below_the_bottom_with_the_same_target() -> None:
    """Issue 12's ranking sanity: with the same target (a team default), a rep who met it is
    never graded below one who closed nothing, whatever their behaviour points (the seeds'
    40 % behaviour can still put a rep at 60 % of target with many points above one at 100 %
    with none: that is the weighting, not a lack of data)."""
    from bot.scoring.grades import GRADES

    target = {"sales": Target("sales", D(500000))}
    for top_sales in (500000, 800000, 2000000):
        for bottom_sales in (0,):
            for top_points in (-50, 0, 60, 200):
                for bottom_points in (0, 100, 240, 400):
                    top = month(top_points, top_sales, targets=target)
                    bottom = month(bottom_points, bottom_sales, targets=target)
                    assert top.grade and bottom.grade
                    assert GRADES.index(top.grade) <= GRADES.index(bottom.grade), (
                        top_sales, bottom_sales, top_points, bottom_points)
