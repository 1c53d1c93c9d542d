"""Rasa's SQL tracker store, with SQLite files in write-ahead-log mode.

Rasa commits the tracker once or twice per user message.  In SQLite's default rollback-journal
mode every commit waits for fsync (8-17 ms each on a busy disk, the largest share of the tracker
store's time in bench/rasa_roundtrip.py).  In WAL mode with synchronous=NORMAL a commit is an
append to the log, and the log is synced at checkpoints: a crash of Rasa loses nothing; only an
operating-system crash or a power failure can lose the last few commits.  PostgreSQL (see
endpoints.yml) is left exactly as Rasa configures it.

Used from bot/endpoints.yml as `tracker_store.WALSQLTrackerStore`; Rasa runs with bot/ as its
working directory, which is what makes this module importable.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore


def _wal(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class WALSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore; on SQLite the connections use the write-ahead log and stay open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return
        # SQLAlchemy 1.4 opens a new SQLite connection per session (NullPool), and closing the
        # last connection checkpoints the log, fsync included: pooled connections keep it open
        # (SQLAlchemy 2.0's default for SQLite files).  Rasa uses the store from its event loop.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
