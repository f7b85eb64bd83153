"""The search app in a real browser: Voilà serves notebooks/app.ipynb, headless Debian chromium renders it, and
the test uses it as a person would: picks a sample image, searches, exports the results as CSV and downloads the
file through the page's own link.

Skipped cleanly when chromium or Voilà is missing. Everything is bounded: Voilà and chromium run in their own
process groups and are terminated (then killed) at the end; every wait polls the page for a state, with a
generous hard limit (a loaded machine is slow, not wrong; no time is asserted). Artefacts: the screenshots of
the app after the export (``app-after-export.png``, the results tab; ``app-gallery.png``, the gallery tab) and
the page source are kept in ``tests/artifacts/`` (git-ignored); the downloaded file stays in the test's tmp_path.
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
ARTIFACTS = ROOT / "tests" / "artifacts"
SERVER_START_TIMEOUT = 60
BROWSER_TIMEOUT = 120  # for each state the test waits for: the page, a search, an export, a download
SAMPLE = "query-3-06-01-chair.png"

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

    def wait_for(self, expression: str, what: str, timeout: float = BROWSER_TIMEOUT):
        """Poll until ``expression`` is truthy in the page; fail naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"the page never showed {what} (waited {timeout} s for {expression})")
            time.sleep(0.5)

    def click(self, selector: str) -> None:
        """Click the element ``selector`` names (its own click(): what a mouse click does to a button or a link)."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              f" if (!e) return false; e.scrollIntoView(); e.click(); return true; }})()")
        assert found, f"nothing on the page matches {selector}"

    def mouse_click(self, expression: str) -> None:
        """A real mouse click (pressed, released) in the middle of the element ``expression`` evaluates to:
        what widgets that listen to pointer events (the tabs) need."""
        box = self.evaluate(f"(() => {{ const e = {expression}; if (!e) return null; e.scrollIntoView();"
                            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        assert box, f"nothing on the page for {expression}"
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def screenshot(self, path: Path) -> bytes:
        shot = base64.b64decode(self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(shot)
        print(f"screenshot: {path}")
        return shot

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


def _pick_sample(browser: Browser, name: str) -> None:
    """Choose ``name`` in the samples menu (an ipywidgets Dropdown is a <select>) and press "Add sample"."""
    chosen = browser.evaluate(
        "(() => { const s = document.querySelector('.pa-sample-menu select');"
        f" const i = [...s.options].findIndex(o => o.textContent.trim() === {json.dumps(name)});"
        " if (i < 0) return false; s.selectedIndex = i; s.dispatchEvent(new Event('change', {bubbles: true}));"
        " return true; })()")
    assert chosen, f"{name} is not offered in the samples menu"
    browser.click(".pa-add-sample button, button.pa-add-sample")
    browser.wait_for("document.querySelectorAll('.pa-image-picker .pa-thumbnail').length === 1", "the picked sample")


def _tick_loc_by_words(browser: Browser, words: str, label: str) -> str:
    """Type ``words`` into "Find by words", tick the class labelled ``label``; the LOC expression it wrote."""
    typed = browser.evaluate(
        "(() => { const i = document.querySelector('.pa-loc-picker input[type=text]'); if (!i) return false;"
        f" i.focus(); i.value = {json.dumps(words)}; i.dispatchEvent(new Event('input', {{bubbles: true}}));"
        " return true; })()")
    assert typed, "no words box in the LOC picker"
    box = (f"[...document.querySelectorAll('.pa-loc-picker .widget-checkbox')].find(b => b.querySelector('span') "
           f"&& b.querySelector('span').textContent.trim() === {json.dumps(label)})")
    browser.wait_for(f"{box} !== undefined", f"the class {label!r} offered for {words!r}")
    browser.evaluate(f"{box}.querySelector('input').click()")
    expression = ("document.querySelector('.pa-filter-form .widget-text input[placeholder^=\"e.g. 10-02\"]')"
                  ".value")
    return browser.wait_for(expression, "the LOC expression written by the tick")


def _download_csv(browser: Browser, downloads: Path) -> tuple[bytes, bytes]:
    """Press the CSV export button, then the download link it offers; the link's bytes and the saved file's."""
    browser.click("button.pa-export-csv")
    link = "document.querySelector('a.pa-download[data-kind=\"csv\"]')"
    browser.wait_for(f"{link} !== null", "the CSV download link")
    href = browser.evaluate(f"{link}.getAttribute('href')")
    name = browser.evaluate(f"{link}.getAttribute('download')")
    assert href.startswith("data:text/csv;base64,") and name.endswith(".csv"), (href[:40], name)
    browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
    browser.click('a.pa-download[data-kind="csv"]')
    deadline = time.monotonic() + BROWSER_TIMEOUT
    target = downloads / name
    while not target.is_file() or any(downloads.glob("*.crdownload")):  # chromium renames the file when done
        assert time.monotonic() < deadline, f"the browser did not save {name} in {downloads}"
        time.sleep(0.5)
    return base64.b64decode(href.split(",", 1)[1]), target.read_bytes()


def test_search_app_picks_searches_and_exports_in_a_browser(voila_url, tmp_path):
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=voila_url)
        browser.wait_for("document.querySelector('.pa-search-app .pa-filter-form .widget-datepicker') !== null",
                         "the app")
        rendered = browser.evaluate("document.documentElement.outerHTML") or ""

        _pick_sample(browser, SAMPLE)
        loc = _tick_loc_by_words(browser, "chair", "06-01 Seats")
        browser.wait_for("!document.querySelector('button.pa-search-button').disabled", "an enabled Search button")
        browser.click("button.pa-search-button")
        status = browser.wait_for(
            "(() => { const s = document.querySelector('.pa-app-status'); const t = s ? s.textContent : '';"
            " return /results? for 1 image/.test(t) && document.querySelector('.pa-results img') ? t : ''; })()",
            "the results of the search")
        cost = browser.evaluate("document.querySelector('.pa-app-cost').textContent")
        link_bytes, saved = _download_csv(browser, tmp_path / "downloads")
        time.sleep(1.0)  # let the last layouts settle before the picture (what it shows is not asserted)
        dom = browser.evaluate("document.documentElement.outerHTML") or ""
        shot = browser.screenshot(ARTIFACTS / "app-after-export.png")
        browser.mouse_click("[...document.querySelectorAll('.pa-search-app .lm-TabBar-tab')]"
                            ".find(t => t.textContent.trim() === 'Gallery')")
        browser.wait_for("document.querySelector('.pa-gallery-card img') && "
                         "document.querySelector('.pa-gallery-card img').getBoundingClientRect().height > 0",
                         "the gallery tab")
        browser.screenshot(ARTIFACTS / "app-gallery.png")
    finally:
        browser.close()
    (ARTIFACTS / "app.html").write_text(dom)

    # the app rendered: our widgets by the classes they add, their labels, the title once
    for marker in ("pa-search-app", "pa-image-picker", "pa-filter-form", "pa-upload", "widget-datepicker",
                   "pa-loc-picker", "pa-checkbox-group"):
        assert marker in rendered, f"{marker} not rendered"
    for text in ("Upload images", "LOC classes", "Find by words", "Offices", "Simple status",
                 "Legal status (detailed)", "Sort by", "Search", "sandbox: generated sample designs", SAMPLE):
        assert text in rendered, f"{text!r} not rendered"
    assert rendered.count("Similar registered designs") == 1, "the title is shown more than once"
    assert "Traceback" not in dom

    assert loc == "06-01"  # found by words, ticked, written as the filter

    # one search of one image: an upload and a search-id call, said on the page
    n = int(status.split()[0])
    assert 0 < n <= 10 and "[sandbox data]" in status
    assert "This search: 2 API calls" in cost, cost

    # the file the browser saved is the link's, and it holds the results shown
    import pandas as pd

    assert saved == link_bytes
    table = pd.read_csv(io.BytesIO(saved))
    assert len(table) == n and table["query"].unique().tolist() == [SAMPLE]
    assert {"rank", "patent_pn", "score", "image_url", "image_url_note"} <= set(table.columns)
    assert table["rank"].tolist() == list(range(1, n + 1))

    from PIL import Image

    with Image.open(io.BytesIO(shot)) as im:
        assert im.size[0] >= 1000
        # a rendered page, not a blank one: plenty of dark pixels
        grey = np.asarray(im.convert("L").resize((128, 240)))
        assert (grey < 200).sum() > 200
