"""Behaviour points (seed 001 §二3): visit days, reports and idle-lead lapses."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.workdays import is_working_day
from bot.scoring import points
from bot.scoring.facts import LeadTouches, Period, RepFacts
from bot.scoring.points import day_points, lapses, points_breakdown, touches_pace
from bot.scoring.rules import Rules

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def lead(*touch_hours: float, closed: float | None = None, owner: str = "U1",
         customer: int = 1) -> LeadTouches:
    return LeadTouches(customer_id=customer, owner=owner, created_at=T0,
                       touches=tuple(T0 + h * H for h in touch_hours),
                       closed_at=None if closed is None else T0 + closed * H)


# --- day_points, kept as handlers/log.py uses it ---

@pytest.mark.parametrize(("counts", "points"), [
    ({}, 0),
    ({"visit": 2}, 0),
    ({"visit": 3}, 20),
    ({"visit": 7}, 20),
    ({"report": 1}, 30),
    ({"report": 2, "visit": 3}, 80),
    ({"call": 9, "email": 4}, 0),
])
def test_day_points(counts: dict, points: int) -> None:
    assert day_points(counts) == points


@pytest.mark.parametrize(("touches", "elapsed", "expected", "status"), [
    (0, 0, 0, "on_pace"), (2, 1, 2, "on_pace"), (1, 1, 2, "behind"), (3, 1, 2, "ahead"),
    (8, 0, 0, "ahead"), (5, 3, 5, "on_pace"), (7, 5, 8, "behind"), (8, 5, 8, "ahead"),
    (0, 9, 8, "behind"),
])
def test_touches_pace(touches: int, elapsed: int, expected: int, status: str) -> None:
    pace = touches_pace(touches, working_days_elapsed=elapsed)
    assert (pace.expected_by_now, pace.target, pace.status) == (expected, 8, status)


# --- lapses ---

@pytest.mark.parametrize(("touch_hours", "now_hours", "expected_hours"), [
    ((), 47, []),
    ((), 48, []),  # exactly 48 h is not "more than 48 h"
    ((), 49, [48]),
    ((47,), 49, []),  # touched in time, clock restarted at 47 h
    ((47 + 59 / 60,), 95, []),  # a touch at 47h59m resets the clock
    ((47 + 59 / 60,), 96, [47 + 59 / 60 + 48]),
    ((48,), 96, []),  # a touch at exactly 48 h is in time
    ((48,), 97, [96]),
    ((49,), 60, [48]),  # a touch at 49 h ends a lapse that began at 48 h
    ((), 24 * 10, [48]),  # ten idle days are one lapse
    ((49, 97), 97, [48]),  # touch at 97 h: exactly 48 h after the previous one
    ((49, 98), 98, [48, 97]),  # ... and at 98 h, 49 h after it
    ((49, 110), 110, [48, 97]),  # two lapses in a row
    ((49,), 200, [48, 97]),  # the second lapse is still running
    ((10, 20, 30), 70, []),
    ((10, 20, 30), 79, [78]),
])
def test_lapses(touch_hours: tuple, now_hours: float, expected_hours: list) -> None:
    found = lapses(lead(*touch_hours), now=T0 + now_hours * H)
    assert found == [T0 + h * H for h in expected_hours]


@pytest.mark.parametrize(("closed", "expected_hours"), [
    (30, []),  # closed before it could lapse
    (48, []),  # closed at exactly 48 h
    (60, [48]),  # lapsed before closing: still counted
    (100, [48]),  # nothing after closing, even with `now` much later
])
def test_closed_leads_lapse_only_while_open(closed: float, expected_hours: list) -> None:
    assert lapses(lead(closed=closed), now=T0 + 500 * H) == [T0 + h * H for h in expected_hours]


def test_touches_after_now_or_before_creation_do_not_move_the_clock() -> None:
    early = LeadTouches(1, "U1", T0, (T0 - 5 * H, T0 + 60 * H))
    assert lapses(early, now=T0 + 50 * H) == [T0 + 48 * H]
    unsorted = LeadTouches(1, "U1", T0, (T0 + 40 * H, T0 + 20 * H))
    assert lapses(unsorted, now=T0 + 80 * H) == []


def test_lapse_hours_are_a_parameter() -> None:
    assert lapses(lead(), now=T0 + 25 * H, hours=24) == [T0 + 24 * H]


# --- the breakdown ---

@pytest.mark.parametrize(("days", "visit_days", "total"), [
    ({"2026-11-02": {"visit": 3}}, 1, 20),
    ({"2026-11-02": {"visit": 2}}, 0, 0),
    ({"2026-11-02": {"visit": 2}, "2026-11-03": {"visit": 1}}, 0, 0),  # 3 over two days
    ({"2026-11-02": {"visit": 3}, "2026-11-03": {"visit": 4}}, 2, 40),
    ({"2026-10-31": {"visit": 5}, "2026-11-02": {"visit": 3}}, 1, 20),  # outside the month
])
def test_visit_days(days: dict, visit_days: int, total: int) -> None:
    rep = RepFacts("U1", {date.fromisoformat(d): c for d, c in days.items()})
    b = points_breakdown(rep, (), period=NOV, now=T0, tz=UTC)
    assert (b.visit_days, b.visit_day_points, b.total) == (visit_days, total, total)


def test_breakdown_adds_reports_visits_and_lapses_by_day() -> None:
    rep = RepFacts("U1", {date(2026, 11, 2): {"visit": 3, "report": 1},
                          date(2026, 11, 3): {"report": 2, "call": 5},
                          date(2026, 11, 10): {"email": 1}})
    idle = lead(49, 110, customer=7)  # lapses at 48 h (Nov 4), 97 h (Nov 6), 158 h (Nov 8)
    other = lead(owner="U2", customer=8)  # another rep's lead: not charged here
    b = points_breakdown(rep, [idle, other], period=NOV, now=T0 + 200 * H, tz=UTC)
    assert (b.visit_day_points, b.reports, b.report_points) == (20, 3, 90)
    assert [(x.customer_id, x.day) for x in b.lapses] == [
        (7, date(2026, 11, 4)), (7, date(2026, 11, 6)), (7, date(2026, 11, 8))]
    assert b.lapse_points == -30
    assert b.total == 20 + 90 - 30
    assert b.per_day == {date(2026, 11, 2): 50, date(2026, 11, 3): 60,
                         date(2026, 11, 4): -10, date(2026, 11, 6): -10,
                         date(2026, 11, 8): -10}  # Nov 10's email earns nothing
    assert b.by_week() == {date(2026, 11, 2): 80}
    assert b.by_month() == {"2026-11": 80}


def test_lapse_is_charged_on_the_local_day_it_began() -> None:
    # Created 2 Nov 17:00 UTC; lapses 4 Nov 17:00 UTC = 5 Nov 01:00 in Shanghai.
    evening = LeadTouches(1, "U1", datetime(2026, 11, 2, 17, tzinfo=UTC), ())
    now = datetime(2026, 11, 6, tzinfo=UTC)
    assert points_breakdown(RepFacts("U1"), [evening], period=NOV, now=now,
                            tz=UTC).lapses[0].day == date(2026, 11, 4)
    assert points_breakdown(RepFacts("U1"), [evening], period=NOV, now=now,
                            tz=SHANGHAI).lapses[0].day == date(2026, 11, 5)


def test_lapses_found_already_are_charged_as_the_leads_own() -> None:
    """The kept lapses (bot/services/kept_lapses.py) come as (customer id, moment): charged
    on their local day, in the period only, in order with the leads' own."""
    idle = lead(49, 110, customer=7)  # lapses on Nov 4, 6 and 8 (UTC)
    own = points_breakdown(RepFacts("U1"), [idle], period=NOV, now=T0 + 200 * H, tz=SHANGHAI)
    kept = [(x.customer_id, x.at) for x in own.lapses]
    outside = [(9, datetime(2026, 10, 31, 15, tzinfo=UTC)),  # 31 Oct 23:00 in Shanghai
               (9, datetime(2026, 11, 30, 16, tzinfo=UTC))]  # 1 Dec 00:00 in Shanghai
    found = points_breakdown(RepFacts("U1"), [], period=NOV, now=T0 + 200 * H, tz=SHANGHAI,
                             lapsed=[*reversed(kept), *outside])
    assert found == own
    both = points_breakdown(RepFacts("U1"), [lead(customer=5)], period=NOV, now=T0 + 200 * H,
                            tz=SHANGHAI, lapsed=kept)
    assert [x.customer_id for x in both.lapses] == [5, 7, 7, 7]  # one moment: by customer


