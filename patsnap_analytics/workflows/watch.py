"""Watches: a portfolio (product drawings, or registrations by number) searched again each week or month,
answering only the designs published since the last look.

:func:`watch` works in this order:

1. **Check** the name, every item (images are validated, numbers read as numbers) and the filters, before any
   call. A watch keeps the filters it was made with: other filters are refused (``reset=True`` starts it
   again); the publication window is the watch's own (``public_start_time`` / ``public_end_time`` are refused;
   ``since=`` looks back from a date of your choosing).
2. **Window**: each item is searched with the designs published from its previous run's day (inclusive: a
   design the API added later that day is not missed) to ``today`` — the API's day (:meth:`Client.today
   <patsnap_analytics.client.Client.today>`: the sandbox's calendar on a sandbox). An item's first run has no
   start: everything. An item already looked at today is not searched again today (0 calls).
3. **Search**: images through :func:`~patsnap_analytics.batch.search_many`, numbers through
   :func:`~.like.search_like` (the source itself left out), one shared ``max_calls``; failures and pending
   items are kept per item, as in a batch.
4. **New**: per item, the hits an earlier run already reported are dropped; the rest are this run's.
5. **Remember** the run beside the cache, without expiry (:func:`~patsnap_analytics.store.tables.record_table`
   ``"watches"``: the cache file, or the team's Redis, so a team shares its watches): per item its last day
   and the designs reported; the run's day, counts and calls. An item that failed keeps its old day, so the
   next run covers its window. One run of a watch at a time across the processes sharing the cache.

The frame holds the new hits only (all hits on a first run); ``df.attrs["workflow"]`` says ``name``, ``run``,
``new_since`` (the earliest window start, ISO; ``None`` on a first run) and ``until``, which the landscape
report shows as "new since …".

Cost per run: per image, one upload unless its upload URL is still valid (9 hours: a weekly watch uploads
again) and one call per 100 ranks; per number, one call per 100 ranks (its P069 record is kept 90 days, its
drawing link 8 hours: plus ceil(numbers / 100) P021 calls when older). A second run the same day: 0 calls.

Example:
    >>> first = client.watch("bottles", ["bottle-a.png", "USD0430005S"], limit=50)       # doctest: +SKIP
    >>> later = client.watch("bottles", ["bottle-a.png", "USD0430005S"], limit=50)       # doctest: +SKIP
    >>> later.attrs["workflow"]["new_since"]                                             # doctest: +SKIP
    '2026-11-01'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..batch import image_inputs, search_many
from ..errors import ValidationError
from ..frames import ResultInfo
from ..images import ImageRef
from ..protocols import ClientLike
from ..query import DesignQuery, parse_date
from ..searcher import is_url
from ..store.tables import put_records
from .common import failure, merge_batches, remember_warning, with_query_keys
from .like import search_like
from .sources import canonical_number, looks_like_number

__all__ = ["WATCH_TABLE", "watch", "watch_runs"]

#: The table of watches beside the cache (no expiry).
WATCH_TABLE = "watches"
_RECORD_VERSION = 1
_WINDOW = ("public_start_time", "public_end_time")


@dataclass
class _Item:
    """One thing watched: an image or a patent number, its key and name."""

    value: Any
    key: str = ""
    name: str = ""
    number: str | None = None
    error: BaseException | None = None
    since: date | None = None  # where this run's window starts (None: everything so far)


def _items(values: Sequence[Any]) -> list[_Item]:
    """Every item classified: a file, folder image or URL is an image; other text reading as a patent number
    is a number; anything else is that item's failure (it costs nothing)."""
    items, used = [], set()
    for value in values:
        item = _Item(value)
        try:
            if isinstance(value, str) and not is_url(value) and not Path(value).expanduser().exists() \
                    and looks_like_number(value):
                item.number = value.strip()
                item.key, item.name = f"pn:{canonical_number(value)}", canonical_number(value)
            elif is_url(value):
                item.key, item.name = f"url:{value}", value
            else:
                ref = ImageRef.from_any(value)
                item.value, item.key, item.name = ref, f"sha256:{ref.sha256}", ref.display_name
        except Exception as exc:  # a bad image is that item's failure, never the watch's
            item.error, item.name = exc, str(value) if isinstance(value, (str, Path)) else f"item #{len(items) + 1}"
        base, n = item.name, 1
        while item.name in used:  # two images with one file name: each keeps its own name
            n += 1
            item.name = f"{base} ({n})"
        used.add(item.name)
        items.append(item)
    return items


