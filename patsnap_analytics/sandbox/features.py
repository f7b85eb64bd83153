"""What the engine compares: a drawing's global feature, a query's features under small rotations, and
the map that geometric verification aligns.

* The **global feature** of a drawing is the HOG (histograms of oriented gradients, Dalal-Triggs, as
  scikit-image defines it: 8-px cells, 2 x 2-cell blocks, 9 orientations, L2-Hys) of its 64 x 64 normalised ink map
  (:func:`.ink.square`) next to a 16 x 16 ink-density grid (a "tiny image", weighted 2:1 over the HOG),
  L2-normalised. The HOG says which shapes and edges a design has, which is what finds designs of the same
  kind; the density grid says where exactly its ink lies, which is what tells a design from its near
  twins. Weights and sizes were chosen with ``benchmarks/bench_engine_quality.py`` (``docs/engine.md``).
* A **query** is described at every angle of :data:`ANGLES` (scans and photos of printouts are rarely
  straight; a design scores as its best angle), and keeps its :func:`verification_map`.
* The **verification map** is the normalised ink with a margin (so alignment can move it), compared
  pixel by pixel after alignment by :mod:`.verify`.

Example:
    >>> from PIL import Image, ImageDraw
    >>> im = Image.new("L", (120, 160), 255)
    >>> ImageDraw.Draw(im).ellipse((10, 10, 110, 150), outline=0, width=2)
    >>> f = describe(im)
    >>> f.shape == (RAW_DIMS,), f.dtype, round(float(np.linalg.norm(f)), 5)
    (True, dtype('float32'), 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .ink import ink_map, square, strokes

__all__ = ["ANGLES", "RAW_DIMS", "SIDE", "VERIFY_SIDE", "QueryFeature", "describe", "describe_strokes",
           "query_description", "verification_map"]

SIDE = 64  # the normalised map the global feature describes, in pixels
#: The rotations (degrees, counter-clockwise) a query is described at; 0 is the drawing as it is.
ANGLES = (-8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0)
VERIFY_SIDE = 64  # the verification map's side in pixels
_VERIFY_MARGIN = 0.1  # room around the drawing in the verification map, for alignment to move it into
_CELL = 8  # HOG cell side in pixels
_GRID = 16  # ink-density grid side (cells of 4 x 4 pixels)
_GRID_WEIGHT = 2.0  # the density grid's weight against the HOG's (each L2-normalised first)
_HOG_DIMS = ((SIDE // _CELL - 1) ** 2) * 4 * 9  # 2 x 2 cells a block, 9 orientations
#: Length of a global feature before any projection.
RAW_DIMS = _HOG_DIMS + _GRID * _GRID


@dataclass(frozen=True)
class QueryFeature:
    """A query as the engine searches with it: one global feature per angle of :data:`ANGLES` (rows, in
    the index's space) and the :func:`verification_map` of its ink.

    Example:
        >>> q = QueryFeature(vectors=np.zeros((len(ANGLES), 8), np.float32),
        ...                  map=np.zeros((VERIFY_SIDE, VERIFY_SIDE), np.float32))
        >>> q.vectors.shape[0] == len(ANGLES)
        True
    """

    vectors: np.ndarray
    map: np.ndarray


def describe_strokes(drawing: np.ndarray | None, angle: float = 0.0) -> np.ndarray:
    """The global feature (float32, unit length, :data:`RAW_DIMS`) of a drawing's :func:`.ink.strokes`,
    rotated by ``angle`` degrees first; all zeros for a blank drawing (``None``).

    Example:
        >>> ink = np.zeros((50, 50), np.float32); ink[10:40, 10] = 1; ink[10, 10:40] = 1
        >>> f, turned = describe_strokes(strokes(ink)), describe_strokes(strokes(ink), 8.0)
        >>> round(float(f @ f), 5), float(turned @ f) < 1
        (1.0, True)
    """
    m = square(drawing, SIDE, angle=angle)
    if not m.any():
        return np.zeros(RAW_DIMS, np.float32)
    shape = _hog(m)
    cell = SIDE // _GRID
    grid = m.reshape(_GRID, cell, _GRID, cell).mean(axis=(1, 3)).ravel()
    return _unit(np.concatenate([_unit(shape.astype(np.float32)), _GRID_WEIGHT * _unit(grid.astype(np.float32))]))


def describe(image: bytes | np.ndarray | Image.Image) -> np.ndarray:
    """The global feature of one drawing as it is (angle 0): what the index stores for a corpus view.

    Example:
        >>> bool(describe(Image.new("L", (50, 50), 255)).any())   # a blank page has no shape
        False
    """
    return describe_strokes(strokes(ink_map(image)))


def verification_map(drawing: np.ndarray | None) -> np.ndarray:
    """The :data:`VERIFY_SIDE`-pixel normalised map of a drawing's :func:`.ink.strokes`, with a margin, that
    :mod:`.verify` aligns.

    Example:
        >>> ink = np.zeros((50, 50), np.float32); ink[10:40, 10:12] = 1
        >>> m = verification_map(strokes(ink)); m.shape, bool(m[:4].any())   # the margin stays paper
        ((64, 64), False)
    """
    return square(drawing, VERIFY_SIDE, margin=_VERIFY_MARGIN)


def query_description(image: bytes | np.ndarray | Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """A query's raw global features, one row per angle of :data:`ANGLES`, and its verification map
    (the engine projects the rows into its index's space).

    Example:
        >>> from PIL import ImageDraw
        >>> im = Image.new("L", (100, 100), 255); ImageDraw.Draw(im).rectangle((20, 30, 80, 70), outline=0)
        >>> rows, vmap = query_description(im)
        >>> rows.shape == (len(ANGLES), RAW_DIMS), np.allclose(rows[ANGLES.index(0.0)], describe(im))
        (True, True)
    """
    drawing = strokes(ink_map(image))
    return np.stack([describe_strokes(drawing, angle) for angle in ANGLES]), verification_map(drawing)


def _hog(m: np.ndarray) -> np.ndarray:
    """HOG as :func:`skimage.feature.hog` computes it (central-difference gradients, unsigned orientations
    in 9 bins, magnitudes averaged per 8 x 8 cell, 2 x 2-cell blocks normalised L2-Hys), vectorised:
    scikit-image normalises its blocks in a Python loop, 1 ms a map, and a query describes 9 maps."""
    g_row, g_col = np.zeros_like(m), np.zeros_like(m)
    g_row[1:-1] = m[2:] - m[:-2]
    g_col[:, 1:-1] = m[:, 2:] - m[:, :-2]
    magnitude = np.hypot(g_row, g_col)
    orientation = np.rad2deg(np.arctan2(g_row, g_col)) % 180.0
    bins = np.minimum((orientation // (180.0 / 9)).astype(np.int64), 8)
    cells = SIDE // _CELL
    rows, cols = np.indices(m.shape) // _CELL
    slot = (rows * cells + cols) * 9 + bins
    hist = np.bincount(slot.ravel(), weights=magnitude.ravel(), minlength=cells * cells * 9)
    hist = hist.reshape(cells, cells, 9) / (_CELL * _CELL)
    blocks = np.stack([hist[:-1, :-1], hist[:-1, 1:], hist[1:, :-1], hist[1:, 1:]], axis=2)  # 7 x 7 x 4 x 9
    blocks = np.minimum(blocks / np.sqrt((blocks ** 2).sum(axis=(2, 3), keepdims=True) + 1e-10), 0.2)
    blocks = blocks / np.sqrt((blocks ** 2).sum(axis=(2, 3), keepdims=True) + 1e-10)
    return blocks.ravel()


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v.astype(np.float32)
