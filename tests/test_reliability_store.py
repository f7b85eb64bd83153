"""What is stored, and where, when the disk, the cache file or the server misbehaves (issue 20, part 3: items 1, 3,
8 and the full-disk half of 10).

The API is the stand-in server of ``tests/standin.py`` (what the sandbox must never do: echo a key in a header);
the file system is real (a 64 KB tmpfs for a full disk); Redis is the real redis-server fixture. Costs are counted
on the server's side. Nothing here measures time: a hang is caught by a generous bound on a child process.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.cli import main as cli_main
from patsnap_analytics.store.file import APPLICATION_ID, foreign

from .conftest import SEARCH, UPLOAD
from .standin import KEY, StandIn, rows
from .test_reliability_client import FAST, cache_bytes, mounted

ROOT = Path(__file__).resolve().parents[1]
HANG_BOUND = 240  # seconds a child may take before it counts as hung (the fixed code needs a few)


def png(n: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (64 + n, 48), 255).save(buf, "PNG")
    return buf.getvalue()


def search_and_upload(h) -> None:
    """A stand-in API: uploads answer a URL, searches answer three rows."""
    if h.path.startswith(UPLOAD):
        h.json({"status": True, "error_code": 0, "data": {"url": "https://img.example/u.png", "expire": 32400}})
    else:
        h.json({"status": True, "error_code": 0, "data": rows(3)})


# ------------------------------------------------------------------ 1: clear only what is our cache

def _notes(folder: Path) -> Path:
    path = folder / "notes.txt"
    path.write_text("Meeting notes: chair designs to check.\n" * 55)  # ~2,100 bytes, as in the finding
    return path


def _results(folder: Path) -> Path:
    path = folder / "results.csv"
    path.write_text("patent_pn,title\nUSD1S,Chair\n")
    return path


def _other_app(folder: Path) -> Path:
    path = folder / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
    return path


NOT_A_CACHE = {"text file": _notes, "csv": _results, "other application's database": _other_app}


def folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", NOT_A_CACHE)
def test_cache_clear_refuses_a_file_that_is_not_a_cache_and_touches_nothing(tmp_path, kind, capsys):
    path = NOT_A_CACHE[kind](tmp_path)
    before = folder_state(tmp_path)
    assert cli_main(["cache", "clear", "--path", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a patsnap-analytics cache" in err and str(path) in err and "nothing was cleared" in err
    assert folder_state(tmp_path) == before  # not a byte changed, no file added (no -wal, no lock folder)
    with pytest.warns(errors.CacheStorageWarning, match="not a patsnap-analytics cache"):
        client = pa.Client(api_key=KEY, base_url="http://127.0.0.1:9", cache=path)
    with pytest.raises(errors.ValidationError, match="nothing was cleared"):
        client.clear_cache()
    assert folder_state(tmp_path) == before


def test_a_client_given_another_file_as_its_cache_searches_without_writing_to_it(tmp_path):
    path = _other_app(tmp_path)
    before = folder_state(tmp_path)
    with StandIn(search_and_upload) as api:
        with pytest.warns(errors.CacheStorageWarning, match=r"app\.db: it is not a patsnap-analytics cache.*users"):
            client = pa.Client(api_key=KEY, base_url=api.url, cache=path, retry=FAST)
        assert len(client.search_designs(png(), limit=3)) == 3
        assert len(client.search_designs(png(), limit=3)) == 3  # kept in memory: paid once
        assert (api.calls(UPLOAD), api.calls(SEARCH)) == (1, 1)
        assert "not a patsnap-analytics cache" in client.cache_info()["storage_problem"]
    assert folder_state(tmp_path) == before


def test_cache_clear_still_clears_a_cache_and_a_damaged_one_it_recognises(tmp_path, capsys):
    path = tmp_path / "c.sqlite"
    with StandIn(search_and_upload) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=path, retry=FAST)
        client.search_designs(png(), limit=3)
        client.close()
    with sqlite3.connect(path) as db:  # marked as ours in the file's own header
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert cli_main(["cache", "clear", "--path", str(path)]) == 0
    assert json.loads(capsys.readouterr().out.split("cache cleared", 1)[1])["responses"] == 0
    # a cache from before the mark is recognised by its tables
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 0")
    assert foreign(path) is None
    # a damaged cache whose header survived is still ours to clear
    for p in tmp_path.iterdir():
        if p.name.startswith("c.sqlite") and p.is_file():
            p.unlink()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("CREATE TABLE responses (key TEXT)")
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    assert cli_main(["cache", "clear", "--path", str(path)]) == 0
    assert "cache cleared" in capsys.readouterr().out


def test_the_default_cache_file_is_always_ours_to_clear_even_as_garbage(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATSNAP_CACHE_DIR", str(tmp_path))
    default = tmp_path / "http_cache.sqlite"
    default.write_bytes(b"this is not a database" * 100)
    assert cli_main(["cache", "clear"]) == 0
    assert "cache cleared" in capsys.readouterr().out and foreign(default) is None


# ------------------------------------------------------------------ 3: a key echoed in a header is never stored

def _echoing(h) -> None:
    """Searches answer well, with the api key echoed in the vendor's trace header (and a clean one on page 2)."""
    correlation = f"corr-{KEY}" if "offset" not in h.query else "corr-0123456789"
    h.send(200, json.dumps({"status": True, "error_code": 0, "data": rows(3)}).encode(),
           x_correlation_id=correlation)


