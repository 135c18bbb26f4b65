"""The `year-end` job (seed 003 §二(二)1, §二(三)): after the last quarter, each rep's annual
grade from the quarters' FINAL grades, the bonus signal, and the promotion and
management-trainee recommendations with their reasons; HR gets the team's summary; each
year is computed once and its messages sent once. Through the job registry, against the fake
Slack (every block validated), in the team's zone."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlmodel import select

from bot.jobs import registry as jobs
from store import annual, ratings, teams
from store.models import AnnualReview
from tests.conftest import WORKSPACE
from tests.handlers.test_review import HR, Cycle, cycle_world
from tests.handlers.test_review_talk import final_review
from tests.jobs.test_jobs import SHANGHAI, local

QUARTER_ENDS = (date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31))


cycle = pytest.fixture(name="cycle")(cycle_world)


def year(cycle: Cycle, rep: str, grades: str, *, q4_final: str, year_: int = 2026,
         q4_before: str | None = None) -> None:
    """A rep's four quarters, final with these grades ("AABS"); Q4 final at `q4_final`."""
    for n, (grade, end) in enumerate(zip(grades, QUARTER_ENDS, strict=True), start=1):
        end = end.replace(year=year_)
        at = local(SHANGHAI, q4_final) if n == 4 else local(
            SHANGHAI, f"{year_}-{end.month + 1 if end.month < 12 else 12:02d}-20 00:00")
        final_review(cycle, rep, f"{year_}-Q{n}", end, grade, at,
                     before=q4_before if n == 4 else None)


def run(cycle: Cycle, at: str) -> jobs.RunResult:
    cycle.clock.set(local(SHANGHAI, at))
    return jobs.run_job(cycle.deps, "year-end", now=cycle.clock.now(), team="East")


def peer_ratings(cycle: Cycle, rep: str, scores: tuple[int, ...]) -> None:
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        for n, score in enumerate(scores):
            ratings.rate_peer(s, team_id=team.id, ratee=rep, period="2026-Q4", key=f"k{n}",
                              score=score)


def test_the_year_from_final_quarters_with_reasons_once(cycle: Cycle, capsys, monkeypatch
                                                       ) -> None:  # noqa: ANN001
    # Bo: A in 2025 too; in 2026 A, B, A and a Q4 that HR raised from B to A on appeal: an
    # annual A (mean 3.75), two years at A or above: the management-trainee pool.
    year(cycle, "U0BO", "AAAB", q4_final="2026-01-20 00:00", year_=2025)
    year(cycle, "U0BO", "ABAA", q4_final="2027-01-20 00:00", q4_before="B")
    # Alice: S, S, A, S (4.75: S), with strong collaboration: a promotion candidate, and a
    # month's salary more.
    year(cycle, "U0ALICE", "SSAS", q4_final="2027-01-21 15:00")
    peer_ratings(cycle, "U0ALICE", (5, 5, 4))

    assert run(cycle, "2027-01-04 09:00").sent == 0  # Q4 reviews still running
    assert run(cycle, "2027-01-20 08:59").sent == 0
    result = run(cycle, "2027-01-20 09:00")  # Bo's year: Mei and Bo; HR waits for Alice
    assert (result.sent, result.failed) == (2, 0), result.lines
    [mei] = cycle.posts("U0MEI")
    assert "<@U0BO> 的 2026 年：年度等级 *A*" in mei["text"]
    assert "2026年第4季度 *A*（申诉前为 B）" in mei["blocks"] and "3.75" in mei["blocks"]
    assert "标准年终奖" in mei["blocks"]
    assert "管理培训生储备池" in mei["blocks"] and "2025：A，2026：A" in mei["blocks"]
    [bo] = cycle.posts("U0BO")
    assert "年度等级 *A*" in bo["text"] and "年终奖" not in bo["blocks"]
    assert "管理培训生" not in bo["blocks"]  # recommendations are the manager's to discuss
    assert cycle.posts(HR) == []

    result = run(cycle, "2027-01-22 09:00")  # Alice's final Thu 21 15:00: the next morning
    assert result.sent == 3, result.lines  # Mei, Alice, and now HR's summary
    mei = cycle.posts("U0MEI")[-1]
    assert "<@U0ALICE> 的 2026 年：年度等级 *S*" in mei["text"]
    assert "额外奖励 1 个月工资" in mei["blocks"] and "晋升候选" in mei["blocks"]
    assert "91.7" in mei["blocks"]  # collaboration from the anonymous peer ratings
    [alice] = cycle.posts("U0ALICE")
    assert "Your 2026: annual grade *S*" in alice["text"]
    [summary] = cycle.posts(HR)
    assert "East, 2026" in summary["text"]
    assert "<@U0BO>: *A* · standard bonus · management-trainee pool" in summary["blocks"]
    assert "<@U0ALICE>: *S* · extra salary (S) · promotion candidate" in summary["blocks"]

    # Once: again, later, or after a restart, nothing more is sent; each year is one row.
    assert run(cycle, "2027-01-22 10:00").sent == 0
    cycle.restart()
    assert run(cycle, "2027-01-25 09:00").sent == 0
    with cycle.deps.sessions() as s:
        rows = s.exec(select(AnnualReview).order_by(AnnualReview.user_id)).all()
    assert [(r.user_id, r.year, r.grade, r.bonus_signal, r.recommendations) for r in rows] == [
        ("U0ALICE", 2026, "S", "extra_month", "promotion_candidate"),
        ("U0BO", 2026, "A", "standard", "management_trainee")]
    assert all(v == ("sent", 1) for v in cycle.ledger().values())

    # HR's export of the year; /review history shows the annual grade.
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", cycle.url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["export", "reviews", "--period", "2026"]) == 0
    out = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["user_id"], r["grade"], r["quarters"]) for r in out] == [
        ("U0ALICE", "S", "2026-Q1:S 2026-Q2:S 2026-Q3:A 2026-Q4:S"),
        ("U0BO", "A", "2026-Q1:A 2026-Q2:B 2026-Q3:A 2026-Q4:A")]
    assert "年度等级 *A*" in cycle.command("history", "U0BO")


def test_an_s_without_enough_peer_ratings_is_told_why_not(cycle: Cycle) -> None:
    year(cycle, "U0ALICE", "SSSS", q4_final="2027-01-20 00:00")
    peer_ratings(cycle, "U0ALICE", (5, 5))  # fewer than 3: not shown (k-anonymity)
    year(cycle, "U0BO", "DCDD", q4_final="2027-01-20 00:00")
    run(cycle, "2027-01-20 09:00")
    alice = next(p for p in cycle.posts("U0MEI") if "<@U0ALICE>" in p["text"])
    assert "暂不列为晋升候选" in alice["blocks"] and "同事评价数量不足" in alice["blocks"]
    bo = next(p for p in cycle.posts("U0MEI") if "<@U0BO>" in p["text"])
    assert "年度等级 *D*" in bo["text"] and "取消年终奖" in bo["blocks"]
    with cycle.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        assert annual.of(s, team_id=team.id, user_id="U0BO", year=2026).bonus_signal == "none"


def test_jobs_list_names_the_year_end(cycle: Cycle) -> None:
    lines = "\n".join(jobs.describe(cycle.deps, now=local(SHANGHAI, "2027-01-05 10:00")))
    assert "year-end\tavailable" in lines and "annual grade" in lines
