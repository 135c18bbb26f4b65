"""The outbox: how every scheduled message leaves, once.

A job decides what is owed (a `Due`: job, recipient, period, when it fell due); `deliver`
claims it in the ledger (store/deliveries.py) under its unique key, posts it, and records the
outcome, so running a job twice, after a restart, or in several processes at once sends each
message once, and a run after downtime sends what it missed while that is still within the
job's catch-up window. `each_rep` and `each_team` fan a job out so that one rep's or team's
trouble never stops the rest.

Exactly once across a crash: every message carries Slack message metadata naming its ledger
key (`marker`). A process that dies after Slack accepted a post but before the ledger recorded
it leaves a claim that another process takes over after the lease (or one Slack's reply never
reached: a timeout, a dropped connection). Before posting again, the taker looks for the key
in that conversation's history since the last post the ledger knows there (`posted_before`)
and, if the message is there, records it as sent instead. Slack has no idempotency key for
chat.postMessage, so the conversation itself is the only witness; reading it needs the
history scopes (im:history, channels:history, groups:history), used only on this path, rarely
(Tier 3, one or two calls per message in doubt) and never for what people wrote: only the
bot's own messages' metadata is compared. Without the scope (an install from before) the
message is sent again, with a warning naming the scope.

Each person's own rules (issue 17, store/prefs.py), for DMs only (never channel posts, never
replies to commands, which do not come through here): a DM falling due inside their quiet
hours (their zone) is held, claimed nowhere, and goes out when the quiet hours end, its
catch-up window counted from then; a message that says it is stale by then (`Due.stale_at`:
the day-bound reminders, at the end of their day) is given up rather than sent at night or a
day late. Someone who chose a daily digest gets reminders and alerts (DIGESTED_JOBS) collected
instead: claimed, recorded `digested` with the message kept (store/digests.py), and listed in
one DM at their digest time by the `digest` job (bot/jobs/digest.py), itself a DM that quiet
hours hold. A person without preferences is not affected: no hold, no extra window.

Slack limits: everything goes through bot.slack.client's client (Retry-After honoured on 429);
`PacedClient` keeps posts to one channel at least a second apart within a run and reuses DM
channels the ledger already recorded (the daily reminders open them), so a fan-out costs one
chat.postMessage per message rather than a conversations.open (Tier 3) as well.
"""

from __future__ import annotations

import logging
import os
import socket
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calendar.quiet import QuietHours
from bot.deps import Deps
from bot.services.teams import TeamInfo, team_infos
from store import deliveries, digests, prefs
from store.models import Delivery, max_length
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)

# A message due this long ago and never sent is still sent (the bot was down, or Slack
# refused); older than this it is given up, logged, and recorded so it is logged once.
CATCH_UP = timedelta(hours=3)
CHANNEL_GAP = 1.0  # seconds between two posts to one channel (Slack: about 1 per second)
METADATA_TYPE = "pacer_delivery"  # Slack message metadata naming a message's ledger key
HISTORY_PAGE, HISTORY_PAGES = 100, 3  # how far back a message in doubt is looked for
# History errors that mean "cannot look here" (an install without the scope, a channel the
# bot left): the message is sent again. Anything else fails the attempt, retried next tick.
CANNOT_LOOK = frozenset({"missing_scope", "not_allowed_token_type", "channel_not_found",
                         "not_in_channel", "no_permission",
                         "method_not_supported_for_channel_type"})

OWNER = f"{socket.gethostname()}:{os.getpid()}"[:64]
# The jobs whose DMs a person's daily digest collects (reminders and alerts); the others
# (calibration and review conversations, reports, the digest itself) always go on their own.
# Names, not imports: those modules import this one.
DIGESTED_JOBS = frozenset({"checkin-reminder", "friday-brief", "alerts", "actions"})
HOLD_MAX = timedelta(days=1)  # quiet hours last less than a day: the longest they hold a DM


