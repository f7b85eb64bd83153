"""Thumbnails: one shrinking algorithm for gallery, report and picker; thin drawing lines survive; never raises."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from patsnap_analytics.images import ImageRef
from patsnap_analytics.thumbnails import image_fetcher, shrink, thumbnail, thumbnail_png

from .conftest import bomb_png, png_bytes


def encoded(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def sheet_with_lines(xs: list[int], width: int = 1) -> Image.Image:
    """A 2000x3000 1-bit drawing sheet (the size of a real one), blank on top, with vertical lines at ``xs``."""
    sheet = Image.new("1", (2000, 3000), 1)
    draw = ImageDraw.Draw(sheet)
    for x in xs:
        draw.line([(x, 1000), (x, 2900)], fill=0, width=width)
    return sheet


@pytest.mark.parametrize("size", [96, 240, 256])
def test_every_thin_line_of_a_drawing_sheet_survives_the_shrink(size):
    xs = [150 + 149 * i + (3 * i) % 11 for i in range(12)]  # lines at every alignment to the pooling blocks
    small = np.asarray(shrink(sheet_with_lines(xs), size).convert("L"))
    row = small[2 * small.shape[0] // 3]
    scale = small.shape[1] / 2000
    darkest = [int(row[max(0, round(x * scale) - 2): round(x * scale) + 3].min()) for x in xs]
    assert max(darkest) < 200, darkest  # plain resampling leaves such a line at ~250: invisible on white
    assert small[: small.shape[0] // 4].min() == 255  # and the blank paper stays white


def test_real_sheets_keep_their_lines_in_a_preview(real_drawings):
    for path in real_drawings[:3]:
        preview = pixels(thumbnail_png(ImageRef.from_any(path), 96))
        assert max(preview.shape[:2]) == 96
        assert (preview.min(axis=2) < 128).mean() > 0.02  # a real share of clearly dark pixels, not a grey haze


def test_gallery_report_and_picker_shrink_alike(real_drawings, tmp_path):
    """The same sheet gives the same pixels whichever face shows it: there is one algorithm."""
    from patsnap_analytics.report import THUMB_PX, landscape_report

    data = real_drawings[0].read_bytes()
    by_url = thumbnail("u", {"u": data}.get, size=THUMB_PX)
    preview = pixels(thumbnail_png(data, THUMB_PX))
    assert np.array_equal(np.asarray(by_url), preview)

    df = pd.DataFrame({"query": ["q.png"], "patent_id": ["p1"], "patent_pn": ["USD1S"], "image_url": ["u"]})
    html = landscape_report(df, tmp_path / "r.html", fetch={"u": data}.get).read_text()
    uris = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="USD1S"', html)
    assert len(set(uris)) == 1  # the query's section and the top table show the same thumbnail
    uri = uris[0]
    assert np.array_equal(pixels(base64.b64decode(uri)), preview)


def test_transparent_images_are_flattened_onto_white_everywhere():
    clear = encoded(Image.new("RGBA", (600, 300), (0, 0, 0, 0)))
    for small in (np.asarray(thumbnail("u", lambda url: clear, size=100)), pixels(thumbnail_png(clear, 100))):
        assert small.shape == (50, 100, 3) and small.min() == 255


def test_photos_are_shrunk_to_rgb_within_the_size():
    photo = encoded(Image.fromarray(np.random.default_rng(1).integers(0, 255, (900, 1200, 3), dtype=np.uint8)),
                    "JPEG")
    img = thumbnail("u", lambda url: photo, size=128)
    assert img.mode == "RGB" and img.size == (128, 96)
    assert pixels(thumbnail_png(ImageRef.from_bytes(photo), 64)).shape == (48, 64, 3)


def test_a_small_image_is_not_enlarged():
    assert thumbnail("u", lambda url: png_bytes((40, 30)), size=256).size == (40, 30)


def test_thumbnail_never_raises_and_says_none():
    def broken(url):
        raise OSError("connection reset")

    assert thumbnail(None, broken) is None
    assert thumbnail(pd.NA, broken) is None
    assert thumbnail(float("nan"), broken) is None
    assert thumbnail("", broken) is None
    assert thumbnail("u", broken) is None
    assert thumbnail("u", lambda url: None) is None
    assert thumbnail("u", lambda url: b"") is None
    assert thumbnail("u", lambda url: b"\x89PNG\r\n\x1a\n truncated") is None
    assert thumbnail("u", lambda url: bomb_png()) is None  # a decompression bomb is never decoded


def test_image_fetcher_prefers_fetch_then_client_fetch_image():
    class Client:
        def fetch_image(self, url):
            return b"from the client"

    client = Client()
    assert image_fetcher(fetch=lambda url: b"given", client=client)("u") == b"given"
    assert image_fetcher(client=client)("u") == b"from the client"
    with pytest.raises(TypeError, match="fetch_image"):
        image_fetcher(client=object())


def test_thumbnails_import_neither_matplotlib_nor_widgets():
    code = ("import json, sys, patsnap_analytics.thumbnails; "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in json.loads(out)} | set(json.loads(out))
    assert not loaded & {"matplotlib", "ipywidgets", "patsnap_analytics.plots", "patsnap_analytics.widgets",
                         "patsnap_analytics.report"}
