"""Per-patent enrichment records: what a basic-patent-data endpoint said about one patent, paid for once.

Enrichment is billed per patent, 100 patents a call, and an analyst meets the same patents again in the next
study, notebook or process. So answers are not cached per HTTP request (a batch of 100 ids is a poor key:
the next study asks for another mix) but per **(host, endpoint, patent id)**, in the cache file beside the
upload ledger (:func:`~patsnap_analytics.store.tables.record_table`; in a team's Redis each record expires with a
Redis TTL of its kind), as JSON text. Each endpoint keeps its records
for its own time (:class:`RecordTTL`): a bibliography 90 days, a legal status 7 days (it changes). A patent
the API does not know is remembered as such for a day, and so is an endpoint the account is not licensed for
(67200004: :class:`Refusals`, the one memory of refusals, which searches read too), so neither costs a call
again the same day.

Example:
    >>> from patsnap_analytics.api import SIMPLE_LEGAL_STATUS
    >>> records = PatentRecords(None)
    >>> records.put("https://h", SIMPLE_LEGAL_STATUS, {"p1": {"simple_legal_status": 1}}, missing=["p2"])
    >>> records.get("https://h", SIMPLE_LEGAL_STATUS, ["p1", "p2", "p3"])
    {'p1': {'simple_legal_status': 1}, 'p2': None}
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .api import ABSTRACT_IMAGE, PATENT_NUMBER_SEARCH, SIMPLE_BIBLIOGRAPHY, Endpoint
from .renames import warn_renamed
from .store.flight import SingleFlight
from .store.health import CacheHealth
from .store.tables import LockedRecords, put_records
from .wire.transport import Transport, parse_json

__all__ = ["RECORD_VERSION", "PatentRecords", "RecordTTL", "RecordedLookup", "Refusals"]

#: Part of every record: records of another shape (an older version of the toolkit) are fetched again.
RECORD_VERSION = 1
# an endpoint's refusal (67200004) is kept under its own key space: a patent key starts with the host (an
# http(s) URL), so no patent id — "*refused*" included — can name a refusal record
_REFUSAL = "refused|"


@dataclass(frozen=True)
class RecordTTL:
    """How long records are trusted: ``bibliography`` (P011, and P069's answer for a patent number: who filed
    it and when do not change), ``legal_status`` (P041 and P013: statuses change), ``drawing`` (P021's signed
    link to a patent's drawing: less than the 9 hours the vendor documents for it), ``not_found`` (a patent
    the API did not know) and ``unlicensed`` (an endpoint that answered 67200004).

    Example:
        >>> from patsnap_analytics.api import LEGAL_STATUS
        >>> RecordTTL().of(LEGAL_STATUS), RecordTTL(legal_status=timedelta(days=1)).of(LEGAL_STATUS).days
        (datetime.timedelta(days=7), 1)
    """

    bibliography: timedelta = timedelta(days=90)
    legal_status: timedelta = timedelta(days=7)
    not_found: timedelta = timedelta(days=1)
    unlicensed: timedelta = timedelta(days=1)
    drawing: timedelta = timedelta(hours=8)

    def of(self, operation: Endpoint) -> timedelta:
        """How long a found patent's record of ``operation`` is kept."""
        if operation is ABSTRACT_IMAGE:
            return self.drawing
        return self.bibliography if operation in (SIMPLE_BIBLIOGRAPHY, PATENT_NUMBER_SEARCH) else self.legal_status


class Refusals:
    """The endpoints that refused this account (67200004: endpoints are licensed one by one), per host, each
    remembered :attr:`RecordTTL.unlicensed` beside the cache (a team shares them), so neither a search nor an
    enrichment pays for the same refusal twice that day. The one memory of refusals: searches, enrichment and
    labelling read and write it.

    Example:
        >>> from patsnap_analytics.api import IMAGE_SINGLE
        >>> refusals = Refusals({})
        >>> refusals.remember("https://h", IMAGE_SINGLE, "no permission")
        >>> refusals.get("https://h", IMAGE_SINGLE)["message"], refusals.get("https://h2", IMAGE_SINGLE)
        ('no permission', None)
    """

    def __init__(self, store: Any, *, ttl: timedelta = RecordTTL.unlicensed, clock: Callable[[], float] = time.time,
                 lock: threading.Lock | None = None) -> None:
        self._store, self.ttl, self._clock, self._lock = store, ttl, clock, lock or threading.Lock()

    @staticmethod
    def _key(host: str, operation: Endpoint) -> str:
        return f"{_REFUSAL}{host}|{operation.name}"

    def get(self, host: str, operation: Endpoint) -> dict[str, Any] | None:
        """The account's remembered refusal of ``operation`` on ``host``: ``{"at", "message"}``, or ``None``."""
        with self._lock:
            record = _parse(self._store.get(self._key(host, operation)))
        if record is None or self._clock() - record["at"] >= self.ttl.total_seconds():
            return None
        return {"at": record["at"], "message": (record["item"] or {}).get("message", "")}

    def remember(self, host: str, operation: Endpoint, message: str) -> None:
        """Remember that the account may not call ``operation`` on ``host`` (for :attr:`ttl`)."""
        text = json.dumps({"v": RECORD_VERSION, "at": self._clock(), "item": {"message": message}})
        with self._lock:
            put_records(self._store, {self._key(host, operation): text}, ttl=self.ttl)


