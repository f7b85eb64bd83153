"""The search app in a real browser: Voilà serves notebooks/app.ipynb, headless Debian chromium renders it.

Skipped cleanly when chromium or Voilà is missing. Everything is bounded: Voilà runs in its own process group and
is terminated (then killed) at the end; chromium runs with a virtual-time budget and a hard timeout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "app.ipynb"
SERVER_START_TIMEOUT = 60
BROWSER_TIMEOUT = 120

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _voila_available() -> bool:
    try:
        import voila  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_url(tmp_path):
    if not _chromium():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if not _voila_available():
        pytest.skip("voila is not installed")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PATSNAP_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("PATSNAP_API_KEY", "PATSNAP_CLIENT_ID", "PATSNAP_CLIENT_SECRET", "PATSNAP_BASE_URL"):
        env.pop(name, None)  # the app must run on the sandbox, never on a real account
    log = (tmp_path / "voila.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--ServerApp.open_browser=False"],
        cwd=NOTEBOOK.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"voila exited early:\n{(tmp_path / 'voila.log').read_text(errors='replace')[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    break  # listening; the notebook itself runs when the page is requested
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("voila did not start in time")
                time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()


def _chromium_run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,2200",
           "--virtual-time-budget=20000", *args]
    return subprocess.run(cmd, capture_output=True, timeout=BROWSER_TIMEOUT, start_new_session=True)


def test_search_app_renders_in_a_browser(voila_url, tmp_path):
    dom_run = _chromium_run(["--dump-dom", voila_url], tmp_path / "profile-dom")
    dom = dom_run.stdout.decode("utf-8", errors="replace")
    (tmp_path / "app.html").write_text(dom)
    assert "jupyter-widgets" in dom, dom_run.stderr.decode(errors="replace")[-2000:]
    # our own widgets, by the classes they add, and their labels
    for marker in ("pa-search-app", "pa-image-picker", "pa-filter-form", "widget-upload"):
        assert marker in dom, f"{marker} not rendered"
    for text in ("Upload images", "LOC classes", "Legal status", "Offices", "Sort by", "Search",
                 "sandbox: generated sample designs"):
        assert text in dom, f"{text!r} not rendered"
    assert "Traceback" not in dom

    shot = tmp_path / "app.png"
    _chromium_run([f"--screenshot={shot}", voila_url], tmp_path / "profile-shot")
    assert shot.exists() and shot.stat().st_size > 10_000
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size[0] >= 1000
        # a rendered page, not a blank one: plenty of non-white pixels
        grey = im.convert("L").resize((128, 220))
        assert sum(1 for v in grey.getdata() if v < 200) > 200
