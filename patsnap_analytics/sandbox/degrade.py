"""What happens to a drawing between its registration and an analyst's query: scanned, photographed, cropped.

A real query is rarely the registered drawing itself. These make the sandbox's study queries
(:mod:`.truth`) and the benchmarks' hard cases from clean corpus drawings, each seeded by the caller's
random generator (the same generator state gives the same bytes):

* :func:`scanned` — everything a scan of a printout does at once: 4 % cut off one side, turned up to 8
  degrees, scaled 0.7-1.3, blurred (sigma 0.5-1 px), salt-and-pepper noise (1 % black, 1 % white), a JPEG
  at quality 80 (``benchmarks/bench_engine_quality.py``'s near-duplicate cases);
* :func:`photographed` — the drawing printed and photographed (:func:`.linework.printout_photo`: turned,
  skewed, grey paper lit from one corner, blurred, sensor noise, JPEG);
* :func:`cropped` — a screenshot of part of the sheet: 6-15 % cut off one side, shrunk to 50-90 %, PNG.

Example:
    >>> import numpy as np
    >>> from PIL import ImageDraw
    >>> sheet = Image.new("L", (200, 200), 255)
    >>> ImageDraw.Draw(sheet).rectangle((40, 40, 160, 160), outline=0, width=3)
    >>> [Image.open(io.BytesIO(degrade(sheet, k, np.random.default_rng(1)))).format for k in KINDS]
    ['JPEG', 'JPEG', 'PNG']
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["KINDS", "cropped", "cut_side", "degrade", "photographed", "salt_and_pepper", "scanned"]

#: The kinds of degraded query :func:`degrade` makes, in the order study queries cycle through them.
KINDS = ("scanned", "photographed", "cropped")


def salt_and_pepper(im: Image.Image, rng: np.random.Generator, share: float = 0.01) -> Image.Image:
    """``share`` of the pixels turned black and as many white (dust and sensor noise).

    Example:
        >>> a = np.asarray(salt_and_pepper(Image.new("L", (100, 100), 128), np.random.default_rng(0)))
        >>> 0.005 < float((a == 0).mean()) < 0.015
        True
    """
    a = np.asarray(im.convert("L")).copy()
    r = rng.random(a.shape)
    a[r < share] = 0
    a[r > 1 - share] = 255
    return Image.fromarray(a)


def cut_side(im: Image.Image, share: float, rng: np.random.Generator) -> Image.Image:
    """``im`` with ``share`` of its width or height cut off one side, chosen at random.

    Example:
        >>> cut_side(Image.new("L", (100, 50)), 0.1, np.random.default_rng(0)).size in [(90, 50), (100, 45)]
        True
    """
    w, h = im.size
    side = int(rng.integers(4))
    dx, dy = round(share * w), round(share * h)
    return im.crop([(dx, 0, w, h), (0, dy, w, h), (0, 0, w - dx, h), (0, 0, w, h - dy)][side])


def scanned(im: Image.Image, rng: np.random.Generator) -> bytes:
    """Every distortion of a scan at once, as a JPEG (see the module's docstring).

    Example:
        >>> Image.open(io.BytesIO(scanned(Image.new("L", (80, 80), 255), np.random.default_rng(2)))).mode
        'L'
    """
    im = cut_side(im.convert("L"), 0.04, rng)
    im = im.rotate(float(rng.uniform(-8, 8)), resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    s = float(rng.uniform(0.7, 1.3))
    im = im.resize((max(8, round(im.width * s)), max(8, round(im.height * s))), Image.Resampling.BILINEAR)
    im = salt_and_pepper(im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.0)))), rng)
    return _encode(im, "JPEG")


def photographed(im: Image.Image, rng: np.random.Generator) -> bytes:
    """A photo of the drawing's printout (:func:`.linework.printout_photo`), as a JPEG.

    Example:
        >>> Image.open(io.BytesIO(photographed(Image.new("L", (80, 80), 255), np.random.default_rng(2)))).format
        'JPEG'
    """
    from .linework import printout_photo  # scikit-image loads only when a photo is made

    return printout_photo(im, seed=int(rng.integers(1 << 30)))


def cropped(im: Image.Image, rng: np.random.Generator) -> bytes:
    """Part of the sheet, as a screenshot would hold it: 6-15 % cut off one side, shrunk to 50-90 %, PNG.

    Example:
        >>> Image.open(io.BytesIO(cropped(Image.new("L", (100, 100), 255), np.random.default_rng(2)))).width < 90
        True
    """
    im = cut_side(im.convert("L"), float(rng.uniform(0.06, 0.15)), rng)
    s = float(rng.uniform(0.5, 0.9))
    im = im.resize((max(8, round(im.width * s)), max(8, round(im.height * s))), Image.Resampling.LANCZOS)
    return _encode(im, "PNG")


def degrade(im: Image.Image, kind: str, rng: np.random.Generator) -> bytes:
    """``im`` degraded as :data:`KINDS` says, as image bytes (JPEG or PNG).

    Example:
        >>> degrade(Image.new("L", (10, 10)), "faxed", np.random.default_rng(0))
        Traceback (most recent call last):
        ...
        ValueError: kind: one of ('scanned', 'photographed', 'cropped'), got 'faxed'
    """
    makers = {"scanned": scanned, "photographed": photographed, "cropped": cropped}
    if kind not in makers:
        raise ValueError(f"kind: one of {KINDS}, got {kind!r}")
    return makers[kind](im, rng)


def _encode(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": 80} if fmt == "JPEG" else {"optimize": True}))
    return buf.getvalue()
