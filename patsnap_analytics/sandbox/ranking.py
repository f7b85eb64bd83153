"""The ranking semantics of the image-search family, over the engine's drawing similarity.

One :class:`Ranker` per engine ranks the designs for a request and serves any page of that ranking:

* **the patent type** — designs (``D``) or utility models (``U``); search-id searches designs;
* **model 2** (and search-id): plain similarity, a design scoring as its best-matching view;
* **model 1**, smart recommendation: the query's Locarno subclass is predicted from its nearest designs
  of the patent type (a score-weighted vote of their main subclass); designs in that subclass come first
  (``loc_match`` 1), by similarity within each group. With several views, only the first view predicts
  (order matters, as the vendor says). The prediction ignores the filters, so a design's place never
  depends on them (what keeps labelling by filtered re-searches exact) — and ``pre_filter`` (filters
  before or after ranking) cannot change a ranking here;
* **models 3 / 4** (utility models): shape alone, or shape and colour layout half and half
  (:mod:`.colour`), so a copy with its colours swapped finds its original first under 3 and lower under 4;
* **several views** (image-multiple): a design's score is the mean of its scores for each view, so one that
  matches several views outranks one that matches a single view;
* **the beta** turns each query into a line drawing first (:mod:`.linework`);
* **filters** are the engine's masks (and ``query_text`` / ``stemming`` keyword rules); ``total`` counts every
  match after filters; ``score_expansion`` spreads the candidates' scores over 0-1;
* **sorting** by similarity (ties by design number) or by a date field in ``order`` (designs without that
  date last, ties by similarity then design number). The order is a pure function of the request, so
  page 2 never repeats page 1 and scores never rise across pages.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from patsnap_analytics.query import DesignQuery
    >>> from patsnap_analytics.sandbox.engine import Engine
    >>> from patsnap_analytics.sandbox.sample import sample_corpus
    >>> engine = Engine(sample_corpus(60, seed=4, cache_dir=Path(tempfile.mkdtemp())))
    >>> image = engine.corpus.view_path(7, 0).read_bytes()
    >>> ranking = Ranker(engine).rank([image], DesignQuery(endpoint="image-single", model=2, limit=5))
    >>> ranking.page(0, 3)[0].design, ranking.page(0, 3)[0].score == 1.0, ranking.total > 3
    (7, True, True)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..api import MAX_RANKS
from ..query import DesignQuery
from .colour import ColourIndex
from .linework import line_drawing

__all__ = ["COLOUR_WEIGHT", "NEIGHBOURS", "RankedHit", "Ranker", "Ranking"]

#: Model 4: the share of the score that colour layout decides (shape decides the rest).
COLOUR_WEIGHT = 0.5
#: Model 1: how many nearest designs vote on the query's Locarno subclass.
NEIGHBOURS = 15
_DATE_COLUMN = {"APD": "apdt", "PBD": "pbdt", "ISD": "isdt"}
_RECENT = 16  # rankings kept for the next pages of their search (each: its order and one score per design)


@dataclass(frozen=True)
class RankedHit:
    """One ranked design: its number (row of ``corpus.meta``), its best view, its score and ``loc_match``.

    Example:
        >>> RankedHit(design=3, view=1, score=0.9, loc_match=True).view
        1
    """

    design: int
    view: int
    score: float
    loc_match: bool | None = None


@dataclass
class Ranking:
    """The whole ranking of one request: designs in rank order, their scores, what model 1 predicted.

    Example:
        >>> r = Ranking(order=np.array([4, 2]), scores=np.array([0, 0, .5, 0, .9]), total=2)
        >>> [(h.design, h.score) for h in r.page(1, 5)]
        [(2, 0.5)]
    """

    order: np.ndarray
    scores: np.ndarray
    total: int
    predicted_loc: str | None = None
    in_predicted: np.ndarray | None = None
    best_view: object = None  # (design) -> view, from the engine and the first query's feature

    def page(self, offset: int, limit: int) -> list[RankedHit]:
        """The hits of ranks ``offset + 1 .. offset + limit``."""
        picked = self.order[offset:offset + limit]
        view = self.best_view if callable(self.best_view) else (lambda _design: 0)
        match = self.in_predicted
        return [RankedHit(int(d), int(view(int(d))), float(self.scores[d]),
                          None if match is None else bool(match[d])) for d in picked]


class Ranker:
    """Ranks an engine's corpus for requests of any endpoint of the family (see the module's rules).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.engine import Engine
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> ranker = Ranker(Engine(sample_corpus(60, seed=4, cache_dir=Path(tempfile.mkdtemp()))))
        >>> image = ranker.engine.corpus.view_path(7, 0).read_bytes()
        >>> smart = ranker.rank([image], DesignQuery(endpoint="image-single", model=1, limit=10))
        >>> smart.predicted_loc in ranker.engine.corpus.meta["loc"][7], smart.page(0, 1)[0].loc_match
        (True, True)
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        meta = engine.corpus.meta
        self._n = len(meta)
        types = meta["patent_type"] if "patent_type" in meta.columns else pd.Series("D", index=meta.index)
        self._types = types.fillna("D").astype(str).str.upper().to_numpy()
        self._of_type = {t: self._types == t for t in ("D", "U")}  # masks made once: string compares are slow
        self._main_loc = meta["loc"].astype(str).str.split(",").str[0].str.strip().to_numpy()
        self._locs = [frozenset(c.strip() for c in codes.split(",")) for codes in meta["loc"].astype(str)]
        self._days = {c: meta[c].to_numpy(dtype="datetime64[D]") for c in _DATE_COLUMN.values()}
        self._colour: ColourIndex | None = None
        self._loc_masks: dict[str | None, np.ndarray] = {}
        self._recent: OrderedDict[tuple, Ranking] = OrderedDict()
        self._colour_lock = threading.Lock()

    # ------------------------------------------------------------------ scores
    def _colour_index(self) -> ColourIndex:
        with self._colour_lock:  # built once, on the first shape-and-colour search
            if self._colour is None:
                self._colour = ColourIndex(self.engine.corpus, np.flatnonzero(self._of_type["U"]))
            return self._colour

    def _scores(self, images: Sequence[bytes], design_query: DesignQuery, *, linework: bool,
                features: Sequence[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused scores (mean over views), the first view's own shape scores and its feature."""
        if features is None:
            features = [self.engine.query_feature(line_drawing(im) if linework else im) for im in images]
        per_view = [self.engine.scores_for(f).astype(np.float64) for f in features]
        fused = per_view[0] if len(per_view) == 1 else np.mean(per_view, axis=0)
        if design_query.model == 4:
            index = self._colour_index()
            colour = np.mean([index.scores(im) for im in images], axis=0)
            fused = (1.0 - COLOUR_WEIGHT) * fused + COLOUR_WEIGHT * colour
        return fused, per_view[0], features[0]

    def _candidates(self, design_query: DesignQuery) -> np.ndarray:
        """Designs of the patent type that pass every filter; ``query_text`` (an Analytics query such as
        ``TACD: virtual reality``) must match its words after any field prefix."""
        if design_query.stemming and design_query.main_field:
            design_query = design_query.replace(main_field=_stem(design_query.main_field))
        mask = self.engine.filter_mask(design_query) & self._of_type[design_query.patent_type or "D"]
        words = (design_query.query_text or "").split(":", 1)[-1].strip()
        if words:
            mask &= self.engine.filter_mask(DesignQuery(main_field=words))
        return mask

    def _predict_loc(self, first_view: np.ndarray, pool: np.ndarray) -> str | None:
        """Model 1: the subclass the query's nearest designs (in ``pool``) mostly belong to, the n-th nearest
        voting 1/n: rank weights, not scores, since near a drawing every score is close to 1 (measured on the
        300-design world, a view's own subclass from its design's other views: 94 % by rank, 79 % by score)."""
        designs = np.flatnonzero(pool)
        if designs.size == 0:
            return None
        if designs.size > NEIGHBOURS:  # the nearest few without sorting every design
            designs = designs[np.argpartition(-first_view[designs], NEIGHBOURS - 1)[:NEIGHBOURS]]
        designs = designs[np.argsort(-first_view[designs], kind="stable")]
        codes, slot = np.unique(self._main_loc[designs], return_inverse=True)
        votes = np.bincount(slot, weights=1.0 / np.arange(1, designs.size + 1))
        return str(codes[int(np.argmax(votes))])  # ties: the first code in sorted order

    def _in_subclass(self, code: str | None) -> np.ndarray:
        """Which designs carry the Locarno subclass ``code`` (a mask made once per code)."""
        with self._colour_lock:
            mask = self._loc_masks.get(code)
            if mask is None:
                mask = self._loc_masks[code] = np.array([code in codes for codes in self._locs], bool)
            return mask

    # ------------------------------------------------------------------ ranking
    def rank(self, images: Sequence[bytes], design_query: DesignQuery, *, linework: bool = False,
             fresh: bool = False, features: Sequence[np.ndarray] | None = None) -> Ranking:
        """The ranking of ``images`` (one, or a design's views) under ``query``, to rank 1,100.

        The last few rankings are kept (by the images' hashes and the query less its page), so the pages of
        one search after its first cost a lookup, not a new ranking; ``fresh=True`` ranks again (benchmarks).
        ``features``: the images' features computed beforehand (the server decodes outside its search lock).
        """
        key = (tuple(hashlib.sha256(im).hexdigest() for im in images), linework,
               design_query.replace(offset=None, limit=1))
        with self._colour_lock:
            if key in self._recent and not fresh:
                self._recent.move_to_end(key)
                return self._recent[key]
        ranking = self._rank(images, design_query, linework=linework, features=features)
        with self._colour_lock:
            self._recent[key] = ranking
            while len(self._recent) > _RECENT:
                self._recent.popitem(last=False)
        return ranking

    def _rank(self, images: Sequence[bytes], design_query: DesignQuery, *, linework: bool,
              features: Sequence[np.ndarray] | None) -> Ranking:
        scores, first, first_feature = self._scores(images, design_query, linework=linework, features=features)
        candidates = self._candidates(design_query)
        predicted, in_predicted = None, None
        if design_query.model == 1:
            predicted = self._predict_loc(first, self._of_type[design_query.patent_type or "D"])
            in_predicted = self._in_subclass(predicted)
        if design_query.score_expansion and candidates.any():
            lo, hi = scores[candidates].min(), scores[candidates].max()
            scores = np.where(candidates, (scores - lo) / (hi - lo), scores) if hi > lo else scores
        depth = MAX_RANKS  # every page of this search from one ranking
        order = self._order(np.flatnonzero(candidates), scores, design_query, in_predicted, depth)
        return Ranking(order, scores, int(candidates.sum()), predicted, in_predicted,
                       lambda design: self.engine.best_view(design, first_feature))

    def _order(self, designs: np.ndarray, scores: np.ndarray, design_query: DesignQuery, in_predicted: np.ndarray | None,
               depth: int) -> np.ndarray:
        """The first ``depth`` of ``designs`` in rank order (an exact top-k: ties are kept, then broken)."""
        if designs.size == 0:
            return designs
        if design_query.field is None:
            primary = -scores[designs] - (2.0 * in_predicted[designs] if in_predicted is not None else 0.0)
        else:
            days = self._days[_DATE_COLUMN[design_query.field]][designs]
            key = days.astype("int64").astype(np.float64)
            primary = np.where(np.isnat(days), np.inf, -key if design_query.order == "desc" else key)
        if designs.size > depth:  # keep everything tied with the depth-th key, so ties break by design number
            kth = np.partition(primary, depth - 1)[depth - 1]
            keep = primary <= kth
            designs, primary = designs[keep], primary[keep]
        return designs[np.lexsort((designs, -scores[designs], primary))][:depth]


def _stem(word: str) -> str:
    """A keyword's English stem (``chairs`` -> ``chair``): with ``stemming`` 1 it matches every form."""
    for suffix in ("ing", "es", "ed", "s"):
        if word.lower().endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word
