"""The sandbox's search engine: similar drawings in two stages, filters with the API's meaning, exact top-k.

**Stage 1, every design.** A query is described at a few small rotations (:mod:`.features`; the drawing is
first made a soft ink map by :mod:`.ink`, whatever blur, noise, scan background or JPEG did to it), and
each rotation is compared with every view of the index (:mod:`.index`) by cosine; a view scores as its best
rotation, a design as its best view. This finds what a query looks like. In a corpus of more than
:data:`SHORTLIST` designs, one pass with the mean of the rotations' features scores every design (a mean of
cosines, never above their best), and only the :data:`SHORTLIST` best are scored by their best rotation.

**Stage 2, the best few.** The :data:`RERANK` designs that score highest are verified geometrically
(:mod:`.verify`): the query is aligned onto each one's best view and compared pixel by pixel, which tells a
design from its near twins when the query is rotated, rescaled, cropped and degraded all at once.

**One scale.** A design's score puts both stages on one scale fitted on the corpus itself (:mod:`.scale`):
its cosine and, if verified, its alignment (else the alignment its cosine predicts), so there is no step
between the verified designs and the rest, and a scan of a design scores about 0.95 for that design, 0.5
for a typical design of its subclass, 0.2 for one of another class. A drawing searched for itself scores
1; every score is in [0, 1]. ``docs/engine.md`` has the measured gains, costs and distributions.

Filters keep the API's meaning and are evaluated as NumPy masks over designs. Every design's score is
computed for every search, whatever the filters, and the designs verified are the best few of *all* designs,
so a design's score never depends on the filters — that is what makes "labelling by a filter" exact (a
result ranked r unfiltered ranks <= r filtered).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from patsnap_analytics.query import DesignQuery
    >>> from patsnap_analytics.sandbox.sample import sample_corpus
    >>> engine = Engine(sample_corpus(40, seed=4, cache_dir=Path(tempfile.mkdtemp())))
    >>> result = engine.search(engine.corpus.view_path(7, 0).read_bytes(), DesignQuery(limit=3))
    >>> result.hits[0].design, round(result.hits[0].score, 4), result.total
    (7, 1.0, 40)
"""

from __future__ import annotations

import bisect
import contextlib
import json
import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from PIL import Image

from ..loc import code_matches
from ..query import DesignQuery
from .corpus import Corpus, source_fingerprint
from .degrade import scanned
from .features import ANGLES, SIDE, QueryFeature, describe, query_description
from .index import FEATURE_VERSION, load_or_build, to_map_bytes, view_paths, write_atomic
from .ink import ink_map, square, strokes
from .scale import DEFAULT, Samples, Scale, fit
from .verify import alignment_score

__all__ = ["FEATURE_VERSION", "RERANK", "SCALE_VERSION", "SHORTLIST", "Engine", "Hit", "QueryFeature", "SearchResult",
           "describe", "normalise"]

#: How many of the best designs (by stage 1, over all designs) are verified geometrically in every search:
#: about 0.6 ms each. In benchmarks/bench_engine_quality.py the true design is within the first 10 of
#: stage 1 for every combined-distortion query; a few more cover larger corpora.
RERANK = 16
#: Changes whenever the code deciding a fitted scale changes (the scale is cached next to the index).
SCALE_VERSION = FEATURE_VERSION + "-" + source_fingerprint("scale.py", "engine.py", "verify.py", "degrade.py")
_SCALE_FILE = "score-scale.json"
_SCALE_QUERIES = 40  # scans of corpus drawings the scale is fitted on (about 20 ms each)
_SCALE_SEED = 20250  # their designs, views and distortions
_SCALE_DRAWS = 200  # designs of each kind a scan's cosines are sampled from
_SCALE_MIN_DESIGNS = 50  # smaller corpora use scale.DEFAULT
#: In corpora of more designs than this, a design scores by its best rotation of the query only if it is
#: among this many best by their mean (the others keep the mean): 9x less arithmetic over the whole index.
SHORTLIST = 2000
_SEPARATOR = "\x00"  # ends each design's searchable text; never inside a keyword match