def test_lapses_outside_the_period_are_not_charged() -> None:
    late_oct = LeadTouches(1, "U1", datetime(2026, 10, 27, tzinfo=UTC), ())  # lapses Oct 29
    b = points_breakdown(RepFacts("U1"), [late_oct], period=NOV, now=T0, tz=UTC)
    assert b.lapses == () and b.total == 0


def test_empty_period_is_zero_not_an_error() -> None:
    b = points_breakdown(RepFacts("U1"), [], period=NOV, now=T0, tz=UTC)
    assert (b.total, b.days, b.by_week(), b.by_month()) == (0, (), {}, {})


def test_rules_change_the_points() -> None:
    rules = Rules.from_mapping({"points": {"visit_day_threshold": 2, "visit_day_points": 15,
                                           "idle_lead_points": -5, "idle_lead_hours": 24}})
    rep = RepFacts("U1", {date(2026, 11, 2): {"visit": 2}})
    b = points_breakdown(rep, [lead()], period=NOV, now=T0 + 30 * H, tz=UTC, rules=rules)
    assert (b.visit_day_points, b.lapse_points, b.total) == (15, -5, 10)


# --- issue 12: the rule as seed 001 means it (leads waiting for follow-up, working hours) ---

def china_with_day_off(day: date) -> bool:
    """China's calendar and a team day off on Tuesday 1 December 2026."""
    return is_working_day(day, country="CN", days_off={date(2026, 12, 1)})


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def waiting(created: str, *touches: str, stages: tuple[tuple[str, str], ...] = (),
            closed: str | None = None) -> LeadTouches:
    return LeadTouches(1, "U1", sh(created), tuple(sh(t) for t in touches),
                       closed_at=sh(closed) if closed else None,
                       stages=((sh(created), "lead"),) + tuple((sh(a), s) for a, s in stages))


