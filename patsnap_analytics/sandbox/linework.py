"""Turning a photo, a rendering or a shaded drawing into a patent-style line drawing (the beta endpoint).

The vendor's beta image search "turns the query image into a patent-style line drawing first", which finds
a product photographed or rendered better than describing its shading would. The sandbox does the same with
scikit-image: the image's gray levels are smoothed and Canny edges taken, so a shaded body becomes its
outline and the contours of its parts -- what the corpus's drawings show -- instead of a dark blob.

Example:
    >>> from PIL import ImageDraw
    >>> photo = Image.new("L", (200, 200), 235)
    >>> ImageDraw.Draw(photo).ellipse((40, 40, 160, 160), fill=90)   # a shaded disc, no lines
    >>> lines = np.asarray(line_drawing(photo)) < 128
    >>> bool(lines[100, 40:44].any()), bool(lines[100, 100])           # its rim is ink, its body is paper
    (True, False)
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage
from scipy.ndimage import binary_dilation
from skimage.feature import canny

from .ink import on_paper

__all__ = ["line_drawing", "photo_like", "printout_photo", "silhouette"]

_WORK_SIDE = 384  # edges are taken at about this size: enough for contours, cheap on a photo of megapixels
_SIGMA = 2.0  # smoothing before the edges: texture and noise of a photo should not become lines


def line_drawing(image: bytes | Image.Image) -> Image.Image:
    """Black contour lines on white (mode ``L``) of ``image``: its Canny edges, thickened to one stroke.

    A drawing stays a drawing (each of its lines becomes a slightly thicker line); a shaded or photographed
    object becomes its outline and inner contours.
    """
    gray = on_paper(image).convert("L")
    gray.thumbnail((_WORK_SIDE, _WORK_SIDE), Image.Resampling.LANCZOS)
    levels = np.asarray(gray, dtype=np.float32) / 255.0
    if float(levels.max() - levels.min()) < 1e-3:
        return gray.point(lambda _: 255)  # a blank image has no lines
    edges = canny(levels, sigma=_SIGMA, low_threshold=0.05, high_threshold=0.15)
    ink = binary_dilation(edges, structure=np.ones((3, 3), bool))
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8), "L")


def photo_like(drawing: bytes | Image.Image, *, seed: int = 0) -> bytes:
    """A side-lit, shaded rendering of a line drawing as a JPEG (no lines left, only shading and noise):
    the kind of query the beta is for. Used to measure it (tests, ``benchmarks/bench_family.py``).

    Example:
        >>> from PIL import ImageDraw
        >>> sheet = Image.new("L", (120, 120), 255)
        >>> ImageDraw.Draw(sheet).rectangle((30, 30, 90, 90), outline=0, width=2)
        >>> Image.open(io.BytesIO(photo_like(sheet))).format
        'JPEG'
    """
    body = _body(drawing)
    h, w = body.shape
    across = np.mgrid[0:h, 0:w][1] / w
    rng = np.random.default_rng(seed)
    light = 40 + 175 * across  # dark on the left, nearly paper-bright on the right: no single threshold fits
    paper = 235 - 25 * across
    pixels = np.where(body, light, paper) + rng.normal(0, 6, body.shape)
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return _jpeg(out.filter(ImageFilter.GaussianBlur(1.2)), 85)


def silhouette(drawing: bytes | Image.Image, *, seed: int = 0) -> bytes:
    """The drawing's body filled black on white, as a JPEG: its outline survives, every inner line is gone.
    Another kind of query the beta is for (``seed`` is unused: a silhouette has no noise).

    Example:
        >>> from PIL import ImageDraw
        >>> sheet = Image.new("L", (120, 120), 255)
        >>> ImageDraw.Draw(sheet).rectangle((30, 30, 90, 90), outline=0, width=2)
        >>> int(np.asarray(Image.open(io.BytesIO(silhouette(sheet))).convert("L"))[60, 60]) < 60   # filled
        True
    """
    body = _body(drawing)
    return _jpeg(Image.fromarray(np.where(body, 20, 250).astype(np.uint8)), 85)


def printout_photo(drawing: bytes | Image.Image, *, seed: int = 0) -> bytes:
    """The drawing printed and photographed, as a JPEG: turned 2-6 degrees, skewed, on grey paper lit from
    one corner (the far corner about half as bright), blurred, with sensor noise.

    Example:
        >>> from PIL import ImageDraw
        >>> sheet = Image.new("L", (120, 120), 255)
        >>> ImageDraw.Draw(sheet).rectangle((30, 30, 90, 90), outline=0, width=2)
        >>> Image.open(io.BytesIO(printout_photo(sheet, seed=1))).mode
        'RGB'
    """
    rng = np.random.default_rng(seed)
    im = on_paper(drawing)
    angle = float(rng.uniform(2, 6)) * (1 if rng.random() < 0.5 else -1)
    page = im.convert("L").rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
    w, h = page.size
    skew = float(rng.uniform(0.03, 0.08))
    page = page.transform((w, h), Image.Transform.AFFINE, (1, skew, -skew * h / 2, 0, 1, 0),
                          resample=Image.Resampling.BILINEAR, fillcolor=255)
    y, x = np.mgrid[0:h, 0:w]
    light = 1.0 - 0.5 * np.hypot(x / w, y / h) / np.sqrt(2)  # brightest at the lit corner
    levels = (60 + np.asarray(page, np.float32) * (215 - 60) / 255) * light + rng.normal(0, 5, (h, w))
    page = Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.0))
    return _jpeg(page, 80)


def _body(drawing: bytes | Image.Image) -> np.ndarray:
    """The area a drawing's outline encloses (its ink closed, then filled)."""
    im = on_paper(drawing)
    ink = np.asarray(im.convert("L")) < 128
    return ndimage.binary_fill_holes(ndimage.binary_closing(ink, iterations=3))


def _jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()
