"""ImageRef: an image as the upload endpoint will accept it, checked before any call.

The rules are the API's (JPG or PNG, at most 4096 KB) plus two of our own that save a wasted upload:
the bytes must decode, and the decoded size must stay under a pixel cap (a decompression bomb is a
tiny file that would expand to gigabytes). The sandbox applies the very same checks server-side.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("1", (40, 30), 1).save(buf, "PNG")
    >>> ref = ImageRef.from_any(buf.getvalue())
    >>> ref.kind, ref.size, len(ref.sha256)
    ('png', (40, 30), 64)
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import InvalidImageError

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "ImageRef",
    "ImageSource",
    "Views",
    "image_files",
    "read_image_file",
    "sample_queries_dir",
    "sniff_kind",
]

#: The API's upload limit: 4096 KB.
MAX_IMAGE_BYTES = 4096 * 1024
#: Decoded pixel cap: generous for a 600-dpi drawing sheet (~5000x7000), far below a bomb.
MAX_PIXELS = 50_000_000
#: PNGs up to this many pixels are decoded in full to check them; larger ones by their chunk checksums only.
FULL_DECODE_PIXELS = 12_000_000

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes]

#: File name endings taken from folders and offered by upload buttons (the API takes JPG and PNG only).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class Views(tuple):
    """The views of ONE design (1-4 images: front, side, top ...), searched together by image-multiple:
    ``client.search_designs(pa.Views("front.png", "side.png"))``. Several images that are *different* designs
    are several searches: ``client.search_many([...])``.

    Example:
        >>> Views("front.png", "side.png")
        Views('front.png', 'side.png')
        >>> Views(["front.png", "side.png"]) == Views("front.png", "side.png"), isinstance(Views("a.png"), tuple)
        (True, True)
    """

    def __new__(cls, *views: object) -> Views:
        if len(views) == 1 and isinstance(views[0], (list, tuple)):
            views = tuple(views[0])
        return super().__new__(cls, views)

    def __repr__(self) -> str:
        return f"Views({', '.join(repr(v) if isinstance(v, (str, Path)) else type(v).__name__ for v in self)})"


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The JPG/PNG files directly in ``folder`` (by name; their content is checked when they are read), sorted.

    Example:
        >>> image_files("/no/such/folder")
        []
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def too_large(nbytes: int) -> str:
    """The one wording of "this image is over the upload limit", wherever it is found (a file, bytes, the app's
    upload button in the browser).

    Example:
        >>> too_large(5 * 1024 * 1024)
        "5120 KB is over the API's limit of 4096 KB; downscale or recompress it"
    """
    return f"{nbytes / 1024:.0f} KB is over the API's limit of 4096 KB; downscale or recompress it"


def sample_queries_dir() -> Path:
    """The folder of the sample query drawings that ship with the package: ``data/queries`` of the repository,
    reached through the package's ``data`` link (a symlink in a checkout, real files in a wheel: setuptools copies
    what it points to), so there is one copy of them.

    Example:
        >>> sample_queries_dir().name, len(image_files(sample_queries_dir())) >= 8
        ('queries', True)
    """
    return Path(__file__).resolve().parent / "data" / "queries"


_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}
_OTHER_MAGIC = {
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"%PDF": "PDF",
    b"<svg": "SVG",
    b"<?xml": "SVG/XML",
}


def sniff_kind(data: bytes) -> str | None:
    """``'png'`` or ``'jpeg'`` from the magic bytes, else ``None`` (the file name is never trusted).

    Example:
        >>> sniff_kind(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff_kind(b"GIF89a")
        ('png', None)
    """
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    return None


def _describe_other(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP is not accepted"
    for magic, name in _OTHER_MAGIC.items():
        if data.startswith(magic):
            return f"{name} is not accepted"
    return "the content is neither JPG nor PNG"


@dataclass(frozen=True, repr=False)
class ImageRef:
    """A validated image: its type, pixel size, sha256, a display name, and its bytes or where to read them.

    An image read from a file keeps only its ``path``: :attr:`data` reads the file again when the bytes are
    needed (an upload) and checks they still hash the same, so a batch of 1,000 drawings does not hold
    250 MB. An image given as bytes keeps them (they are all there is).

    Example:
        >>> ImageRef.from_any(b"GIF89a....")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.InvalidImageError: image: GIF is not accepted: the API takes JPG or PNG only
    """

    kind: str
    size: tuple[int, int]
    sha256: str
    name: str
    nbytes: int
    path: Path | None = None
    _data: bytes | None = None

    def __repr__(self) -> str:  # never dump the bytes into a notebook
        return (f"ImageRef(name={self.name!r}, kind={self.kind!r}, size={self.size}, "
                f"bytes={self.nbytes}, sha256={self.sha256[:12]}…)")

    @property
    def data(self) -> bytes:
        """The image's bytes: kept ones, or the file read again (it must not have changed since it was checked).

        Example:
            >>> import io
            >>> from PIL import Image
            >>> buf = io.BytesIO(); Image.new("1", (8, 8), 1).save(buf, "PNG")
            >>> ImageRef.from_bytes(buf.getvalue()).data == buf.getvalue()
            True
        """
        if self._data is not None:
            return self._data
        assert self.path is not None
        try:
            data = read_image_file(self.path)
        except (OSError, InvalidImageError) as exc:
            raise InvalidImageError(f"image {self.name}", f"cannot be read again: {exc}") from None
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise InvalidImageError(f"image {self.name}", f"{self.path} changed since it was checked; pass it again")
        return data

    @property
    def holds_bytes(self) -> bool:
        """Whether the bytes are kept in memory (an image given as bytes) rather than re-read from its file."""
        return self._data is not None

    @property
    def display_name(self) -> str:
        """How results name this image: its file name, or ``sha256:<first 12>`` for nameless bytes.

        Example:
            >>> import io
            >>> from PIL import Image
            >>> buf = io.BytesIO(); Image.new("1", (8, 8), 1).save(buf, "PNG")
            >>> ImageRef.from_bytes(buf.getvalue()).display_name.startswith("sha256:")
            True
        """
        return self.name if self.name != "image" else f"sha256:{self.sha256[:12]}"

    @property
    def mime_type(self) -> str:
        """``image/png`` or ``image/jpeg``."""
        return f"image/{self.kind}"

    @property
    def filename(self) -> str:
        """A file name with the extension that matches the real type (sent in the multipart upload)."""
        stem = Path(self.name).stem or "image"
        return f"{stem}.{'jpg' if self.kind == 'jpeg' else 'png'}"

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "image", *, parameter: str = "image") -> ImageRef:
        """Validate raw bytes: type by magic bytes, at most 4096 KB, decodes, pixel count under the cap.

        Example:
            >>> ImageRef.from_bytes(b"")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.InvalidImageError: image: empty file
        """
        data = bytes(data)
        label = parameter if name == "image" else f"{parameter} {name}"
        if not data:
            raise InvalidImageError(label, "empty file")
        kind = sniff_kind(data)
        if kind is None:
            raise InvalidImageError(label, f"{_describe_other(data)}: the API takes JPG or PNG only")
        if len(data) > MAX_IMAGE_BYTES:
            raise InvalidImageError(label, too_large(len(data)))
        size = _decoded_size(data, label, kind)
        return cls(kind=kind, size=size, sha256=hashlib.sha256(data).hexdigest(), name=name, nbytes=len(data),
                   _data=data)

    @classmethod
    def from_any(cls, image: ImageSource | ImageRef, *, parameter: str = "image") -> ImageRef:
        """From a path, ``bytes``, or a binary file object.

        Example:
            >>> ImageRef.from_any("/no/such/file.png")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.InvalidImageError: image: file not found: /no/such/file.png
        """
        if isinstance(image, ImageRef):
            return image
        if isinstance(image, (bytes, bytearray, memoryview)):
            return cls.from_bytes(bytes(image), parameter=parameter)
        if isinstance(image, (str, os.PathLike)):
            path = Path(image).expanduser()
            if not path.exists():
                raise InvalidImageError(parameter, f"file not found: {path}")
            if path.is_dir():
                raise InvalidImageError(parameter, f"{path} is a directory, not an image file")
            try:
                data = read_image_file(path, parameter=parameter)
            except OSError as exc:
                raise InvalidImageError(parameter, f"{path} cannot be read ({exc.strerror or exc})") from None
            checked = cls.from_bytes(data, name=path.name, parameter=parameter)
            # keep where the bytes are, not the bytes: they are read again for an upload
            return dataclasses.replace(checked, path=path.resolve(), _data=None)
        if hasattr(image, "read"):
            data = image.read(MAX_IMAGE_BYTES + 1)
            if isinstance(data, str):
                raise InvalidImageError(parameter, "the file object is open in text mode; open it with 'rb'")
            name = Path(str(getattr(image, "name", "image"))).name
            return cls.from_bytes(data, name=name, parameter=parameter)
        raise InvalidImageError(
            parameter, f"must be a path, bytes or a binary file object, got {type(image).__name__}"
        )


def read_image_file(path: Path, *, parameter: str = "image") -> bytes:
    """The bytes of the image file at ``path``: a regular file (a device such as ``/dev/zero`` never ends, a FIFO
    would wait for a writer for ever), read up to the API's limit and no further.

    Opened without blocking and checked on the open file itself, so nothing can be swapped in between the
    check and the read. Raises :class:`~patsnap_analytics.errors.InvalidImageError` (or ``OSError`` when the
    file cannot be opened).

    Example:
        >>> read_image_file(Path("/dev/zero"))
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.InvalidImageError: image: /dev/zero is not a regular file (a device, a FIFO or a socket); give an image file
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InvalidImageError(parameter, f"{path} is not a regular file (a device, a FIFO or a socket); "
                                               "give an image file")
        if info.st_size > MAX_IMAGE_BYTES:  # do not read a huge file just to reject it
            raise InvalidImageError(f"{parameter} {path.name}", too_large(info.st_size))
        return f.read(MAX_IMAGE_BYTES + 1)  # a file still growing is cut here, and refused by its size


def _check_decodes(im, kind: str) -> None:
    """Decode as little as proves the file sound: a JPEG at 1/8 scale (libjpeg still reads and checks the
    whole stream), a large PNG by its chunk structure and checksums (no pixel buffer), a small PNG in full."""
    width, height = im.size
    if kind == "jpeg":
        im.draft(im.mode, (max(1, width // 8), max(1, height // 8)))
        im.load()
    elif width * height > FULL_DECODE_PIXELS:
        im.verify()  # a 50-megapixel sheet would take ~200 MB to decode just to be looked at
    else:
        im.load()


def _decoded_size(data: bytes, label: str, kind: str) -> tuple[int, int]:
    from PIL import Image  # Pillow is light, but only image paths need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                if width * height > MAX_PIXELS:
                    raise InvalidImageError(
                        label, f"{width}x{height} pixels is over the cap of {MAX_PIXELS:,} (decompression bomb?)"
                    )
                _check_decodes(im, kind)  # a truncated or corrupt file fails here, not at the server
    except InvalidImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageError(label, f"too many pixels (decompression bomb?): {exc}") from None
    except Exception as exc:  # Pillow raises a zoo of types for broken files
        raise InvalidImageError(label, f"the {kind.upper()} does not decode ({type(exc).__name__}: {exc})") from None
    return width, height

