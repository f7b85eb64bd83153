"""The cached HTTP session: which storage holds the answers, chosen once, and a session the caller brought.

* **The storage** (:func:`make_session`): the SQLite file of one person by default (JSON, requests-cache's
  ``json`` serializer, never pickles, so a tampered row cannot run code when it is read); a team's Redis
  (``cache="redis://host:6379/0"`` or ``PATSNAP_CACHE_URL``: the same rules, the same JSON, through
  requests-cache's Redis backend, answers expiring with Redis TTLs; the connection and its health:
  :class:`~patsnap_analytics.store.team.Team`); ``":memory:"``; or none. A file the user cannot write is read
  only (:func:`~patsnap_analytics.store.backends.read_only_backend`); a file that is not this toolkit's cache, or not
  a usable database, is reported once (:class:`~patsnap_analytics.store.health.CacheHealth`) and answers are
  kept in memory instead.
* **A session the caller brought** is wrapped, never rewritten (:func:`wrap_session`).
* **Clearing** (:func:`clear_storage`) empties only what is recognisably this toolkit's cache.

Example:
    >>> from patsnap_analytics.store.keys import SearchKeyer
    >>> type(make_session(False, SearchKeyer())).__name__, cache_file(make_session(":memory:", SearchKeyer()))
    ('Session', None)
"""

from __future__ import annotations

import copy
import os
import sqlite3
from pathlib import Path
from typing import Any

import requests

from ..errors import ValidationError
from ..settings import Settings, is_redis_url
from .file import CLEAR_REMEDY, foreign, mark
from .health import CacheHealth
from .keys import SearchKeyer, cache_settings

__all__ = ["REDIS_TTL_OFFSET", "cache_file", "clear_storage", "make_session", "team_of", "wrap_session"]

#: Seconds Redis keeps an answer past its expiry (requests-cache's ``ttl_offset``): an answer read just before it
#: expires is still there to read; nothing is ever served past its expiry.
REDIS_TTL_OFFSET = 60


def make_session(cache: Any, keyer: SearchKeyer, *, default_path: Path | None = None,
                 default_url: str | None = None, health: CacheHealth | None = None) -> requests.Session:
    """A requests-cache ``CachedSession`` configured by :func:`~patsnap_analytics.store.keys.cache_settings`, or a
    plain session.

    ``cache`` chooses the storage: ``True`` (the team's Redis when ``default_url`` — ``PATSNAP_CACHE_URL`` — is
    set, else the file at ``default_path``, by default in the user cache directory), a path, a Redis URL
    (``redis://host:6379/0``) or a :class:`~patsnap_analytics.store.team.Team`, ``":memory:"`` (kept in this process
    only) or ``False``/``None`` (no caching). Files and Redis hold JSON. A file in a folder the user cannot
    write is opened read-only (answers are read, none stored); a file that is not a usable SQLite database is
    reported once through ``health`` and the session caches in memory instead (``patsnap-analytics cache
    clear`` starts a new file). A Redis that cannot be reached raises
    :class:`~patsnap_analytics.errors.CacheStorageError` naming its URL (without credentials).

    Example:
        >>> type(make_session(False, SearchKeyer())).__name__, type(make_session(":memory:", SearchKeyer())).__name__
        ('Session', 'CachedSession')
    """
    if cache is False or cache is None:
        return requests.Session()
    from requests_cache import CachedSession

    settings = cache_settings(keyer)
    if cache == ":memory:":
        return CachedSession(backend="memory", **settings)
    if cache is True and default_url is None and default_path is None:
        default_url = Settings.from_env().cache_url
    team = default_url if cache is True else cache
    if _is_team(team):
        return CachedSession(backend=_team_backend(team), **settings)
    path = (default_path or Settings.from_env().cache_file) if cache is True else Path(cache).expanduser()
    return _file_session(path, settings, health or CacheHealth(path))


def _is_team(cache: Any) -> bool:
    """Whether ``cache`` names a team's Redis: a Redis URL or a :class:`~patsnap_analytics.store.team.Team`."""
    if is_redis_url(cache):
        return True
    if isinstance(cache, (bool, str, os.PathLike)) or cache is None:
        return False
    from .team import Team

    return isinstance(cache, Team)


def _team_backend(team: Any) -> Any:
    """requests-cache's Redis backend on the team's connection, JSON-serialised, each answer expiring with a
    Redis TTL; its two tables fall back to this process's memory if Redis stops answering mid-run."""
    from requests_cache.backends.redis import RedisCache

    from .team import FailoverStorage, Team

    team = (team if isinstance(team, Team) else Team(team)).connect()
    backend = RedisCache(namespace=team.key("responses"), connection=team.redis, serializer="json", ttl=True,
                         ttl_offset=REDIS_TTL_OFFSET)
    backend.responses = FailoverStorage(team, backend.responses, "reading or storing an answer")
    backend.redirects = FailoverStorage(team, backend.redirects, "reading or storing an answer")
    backend.team = team
    return backend


def team_of(session: Any) -> Any:
    """The :class:`~patsnap_analytics.store.team.Team` whose Redis holds ``session``'s cache, or ``None``.

    Example:
        >>> team_of(requests.Session()) is None
        True
    """
    return getattr(getattr(session, "cache", None), "team", None)


