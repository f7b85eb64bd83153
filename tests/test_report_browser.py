"""A real browser opens the report offline and paints it: headless Debian chromium renders it to a PNG.

Skipped cleanly when chromium is not installed (``apt-get install chromium``); CI installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from patsnap_analytics.report import landscape_report

from .test_report import image_store, sample_frame

WIDTH, HEIGHT = 1280, 2400


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM = _chromium()

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")]


def screenshot(html: Path, out: Path, profile: Path) -> Path:
    """Render ``html`` to ``out`` with headless chromium, isolated from the user's profile and the network."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out}",
           f"--window-size={WIDTH},{HEIGHT}", html.resolve().as_uri()]
    # a generous limit only so that a hung browser fails the test instead of the whole run; no timing is asserted
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert out.is_file(), f"chromium wrote no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}"
    return out


def test_chromium_paints_the_report(tmp_path):
    df = sample_frame()
    report = landscape_report(df, tmp_path / "report.html", fetch=image_store(df).get,
                              stats={"calls": {"image-upload": 3, "search-id": 3}, "cache_hits": 4})
    png = screenshot(report, tmp_path / "report.png", tmp_path / "profile")
    with Image.open(png) as img:
        assert img.size == (WIDTH, HEIGHT)
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 500, "page looks blank"
        # the sandbox banner is painted at the top: a wide band of vermillion pixels
        top = rgb.crop((0, 0, WIDTH, 40))
        orange = sum(n for n, (r, g, b) in top.getcolors(maxcolors=1 << 16) if r > 180 and 60 < g < 120 and b < 40)
        assert orange > WIDTH * 40 * 0.3


def test_chromium_prints_the_enriched_report_to_pdf(sb, tmp_path):
    """The report of an enriched sandbox search prints to a multi-page A4 PDF with headless chromium."""
    from .conftest import QUERIES, client_for

    client = client_for(sb, cache=tmp_path / "cache.sqlite")
    hits = client.search_many(sorted(QUERIES.glob("*.png"))[:3], limit=10, progress=False)
    rich = client.enrich(hits, progress=False)
    report = landscape_report(rich, tmp_path / "report.html", client=client, offices=["CN", "US"])
    html = report.read_text(encoding="utf-8")
    assert "Executive summary" in html and html.count('<section class="query"') == 3
    assert html.count('alt="query image ') == 3 and "127.0.0.1" not in html
    pdf = tmp_path / "report.pdf"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp_path / 'p'}",
           "--no-pdf-header-footer", f"--print-to-pdf={pdf}", report.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert pdf.is_file(), f"chromium printed nothing (exit {done.returncode}):\n{done.stderr[-2000:]}"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    # summary, one page per query section, charts and tables, two appendices: several A4 pages
    assert pages >= 5, pages
    assert b"/MediaBox [0 0 594" in data or b"/MediaBox [0 0 595" in data  # A4 (595 x 842 pt), from @page
