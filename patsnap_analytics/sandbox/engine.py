"""The sandbox's search engine: drawing features, a cached index, and filtered, sorted, exact top-k.

A drawing is normalised the way patent sheets need it (grayscale, Otsu binarisation, small ink components
such as figure labels and specks dropped, cropped to the ink, padded square, resized) and described with
scikit-image's HOG plus a coarse ink-density grid, L2-normalised. Similarity is the cosine between
features (clipped to [0, 1]); a design scores as its best-matching view. Large corpora project features
to fewer dimensions with a truncated SVD so a search reads less memory.

Filters keep the API's meaning and are evaluated as NumPy masks over designs; the score of every design
is computed for every search, whatever the filters, so a design's score never depends on the filters —
that is what makes "labelling by a filter" exact (a result ranked r unfiltered ranks <= r filtered).

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
import io
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy.ndimage import find_objects
from skimage.feature import hog
from skimage.filters import threshold_otsu
from skimage.measure import label

from ..loc import code_matches
from ..query import DesignQuery
from .corpus import Corpus, source_fingerprint
from .parallel import run_chunks

__all__ = ["FEATURE_VERSION", "Engine", "Hit", "SearchResult", "describe", "normalise"]

#: Changes whenever this module (the descriptor and index code) changes: cached feature files of another
#: version are rebuilt instead of silently serving features the current code would not compute.
FEATURE_VERSION = "2-" + source_fingerprint("engine.py")
SIDE = 64  # normalised drawing side in pixels
_WORK_SIDE = 768  # big sheets are reduced to about this before binarising (keeps 1-px lines as gray)
_MIN_AREA = 0.02  # ink components below this fraction of the largest's area and ...
_MIN_EXTENT = 0.06  # ... below this fraction of its extent are labels or specks
_GRID = 8  # ink-density grid side
_SEPARATOR = "\x00"  # ends each design's searchable text; never inside a keyword match
_GRID_WEIGHT = 0.5
# Above this many views the index is projected to _PCA_DIMS (8x less memory to read per search, same
# precision in benchmarks/bench_engine_quality.py); a small corpus keeps raw features, since a truncated
# SVD of a few rows would span too little of the space to compare unseen queries fairly.
_PCA_MIN_ROWS = 1000
_PCA_DIMS = 128
# Describing takes ~2 ms a view and a worker ~1 s to start: below this many, this process alone is as fast.
_PARALLEL_MIN_VIEWS = 800
_DESCRIBE_CHUNK = 250  # views per chunk: small enough to share out evenly, big enough to keep pipes quiet


# --- features -----------------------------------------------------------------------------------------------

def _to_gray(image: bytes | np.ndarray | Image.Image) -> np.ndarray:
    if isinstance(image, (bytes, bytearray, memoryview)):
        with Image.open(io.BytesIO(bytes(image))) as im:
            factor = max(im.size) // _WORK_SIDE
            if factor >= 2:  # a JPEG is decoded at 1/2..1/8 scale (libjpeg's DCT scaling): far less memory
                im.draft("L", (im.width // factor, im.height // factor))
            return _to_gray(im)
    if isinstance(image, np.ndarray):
        arr = image
        if arr.dtype == bool:
            arr = np.where(arr, 255, 0).astype(np.uint8)
        if arr.ndim == 3:
            arr = arr[..., :3].mean(axis=2)
        if arr.dtype != np.uint8:
            hi = float(arr.max()) if arr.size else 1.0
            arr = np.clip(arr * (255.0 / hi if hi > 1.0 else 255.0), 0, 255).astype(np.uint8)
        image = Image.fromarray(arr)
    im = image
    if im.mode in ("RGBA", "LA", "P"):  # transparent areas are paper, not ink
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    im = im.convert("L")
    factor = max(im.size) // _WORK_SIDE
    if factor >= 2:
        im = im.reduce(factor)  # box average: thin lines survive as gray
    return np.asarray(im, dtype=np.uint8)


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
    gray = _to_gray(image)
    if gray.size == 0 or int(gray.max()) == int(gray.min()):
        return np.zeros((side, side), np.float32)  # a blank page has no shape
    # Otsu from the 256-bin histogram: the same threshold as on the pixels, several times faster
    counts = np.bincount(gray.ravel(), minlength=256)
    ink = gray <= threshold_otsu(hist=(counts, np.arange(256)))  # Otsu: paper is "> threshold"
    if ink.mean() > 0.5:  # white lines on black
        ink = ~ink
    ink = _drop_small_components(ink)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return np.zeros((side, side), np.float32)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    n = max(h, w) + 2
    square = np.zeros((n, n), np.uint8)
    square[(n - h) // 2:(n - h) // 2 + h, (n - w) // 2:(n - w) // 2 + w] = crop * 255
    small = Image.fromarray(square).resize((side, side), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _drop_small_components(ink: np.ndarray) -> np.ndarray:
    """Keep the ink components that belong to the design: figure labels ("FIG. 1"), reference numerals
    and specks are small both in area and in extent compared with the largest component."""
    labels = label(ink, connectivity=2)
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    if areas.size <= 1:
        return ink
    extents = np.zeros(areas.size)
    for i, box in enumerate(find_objects(labels), start=1):
        if box is not None:
            extents[i] = max(box[0].stop - box[0].start, box[1].stop - box[1].start)
    keep = (areas >= max(2, _MIN_AREA * areas.max())) & (extents >= _MIN_EXTENT * extents.max())
    return keep[labels]


def describe(image: bytes | np.ndarray | Image.Image) -> np.ndarray:
    """The L2-normalised float32 feature of one drawing (HOG of the normalised ink map + density grid).

    Example:
        >>> im = Image.new("L", (120, 160), 255)
        >>> from PIL import ImageDraw
        >>> ImageDraw.Draw(im).ellipse((10, 10, 110, 150), outline=0, width=2)
        >>> f = describe(im)
        >>> f.dtype, round(float(np.linalg.norm(f)), 5)
        (dtype('float32'), 1.0)
    """
    ink = normalise(image)
    shape = hog(ink, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys",
                feature_vector=True)
    grid = ink.reshape(_GRID, SIDE // _GRID, _GRID, SIDE // _GRID).mean(axis=(1, 3)).ravel()
    parts = [_unit(shape.astype(np.float32)), _GRID_WEIGHT * _unit(grid.astype(np.float32))]
    return _unit(np.concatenate(parts))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v.astype(np.float32)


def _describe_files(paths: Iterable[str | Path]) -> np.ndarray:
    """The features of drawing files, one row each (a task of :func:`.parallel.run_chunks`)."""
    return np.stack([describe(Path(p).read_bytes()) for p in paths])


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


# --- the engine ---------------------------------------------------------------------------------------------

class Engine:
    """Search a :class:`Corpus` by drawing, with the API's filters and sort orders.

    The feature index is loaded from ``features.npy`` next to the corpus, or built (and saved there) on
    first use.

    Example:
        >>> import tempfile
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
        self._features, self._projection = self._load_or_build_index(int(n_views.sum()))
        self._prepare_filters(meta)

    # -- index --

    def _index_files(self) -> tuple[Path, Path, Path]:
        root = self.corpus.root
        return root / "features.npy", root / "features-projection.npy", root / "features.json"

    def _load_or_build_index(self, n_rows: int) -> tuple[np.ndarray, np.ndarray | None]:
        feat_file, proj_file, info_file = self._index_files()
        expected = {"feature_version": FEATURE_VERSION, "rows": n_rows}
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
            if {k: info.get(k) for k in expected} == expected:
                features = np.load(feat_file, mmap_mode=None)
                projection = np.load(proj_file) if info.get("projected") else None
                if features.shape[0] == n_rows:
                    return features, projection
        except (OSError, ValueError):
            pass  # no usable cache: build it
        raw = self._describe_corpus()
        projection = _fit_projection(raw) if n_rows >= _PCA_MIN_ROWS else None
        features = _project(raw, projection)
        try:
            _save_atomic(feat_file, features)
            if projection is not None:
                _save_atomic(proj_file, projection)
            info = {**expected, "projected": projection is not None, "dims": int(features.shape[1])}
            _write_atomic(info_file, json.dumps(info).encode())
        except OSError:
            pass  # a read-only corpus still works, it just re-describes on the next start
        return features, projection

    def _describe_corpus(self) -> np.ndarray:
        paths = [str(self.corpus.view_path(d, v)) for d in range(self._n) for v in range(int(self._n_views[d]))]
        chunks = [paths[k:k + _DESCRIBE_CHUNK] for k in range(0, len(paths), _DESCRIBE_CHUNK)]
        out = None  # filled block by block as chunks finish: peak memory is one matrix, not two
        for index, block in run_chunks(_describe_files, chunks, sizes=[len(c) for c in chunks], unit="view",
                                       desc=f"sandbox: indexing {len(paths)} drawings",
                                       workers=None if len(paths) >= _PARALLEL_MIN_VIEWS else 0):
            if out is None:
                out = np.empty((len(paths), block.shape[1]), np.float32)
            out[index * _DESCRIBE_CHUNK:index * _DESCRIBE_CHUNK + len(block)] = block
        return out

    def query_feature(self, image: bytes | np.ndarray | Image.Image) -> np.ndarray:
        """The query's feature in the index's space (projected when the index is).

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> e.query_feature(e.corpus.view_path(0).read_bytes()).shape == e._features.shape[1:]
            True
        """
        return _project(describe(image)[None, :], self._projection)[0]

    def scores(self, image: bytes | np.ndarray | Image.Image) -> np.ndarray:
        """Every design's score (best view), float32 in [0, 1], independent of any filter.

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> s = e.scores(e.corpus.view_path(2, 0).read_bytes()); int(s.argmax()), s.shape
            (2, (5,))
        """
        return self._design_scores(self.query_feature(image))

    def scores_for(self, feature: np.ndarray) -> np.ndarray:
        """Every design's score for a feature from :meth:`query_feature` (as :meth:`scores`, described once).

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(5, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> q = e.query_feature(e.corpus.view_path(3, 0).read_bytes())
            >>> int(e.scores_for(q).argmax()), e.best_view(3, q)
            (3, 0)
        """
        return self._design_scores(feature)

    def best_view(self, design: int, feature: np.ndarray) -> int:
        """The view of ``design`` closest to a feature from :meth:`query_feature`."""
        return self._best_view(design, feature)

    def _design_scores(self, q: np.ndarray) -> np.ndarray:
        # always every design, whatever the filters: a design's score must not depend on them
        return np.clip(np.maximum.reduceat(self._features @ q, self._starts), 0.0, 1.0)

    def _best_view(self, design: int, q: np.ndarray) -> int:
        start = int(self._starts[design])
        block = self._features[start:start + int(self._n_views[design])]
        return int(np.argmax(block @ q))

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

    def filter_mask(self, query: DesignQuery) -> np.ndarray:
        """Boolean mask over designs: which satisfy every filter of ``query`` (sorting and limit ignored).

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(50, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> m = e.filter_mask(DesignQuery(country="US", loc="10 OR 14"))
            >>> bool((e.corpus.meta.country[m] == "US").all()), m.dtype
            (True, dtype('bool'))
        """
        mask = np.ones(self._n, bool)
        if query.loc_expr is not None:
            mask &= query.loc_expr.evaluate(self._loc_term)
        if query.assignees:
            needles = [a.casefold() for a in query.assignees]
            hit = np.array([any(n in u for n in needles) for u in self._assignee_lower], bool)
            mask &= hit[self._assignee_codes] if hit.size else False
        if query.legal_status:
            mask &= np.isin(self._legal, query.legal_status)
        if query.simple_legal_status:
            mask &= np.isin(self._simple, query.simple_legal_status)
        if query.country:
            wanted = [self._office_index[c] for c in query.country if c in self._office_index]
            mask &= np.isin(self._country_codes, wanted)
        if query.main_field:
            mask &= self._keyword_mask(query.main_field.casefold())
        for bound, column, upper in ((query.apply_start_time, "apdt", False), (query.apply_end_time, "apdt", True),
                                     (query.public_start_time, "pbdt", False),
                                     (query.public_end_time, "pbdt", True)):
            if bound is not None:
                mask &= _date_bound(self._dates[column], bound, upper)
        return mask

    # -- search --

    def search(self, image: bytes | np.ndarray | Image.Image, query: DesignQuery) -> SearchResult:
        """Exact top-``query.limit`` designs for ``image`` under ``query``'s filters and sort order.

        Sorted by similarity: score desc, ties by design number. By a date field: that date in
        ``query.order``, ties by score desc then design number, designs without the date last.

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(30, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> r = e.search(e.corpus.view_path(5, 0).read_bytes(), DesignQuery(limit=5))
            >>> len(r.hits), r.hits[0].design, all(0 <= h.score <= 1 for h in r.hits)
            (5, 5, True)
        """
        return self.search_feature(self.query_feature(image), query)

    def search_feature(self, q: np.ndarray, query: DesignQuery) -> SearchResult:
        """:meth:`search` for a query feature already computed (:meth:`query_feature`): scoring only, no
        decoding, so a server can decode outside its search lock.

        Example:
            >>> import tempfile
            >>> from patsnap_analytics.sandbox.sample import sample_corpus
            >>> e = Engine(sample_corpus(30, seed=4, cache_dir=Path(tempfile.mkdtemp())))
            >>> e.search_feature(e.query_feature(e.corpus.view_path(5, 0).read_bytes()), DesignQuery(limit=1)).hits[0].design
            5
        """
        scores = self._design_scores(q)
        candidates = np.flatnonzero(self.filter_mask(query))
        total = int(candidates.size)
        k = min(query.limit, total)
        if k == 0:
            return SearchResult([], total)
        cand_scores = scores[candidates]
        if query.field is None:
            if total > k:  # keep everything tied with the k-th score so ties break by design number
                kth = cand_scores[np.argpartition(-cand_scores, k - 1)[k - 1]]
                keep = cand_scores >= kth
                candidates, cand_scores = candidates[keep], cand_scores[keep]
            order = np.lexsort((candidates, -cand_scores))[:k]
            hits = [Hit(int(candidates[i]), self._best_view(int(candidates[i]), q), float(cand_scores[i]))
                    for i in order]
            return SearchResult(hits, total)
        days = self._dates[{"APD": "apdt", "PBD": "pbdt", "ISD": "isdt"}[query.field]][candidates]
        missing = np.isnat(days)
        key = days.astype("int64")
        key = np.where(missing, 0, -key if query.order == "desc" else key)
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


# --- projection and files -----------------------------------------------------------------------------------

def _fit_projection(raw: np.ndarray) -> np.ndarray:
    """Top right-singular vectors of (a sample of) the features: an uncentred PCA, which keeps cosines.

    They are the top eigenvectors of the small Gram matrix ``X.T @ X`` (dims x dims), which needs far less
    memory than an SVD of ``X`` itself.
    """
    step = max(1, raw.shape[0] // 20_000)
    sample = raw[::step]
    gram = (sample.T @ sample).astype(np.float64)
    _, vectors = np.linalg.eigh(gram)  # eigenvalues ascending
    return np.ascontiguousarray(vectors[:, ::-1][:, :_PCA_DIMS], dtype=np.float32)


def _project(raw: np.ndarray, projection: np.ndarray | None) -> np.ndarray:
    if projection is None:
        return np.ascontiguousarray(raw, dtype=np.float32)
    out = raw @ projection
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.ascontiguousarray(out / np.where(norms > 0, norms, 1), dtype=np.float32)


def _save_atomic(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array)
    _write_atomic(path, buf.getvalue())


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
