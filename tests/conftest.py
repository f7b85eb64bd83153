"""Shared fixtures: image factories, the real drawings folder, and one sandbox per test session."""

from __future__ import annotations

import io
import os
import signal
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
# the API's paths, written out here as the tests' own spec (not imported from the code under test)
SEARCH, UPLOAD, TOKEN = "/image-search/search-id", "/image-search/image-upload", "/oauth/token"
RESULTS, SINGLE = "/image-search/results", "/search/patent/image-single"
BETA, MULTIPLE = "/search/patent/image-single/beta", "/search/patent/image-multiple"
#: Every search endpoint with every model it takes (patent type D: models 1-2, U: 3-4), as (endpoint, filters)
ENDPOINT_MODELS = [("search-id", {}), *((endpoint, {"model": model} if model < 3 else {"patent_type": "U", "model": model})
                                         for endpoint in ("image-single", "image-single-beta", "image-multiple")
                                         for model in (1, 2, 3, 4))]
REAL_DRAWINGS = ROOT.parent / "shared" / "real_drawings"
QUERIES = ROOT / "data" / "queries"


def as_in_a_terminal() -> None:
    """``preexec_fn`` for a child that a test stops with Ctrl+C: Ctrl+C interrupts it, as in a terminal's
    foreground. Started from a background job (CI scripts often are), a child would inherit SIGINT ignored,
    and Python then installs no KeyboardInterrupt handler at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def png_bytes(size=(64, 48), mode="1", color=1, draw_box=True) -> bytes:
    """A small drawing-like PNG: a black rectangle on white."""
    im = Image.new(mode, size, color)
    if draw_box:
        from PIL import ImageDraw

        ImageDraw.Draw(im).rectangle([size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4],
                                     outline=0, width=2)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A structurally valid tiny PNG whose header declares ``width`` x ``height`` 1-bit pixels (a bomb)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def jpeg_bytes(size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (255, 255, 255)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def real_drawings() -> list[Path]:
    """The real US design drawing sheets in ../shared (skips when they are not there, as on a user's machine)."""
    files = sorted(REAL_DRAWINGS.glob("*.png")) if REAL_DRAWINGS.is_dir() else []
    if not files:
        pytest.skip("../shared/real_drawings is not available")
    return files


@pytest.fixture(scope="session")
def query_images() -> list[Path]:
    files = sorted(QUERIES.glob("*.png"))
    assert files, "data/queries/ must hold the sample query images"
    return files


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory):
    """Tests never touch the user's real cache; the generated corpus is shared across the session."""
    cache = tmp_path_factory.mktemp("user-cache")
    os.environ["PATSNAP_CACHE_DIR"] = str(cache)
    os.environ.setdefault("PATSNAP_SANDBOX_CACHE", str(ROOT / ".pytest_cache" / "sandbox-corpus"))
    for name in ("PATSNAP_API_KEY", "PATSNAP_CLIENT_ID", "PATSNAP_CLIENT_SECRET", "PATSNAP_OFFLINE",
                 "PATSNAP_BASE_URL", "PATSNAP_CACHE_URL"):
        os.environ.pop(name, None)
    yield


SANDBOX_DESIGNS = 300


@pytest.fixture(scope="session")
def shared_sandbox():
    """One real sandbox server on 127.0.0.1 for the whole session (small corpus, faults off)."""
    from patsnap_analytics.sandbox import Sandbox

    with Sandbox(designs=SANDBOX_DESIGNS, seed=7) as box:
        yield box


@pytest.fixture
def sb(shared_sandbox):
    """The shared sandbox with default fault settings and zeroed call counters."""
    import dataclasses

    from patsnap_analytics.sandbox.faults import FaultSettings

    defaults = {f.name: f.default for f in dataclasses.fields(FaultSettings)}
    shared_sandbox.configure(**defaults)
    while shared_sandbox.faults.next_scripted() is not None:  # a previous test's unused script
        pass
    shared_sandbox.reset_stats()
    yield shared_sandbox
    shared_sandbox.configure(**defaults)


def calls(sb) -> dict[str, int]:
    """The sandbox's call counts: the three seed endpoints always (zeros too), any other only when called."""
    return {path: n for path, n in sb.stats.items() if n or path in (SEARCH, UPLOAD, TOKEN)}


def client_for(sb, auth: str = "apikey", **options):
    """A real client of the running sandbox ``sb``, connected as a user does: its api key, or OAuth."""
    import patsnap_analytics as pa

    if auth == "apikey":
        return pa.connect(sandbox=sb, **options)
    if auth == "oauth":
        return pa.connect(sandbox=sb, client_id=sb.client_id, client_secret=sb.client_secret, **options)
    raise ValueError(f"auth must be 'apikey' or 'oauth', got {auth!r}")


@pytest.fixture
def drawing(query_images) -> bytes:
    """The bytes of one sample query drawing (not in the corpus)."""
    return query_images[0].read_bytes()


def query_drawing_bytes(n: int) -> list[bytes]:
    """``n`` distinct held-out drawings (not in the corpus) as PNG bytes."""
    from patsnap_analytics.sandbox.sample import query_drawings

    out = []
    for _, im in query_drawings(n):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server for the session (skips where Debian's redis-server is not installed)."""
    from .redisserver import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian's redis-server package; .ci/run installs it)")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of the session's redis-server, emptied for this test."""
    redis_server.client().flushall()
    return redis_server.url
