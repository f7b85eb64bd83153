"""The cache file on disk: recognised before it is touched, locked for a bounded time, never failing its caller.

An analyst's cache file sits among their other files, so three rules protect what is not ours and what is:

* **Recognised before it is touched** (:func:`foreign`): every cache file carries this toolkit's mark, the SQLite
  application id :data:`APPLICATION_ID` in its header (files written before the mark are recognised by their
  tables). A text file, a CSV or another application's SQLite database given as a cache is never written to,
  and ``cache clear`` refuses it (it used to replace ``notes.txt`` with an empty database and add four tables to
  another program's database).
* **Locked for a bounded time** (:class:`~patsnap_analytics.store.backends.BoundedSQLiteDict`): requests-cache retries ``BEGIN IMMEDIATE`` for as
  long as it fails, whatever the error, so a damaged file (a ``-wal`` left by another process beside a new base
  file answers "disk I/O error" for ever) held a second client for minutes. Here a busy file is waited for at
  most :data:`LOCK_WAIT` seconds and any other error is raised at once, for the caller to report; a write that
  fails is rolled back and raised, never dropped silently.
* **Never failing its caller** (:class:`GuardedTable`): a record table (the upload ledger, enrichment records)
  whose file refuses a read or a write says so once through the client's
  :class:`~patsnap_analytics.store.health.CacheHealth` and keeps the record in this process's memory, so a full disk
  costs one upload per image, not one per search.

Example:
    >>> import tempfile, pathlib
    >>> notes = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = notes.write_text("meeting at 10")
    >>> foreign(notes)
    'a file that is not an SQLite database (13 bytes)'
    >>> foreign(notes.with_name("new.sqlite")) is None   # a file that does not exist yet may become a cache
    True
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["APPLICATION_ID", "BUSY_REMEDY", "CLEAR_REMEDY", "KNOWN_TABLES", "LOCK_WAIT", "GuardedTable",
           "foreign", "mark", "read_only_connection", "space_remedy", "write_remedy"]

#: The SQLite application id written into every cache file's header ("PSNA"): how a file is known to be ours.
APPLICATION_ID = 0x50534E41
#: The tables of cache files written before the mark (requests-cache's two and the toolkit's record tables).
KNOWN_TABLES = frozenset({"responses", "redirects", "uploads", "patent_records"})
#: Seconds a write waits for a cache file another connection holds, at most (requests-cache waits for ever).
LOCK_WAIT = 10.0
#: What to do about a cache file that cannot be used.
CLEAR_REMEDY = "run `patsnap-analytics cache clear` (or client.clear_cache()) to start a new cache file"
_SQLITE_MAGIC = b"SQLite format 3\x00"


#: What to do when the cache file stayed busy past :data:`LOCK_WAIT` (another process or thread writing to it).
BUSY_REMEDY = ("another program kept the cache file busy for over 10 s: let a long write (a `cache clear`, another "
               "notebook's batch) finish, or give this work a cache file of its own (cache=\"...\")")


def write_remedy(exc: BaseException, path: Path | None) -> str:
    """What to do when the cache file refused a write with ``exc``: wait or move for a busy file, free space
    otherwise (a full disk is the usual cause).

    Example:
        >>> write_remedy(sqlite3.OperationalError("database is locked"), None)[:40]
        'another program kept the cache file busy'
    """
    text = str(exc).lower()
    return BUSY_REMEDY if "locked" in text or "busy" in text else space_remedy(path)


def space_remedy(path: Path | None) -> str:
    """What to do when the disk refused a write: free space (how much is free there), or move the cache.

    Example:
        >>> space_remedy(None)
        'free some memory'
    """
    if path is None:
        return "free some memory"
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return "free some disk space"
    return f"free some disk space ({free / 2**20:.1f} MB free there) or move the cache (PATSNAP_CACHE_DIR)"


# ---------------------------------------------------------------------------------------------- recognising

def read_only_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` that has read its schema: read-only first (it sees answers still in
    the WAL file), immutable when even that cannot be opened (a WAL file in a folder one cannot write).

    Raises :class:`sqlite3.OperationalError` when the file cannot be read as a database at all.
    """
    for options in ("mode=ro", "mode=ro&immutable=1"):
        db = sqlite3.connect(f"file:{quote(str(path))}?{options}", uri=True, check_same_thread=False)
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.Error:
            db.close()
    raise sqlite3.OperationalError(f"{path} cannot be opened read-only")