def team_lapses(lead: LeadTouches, now: str, **kw: object) -> list[datetime]:
    return lapses(lead, now=sh(now), tz=SHANGHAI, working=china_with_day_off, **kw)


def test_a_lead_added_friday_evening_and_called_monday_morning_is_on_time() -> None:
    friday = waiting("2026-11-27 17:00", "2026-11-30 10:00")  # 7 + 10 = 17 working hours
    assert team_lapses(friday, "2026-12-04 18:00") == [sh("2026-12-03 10:00")]  # after the call
    assert team_lapses(friday, "2026-11-30 10:00") == []


def test_a_lead_added_thursday_lapses_monday_at_the_48th_working_hour() -> None:
    thursday = waiting("2026-11-26 10:00")  # Thu 14 h + Fri 24 h + Mon 10 h = 48
    assert team_lapses(thursday, "2026-11-30 10:00") == []  # exactly 48 h: not yet over
    assert team_lapses(thursday, "2026-11-30 10:01") == [sh("2026-11-30 10:00")]


@pytest.mark.parametrize(("touch", "lapsed"), [
    ("2026-11-30 09:00", False),  # 47 working hours across the weekend: in time
    ("2026-11-30 10:00", False),  # 48: in time
    ("2026-11-30 11:00", True),  # 49: lapsed at 48
])
def test_47_and_49_working_hours_across_a_weekend(touch: str, lapsed: bool) -> None:
    lead = waiting("2026-11-26 10:00", touch, "2026-11-30 12:00")
    assert team_lapses(lead, "2026-11-30 12:00") == ([sh("2026-11-30 10:00")] if lapsed else [])


