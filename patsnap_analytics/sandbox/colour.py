"""Colour layout of utility-model drawings: what model 4 ("shape and colour") weighs and model 3 ignores.

A drawing's feature is, for each cell of a 2 x 2 grid over its ink's bounding box, a histogram of its ink's
hues (12 bins, plus one for gray or black ink), L2-normalised: two drawings of one shape in other colours,
or with their colours swapped between parts, differ here while their shape features agree.
:class:`ColourIndex` holds the features of a corpus's coloured designs, built on first use and cached next
to the corpus.

Example:
    >>> from PIL import ImageDraw
    >>> red, blue = Image.new("RGB", (64, 64), "white"), Image.new("RGB", (64, 64), "white")
    >>> ImageDraw.Draw(red).rectangle((8, 8, 56, 56), outline=(200, 30, 30), width=3)
    >>> ImageDraw.Draw(blue).rectangle((8, 8, 56, 56), outline=(30, 60, 200), width=3)
    >>> round(float(colour_feature(red) @ colour_feature(red)), 3), float(colour_feature(red) @ colour_feature(blue))
    (1.0, 0.0)
"""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from .corpus import Corpus, source_fingerprint
from .index import write_atomic
from .ink import on_paper

__all__ = ["ColourIndex", "colour_feature"]

_CELLS = 2
_HUE_BINS = 12
_SIDE = 128
_CHROMA = 60  # saturation (0-255) from which ink counts as coloured
_PAPER = 200  # value (0-255) above which an unsaturated pixel is paper


def colour_feature(image: bytes | Image.Image) -> np.ndarray:
    """The colour layout of a drawing: per 2 x 2 cell of its ink, a hue histogram (float32, unit length)."""
    im = on_paper(image).convert("RGB")  # transparent areas are paper, not black ink
    im.thumbnail((_SIDE, _SIDE), Image.Resampling.NEAREST)  # nearest: no blended, paler colours at the edges
    hsv = np.asarray(im.convert("HSV"), dtype=np.int32)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    ink = (sat >= _CHROMA) | (val < _PAPER)
    out = np.zeros((_CELLS, _CELLS, _HUE_BINS + 1), np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return out.ravel()
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    ys, xs = np.nonzero(ink[top:bottom, left:right])
    cell_y = np.minimum(ys * _CELLS // (bottom - top), _CELLS - 1)
    cell_x = np.minimum(xs * _CELLS // (right - left), _CELLS - 1)
    h, s = hue[top:bottom, left:right][ys, xs], sat[top:bottom, left:right][ys, xs]
    bins = np.where(s >= _CHROMA, h * _HUE_BINS // 256, _HUE_BINS)
    np.add.at(out, (cell_y, cell_x, bins), 1.0)
    flat = out.ravel()
    norm = float(np.linalg.norm(flat))
    return flat / norm if norm > 0 else flat


class ColourIndex:
    """The colour features of some designs of a corpus (every view), for scoring queries by colour.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(40, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> utility = np.flatnonzero(c.meta.patent_type.eq("U").to_numpy())
        >>> index = ColourIndex(c, utility)
        >>> first = int(utility[0])
        >>> s = index.scores(c.view_path(first, 0).read_bytes()); round(float(s[first]), 3), s.shape == (40,)
        (1.0, True)
    """

    def __init__(self, corpus: Corpus, designs: np.ndarray) -> None:
        self.corpus = corpus
        self.designs = np.asarray(designs, dtype=np.int64)
        n_views = corpus.meta["n_views"].to_numpy(dtype=np.int64)[self.designs]
        self._owner = np.repeat(np.arange(self.designs.size), n_views)
        self._features = self._load_or_build(n_views)

    def _load_or_build(self, n_views: np.ndarray) -> np.ndarray:
        file = self.corpus.root / "colour-features.npy"
        stamp = {"version": source_fingerprint("colour.py"), "designs": self.designs.tolist()[:1000],
                 "count": int(self.designs.size), "rows": int(n_views.sum())}
        info = file.with_suffix(".json")
        try:
            if json.loads(info.read_text(encoding="utf-8")) == stamp:
                return np.load(file)
        except (OSError, ValueError):
            pass  # not built yet (or by other code): build it
        rows = [colour_feature(self.corpus.view_path(int(d), v).read_bytes())
                for d, k in zip(self.designs, n_views, strict=True) for v in range(int(k))]
        features = np.stack(rows) if rows else np.zeros((0, _CELLS * _CELLS * (_HUE_BINS + 1)), np.float32)
        try:
            write_atomic(file, lambda f: np.save(f, features))
            write_atomic(info, lambda f: f.write(json.dumps(stamp).encode()))
        except OSError:
            pass  # a read-only corpus still works; it describes again next time
        return features

    def scores(self, image: bytes | Image.Image) -> np.ndarray:
        """Every design's colour similarity to ``image`` (best view; 0 for designs not in the index)."""
        out = np.zeros(len(self.corpus.meta), np.float32)
        if self.designs.size == 0:
            return out
        sims = np.clip(self._features @ colour_feature(image), 0.0, 1.0)
        best = np.zeros(self.designs.size, np.float32)
        np.maximum.at(best, self._owner, sims)
        out[self.designs] = best
        return out
