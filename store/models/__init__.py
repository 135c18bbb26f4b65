"""Tables, one module per aggregate; every row belongs to a workspace (Slack team id) so no
query can mix workspaces. Importing this package registers every table on SQLModel.metadata
(Alembic's env.py and the tests rely on it), so `from store.models import Team` is the way in.
"""

from __future__ import annotations

from store.models.away import AwaySpell, AwayStatusTeam
from store.models.calibration import ActionItem, Calibration, CalibrationPair
from store.models.columns import max_length, utc_column
from store.models.lapses import LeadEventVersion, LeadLapse, LeadLapseState
from store.models.prefs import DigestItem, MemberPrefs
from store.models.review import (
    AnnualReview,
    ImprovementPlan,
    MemberLevel,
    PlanCheck,
    Review,
    ReviewEvent,
    ReviewRecord,
)
from store.models.revisions import ActivityRevision
from store.models.sales import STAGES, TIERS, Activity, Brief, Checkin, Customer, StageChange
from store.models.scores import PeerRating, Rating, TargetRow
from store.models.system import AuditEntry, Delivery, HomeView, SeenEvent
from store.models.ticks import TickClaim
from store.models.workspace import ROLES, Member, Team, TeamHoliday, TeamMember, Workspace

__all__ = [
    "ROLES", "STAGES", "TIERS", "ActionItem", "Activity", "ActivityRevision", "AnnualReview",
    "AuditEntry",
    "AwaySpell", "AwayStatusTeam", "Brief",
    "Calibration", "CalibrationPair", "Checkin", "Customer", "Delivery", "DigestItem",
    "HomeView", "ImprovementPlan", "LeadEventVersion", "LeadLapse", "LeadLapseState",
    "Member", "MemberLevel", "MemberPrefs", "PeerRating",
    "PlanCheck", "Rating", "Review", "ReviewEvent", "ReviewRecord", "SeenEvent",
    "StageChange", "TargetRow", "Team", "TeamHoliday", "TeamMember", "TickClaim", "Workspace",
    "max_length", "utc_column",
]