class PatentRecords(LockedRecords):
    """Records keyed (host, endpoint, patent id) in the cache file (a dict without one); thread- and
    process-safe through SQLite's own locking.

    Example:
        >>> from patsnap_analytics.api import LEGAL_STATUS
        >>> now = [0.0]
        >>> records = PatentRecords(None, clock=lambda: now[0])
        >>> records.put("https://h", LEGAL_STATUS, {"p1": {"legal_status": 3}})
        >>> now[0] += 8 * 86400                      # a week and a day later: the legal status may have changed
        >>> records.get("https://h", LEGAL_STATUS, ["p1"])
        {}
    """

    def __init__(self, session: Any, *, ttl: RecordTTL | None = None, clock: Callable[[], float] = time.time,
                 health: CacheHealth | None = None) -> None:
        self.ttl = ttl or RecordTTL()
        self._clock = clock
        super().__init__(session, "patent_records", health)
        #: the endpoints that refused this account (67200004), kept beside the records for ``ttl.unlicensed``
        self.refusals = Refusals(self._store, ttl=self.ttl.unlicensed, clock=clock, lock=self._lock)

    def __len__(self) -> int:
        """The patent records held (the refusals kept in the same table are not patents)."""
        with self._lock:
            return sum(not str(key).startswith(_REFUSAL) for key in self._store)

    @staticmethod
    def _key(host: str, operation: Endpoint, patent_id: str) -> str:
        return f"{host}|{operation.name}|{patent_id}"

    def get(self, host: str, operation: Endpoint, patent_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The fresh records of these patents: ``{id: record}``, ``None`` for a patent the API did not know;
        patents with no fresh record are absent."""
        now = self._clock()
        out: dict[str, dict[str, Any] | None] = {}
        with self._lock:
            raw = {pid: self._store.get(self._key(host, operation, pid)) for pid in dict.fromkeys(patent_ids)}
        for pid, text in raw.items():
            record = _parse(text)
            if record is None:
                continue
            found = record["item"] is not None
            ttl = self.ttl.of(operation) if found else self.ttl.not_found
            if now - record["at"] < ttl.total_seconds():
                out[pid] = record["item"]
        return out

    def put(self, host: str, operation: Endpoint, found: Mapping[str, dict[str, Any]],
            missing: Iterable[str] = ()) -> None:
        """Remember what one answer said: the ``found`` patents' records and the ``missing`` ones (unknown to the
        API, kept :attr:`RecordTTL.not_found`)."""
        now = self._clock()

        def texts(items: Mapping[str, Any]) -> dict[str, str]:
            return {self._key(host, operation, pid): _record_text({"v": RECORD_VERSION, "at": now, "item": item})
                    for pid, item in items.items()}

        unknown = {pid: None for pid in missing if pid not in found}
        with self._lock:  # one transaction (or one Redis round trip) per kind of record, each kept its own time
            put_records(self._store, texts(found), ttl=self.ttl.of(operation))
            put_records(self._store, texts(unknown), ttl=self.ttl.not_found)

    def refusal(self, host: str, operation: Endpoint) -> dict[str, Any] | None:
        """Deprecated spelling of ``refusals.get`` (:class:`Refusals`)."""
        warn_renamed("PatentRecords.refusal()", "PatentRecords.refusals.get()")
        return self.refusals.get(host, operation)

    def remember_refusal(self, host: str, operation: Endpoint, message: str) -> None:
        """Deprecated spelling of ``refusals.remember`` (:class:`Refusals`)."""
        warn_renamed("PatentRecords.remember_refusal()", "PatentRecords.refusals.remember()")
        self.refusals.remember(host, operation, message)



def _record_text(record: dict[str, Any]) -> str:
    """A record as the JSON text kept: orjson (100 records in about a fifth of ``json.dumps``' time); what orjson
    will not write (a lone surrogate of a cut-off character, an integer past 64 bits) the standard library
    writes, escaped to ASCII so that SQLite and Redis keep it as it is.

    Example:
        >>> _record_text({"item": {"title": "Vase"}}), _record_text({"item": {"title": "\\ud83d"}})
        ('{"item":{"title":"Vase"}}', '{"item": {"title": "\\\\ud83d"}}')
    """
    import orjson  # loaded with the first answer (wire/transport.py), not with the package

    try:
        return orjson.dumps(record).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(record, ensure_ascii=True)


def _parse(text: Any) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        record = parse_json(text)
    except (ValueError, RecursionError):
        return None
    ok = isinstance(record, dict) and record.get("v") == RECORD_VERSION and isinstance(record.get("at"), int | float)
    return record if ok else None


class RecordedLookup:
    """What looks patents up through the API and keeps what it said as records, so each is paid for once: the
    ``transport`` to ask (its host names the records), the ``records``, whether the client is ``offline`` and
    the single ``flight`` that keeps two processes from asking for the same thing at once. Enrichment and the
    workflows' patent sources are such lookups.

    Example:
        >>> import requests
        >>> from patsnap_analytics.wire.stats import ClientStats
        >>> from patsnap_analytics.wire.transport import Transport
        >>> t = Transport(requests.Session(), base_url="https://h", auth=None, stats=ClientStats())
        >>> RecordedLookup(t, PatentRecords(None)).host
        'https://h'
    """

    def __init__(self, transport: Transport, records: PatentRecords, *, offline: bool = False,
                 flight: SingleFlight | None = None) -> None:
        self.transport = transport
        self.records = records
        self.offline = offline
        self.flight = flight or SingleFlight()

    @property
    def host(self) -> str:
        """The host asked (records are kept per host)."""
        return self.transport.base_url