def _table(client: ClientLike) -> Any:
    return client.record_table(WATCH_TABLE)


def _load(client: ClientLike, name: str) -> dict[str, Any] | None:
    text = _table(client).get(f"{client.base_url}|{name}")
    try:
        record = json.loads(text) if text else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("v") == _RECORD_VERSION else None


def _check(name: Any, filters: dict[str, Any]) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 100 or "|" in name:
        raise ValidationError("name", f"a watch's name is a short text without '|' (e.g. 'our bottles'), got {name!r}")
    for window in _WINDOW:
        if window in filters:
            raise ValidationError(window, "a watch sets the publication window itself (from its last run to today); "
                                          "use since='YYYY-MM-DD' to look back from a date")


def watch(client: ClientLike, name: str, images_or_numbers: Any, *, today: date | str | None = None,
          since: date | str | None = None, reset: bool = False, endpoint: str | None = None,
          max_calls: int | None = None, progress: bool = True, design_query: DesignQuery | None = None,
          **filters: Any) -> pd.DataFrame:
    """Run the watch ``name`` over ``images_or_numbers`` (images, a folder, URLs, patent numbers, mixed): the
    designs published since its previous run (see the module's numbered steps and costs).

    ``today``: the day the window ends (default: :meth:`client.today() <patsnap_analytics.client.Client.today>`);
    ``since``: start every item's window at this date instead; ``reset=True``: forget the watch's history
    first. ``endpoint``, ``design_query``, ``max_calls`` and ``filters`` as in ``search_many``.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> watch(Client(api_key="sk-x", cache=False), "ours|theirs", ["USD0435025S"])
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: name: a watch's name is a short text without '|' (e.g. 'our bottles'), got 'ours|theirs'
    """
    _check(name, filters)
    base = client.searcher.design_query_for(endpoint=endpoint, design_query=design_query, **filters)
    if design_query is not None:  # a design query made beforehand may hold a publication window too
        _check(name, base.filters())
    until = parse_date(today, "today") or client.today()
    start = parse_date(since, "since")
    if start is not None and start > until:
        raise ValidationError("since", f"{start} is after today ({until})")
    items = _items(image_inputs(images_or_numbers))
    if base.endpoint == "image-multiple" and any(i.number for i in items):
        raise ValidationError("endpoint", "a patent number is searched by its one drawing: watch it with search-id, "
                                          "image-single or image-single-beta")
    remember_warning(client, WATCH_TABLE, "a watch's runs")
    with client.searcher.flight.hold(f"watch:{client.base_url}|{name}"):
        record = None if reset else _load(client, name)
        if record is not None and record["filters"] != base.filters():
            raise ValidationError("filters", f"the watch {name!r} searches with {record['filters']}; to change its "
                                             "filters, pass reset=True (it starts again) or use another name")
        record = record or {"v": _RECORD_VERSION, "name": name, "filters": base.filters(), "items": {}, "runs": []}
        spent = client.stats.total_calls
        out, done = _run(client, items, record, base, until, start, max_calls=max_calls, progress=progress)
        return _remember(client, record, out, done, items, until, calls=client.stats.total_calls - spent)


def _window(record: dict[str, Any], item: _Item, until: date, start: date | None) -> date | None:
    last = record["items"].get(item.key, {}).get("until")
    first = start or (date.fromisoformat(last) if last else None)
    return min(first, until) if first else None