def test_a_key_echoed_in_a_response_header_reaches_neither_the_file_nor_its_wal(tmp_path):
    path = tmp_path / "c.sqlite"
    with StandIn(_echoing) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=path, retry=FAST)
        client.search_designs("https://img.example/a.png", limit=3)
        assert client.search_designs("https://img.example/a.png", limit=3).attrs["from_cache"]
        stored = cache_bytes(path)
        assert any(p.name.endswith("-wal") for p in tmp_path.iterdir())  # the WAL is grepped too
        assert KEY.encode() not in stored and b"corr-" not in stored
        # a trace id that holds no secret is kept for a support ticket
        answers = client.session.cache.responses
        (key,) = list(answers.keys())
        assert "x-correlation-id" not in {k.lower() for k in answers[key].headers}


def test_a_clean_correlation_id_is_kept_for_a_support_ticket(tmp_path):
    path = tmp_path / "c.sqlite"
    with StandIn(lambda h: h.send(200, json.dumps({"status": True, "error_code": 0, "data": rows(3)}).encode(),
                                  x_correlation_id="corr-0123456789")) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=path, retry=FAST)
        client.search_designs("https://img.example/a.png", limit=3)
        (stored,) = [client.session.cache.responses[k] for k in client.session.cache.responses]
        assert stored.headers["x-correlation-id"] == "corr-0123456789"


def test_a_key_echoed_in_a_response_header_never_reaches_redis(tmp_path, redis_url, redis_server):
    with StandIn(_echoing) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=redis_url, retry=FAST)
        client.search_designs("https://img.example/a.png", limit=3)
        r = redis_server.client()
        blob = b"".join(r.get(k) or b"" for k in r.scan_iter(match="patsnap-analytics:responses*")
                        if r.type(k) == b"string")
        blob += b"".join(v for k in r.scan_iter(match="patsnap-analytics:responses*") if r.type(k) == b"hash"
                         for v in r.hgetall(k).values())
        assert b"_content" in blob and b"search-id" in blob  # the answer is there
        assert KEY.encode() not in blob and b"corr-" not in blob


# ------------------------------------------------------------------ 8: a damaged cache file never holds a client

