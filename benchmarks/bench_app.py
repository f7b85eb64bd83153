"""What the search app costs a person in time and in calls: a search shown with thumbnails (cold, then the same
page again), page turns, the gallery, adding details, and each export with the size of its download link.

Runs the real SearchApp (no browser) against a local sandbox (no network, no costs). Prints a table; asserts
nothing. The figures that depend on the machine are wall-clock seconds; the calls are exact.

    python benchmarks/bench_app.py [--designs 2000] [--images 1 4] [--limit 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import patsnap_analytics as pa
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.widgets import SearchApp


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def one_run(sb: Sandbox, n_images: int, limit: int, folder: Path) -> list[tuple[str, str, str]]:
    """Search ``n_images`` samples for ``limit`` ranks each, then everything a person does next."""
    client = pa.connect(sandbox=sb, cache=folder / f"cache-{n_images}.sqlite")
    app = SearchApp(client, export_folder=folder / f"exports-{n_images}")
    for path in sorted(app.picker.samples.glob("*.png"))[:n_images]:
        app.picker.add(path)
    app.form.limit.value = limit
    rows: list[tuple[str, str, str]] = []

    def calls() -> int:
        return client.stats.total_calls

    def record(what: str, fn) -> None:
        spent = calls()
        images = client.stats.image_downloads
        seconds, _ = timed(fn)
        rows.append((what, f"{seconds:7.2f} s",
                     f"{calls() - spent} calls, {client.stats.image_downloads - images} images fetched"))

    record("search + table page 1 + gallery (cold)", app.search)
    table_kb = len(app.table.html.value) / 1024
    gallery_kb = len(app.gallery.value) / 1024
    rows.append(("  table page / gallery HTML", "", f"{table_kb:.0f} KB / {gallery_kb:.0f} KB"))
    if len(app.results) > app.table.page_rows:
        record("next page (cold thumbnails)", lambda: app.table.turn(1))
        record("previous page (remembered)", lambda: app.table.turn(-1))
    record("same search again (cache)", app.search)
    cost = app.details_cost()
    record(f"add details (said first: {cost} calls)", app.add_details)
    for kind in ("csv", "excel", "report"):
        links_before = len(app.exporter.links.value)
        record(f"export {kind}", lambda kind=kind: app.exporter.export(kind))
        path = app.exporter.files[kind]
        link_kb = (len(app.exporter.links.value) - links_before) / 1024
        rows[-1] = (*rows[-1][:2], f"{rows[-1][2]}; file {path.stat().st_size / 1024:.0f} KB, link {link_kb:.0f} KB")
    client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=2000)
    ap.add_argument("--images", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--limit", type=int, default=100)
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-app-"))
    with Sandbox(designs=args.designs) as sb:
        for n in args.images:
            print(f"\n== {n} query image{'s' if n != 1 else ''} x {args.limit} ranks, sandbox of {args.designs} designs")
            for what, seconds, note in one_run(sb, n, args.limit, folder):
                print(f"{what:<44} {seconds:>9}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
