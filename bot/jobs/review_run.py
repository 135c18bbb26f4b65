"""One team in one run of the `review` job (bot/jobs/review.py, bot/jobs/plans.py): who its
managers, HR and the people above them are, each person's language and zone, and `send`, the
one way a step's message leaves (through the outbox's ledger, once)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.calendar.workdays import add_working_days, at_local, next_working_day
from bot.deps import Deps
from bot.jobs.outbox import Due, PacedClient, RunResult, deliver
from bot.services.teams import TeamInfo
from store import deliveries, teams
from store import reviews as store

JOB = "review"
STEP_TIME = time(9, 0)
LATE_CATCH_UP = timedelta(hours=24)  # escalations, results, decisions
# Steps due longer ago than their window plus this are not looked at again: they were sent,
# or given up (and logged) by the ticks of the day they were due.
LOOKBACK = timedelta(days=1)
# Final reviews and plans opened or closed this recently are still looked at: what follows a
# final grade waits for the next working morning, after a holiday week too.
RECENT = timedelta(days=10)


class People(Sequence[str]):
    """User ids read from the database the first time they are looked at (a step's recipients
    are named on every tick, but wanted only when the step is due)."""

    def __init__(self, read: Callable[[], tuple[str, ...]]) -> None:
        self._read, self._found = read, None

    def _people(self) -> tuple[str, ...]:
        if self._found is None:
            self._found = self._read()
        return self._found

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - as a tuple's
        return self._people()[index]

    def __len__(self) -> int:
        return len(self._people())


@dataclass
class Run:
    deps: Deps
    client: PacedClient
    info: TeamInfo
    now: datetime
    result: RunResult = field(default_factory=RunResult)
    job: str = JOB  # the ledger's job name (the year end runs through here too)
    due_steps: int = 0  # steps `send` found within their window (due, not long past)
    # What follows from a calendar alone (see add_days), shared by a job run's teams.
    calendar: dict[tuple, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.info.tz)

    def add_days(self, day: date, count: int) -> date:
        """`add_working_days` on the team's days, remembered for the job run (`calendar`):
        the reviews share their dates (period end, due days), most teams their calendar, and
        every step's moment is worked out on every tick."""
        key = (self.info.country, self.info.days_off, day, count)
        found = self.calendar.get(key)
        if found is None:
            found = self.calendar[key] = add_working_days(day, count, self.info.working)
        return found  # type: ignore[return-value]

    @property
    def managers(self) -> tuple[str, ...]:
        """The team's managers as of this tick (the tick's team information: no read)."""
        return self.info.managers

    @cached_property
    def admins(self) -> People:
        def read() -> tuple[str, ...]:
            with self.deps.sessions() as session:
                return tuple(teams.admins(session, workspace_id=self.info.workspace_id))
        return People(read)

    @cached_property
    def above(self) -> People:
        """The managers' own managers (else HR): read only when an escalation is due, though
        every step names them as its recipients."""
        def read() -> tuple[str, ...]:
            found: list[str] = []
            with self.deps.sessions() as session:
                for manager in self.managers:
                    found += teams.escalation_for(
                        session, workspace_id=self.info.workspace_id, manager_user_id=manager)
            return tuple(dict.fromkeys(found))
        return People(read)

    def lang(self, user_id: str) -> str:
        return self.deps.users.profile(self.client, self.info.workspace_id, user_id).lang

    def zone(self, user_id: str | None) -> ZoneInfo:
        if not user_id:
            return self.tz
        return self.deps.users.profile(self.client, self.info.workspace_id, user_id).tz

    def nine(self, day: date) -> datetime:
        return at_local(day, STEP_TIME, self.tz)

    def settled(self, at: datetime) -> datetime:
        """09:00 on the working day `at` falls on (or the next one), or `at` if later: what
        follows a grade that became final at midnight waits for the morning."""
        return max(at, self.nine(next_working_day(at.astimezone(self.tz).date(),
                                                  self.info.working)))

    def send(self, step: str, ref: str, recipients: Sequence[str], *, due_at: datetime,
             window: timedelta, answered: bool, message: Callable[[str], dict],
             review_id: int | None = None, event: str = "") -> None:
        """One step to each recipient (in their language), through the ledger; a reminder or
        escalation actually sent is written to the review's history."""
        if due_at > self.now or self.now - due_at > window + LOOKBACK:
            return
        self.due_steps += 1
        dues = {user: Due(self.job, self.info, user, f"{step}:{ref}", due_at)
                for user in dict.fromkeys(r for r in recipients if r)}
        # Steps stay due for days: read the ledger first, so a tick that has nothing new to
        # send only reads (deliver's claim would try an INSERT, taking SQLite's write lock).
        # Keys this process saw final need no read at all (steps stay due for days).
        remembered = self.deps.final_keys()
        done = {d.key for d in dues.values() if d.key in remembered}
        if len(done) < len(dues):
            with self.deps.sessions() as session:
                found = deliveries.final_keys(session, keys=[d.key for d in dues.values()
                                                             if d.key not in done])
            remembered.update(found)
            done |= found
        for user, due in dues.items():
            if due.key in done:
                self.result.skipped += 1
                continue
            before = self.result.sent
            deliver(self.deps, self.client, due, now=self.now, answered=answered,
                    result=self.result, catch_up=window,
                    message=lambda u=user: message(u))
            if event and review_id is not None and self.result.sent > before:
                with self.deps.sessions() as session:
                    store.record(session, review_id=review_id, action=event, at=self.now,
                                 detail=f"{step} to {user}")
