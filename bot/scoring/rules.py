"""Scoring rules as data, with SPEC §2 defaults (seed 001 §一2 and §二3, seed 003, seed 002/004).

A team stores only its overrides, as a nested mapping (JSON/TOML), e.g.
``{"points": {"visit_day_points": 25}, "grades": {"a": 80}}``; `Rules.from_mapping` applies them
to the defaults and `Rules.to_mapping` writes every rule back out in the same shape.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# The stages a customer is open at (store/models.STAGES less won and lost), for validation.
OPEN_STAGES = ("lead", "contacted", "discovery", "demo", "proposal", "negotiation")


@dataclass(frozen=True)
class PointsRules:
    """Behaviour points (seed 001 §二3)."""

    visit_day_threshold: int = 3  # a day with >= 3 visits ...
    visit_day_points: int = 20  # ... earns +20
    report_points: int = 30  # each complete needs-analysis report
    idle_lead_points: int = -10  # each lead idle > 48 h, once per lapse
    # "超48小时未跟进线索": a lead (线索) waiting for its first or next follow-up, so only
    # customers at these stages; never won or lost ones. The 48 hours are working hours of the
    # team's working days (bot/calendar/workdays.working_hours_between): weekends, public
    # holidays and the team's days off stop the clock.
    idle_lead_hours: int = 48
    idle_lead_stages: tuple[str, ...] = ("lead", "contacted")
    # The behaviour score's target (SPEC §2: "what a rep meeting every KBI would earn"), per
    # working week: the 8 weekly touches include one day of 3 visits (+20), the discovery KBI
    # (>= 2 rounds per customer before a proposal) yields about one needs-analysis report a week
    # (+30), and a rep who touches every lead within 48 h loses nothing: 20 + 30 = 50.
    target_per_week: int = 50


@dataclass(frozen=True)
class KbiRules:
    """The KBI table of seed 001 §二2."""

    weekly_touches: int = 8  # customer touches per week
    touch_kinds: tuple[str, ...] = ("call", "visit", "email")
    discovery_rounds: int = 2  # per customer, before a proposal
    # Ratio KBIs: the share that must comply ("before every won deal" = 100%).
    discovery_share: float = 1.0
    demo_share: float = 1.0  # a tailored demo before every won deal
    objection_share: float = 1.0  # objections logged after each conversation
    working_days_per_week: int = 5


@dataclass(frozen=True)
class TargetRules:
    """Rolling forecast and the ±15% band (seed 001 §一2)."""

    history_months: int = 12  # baseline = the trailing 12 months of actuals
    band_low: Decimal = Decimal("0.85")  # below 85% of target: below
    band_high: Decimal = Decimal("1.15")  # above 115%: above, flagged for an extra reward
    rate_metrics: tuple[str, ...] = ("collection_rate", "lead_conversion")


@dataclass(frozen=True)
class Weights:
    """Relative weights of a scorecard's parts; 0 leaves a part out. Only ratios matter."""

    behaviour: float = 0.0
    sales: float = 0.0
    new_customers: float = 0.0
    collection: float = 0.0
    conversion: float = 0.0
    satisfaction: float = 0.0
    compliance: float = 0.0
    collaboration: float = 0.0
    learning: float = 0.0

    def items(self) -> tuple[tuple[str, float], ...]:
        return tuple((name, getattr(self, name)) for name in _WEIGHT_NAMES)


_WEIGHT_NAMES = tuple(f.name for f in dataclasses.fields(Weights))  # every scorecard asks


@dataclass(frozen=True)
class ScoreRules:
    cap: float = 120.0  # attainment may count up to 120 on the 0-100 scale (SPEC §2)
    # Monthly (seed 001 §二3): behaviour 40% + results 60%.
    monthly: Weights = field(default_factory=lambda: Weights(behaviour=40, sales=60))
    # Quarterly and annual (seed 003 §二(一)): quantitative 60% and qualitative 40%; the seed
    # does not split them further, so each group is shared equally among its indicators.
    review: Weights = field(default_factory=lambda: Weights(
        sales=15, new_customers=15, collection=15, conversion=15,
        satisfaction=10, compliance=10, collaboration=10, learning=10))
    collaboration_min_ratings: int = 3  # k-anonymity: fewer peer ratings show "no data"
    learning_per_quarter: int = 2  # training + certification logs expected per quarter
    # A card is graded only when parts worth at least this share of the weight have data:
    # behaviour alone (40%) grades a month, as SPEC §2's redistribution intends, but one
    # learning count (10%) must not grade a quarter, nor trigger a PIP.
    min_graded_weight: float = 0.4


@dataclass(frozen=True)
class GradeRules:
    """Minimum total score for each grade; below `c` is D (seed 003 §二(二)1)."""

    s: float = 95.0
    a: float = 85.0
    b: float = 70.0
    c: float = 60.0


@dataclass(frozen=True)
class BonusRules:
    """Monthly bonus multiplier per grade (seed 003 §二(三)1)."""

    s: Decimal = Decimal("1.20")
    a: Decimal = Decimal("1.00")
    b: Decimal = Decimal("0.80")
    c: Decimal = Decimal("0.60")
    d: Decimal = Decimal("0")


