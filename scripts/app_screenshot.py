"""Make docs/app.png, the user guide's picture of the app, from the browser test's screenshot.

    python -m pytest tests/test_notebook_browser.py      # writes tests/artifacts/app-gallery.png
    python scripts/app_screenshot.py                     # shrinks it into docs/app.png (< 200 KB)

The picture is the real app in headless chromium after a search, on the gallery tab; it is scaled to 75 % and
reduced to 64 colours (a page of text and line drawings loses nothing visible), keeping the repository small.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "artifacts" / "app-gallery.png"
TARGET = ROOT / "docs" / "app.png"
MAX_BYTES = 200 * 1024


def shrink(source: Path, target: Path, scale: float = 0.75, colours: int = 64) -> int:
    """Write ``source`` scaled by ``scale`` with ``colours`` colours to ``target``; returns its size in bytes.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp()); Image.new("RGB", (40, 20), "white").save(folder / "a.png")
        >>> shrink(folder / "a.png", folder / "b.png") > 0, Image.open(folder / "b.png").size
        (True, (30, 15))
    """
    with Image.open(source) as im:
        page = im.convert("RGB")
    small = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    small.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target.stat().st_size


def main() -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()  # --help prints this, and writes nothing
    if not SOURCE.is_file():
        print(f"{SOURCE} is missing: run python -m pytest tests/test_notebook_browser.py first", file=sys.stderr)
        return 1
    size = shrink(SOURCE, TARGET)
    print(f"{TARGET.relative_to(ROOT)}: {size // 1024} KB")
    return 0 if size <= MAX_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