@pytest.mark.parametrize(("touch", "lapsed"), [
    ("2026-12-02 23:00", False),  # Mon 24 h + (1 Dec off) + Wed 23 h = 47
    ("2026-12-03 01:00", True),  # 49: lapsed at Thursday 00:00
])
def test_47_and_49_working_hours_across_a_day_off(touch: str, lapsed: bool) -> None:
    lead = waiting("2026-11-30 00:00", touch)  # the Tuesday off stops the clock
    expected = [sh("2026-12-03 00:00")] if lapsed else []
    assert team_lapses(lead, "2026-12-03 02:00") == expected


def test_a_public_holiday_stops_the_clock() -> None:
    # New Year's Day (Friday 1 January 2027) and the weekend after it do not count.
    lead = waiting("2026-12-31 00:00")
    assert team_lapses(lead, "2027-01-05 01:00") == [sh("2027-01-05 00:00")]  # Thu 24 + Mon 24


def test_only_leads_waiting_for_follow_up_are_watched() -> None:
    # Moved to discovery at once: no lapse however long it waits there.
    onward = waiting("2026-11-02 10:00", stages=(("2026-11-02 11:00", "discovery"),))
    assert team_lapses(onward, "2026-11-20 10:00") == []
    # Won: never again.
    won = waiting("2026-11-02 10:00", stages=(("2026-11-03 10:00", "won"),))
    assert team_lapses(won, "2026-11-20 10:00") == []
    # Back to contacted from proposal on 9 Nov 10:00: the wait starts then.
    back = waiting("2026-11-02 10:00", stages=(("2026-11-02 11:00", "proposal"),
                                                ("2026-11-09 10:00", "contacted")))
    assert team_lapses(back, "2026-11-20 10:00") == [sh("2026-11-11 10:00")]
    # A team that watches demos too.
    demo = waiting("2026-11-02 10:00", stages=(("2026-11-02 11:00", "demo"),))
    assert team_lapses(demo, "2026-11-20 10:00", stages=("lead", "contacted", "demo")) == [
        sh("2026-11-04 11:00")]


def test_a_won_customer_costs_no_points_over_a_weekend() -> None:
    won = waiting("2026-11-26 10:00", stages=(("2026-11-27 10:00", "won"),),
                  closed="2026-11-27 10:00")
    rules = Rules()
    b = points_breakdown(RepFacts("U1"), [won], period=NOV, now=sh("2026-11-30 23:00"),
                         tz=SHANGHAI, rules=rules, working=china_with_day_off)
    assert b.lapses == () and b.lapse_points == 0


def test_the_watched_stages_are_rules_and_must_be_open_stages() -> None:
    assert Rules().points.idle_lead_stages == ("lead", "contacted")
    rules = Rules.from_mapping({"points": {"idle_lead_stages": ["lead"]}})
    assert rules.points.idle_lead_stages == ("lead",)
    with pytest.raises(ValueError, match="idle_lead_stages"):
        Rules.from_mapping({"points": {"idle_lead_stages": ["lead", "won"]}})


def test_equal_days_of_different_reps_are_one_day_of_points() -> None:
    """A day's points are a value: two reps with the same logs on a day share it (a month of
    reports makes 24,000 of them), and the rules still say what each is worth."""
    day = date(2026, 11, 3)
    ann = RepFacts(user_id="U1", day_counts={day: {"visit": 3, "report": 1}})
    bob = RepFacts(user_id="U2", day_counts={day: {"visit": 3, "report": 1, "call": 2}})
    a, b = (points_breakdown(f, (), period=NOV, now=T0 + 40 * 24 * H, tz=SHANGHAI)
            for f in (ann, bob))
    assert a.days[0] is b.days[0]
    assert (a.total, a.days[0].visit_bonus, a.days[0].report_points) == (50, 20, 30)
    richer = Rules.from_mapping({"points": {"report_points": 40}})
    c = points_breakdown(ann, (), period=NOV, now=T0 + 40 * 24 * H, tz=SHANGHAI, rules=richer)
    assert (c.total, c.days[0].report_points) == (60, 40)


