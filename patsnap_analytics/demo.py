"""The demo behind ``patsnap-analytics demo``: a landscape report from the sample queries, on the sandbox.

It runs what an analyst would: a batch search of the sample query drawings, labelling of the hits by
simple legal status and office, and the self-contained HTML landscape report — all against the embedded
sandbox, so it needs no credentials and costs nothing.

Example:
    >>> from patsnap_analytics.demo import sample_queries
    >>> len(sample_queries()) >= 4
    True
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .images import image_files, sample_queries_dir
from .sandbox.sample import DEFAULT_DESIGNS

__all__ = ["run_demo", "sample_queries"]



def sample_queries(folder: Path | None = None) -> list[Path]:
    """The sample query drawings: ``data/queries`` of a source checkout, else generated once into a temp folder.

    The generated ones come from the same held-out generator seed as the committed files, so an installed
    package without the repository still has queries that are not in the sandbox corpus.

    Example:
        >>> sample_queries()[0].suffix
        '.png'
    """
    folder = folder or sample_queries_dir()
    files = image_files(folder) if folder else []
    if files:
        return files
    from .sandbox.sample import write_queries

    target = Path(tempfile.mkdtemp(prefix="patsnap-queries-"))
    write_queries(target)
    return sorted(target.glob("*.png"))


def run_demo(out_dir: Path | str = "demo-output", *, designs: int = DEFAULT_DESIGNS, queries: list[Path] | None = None) -> Path:
    """Search the sample queries on a sandbox, label the hits, write ``landscape.html`` and ``results.csv``.

    Returns the report's path. Prints the calls spent and saved.

    Example:
        >>> path = run_demo("/tmp/demo", designs=300)          # doctest: +SKIP
    """
    from .connect import connect
    from .report import landscape_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = queries or sample_queries()
    client = connect(sandbox=True, sandbox_options={"designs": designs}, cache=out / "demo-cache.sqlite")
    try:
        hits = client.search_many(images, limit=25, progress=True)
        labelled = client.label(hits, by="simple_legal_status", progress=True)
        labelled = client.label(labelled, by="country", progress=True)
        labelled.to_csv(out / "results.csv", index=False)
        path = landscape_report(
            labelled, out / "landscape.html", client=client,
            title="Design landscape: sample product drawings",
        )
        stats = client.stats.as_dict()
        print(f"{len(images)} query images, {len(labelled)} results, {labelled['patent_id'].nunique()} designs; "
              f"calls spent {stats['total_calls']}, saved by the cache {stats['calls_saved']}")
        return path
    finally:
        client.close()
