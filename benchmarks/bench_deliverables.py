"""The demo's deliverable as a client meets it: the report's width in a 1280 px window and laid out for A4, its
printed pages, and the files' sizes (issue 22). Needs Debian's chromium; poppler-utils for the page count.

    python benchmarks/bench_deliverables.py [REPORT_DIR]

Without REPORT_DIR it runs the demo (8 sample drawings x 25 hits on the default sandbox) into a temporary folder.
Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_deliverables_browser import A4_CONTENT_PX  # noqa: E402
from tests.test_notebook_browser import Browser  # noqa: E402

WIDTHS = ("(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
          " ...[...document.querySelectorAll('main table')].map(t => Math.round(t.getBoundingClientRect().width))])()")


def measure(report: Path, work: Path) -> None:
    browser = Browser(work / "profile")
    try:
        browser.call("Page.enable")
        for media, width in (("screen", 1280), ("print", A4_CONTENT_PX)):
            browser.call("Emulation.setEmulatedMedia", media=media)
            browser.call("Emulation.setDeviceMetricsOverride", width=width, height=1000, deviceScaleFactor=1,
                         mobile=False)
            browser.call("Page.navigate", url=report.resolve().as_uri())
            browser.wait_for("document.readyState === 'complete'", "the report")
            page, window, *tables = browser.evaluate(WIDTHS)
            print(f"{media:6} {width:5} px window: content {page} px wide in {window} px; tables {tables} px")
        pdf = work / "report.pdf"
        pdf.write_bytes(base64.b64decode(browser.call("Page.printToPDF", preferCSSPageSize=True,
                                                      printBackground=True)["data"]))
    finally:
        browser.close()
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
        print(f"printed: {pages} A4 pages, {pdf.stat().st_size / 1024:.0f} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, help="a demo's output folder (default: run the demo)")
    given = parser.parse_args().folder
    work = Path(tempfile.mkdtemp(prefix="bench-deliverables-"))
    if given is not None:
        folder = given
    else:
        from patsnap_analytics.demo import run_demo

        folder = run_demo(work / "demo").parent
    for name in ("landscape.html", "review.xlsx", "results.csv"):
        print(f"{name:15} {(folder / name).stat().st_size / 1024:8.0f} KB")
    measure(folder / "landscape.html", work)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