def _run(client: ClientLike, items: list[_Item], record: dict[str, Any], base: DesignQuery, until: date,
         start: date | None, *, max_calls: int | None, progress: bool) -> tuple[pd.DataFrame, dict[str, _Item]]:
    """Steps 2-4: each window searched; only the hits not reported before; which query name is which item."""
    groups: dict[tuple[date | None, bool], list[_Item]] = {}
    for item in items:
        if item.error is None:
            item.since = _window(record, item, until, start)
            if start is None and item.since == until:
                continue  # looked at today already: nothing can be new yet (0 calls)
            groups.setdefault((item.since, item.number is not None), []).append(item)
    spent, parts, by_query = client.stats.total_calls, [], {}
    for (since, numbers), group in groups.items():
        window = {"public_end_time": until, **({"public_start_time": since} if since else {})}
        left = None if max_calls is None else max(0, max_calls - (client.stats.total_calls - spent))
        windowed = base.replace(**window)
        if numbers:
            part = search_like(client, [i.number for i in group], drop_sources=True, max_calls=left,
                               progress=progress, design_query=windowed)
            patents = ResultInfo.of(part).source_patents
            by_query.update({pn: i for i in group for pn, s in patents.items() if s["number"] == i.number})
        else:
            part = search_many(client.searcher, [i.value for i in group], names=[i.name for i in group],
                               max_calls=left, progress=progress, design_query=windowed)
            by_query.update({i.name: i for i in group})
        parts.append(part)
    out = merge_batches(parts, template=ResultInfo(source=client.source, base_url=client.base_url,
                                                   endpoint=base.endpoint,
                                                   filters=base.filters()))
    info = ResultInfo.of(out)
    info.failures += [failure(i.name, i.error) for i in items if i.error is not None]
    keep = [pid not in set(record["items"].get(by_query[q].key, {}).get("seen", ())) if q in by_query else True
            for q, pid in zip(out["query"], out["patent_id"], strict=True)]
    new = out[pd.Series(keep, index=out.index, dtype=bool)].reset_index(drop=True) if len(out) else out
    new = with_query_keys(info.attach(new), {q: i.key for q, i in by_query.items()})
    failed = {f["image"] for f in info.failures} | set(info.pending)
    done = {q: i for q, i in by_query.items() if q not in failed and i.name not in failed and i.number not in failed}
    return new, done


def _remember(client: ClientLike, record: dict[str, Any], new: pd.DataFrame, done: dict[str, _Item],
              items: list[_Item], until: date, *, calls: int) -> pd.DataFrame:
    """Step 5: the run and each searched item's day and reported designs, kept without expiry."""
    since = [i.since.isoformat() for i in done.values() if i.since is not None]
    first = not record["runs"]
    for query, item in done.items():
        entry = record["items"].setdefault(item.key, {"name": item.name, "seen": []})
        ids = new.loc[new["query"] == query, "patent_id"].dropna().astype(str).tolist()
        entry["seen"] = list(dict.fromkeys([*entry["seen"], *ids]))
        entry["until"] = until.isoformat()
    run = {"run": len(record["runs"]) + 1, "at": datetime.now(UTC).isoformat(timespec="seconds"),
           "until": until.isoformat(), "since": min(since) if since else None, "items": len(items),
           "searched": len(done), "new": len(new), "calls": calls}
    record["runs"].append(run)
    put_records(_table(client), {f"{client.base_url}|{record['name']}": json.dumps(record, ensure_ascii=False)},
                ttl=None)
    info = ResultInfo.of(new)
    info.workflow = {"kind": "watch", "name": record["name"], "run": run["run"], "first_run": first,
                     "new_since": run["since"], "until": run["until"]}
    info.calls_spent = calls
    return info.attach(new)


def watch_runs(client: ClientLike, name: str) -> pd.DataFrame:
    """The runs of the watch ``name`` so far, one row each: ``run, at, since, until, items, searched, new,
    calls`` (an unknown watch has none).

    Example:
        >>> watch_runs(client, "bottles")[["run", "since", "until", "new"]]                 # doctest: +SKIP
    """
    record = _load(client, name) or {"runs": []}
    columns = ["run", "at", "since", "until", "items", "searched", "new", "calls"]
    return pd.DataFrame(record["runs"], columns=columns)