def _file_session(path: Path, settings: dict[str, Any], health: CacheHealth) -> requests.Session:
    """The cached session on the SQLite file at ``path`` (read-only, or in memory, when it cannot be used; a file
    that is not recognisably this toolkit's cache is never opened for writing)."""
    from requests_cache import CachedSession

    from .backends import SQLiteFileCache, read_only_backend  # requests-cache's backends: loaded when used

    health.path = path
    what = None if _is_default_file(path) else foreign(path)  # only the toolkit writes the default
    if what is not None:
        health.foreign = what
        health.report(f"it is not a patsnap-analytics cache but {what}, so nothing is written to it",
                      "give the cache a file of its own (cache=..., PATSNAP_CACHE_DIR); answers are kept in memory "
                      "until then")
        return CachedSession(backend="memory", **settings)
    if not _writable(path):
        if path.is_file():
            health.read_only = True
            try:
                return CachedSession(backend=read_only_backend(path), read_only=True, **settings)
            except sqlite3.Error as exc:
                health.report(f"it cannot be read ({exc})", CLEAR_REMEDY)
                return CachedSession(backend="memory", **settings)
        health.report("the cache folder cannot be written", "give a writable folder (cache=... or "
                      "PATSNAP_CACHE_DIR); answers are kept in memory until then")
        return CachedSession(backend="memory", **settings)
    try:
        # WAL + a bounded busy wait: many threads (and a second notebook) share one file without "database is
        # locked", and a damaged or held file is reported after seconds, not waited for without end
        session = CachedSession(backend=SQLiteFileCache(path), **settings)
    except sqlite3.Error as exc:
        health.report(f"it is not a usable SQLite database ({exc})", CLEAR_REMEDY)
        return CachedSession(backend="memory", **settings)
    mark(path)
    return session



def _writable(path: Path) -> bool:
    """Whether the cache file can be created or written (tried, not guessed from permission bits)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
        probe = path.with_name(path.name + ".probe")
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True



def clear_storage(session: Any, path: Path | None) -> None:
    """Empty the cache; a file that cannot be emptied (corrupt, truncated) is deleted, WAL files included.

    Only what is recognisably this toolkit's cache is cleared (:func:`~patsnap_analytics.store.file.foreign`;
    the default cache file in the user cache directory always is): anything else — a text file, a CSV,
    another application's database — raises :class:`~patsnap_analytics.errors.ValidationError` naming it,
    with nothing touched.

    Example:
        >>> clear_storage(requests.Session(), None)   # no cache: nothing to do
        >>> import tempfile
        >>> notes = Path(tempfile.mkdtemp()) / "notes.txt"; _ = notes.write_text("keep me")
        >>> clear_storage(requests.Session(), notes)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: cache: ... is not a patsnap-analytics cache but a file that is not an SQLite database (7 bytes); nothing was cleared. Give the path of a cache file (`patsnap-analytics cache info` shows the default one)
    """
    what = foreign(path) if path is not None and not _is_default_file(path) else None
    if what is not None:
        raise ValidationError("cache", f"{path} is not a patsnap-analytics cache but {what}; nothing was cleared. "
                                       "Give the path of a cache file (`patsnap-analytics cache info` shows the "
                                       "default one)")
    cache = getattr(session, "cache", None)
    try:
        if cache is not None and cache_file(session) == path:
            cache.clear()
            return
    except (sqlite3.Error, OSError):
        pass
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def wrap_session(session: requests.Session, keyer: SearchKeyer) -> requests.Session:
    """A session the caller brought, made safe without changing it.

    A requests-cache session is *wrapped*: a new ``CachedSession`` shares its adapters, headers and storage
    but has its own settings (:func:`~patsnap_analytics.store.keys.cache_settings`), so even a session that would store POSTs or errors
    never stores a secret or a failed answer through us, and the caller's own session keeps its settings.
    A plain ``requests.Session`` is used as it is: the caller chose not to cache.

    Example:
        >>> from requests_cache import CachedSession
        >>> own = CachedSession(backend="memory", allowable_methods=("GET", "HEAD"))
        >>> ours = wrap_session(own, SearchKeyer())
        >>> own.settings.allowable_methods, ours.settings.allowable_methods, ours.cache.responses is own.cache.responses
        (('GET', 'HEAD'), ('GET',), True)
    """
    if not hasattr(session, "cache"):
        return session
    from requests_cache import CachedSession

    # a shallow copy of the backend shares its storage but not its settings (requests-cache keeps the
    # settings on the backend object, so passing the caller's backend itself would rewrite theirs)
    return CachedSession.wrap(session, backend=copy.copy(session.cache), **cache_settings(keyer))


def _is_default_file(path: Path) -> bool:
    """Whether ``path`` is the default cache file (in the user cache directory: only this toolkit writes there)."""
    try:
        return path.resolve() == Settings.from_env().cache_file.resolve()
    except OSError:
        return False


def cache_file(session: Any) -> Path | None:
    """The SQLite file behind a requests-cache session, or ``None`` (no cache, or a non-file backend).

    Example:
        >>> cache_file(requests.Session()) is None
        True
    """
    try:
        path = getattr(getattr(session, "cache", None), "db_path", None)
    except NotImplementedError:  # requests-cache's in-memory backend has no file
        return None
    return Path(path) if path and str(path) != ":memory:" else None


