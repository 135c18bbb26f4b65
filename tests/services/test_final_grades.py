"""Issue 12 item 6 (done in issue 16; verified here from the other side): the
recommendations a quarter calls for read the FINAL grades (after the talk, the record and any
appeal), never the scorecard's computed grade. tests/handlers/test_review_talk.py's
test_consequences_read_final_grades_not_computed_ones covers a commission raise from two
final A's over computed D's; this covers the improvement plan both ways."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar.periods import parse_period
from bot.services.reports import recommendations, rules_for
from store import teams
from tests.conftest import WORKSPACE
from tests.handlers.test_review import cycle_world
from tests.handlers.test_review_talk import final_review
from tests.jobs.test_jobs import SHANGHAI, local

cycle = pytest.fixture(name="cycle")(cycle_world)


def _kinds(cycle, rep: str, period: str) -> list[str]:  # noqa: ANN001
    now = local(SHANGHAI, "2026-10-23 09:00")
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        found = recommendations(s, team=team, user_id=rep, now=now,
                                period=parse_period(period, now.date()),
                                rules=rules_for(s, team.id))
    return [r.kind for r in found]


def test_an_appeal_that_lifts_a_d_leaves_no_improvement_plan(cycle) -> None:  # noqa: ANN001
    """Computed D (final_review's score_grade), the manager's D changed to B on appeal."""
    final_review(cycle, "U0BO", "2026-Q3", date(2026, 9, 30), "B",
                 local(SHANGHAI, "2026-10-22 00:00"), before="D")
    assert cycle.review("U0BO", "2026-Q3").score_grade == "D"
    assert "pip" not in _kinds(cycle, "U0BO", "2026-Q3")


def test_a_final_d_calls_for_a_plan_and_an_unfinished_review_for_nothing(cycle) -> None:  # noqa: ANN001
    final_review(cycle, "U0BO", "2026-Q3", date(2026, 9, 30), "D",
                 local(SHANGHAI, "2026-10-22 00:00"))
    assert _kinds(cycle, "U0BO", "2026-Q3") == ["pip"]
    # Alice has no final Q3 review yet: nothing is suggested from her computed grade.
    assert _kinds(cycle, "U0ALICE", "2026-Q3") == []
