"""The sandbox's synthetic truth, from the client side: study queries and the graded verdicts of their families.

A scoring study needs queries whose right answers are known. The embedded sandbox makes them from its design
families (``docs/engine.md``) and serves them on routes of its own (:data:`~patsnap_analytics.api.SANDBOX_STUDY`,
:data:`~patsnap_analytics.api.SANDBOX_TRUTH`); this module reads them over HTTP, through the client's session, as
the rest of the client side reads the API (it never imports the sandbox):

* :func:`study_queries` — ``n`` study queries of a ``seed``: their images (checked, named as the sandbox names
  them) with each one's query key, degradation, design family and Locarno subclass;
* :func:`family_truth` — the graded verdicts the sandbox lists for study query keys: the members of each query's
  family (``same design`` or ``similar``); every other design is ``different``
  (:func:`patsnap_analytics.verdicts.synthetic` judges every hit of a results frame with it).

Trust nothing over the wire: every answer is checked against its schema in :mod:`~patsnap_analytics.api`, each
image must hash to the key it was listed under, and each verdict must belong to a key that was asked for and carry
the grade of its word; anything else is a :class:`~patsnap_analytics.errors.ProtocolError` naming the route and
the field, and nothing is kept. On the PatSnap API there is no such truth: a client that is not a sandbox's is
refused before anything is sent (:class:`~patsnap_analytics.errors.ValidationError` naming ``client``).

Cost: no API call. One request for a study (its truth comes with it), one image link per query, and one truth
request per 200 query keys; none of it is billed or counted as a call, and nothing is cached.

Example:
    >>> from types import SimpleNamespace
    >>> study_queries(SimpleNamespace(source="patsnap", offline=False), 40)
    Traceback (most recent call last):
    ...
    patsnap_analytics.errors.ValidationError: client: the synthetic truth exists only on the sandbox (its study queries are made from its generated design families); this client talks to the PatSnap API: connect to the sandbox (pa.connect() without credentials, or pa.connect(sandbox=True)), or judge real hits with reviewers' verdicts (pa.exports.reviewer_workbook, client.verdicts.load)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import requests

from .api import (
    MAX_STUDY_QUERIES,
    MAX_TRUTH_KEYS,
    SANDBOX_HEADER,
    SANDBOX_STUDY,
    SANDBOX_STUDY_IMAGES,
    SANDBOX_TRUTH,
    Endpoint,
)
from .codes import VERDICTS
from .errors import OfflineCacheMiss, ProtocolError, ValidationError
from .images import ImageRef
from .wire.http_limits import exchange
from .wire.transport import Transport, read_envelope

if TYPE_CHECKING:
    from .wire.stats import ClientStats

__all__ = ["STUDY_COLUMNS", "TRUTH_COLUMNS", "SandboxClient", "family_truth", "study_queries"]

#: The columns of :func:`study_queries`' frame (``image`` holds each query's checked :class:`ImageRef`).
STUDY_COLUMNS = ("query", "query_key", "degradation", "family_id", "loc", "image")
#: The columns of :func:`family_truth`'s frame.
TRUTH_COLUMNS = ("query_key", "patent_id", "patent_pn", "verdict", "relevance", "family_id", "family_role", "note")


class SandboxClient(Protocol):
    """What this module uses of :class:`patsnap_analytics.client.Client` (it sits below the facade)."""

    base_url: str
    session: requests.Session
    transport: Transport
    stats: ClientStats
    offline: bool

    @property
    def source(self) -> str: ...


def _refuse_unless_sandbox(client: SandboxClient) -> None:
    """Decide before sending anything: only a sandbox's client has a synthetic truth to ask for."""
    if client.source != "sandbox":
        raise ValidationError("client", "the synthetic truth exists only on the sandbox (its study queries are made "
                                        "from its generated design families); this client talks to the PatSnap API: "
                                        "connect to the sandbox (pa.connect() without credentials, or "
                                        "pa.connect(sandbox=True)), or judge real hits with reviewers' verdicts "
                                        "(pa.exports.reviewer_workbook, client.verdicts.load)")
    if client.offline:
        raise OfflineCacheMiss("the synthetic truth is the running sandbox's and is never cached: connect to it "
                               "without offline=True")


def _get(client: SandboxClient, endpoint: Endpoint, params: Any) -> Any:
    """One GET of a sandbox route, with an API call's limits (deadline, size cap, no redirect) and no credential
    (the routes need none); its envelope and data checked. It is not an API call: nothing counts or stores it."""
    request = requests.Request("GET", client.base_url + endpoint.path, params=params,
                               headers={"Cache-Control": "no-store"}).prepare()  # never kept by a cached session
    answer = exchange(client.session, request, where=endpoint.path, timeout=client.transport.timeout)
    data = read_envelope(answer, endpoint)
    if answer.headers.get(SANDBOX_HEADER) != "1":
        raise ProtocolError(endpoint.path, "headers", f"lack {SANDBOX_HEADER}: 1, so this is not the sandbox's answer "
                                                      "and its verdicts cannot be trusted as the synthetic truth")
    return data


