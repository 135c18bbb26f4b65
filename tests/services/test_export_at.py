"""`pacer export scorecards --at`: the scorecards as the clock read then, so a scripted run
(`pacer jobs run month-end --at …`, PACER_NOW) and its export agree (issue 12: the export used
the machine's clock and disagreed with the cards that were sent).

The world is tests/jobs's September: East in Shanghai, Bo worked in September; the cards went
out on Thu 8 Oct 09:00 (after the National Day holidays). The machine's clock reads Sun 20
Sep, before the scripted run: September is still in progress by it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.cli import main
from bot.clock import FixedClock
from bot.jobs import reports as job_reports
from store import targets
from store.models import Team
from tests.jobs.test_job_reports import run, september, world
from tests.jobs.test_jobs import SHANGHAI, World, local

__all__ = ["september", "world"]  # the fixtures
CARDS_AT = "2026-10-08T09:00:00+08:00"
MACHINE = datetime(2026, 9, 20, 4, 0, tzinfo=UTC)


@pytest.fixture
def sent(september: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple]:
    """The month-end job run at CARDS_AT: what each rep's card showed (as the job computed
    it for the message it sent)."""
    shown: dict[str, tuple] = {}
    real = job_reports.scorecard_blocks

    def spy(lang, *, report, rep, **kwargs):  # noqa: ANN001, ANN202
        shown[rep.user_id] = _figures(rep.points.total, rep.card)
        return real(lang, report=report, rep=rep, **kwargs)

    monkeypatch.setattr(job_reports, "scorecard_blocks", spy)
    with september.deps.sessions() as s:  # a target, so the closed month is graded
        team = s.exec(select(Team)).first()
        targets.set_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT, metric="sales",
                           period="2026-09", value=Decimal(100_000), reason="",
                           by_user_id="U0MEI", now=MACHINE)
    result = run(september, "month-end", local(SHANGHAI, "2026-10-08 09:00"))
    assert result.failed == 0 and result.sent == 4, result.lines
    monkeypatch.setenv("DATABASE_URL", september.url)
    monkeypatch.delenv("PACER_NOW", raising=False)
    monkeypatch.setattr("bot.deps.SystemClock", lambda: FixedClock(MACHINE))
    return shown


def _figures(points: int, card) -> tuple:  # noqa: ANN001
    return (str(points), "" if card.total is None else f"{card.total:.2f}", card.grade or "",
            "" if card.bonus_multiplier is None else f"{card.bonus_multiplier:f}")


def _export(capsys: pytest.CaptureFixture, *extra: str) -> dict[str, tuple]:
    assert main(["export", "scorecards", "--period", "2026-09", *extra]) == 0
    rows = csv.DictReader(io.StringIO(capsys.readouterr().out))
    return {r["user_id"]: (r["behaviour_points"], r["total"], r["grade"],
                           r["bonus_multiplier"]) for r in rows}


def test_the_export_at_the_cards_time_equals_the_cards(sent: dict, capsys) -> None:  # noqa: ANN001
    assert set(sent) == {"U0BO", "U0ALICE"} and sent["U0BO"][0] == "60"
    assert sent["U0BO"][2], "graded: a closed month with a target"
    assert _export(capsys, "--at", CARDS_AT) == sent
    # By the machine's clock September is not over: to date, another total.
    assert _export(capsys)["U0BO"] != sent["U0BO"]


def test_pacer_now_is_the_exports_clock_too(sent: dict, capsys,  # noqa: ANN001
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACER_NOW", CARDS_AT)
    assert _export(capsys) == sent


def test_an_unreadable_moment_is_refused(sent: dict, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as exit_:
        main(["export", "scorecards", "--period", "2026-09", "--at", "after lunch"])
    assert exit_.value.code == 2 and "not a date and time" in capsys.readouterr().err
