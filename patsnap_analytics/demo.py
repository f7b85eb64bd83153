"""The demo behind ``patsnap-analytics demo``: a landscape report from the sample queries, on the sandbox.

It runs what an analyst would: a batch search of the sample query drawings (8 x 25 hits), enrichment of
the hits by patent id (holders, dates, Locarno classes, simple and full legal status: at most 6 calls for
200 hits), labels by every facet (0 calls more: the rows hold them), the self-contained HTML landscape
report and the reviewers' Excel workbook — all against the embedded sandbox, so it needs no credentials
and costs nothing.

Example:
    >>> from patsnap_analytics.demo import sample_queries
    >>> len(sample_queries()) >= 4
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .images import image_files, sample_queries_dir

if TYPE_CHECKING:
    import pandas as pd

    from .synthetic import SandboxClient

__all__ = ["data_dir", "portfolio", "run_demo", "sample_queries", "sample_verdicts", "study_queries"]


def data_dir() -> Path:
    """The sample data that ships with the package (the repository's ``data/``: ``queries/``, ``verdicts.csv``,
    ``portfolio.csv``; ``data/README.md`` says what each is), wherever the notebook or script runs from.

    Example:
        >>> sorted(p.name for p in data_dir().glob("*.csv"))
        ['portfolio.csv', 'verdicts.csv']
    """
    return sample_queries_dir().parent


def sample_queries() -> list[Path]:
    """The sample query drawings that ship with the package (held out: none of them is in the sandbox corpus).

    Example:
        >>> [p.name for p in sample_queries()][:2]
        ['query-1-10-02-watch.png', 'query-2-14-03-phone.png']
    """
    return image_files(sample_queries_dir())


def study_queries(client: SandboxClient, n: int = 40, *, seed: int = 0) -> pd.DataFrame:
    """``n`` study queries from the sandbox ``client`` talks to: drawings of its design families' designs, scanned,
    photographed or cropped, whose right answers it knows (``pa.verdicts.synthetic(client, hits)`` judges every
    hit). One row per query: ``query`` (its name), ``query_key``, ``degradation``, ``family_id``, ``loc`` and
    ``image`` (checked image bytes named ``query``), so ``client.search_many(study["image"])`` searches them. The
    same ``seed`` gives the same queries. Refused on the PatSnap API (the truth exists only on the sandbox); see
    :func:`patsnap_analytics.synthetic.study_queries`.

    Cost: no API call (the sandbox's own routes: one request and one image link per query); searching them costs
    what any search does.

    Example:
        >>> import patsnap_analytics as pa                                          # doctest: +SKIP
        >>> client = pa.connect()                                                   # doctest: +SKIP
        >>> study = pa.demo.study_queries(client, 40)                               # doctest: +SKIP
        >>> hits = client.search_many(study["image"], limit=100, progress=False)    # doctest: +SKIP
        >>> verdicts = pa.verdicts.synthetic(client, hits)                          # doctest: +SKIP
        >>> study_queries(None, 500)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: n: must be an integer from 1 to 250 (study queries a request makes; take several seeds for more), got 500
    """
    from .synthetic import study_queries as fetch

    return fetch(client, n, seed=seed)


def sample_verdicts() -> Path:
    """A small ready-to-use verdict set: the sandbox's synthetic truth on the first 8 study queries of its default
    corpus (:func:`study_queries` ``(client, 8)``): their first 25 search-id hits judged and every member of their
    design families listed (``same design``, ``similar``, else ``different``), marked ``sandbox-synthetic``
    (``data/README.md`` says how it is made). Read it with ``pa.verdicts.read(pa.demo.sample_verdicts())`` or
    ``client.verdicts.load(...)``.

    Example:
        >>> sample_verdicts().name
        'verdicts.csv'
    """
    return data_dir() / "verdicts.csv"


def portfolio() -> list[str]:
    """A small portfolio for a watch (``client.watch("ours", pa.demo.portfolio())``): three sample drawings (as
    paths) and two registrations of the sandbox's default corpus (as patent numbers), from ``portfolio.csv``.

    Example:
        >>> items = portfolio(); Path(items[0]).is_file(), items[-1].startswith("US")
        (True, True)
    """
    import csv

    with (data_dir() / "portfolio.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [str(sample_queries_dir() / r["item"]) if r["kind"] == "drawing" else r["item"] for r in rows]


def run_demo(out_dir: Path | str = "demo-output", *, designs: int | None = None,
             queries: list[Path] | None = None) -> Path:
    """Search the sample queries on a sandbox, enrich and label the hits, write ``landscape.html``,
    ``review.xlsx`` and ``results.csv``.

    Returns the report's path. Prints the calls each step spent, from the client's counters.

    Example:
        >>> path = run_demo("/tmp/demo", designs=300)          # doctest: +SKIP
    """
    from .connect import connect
    from .workflows.deliverable import deliver

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = queries or sample_queries()
    options = {} if designs is None else {"designs": designs}  # None: the sandbox's default corpus
    client = connect(sandbox=True, sandbox_options=options, cache=out / "demo-cache.sqlite")
    try:
        hits = client.search_many(images, limit=25, progress=True)
        searched = client.stats.total_calls
        # who / when / in force: 3 endpoints x ceil(designs / 100); then every facet from the rows (0 calls)
        done = deliver(client, hits, out, title="Design landscape: sample product drawings")
        labelled = done.frame
        stats = client.stats.as_dict()
        print(f"{len(images)} query images, {len(labelled)} results, {labelled['patent_id'].nunique()} designs; "
              f"calls: searches {searched}, enrichment {done.calls['enrichment']}, labels "
              f"{done.calls['labels']}; API calls saved by the cache {stats['calls_saved']} (thumbnails read "
              f"again from the cache {stats['image_cache_hits']}: image links, not API calls)")
        return done.paths["report"]
    finally:
        client.close()