def foreign(path: Path) -> str | None:
    """What ``path`` is when it is not recognisably this toolkit's cache file, else ``None``.

    Ours: a file that does not exist yet or is empty, one carrying the mark (:data:`APPLICATION_ID`, read
    from the header itself when the file is too damaged to open: a truncated cache is still recognised), an
    SQLite database without tables, or one holding only :data:`KNOWN_TABLES` (written before the mark).
    Anything else — a text file, a CSV, another application's database — is described, never opened for
    writing. Nothing is written.

    Example:
        >>> import tempfile, pathlib
        >>> other = pathlib.Path(tempfile.mkdtemp()) / "app.db"
        >>> with contextlib.closing(sqlite3.connect(other)) as db:
        ...     _ = db.execute("CREATE TABLE users (name TEXT)")
        >>> foreign(other)
        "another application's SQLite database (tables: users)"
    """
    try:
        if not path.exists():
            return None
        if not path.is_file():
            return "not a regular file"
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        return f"a file that cannot be read ({exc.strerror or exc})"
    if not head:
        return None
    if not head.startswith(_SQLITE_MAGIC):
        return f"a file that is not an SQLite database ({path.stat().st_size:,} bytes)"
    if int.from_bytes(head[68:72], "big") == APPLICATION_ID:
        return None
    try:
        with contextlib.closing(read_only_connection(path)) as db:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return "an SQLite database that cannot be read and does not carry this toolkit's mark"
    if app_id == APPLICATION_ID or (app_id == 0 and (not tables or ("responses" in tables
                                                                     and tables <= KNOWN_TABLES))):
        return None
    others = sorted(tables - KNOWN_TABLES)
    shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
    return f"another application's SQLite database ({f'tables: {shown}' if others else f'application id {app_id}'})"


def mark(path: Path) -> None:
    """Write the toolkit's mark into the header of the cache file at ``path`` (once; a checkpoint moves it from
    the WAL into the file itself, so even a truncated file is recognised). A file that cannot take it (full
    disk, read-only) stays unmarked: its tables still say what it is."""
    with contextlib.suppress(sqlite3.Error), contextlib.closing(
            sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)) as db:
        if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")


# ---------------------------------------------------------------------------------------------- guarded tables

class GuardedTable(MutableMapping):
    """A record table in the cache file that never fails its caller.

    A read or write the file refuses is reported through ``health`` (a
    :class:`~patsnap_analytics.store.health.CacheHealth`: said once, counted) and done in this process's memory instead,
    so what was paid for is still remembered until the process ends. A full disk is tried again on the next
    write (space may come back); any other failure (damaged, locked past :data:`LOCK_WAIT`) leaves the table in
    memory for the rest of the session, so no later call waits for the file again. A record kept in memory wins
    over the file's (it is the newer).

    Example:
        >>> from patsnap_analytics.store.health import CacheHealth
        >>> table = GuardedTable(None, CacheHealth(), "uploads")   # no file: memory only
        >>> table["k"] = "v"; dict(table), len(table)
        ({'k': 'v'}, 1)
    """

    def __init__(self, primary: Any, health: Any, name: str) -> None:
        self.primary = primary
        self.health = health
        self.name = name
        self.local: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _file(self, operation: Callable[[], Any], doing: str) -> tuple[bool, Any]:
        """``(True, result)`` of ``operation`` on the file, or ``(False, None)`` when the file refused it."""
        primary = self.primary
        if primary is None:
            return False, None
        try:
            return True, operation()
        except (sqlite3.Error, OSError) as exc:
            full = "full" in str(exc).lower()
            if not full:
                self.primary = None  # damaged or held: never wait for it again in this session
            self.health.report(f"the {self.name} table could not be {doing} ({exc})",
                               space_remedy(self.health.path) if full else CLEAR_REMEDY)
            return False, None

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            if key in self.local:
                return self.local[key]
        _, value = self._file(lambda: self.primary.get(key), "read")
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.put_many({key: value}, 0)

    def put_many(self, records: Mapping[str, Any], ttl: float) -> None:
        """Write ``records`` in one transaction (``ttl`` is for Redis tables: here readers check the age)."""
        def write() -> None:
            with self.primary.bulk_commit():
                for key, value in records.items():
                    self.primary[key] = value

        done, _ = self._file(write, "written")
        with self._lock:
            for key, value in records.items():
                if done:
                    self.local.pop(key, None)
                else:
                    self.local[key] = value

    def __delitem__(self, key: str) -> None:
        with self._lock:
            had = self.local.pop(key, None) is not None
        done, _ = self._file(lambda: self.primary.pop(key, None), "written")
        if not had and not done:
            raise KeyError(key)

    def _keys(self) -> set[str]:
        _, keys = self._file(lambda: list(self.primary.keys()), "read")
        with self._lock:
            return set(keys or ()) | set(self.local)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def clear(self) -> None:
        self._file(lambda: self.primary.clear(), "cleared")
        with self._lock:
            self.local.clear()
