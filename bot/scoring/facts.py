"""The scoring core's inputs: plain facts the store aggregates (in SQL) for one rep and one
period. This file is the contract between store/scoring.py (which fills these) and the pure
functions in bot/scoring/ (which turn them into points, pace, scores and grades).

Money is Decimal in the team's currency. Dates are local dates in the team's time zone;
datetimes are aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Period:
    """A reporting period, both ends inclusive, e.g. Period("month", 2026-11-01, 2026-11-30,
    "2026-11"). Labels: week "2026-W47", month "2026-11", quarter "2026-Q4", year "2026"."""

    kind: str  # week | month | quarter | year
    start: date
    end: date
    label: str


@dataclass(frozen=True)
class LeadTouches:
    """One lead's life, for the idle-lead rule: when it was created, every time a log touched
    it, when it closed (won or lost; None while open) and every stage it entered. Owned by
    `owner`."""

    customer_id: int
    owner: str
    created_at: datetime
    touches: tuple[datetime, ...]  # sorted ascending
    closed_at: datetime | None = None
    # (when, stage) of every live stage change, the creation's included, in time order. Empty:
    # unknown, and the lead counts as waiting for follow-up for its whole open life.
    stages: tuple[tuple[datetime, str], ...] = ()


@dataclass(frozen=True)
class RepFacts:
    """Everything one rep did in one period, aggregated."""

    user_id: str
    # Logs per local day and kind, for day-based points (>= 3 visits in a day).
    day_counts: Mapping[date, Mapping[str, int]] = field(default_factory=dict)
    # Logs per kind over the period (counts, i.e. `3 calls` counts 3).
    totals: Mapping[str, int] = field(default_factory=dict)
    # Results.
    sales_new: Decimal = ZERO  # deals marked new business
    sales_repeat: Decimal = ZERO  # deals from existing customers
    deals: int = 0
    new_customers: int = 0  # distinct customers won as new business in the period
    collected: Decimal = ZERO  # all payments' amounts
    due_total: Decimal = ZERO  # what fell due in the period (payments with a due date in it)
    paid_on_time: Decimal = ZERO  # of due_total, what was paid on or before its due date
    # Lead conversion (线索转化率) is a cohort: leads_won / leads_created.
    leads_created: int = 0  # leads this rep owns that were created in the period
    leads_won: int = 0  # ... of THOSE, won (a live move to won) by the period's end
    leads_lost: int = 0  # ... of those not won, lost by then
    # KBI facts (seed 001's table).
    discovery_rounds: tuple[int, ...] = ()  # per customer reaching proposal in the period:
    #                                         discovery logs before it got there
    deals_with_demo: int = 0  # deals in the period whose customer had a demo logged before
    conversations: int = 0  # visit/call/demo/discovery logs naming a customer
    conversations_with_objections: int = 0  # ... handled: whose customer got an objection log
    #                                         that day, or logged with "no objections" (无异议)
    # Follow-up after signing (定期回访, 签约后每月1次), per customer per calendar month
    # (store/scoring.followup_windows): a month, quarter or year counts each of its calendar
    # months, a customer once in every month by whose end it had been won (a live move to won)
    # and was not lost; a week counts once the customers its (last day's) month owes.
    signed_customers: int = 0  # those customer-months (a week: customers)
    signed_followed_up: int = 0  # ... with a follow-up log (anyone's) in that month (a week:
    #                              in its month up to its end)
    # Learning: training and certification logs.
    learning: int = 0


@dataclass(frozen=True)
class Qualitative:
    """The manager's and teammates' inputs for one rep and one period (quarter or year)."""

    satisfaction: float | None = None  # customer survey score 0-100, entered by the manager
    compliance_deductions: float | None = None  # points deducted from 100; None: not rated
    peer_scores: tuple[float, ...] = ()  # anonymous collaboration ratings, 1-5 each


@dataclass(frozen=True)
class Target:
    """A result target for one rep (or the team) and one period."""

    metric: str  # sales | sales_new | sales_repeat | new_customers | collection_rate |
    #              lead_conversion | touches
    value: Decimal
    source: str = "forecast"  # forecast (from the trailing 12 months) | manual
    reason: str = ""  # the manager's words for a manual target
    # Facts the message states in the reader's language: (days on the team, days in the
    # period) when a forecast was pro-rated; the reps a team-wide target is shared between.
    prorated: tuple[int, int] | None = None
    shared_by: int = 0


@dataclass(frozen=True)
class Member:
    user_id: str
    joined_at: date  # when they joined the team (rookies: under 90 days)
    # Monthly actuals of the trailing months, oldest first, per metric, for the rolling
    # forecast: {"sales": (Decimal, ...), "new_customers": (...), ...}
    history: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FunnelLead:
    """One lead for the funnel: the stages it has ever reached."""

    customer_id: int
    owner: str
    reached: frozenset[str]
