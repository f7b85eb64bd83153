"""Record tables beside the cached answers: the upload ledger, patent records, verdicts, a watch's runs.

A table lives where the session's answers live: in the cache file (:func:`~patsnap_analytics.store.backends.record_dict`
behind a :class:`~patsnap_analytics.store.file.GuardedTable`), in the team's Redis (one key per record, each with
its own TTL), or in a dict when there is no file.

Example:
    >>> table = record_table(None, "notes"); put_records(table, {"a": "1"}, ttl=None); dict(table)
    {'a': '1'}
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from .file import CLEAR_REMEDY, GuardedTable
from .health import CacheHealth
from .session import cache_file, team_of

__all__ = ["LockedRecords", "put_records", "record_table"]


def record_table(session: Any, table_name: str, health: CacheHealth | None = None) -> Any:
    """A table of JSON text records kept beside the session's answers: in the cache file, shared by threads
    and processes (WAL, a bounded busy wait); in the team's Redis (one key per record, each with its own TTL:
    write with :func:`put_records`); or a plain dict when the session has no file (no cache, ``":memory:"``)
    or the file is read-only. Values are stored as given: callers store JSON text, never anything executable
    such as a pickle. A table in the file never fails its caller
    (:class:`~patsnap_analytics.store.file.GuardedTable`): what the file refuses (a full disk, a damaged or
    held file) is reported through ``health`` and kept in this process's memory.

    Example:
        >>> table = record_table(None, "uploads"); table["k"] = '{"x": 1}'; dict(table)
        {'k': '{"x": 1}'}
    """
    team = team_of(session)
    if team is not None:
        return team.table(table_name)
    db_path = cache_file(session)
    if db_path is None or (health is not None and health.read_only):
        return {}
    health = health or CacheHealth(db_path)
    from .backends import record_dict  # requests-cache's SQLite tables: loaded when a client opens its file

    try:
        primary = record_dict(db_path, table_name)
    except sqlite3.Error as exc:
        health.report(f"the {table_name} table cannot be opened ({exc})", CLEAR_REMEDY)
        primary = None
    return GuardedTable(primary, health, table_name)


def put_records(table: Any, records: Mapping[str, str], *, ttl: timedelta | None) -> None:
    """Write text records kept ``ttl``: in one transaction in the cache file (where readers check the age
    themselves), in one round trip to Redis (where each record also expires on its own), or into a dict.
    ``ttl=None`` keeps them until they are deleted: what a user must never lose by expiry (reviewers' verdicts).

    Example:
        >>> table = {}; put_records(table, {"a": "1", "b": "2"}, ttl=timedelta(days=1)); table
        {'a': '1', 'b': '2'}
    """
    put_many = getattr(table, "put_many", None)
    if put_many is not None:
        put_many(records, None if ttl is None else ttl.total_seconds())
        return
    bulk = getattr(table, "bulk_commit", None)
    with bulk() if bulk else contextlib.nullcontext():
        for key, value in records.items():
            table[key] = value


class LockedRecords:
    """A :func:`record_table` behind a lock, forgotten whole by :meth:`clear`, counted by ``len``: what the upload
    ledger and the patent records keep their records in.

    Example:
        >>> table = LockedRecords(None, "uploads"); len(table)
        0
    """

    def __init__(self, session: Any, table_name: str, health: CacheHealth | None = None) -> None:
        self._lock = threading.Lock()
        self._store: Any = record_table(session, table_name, health)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._store.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)