@dataclass
class RunResult:
    sent: int = 0
    skipped: int = 0  # due, but answered already, delivered already, or another process has it
    failed: int = 0  # Slack refused; retried on the next run within the catch-up window
    gave_up: int = 0  # missed the catch-up window, or failed too many times
    lines: list[str] = field(default_factory=list)  # what happened, one line each
    held: int = 0  # owed, but inside the recipient's quiet hours (also counted as skipped)
    collected: int = 0  # kept for the recipient's digest instead of being sent

    def add(self, other: RunResult) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.gave_up += other.gave_up
        self.lines += other.lines
        self.held += other.held
        self.collected += other.collected

    def summary(self) -> str:
        extra = "".join(f", {name} {n}" for name, n in (("held", self.held),
                                                       ("collected", self.collected)) if n)
        return (f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}, "
                f"gave up {self.gave_up}{extra}")


# What a visit of `each_rep` returns when nothing happened for the rep (most reps of a tick):
# not added up. Never changed.
NOTHING = RunResult()


# ----------------------------------------------------------------- one delivery

@dataclass(frozen=True)
class Due:
    """One message a rep is owed: when it fell due, under which ledger key."""

    job: str
    team: TeamInfo
    user_id: str  # the recipient: a DM to this user ...
    period: str
    due_at: datetime
    channel: str | None = None  # ... or, when set, a post in this channel instead
    # Held by quiet hours, not worth sending from this moment on (a day's reminder at the
    # end of its day): given up instead. Without quiet hours the catch-up window decides.
    stale_at: datetime | None = None

    @property
    def key(self) -> str:
        whom = f"#{self.channel}" if self.channel else self.user_id
        return dm_key(self.job, self.team.workspace_id, whom, self.period)

    def ledger(self) -> dict:
        # The key holds the whole period; the period column is a label for people reading
        # the table, cut to fit (a calibration's notices name the pair, meeting and time).
        return {"key": self.key, "job": self.job, "workspace_id": self.team.workspace_id,
                "team_id": self.team.id, "user_id": None if self.channel else self.user_id,
                "period": self.period[:max_length(Delivery, "period")], "due_at": self.due_at}


def dm_key(job: str, workspace_id: str, user_id: str, period: str) -> str:
    """The ledger key of a DM (Due.key), for a job that checks a rep's key before building
    their Due."""
    return f"{job}:{workspace_id}:{user_id}:{period}"