def test_the_days_kept_are_forgotten_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(points, "DAYS_KEPT", 1)
    monkeypatch.setattr(points, "_DAYS", {})
    rep = RepFacts(user_id="U1", day_counts={date(2026, 11, 3): {"visit": 3},
                                             date(2026, 11, 4): {"report": 1}})
    found = points_breakdown(rep, (), period=NOV, now=T0 + 40 * 24 * H, tz=SHANGHAI)
    assert [(d.day.day, d.visit_bonus, d.report_points) for d in found.days] == [
        (3, 20, 0), (4, 0, 30)]
    assert len(points._DAYS) == 1  # the second day's made the first's go


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe",
                                  "Asia/Kathmandu", "America/Havana", "Pacific/Apia", "UTC"])
def test_kept_lapses_are_charged_on_their_local_day_across_clock_changes(zone: str) -> None:
    """The kept lapses' local days come from a search among the period's local midnights
    (`_local_days`), not a zone conversion each: every moment, clock changes and moments
    outside the period included, lands on the day the conversion gives."""
    tz = ZoneInfo(zone)
    for start, end in ((date(2026, 3, 1), date(2026, 4, 30)),
                       (date(2026, 9, 1), date(2026, 11, 30))):
        bounds, days = points._local_days(tz, Period("x", start, end, "x"))
        at = datetime.combine(start - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
        while at < datetime.combine(end + timedelta(days=3), datetime.min.time(), tzinfo=UTC):
            i = bisect_right(bounds, at) - 1
            if 0 <= i < len(days) and days[i] is not None:
                assert days[i] == at.astimezone(tz).date(), at
            at += timedelta(minutes=13, seconds=7)
        assert sum(1 for d in days if d is None) <= 2  # only the clock changes' days


def test_kept_lapses_are_lapses_like_any_other() -> None:
    at = datetime(2026, 11, 3, 4, 5, tzinfo=UTC)
    made = points_breakdown(RepFacts(user_id="U1"), (), period=NOV, now=T0, tz=SHANGHAI,
                            lapsed=[(7, at)]).lapses[0]
    assert made == points.Lapse(7, at, date(2026, 11, 3))
    assert hash(made) == hash(points.Lapse(7, at, date(2026, 11, 3)))
    assert repr(made) == repr(points.Lapse(7, at, date(2026, 11, 3)))
    with pytest.raises(AttributeError):
        made.at = at  # type: ignore[misc]
    rep = RepFacts(user_id="U1", day_counts={date(2026, 11, 3): {"visit": 1}})
    found = points_breakdown(rep, (), period=NOV, now=T0 + 40 * 24 * H, tz=SHANGHAI,
                             lapsed=[(9, datetime(2026, 11, 30, 17, tzinfo=UTC)),  # Dec 1
                                     (8, datetime(2026, 11, 30, 15, 59, tzinfo=UTC)), (7, at)])
    assert [(x.customer_id, x.day) for x in found.lapses] == [
        (7, date(2026, 11, 3)), (8, date(2026, 11, 30))]


def test_kept_lapses_on_a_clock_change_day_are_charged_on_their_local_day() -> None:
    berlin, october = ZoneInfo("Europe/Berlin"), Period("month", date(2026, 10, 1),
                                                        date(2026, 10, 31), "2026-10")
    moments = [datetime(2026, 10, 24, 22, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30,
               tzinfo=UTC), datetime(2026, 10, 25, 22, 59, tzinfo=UTC),
               datetime(2026, 10, 25, 23, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 0,
                                                                   tzinfo=UTC)]
    found = points_breakdown(RepFacts(user_id="U1"), (), period=october, now=T0, tz=berlin,
                             lapsed=[(n, at) for n, at in enumerate(moments)])
    assert [(x.at, x.day) for x in found.lapses] == [
        (at, at.astimezone(berlin).date()) for at in moments[:4]]


def test_the_local_days_kept_are_the_last_few() -> None:
    points._LOCAL_DAYS.clear()
    for day in range(1, 70):
        points._local_days(SHANGHAI, Period("x", date(2026, 1, day % 28 + 1),
                                            date(2026, 3, day % 28 + 1), str(day)))
    assert len(points._LOCAL_DAYS) == 64
