"""The search app in a real browser: Voilà serves notebooks/app.ipynb, headless Debian chromium renders it.

Skipped cleanly when chromium or Voilà is missing. Everything is bounded: Voilà and chromium run in their own
process groups and are terminated (then killed) at the end; waiting for the page has a hard timeout. The page
source and a screenshot are saved in the test's tmp_path (app.html, app.png).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
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


def _warm_default_sandbox() -> None:
    """Build and index the sandbox's default corpus here, once: the app connects to that one (as the notebooks
    and the CLI do), and its first build must not eat into the page's time limit."""
    from patsnap_analytics.sandbox import Sandbox

    with Sandbox():
        pass


@pytest.fixture
def voila_url(tmp_path):
    if not _chromium():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    if not _voila_available():
        pytest.skip("voila is not installed")
    _warm_default_sandbox()
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


class Browser:
    """Headless chromium driven over the DevTools protocol (websocket-client comes with jupyter_server).

    ``--dump-dom`` with a virtual-time budget is not enough here: virtual time does not wait for the kernel's
    websocket traffic that renders the widgets, so the page would be captured with the spinner. Polling the
    page for the app's own CSS class waits exactly as long as needed, bounded by a real timeout.
    """

    def __init__(self, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,2400",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 30
        browser_ws = None
        while browser_ws is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if "DevTools listening on " in line:
                browser_ws = line.split("DevTools listening on ", 1)[1].strip()
            elif not line and self.proc.poll() is not None:
                break
        if browser_ws is None:
            self.close()
            pytest.fail("chromium did not start its DevTools endpoint")
        port = browser_ws.split(":")[2].split("/")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            page = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self._id = 0

    def call(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def test_search_app_renders_in_a_browser(voila_url, tmp_path):
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=voila_url)
        deadline = time.monotonic() + BROWSER_TIMEOUT
        ready = "document.querySelector('.pa-search-app .pa-filter-form .widget-datepicker') !== null"
        while not browser.evaluate(ready):
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # let the last layouts settle before the picture
        dom = browser.evaluate("document.documentElement.outerHTML") or ""
        shot = base64.b64decode(browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
    finally:
        browser.close()
    (tmp_path / "app.html").write_text(dom)
    (tmp_path / "app.png").write_bytes(shot)
    assert "jupyter-widgets" in dom
    # our own widgets, by the classes they add, and their labels
    for marker in ("pa-search-app", "pa-image-picker", "pa-filter-form", "widget-upload", "widget-datepicker"):
        assert marker in dom, f"{marker} not rendered"
    for text in ("Upload images", "LOC classes", "Legal status", "Offices", "Sort by", "Search",
                 "sandbox: generated sample designs", "query-1-10-02-watch.png"):
        assert text in dom, f"{text!r} not rendered"
    assert "Traceback" not in dom

    from PIL import Image

    with Image.open(io.BytesIO(shot)) as im:
        assert im.size[0] >= 1000
        # a rendered page, not a blank one: plenty of dark pixels
        grey = np.asarray(im.convert("L").resize((128, 240)))
        assert (grey < 200).sum() > 200
