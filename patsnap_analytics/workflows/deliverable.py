"""A deliverable from one call: searches, enrichment, the landscape report, the reviewers' workbook and the CSV
(``patsnap-analytics report``; ``make_report`` in Python; the demo's second half).

:func:`make_report` works in this order:

1. **Check** before any call: every input is an image file, a folder of them, an http(s) image URL or a
   patent number (anything else is refused, naming it); the filters; the output folder (created, and its
   workbook and the CSV checked as :func:`~patsnap_analytics.exports.check_output_path` checks ``--out``).
2. **Preview the cost** (:func:`report_cost`: the searches exactly — pages not cached, uploads, P069/P021
   for numbers — and the enrichment at most: three kinds of record, ceil(hits / 100) calls each, fewer when
   hits repeat or are recorded) on stderr, and refuse with nothing spent when it exceeds ``max_calls``: the
   same preview and refusal as ``client.enrich(max_calls=...)``.
3. **Search**: images with :func:`~patsnap_analytics.batch.search_many` (several images are several
   searches), patent numbers with :func:`~.like.search_like` (``prior_art`` as there); one frame.
4. **Deliver** (:func:`deliver`): enrich (who, when, in force), label every facet from the rows (0 calls),
   write ``landscape.html``, ``review.xlsx`` and ``results.csv``.

Cost: what the preview says; at most ``max_calls``.

Example:
    >>> paths = make_report(client, ["drawings/", "USD0430005S"], "report-output", limit=25)   # doctest: +SKIP
    >>> sorted(paths.paths)                                                                  # doctest: +SKIP
    ['csv', 'report', 'workbook']
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..api import MAX_IDS_PER_CALL
from ..batch import image_inputs, search_many
from ..enrich import ENRICH_FIELDS
from ..errors import BudgetExceeded, ValidationError
from ..exports import check_output_path, write_frame
from ..frames import ResultInfo
from ..protocols import ClientLike
from ..query import DesignQuery
from ..searcher import is_url
from ..wire.gates import announce_cost
from .common import merge_batches
from .like import like_cost, search_like
from .sources import looks_like_number

__all__ = ["FACETS", "FILES", "Deliverable", "deliver", "make_report", "report_cost", "split_inputs"]

#: The files a deliverable holds, by kind.
FILES = {"report": "landscape.html", "workbook": "review.xlsx", "csv": "results.csv"}
#: The facets a deliverable labels (from the enriched rows: 0 calls).
FACETS = ("simple_legal_status", "legal_status", "country", "loc", "assignee", "application_year")


def split_inputs(values: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """``(images, patent numbers)`` of the inputs, folders opened; an input that is none of an image file, a
    folder, an http(s) URL or a patent number is refused before any call.

    Example:
        >>> split_inputs(["https://x/1.png", "USD0430005S"])
        (['https://x/1.png'], ['USD0430005S'])
        >>> split_inputs(["no-such-file.png"])
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: inputs: 'no-such-file.png' is not an image file, a folder, an http(s) URL or a patent number
    """
    images, numbers = [], []
    for value in values:
        text = str(value)
        if is_url(text) or not isinstance(value, str) or Path(text).expanduser().exists():
            found = image_inputs(value)
            if not found:
                raise ValidationError("inputs", f"the folder {text!r} holds no .png, .jpg or .jpeg file")
            images += found
        elif looks_like_number(text):
            numbers.append(text.strip())
        else:
            raise ValidationError("inputs", f"{text!r} is not an image file, a folder, an http(s) URL or a patent "
                                            "number")
    if not images and not numbers:
        raise ValidationError("inputs", "give at least one image, folder, URL or patent number")
    return images, numbers


def report_cost(client: ClientLike, images: Sequence[Any], numbers: Sequence[str], design_query: DesignQuery, *,
                prior_art: bool = False, enrich: bool = True) -> dict[str, int]:
    """The calls a deliverable would make (nothing is sent): ``searches`` exactly (pages the cache lacks and
    the uploads they need; patent numbers as :func:`~.like.like_cost` counts them), ``enrichment`` at most
    (three kinds of record, ceil(hits / 100) each) and their ``total``.

    Example:
        >>> report_cost(client, ["chair.png"], [], DesignQuery(limit=25))                 # doctest: +SKIP
        {'searches': 2, 'enrichment': 3, 'total': 5}
    """
    searches = 0
    for image in dict.fromkeys(str(i) if not isinstance(i, (bytes, bytearray)) else i for i in images):
        target = client.searcher.resolve_image(image)
        step = client.searcher.decide(target, design_query)
        searches += sum(s.cached is None for s in step.pages) + (step.action == "upload")
    if numbers:
        searches += like_cost(client, list(numbers), design_query, prior_art=prior_art)
    hits = (len(images) + len(numbers)) * design_query.limit
    enrichment = len(ENRICH_FIELDS) * math.ceil(hits / MAX_IDS_PER_CALL) if enrich and hits else 0
    return {"searches": searches, "enrichment": enrichment, "total": searches + enrichment}


def _left(max_calls: int | None, client: ClientLike, spent: int) -> int | None:
    return None if max_calls is None else max(0, max_calls - (client.stats.total_calls - spent))


def make_report(client: ClientLike, inputs: Sequence[Any], out_dir: str | Path, *, max_calls: int | None = None,
                prior_art: bool = False, endpoint: str | None = None, title: str | None = None,
                progress: bool = True, **filters: Any) -> Deliverable:
    """Search ``inputs`` (image files, folders, URLs, patent numbers), enrich the hits and write the landscape
    report, the reviewers' workbook and the CSV into ``out_dir`` (see the module's numbered steps).

    Returns the :class:`Deliverable` (the paths written, by kind: :data:`FILES`; the frame; the calls). Raises ``ValidationError`` for bad inputs, filters or
    folder, and :class:`~patsnap_analytics.errors.BudgetExceeded` when the preview exceeds ``max_calls`` —
    in both cases before any call.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> make_report(Client(api_key="sk-x", cache=False), ["USD0435025S"], "out", limit=0)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: limit: must be an integer from 1 to 1100, got 0
    """
    images, numbers = split_inputs(list(inputs))
    design_query = DesignQuery.from_filters(endpoint=endpoint or client.endpoint, **filters)
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ValidationError("out", f"{str(out)!r} is a file; give a folder for the report, workbook and CSV")
    for kind in ("workbook", "csv"):  # the formats and the libraries they need (openpyxl), as --out is checked
        check_output_path(out / FILES[kind])
    taken = [name for name in FILES.values() if (out / name).is_dir()]
    if taken:
        raise ValidationError("out", f"{out / taken[0]} is a folder; the deliverable writes a file there")
    cost = report_cost(client, images, numbers, design_query, prior_art=prior_art)
    announce_cost(f"report: {len(images)} image(s) and {len(numbers)} patent number(s): {cost['searches']} "
                  f"search call(s), enrichment at most {cost['enrichment']}: at most {cost['total']} calls",
                  cost["total"], max_calls, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    spent = client.stats.total_calls
    parts = []
    if images:
        parts.append(search_many(client.searcher, images, max_calls=_left(max_calls, client, spent),
                                 progress=progress, design_query=design_query))
    if numbers:
        parts.append(search_like(client, numbers, prior_art=prior_art, max_calls=_left(max_calls, client, spent),
                                 progress=progress, design_query=design_query))
    hits = merge_batches(parts, template=ResultInfo(source=client.source, base_url=client.base_url,
                                                    endpoint=design_query.endpoint,
                                                    filters=design_query.filters()))
    searched = client.stats.total_calls - spent
    done = deliver(client, hits, out, title=title, max_calls=_left(max_calls, client, spent), progress=progress)
    done.calls["searches"] = searched
    return done


@dataclass
class Deliverable:
    """What a deliverable wrote (``paths`` by kind, :data:`FILES`), the enriched and labelled ``frame``, and
    the calls each step spent (``searches``, ``enrichment``, ``labels``)."""

    paths: dict[str, Path]
    frame: pd.DataFrame
    calls: dict[str, int] = field(default_factory=dict)


def deliver(client: ClientLike, hits: pd.DataFrame, out_dir: str | Path, *, title: str | None = None,
            max_calls: int | None = None, progress: bool = True) -> Deliverable:
    """Enrich ``hits`` (three record kinds, 100 patents a call, within ``max_calls``), label every facet of
    :data:`FACETS` from the rows (0 calls) and write :data:`FILES` into ``out_dir``.

    Example:
        >>> deliver(client, hits, "report-output").paths["report"].name                    # doctest: +SKIP
        'landscape.html'
    """
    from ..exports import reviewer_workbook
    from ..report import landscape_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = client.stats.total_calls
    rich = client.enrich(hits, max_calls=max_calls, progress=progress) if len(hits) else hits
    enriched = client.stats.total_calls
    for facet in FACETS if len(rich) else ():
        try:  # the enriched rows hold every facet: 0 calls (a re-search route would be refused past the budget)
            rich = client.label(rich, by=facet, progress=False, max_calls=_left(max_calls, client, start))
        except BudgetExceeded as exc:
            warnings.warn(f"not labelled by {facet}: {exc}", stacklevel=2)
    paths = {"csv": out / FILES["csv"]}
    write_frame(rich, paths["csv"])  # marked as sandbox data, lists joined as in the workbook
    paths["report"] = landscape_report(rich, out / FILES["report"], client=client, title=title)
    paths["workbook"] = reviewer_workbook(rich, out / FILES["workbook"], client=client)
    return Deliverable(paths, rich, {"enrichment": enriched - start, "labels": client.stats.total_calls - enriched})