def study_queries(client: SandboxClient, n: int = 40, *, seed: int = 0) -> pd.DataFrame:
    """The first ``n`` study queries of ``seed`` (the same seed gives the same queries, and query ``k`` does not
    depend on ``n``): one row per query with ``query`` (its name), ``query_key``, ``degradation`` (scanned,
    photographed or cropped), ``family_id``, ``loc`` and ``image`` (an :class:`ImageRef` named ``query``; search
    them with ``client.search_many(study["image"])``). The sandbox then answers the truth of these keys.

    Cost: no API call: one request to the sandbox and one image link per query (counted in
    ``client.stats`` as image downloads).

    Example:
        >>> study_queries(None, 0)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: n: must be an integer from 1 to 250 (study queries a request makes; take several seeds for more), got 0
    """
    _whole("n", n, 1, MAX_STUDY_QUERIES, " (study queries a request makes; take several seeds for more)")
    _whole("seed", seed, 0, 2**32 - 1)
    _refuse_unless_sandbox(client)
    data = _get(client, SANDBOX_STUDY, {"n": n, "seed": seed})
    rows = data["queries"]
    if len({r["query_key"] for r in rows}) != len(rows) or len(rows) != n:
        raise ProtocolError(SANDBOX_STUDY.path, "data.queries", f"must list {n} distinct queries, got {len(rows)} "
                                                                f"with {len({r['query_key'] for r in rows})} keys")
    images = [_image(client, row, i) for i, row in enumerate(rows)]
    return pd.DataFrame({"query": [r["name"] for r in rows], "query_key": [r["query_key"] for r in rows],
                         "degradation": [r.get("degradation") for r in rows],
                         "family_id": [r.get("family_id") for r in rows], "loc": [r.get("loc") for r in rows],
                         "image": images}).astype({c: "string" for c in STUDY_COLUMNS[:-1]})


def _whole(name: str, value: object, low: int, high: int, why: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(name, f"must be an integer from {low} to {high}{why}, got {value!r}")


def _image(client: SandboxClient, row: dict[str, Any], index: int) -> ImageRef:
    """A study query's image, fetched from the sandbox's own address for its key (never from a link the answer
    gives: an answer cannot send the client elsewhere) and checked: a JPG/PNG that hashes to its key."""
    key, name = row["query_key"], row["name"]
    where = f"{SANDBOX_STUDY_IMAGES}/…"
    request = requests.Request("GET", f"{client.base_url}{SANDBOX_STUDY_IMAGES}/{key[7:]}.{name[-3:]}",
                               headers={"Cache-Control": "no-store"}).prepare()
    answer = exchange(client.session, request, where=where, timeout=client.transport.timeout)
    client.stats.count_image_download()  # an image link, as a result's thumbnail: not an API call
    field = f"data.queries[{index}]"
    if answer.status_code != 200 or "sha256:" + hashlib.sha256(answer.content).hexdigest() != key:
        raise ProtocolError(SANDBOX_STUDY.path, f"{field}.query_key", f"does not match its image (HTTP "
                                                                      f"{answer.status_code}): the study is not usable")
    try:
        return ImageRef.from_bytes(answer.content, name=name)
    except ValidationError as exc:  # the bytes its key names, but not an image a search takes
        raise ProtocolError(SANDBOX_STUDY.path, f"{field}.image", str(exc)) from None


def family_truth(client: SandboxClient, keys: Iterable[str]) -> pd.DataFrame:
    """The graded verdicts the sandbox lists for these study query keys — the members of each query's design
    family, ``same design`` (2) or ``similar`` (1) — as a frame of :data:`TRUTH_COLUMNS`. A design not listed for
    a key is ``different``. A key the sandbox did not generate is refused by it (its parameter error, naming the
    key and how to get the study first); a key that is not ``sha256:`` of an image is refused before any request.

    Cost: no API call: one request to the sandbox per 200 keys.

    Example:
        >>> family_truth(None, ["url:https://example.com/chair.png"])
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: query_key: 'url:https://example.com/chair.png' is not a study query: the synthetic truth answers only for the sandbox's study images searched as they are (pa.demo.study_queries)
    """
    wanted = list(dict.fromkeys(str(k) for k in keys))
    bad = next((k for k in wanted if not (k.startswith("sha256:") and len(k) == 71 and "+" not in k)), None)
    if bad is not None:
        raise ValidationError("query_key", f"{bad[:80]!r} is not a study query: the synthetic truth answers only for "
                                           "the sandbox's study images searched as they are (pa.demo.study_queries)")
    _refuse_unless_sandbox(client)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), MAX_TRUTH_KEYS):
        chunk = wanted[start:start + MAX_TRUTH_KEYS]
        data = _get(client, SANDBOX_TRUTH, [("query_key", k) for k in chunk])
        rows += _checked_verdicts(data["verdicts"], set(chunk))
    return _truth_frame(rows)


def _checked_verdicts(verdicts: Sequence[dict[str, Any]], asked: set[str]) -> list[dict[str, Any]]:
    """The verdicts of an answer: each for a key that was asked for, with its word's grade, once per hit."""
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(verdicts):
        field = f"data.verdicts[{i}]"
        if row["query_key"] not in asked:
            raise ProtocolError(SANDBOX_TRUTH.path, f"{field}.query_key", "names a query that was not asked for")
        if VERDICTS[row["verdict"]] != row["relevance"]:
            raise ProtocolError(SANDBOX_TRUTH.path, f"{field}.relevance", f"{row['relevance']!r} is not the grade "
                                                                          f"of {row['verdict']!r}")
        hit = (row["query_key"], row["patent_id"])
        if hit in seen:
            raise ProtocolError(SANDBOX_TRUTH.path, f"{field}.patent_id", "judges a hit a second time")
        seen.add(hit)
    return list(verdicts)


def _truth_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: r.get(c) for c in TRUTH_COLUMNS} for r in rows], columns=list(TRUTH_COLUMNS))
    return frame.astype({**{c: "string" for c in TRUTH_COLUMNS}, "relevance": "Int64"})