@dataclass(frozen=True)
class RecommendRules:
    """Consequences surfaced to the manager, never applied (seed 003 §二(三))."""

    commission_rate: Decimal = Decimal("0.01")
    raised_commission_rate: Decimal = Decimal("0.015")
    pip_months: int = 3
    promotion_collaboration: float = 80.0  # "strong collaboration": peer score >= 4.2 of 5
    rookie_first_quarter_days: int = 92  # a first quarter must start within this of joining
    # The annual bonus signal (seed 003 §二(三)1): S adds this many months' salary, D has no
    # year-end bonus. Data for the manager and HR; Pacer moves no money.
    annual_s_extra_months: int = 1
    # Customer satisfaction below this (0-100) opens an improvement plan the rep proposes
    # (seed 003 §二(一)2: 低于基准分需提交改进方案).
    satisfaction_baseline: float = 80.0


@dataclass(frozen=True)
class AnalysisRules:
    """Performance x quality quadrant (seed 004) and the sales funnel (seed 002 §二(三)3)."""

    quadrant_results: float = 85.0  # results score at or above: high performance
    quadrant_satisfaction: float = 80.0  # satisfaction at or above: high quality
    funnel_stages: tuple[str, ...] = (
        "lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won")


@dataclass(frozen=True)
class HonourRules:
    """Leaderboard honours (seed 002 §二(二)2, seed 003 §二(三)3)."""

    rookie_days: int = 90  # a rookie has been on the team under 90 days on the period's last day
    satisfaction_star: float = 90.0  # satisfaction at or above earns the satisfaction star


def _default_names() -> dict[str, dict[str, str]]:
    return {
        "junior": {"en": "Junior", "zh": "初级"},
        "senior": {"en": "Senior", "zh": "资深"},
        "technical": {"en": "Technical understanding", "zh": "技术理解能力"},
        "solution": {"en": "Solution design", "zh": "方案设计能力"},
        "communication": {"en": "Customer communication", "zh": "客户沟通能力"},
        "coordination": {"en": "Resource coordination", "zh": "资源协调能力"},
        "product_knowledge": {"en": "Product knowledge", "zh": "产品知识掌握"},
        "visit_process": {"en": "Customer visit process", "zh": "客户拜访流程规范"},
        "key_accounts": {"en": "Key-account strategy", "zh": "大客户战略规划"},
        "negotiation": {"en": "Complex negotiation", "zh": "复杂谈判"},
        "team_lift": {"en": "Bringing the team along", "zh": "团队带动"},
    }


@dataclass(frozen=True)
class CompetencyRules:
    """The competency dimensions a review rates, each with a behaviour example (seed 000
    能力评估): every level is rated on `common`, and on its own extra ones (`by_level`). A
    rep's level is a team setting (`/review level @rep senior`), the first level by default.
    `names` gives every level and dimension its name in each language (en, zh): a team that
    adds a dimension names it here, so this is rules data rather than a catalogue. A team's
    `by_level` and `names` add to (or replace, key by key) the defaults."""

    levels: tuple[str, ...] = ("junior", "senior")
    common: tuple[str, ...] = ("technical", "solution", "communication", "coordination")
    by_level: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "junior": ("product_knowledge", "visit_process"),
        "senior": ("key_accounts", "negotiation", "team_lift")})
    names: dict[str, dict[str, str]] = field(default_factory=_default_names)

    def dimensions(self, level: str | None) -> tuple[str, ...]:
        """The dimensions a rep of `level` is rated on (an unknown level: the first's)."""
        chosen = level if level in self.levels else self.levels[0]
        return self.common + tuple(self.by_level.get(chosen, ()))

    def name(self, key: str, lang: str) -> str:
        names = self.names.get(key, {})
        return names.get(lang) or names.get("en") or key

    def level_of(self, word: str) -> str | None:
        """The level a person typed, by key or by its name in any language."""
        folded = word.strip().casefold()
        for level in self.levels:
            if folded == level.casefold() or folded in (
                    n.casefold() for n in self.names.get(level, {}).values()):
                return level
        return None


