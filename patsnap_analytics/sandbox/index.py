"""The engine's index of a corpus: every view's global feature and verification map, built streaming
with bounded memory, and cached next to the corpus.

Files in the corpus directory (``features.json`` is written last: its presence, with this code's
:data:`FEATURE_VERSION` and the corpus's number of views, means the rest is complete and current)::

    features.npy             float32 (views, dims): one row a view, so a search's shortlist of views
                             is a gather of whole rows
    features-projection.npy  float32 (RAW_DIMS, dims), when the index is projected
    view-maps.npy            uint8 (views, 64, 64), the verification maps; never loaded whole, since a
                             search reads 16 of them (:meth:`FeatureIndex.map_of`)
    features.json            version, rows, projected, dims

Building, in order (each step in chunks, in this process and worker processes, with a progress bar):

1. A corpus of fewer than :data:`_PCA_MIN_ROWS` views keeps raw features: describe every view, done.
2. Otherwise the projection (an uncentred PCA to :data:`_PCA_DIMS`) is fitted on an evenly spaced
   sample of at most :data:`_SAMPLE_ROWS` views — all of them when the corpus is that small, and then
   there is no second pass.
3. Every view is described again, and each chunk is projected as it arrives; only projected rows are
   kept (128 floats a view), and maps go to their file as chunks finish.

So memory holds the sample's raw features once (80 MB at most), then the projected index (128 MB at
100,000 designs), never every view's raw feature (2.3 GB at 100,000 designs before).

Example:
    >>> import tempfile
    >>> from patsnap_analytics.sandbox.sample import sample_corpus
    >>> corpus = sample_corpus(6, seed=2, cache_dir=Path(tempfile.mkdtemp()))
    >>> index = load_or_build(corpus.root, view_paths(corpus))
    >>> index.features.shape == (len(view_paths(corpus)), RAW_DIMS), index.maps.dtype, index.projection
    (True, dtype('uint8'), None)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .corpus import Corpus, source_fingerprint
from .features import RAW_DIMS, VERIFY_SIDE, describe_strokes, verification_map
from .ink import ink_map, strokes
from .parallel import run_chunks

__all__ = ["FEATURE_VERSION", "VIEW_RECORD", "FeatureIndex", "describe_views", "load_or_build", "to_map_bytes",
           "view_paths", "write_atomic"]

#: Changes whenever the code that decides the index's content changes: cached files of another version are
#: rebuilt instead of silently serving features the current code would not compute.
FEATURE_VERSION = "3-" + source_fingerprint("ink.py", "features.py", "index.py")
#: What :func:`describe_views` returns for each view: its raw global feature and its verification map.
VIEW_RECORD = np.dtype([("feature", "<f4", (RAW_DIMS,)), ("map", "u1", (VERIFY_SIDE, VERIFY_SIDE))])
# From this many views the index is projected to _PCA_DIMS dimensions (16x less memory to scan per search,
# the same top-1 and precision in benchmarks/bench_engine_quality.py); a small corpus keeps raw features,
# since a PCA of a few rows would span too little of the space to compare unseen queries fairly.
_PCA_MIN_ROWS = 1000
_PCA_DIMS = 128
_SAMPLE_ROWS = 10_000  # the projection is fitted on at most this many views, evenly spaced
# Describing takes ~2 ms a view and a worker ~1 s to start: below this many, this process alone is as fast.
_PARALLEL_MIN_VIEWS = 800
_DESCRIBE_CHUNK = 250  # views per chunk: small enough to share out evenly, big enough to keep pipes quiet
_FILES = ("features.npy", "features-projection.npy", "view-maps.npy", "features.json")


@dataclass(frozen=True)
class FeatureIndex:
    """A corpus's index: ``features`` (float32, views x dims, unit rows), the ``projection`` from raw
    features (``None`` when raw) and the verification ``maps`` (uint8, views x side x side).

    Example:
        >>> projection = np.array([[1, 0], [0, 1], [0, 0]], np.float32)   # keeps the first two dimensions
        >>> index = FeatureIndex(np.eye(2, dtype=np.float32), projection, np.zeros((2, 2, 2), np.uint8))
        >>> [round(float(x), 2) for x in index.project(np.array([[3.0, 4.0, 12.0]], np.float32))[0]]
        [0.6, 0.8]
    """

    features: np.ndarray
    projection: np.ndarray | None
    maps: np.ndarray

    def project(self, raw: np.ndarray) -> np.ndarray:
        """Raw feature rows (unit length) in the index's space: projected and made unit again, when the
        index is projected."""
        return _project(raw, self.projection)

    def map_of(self, row: int) -> np.ndarray:
        """The verification map of view ``row``. From a file, read with a plain read rather than through
        the memory map: mapped pages would stay in the process's resident size search after search (page
        cache, reclaimable, but it reads as a leak), while a read of 4 KB costs the same.

        Example:
            >>> index = FeatureIndex(np.eye(2, dtype=np.float32), None, np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
            >>> index.map_of(1).tolist()
            [[4, 5], [6, 7]]
        """
        maps = self.maps
        if not isinstance(maps, np.memmap) or maps.filename is None:
            return np.asarray(maps[row])
        size = int(np.prod(maps.shape[1:]))
        flat = np.fromfile(maps.filename, dtype=maps.dtype, count=size, offset=maps.offset + row * size * maps.itemsize)
        return flat.reshape(maps.shape[1:])


def view_paths(corpus: Corpus) -> list[Path]:
    """Every view file of ``corpus``, design by design: the index's column order.

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(2, seed=2, cache_dir=Path(tempfile.mkdtemp()))
        >>> len(view_paths(c)) == int(c.meta.n_views.sum()), view_paths(c)[0].name
        (True, '000000-0.png')
    """
    return [corpus.view_path(d, v) for d, n in enumerate(corpus.meta["n_views"].to_numpy()) for v in range(int(n))]


def to_map_bytes(vmap: np.ndarray) -> np.ndarray:
    """A verification map as the index stores it (uint8, 0-255); a query's map is stored the same way, so a
    drawing compared with itself compares equal arrays.

    Example:
        >>> to_map_bytes(np.array([[0.0, 0.5, 1.0]], np.float32)).tolist()
        [[0, 128, 255]]
    """
    return np.round(np.clip(vmap, 0.0, 1.0) * 255.0).astype(np.uint8)


def describe_views(paths: Iterable[str | Path]) -> np.ndarray:
    """The :data:`VIEW_RECORD` of drawing files, one each (a task of :func:`.parallel.run_chunks`).

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(2, seed=2, cache_dir=Path(tempfile.mkdtemp()))
        >>> records = describe_views(view_paths(c)[:2])
        >>> records.dtype == VIEW_RECORD, records["map"].shape
        (True, (2, 64, 64))
    """
    paths = list(paths)
    out = np.zeros(len(paths), VIEW_RECORD)
    for row, path in enumerate(paths):
        drawing = strokes(ink_map(Path(path).read_bytes()))
        out[row]["feature"] = describe_strokes(drawing)
        out[row]["map"] = to_map_bytes(verification_map(drawing))
    return out


def load_or_build(root: Path, paths: Sequence[str | Path]) -> FeatureIndex:
    """The index of the views ``paths`` of the corpus in ``root``: loaded from its files when they are
    complete and current, else built (and saved there; a read-only corpus is rebuilt on each start).

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(3, seed=2, cache_dir=Path(tempfile.mkdtemp()))
        >>> a = load_or_build(c.root, view_paths(c)); b = load_or_build(c.root, view_paths(c))
        >>> bool((a.features == b.features).all()), (c.root / "features.json").is_file()
        (True, True)
    """
    root = Path(root)
    index = _load(root, len(paths))
    if index is None:
        index = _build(root, [str(p) for p in paths])
    return index


# --- loading ------------------------------------------------------------------------------------------------

def _info(n_rows: int) -> dict:
    return {"feature_version": FEATURE_VERSION, "rows": n_rows}


def _load(root: Path, n_rows: int) -> FeatureIndex | None:
    """The saved index, or ``None`` when it is missing, of another version or size, or damaged."""
    feat_file, proj_file, maps_file, info_file = (root / name for name in _FILES)
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        if {k: info.get(k) for k in _info(n_rows)} != _info(n_rows):
            return None
        features = np.load(feat_file)
        projection = np.load(proj_file) if info.get("projected") else None
        maps = np.load(maps_file, mmap_mode="r")
    except (OSError, ValueError, AttributeError):
        return None
    raw_dims = projection.shape[0] if projection is not None else RAW_DIMS
    if (features.ndim != 2 or features.shape[0] != n_rows or features.dtype != np.float32 or raw_dims != RAW_DIMS
            or maps.shape != (n_rows, VERIFY_SIDE, VERIFY_SIDE)):
        return None
    return FeatureIndex(features, projection, maps)


# --- building -----------------------------------------------------------------------------------------------

def _build(root: Path, paths: list[str]) -> FeatureIndex:
    n = len(paths)
    maps = _RowFile(root / "view-maps.npy", (n, VERIFY_SIDE, VERIFY_SIDE))
    projection = None
    if n >= _PCA_MIN_ROWS:
        step = -(-n // _SAMPLE_ROWS)  # ceil: at most _SAMPLE_ROWS rows
        if step > 1:
            sample = _raw_features(paths[::step], desc=f"sandbox: fitting the index on {len(paths[::step])} "
                                                      f"of {n} drawings")
            projection = _fit_projection(sample)
            del sample
            features = _project_all(paths, projection, maps)
        else:  # the whole corpus is the sample: one pass
            raw = _raw_features(paths, maps=maps, desc=f"sandbox: indexing {n} drawings")
            projection = _fit_projection(raw)
            features = _project(raw, projection)
            del raw
    else:
        features = _raw_features(paths, maps=maps, desc=f"sandbox: indexing {n} drawings")
    map_array = maps.finish()
    try:
        write_atomic(root / "features.npy", lambda f: np.save(f, features))
        if projection is not None:
            write_atomic(root / "features-projection.npy", lambda f: np.save(f, projection))
        info = {**_info(n), "projected": projection is not None, "dims": int(features.shape[1])}
        write_atomic(root / "features.json", lambda f: f.write(json.dumps(info).encode()))
    except OSError:
        pass  # a read-only corpus still works, it just re-describes on the next start
    return FeatureIndex(features, projection, map_array)


def _chunks(paths: Sequence[str]) -> list[list[str]]:
    return [list(paths[k:k + _DESCRIBE_CHUNK]) for k in range(0, len(paths), _DESCRIBE_CHUNK)]


def _described(paths: Sequence[str], desc: str) -> Iterable[tuple[int, np.ndarray]]:
    """``(first row, records)`` of every chunk of ``paths`` as it finishes, with a progress bar."""
    chunks = _chunks(paths)
    for index, records in run_chunks(describe_views, chunks, sizes=[len(c) for c in chunks], unit="view",
                                     desc=desc, workers=None if len(paths) >= _PARALLEL_MIN_VIEWS else 0):
        yield index * _DESCRIBE_CHUNK, records


def _raw_features(paths: Sequence[str], *, desc: str, maps: _RowFile | None = None) -> np.ndarray:
    """Every view's raw feature (views x RAW_DIMS); their maps go to ``maps`` when given."""
    out = np.empty((len(paths), RAW_DIMS), np.float32)
    for start, records in _described(paths, desc):
        out[start:start + len(records)] = records["feature"]
        if maps is not None:
            maps.write(start, records["map"])
    return out


def _project_all(paths: Sequence[str], projection: np.ndarray, maps: _RowFile) -> np.ndarray:
    """Every view's projected feature (views x dims), chunk by chunk as they are described."""
    out = np.empty((len(paths), projection.shape[1]), np.float32)
    for start, records in _described(paths, f"sandbox: indexing {len(paths)} drawings"):
        out[start:start + len(records)] = _project(records["feature"], projection)
        maps.write(start, records["map"])
    return out


def _fit_projection(raw: np.ndarray) -> np.ndarray:
    """Top right-singular vectors of the features: an uncentred PCA, which keeps cosines.

    They are the top eigenvectors of the small Gram matrix ``X.T @ X`` (dims x dims), which needs far less
    memory than an SVD of ``X`` itself.
    """
    gram = (raw.T @ raw).astype(np.float64)
    _, vectors = np.linalg.eigh(gram)  # eigenvalues ascending
    return np.ascontiguousarray(vectors[:, ::-1][:, :_PCA_DIMS], dtype=np.float32)


def _project(raw: np.ndarray, projection: np.ndarray | None) -> np.ndarray:
    if projection is None:
        return np.ascontiguousarray(raw, dtype=np.float32)
    out = raw @ projection
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return np.ascontiguousarray(out / np.where(norms > 0, norms, 1), dtype=np.float32)


class _RowFile:
    """A uint8 array of ``shape`` written to an ``.npy`` file row block by row block, in any order.

    Plain file writes, not a writable memory map: the pages of a memory map being written count as the
    process's resident memory (a gigabyte at 100,000 designs). Where the corpus directory is read-only the
    rows are kept in memory instead.
    """

    def __init__(self, path: Path, shape: tuple[int, ...]) -> None:
        self.path, self.shape = path, shape
        self._row_bytes = int(np.prod(shape[1:]))
        self._array: np.ndarray | None = None
        self._file = None
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
            self._file = os.fdopen(fd, "w+b")
            np.lib.format.write_array_header_1_0(self._file, {"descr": "|u1", "fortran_order": False,
                                                              "shape": shape})
            self._offset = self._file.tell()
            self._file.truncate(self._offset + shape[0] * self._row_bytes)
        except OSError:
            self._array = np.zeros(shape, np.uint8)

    def write(self, start: int, rows: np.ndarray) -> None:
        if self._array is not None:
            self._array[start:start + len(rows)] = rows
            return
        self._file.seek(self._offset + start * self._row_bytes)
        self._file.write(np.ascontiguousarray(rows, dtype=np.uint8).tobytes())

    def finish(self) -> np.ndarray:
        """The whole array: memory-mapped read-only from its file, or the in-memory copy."""
        if self._array is not None:
            return self._array
        self._file.close()
        os.replace(self._tmp, self.path)
        return np.load(self.path, mmap_mode="r")


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``path`` written whole or not at all: ``write`` fills a temporary file beside it, which then replaces
    it (a reader never sees half a file; a failure leaves no temporary file behind).

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "x.npy"
        >>> write_atomic(target, lambda f: np.save(f, np.arange(3)))
        >>> np.load(target).tolist(), [p.name for p in target.parent.iterdir()]
        ([0, 1, 2], ['x.npy'])
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
