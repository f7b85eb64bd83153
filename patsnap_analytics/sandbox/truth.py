"""A synthetic truth for scoring studies: query drawings made from the generated world's design families,
and graded verdicts for them, always marked synthetic.

A study needs queries whose right answers are known. The generated corpus has design families
(:mod:`.sample`: an original, its registrations in other offices, close variants, copies by other
holders), so a query made from a family's design has a truth by construction:

* **study queries** — the original's drawing (one of its views) degraded as a real query is
  (:mod:`.degrade`: scanned, photographed or cropped). Query ``k`` of seed ``s`` depends on nothing else
  (not on how many are asked for): families with two or more members are taken in a seeded order, one a
  query, and the degradations cycle, so 40 queries of a 300-design corpus span its 22 families and all three
  kinds. Each is named ``study-<seed>-<k>-<subclass>-<kind>.<jpg|png>`` and keyed by
  ``sha256:<hex of its bytes>`` (the query key every study uses);
* **verdicts** — in :data:`patsnap_analytics.codes.VERDICTS`' words: ``same design`` (2) for the family's
  original, registrations and copies, ``similar`` (1) for its close variants, ``different`` (0) for every
  other design of the corpus (the truth is complete: a design it does not list is different). Every row
  says ``verdict_source == "sandbox-synthetic"``.

The sandbox serves them over HTTP (``/_sandbox/study``, ``/_sandbox/truth``: :mod:`.routes_study`) and from
Python (``Sandbox.study_queries``, ``Sandbox.truth``); ``patsnap-analytics sandbox queries DIR --study N``
writes them to a folder.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from patsnap_analytics.sandbox.sample import sample_corpus
    >>> corpus = sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp()))
    >>> queries = study_queries(corpus, 4, seed=1)
    >>> [q.degradation for q in queries], queries[0].key.startswith("sha256:")
    (['scanned', 'photographed', 'cropped', 'scanned'], True)
    >>> truth = truth_frame(corpus, queries[:1])
    >>> sorted(set(truth.verdict)) <= ["same design", "similar"], set(truth.verdict_source)
    (True, {'sandbox-synthetic'})
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from PIL import Image

from ..api import SYNTHETIC_SOURCE
from ..codes import VERDICTS
from .corpus import Corpus
from .degrade import KINDS, degrade

__all__ = ["MAX_KNOWN_QUERIES", "TRUTH_COLUMNS", "VERDICT_OF_ROLE", "VERDICT_SOURCE", "StudyBook", "StudyQuery",
           "StudySet", "UnknownQuery", "families", "query_key", "study_queries", "study_query", "truth_frame"]

#: What every synthetic verdict says it is (the contract with the study side: api.SYNTHETIC_SOURCE).
VERDICT_SOURCE = SYNTHETIC_SOURCE
#: A family member's verdict for a query made from its family's design (every other design: ``different``).
VERDICT_OF_ROLE = {"original": "same design", "registration": "same design", "copy": "same design",
                   "variant": "similar"}
#: The columns of :func:`truth_frame`.
TRUTH_COLUMNS = ("query", "query_key", "patent_id", "patent_pn", "verdict", "relevance", "verdict_source",
                 "family_id", "family_role", "note")
_NOTES = {"original": "the family's first filing, which the query was made from",
          "registration": "the same drawings, filed in another office",
          "copy": "the same design drawn again by another holder",
          "variant": "a close variant: the same product with a small change"}
_STREAM = 7  # the study's random stream (the corpus uses others)
#: Study queries a sandbox remembers (by key, without their images: about 200 bytes each); the oldest go first.
MAX_KNOWN_QUERIES = 100_000


@dataclass(frozen=True)
class StudyQuery:
    """One study query: its name, image bytes and query key; the family and view it was made from, how it
    was degraded, and the seed and number that make it again.

    Example:
        >>> StudyQuery("q.png", b"x", query_key(b"x"), "USD0430001S", 0, "scanned", 0, 0).key[:15]
        'sha256:2d711642'
    """

    name: str
    image: bytes
    key: str
    family_id: str
    design: int
    degradation: str
    seed: int
    index: int


@dataclass(frozen=True)
class StudySet:
    """Study queries and their truth, as ``Sandbox.study_queries`` returns them: ``names``, ``images`` (bytes)
    and ``keys`` in query order, and ``truth`` (:func:`truth_frame`).

    Example:
        >>> q = StudyQuery("q.png", b"x", query_key(b"x"), "F", 0, "scanned", 0, 0)
        >>> s = StudySet([q], pd.DataFrame(columns=list(TRUTH_COLUMNS)))
        >>> s.names, s.images, s.keys == [q.key]
        (['q.png'], [b'x'], True)
    """

    queries: list[StudyQuery]
    truth: pd.DataFrame

    @property
    def names(self) -> list[str]:
        return [q.name for q in self.queries]

    @property
    def images(self) -> list[bytes]:
        return [q.image for q in self.queries]

    @property
    def keys(self) -> list[str]:
        return [q.key for q in self.queries]


def query_key(image: bytes) -> str:
    """The query key of an image (contracts: ``sha256:`` and the lowercase hex of its bytes).

    Example:
        >>> query_key(b"")[:19], len(query_key(b""))
        ('sha256:e3b0c44298fc', 71)
    """
    return "sha256:" + hashlib.sha256(image).hexdigest()


def families(corpus: Corpus) -> list[str]:
    """The corpus's families of two or more designs (their ``family_id``, sorted); none for a corpus
    without families (a user's own drawings).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> len(families(sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp())))) > 3
        True
    """
    ids = corpus.meta["family_id"].astype(str)
    sizes = ids[ids != ""].value_counts()
    return sorted(sizes.index[sizes >= 2])


def study_query(corpus: Corpus, seed: int, index: int, *, order: Sequence[str] | None = None) -> StudyQuery:
    """Query ``index`` (from 0) of the study of ``seed`` (see the module's docstring); ``order``: the
    seeded order of :func:`families`, when already known.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> study_query(c, 1, 2) == study_queries(c, 3, seed=1)[2]
        True
    """
    order = _order(corpus, seed) if order is None else order
    family = order[index % len(order)]
    meta = corpus.meta
    original = int(meta.index[(meta["family_id"] == family) & (meta["family_role"] == "original")][0])
    kind = KINDS[(index + index // len(order)) % len(KINDS)]  # a family's next query is degraded otherwise
    rng = np.random.default_rng([seed, _STREAM, index])
    view = int(rng.integers(int(meta.at[original, "n_views"])))
    with Image.open(corpus.view_path(original, view)) as im:
        image = degrade(im, kind, rng)
    code = str(meta.at[original, "loc"]).split(",")[0]
    ext = "png" if image.startswith(b"\x89PNG") else "jpg"
    return StudyQuery(f"study-{seed}-{index + 1:03d}-{code}-{kind}.{ext}", image, query_key(image), family,
                      original, kind, seed, index)


def study_queries(corpus: Corpus, n: int = 40, *, seed: int = 0) -> list[StudyQuery]:
    """The first ``n`` study queries of ``seed``: ``ValueError`` for a corpus without design families.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> len({q.key for q in study_queries(c, 12)}), study_queries(c, 2)[0].name[:10]
        (12, 'study-0-00')
    """
    if n < 1:
        raise ValueError(f"n: at least 1 study query, got {n}")
    order = _order(corpus, seed)
    return [study_query(corpus, seed, k, order=order) for k in range(n)]


def _order(corpus: Corpus, seed: int) -> list[str]:
    found = families(corpus)
    if not found:
        raise ValueError("this corpus has no design families: study queries and their truth come from the "
                         "generated sample corpus (a user's own drawings have none)")
    return [found[i] for i in np.random.default_rng([seed, _STREAM]).permutation(len(found))]


def truth_frame(corpus: Corpus, queries: Iterable[StudyQuery], *,
                patent_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The graded verdicts of ``queries``: a row per member of each query's family (``same design`` or
    ``similar``), and with ``patent_ids`` (e.g. a search's hits) a ``different`` row for each of those that
    is not a member. Columns :data:`TRUTH_COLUMNS`; ``relevance`` is the verdict's grade in
    :data:`~patsnap_analytics.codes.VERDICTS`.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> q = study_queries(c, 1)
        >>> other = c.meta.patent_id[c.meta.family_id != q[0].family_id].iloc[0]
        >>> t = truth_frame(c, q, patent_ids=[other])
        >>> t.set_index("patent_id").at[other, "verdict"], int(t.relevance.max())
        ('different', 2)
    """
    meta = corpus.meta
    wanted = list(dict.fromkeys(() if patent_ids is None else patent_ids))
    rows = []
    for q in queries:
        members = meta[meta["family_id"] == q.family_id]
        for _, m in members.iterrows():
            verdict = VERDICT_OF_ROLE[str(m["family_role"])]
            rows.append((q.name, q.key, m["patent_id"], m["patent_pn"], verdict, VERDICTS[verdict], VERDICT_SOURCE,
                         q.family_id, m["family_role"], _NOTES[str(m["family_role"])]))
        known = set(members["patent_id"])
        others = meta[meta["patent_id"].isin([p for p in wanted if p not in known])]
        rows += [(q.name, q.key, m["patent_id"], m["patent_pn"], "different", VERDICTS["different"], VERDICT_SOURCE,
                  m["family_id"], m["family_role"], "another design") for _, m in others.iterrows()]
    out = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    out["relevance"] = out["relevance"].astype("int64")
    return out



class UnknownQuery(LookupError):
    """Query keys the sandbox did not generate: it has no truth for them.

    Example:
        >>> str(UnknownQuery(["sha256:00"]))[:44]
        'query_key sha256:00 is not a study query thi'
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        shown = ", ".join(k[:80] for k in self.keys[:3]) + (f" and {len(self.keys) - 3} more" if len(self.keys) > 3 else "")
        super().__init__(f"query_key {shown} is not a study query this sandbox generated: the synthetic truth "
                         f"answers only for the queries it made; get them first (GET /_sandbox/study?n=40&seed=0, "
                         f"or Sandbox.study_queries) and search with their images as they are")


class StudyBook:
    """The study queries one sandbox generated, by key: its truth answers for them and nothing else.

    Generating is deterministic (the same corpus, seed and number give the same images and keys), so a
    sandbox started again answers once the queries are asked for again. Thread-safe; at most
    :data:`MAX_KNOWN_QUERIES` are remembered.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(120, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> book = StudyBook()
        >>> q = book.generate(c, 2, seed=5)
        >>> len(book.truth(c, [q[1].key])) > 1, book.query(c, q[0].key) == q[0]
        (True, True)
        >>> book.truth(c, ["sha256:00"])      # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        patsnap_analytics.sandbox.truth.UnknownQuery: query_key sha256:00 is not a study query ...
    """

    def __init__(self, limit: int = MAX_KNOWN_QUERIES) -> None:
        self._limit = limit
        self._known: OrderedDict[str, StudyQuery] = OrderedDict()
        # each seed's family order, so an image asked for again is made without ranking the corpus's families
        # again (a sandbox's corpus lives as long as its book)
        self._orders: OrderedDict[tuple[int, int], list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def generate(self, corpus: Corpus, n: int, seed: int) -> list[StudyQuery]:
        """:func:`study_queries`, remembered."""
        queries = study_queries(corpus, n, seed=seed)
        with self._lock:
            for q in queries:
                self._known[q.key] = replace(q, image=b"")  # the image is made again when asked for
                self._known.move_to_end(q.key)
            while len(self._known) > self._limit:
                self._known.popitem(last=False)
        return queries

    def known(self, keys: Iterable[str]) -> list[StudyQuery]:
        """The remembered queries of ``keys`` (without images), or :class:`UnknownQuery` naming the others."""
        keys = list(keys)
        with self._lock:
            found = [self._known.get(k) for k in keys]
        missing = [k for k, q in zip(keys, found, strict=True) if q is None]
        if missing:
            raise UnknownQuery(missing)
        return found

    def truth(self, corpus: Corpus, keys: Iterable[str], *, patent_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """:func:`truth_frame` of remembered queries (:class:`UnknownQuery` for any other key)."""
        return truth_frame(corpus, self.known(keys), patent_ids=patent_ids)

    def query(self, corpus: Corpus, key: str) -> StudyQuery | None:
        """A remembered query with its image made again, or None for a key it did not generate."""
        with self._lock:
            q = self._known.get(key)
        return None if q is None else study_query(corpus, q.seed, q.index, order=self._order(corpus, q.seed))

    def _order(self, corpus: Corpus, seed: int) -> list[str]:
        key = (id(corpus), seed)
        with self._lock:
            order = self._orders.get(key)
        if order is None:
            order = _order(corpus, seed)
            with self._lock:
                self._orders[key] = order
                while len(self._orders) > 16:
                    self._orders.popitem(last=False)
        return order
