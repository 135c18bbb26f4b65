"""Scoring facts from the store: one hand-computed team, built through the store's own
functions, checked on SQLite (and on PostgreSQL when PACER_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.grammar.kinds import LogEntry
from bot.scoring.facts import Period, RepFacts
from store import activity, customers, db, history, idle, scoring, teams
from store.models import Activity, Customer

SH = ZoneInfo("Asia/Shanghai")
WS = "T0ACME"
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
Q4 = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=SH).astimezone(UTC)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


class World:
    """Builds data the way the handlers do: activity.add, then link the customer."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.sources = itertools.count()
        self.customers: dict[str, Customer] = {}
        teams.ensure_member(session, workspace_id=WS, user_id="U0ALICE",
                            now=datetime(2026, 1, 5, 17, 0, tzinfo=UTC))  # Jan 6 in Shanghai
        self.team = teams.create_team(
            session, workspace_id=WS, name="East", channel_id="C0SALES", managers=["U0MEI"],
            members=["U0ALICE", "U0BO", "U0IDLE"], tz="Asia/Shanghai", currency="CNY",
            now=datetime(2026, 3, 1, tzinfo=UTC))

    def customer(self, name: str, created: datetime, owner: str = "U0ALICE") -> Customer:
        row = customers.create(self.s, workspace_id=WS, team_id=self.team.id, name=name,
                               owner_user_id=owner, now=created)
        self.customers[name] = row
        return row

    def stage(self, name: str, stage: str, when: datetime, reason: str | None = None) -> None:
        customers.set_stage(self.s, self.customers[name], stage=stage, now=when,
                            by_user_id="U0MEI", lost_reason=reason)

    def log(self, kind: str, day: date, customer: str | None = None, *, user: str = "U0ALICE",
            count: int = 1, amount: int | None = None, new: bool | None = None,
            due: int | None = None, due_on: date | None = None,
            recorded: datetime | None = None, link: bool = True) -> Activity:
        recorded = recorded or local(day)
        entry = LogEntry(kind=kind, count=count, customer=customer, day=day,
                         amount=Decimal(amount) if amount is not None else None,
                         new_customer=new, note=None,
                         amount_due=Decimal(due) if due is not None else None, due_on=due_on)
        row = activity.add(self.s, workspace_id=WS, user_id=user, team_id=self.team.id,
                           entry=entry, text=kind, source=f"src-{next(self.sources)}",
                           now=recorded).activity
        self.s.flush()
        if customer and link:
            # As handlers/log.py: a back-dated log touches at the last second of its day.
            touched = recorded
            if day < recorded.astimezone(SH).date():
                touched = min(recorded, local(day + timedelta(days=1), 0) - timedelta(seconds=1))
            customers.link_activity(self.s, row, team_id=self.team.id, touched_at=touched,
                                    customer=self.customers.get(customer))
        return row

    def undo(self, row: Activity, when: datetime) -> None:
        activity.soft_delete(self.s, activity=row, now=when)
        customers.unlink_undone(self.s, row, now=when)