def normalise(image: bytes | np.ndarray | Image.Image, side: int = SIDE) -> np.ndarray:
    """A drawing as a ``side`` x ``side`` float32 ink map in [0, 1] (1 = ink), cropped to the design.

    Example:
        >>> im = Image.new("L", (300, 200), 255)
        >>> from PIL import ImageDraw
        >>> ImageDraw.Draw(im).rectangle((50, 50, 150, 100), outline=0, width=3)
        >>> m = normalise(im)
        >>> m.shape, m.dtype, float(m.max()) > 0.5
        ((64, 64), dtype('float32'), True)
    """
    return square(strokes(ink_map(image)), side)


# --- results ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    """One result: design number (row of ``corpus.meta``), its best view, and the score (None if date-sorted).

    Example:
        >>> Hit(design=3, view=1, score=0.92)
        Hit(design=3, view=1, score=0.92)
    """

    design: int
    view: int
    score: float | None


@dataclass(frozen=True)
class SearchResult:
    """Hits in the order the query asks for, and ``total``: how many designs match the filters.

    Example:
        >>> SearchResult(hits=[], total=0).total
        0
    """

    hits: list[Hit]
    total: int


class Engine:
    """Search a :class:`Corpus` by drawing, with the API's filters and sort orders.

    The index (:mod:`.index`) is loaded from the files next to the corpus, or built (and saved there) on
    first use, and so is the corpus's :attr:`scale` (:mod:`.scale`). A search reads the whole feature matrix
    once and verifies :data:`RERANK` designs.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> engine = Engine(sample_corpus(30, seed=4, cache_dir=Path(tempfile.mkdtemp())))
        >>> q = DesignQuery(country=["CN"], field="APD", order="asc", limit=2)
        >>> r = engine.search(engine.corpus.view_path(0).read_bytes(), q)
        >>> r.total == int(engine.filter_mask(q).sum()), [h.score for h in r.hits]
        (True, [None, None])
    """

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        meta = corpus.meta
        self._n = len(meta)
        n_views = meta["n_views"].to_numpy(dtype=np.int64)
        if self._n == 0 or (n_views < 1).any():
            raise ValueError("corpus: every design needs at least one view")
        self._starts = np.concatenate([[0], np.cumsum(n_views)[:-1]])
        self._n_views = n_views
        self._index = load_or_build(corpus.root, view_paths(corpus))
        self._features = self._index.features  # views x dims
        self._prepare_filters(meta)
        self.scale: Scale = self._load_or_fit_scale()

    # -- scores --

    def query_feature(self, image: bytes | np.ndarray | Image.Image) -> QueryFeature:
        """The query as :meth:`scores_for` searches with it: its features at every angle of
        :data:`~.features.ANGLES` in the index's space, and its verification map. Decoding and describing
        take a few milliseconds; a server does it outside its search lock, once per image.

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> q = e.query_feature(e.corpus.view_path(0).read_bytes())
            >>> q.vectors.shape == (len(ANGLES), e._features.shape[1]), q.map.dtype
            (True, dtype('uint8'))
        """
        rows, vmap = query_description(image)
        return QueryFeature(vectors=self._index.project(rows), map=to_map_bytes(vmap))

    def scores(self, image: bytes | np.ndarray | Image.Image) -> np.ndarray:
        """Every design's score, float32 in [0, 1], independent of any filter (:meth:`scores_for`).

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> s = e.scores(e.corpus.view_path(2, 0).read_bytes()); int(s.argmax()), s.shape
            (2, (5,))
        """
        return self.scores_for(self.query_feature(image))

    def scores_for(self, feature: QueryFeature) -> np.ndarray:
        """Every design's score for a feature from :meth:`query_feature`: stage 1 for all designs, the best
        :data:`RERANK` verified, all on one scale (see the module's docstring). Costs one pass over the
        index and about 0.6 ms a verified design.

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> q = e.query_feature(e.corpus.view_path(3, 0).read_bytes())
            >>> int(e.scores_for(q).argmax()), e.best_view(3, q)
            (3, 0)
        """
        cosines = self.cosines(feature)
        verified, aligned = self._verify(feature, cosines)
        scores = self.scale.score(cosines)
        scores[verified] = self.scale.score(cosines[verified], aligned)
        return np.clip(scores, 0.0, 1.0).astype(np.float32)

    def cosines(self, feature: QueryFeature) -> np.ndarray:
        """Stage 1: every design's cosine with the query (its best view at its best rotation), in [0, 1].

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> c = e.cosines(e.query_feature(e.corpus.view_path(1, 0).read_bytes())); round(float(c[1]), 4)
            1.0
        """
        # always every design, whatever the filters: a design's score must not depend on them
        if self._n <= SHORTLIST:
            views = (self._features @ feature.vectors.T).max(axis=1)
            return np.clip(np.maximum.reduceat(views, self._starts), 0.0, 1.0)
        # one pass over every view with the rotations' mean: the mean of their cosines, never above the best
        scores = np.maximum.reduceat(self._features @ feature.vectors.mean(axis=0), self._starts)
        # the best SHORTLIST designs with every rotation: they score at least that mean, so they stay first
        shortlist = _top(scores, SHORTLIST)
        lengths = self._n_views[shortlist]
        firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        columns = np.repeat(self._starts[shortlist] - firsts, lengths) + np.arange(int(lengths.sum()))
        best = (self._features[columns] @ feature.vectors.T).max(axis=1)
        scores[shortlist] = np.maximum.reduceat(best, firsts)
        return np.clip(scores, 0.0, 1.0)

    def _verify(self, feature: QueryFeature, cosines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The best :data:`RERANK` designs by cosine and their alignments (none for a blank query)."""
        k = min(RERANK, self._n)
        if k <= 0 or not feature.map.any():
            return np.zeros(0, np.int64), np.zeros(0)  # verification switched off, or nothing to align
        best = _top(cosines, k)
        aligned = np.empty(len(best))
        for i, design in enumerate(best.tolist()):
            view, angle = self._best_view_and_angle(design, feature)
            aligned[i] = alignment_score(feature.map, self._index.map_of(int(self._starts[design]) + view), angle)
        return best, aligned

    # -- the scale --

    def _load_or_fit_scale(self) -> Scale:
        """The corpus's scale from ``score-scale.json`` next to the index when current, else fitted and
        saved (a read-only corpus fits it on each start: the cost of 40 searches)."""
        path = self.corpus.root / _SCALE_FILE
        rows = int(self._features.shape[0])
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("version") == SCALE_VERSION and saved.get("rows") == rows:
                return Scale.from_dict(saved["scale"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass
        scale = fit(self._scale_samples()) if self._n >= _SCALE_MIN_DESIGNS else DEFAULT
        text = json.dumps({"version": SCALE_VERSION, "rows": rows, "scale": scale.to_dict()})
        with contextlib.suppress(OSError):
            write_atomic(path, lambda f: f.write(text.encode()))
        return scale

    def _scale_samples(self) -> Samples:
        """:class:`~.scale.Samples` from :data:`_SCALE_QUERIES` scans of corpus drawings (seeded)."""
        meta = self.corpus.meta
        main = meta["loc"].astype(str).str.split(",").str[0].to_numpy()
        ids = meta["family_id"]  # "" for a design outside any family (the corpus reader fills it)
        family = ids.where(ids != "", meta["patent_pn"]).to_numpy()  # no family: each design its own
        rng = np.random.default_rng(_SCALE_SEED)
        pairs, same, subclass, other = [], [], [], []
        for design in rng.choice(self._n, size=min(_SCALE_QUERIES, self._n), replace=False).tolist():
            with Image.open(self.corpus.view_path(design, int(rng.integers(self._n_views[design])))) as im:
                feature = self.query_feature(scanned(im, rng))
            cosines = self.cosines(feature)
            kin = family == family[design]
            for x, a in zip(*self._verify(feature, cosines), strict=True):
                if x == design or not kin[x]:
                    (same if x == design else pairs).append((cosines[x], a))
            for pool, out in ((np.flatnonzero((main == main[design]) & ~kin), subclass),
                              (np.flatnonzero(main != main[design]), other)):
                if pool.size:
                    out.extend(cosines[rng.choice(pool, size=min(_SCALE_DRAWS, pool.size), replace=False)])
        return Samples(np.array(pairs).reshape(-1, 2), np.array(same).reshape(-1, 2), np.array(subclass),
                       np.array(other))

    def best_view(self, design: int, feature: QueryFeature) -> int:
        """The view of ``design`` closest to a feature from :meth:`query_feature` (the one verified).

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(8, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> design = int(e.corpus.meta.n_views.idxmax())
            >>> e.best_view(design, e.query_feature(e.corpus.view_path(design, 1).read_bytes()))
            1
        """
        return self._best_view_and_angle(design, feature)[0]

    def _best_view_and_angle(self, design: int, feature: QueryFeature) -> tuple[int, float]:
        start = int(self._starts[design])
        block = self._features[start:start + int(self._n_views[design])] @ feature.vectors.T  # views x angles
        view = int(np.argmax(block.max(axis=1)))
        return view, ANGLES[int(np.argmax(block[view]))]

    # -- filters --

    def _prepare_filters(self, meta: pd.DataFrame) -> None:
        # LOC: one mask per code present, built from the exploded (design, code) pairs
        pairs = meta["loc"].astype(str).str.split(",").explode().str.strip()
        designs = pairs.index.to_numpy()
        codes_flat = pairs.to_numpy(dtype=object)
        self._code_masks: dict[str, np.ndarray] = {}
        for code in pd.unique(codes_flat):
            mask = np.zeros(self._n, bool)
            mask[designs[codes_flat == code]] = True
            self._code_masks[str(code)] = mask
        # a class term ("14") covers its subclasses: its mask is built once here, not per search
        exact = dict(self._code_masks)
        for cls in {code[:2] for code in exact}:
            self._code_masks[cls] = np.logical_or.reduce([m for code, m in exact.items() if code_matches(cls, code)])
        self._no_design = np.zeros(self._n, bool)
        self._assignee_codes, uniques = pd.factorize(meta["assignee"].fillna("").astype(str))
        self._assignee_lower = [str(u).casefold() for u in uniques]
        # offices as small integers: np.isin on ints is ~10x faster than on an object array of strings
        self._country_codes, offices = pd.factorize(meta["country"].astype(str).str.upper())
        self._office_index = {str(o): i for i, o in enumerate(offices)}
        self._legal = meta["legal_status"].to_numpy(dtype=np.int64)
        self._simple = meta["simple_legal_status"].to_numpy(dtype=np.int64)
        self._dates = {c: meta[c].to_numpy(dtype="datetime64[D]") for c in ("apdt", "pbdt", "isdt")}
        # main_field: every design's searchable text, casefolded, in one string with the start of each
        # design's part, so a keyword costs one C-level find per matching design
        parts = [meta[c].fillna("").astype(str) for c in ("title", "abstract", "patent_pn", "assignee",
                                                          "inventor", "loc")]
        # (UTF-8 bytes: bytes.find is several times faster than str.find on non-ASCII text, and a UTF-8
        # pattern can only match a UTF-8 text at character boundaries)
        texts = [("\n".join(fields).casefold() + _SEPARATOR).encode() for fields in zip(*parts, strict=True)]
        self._text = b"".join(texts)
        self._text_starts = np.concatenate([[0], np.cumsum([len(t) for t in texts])]).tolist()
        self._keyword_cache: dict[str, np.ndarray] = {}
        self._keyword_lock = threading.Lock()

    def _loc_term(self, term: str) -> np.ndarray:
        return self._code_masks.get(term, self._no_design)

    def _keyword_mask(self, keyword: str) -> np.ndarray:
        with self._keyword_lock:  # an Engine may be shared by threads (the sandbox app serialises its own)
            cached = self._keyword_cache.get(keyword)
        if cached is not None:
            return cached
        mask = np.zeros(self._n, bool)
        if keyword and _SEPARATOR not in keyword:
            starts, text, pattern = self._text_starts, self._text, keyword.encode()
            pos = text.find(pattern)
            while pos != -1:
                design = bisect.bisect_right(starts, pos) - 1
                mask[design] = True
                pos = text.find(pattern, starts[design + 1])  # the next design's text
        with self._keyword_lock:
            if len(self._keyword_cache) >= 64:  # analysts repeat a keyword with other filters: keep recent ones
                self._keyword_cache.pop(next(iter(self._keyword_cache)))
            self._keyword_cache[keyword] = mask
        return mask

    def filter_mask(self, design_query: DesignQuery) -> np.ndarray:
        """Boolean mask over designs: which satisfy every filter of ``design_query`` (sorting and limit ignored).

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(50, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> m = e.filter_mask(DesignQuery(country="US", loc="10 OR 14"))
            >>> bool((e.corpus.meta.country[m] == "US").all()), m.dtype
            (True, dtype('bool'))
        """
        mask = np.ones(self._n, bool)
        if design_query.loc_expr is not None:
            mask &= design_query.loc_expr.evaluate(self._loc_term)
        if design_query.assignees:
            needles = [a.casefold() for a in design_query.assignees]
            hit = np.array([any(n in u for n in needles) for u in self._assignee_lower], bool)
            mask &= hit[self._assignee_codes] if hit.size else False
        if design_query.legal_status:
            mask &= np.isin(self._legal, design_query.legal_status)
        if design_query.simple_legal_status:
            mask &= np.isin(self._simple, design_query.simple_legal_status)
        if design_query.country:
            wanted = [self._office_index[c] for c in design_query.country if c in self._office_index]
            mask &= np.isin(self._country_codes, wanted)
        if design_query.main_field:
            mask &= self._keyword_mask(design_query.main_field.casefold())
        for bound, column, upper in ((design_query.apply_start_time, "apdt", False), (design_query.apply_end_time, "apdt", True),
                                     (design_query.public_start_time, "pbdt", False),
                                     (design_query.public_end_time, "pbdt", True)):
            if bound is not None:
                mask &= _date_bound(self._dates[column], bound, upper)
        return mask

    # -- search --

    def search(self, image: bytes | np.ndarray | Image.Image, design_query: DesignQuery) -> SearchResult:
        """Exact top-``query.limit`` designs for ``image`` under ``query``'s filters and sort order.

        Sorted by similarity: score desc, ties by design number. By a date field: that date in
        ``query.order``, ties by score desc then design number, designs without the date last.

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(30, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> r = e.search(e.corpus.view_path(5, 0).read_bytes(), DesignQuery(limit=5))
            >>> len(r.hits), r.hits[0].design, all(0 <= h.score <= 1 for h in r.hits)
            (5, 5, True)
        """
        return self.search_feature(self.query_feature(image), design_query)

    def search_feature(self, q: QueryFeature, design_query: DesignQuery) -> SearchResult:
        """:meth:`search` for a query feature already computed (:meth:`query_feature`): scoring only, no
        decoding, so a server can decode outside its search lock.

        Example:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(30, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> e.search_feature(e.query_feature(e.corpus.view_path(5, 0).read_bytes()), DesignQuery(limit=1)).hits[0].design
            5
        """
        scores = self.scores_for(q)
        candidates = np.flatnonzero(self.filter_mask(design_query))
        total = int(candidates.size)
        k = min(design_query.limit, total)
        if k == 0:
            return SearchResult([], total)
        cand_scores = scores[candidates]
        if design_query.field is None:  # candidates ascend, so _top's ties by position are ties by design number
            hits = [Hit(int(candidates[i]), self.best_view(int(candidates[i]), q), float(cand_scores[i]))
                    for i in _top(cand_scores, k)]
            return SearchResult(hits, total)
        days = self._dates[{"APD": "apdt", "PBD": "pbdt", "ISD": "isdt"}[design_query.field]][candidates]
        missing = np.isnat(days)
        key = days.astype("int64")
        key = np.where(missing, 0, -key if design_query.order == "desc" else key)
        primary = np.where(missing, np.iinfo(np.int64).max, key)
        if total > k:
            kth = np.partition(primary, k - 1)[k - 1]
            keep = primary <= kth
            candidates, cand_scores, primary = candidates[keep], cand_scores[keep], primary[keep]
        order = np.lexsort((candidates, -cand_scores, primary))[:k]
        return SearchResult([Hit(int(candidates[i]), 0, None) for i in order], total)


def _date_bound(values: np.ndarray, bound: date, upper: bool) -> np.ndarray:
    b = np.datetime64(bound, "D")
    ok = ~np.isnat(values)
    return ok & ((values <= b) if upper else (values >= b))


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best designs by score, ties broken by design number (so the same ones for any filter)."""
    if k < scores.size:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(scores.size)
    return candidates[np.lexsort((candidates, -scores[candidates]))][:k]
