"""Workflows: searches that start where design searchers start (``docs/workflows.md``).

* :mod:`.sources` — a patent number -> its record (P069) -> its drawing's signed link (P021), paid for once;
* :mod:`.like` — ``search_like``: designs like a registration, prior art by application date;
* :mod:`.watch` — watches: what was published since the last look, runs kept beside the cache;
* :mod:`.overnight` — overnight batches (P062): job ids kept beside the cache, never submitted twice;
* :mod:`.deliverable` — ``make_report``: searches, enrichment, report, workbook and CSV from one call
  (``patsnap-analytics report``).

The :class:`~patsnap_analytics.client.Client` offers them as methods (``client.search_like(...)``,
``client.watch(...)``, ``client.submit_overnight(...)``, ``client.collect_overnight(...)``).

Example:
    >>> from patsnap_analytics.workflows import make_report, search_like
    >>> callable(make_report) and callable(search_like)
    True
"""

from __future__ import annotations

from .deliverable import make_report
from .like import search_like
from .overnight import collect_overnight, overnight_jobs, submit_overnight
from .watch import watch, watch_runs

__all__ = ["collect_overnight", "make_report", "overnight_jobs", "search_like", "submit_overnight", "watch",
           "watch_runs"]
