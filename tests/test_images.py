"""ImageRef: the upload rules are checked locally, by content, before any call."""

import io

import pytest
from PIL import Image

from patsnap_analytics.errors import InvalidImageError
from patsnap_analytics.images import MAX_IMAGE_BYTES, ImageRef, sniff_kind

from .conftest import bomb_png, jpeg_bytes, png_bytes


def test_png_and_jpeg_are_accepted_by_content():
    assert ImageRef.from_bytes(png_bytes()).kind == "png"
    ref = ImageRef.from_bytes(jpeg_bytes(), name="photo.png")  # the name lies; the bytes decide
    assert ref.kind == "jpeg" and ref.filename == "photo.jpg" and ref.mime_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty file"),
        (b"GIF89a\x01\x00\x01\x00", "GIF is not accepted"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP is not accepted"),
        (b"BM\x00\x00", "BMP is not accepted"),
        (b"%PDF-1.7", "PDF is not accepted"),
        (b"hello world", "neither JPG nor PNG"),
        (png_bytes()[:60], "does not decode"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "does not decode"),
        (bomb_png(), "decompression bomb"),
    ],
)
def test_rejected_bytes(data, fragment):
    with pytest.raises(InvalidImageError, match=fragment):
        ImageRef.from_bytes(data)


def test_over_4096_kb_is_rejected_before_decoding(tmp_path):
    data = png_bytes() + b"\x00" * (MAX_IMAGE_BYTES + 1024)
    with pytest.raises(InvalidImageError, match="4096 KB"):
        ImageRef.from_bytes(data)
    big = tmp_path / "big.png"
    big.write_bytes(data)
    with pytest.raises(InvalidImageError, match="4096 KB"):
        ImageRef.from_any(big)


def test_paths_and_file_objects(tmp_path):
    p = tmp_path / "drawing.png"
    p.write_bytes(png_bytes())
    assert ImageRef.from_any(p).name == "drawing.png"
    assert ImageRef.from_any(str(p)).sha256 == ImageRef.from_any(p.read_bytes()).sha256
    with open(p, "rb") as fh:
        assert ImageRef.from_any(fh).name == "drawing.png"
    with pytest.raises(InvalidImageError, match="not found"):
        ImageRef.from_any(tmp_path / "missing.png")
    with pytest.raises(InvalidImageError, match="directory"):
        ImageRef.from_any(tmp_path)
    with open(p, encoding="latin-1") as fh, pytest.raises(InvalidImageError, match="text mode"):
        ImageRef.from_any(fh)
    with pytest.raises(InvalidImageError, match="path, bytes"):
        ImageRef.from_any(12345)


def test_repr_never_dumps_bytes():
    ref = ImageRef.from_bytes(png_bytes())
    assert "\\x" not in repr(ref) and len(repr(ref)) < 200


def test_sniff_kind():
    buf = io.BytesIO()
    Image.new("L", (4, 4)).save(buf, "PNG")
    assert sniff_kind(buf.getvalue()) == "png"
    assert sniff_kind(b"GIF8") is None


def test_real_one_bit_drawing_sheets_are_accepted(real_drawings):
    for path in real_drawings:
        ref = ImageRef.from_any(path)
        assert ref.kind == "png" and min(ref.size) > 500 and len(ref.data) <= 4096 * 1024
