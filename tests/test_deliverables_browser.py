"""Issue 22 in a real browser: the landscape report fits a 1280 px window and an A4 page (printed by chromium,
its pages turned into images and text by poppler), and CJK titles are painted with glyphs, not boxes.

Skipped cleanly without Debian's chromium (and, for the page images, poppler-utils); .ci/run installs both.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import QUERIES, client_for
from .test_notebook_browser import Browser, _chromium, voila_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(_chromium() is None, reason="chromium not installed (apt-get install chromium)")]

#: The printable width of an A4 page with the report's @page margins (210 mm - 2 x 12 mm), in CSS pixels.
A4_CONTENT_PX = round((210 - 24) / 25.4 * 96)
A4_PX = round(210 / 25.4 * 96)


@pytest.fixture(scope="module")
def deliverable(shared_sandbox, tmp_path_factory):
    """The deliverable of four sample drawings on the sandbox, enriched and labelled by every facet (what the
    demo and `patsnap-analytics report` write): long Locarno labels, several queries per design, CJK titles."""
    from patsnap_analytics.workflows.deliverable import deliver

    out = tmp_path_factory.mktemp("deliverable")
    client = client_for(shared_sandbox, cache=out / "cache.sqlite")
    hits = client.search_many(sorted(QUERIES.glob("*.png"))[:4], limit=12, progress=False)
    done = deliver(client, hits, out, progress=False)
    client.close()
    return done


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    b.call("Page.enable")
    yield b
    b.close()


def _open(browser: Browser, page: Path) -> None:
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("document.readyState === 'complete' && document.images.length > 0 && "
                     "[...document.images].every(i => i.complete)", "the report with its images")


_OVERFLOWS = """(() => {
  const main = document.querySelector('main').getBoundingClientRect();
  const out = [];
  for (const e of document.querySelectorAll('main table, main figure, main img, main td, main th, main h1, main h2')) {
    const r = e.getBoundingClientRect();
    if (r.right > main.right + 1 || e.scrollWidth > e.clientWidth + 1)
      out.push(`${e.tagName}.${e.className}: right ${Math.round(r.right)} > ${Math.round(main.right)}, scroll ${e.scrollWidth} > ${e.clientWidth}`);
  }
  return out.slice(0, 10);
})()"""


def test_the_report_fits_a_1280px_window_without_sideways_scrolling(deliverable, browser):
    """Before: the "Top 25" table was 1,546 px wide in the 1,180 px column, and the window scrolled sideways."""
    browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    _open(browser, deliverable.paths["report"])
    widths = browser.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} px of content in {widths[1]} px"
    assert browser.evaluate(_OVERFLOWS) == []


def test_the_report_prints_on_a4_without_cut_words_or_clipped_tables(deliverable, browser, tmp_path):
    """Before: printed, the top table's Labels column was cut mid-word at the page's edge ("10-02 Watches and
    wr…"). Laid out for print at A4's width nothing is wider than the page; printed by chromium, every page's
    right margin is blank (nothing runs off the paper) and the text holds every label whole."""
    browser.call("Emulation.setEmulatedMedia", media="print")
    browser.call("Emulation.setDeviceMetricsOverride", width=A4_CONTENT_PX, height=1100, deviceScaleFactor=1,
                 mobile=False)
    _open(browser, deliverable.paths["report"])
    assert browser.evaluate(_OVERFLOWS) == []
    labels = browser.evaluate("[...document.querySelectorAll('table.top .tag')].map(t => t.textContent.trim())")
    assert labels and any(len(label) > 25 for label in labels)
    pdf = base64.b64decode(browser.call("Page.printToPDF", preferCSSPageSize=True, printBackground=True)["data"])
    (tmp_path / "report.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed (apt-get install poppler-utils): the printed pages are not checked")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    for page in pages:
        with Image.open(page) as img:
            grey = np.asarray(img.convert("L"))
        margin = grey[:, -int(grey.shape[1] * 8 / 210):]  # the last 8 mm of the 12 mm right margin
        assert (margin < 200).sum() == 0, f"{page.name}: something is printed past the right margin"
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    flat = re.sub(r"\s+", " ", text)
    for label in set(labels):
        assert re.sub(r"\s+", " ", label) in flat or all(w in flat for w in label.split()), label
    assert "…" not in "".join(labels)


def test_cjk_titles_are_painted_with_glyphs_not_boxes(browser, tmp_path):
    """The report names CJK fonts after its Latin ones: a Chinese/Japanese title is drawn with a CJK font (the
    browser says which font painted it) and two different characters look different (boxes would not)."""
    import pandas as pd

    from patsnap_analytics.report import landscape_report

    df = pd.DataFrame({"query": ["椅子.png"], "patent_id": ["p1"], "patent_pn": ["CND1S"], "title": ["办公椅"]})
    page = landscape_report(df, tmp_path / "cjk.html", title="椅子と灯 landscape")
    browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("document.readyState === 'complete'", "the report")
    browser.call("DOM.enable")
    browser.call("CSS.enable")
    root = browser.call("DOM.getDocument")["root"]["nodeId"]
    h1 = browser.call("DOM.querySelector", nodeId=root, selector="h1")["nodeId"]
    fonts = browser.call("CSS.getPlatformFontsForNode", nodeId=h1)["fonts"]
    cjk = [f for f in fonts if "CJK" in f["familyName"] or "Han" in f["familyName"]]
    if not cjk and not any("CJK" in line for line in subprocess.run(["fc-list"], capture_output=True,
                                                                     text=True).stdout.splitlines()):
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk; .ci/run installs it)")
    assert cjk and sum(f["glyphCount"] for f in cjk) >= 4, fonts
    boxes = browser.evaluate("""(() => { const t = document.querySelector('h1').firstChild; const out = [];
      for (const i of [0, 3]) { const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
        const b = r.getBoundingClientRect(); out.push([b.x, b.y, b.width, b.height]); } return out; })()""")
    shots = []
    for x, y, w, h in boxes:
        png = browser.call("Page.captureScreenshot", format="png",
                           clip={"x": x, "y": y, "width": w, "height": h, "scale": 2})["data"]
        with Image.open(io.BytesIO(base64.b64decode(png))) as img:
            shots.append(np.asarray(img.convert("L").resize((32, 32))).astype(int))
    assert all((s < 128).sum() > 20 for s in shots)            # something is painted in both
    assert np.abs(shots[0] - shots[1]).mean() > 10              # and they are two different glyphs


# ------------------------------------------------------------------------------------------------ the app
def test_the_app_refuses_a_large_upload_in_the_browser_and_keeps_working(voila_url, tmp_path):  # noqa: F811
    """Before: a file over ~10 MB closed the kernel's websocket ("Connection lost") and uploading was broken
    for the rest of the session, without a word. Now the browser refuses any file over the API's 4096 KB before
    reading it, with the message a large file gets anywhere else, and the next upload works."""
    from patsnap_analytics.images import too_large

    big = tmp_path / "scan.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(12 * 1024 * 1024))   # 12 MB: past Tornado's 10 MB message limit
    small = QUERIES / "query-3-06-01-chair.png"
    browser = Browser(tmp_path / "profile")
    try:
        browser.call("Page.enable")
        browser.call("DOM.enable")
        browser.call("Page.navigate", url=voila_url)
        browser.wait_for("document.querySelector('.pa-upload input[type=file]') !== null", "the upload button")
        assert browser.evaluate("document.querySelector('.pa-upload').textContent").strip().endswith("Upload images")

        def choose(path: Path) -> None:
            root = browser.call("DOM.getDocument", depth=-1, pierce=True)["root"]["nodeId"]
            node = browser.call("DOM.querySelector", nodeId=root, selector=".pa-upload input[type=file]")["nodeId"]
            browser.call("DOM.setFileInputFiles", files=[str(path)], nodeId=node)

        choose(big)
        message = browser.wait_for(
            "(() => { const e = document.querySelector('.pa-picker-error'); return e ? e.textContent : ''; })()",
            "the refusal of the large file")
        assert "scan.png" in message and too_large(big.stat().st_size).split(";")[0] in message, message
        choose(small)                                                       # the session still works
        browser.wait_for("document.querySelectorAll('.pa-image-picker .pa-thumbnail').length === 1",
                         "the small file's thumbnail after the refusal")
        assert "Connection lost" not in (browser.evaluate("document.body.textContent") or "")
    finally:
        browser.close()