@dataclass(frozen=True)
class Rules:
    points: PointsRules = field(default_factory=PointsRules)
    kbi: KbiRules = field(default_factory=KbiRules)
    targets: TargetRules = field(default_factory=TargetRules)
    scores: ScoreRules = field(default_factory=ScoreRules)
    grades: GradeRules = field(default_factory=GradeRules)
    bonus: BonusRules = field(default_factory=BonusRules)
    recommend: RecommendRules = field(default_factory=RecommendRules)
    analysis: AnalysisRules = field(default_factory=AnalysisRules)
    honours: HonourRules = field(default_factory=HonourRules)
    competencies: CompetencyRules = field(default_factory=CompetencyRules)

    def __post_init__(self) -> None:
        _validate(self)

    # Flat names kept for callers written before the rules were grouped (handlers/log.py).
    @property
    def visit_day_threshold(self) -> int:
        return self.points.visit_day_threshold

    @property
    def visit_day_points(self) -> int:
        return self.points.visit_day_points

    @property
    def report_points(self) -> int:
        return self.points.report_points

    @property
    def idle_lead_points(self) -> int:
        return self.points.idle_lead_points

    @property
    def idle_lead_hours(self) -> int:
        return self.points.idle_lead_hours

    @property
    def weekly_touches(self) -> int:
        return self.kbi.weekly_touches

    @property
    def touch_kinds(self) -> tuple[str, ...]:
        return self.kbi.touch_kinds

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any] | None) -> Rules:
        """The defaults with a team's overrides applied. Raises ValueError naming the key."""
        return _merge(cls(), {} if overrides is None else overrides, "")

    def to_mapping(self) -> dict[str, Any]:
        """Every rule as plain JSON/TOML values (Decimals as strings, tuples as lists)."""
        return _dump(self)


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _merge(default: Any, data: Any, path: str) -> Any:
    """Overrides of a nested group apply on top of that group's own defaults."""
    if not isinstance(data, Mapping):
        raise ValueError(f"rules: {path or 'the overrides'} must be a mapping")
    hints = typing.get_type_hints(type(default))
    values = _fields(default)
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in values:
            raise ValueError(f"rules: unknown key {where!r}")
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            values[key] = _merge(values[key], value, where)
        elif typing.get_origin(kind) is dict:  # tables add to the defaults, key by key
            values[key] = {**values[key], **_coerce(kind, value, where)}
        else:
            values[key] = _coerce(kind, value, where)
    try:
        return type(default)(**values)
    except ValueError as error:
        raise ValueError(f"rules: {error}" if not path else f"rules: {path}: {error}") from None


def _coerce(kind: Any, value: Any, where: str) -> Any:
    def wrong(expected: str) -> ValueError:
        return ValueError(f"rules: {where} must be {expected}, not {value!r}")

    if kind is bool:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("a whole number")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong("a number")
        return float(value)
    if kind is Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise wrong("a decimal number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise wrong("a decimal number") from None
        if not number.is_finite():
            raise wrong("a finite decimal number")
        return number
    if kind is str:
        if not isinstance(value, str):
            raise wrong("text")
        return value
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise wrong("a list of text")
        return tuple(value)
    if typing.get_origin(kind) is dict:
        if not isinstance(value, Mapping):
            raise wrong("a table")
        inner = typing.get_args(kind)[1]
        return {str(k): _coerce(inner, v, f"{where}.{k}") for k, v in value.items()}
    raise wrong(str(kind))  # pragma: no cover - every Rules field type is handled above


def _dump(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, dict):
        return {k: _dump(v) for k, v in obj.items()}
    return obj


def _validate(rules: Rules) -> None:
    g = rules.grades
    if not g.s >= g.a >= g.b >= g.c:
        raise ValueError("grades: thresholds must not increase from s to c")
    t = rules.targets
    if not Decimal(0) < t.band_low <= 1 <= t.band_high:
        raise ValueError("targets: need 0 < band_low <= 1 <= band_high")
    if t.history_months < 1:
        raise ValueError("targets.history_months must be at least 1")
    for group in ("monthly", "review"):
        weights = getattr(rules.scores, group)
        if any(w < 0 for _, w in weights.items()) or not any(w > 0 for _, w in weights.items()):
            raise ValueError(f"scores.{group}: weights must be >= 0 and not all 0")
    if rules.scores.cap < 100:
        raise ValueError("scores.cap must be at least 100")
    if rules.kbi.working_days_per_week < 1:
        raise ValueError("kbi.working_days_per_week must be at least 1")
    if not set(rules.points.idle_lead_stages) <= set(OPEN_STAGES):
        raise ValueError("points.idle_lead_stages: only open stages ("
                         + ", ".join(OPEN_STAGES) + "); a won or lost customer is no lead")
    if rules.points.idle_lead_hours < 1:
        raise ValueError("points.idle_lead_hours must be at least 1")
    if len(rules.analysis.funnel_stages) < 2:
        raise ValueError("analysis.funnel_stages needs at least two stages")
    _validate_competencies(rules.competencies)


LANGUAGES = ("en", "zh")  # every competency and level is named in each (bot/i18n.LANGS)


def _validate_competencies(c: CompetencyRules) -> None:
    if not c.levels:
        raise ValueError("competencies.levels needs at least one level")
    keys = set(c.levels)
    for level in c.levels:  # by_level entries of levels not listed are simply not used
        dims = c.dimensions(level)
        if not dims or len(set(dims)) != len(dims):
            raise ValueError(f"competencies: level {level!r} needs its dimensions, each once")
        keys.update(dims)
    for key in sorted(keys):
        missing = [lang for lang in LANGUAGES if not c.names.get(key, {}).get(lang)]
        if missing:
            raise ValueError(f"competencies.names.{key} needs a name in {', '.join(missing)}")


DEFAULT_RULES = Rules()
