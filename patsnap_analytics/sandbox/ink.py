"""From an image to its ink: a drawing as a soft ink map, whatever a scan or a copy made of it.

Both sides of a search go through here, the corpus's clean 1-bit drawings and a user's degraded query, so
the same drawing gives the same map either way:

1. :func:`to_gray` decodes to 8-bit grey (transparent areas are paper; ink of any colour is ink: a pixel
   is as dark as its darkest channel, so a yellow line weighs as a black one and swapping a drawing's colours
   keeps its shape; big sheets reduced to about :data:`WORK_SIDE`, by box averaging, so 1-px lines survive
   as grey).
2. :func:`despeckle` replaces isolated impulses (salt and pepper noise, dust) by their neighbourhood's
   median; lines, even 1 px wide, are never isolated and stay untouched.
3. :func:`darkness`: how far each pixel is from the paper towards the ink, in [0, 1]. The paper is the
   level of the image's border (so white-on-black drawings and grey scanner backgrounds read right), the
   ink the darkest levels. A soft map keeps what thresholding loses: a thin line that blurring and
   downscaling turned light grey still carries its share of ink.
4. :func:`ink_map`: the darkness of the drawing's own strokes only — components small both in area and in
   extent compared with the largest (figure labels such as "FIG. 1", reference numerals, specks) dropped.
5. :func:`strokes`: the ink cropped to the extent of its strokes and reduced to a working size, once;
   :func:`square`: that, optionally rotated, padded square and resized (area averaging) — the normalised
   map that features and verification compare.

Example:
    >>> from PIL import ImageDraw
    >>> im = Image.new("L", (300, 200), 255)
    >>> ImageDraw.Draw(im).rectangle((50, 50, 150, 100), outline=0, width=3)
    >>> m = square(strokes(ink_map(im)), 64)
    >>> m.shape, m.dtype, float(m.max()) > 0.5, float(m[32, 32])
    ((64, 64), dtype('float32'), True, 0.0)
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

__all__ = ["WORK_SIDE", "darkness", "despeckle", "ink_map", "on_paper", "square", "strokes", "to_gray"]

#: Big images are reduced to about this side before anything else (keeps 1-px lines of a sheet as grey).
WORK_SIDE = 768
_IMPULSE = 40  # a pixel this much darker (lighter) than all 8 neighbours is a speck, not a stroke
_MIN_CONTRAST = 20  # grey levels between paper and ink below which an image is blank
_INK_PERCENTILE = 0.5  # the ink level: this percentile of the pixels (strokes are a few % of a drawing)
_FAINT = 0.15  # darkness below this is paper (JPEG ringing, scanner grain, a faint background)
_STROKE = 0.3  # darkness from which a pixel belongs to a stroke (components are found on these)
_EXTENT = 0.25  # darkness from which a pixel counts for a drawing's extent (not a blurred halo's fringe)
_MIN_AREA = 0.02  # ink components below this fraction of the largest's area and ...
_MIN_EXTENT = 0.06  # ... below this fraction of its extent are labels or specks
_ROTATE_SIDE = 192  # a map is reduced to this before rotating: enough for a 64-px result, cheap to rotate
_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)  # the 8 neighbours, without the pixel


def on_paper(image: bytes | Image.Image) -> Image.Image:
    """``image`` (bytes of a PNG/JPEG, or a PIL image) as a PIL image whose transparent areas are white paper,
    not ink: what every reader of a query image starts from (:func:`to_gray`, the beta's line drawing, the
    colour layout).

    Example:
        >>> on_paper(Image.new("RGBA", (2, 2), (0, 0, 0, 0))).getpixel((0, 0))
        (255, 255, 255, 255)
    """
    im = Image.open(io.BytesIO(bytes(image))) if isinstance(image, (bytes, bytearray, memoryview)) else image
    if im.mode in ("RGBA", "LA", "P"):
        im = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im.convert("RGBA"))
    return im


def to_gray(image: bytes | np.ndarray | Image.Image) -> np.ndarray:
    """8-bit grey pixels of an image (bytes of a PNG/JPEG, an array, or a PIL image), big ones reduced.

    Example:
        >>> to_gray(np.ones((2000, 1000), bool)).shape  # True is white, as in PIL's 1-bit images; reduced 2x
        (1000, 500)
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        with Image.open(io.BytesIO(bytes(image))) as im:
            factor = max(im.size) // WORK_SIDE
            if factor >= 2:  # a JPEG is decoded at 1/2..1/8 scale (libjpeg's DCT scaling): far less memory
                im.draft(im.mode, (im.width // factor, im.height // factor))
            return to_gray(im)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(_as_uint8(image))
    im = on_paper(image)
    # ink of any colour is ink: a pixel is as far from white paper as its farthest channel, so a drawing
    # with its colours swapped (or a yellow line, pale by luminance) keeps the same shape. Grey and RGB
    # images are reduced before anything else is made of them: a big sheet is never copied at full size.
    if im.mode not in ("L", "RGB"):
        im = im.convert("L" if im.mode in ("1", "I", "I;16", "F") else "RGB")
    factor = max(im.size) // WORK_SIDE
    if factor >= 2:
        im = im.reduce(factor)  # box average: thin lines survive as grey
    pixels = np.asarray(im, dtype=np.uint8)
    return pixels if pixels.ndim == 2 else pixels.min(axis=2)


def _as_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == bool:  # as PIL reads a 1-bit image: True is white
        return np.where(arr, 255, 0).astype(np.uint8)
    if arr.ndim == 3:
        arr = arr[..., :3].min(axis=2)  # as :func:`to_gray`: ink of any colour is ink
    if arr.dtype != np.uint8:
        hi = float(arr.max()) if arr.size else 1.0
        arr = np.clip(arr * (255.0 / hi if hi > 1.0 else 255.0), 0, 255).astype(np.uint8)
    return arr


def despeckle(gray: np.ndarray) -> np.ndarray:
    """``gray`` with isolated impulses (a pixel far darker or lighter than all 8 neighbours) replaced by
    the median of its 3x3 neighbourhood; everything else unchanged.

    Example:
        >>> g = np.full((5, 5), 255, np.uint8); g[2, 2] = 0
        >>> int(despeckle(g)[2, 2])
        255
    """
    g = gray.astype(np.int16)
    darkest = cv2.erode(gray, _RING, borderType=cv2.BORDER_REPLICATE).astype(np.int16)
    lightest = cv2.dilate(gray, _RING, borderType=cv2.BORDER_REPLICATE).astype(np.int16)
    impulse = (g < darkest - _IMPULSE) | (g > lightest + _IMPULSE)
    if not impulse.any():
        return gray
    return np.where(impulse, cv2.medianBlur(gray, 3), gray)


def darkness(gray: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, float32 in [0, 1]: 0 paper (the border's level), 1 the darkest ink.

    Example:
        >>> g = np.full((10, 10), 200, np.uint8); g[4:6, 2:8] = 40   # grey paper, dark stroke
        >>> d = darkness(g); float(d[0, 0]), float(d[5, 5])
        (0.0, 1.0)
        >>> float(darkness(255 - g)[5, 5])                          # white on black reads the same
        1.0
    """
    if gray.size == 0:
        return np.zeros(gray.shape, np.float32)
    paper = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    if paper < 128:  # light strokes on a dark ground: the ground is the paper
        gray, paper = 255 - gray, 255.0 - paper
    # the ink level from the 256-bin histogram: the same percentile as sorting the pixels, several times faster
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    ink = float(np.searchsorted(counts, counts[-1] * _INK_PERCENTILE / 100.0))
    g = gray.astype(np.float32)
    if paper - ink < _MIN_CONTRAST:
        return np.zeros(gray.shape, np.float32)  # a blank page has no shape
    d = np.clip((paper - g) / (paper - ink), 0.0, 1.0)
    d[d < _FAINT] = 0.0
    return d


def ink_map(image: bytes | np.ndarray | Image.Image) -> np.ndarray:
    """The soft ink (float32, [0, 1]) of the drawing's strokes at working resolution, labels and specks
    dropped (an all-zero map for a blank image).

    Example:
        >>> from PIL import ImageDraw
        >>> sheet = Image.new("L", (400, 400), 255)
        >>> ImageDraw.Draw(sheet).ellipse((50, 50, 350, 300), outline=0, width=4)
        >>> ImageDraw.Draw(sheet).text((180, 360), "FIG. 1", fill=0)   # a figure label
        >>> m = ink_map(sheet); float(m[:320].max()), float(m[340:].max())
        (1.0, 0.0)
    """
    d = darkness(despeckle(to_gray(image)))
    stroke_px = (d >= _STROKE).astype(np.uint8)  # not "strokes": that is this module's function
    keep = _design_components(stroke_px)
    if keep is None:
        return np.zeros(d.shape, np.float32)
    # a kept stroke keeps its soft edge (what blur spread around it); the rest of the page is paper
    return d * cv2.dilate(keep.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def _design_components(strokes: np.ndarray) -> np.ndarray | None:
    """The stroke pixels of the components that belong to the design, or ``None`` if there are none."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    extents = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    keep = (areas >= max(2, _MIN_AREA * areas.max())) & (extents >= _MIN_EXTENT * extents.max())
    if not keep.any():
        return None
    return np.concatenate([[False], keep])[labels]


def strokes(ink: np.ndarray) -> np.ndarray | None:
    """``ink`` cut to the extent of its strokes (a halo that blur spread beyond them does not count) and
    reduced to at most :data:`_ROTATE_SIDE` pixels: what :func:`square` works from, made once per drawing.
    ``None`` for a blank map.

    Example:
        >>> ink = np.zeros((1000, 600), np.float32); ink[100:900, 200:210] = 1.0
        >>> strokes(ink).shape, strokes(np.zeros((5, 5), np.float32))
        ((192, 2), None)
    """
    crop = _crop_to_ink(ink)
    if crop is None or max(crop.shape) <= _ROTATE_SIDE:
        return crop
    f = _ROTATE_SIDE / max(crop.shape)
    size = (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def square(drawing: np.ndarray | None, side: int, *, margin: float = 0.0, angle: float = 0.0) -> np.ndarray:
    """A drawing's :func:`strokes`, rotated by ``angle`` degrees (counter-clockwise) if asked, padded square
    with ``margin`` (a fraction of the size) on each side, and resized to ``side`` x ``side``.

    Example:
        >>> ink = np.zeros((100, 60), np.float32); ink[10:90, 20:22] = 1.0   # one upright stroke
        >>> m = square(strokes(ink), 32); m.shape, bool(m[:, 15:17].all()), bool(m[:, :12].any())
        ((32, 32), True, False)
        >>> bool(square(None, 8).any())
        False
    """
    crop = drawing
    if crop is not None and angle:
        crop = _crop_to_ink(_rotate(crop, angle))
    if crop is None:
        return np.zeros((side, side), np.float32)
    h, w = crop.shape
    n = round(max(h, w) * (1 + 2 * margin)) + 2
    padded = np.zeros((n, n), np.float32)
    top, left = (n - h) // 2, (n - w) // 2
    padded[top:top + h, left:left + w] = crop
    return cv2.resize(padded, (side, side), interpolation=cv2.INTER_AREA)


def _crop_to_ink(ink: np.ndarray) -> np.ndarray | None:
    core = ink >= _EXTENT
    rows, cols = np.flatnonzero(core.any(axis=1)), np.flatnonzero(core.any(axis=0))
    if rows.size == 0:
        return None
    return np.ascontiguousarray(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], dtype=np.float32)


def _rotate(ink: np.ndarray, angle: float) -> np.ndarray:
    """``ink`` rotated counter-clockwise about its centre on a canvas big enough for every corner."""
    h, w = ink.shape
    n = int(np.ceil(np.hypot(h, w))) + 2
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += ((n - w) / 2, (n - h) / 2)
    return cv2.warpAffine(ink, matrix, (n, n), flags=cv2.INTER_LINEAR)
