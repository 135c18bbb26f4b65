"""/log's one write before its ack, committed together with the /logs that arrive meanwhile
(a group commit): durable before each ack, as one at a time, at a fraction of the cost.

Under a burst the listener threads queued on SQLite's one writer, each for its own INSERT
and COMMIT (and a sync of the WAL): about 1.1 ms of CPU a /log, where the statement itself
is a tenth of it. Here the first thread to arrive writes (the leader); those that arrive
while it does wait, and the next leader (the first of them) writes all of theirs in one
transaction (store/log_inserts.py: insert_once_many). Nobody's ack waits for more than the
write in hand and then its own. If the transaction of several fails, each is written alone
again, so one row's error is that row's request's alone.
Own code: neither SQLAlchemy nor SQLite offers a group commit. PostgreSQL does it itself
(the commits that come at once flush its log together), so there each /log writes alone
(store/log_inserts.py: insert_once_alone).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from store import log_inserts


@dataclass(eq=False)
class _Write:
    engine: Engine
    row: dict[str, object]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the queue, not with its answer
    result: int | None = None
    error: BaseException | None = None
    answered: bool = False

    def answer(self) -> int | None:
        if self.error is not None:
            raise self.error
        return self.result


class GroupInserts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Write] = []
        self._writing = False  # a leader has the queue in hand

    def insert(self, engine: Engine, row: dict[str, object]) -> int | None:
        """`row` (store/log_inserts.py: once_values) inserted and committed unless its source is
        recorded already: its id, else None."""
        if engine.dialect.name == "postgresql":
            return log_inserts.insert_once_alone(engine, row)
        mine = _Write(engine, row)
        with self._lock:
            self._queue.append(mine)
            lead = not self._writing
            self._writing = True
        if not lead:
            mine.done.wait()
            if not mine.lead:
                return mine.answer()
        self._write_queue()
        return mine.answer()

    def _write_queue(self) -> None:
        """As the leader: write every queued row, then hand the lead to the first row queued
        meanwhile (or put it down)."""
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            by_engine: dict[int, list[_Write]] = {}
            for write in batch:  # one process may serve several databases
                by_engine.setdefault(id(write.engine), []).append(write)
            for writes in by_engine.values():
                _write(writes)
        except BaseException as error:  # not an answer: "recorded already" would lose a log
            for write in batch:
                if not write.answered:
                    write.error = error
            raise
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                self._writing = following is not None
            for write in batch:
                write.done.set()
            if following is not None:
                following.lead = True
                following.done.set()


def _write(writes: list[_Write]) -> None:
    try:
        ids = log_inserts.insert_once_many(writes[0].engine, [w.row for w in writes])
    except Exception as error:  # noqa: BLE001 - each row alone: the error is its own
        if len(writes) == 1:
            writes[0].error, writes[0].answered = error, True
            return
        for write in writes:
            try:
                write.result = log_inserts.insert_once_many(write.engine, [write.row])[0]
            except Exception as alone:  # noqa: BLE001 - raised in the request that sent it
                write.error = alone
            write.answered = True
        return
    for write, found in zip(writes, ids, strict=True):
        write.result, write.answered = found, True


INSERTS = GroupInserts()
