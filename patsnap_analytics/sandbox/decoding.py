"""How much memory reading a query image takes, and the budget that bounds it.

A PNG is tiny on the wire and huge in memory: a 0.2 MB 7071x7071 RGBA drawing is 50 megapixels, and the
sandbox's readers (the ink map, the beta's line drawing, the colour layout) composite it on white paper at full
size before reducing it: about 13 bytes a pixel for images with transparency or a palette, 650 MB for that one
file (it raised the sandbox's peak from 173 to 937 MB; three at once, 1.7 GB). So:

* :func:`decode_cost` estimates, from the header alone (nothing is decoded), what reading an image costs;
* an image whose cost is over :data:`MAX_DECODE_BYTES` is refused at upload with the API's own code for a file
  that breaks the upload rules (68300010), saying how to make it acceptable (a greyscale, 1-bit or RGB PNG, or
  a JPEG, of any size the API takes costs far less and is never refused);
* every decode holds its cost from one :class:`DecodeBudget` of :data:`MAX_DECODE_BYTES`, so decodes at once
  never need more than that together (small images still run side by side).

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGBA", (7071, 7071)).save(buf, "PNG")
    >>> cost, what = decode_cost(buf.getvalue())
    >>> cost > MAX_DECODE_BYTES, what
    (True, '7071x7071 RGBA PNG')
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MAX_DECODE_BYTES", "DecodeBudget", "decode_cost", "decode_plan"]

#: Bytes of memory the decodes of query images may take, each and all at once.
MAX_DECODE_BYTES = 256 * 2**20
# bytes a pixel costs the readers, by the decoded mode (measured on 16-megapixel images, rounded up): 1-bit and
# grey images are reduced as they are; RGB ones are converted once; transparency and palettes are composited
# on white paper in RGBA at full size (several copies)
_BYTES_PER_PIXEL = {"1": 3, "L": 3, "I;16": 4, "RGB": 5, "YCbCr": 5, "CMYK": 5, "I": 6, "F": 6}
_COMPOSITED = 13


def decode_cost(data: bytes) -> tuple[int, str]:
    """``(bytes, description)``: about what reading ``data`` takes at most, from its header (nothing decoded);
    ``(0, "")`` when it is not an image Pillow can open (the upload's own checks refuse it).

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("L", (1000, 500)).save(buf, "PNG")
        >>> decode_cost(buf.getvalue())
        (1500000, '1000x500 L PNG')
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height, mode, kind = im.width, im.height, im.mode, im.format or "image"
    except Exception:  # Pillow raises many types for what is not an image
        return 0, ""
    return width * height * _BYTES_PER_PIXEL.get(mode, _COMPOSITED), f"{width}x{height} {mode} {kind}"


def decode_plan(data: bytes) -> tuple[int, str | None]:
    """What reading ``data`` costs (bytes, for :meth:`DecodeBudget.hold`) and why it is refused when that is
    more than :data:`MAX_DECODE_BYTES` (``None`` when it is not): the header is read once for both.

    Example:
        >>> decode_plan(b"not an image")[1] is None
        True
    """
    cost, what = decode_cost(data)
    if cost <= MAX_DECODE_BYTES:
        return cost, None
    return cost, (f"this {what} needs about {cost / 2**20:,.0f} MB to read, over the sandbox's {MAX_DECODE_BYTES // 2**20} MB "
            "per image (transparency and palettes are composited at full size); send it as a greyscale, 1-bit "
            "or RGB PNG or as a JPEG, or reduce it")


class DecodeBudget:
    """Bytes of memory shared by the decodes running at once: :meth:`hold` waits until its cost fits (a cost
    larger than the whole budget runs alone).

    Example:
        >>> budget = DecodeBudget(100)
        >>> with budget.hold(60):
        ...     budget.in_use
        60
        >>> budget.in_use
        0
    """

    def __init__(self, total: int = MAX_DECODE_BYTES) -> None:
        self.total = total
        self.in_use = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, cost: int) -> Iterator[None]:
        """Take ``cost`` bytes for the ``with`` block (waiting until they are free), then give them back."""
        with self._changed:
            self._changed.wait_for(lambda: self.in_use == 0 or self.in_use + cost <= self.total)
            self.in_use += cost
        try:
            yield
        finally:
            with self._changed:
                self.in_use -= cost
                self._changed.notify_all()