def _error_text(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        return f"Slack {status}: {exc.response.get('error', 'error')}"
    return f"{type(exc).__name__}: {exc}"


def deliver(deps: Deps, client: WebClient, due: Due, *, now: datetime, answered: bool,
            message: Callable[[], dict], result: RunResult,
            catch_up: timedelta = CATCH_UP) -> None:
    """Claim, post, record: the one path every scheduled message takes (a DM, or a post in
    `due.channel`)."""
    if not due.channel and is_pseudonym(due.user_id):
        return  # a forgotten person (store/privacy.py) who still owns a lead: nobody to DM
    # Final for good and remembered by this process: no session, no read (most of a tick).
    final = due.key in deps.final_keys()
    plain = due.due_at + catch_up
    if now > plain and (final or _never_owed(due, answered)):
        return  # missed, and final already or nothing to record (no read for either)
    who = f"{due.channel or due.user_id} ({due.team.name}, {due.period})"
    # The recipient's own rules, read only for a DM still owed that quiet hours may hold.
    own = (None if final or due.channel or now > plain + HOLD_MAX
           else _own(deps, client, due))
    until, held, deadline = _window(due, own, now, catch_up)
    if now > deadline:  # missed: recorded once, so it is logged once
        why = ("held by quiet hours past its use" if held
               else f"missed the {catch_up} catch-up window")
        with deps.sessions() as session:
            recorded = deliveries.give_up(session, **due.ledger(), now=now, owner=OWNER,
                                          final_seen=deps.final_keys(), reason=why)
        if recorded:
            result.gave_up += 1
            result.lines.append(f"gave up {who}: due {due.due_at.astimezone(UTC):%Y-%m-%d %H:%M}"
                                f" UTC, {why}")
        return
    if answered:
        result.skipped += 1
        result.lines.append(f"skipped {who}: already answered")
        return
    if final:
        result.skipped += 1
        result.lines.append(f"skipped {who}: already delivered or being delivered")
        return
    collect = own is not None and own[0].digest_at is not None and due.job in DIGESTED_JOBS
    if until is not None and not collect:  # a digest collects at any hour: it is no DM
        result.skipped += 1
        result.held += 1
        result.lines.append(f"held {who}: quiet hours until "
                            f"{until.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        return
    with deps.sessions() as session:  # committed before posting: the claim holds from here
        claim = deliveries.claim(session, **due.ledger(), now=now, owner=OWNER,
                                 final_seen=deps.final_keys())
    if claim is None:
        result.skipped += 1
        result.lines.append(f"skipped {who}: already delivered or being delivered")
        return
    try:
        if collect:
            _collect(deps, due, claim, now=now, body=message(), result=result, who=who)
            return
        channel = due.channel or client.conversations_open(users=due.user_id)["channel"]["id"]
        # A claim taken over (attempt 2 or later) may have reached Slack the first time.
        posted = posted_before(deps, client, channel, due) if claim.attempt > 1 else None
        found = posted is not None
        if not found:
            body = message()
            posted = client.chat_postMessage(channel=channel, text=body["text"],
                                             blocks=body["blocks"], metadata=marker(due.key))
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, record it and go on
        if not isinstance(exc, SlackApiError):
            log.exception("%s: building or posting %s failed", due.job, due.key)
        with deps.sessions() as session:
            status = deliveries.mark_failed(session, claim=claim, error=_error_text(exc),
                                            now=now)
        if status == deliveries.GAVE_UP:
            result.gave_up += 1
            result.lines.append(f"gave up {who}: {_error_text(exc)} (attempt {claim.attempt})")
        else:
            result.failed += 1
            result.lines.append(f"failed {who}: {_error_text(exc)} (will retry)")
        return
    with deps.sessions() as session:
        if deliveries.mark_sent(session, claim=claim, channel=posted.get("channel", channel),
                                ts=posted.get("ts"), now=now):
            deps.final_keys().add(due.key)
    if found:
        log.info("delivery %s: Slack had it already (%s in %s); recorded, not sent again",
                 due.key, posted["ts"], channel)
        result.skipped += 1
        result.lines.append(f"recorded {who}: posted before a restart, found in {channel}")
        return
    result.sent += 1
    result.lines.append(f"sent {who} to {channel}")


def _never_owed(due: Due, answered: bool) -> bool:
    """Missed, but nothing to give up: answered anyway, or due before the team existed (a
    first start must not "give up" on history) or before its rep joined (someone added on
    Monday owed nothing on Sunday)."""
    joined = due.team.joined.get(due.user_id, due.team.created_at)
    return answered or due.due_at < max(due.team.created_at, joined)


def _own(deps: Deps, client: WebClient, due: Due) -> tuple[prefs.Prefs, ZoneInfo] | None:
    """The recipient's preferences and zone, or None when they chose none (one indexed
    read, made only for a DM still owed)."""
    with deps.sessions() as session:
        own = prefs.get(session, workspace_id=due.team.workspace_id, user_id=due.user_id)
    if own == prefs.Prefs():
        return None
    return own, deps.users.profile(client, due.team.workspace_id, due.user_id).tz


def _window(due: Due, own: tuple[prefs.Prefs, ZoneInfo] | None, now: datetime,
            catch_up: timedelta) -> tuple[datetime | None, bool, datetime]:
    """(the end of the quiet hours `now` is in, or None; whether quiet hours held `due`; the
    moment past which it is given up). The catch-up window counts from when the message could
    first go out: its due time, or the end of quiet hours that held it (the coming one while
    held), and never past `due.stale_at` for a held message."""
    plain = due.due_at + catch_up
    if own is None or not own[0].quiet:
        return None, False, plain
    wanted, tz = own
    quiet = QuietHours(wanted.quiet_start, wanted.quiet_end)  # type: ignore[arg-type]
    until = quiet.ends_after(now, tz)
    opens = until or quiet.last_end(due.due_at, now, tz)
    if opens is None or opens <= due.due_at:
        return until, False, plain
    deadline = opens + catch_up
    if due.stale_at is not None:
        deadline = min(deadline, max(due.stale_at, plain))
    return until, True, deadline


def _collect(deps: Deps, due: Due, claim: deliveries.Claim, *, now: datetime, body: dict,
             result: RunResult, who: str) -> None:
    """Keep the claimed message for the recipient's digest (recorded `digested`)."""
    with deps.sessions() as session:
        kept = digests.collect(session, claim=claim, job=due.job,
                               workspace_id=due.team.workspace_id, user_id=due.user_id,
                               period=due.period, due_at=due.due_at, now=now,
                               text=body["text"], blocks=body["blocks"])
    if kept:
        deps.final_keys().add(due.key)
        result.collected += 1
        result.lines.append(f"collected {who} for their digest")
    else:
        result.skipped += 1
        result.lines.append(f"skipped {who}: another process took the claim over")


def marker(key: str) -> dict:
    """The Slack message metadata that names a message's ledger key."""
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def posted_before(deps: Deps, client: WebClient, channel: str, due: Due) -> dict | None:
    """The bot's own message carrying `due`'s key in `channel`, posted since the last post
    the ledger recorded there ({"channel", "ts"}), or None: not there, or no way to look."""
    with deps.sessions() as session:
        oldest = deliveries.last_ts(session, workspace_id=due.team.workspace_id,
                                    channel=channel)
    bot_id, cursor = _bot_id(client), None
    for _ in range(HISTORY_PAGES):
        try:
            page = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=HISTORY_PAGE,
                **({"oldest": oldest} if oldest else {}), **({"cursor": cursor} if cursor else {}))
        except SlackApiError as exc:
            if exc.response.get("error") not in CANNOT_LOOK:
                raise  # not now: this attempt fails and the next tick looks again
            log.warning("delivery %s may already be in %s, but Pacer cannot look there (%s; "
                        "install it again with the history scopes): sending it again",
                        due.key, channel, exc.response.get("error"))
            return None
        for message in page.get("messages") or ():
            meta = message.get("metadata") or {}
            if (meta.get("event_type") == METADATA_TYPE and message.get("bot_id") == bot_id
                    and (meta.get("event_payload") or {}).get("key") == due.key):
                return {"channel": channel, "ts": message.get("ts")}
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            break
    return None


_BOT_IDS: dict[str, str] = {}  # bot token -> its bot id (auth.test), asked once


def _bot_id(client: WebClient | PacedClient) -> str | None:
    """This bot's id, so another app's message naming the same key is not taken for ours."""
    token = client.token or ""
    if token not in _BOT_IDS:
        _BOT_IDS[token] = client.auth_test().get("bot_id") or ""
    return _BOT_IDS[token] or None


# How far back a process recalls a team's final keys of a job at once: as far back as the
# job still looks (a daily reminder: today and yesterday; a month-end: the whole month).
REMEMBER = timedelta(days=8)
REMEMBER_JOB = {"checkin-reminder": timedelta(days=2), "month-end": timedelta(days=35),
                "quarter-end": timedelta(days=100),
                "calibration": timedelta(days=14)}  # its look-back: 12 days (a nudge)


def remember_final(deps: Deps, job: str, info: TeamInfo) -> None:
    """The first time this process runs `job` for a team (or since it last forgot), one
    indexed read of the team's keys of the job due in the last REMEMBER, sent or given up:
    a tick after a restart then skips them as a warm one does, not reading them one by one."""
    final = deps.final_keys()
    mark = f"\0{job}:{info.id}"  # never a delivery key
    if mark in final:
        return
    with deps.sessions() as session:
        found = deliveries.final_since(session, job=job, team_id=info.id,
                                       since=deps.clock.now() - REMEMBER_JOB.get(job, REMEMBER))
    final.update(found)
    final.add(mark)


REMEMBER_CHUNK = 500  # teams whose final keys are read together


def remember_final_many(deps: Deps, job: str, infos: list[TeamInfo]) -> None:
    """`remember_final` for every team of a run not remembered yet, REMEMBER_CHUNK teams a
    read: a tick after a restart reads a few times per job, not once per team and job."""
    final = deps.final_keys()
    fresh = [info.id for info in infos if f"\0{job}:{info.id}" not in final]
    since = deps.clock.now() - REMEMBER_JOB.get(job, REMEMBER)
    try:
        for i in range(0, len(fresh), REMEMBER_CHUNK):
            chunk = fresh[i:i + REMEMBER_CHUNK]
            with deps.sessions() as session:
                final.update(deliveries.final_since_many(session, job=job, team_ids=chunk,
                                                         since=since))
            final.update(f"\0{job}:{team_id}" for team_id in chunk)
    except Exception:  # noqa: BLE001 - each team's own read (remember_final) tries again
        log.exception("%s: reading the teams' delivered keys failed", job)


def each_rep(deps: Deps, team: str | None, job: str,
             visit: Callable[[WebClient, TeamInfo, str], RunResult]) -> RunResult:
    """Call `visit` for every rep of every team; one rep's trouble never stops the rest."""
    result = RunResult()
    infos = team_infos(deps, team)
    remember_final_many(deps, job, infos)
    for info in infos:
        client = deps.client_for(info.workspace_id)
        remember_final(deps, job, info)
        for user_id in info.reps:
            try:
                found = visit(client, info, user_id)
                if found is not NOTHING:
                    result.add(found)
            except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
                log.exception("%s: could not handle %s of team %s", job, user_id, info.name)
                result.failed += 1
                result.lines.append(f"failed {user_id} ({info.name}): unexpected error, "
                                    "see the log")
    return result


def each_team(deps: Deps, team: str | None, job: str,
              visit: Callable[[PacedClient, TeamInfo], RunResult], *,
              paced: bool = True,
              first: Callable[[list[TeamInfo]], None] | None = None) -> RunResult:
    """Call `visit` for every team; one team's trouble never stops the rest. `paced`: the
    client keeps posts to one channel a second apart (reports fan out to a channel); jobs
    sending a few DMs a run (calibration, actions) take the plain client. `first`, when
    given, sees all the run's teams before any is visited (the reports: which of them to
    compute together); its failure costs only what it would have saved."""
    result = RunResult()
    clients: dict[str, WebClient] = {}  # one per workspace: its own bot token
    infos = team_infos(deps, team)
    remember_final_many(deps, job, infos)
    if first is not None:
        try:
            first(infos)
        except Exception:  # noqa: BLE001 - an optimisation: the visits do without it
            log.exception("%s: looking at the teams before visiting them failed", job)
    for info in infos:
        if info.workspace_id not in clients:
            plain = deps.client_for(info.workspace_id)
            clients[info.workspace_id] = PacedClient(plain) if paced else plain
        client = clients[info.workspace_id]
        try:
            remember_final(deps, job, info)
            result.add(visit(client, info))
        except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
            log.exception("%s: could not handle team %s", job, info.name)
            result.failed += 1
            result.lines.append(f"failed team {info.name}: unexpected error, see the log")
    return result


# ----------------------------------------------------------------- pacing

class PacedClient:
    """The run's WebClient with two courtesies to Slack's limits (see the module docstring).
    Everything else is passed through."""

    def __init__(self, client: WebClient, dm_channels: dict[str, str] | None = None,
                 gap: float = CHANNEL_GAP) -> None:
        self._client = client
        self._dms = dict(dm_channels or {})
        self._pending: list[Callable[[], dict[str, str]]] = []
        self._gap = gap
        self._last: dict[str, float] = {}
        self.waited = 0.0  # seconds spent keeping posts apart (for the benchmark)

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def know_dms(self, dm_channels: dict[str, str] | Callable[[], dict[str, str]]) -> None:
        """DM channels known already; a callable (known_dm_channels) is asked only when a
        conversation is first opened, so a run that sends nothing reads no ledger for them."""
        if callable(dm_channels):
            self._pending.append(dm_channels)
        else:
            self._dms.update(dm_channels)

    def conversations_open(self, *, users: str, **kwargs: object) -> dict:
        while self._pending:
            self._dms.update(self._pending.pop(0)())
        if users in self._dms:
            return {"ok": True, "channel": {"id": self._dms[users]}}
        opened = self._client.conversations_open(users=users, **kwargs)
        self._dms[users] = opened["channel"]["id"]
        return opened

    def chat_postMessage(self, *, channel: str, **kwargs: object):  # noqa: N802, ANN201
        wait = self._last.get(channel, float("-inf")) + self._gap - clock_time.monotonic()
        if wait > 0:
            self.waited += wait
            clock_time.sleep(wait)
        try:
            return self._client.chat_postMessage(channel=channel, **kwargs)
        finally:
            self._last[channel] = clock_time.monotonic()


def known_dm_channels(deps: Deps, workspace_id: str,
                      user_ids: tuple[str, ...]) -> Callable[[], dict[str, str]]:
    """DM channels earlier deliveries recorded for these people: one indexed query, made
    when PacedClient.know_dms first needs it (a run that sends nothing never makes it)."""
    def read() -> dict[str, str]:
        with deps.sessions() as session:
            return deliveries.dm_channels(session, workspace_id=workspace_id,
                                          user_ids=user_ids)
    return read
