"""Personal data, table by table: which columns name a person and which hold free text, and
how a row maps to its workspace. store/personal_data.py runs the SQL this declaration drives
(export a person, forget them, age free text out); bot/services/privacy.py the commands.

TABLES says, for every table, which columns name a person and which hold free text a person
wrote. tests/test_privacy.py reads SQLModel.metadata and fails while a table, or a column that
looks personal (user ids, `*_by`, names) or like free text (long strings, notes, reasons,
details, ...), is not declared here. A new table is one line, e.g.

    "calibrations": Table(people=("rep_user_id", "manager_user_id"), text=("minutes",),
                          aged_by="held_at"),

people        columns holding a Slack user id: a row is by or about a person when one of them
              is theirs. Forget re-keys them to the person's pseudonym.
text          free text a person wrote (notes, answers, reasons, details): blanked in rows by or
              about a forgotten person, and by the retention job once older than the setting.
aged_by       the time column whose age the retention setting is measured against.
forget        KEEP (default): the rows feed team numbers, so they stay, re-keyed, text blanked;
              ERASE: the rows are only about the person and are deleted; PROFILE: members.
personal      other things of the person's (their profile, a token of theirs): emptied on
              forget.
not_personal  columns that look personal or like free text but are neither (why: a comment).
exported      False: never listed row by row in an export (anonymous peer ratings).
workspace     the column holding the Slack workspace id when it is not `workspace_id` (e.g.
              slack_sdk's installation tables: "team_id"), or None for a table that is not
              per workspace and holds nothing personal. By default a row's workspace comes
              from its workspace_id column, else through its foreign keys (targets -> teams
              -> workspaces), so most lines need not say.

A text column's retention is its team's setting when the row has a team_id (a foreign key to
teams), else its workspace's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import Column, String, and_, false, or_
from sqlalchemy import Table as SqlTable
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, select

from store.models import Workspace

KEEP, ERASE, PROFILE = "keep", "erase", "profile"


@dataclass(frozen=True)
class Table:
    people: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    aged_by: str | None = None
    forget: str = KEEP
    personal: tuple[str, ...] = ()
    not_personal: tuple[str, ...] = ()
    exported: bool = True
    workspace: str | None = "workspace_id"


TABLES: dict[str, Table] = {
    # Names of a workspace, a team, a holiday; a team's scoring rules (JSON).
    "workspaces": Table(not_personal=("name",)),
    "teams": Table(not_personal=("name", "rules")),
    "team_holidays": Table(not_personal=("name",)),
    "members": Table(people=("user_id",), forget=PROFILE, personal=(
        "name", "tz", "locale", "tz_override", "locale_override", "profile_checked_at",
        "admin_source", "admin_by")),  # admin_by in others' rows: re-keyed on forget
    "team_members": Table(),  # member ids: handled with the members row
    # A customer is a company: its name, as typed, and where the lead came from are the
    # team's business records, not words about a person.
    "activities": Table(people=("user_id",), text=("note", "text"), aged_by="recorded_at",
                        not_personal=("customer",)),
    "customers": Table(people=("owner_user_id",), text=("lost_reason",),
                       aged_by="stage_changed_at", not_personal=("name", "key", "source")),
    "lead_stage_changes": Table(people=("by_user_id",)),
    "checkins": Table(people=("user_id",), text=("key_customers", "plan", "yesterday",
                                                 "blockers"), aged_by="updated_at",
                      forget=ERASE),
    "briefs": Table(people=("user_id",), text=("progress", "wins", "blockers", "next_focus"),
                    aged_by="updated_at", forget=ERASE),
    # `target` is a user id, a team or a customer: rows whose target is the person are about
    # them.
    "audit_log": Table(people=("actor_user_id", "target"), text=("detail",), aged_by="at"),
    "targets": Table(people=("user_id", "set_by"), text=("reason",), aged_by="set_at"),
    "ratings": Table(people=("user_id", "by_user_id"), text=("note",), aged_by="at"),
    # rater_key is a keyed hash that differs per ratee and period: it names nobody, and
    # nothing here ever computes one, so no export or forget can link a rater to a rating.
    "peer_ratings": Table(people=("ratee_user_id",), not_personal=("rater_key",),
                          exported=False),
    # Messages to the person; claimed_by is a process (host:pid), last_error Slack's answer.
    "deliveries": Table(people=("user_id",), forget=ERASE,
                        not_personal=("claimed_by", "last_error")),
    # Calibrations and their action items: the rep's answers, the manager's minutes.
    "calibration_pairs": Table(people=("rep_user_id", "manager_user_id", "updated_by")),
    "calibrations": Table(people=("rep_user_id", "manager_user_id", "recorded_by", "moved_by"),
                          text=("progress", "blockers", "support", "next_actions", "notes",
                                "controllable", "uncontrollable", "skip_reason"),
                          aged_by="updated_at"),
    "action_items": Table(people=("rep_user_id", "owner_user_id", "done_by", "created_by"),
                          text=("text", "measure"), aged_by="updated_at"),
    # The review cycle and improvement plans.
    # A review's competencies are JSON holding the manager's behaviour examples: free text.
    "reviews": Table(people=("user_id", "rated_by", "decided_by", "talk_with",
                             "talk_moved_by"),
                     text=("self_best", "self_improve", "self_support", "self_difficulties",
                           "strengths", "improvements", "next_plan", "comments",
                           "competencies", "controllable", "uncontrollable", "appeal_reason",
                           "decision_comment"), aged_by="opened_at",
                     not_personal=("level", "confirmation")),
    "review_events": Table(people=("actor_user_id",), text=("detail",), aged_by="at"),
    # Each version of a conversation's record (JSON) and the rep's answer: about the rep.
    "review_records": Table(people=("user_id", "author_user_id"), text=("body",),
                            aged_by="at", not_personal=("kind",)),
    "member_levels": Table(people=("user_id", "set_by"), not_personal=("level",)),
    "annual_reviews": Table(people=("user_id",), not_personal=(
        "grade", "quarters", "bonus_signal", "recommendations")),
    "improvement_plans": Table(people=("user_id", "mentor_user_id", "set_by"),
                               text=("targets", "notes", "decision_note"),
                               aged_by="opened_at", not_personal=("kind", "decision")),
    "plan_checks": Table(people=("by_user_id",), text=("note",), aged_by="at"),
    # The OAuth install (slack_sdk's tables, tokens sealed by store/installations.py).
    "seen_events": Table(),
    "slack_installations": Table(
        people=("user_id",), personal=("user_token", "user_scopes", "user_refresh_token"),
        workspace="team_id", not_personal=(
            "enterprise_name", "team_name", "bot_user_id", "bot_token", "bot_scopes",
            "bot_refresh_token", "incoming_webhook_url")),
    "slack_bots": Table(workspace="team_id", not_personal=(
        "enterprise_name", "team_name", "bot_user_id", "bot_token", "bot_scopes",
        "bot_refresh_token")),
    "slack_oauth_states": Table(workspace=None),
    # Which process works which team in a scheduler minute: no person, no workspace column
    # (`owner` is a process, host:pid, like deliveries.claimed_by).
    "tick_claims": Table(workspace=None, not_personal=("owner",)),
    # A count of changes per team (migration 0025's triggers): nothing personal.
    "activity_revisions": Table(workspace=None),
    # A count of changes per lead (migration 0029's triggers), and each lead's idle-lead
    # lapses kept (store/lapse_store.py): moments and counts, no person (who is charged is
    # the customer's owner, read with them); deleted with their customer (foreign key).
    "lead_event_versions": Table(workspace=None),
    "lead_lapse_states": Table(),
    "lead_lapses": Table(),
    # When the person opened and was last shown their App Home: only about them.
    "home_views": Table(people=("user_id",), forget=ERASE),
    # A person's leave (/pacer away): only about them; and who turned on Slack's status.
    "away_spells": Table(people=("user_id", "set_by"), text=("reason",), aged_by="created_at",
                         forget=ERASE),
    "away_status_teams": Table(people=("set_by",)),
    # Their quiet hours, digest time and brief opt-out; the messages kept for their digest
    # (Pacer's own words to them, erased with them): only about the person.
    "member_prefs": Table(people=("user_id",), forget=ERASE),
    "digest_items": Table(people=("user_id",), forget=ERASE,
                          not_personal=("text", "blocks")),
}

PSEUDONYM_PREFIX = "anon-"  # never the start of a Slack user id (U…, W…)


def pseudonym(key: bytes, *, workspace_id: str, user_id: str) -> str:
    """A forgotten person's stand-in: the same in every row (so their team's numbers still
    add up), not reversible without the key. Its message differs from ratings.rater_key's,
    so the two hashes can never be compared."""
    digest = hmac.new(key, f"pacer-forget:{workspace_id}:{user_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:20]


def is_pseudonym(user_id: str | None) -> bool:
    return bool(user_id) and user_id.startswith(PSEUDONYM_PREFIX)  # type: ignore[union-attr]


def sql_table(name: str) -> SqlTable:
    return SQLModel.metadata.tables[name]


def in_workspace(table: SqlTable, workspace_id: str) -> ColumnElement[bool]:
    """The rows of `table` in one workspace: by its workspace column, else through a foreign
    key; none for a table declared not per workspace."""
    decl = TABLES.get(table.name, Table())
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if decl.workspace is None:
        return false()
    if decl.workspace in table.c:
        return table.c[decl.workspace] == workspace_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        return fk.parent.in_(select(fk.column).where(
            in_workspace(fk.column.table, workspace_id)))
    raise LookupError(f"table {table.name} has no workspace_id and no foreign key to one")


def about(table: SqlTable, decl: Table, user_id: str) -> ColumnElement[bool]:
    return or_(*(table.c[name] == user_id for name in decl.people))


def blanks(table: SqlTable, names: tuple[str, ...]) -> dict[str, str | None]:
    return {name: None if table.c[name].nullable else "" for name in names}


def has_text(table: SqlTable, names: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(*(and_(table.c[name].is_not(None), table.c[name] != "") for name in names))


def _is_string(column: Column) -> bool:
    # sqlmodel's AutoString is a TypeDecorator around String (Text is a String too).
    return isinstance(getattr(column.type, "impl", column.type), String)


def string_columns(table: SqlTable) -> list[str]:
    return [c.name for c in table.columns if _is_string(c)]