def build(session: Session) -> int:
    """The team of every test below; the comments say what each row is there to show."""
    w = World(session)
    aug1 = local(d(8, 1))
    for name in ("Acme", "Globex", "Hooli", "Pied", "Umbrella", "Lostco", "Oldwin", "Wonlost",
                 "Wonnofollow"):
        w.customer(name, aug1)
    w.customer("BoCo", aug1, owner="U0BO")
    w.customer("Backdate", local(d(10, 30), 9))
    # Leads created around the month's edges, in Shanghai time.
    w.customer("NovEarly", datetime(2026, 10, 31, 16, 30, tzinfo=UTC))  # Nov 1, 00:30 local
    w.customer("OctLate", datetime(2026, 10, 31, 15, 30, tzinfo=UTC))  # Oct 31, 23:30 local
    w.customer("DecEarly", datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # Dec 1, 00:30 local
    w.customer("BoLead", local(d(11, 5)), owner="U0BO")
    w.stage("NovEarly", "contacted", local(d(11, 5)))
    w.stage("NovEarly", "demo", local(d(11, 6)))
    # Won before November (signed customers), some lost since.
    w.stage("Globex", "won", local(d(9, 15)))
    w.stage("Oldwin", "won", local(d(8, 10)))
    w.stage("Oldwin", "lost", local(d(10, 5)), "churned")
    w.stage("Wonlost", "won", local(d(8, 10)))
    w.stage("Wonlost", "lost", local(d(11, 15)), "churned")
    w.stage("Wonnofollow", "won", local(d(10, 1)))
    w.stage("Acme", "proposal", local(d(10, 20)))  # a proposal before the period: not counted
    w.log("followup", d(10, 25), "Wonnofollow")  # before the period
    w.undo(w.log("followup", d(11, 20), "Wonnofollow"), local(d(11, 20), 11))
    w.log("followup", d(11, 20), "Globex")
    # Behaviours.
    w.log("call", d(10, 31))
    w.log("visit", d(11, 2), count=2)
    w.log("visit", d(11, 2), "Acme")
    w.log("discovery", d(11, 3), "Hooli")
    w.log("discovery", d(11, 4), "Hooli")
    w.undo(w.log("discovery", d(11, 4), "Hooli"), local(d(11, 4), 11))
    w.log("call", d(11, 5), "Acme")
    w.log("demo", d(11, 5), "Acme")
    w.log("objection", d(11, 5), "Acme", user="U0MEI")  # anyone's objection counts
    w.log("visit", d(11, 6), "Globex", count=2)
    w.undo(w.log("objection", d(11, 6), "Globex"), local(d(11, 6), 11))
    w.stage("Hooli", "proposal", local(d(11, 10), 12))
    w.log("discovery", d(11, 20), "Hooli")  # after the proposal
    w.log("discovery", d(10, 20), "Pied")
    w.log("discovery", d(10, 21), "Pied")
    # Nov 10 00:30 in Shanghai is still Nov 9 in UTC: the Nov 10 discovery counts.
    w.stage("Pied", "proposal", datetime(2026, 11, 9, 16, 30, tzinfo=UTC))
    w.log("discovery", d(11, 10), "Pied")
    w.log("training", d(11, 21), count=2)
    w.log("certification", d(11, 21))
    w.undo(w.log("training", d(11, 21)), local(d(11, 21), 11))
    w.log("email", d(11, 22), "Acme")
    w.log("visit", d(12, 1))
    # Back-dated touches: logged on Nov 5 for Nov 3; at 01:00 on Nov 5 local for Nov 4.
    w.log("email", d(11, 3), "Backdate", recorded=local(d(11, 5)))
    w.log("email", d(11, 4), "Backdate", recorded=datetime(2026, 11, 4, 17, 0, tzinfo=UTC))
    w.undo(w.log("email", d(11, 6), "Backdate"), local(d(11, 6), 11))
    w.log("email", d(12, 1), "Backdate")
    # Results.
    w.log("deal", d(11, 10), "Acme", amount=100_000)  # new: Acme never had a deal
    w.log("deal", d(11, 12), "Globex", amount=50_000, new=False)
    w.log("demo", d(11, 13), "Globex")  # after Globex's deal
    w.undo(w.log("deal", d(11, 14), "Umbrella", amount=999), local(d(11, 14), 11))
    w.log("deal", d(11, 14), "Initech", amount=10_000, link=False)  # unlinked, null = new
    w.log("deal", d(11, 14), "BoCo", amount=7_000, user="U0BO")
    w.log("payment", d(11, 15), "Acme", amount=30_000, due=30_000, due_on=d(11, 20))
    w.log("payment", d(11, 25), "Acme", amount=20_000, due=25_000, due_on=d(11, 20))  # late
    w.log("payment", d(10, 28), "Globex", amount=10_000, due_on=d(11, 5))  # early, no amount_due
    w.log("payment", d(11, 3), "Globex", amount=5_000, due_on=d(12, 5))
    w.log("payment", d(11, 18), "Globex", amount=12_000, due=10_000, due_on=d(11, 18))
    w.stage("Lostco", "lost", local(d(11, 20)), "budget")
    w.stage("Lostco", "lost", local(d(11, 25)), "timing")  # only the reason changed
    return w.team.id


def money(n: int) -> Decimal:
    return Decimal(n).quantize(Decimal("0.01"))


ALICE = RepFacts(
    user_id="U0ALICE",
    day_counts={
        d(11, 2): {"visit": 3},
        d(11, 3): {"discovery": 1, "email": 1, "payment": 1},
        d(11, 4): {"discovery": 1, "email": 1},
        d(11, 5): {"call": 1, "demo": 1},
        d(11, 6): {"visit": 2},
        d(11, 10): {"deal": 1, "discovery": 1},
        d(11, 12): {"deal": 1},
        d(11, 13): {"demo": 1},
        d(11, 14): {"deal": 1},
        d(11, 15): {"payment": 1},
        d(11, 18): {"payment": 1},
        d(11, 20): {"discovery": 1, "followup": 1},
        d(11, 21): {"certification": 1, "training": 2},
        d(11, 22): {"email": 1},
        d(11, 25): {"payment": 1},
    },
    totals={"call": 1, "certification": 1, "deal": 3, "demo": 2, "discovery": 4, "email": 3,
            "followup": 1, "payment": 4, "training": 2, "visit": 5},
    sales_new=money(110_000),  # Acme 100k (new by default) + Initech 10k (unlinked, null)
    sales_repeat=money(50_000),
    deals=3,
    new_customers=2,
    collected=money(67_000),  # 30k + 20k + 5k + 12k; the Oct 28 payment is October's
    due_total=money(75_000),  # 30k + 25k (amount_due) + 10k (no amount_due) + 10k
    paid_on_time=money(50_000),  # 30k + 10k + 10k (12k paid, capped at the 10k due)
    leads_created=1,  # NovEarly only: the cohort (tests/store/test_conversion.py)
    leads_won=0,  # NovEarly is at demo (Acme was won, but it was created in August)
    leads_lost=0,
    discovery_rounds=(2, 3),  # Hooli, Pied
    deals_with_demo=1,  # Acme
    conversations=10,
    conversations_with_objections=2,  # Acme's call and demo on Nov 5
    # Customer-months of follow-up after signing: Globex and Wonnofollow (Acme, won on 10 Nov,
    # owes none in its month of signing); Wonlost was lost by the month's end.
    signed_customers=2,
    signed_followed_up=1,  # Globex (Wonnofollow's was undone)
    learning=3,
)
BO = RepFacts(user_id="U0BO", day_counts={d(11, 14): {"deal": 1}}, totals={"deal": 1},
              sales_new=money(7_000), deals=1, new_customers=1, leads_created=1, leads_won=0,
              signed_customers=0)  # BoCo, won on 14 Nov: its first follow-up is due in December
MEI = RepFacts(user_id="U0MEI", day_counts={d(11, 5): {"objection": 1}},
               totals={"objection": 1})


def check_rep_facts(session: Session, team_id: int) -> None:
    facts = scoring.rep_facts(session, team_id=team_id, period=NOV)
    # The rep with no logs is there with zeros; the manager is there because she logged.
    assert list(facts) == ["U0ALICE", "U0BO", "U0IDLE", "U0MEI"]
    assert facts["U0IDLE"] == RepFacts(user_id="U0IDLE")
    assert facts["U0MEI"] == MEI
    assert facts["U0BO"] == BO
    alice = facts["U0ALICE"]
    for name in RepFacts.__dataclass_fields__:
        assert getattr(alice, name) == getattr(ALICE, name), name
    assert isinstance(alice.sales_new, Decimal)
    only = scoring.rep_facts(session, team_id=team_id, period=NOV, user_ids=["U0BO", "U0X"])
    assert only == {"U0BO": BO, "U0X": RepFacts(user_id="U0X")}
    # Asked about Alice alone, Mei's objection still marks Alice's Acme call and demo handled.
    assert scoring.rep_facts(session, team_id=team_id, period=NOV,
                             user_ids=["U0ALICE"]) == {"U0ALICE": ALICE}


def check_followups_per_customer_per_month(session: Session, team_id: int) -> None:
    """签约后每月1次 in a quarter: one follow-up per signed customer per month after the month it
    was signed in, and not lost by that month's end."""
    q4 = scoring.rep_facts(session, team_id=team_id, period=Q4, user_ids=["U0ALICE"])["U0ALICE"]
    # October: Globex, Wonlost (lost only in November); Wonnofollow, won on 1 Oct, owes none
    # yet (its follow-up of 25 Oct is a good habit, not a debt). November: Globex (followed
    # up), Wonnofollow. December: Globex, Wonnofollow and Acme (won 10 Nov).
    assert (q4.signed_customers, q4.signed_followed_up) == (2 + 2 + 3, 0 + 1 + 0)
    week = Period("week", d(11, 16), d(11, 22), "2026-W47")
    w47 = scoring.rep_facts(session, team_id=team_id, period=week, user_ids=["U0ALICE"])
    # A week in November owes what November owes: Globex (followed up on the 20th) and
    # Wonnofollow, not Acme, won on 10 Nov (it counted, and the Friday report said "behind").
    assert (w47["U0ALICE"].signed_customers, w47["U0ALICE"].signed_followed_up) == (2, 1)
    dec = Period("week", d(11, 30), d(12, 6), "2026-W49")  # ends in December: Acme owes too
    w49 = scoring.rep_facts(session, team_id=team_id, period=dec, user_ids=["U0ALICE"])
    # December's follow-ups are owed afresh: Globex's of 20 Nov was November's.
    assert (w49["U0ALICE"].signed_customers, w49["U0ALICE"].signed_followed_up) == (3, 0)
    # A customer is owed one a month: Globex, followed up on the 20th, is done the next week
    # too (it read "0 (target 1) · behind" there).
    late = Period("week", d(11, 23), d(11, 29), "2026-W48")
    w48 = scoring.rep_facts(session, team_id=team_id, period=late, user_ids=["U0ALICE"])
    assert (w48["U0ALICE"].signed_customers, w48["U0ALICE"].signed_followed_up) == (2, 1)
    assert scoring.followup_windows(Q4) == [(d(10, 1), d(10, 31)), (d(11, 1), d(11, 30)),
                                            (d(12, 1), d(12, 31))]
    assert scoring.followup_windows(week) == [(d(11, 1), d(11, 22))]
    assert scoring.followup_windows(dec) == [(d(12, 1), d(12, 6))]


def names(session: Session, ids: list[int]) -> list[str]:
    return [session.get(Customer, i).name for i in ids]


def check_lead_touches(session: Session, team_id: int) -> None:
    leads = idle.lead_touches(session, team_id=team_id, since=local(d(11, 1), 0),
                              until=local(d(12, 1), 0))
    by_name = dict(zip(names(session, [lead.customer_id for lead in leads]), leads, strict=True))
    # Closed before the window (Globex, Oldwin, Wonlost won in Aug/Sep) or created after it
    # (DecEarly) are out; Umbrella is open again since its deal was undone.
    assert sorted(by_name) == ["Acme", "Backdate", "BoCo", "BoLead", "Hooli", "Lostco",
                               "NovEarly", "OctLate", "Pied", "Umbrella"]
    backdate = by_name["Backdate"]
    assert backdate.owner == "U0ALICE" and backdate.closed_at is None
    assert backdate.created_at == local(d(10, 30), 9)
    assert backdate.touches == (
        datetime(2026, 11, 3, 15, 59, 59, tzinfo=UTC),  # Nov 3, 23:59:59 in Shanghai
        datetime(2026, 11, 4, 15, 59, 59, tzinfo=UTC),  # logged at 01:00 the next local day
    )  # the undone Nov 6 email is gone, the Dec 1 one is after the window
    assert by_name["Umbrella"].touches == () and by_name["Umbrella"].closed_at is None
    assert by_name["Hooli"].touches == (local(d(11, 3)), local(d(11, 4)), local(d(11, 20)))
    assert by_name["Acme"].closed_at == local(d(11, 10))
    assert by_name["Acme"].touches == (
        local(d(11, 2)), local(d(11, 5)), local(d(11, 5)), local(d(11, 5)), local(d(11, 10)),
        local(d(11, 15)), local(d(11, 22)), local(d(11, 25)))
    assert by_name["Lostco"].closed_at == local(d(11, 20))  # the reason edit did not reopen it
    assert by_name["BoCo"].owner == "U0BO" and by_name["BoCo"].closed_at == local(d(11, 14))
    # Every live stage change, the creation's included, for the idle-lead rule's stages.
    assert by_name["NovEarly"].stages == (
        (datetime(2026, 10, 31, 16, 30, tzinfo=UTC), "lead"), (local(d(11, 5)), "contacted"),
        (local(d(11, 6)), "demo"))
    # The undone deal's move to won is gone; undoing it moved Umbrella back to lead.
    assert by_name["Umbrella"].stages == ((local(d(8, 1)), "lead"),
                                          (local(d(11, 14), 11), "lead"))


def check_waiting(session: Session, team_id: int) -> None:
    """The leads waiting for a follow-up now (bot/services/idle.py's candidates): at a watched
    stage, the wait begun at the latest of the last touch, creation and stage change."""
    found = idle.waiting(session, team_id=team_id, stages=("lead", "contacted"),
                         quiet_since=local(d(12, 1), 0))
    assert [(lead.name, lead.owner, lead.since) for lead in found] == [
        ("OctLate", "U0ALICE", datetime(2026, 10, 31, 15, 30, tzinfo=UTC)),
        ("Umbrella", "U0ALICE", local(d(11, 14), 11)),  # moved back to lead by the undo
        ("BoLead", "U0BO", local(d(11, 5)))]  # Backdate was touched on 1 Dec; DecEarly is new
    assert [lead.name for lead in idle.waiting(session, team_id=team_id, stages=("demo",),
                                               quiet_since=local(d(12, 1), 0))] == ["NovEarly"]


def check_members(session: Session, team_id: int) -> None:
    reps = history.members(session, team_id=team_id, history_end=d(12, 1), months=3)
    assert [m.user_id for m in reps] == ["U0ALICE", "U0BO", "U0IDLE"]  # not the manager
    alice, bo, idle = reps
    assert alice.joined_at == d(1, 6)  # 17:00 UTC on Jan 5 is Jan 6 in Shanghai
    assert bo.joined_at == d(3, 1)
    z = Decimal(0)
    assert alice.history == {
        "sales": (z, z, money(160_000)), "sales_new": (z, z, money(110_000)),
        "sales_repeat": (z, z, money(50_000)), "new_customers": (z, z, Decimal(2)),
        "touches": (z, Decimal(1), Decimal(9)), "collected": (z, money(10_000), money(67_000)),
    }
    assert bo.history["sales"] == (z, z, money(7_000))
    assert bo.history["new_customers"] == (z, z, Decimal(1))
    assert idle.history == {m: (z, z, z) for m in scoring.HISTORY_METRICS}
    # Mid-November: November is not a full month yet, so October is the last one.
    year = history.members(session, team_id=team_id, history_end=d(11, 18))
    assert year[0].history["touches"] == (z,) * 11 + (Decimal(1),)
    assert year[0].history["collected"][-1] == money(10_000)


def check_funnel(session: Session, team_id: int) -> None:
    leads = scoring.funnel(session, team_id=team_id, period=NOV)
    got = {name: (lead.owner, lead.reached)
           for name, lead in zip(names(session, [x.customer_id for x in leads]), leads,
                                 strict=True)}
    assert got == {"NovEarly": ("U0ALICE", frozenset({"lead", "contacted", "demo"})),
                   "BoLead": ("U0BO", frozenset({"lead"}))}


def check_leaderboard(session: Session, team_id: int) -> None:
    def board(metric: str) -> dict[str, Decimal]:
        return scoring.leaderboard_values(session, team_id=team_id, period=Q4, metric=metric)

    assert board("sales") == {"U0ALICE": money(160_000), "U0BO": money(7_000),
                              "U0IDLE": Decimal(0)}
    assert board("new") == {"U0ALICE": Decimal(2), "U0BO": Decimal(1), "U0IDLE": Decimal(0)}
    # Oct 31 call + Nov: 5 visits, 1 call, 3 emails + Dec 1: 1 visit and 1 email.
    assert board("touches") == {"U0ALICE": Decimal(12), "U0BO": Decimal(0),
                                "U0IDLE": Decimal(0)}
    with pytest.raises(ValueError):
        board("points")


def check_no_objections(session: Session, team_id: int) -> None:
    """A conversation logged with "no objections" (无异议) is handled, as the database hands
    the flag back (SQLite: 0 or 1). Last of the checks: it changes Alice's Nov 2 visit."""
    visit = session.exec(select(Activity).where(
        Activity.kind == "visit", Activity.occurred_on == d(11, 2),
        Activity.customer_id.is_not(None))).scalars().one()
    visit.no_objections = True
    session.flush()
    for only in (None, ["U0ALICE"]):
        alice = scoring.rep_facts(session, team_id=team_id, period=NOV, user_ids=only)
        assert (alice["U0ALICE"].conversations,
                alice["U0ALICE"].conversations_with_objections) == (10, 3)


CHECKS: tuple[Callable[[Session, int], None], ...] = (
    check_rep_facts, check_followups_per_customer_per_month, check_lead_touches, check_waiting,
    check_members, check_funnel, check_leaderboard, check_no_objections)


def built(url: str) -> Iterator[tuple[Session, int]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        team_id = build(session)
    with sessions() as session:
        yield session, team_id
    engine.dispose()


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Session, int]]:
    yield from built(database_url)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_scoring_facts_on_sqlite(world: tuple[Session, int],
                                 check: Callable[[Session, int], None]) -> None:
    check(*world)


def test_scoring_facts_on_postgres(pg_url: str) -> None:  # noqa: F811 - the imported fixture
    for session, team_id in built(pg_url):
        for check in CHECKS:
            check(session, team_id)


def test_a_period_with_nothing_logged_gives_every_rep_zeros(world: tuple[Session, int]) -> None:
    session, team_id = world
    quiet = Period("week", d(2, 2), d(2, 8), "2026-W06")
    facts = scoring.rep_facts(session, team_id=team_id, period=quiet)
    assert facts == {u: RepFacts(user_id=u) for u in ("U0ALICE", "U0BO", "U0IDLE")}
    assert scoring.funnel(session, team_id=team_id, period=quiet) == []
    with pytest.raises(LookupError):
        scoring.rep_facts(session, team_id=999, period=quiet)
