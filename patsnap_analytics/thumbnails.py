"""Small pictures of design images: result images fetched by URL, and previews of query images.

One shrinking algorithm (:func:`shrink`) serves the gallery, the report and the widgets, so a drawing looks the
same everywhere. Design drawings are mostly 1-bit sheets of about 2000x3000 px with 1–2 px lines; ordinary
resampling averages such lines into pale grey (or nothing) at thumbnail size. :func:`shrink` first min-pools a
1-bit sheet (each block keeps its darkest pixel, so every line survives, a little bolder), then resamples.

Images of results are fetched only through a ``fetch(url) -> bytes | None`` function, normally
``client.fetch_image`` (see :func:`image_fetcher`), so the client's cache is used and nothing is downloaded behind
the analyst's back. This module needs Pillow and numpy only: no Matplotlib, no widgets.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("1", (2000, 3000), 1).save(buf, "PNG")
    >>> thumbnail("https://example.com/sheet.png", {"https://example.com/sheet.png": buf.getvalue()}.get).size
    (171, 256)
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image

from .images import ImageRef

if TYPE_CHECKING:
    from .protocols import FetchesImages

__all__ = ["PREVIEW_PX", "Fetch", "data_uri", "image_fetcher", "shrink", "thumbnail", "thumbnail_png"]

#: ``fetch(url) -> bytes | None``: how an image URL becomes bytes (``None`` when it is unavailable).
Fetch = Callable[[str], "bytes | None"]

#: Longest side of a query-image preview (the image picker's), in pixels.
PREVIEW_PX = 96


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """``data`` as a ``data:`` URI, the form in which thumbnails and charts travel inside HTML (the report, the
    app's tables) with no file beside them.

    Example:
        >>> data_uri(b"x")
        'data:image/png;base64,eA=='
    """
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_fetcher(fetch: Fetch | None = None, client: FetchesImages | None = None) -> Fetch | None:
    """The function that turns an image URL into bytes: ``fetch`` if given, else ``client.fetch_image``.

    Example:
        >>> image_fetcher(fetch=lambda url: None)("x") is None
        True
        >>> image_fetcher() is None
        True
    """
    if fetch is not None:
        return fetch
    if client is not None:
        method = getattr(client, "fetch_image", None)
        if not callable(method):
            raise TypeError("client: needs a fetch_image(url) -> bytes | None method")
        return method
    return None


def _bold_shrink(img: Image.Image, target: int) -> Image.Image:
    """Shrink a 1-bit drawing sheet by min-pooling, so a 2 px line on a 3000 px sheet stays a visible line.

    Plain resampling averages thin black lines into pale grey at thumbnail size; taking the darkest pixel of
    each block keeps every line (a little bolder), which is what an analyst needs to compare shapes.
    """
    factor = max(img.size) // target
    if factor < 2:
        return img.convert("L")
    ink = np.asarray(img, dtype=bool)  # True = white paper
    h, w = (ink.shape[0] // factor) * factor, (ink.shape[1] // factor) * factor
    pooled = ink[:h, :w].reshape(h // factor, factor, w // factor, factor).min(axis=(1, 3))
    return Image.fromarray(pooled.astype(np.uint8) * 255, mode="L")


def _decode(data: bytes, size: int) -> Image.Image:
    """Decode image bytes; a decompression bomb raises instead of warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        img.draft("RGB", (size, size))  # JPEG: decode at reduced scale, much faster for big photos
        img.load()
    return img


def shrink(img: Image.Image, size: int) -> Image.Image:
    """``img`` as an RGB image at most ``size`` px on a side; thin lines of 1-bit drawings survive.

    A 1-bit sheet is min-pooled to about twice ``size`` first (see the module docstring), then every image is
    resampled with Lanczos. Transparent images are flattened onto white paper, not onto black.

    Example:
        >>> from PIL import Image, ImageDraw
        >>> sheet = Image.new("1", (2000, 3000), 1)
        >>> ImageDraw.Draw(sheet).line([(1000, 0), (1000, 2999)], fill=0, width=1)  # one 1 px line
        >>> small = shrink(sheet, 96)
        >>> small.mode, small.size
        ('RGB', (64, 96))
        >>> small.convert("L").getextrema()  # the line is still there, grey on white paper
        (180, 255)
        >>> sheet.convert("L").resize(small.size, Image.Resampling.LANCZOS).getextrema()  # plain resampling: gone
        (250, 255)
    """
    if img.mode == "1":
        img = _bold_shrink(img, 2 * size)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, "white")
        img.paste(rgba, mask=rgba.getchannel("A"))
    else:
        img = img.convert("RGB")
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    return img


def thumbnail(url: object, fetch: Fetch, *, size: int = 256) -> Image.Image | None:
    """The image at ``url`` as an RGB PIL image at most ``size`` px on a side, or ``None`` if unavailable.

    Never raises for a bad image: a thumbnail is decoration, and one expired result URL must not cost the
    analyst a whole gallery or report.

    Example:
        >>> thumbnail("x", lambda url: b"not an image") is None
        True
    """
    if url is None or pd.isna(url) or not str(url):  # type: ignore[arg-type]
        return None
    try:
        data = fetch(str(url))
        if not data:
            return None
        return shrink(_decode(data, size), size)
    except Exception:  # any failure to get or decode one image degrades to a placeholder, by design
        return None


def thumbnail_png(image: ImageRef | bytes, size: int = PREVIEW_PX) -> bytes:
    """A small PNG preview of a query image (longest side ``size`` px), made with :func:`shrink`.

    The image has been validated already (an :class:`~patsnap_analytics.images.ImageRef`, or its bytes), so a
    failure to decode raises rather than hiding the image.

    Example:
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("1", (2000, 3000), 1).save(buf, "PNG")
        >>> Image.open(io.BytesIO(thumbnail_png(ImageRef.from_bytes(buf.getvalue())))).size
        (64, 96)
    """
    data = image.data if isinstance(image, ImageRef) else image
    with _decode(data, size) as img:
        small = shrink(img, size)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()