_HOLDER = """
import sys, time, patsnap_analytics as pa
client = pa.Client(api_key=sys.argv[2], base_url=sys.argv[1], cache=sys.argv[3])
client.search_designs("https://img.example/a.png", limit=3)
print("ready", flush=True)
sys.stdin.read()   # keeps the cache file (and its -wal, -shm) open until the test closes our stdin
"""

_SECOND = """
import sys, warnings, patsnap_analytics as pa
from patsnap_analytics.errors import CacheStorageWarning
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    client = pa.Client(api_key=sys.argv[2], base_url=sys.argv[1], cache=sys.argv[3])
    n = len(client.search_designs("https://img.example/b.png", limit=3))
said = [str(w.message) for w in seen if issubclass(w.category, CacheStorageWarning)]
print(n, repr(said[0] if said else ""), client.cache_info()["storage_errors"])
"""


def test_a_second_client_on_a_damaged_cache_file_is_told_at_once_not_held(tmp_path):
    path = tmp_path / "c.sqlite"
    with StandIn(lambda h: h.json({"status": True, "error_code": 0, "data": rows(3)})) as api:
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, api.url, KEY, str(path)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "ready"
            path.unlink()
            path.write_bytes(b"")  # a fresh base file beside the -wal and -shm another process still holds
            second = subprocess.run([sys.executable, "-c", _SECOND, api.url, KEY, str(path)], cwd=ROOT,
                                    capture_output=True, text=True, timeout=HANG_BOUND)
        finally:
            holder.communicate("", timeout=60)
    assert second.returncode == 0, second.stderr[-2000:]
    found, rest = second.stdout.strip().split(" ", 1)
    said, failures = rest.rsplit(" ", 1)
    assert found == "3"  # the search went on, without the cache
    assert str(path) in said and "cache clear" in said and int(failures) >= 1


# ------------------------------------------------------------------ 10: a full disk

def test_a_full_disk_costs_one_upload_and_one_search_for_repeats_and_cache_info_reports_it(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    with mounted(folder, "size=512k"), StandIn(lambda h: h.json(
            {"status": True, "error_code": 0, "data": {"url": "https://img.example/u.png", "expire": 32400}}
            if h.path.startswith(UPLOAD) else {"status": True, "error_code": 0, "data": rows(100)})) as api:
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        (folder / "filler").write_bytes(b"\0" * (free - 64 * 1024))  # 64 KB left: less than a cache needs
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "c.sqlite", retry=FAST)
            image = png()
            for _ in range(20):
                assert len(client.search_designs(image, limit=100)) == 100
            info = client.cache_info()  # raised a raw sqlite3 error before
        assert (api.calls(UPLOAD), api.calls(SEARCH)) == (1, 1)  # remembered in memory when the disk refused
        assert info["storage_errors"] >= 1 and info["storage_problem"]
        said = [str(w.message) for w in seen if issubclass(w.category, errors.CacheStorageWarning)]
        assert said and all(str(folder) in s for s in said)
        client.close()


def test_a_cache_file_kept_busy_is_said_to_be_busy_not_full(tmp_path, monkeypatch):
    # another program holding the cache file's write lock past LOCK_WAIT: the search goes on, and the warning says
    # the file was busy (it used to say "free some disk space (62,073 MB free there)")
    from patsnap_analytics.store import backends

    monkeypatch.setattr(backends, "LOCK_WAIT", 0.3)  # the bound itself, shortened: the test waits 0.3 s, not 10
    path = tmp_path / "c.sqlite"
    with StandIn(lambda h: h.json({"status": True, "error_code": 0, "data": rows(3)})) as api:
        client = pa.Client(KEY, base_url=api.url, cache=path, retry=FAST)
        client.search_designs("https://img.example/a.png", limit=3)  # the file and its tables exist
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.warns(errors.CacheStorageWarning, match="busy") as seen:
                found = client.search_designs("https://img.example/b.png", limit=3)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert len(found) == 3
    assert not any("disk space" in str(w.message) for w in seen)
