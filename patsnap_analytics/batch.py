"""Many query images, one tidy frame: bounded concurrency, a QPS limit, a calls budget, partial failures.

:func:`search_many` searches a list of images (paths, bytes, http(s) URLs), a folder, or a DataFrame
column with the same filters and returns ONE result frame (the client's schema; the ``query`` column tells
the images apart). Everything is validated before the first call: a bad filter raises at once; a bad image
(GIF, missing file, …) becomes a failure entry that costs nothing and never stops the others. Identical
images (same sha256 or URL) are searched once.

Spending is bounded on purpose, because every call is paid:

* ``qps=`` spaces the calls that go out (a cache hit is never throttled);
* ``max_calls=`` stops before the budget would be exceeded; what is left becomes *pending*;
* answers that are not the API's (:class:`~patsnap_analytics.errors.ProtocolError`: an HTML maintenance
  page, an empty or invalid body) :data:`PROTOCOL_FAILURES_TO_STOP` times in a row stop the batch too: a
  service in maintenance would otherwise be paid for image after image;
* a quota or balance error (67200007 / 67200005), an auth or permission error, or Ctrl-C stops the batch at
  once: no further call is sent, whatever the cache can still answer is returned, the rest is *pending*, and
  a :class:`BatchIncompleteWarning` says so. Running the same batch again later pays only for the pending
  images (the cache serves the others).

``df.attrs`` (JSON-serialisable) records ``failures``, ``pending``, ``calls_spent`` and ``cache_hits``;
:func:`failures` and :func:`pending` read them back.

Example:
    >>> import patsnap_analytics as pa                                    # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox                     # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                                  # doctest: +SKIP
    ...     df = pa.connect(sandbox=sb).search_many(pa.demo.sample_queries(), country=["US", "CN"], limit=20, qps=5)
    ...     df.attrs["calls_spent"], failures(df), pending(df)
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import (
    STOP_SPENDING,
    BatchStopped,
    BudgetExceeded,
    InvalidImageError,
    ProtocolError,
    ValidationError,
)
from .frames import ResultInfo, SearchSpec, empty_results
from .images import IMAGE_SUFFIXES, ImageRef, image_files
from .progress import progress_bar
from .query import DesignQuery
from .searcher import Searcher, Target
from .wire.gates import CallGate, StopGate, call_gates, check_workers

__all__ = [
    "IMAGE_SUFFIXES",
    "PROTOCOL_FAILURES_TO_STOP",
    "BatchIncompleteWarning",
    "failures",
    "image_inputs",
    "pending",
    "search_many",
]


#: Answers in a row that are not the API's (maintenance pages) after which a batch stops spending.
PROTOCOL_FAILURES_TO_STOP = 3
_MAINTENANCE = f"{PROTOCOL_FAILURES_TO_STOP} answers in a row were not the API's (a maintenance page?)"


class BatchIncompleteWarning(UserWarning):
    """A batch stopped before every image was searched (quota, auth, budget, interrupt); see ``pending``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as seen:
        ...     warnings.simplefilter("always")
        ...     warnings.warn("2 images pending", BatchIncompleteWarning)
        >>> seen[0].category.__name__
        'BatchIncompleteWarning'
    """


@dataclass
class _Input:
    """One user input after validation: a searchable target, or the error that makes it a failure."""

    name: str
    target: Target | None = None  # image-multiple: a tuple of one design's views
    error: Exception | None = None
    same_as: str | None = None  # a duplicate: the name of the identical image searched instead

    @property
    def key(self) -> str | None:
        """What makes two inputs the same search: the image's sha256, or the URL."""
        if isinstance(self.target, tuple):
            return "views:" + "|".join(_Input(self.name, view).key or "" for view in self.target)
        if isinstance(self.target, ImageRef):
            return "sha256:" + self.target.sha256
        return None if self.target is None else "url:" + self.target


# ---------------------------------------------------------------------------------------------- inputs

def image_inputs(images: Any) -> list[Any]:
    """The individual images of ``images``: a list/tuple, a pandas Series (a DataFrame column), a folder
    (its ``*.png``/``*.jpg``/``*.jpeg`` files, sorted), or a single path, URL or bytes.

    Example:
        >>> image_inputs(["a.png", b"\\x89PNG..."])[0], image_inputs(b"raw")
        ('a.png', [b'raw'])
        >>> image_inputs(pd.Series(["u.png", None])).__len__()
        2
    """
    if isinstance(images, pd.DataFrame):
        raise ValidationError("images", "pass one column of the DataFrame (e.g. df['image']), not the whole frame")
    if isinstance(images, pd.Series):
        return images.tolist()
    if isinstance(images, (bytes, bytearray, memoryview)):
        return [bytes(images)]
    if isinstance(images, (str, Path)):
        text = str(images)
        if "://" not in text and Path(text).expanduser().is_dir():
            return image_files(text)
        return [images]
    if hasattr(images, "read"):
        return [images]
    if isinstance(images, Iterable):
        return list(images)
    raise ValidationError("images", f"a list, a folder, a DataFrame column or one image; got {type(images).__name__}")


def _default_name(value: Any, position: int) -> str:
    if isinstance(value, tuple):  # one design's views
        return " + ".join(_default_name(v, position) for v in value)
    if isinstance(value, (str, Path)):
        text = str(value)
        return text if "://" in text else Path(text).name or text
    if isinstance(value, ImageRef):
        return value.display_name
    if hasattr(value, "read") and getattr(value, "name", None):
        return Path(str(value.name)).name
    return f"image #{position + 1}"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _resolve_all(searcher: Searcher, values: list[Any], names: Sequence[Any] | None,
                 endpoint: str) -> list[_Input]:
    """Validate every input (no call is made) and give each searched image a unique ``query`` name.

    With image-multiple, an input may be a list or tuple: the views of one design."""
    if names is not None:
        names = list(names)
        if len(names) != len(values):
            raise ValidationError("names", f"needs one name per image: {len(names)} names for {len(values)} images")
    inputs: list[_Input] = []
    used: set[str] = set()
    next_suffix: dict[str, int] = {}  # base name -> the next " (n)" to try: clashes stay linear, not quadratic
    first_of: dict[str, str] = {}  # sha256/URL -> name of its first occurrence
    for i, value in enumerate(values):
        item = _Input(name="")
        if _is_missing(value):
            item.error = InvalidImageError("image", "empty value (no path, URL or bytes)")
        else:
            try:
                item.target = searcher.resolve_target(value, endpoint)
            except Exception as exc:  # a bad image is reported, never fatal to the batch
                item.error = exc
        if names is not None:
            base = str(names[i])
        else:
            base = _default_name(item.target if isinstance(item.target, (ImageRef, tuple)) else value, i)
        key = item.key
        if key is not None and key in first_of:
            item.name, item.same_as = base, first_of[key]
        else:
            name, n = base, next_suffix.get(base, 1)
            while name in used:  # two different images with one name (same file name in two folders)
                n += 1
                name = f"{base} ({n})"
            next_suffix[base] = n
            used.add(name)
            item.name = name
            if key is not None:
                first_of[key] = name
        inputs.append(item)
    return inputs


# ---------------------------------------------------------------------------------------------- running

def search_many(
    searcher: Searcher,
    images: Any,
    *,
    workers: int = 4,
    qps: float | None = None,
    max_calls: int | None = None,
    progress: bool = True,
    refresh: bool = False,
    names: Sequence[Any] | None = None,
    design_query: DesignQuery | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Search every image of ``images`` with the same ``filters``; one tidy frame back.

    ``images``: a list of paths / bytes / http(s) URLs, a folder, or a DataFrame column. ``workers``: searches
    in flight at once. ``qps``: at most that many calls per second go out (cache hits are free and
    unthrottled). ``max_calls``: never send more calls than this; images left over are ``pending``.
    ``names``: one ``query`` name per image (default: file name, URL, or ``sha256:<12>`` for bytes;
    clashing names get `` (2)``, `` (3)``…). ``progress``: a tqdm bar showing calls spent and cache hits.

    Cost: per distinct image, one search call per 100 ranks (see ``search_designs``) plus one upload when its
    upload URL is not still valid; nothing for pages the cache already holds; duplicates are searched once.
    ``endpoint=`` picks the endpoint as in ``search_designs``; with ``endpoint="image-multiple"`` each item of
    ``images`` may be a list of one design's 1-4 views. ``design_query``: a
    :class:`~patsnap_analytics.query.DesignQuery` made beforehand, as in ``search_designs``.

    Never raises for one image: bad images, rejected searches and exhausted retries become ``failures``;
    a quota, balance, auth or permission error stops the batch (no call is sent after it) and leaves the rest
    ``pending`` with a :class:`BatchIncompleteWarning`. Bad filters or arguments raise ``ValidationError``
    before any call.

    ``df.attrs`` (:class:`~patsnap_analytics.frames.ResultInfo`): ``source, base_url, endpoint, filters,
    queries`` (per name: image sha256 or URL, and the filters), ``failures`` (``[{"image", "error",
    "message"}]``), ``pending`` (names), ``duplicates`` (``[{"image", "same_as"}]``: inputs identical to an
    earlier one, searched once under its name), ``stopped`` (why the batch stopped, or ``None``),
    ``calls_spent`` (calls this batch sent) and ``cache_hits``.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> df = Client(api_key="sk-x", cache=False).search_many(["missing.png"], progress=False)
        >>> len(df), failures(df).error.tolist(), df.attrs["calls_spent"]
        (0, ['InvalidImageError'], 0)
    """
    # the client's default endpoint unless endpoint= (or a design query) says
    chosen = searcher.design_query_for(design_query=design_query, **filters)
    check_workers(workers)
    gates, stop = call_gates(max_calls, qps)
    inputs = _resolve_all(searcher, image_inputs(images), names, chosen.endpoint)
    run = _BatchRun(searcher, chosen, gates, stop, refresh=refresh)
    run.failures = [_failure(i.name, i.error) for i in inputs if i.error is not None]
    unique = [i for i in inputs if i.error is None and i.same_as is None]
    run.execute(unique, workers=workers, progress=progress)
    duplicates = [{"image": i.name, "same_as": i.same_as} for i in inputs if i.same_as is not None]
    out = run.frame([item.name for item in unique], duplicates)
    _warn_if_incomplete(ResultInfo.of(out), max_calls)
    return out


@dataclass
class _BatchRun:
    """The state of one running batch: what finished, failed or waits, and why it stopped."""

    searcher: Searcher
    design_query: DesignQuery
    gates: list[CallGate]
    stop: StopGate
    refresh: bool = False
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)
    stopped: dict[str, str] | None = None
    protocol_failures_in_row: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.calls_before = self.searcher.stats.total_calls
        self.hits_before = self._cache_hits()

    def _cache_hits(self) -> int:
        return self.searcher.stats.as_dict()["search_cache_hits"]

    def search(self, item: _Input) -> pd.DataFrame:
        try:
            frame = self.searcher.search(item.target, self.design_query, refresh=self.refresh,  # type: ignore[arg-type]
                                         name=item.name, gates=self.gates)
        except STOP_SPENDING as exc:
            # close the gate here, in the worker, before it can pick up the next image and send its call
            self.stop.close(f"{type(exc).__name__}: {exc}")
            raise
        except ProtocolError as exc:
            with self._lock:
                self.protocol_failures_in_row += 1
                in_row = self.protocol_failures_in_row
            if in_row >= PROTOCOL_FAILURES_TO_STOP:
                self.stop.close(f"{type(exc).__name__}: {_MAINTENANCE}")
            raise
        with self._lock:
            self.protocol_failures_in_row = 0
        return frame

    def settle(self, item: _Input, future: Future) -> None:
        """Record one finished search: a frame, a failure, or pending (and why the batch stopped)."""
        try:
            self.frames[item.name] = future.result()
        except ProtocolError as exc:
            self.failures.append(_failure(item.name, exc))
            if self.stop.closed and self.protocol_failures_in_row >= PROTOCOL_FAILURES_TO_STOP:
                self._stop(_MAINTENANCE, exc)
        except (BudgetExceeded, BatchStopped):
            self.pending.add(item.name)
        except STOP_SPENDING as exc:
            self.pending.add(item.name)
            self._stop(str(exc), exc)
        except Exception as exc:  # one image's failure never loses the others
            self.failures.append(_failure(item.name, exc))

    def _stop(self, message: str, exc: Exception) -> None:
        if self.stopped is None:
            self.stopped = {"error": type(exc).__name__, "message": message}
        self.stop.close(f"{type(exc).__name__}: {message}")

    def execute(self, items: list[_Input], *, workers: int, progress: bool) -> None:
        bar = progress_bar(len(items), progress)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patsnap-batch")
        futures: dict[Future, _Input] = {pool.submit(self.search, item): item for item in items}
        try:
            for future in as_completed(futures):
                self.settle(futures[future], future)
                if bar is not None:
                    bar.set_postfix(calls=self.searcher.stats.total_calls - self.calls_before,
                                    cached=self._cache_hits() - self.hits_before,
                                    failed=len(self.failures), refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            self.interrupted(futures)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()

    def interrupted(self, futures: dict[Future, _Input]) -> None:
        """An analyst pressed stop: keep what is done, send nothing more, the rest is pending."""
        self.stop.close("interrupted")
        self.stopped = {"error": "KeyboardInterrupt", "message": "interrupted by the user"}
        for future, item in futures.items():
            future.cancel()
            if item.name not in self.frames:
                try:
                    self.frames[item.name] = future.result()
                except BaseException:
                    self.pending.add(item.name)

    def frame(self, order: list[str], duplicates: list[dict[str, str]]) -> pd.DataFrame:
        """One frame, in input order (not completion order), with the batch's :class:`ResultInfo`."""
        named = {name: self.frames[name] for name in order if name in self.frames}
        parts = list(named.values())
        nonempty = [f for f in parts if len(f)]
        out = pd.concat(nonempty, ignore_index=True) if nonempty else empty_results()
        queries: dict[str, SearchSpec] = {}
        incomplete: dict[str, dict[str, Any]] = {}
        sandbox = self.searcher.source == "sandbox"
        for name, part in named.items():
            info = ResultInfo.of(part)  # read once per part: it copies the attrs
            sandbox = sandbox or info.source == "sandbox"
            queries.update(info.queries)
            if info.missing_ranks or info.repeated_ranks:
                incomplete[name] = {"missing_ranks": info.missing_ranks, "missing_reason": info.missing_reason,
                                    "repeated_ranks": info.repeated_ranks}
        return ResultInfo(
            source="sandbox" if sandbox else "patsnap",
            base_url=self.searcher.base_url,
            endpoint=self.design_query.endpoint,
            filters=self.design_query.filters(),
            queries=queries,
            failures=self.failures,
            pending=[name for name in order if name in self.pending],
            duplicates=duplicates,
            stopped=self.stopped,
            incomplete=incomplete,
            calls_spent=self.searcher.stats.total_calls - self.calls_before,
            cache_hits=self._cache_hits() - self.hits_before,
        ).attach(out)


def _failure(name: str, error: BaseException | None) -> dict[str, str]:
    return {"image": name, "error": type(error).__name__, "message": str(error)}


def _warn_if_incomplete(info: ResultInfo, max_calls: int | None) -> None:
    waiting = info.pending
    if not waiting:
        return
    stopped = info.stopped
    if stopped is not None:
        why = f"stopped by {stopped['error']}: {stopped['message']}"
    else:
        why = f"max_calls={max_calls} reached"
    warnings.warn(
        f"search_many: {why}. {len(waiting)} image(s) pending, not searched: run the same batch again later "
        "(e.g. tomorrow for a daily quota) and only those will be paid for; see batch.pending(df)",
        BatchIncompleteWarning, stacklevel=4,
    )


# ---------------------------------------------------------------------------------------------- reading back

def failures(df: pd.DataFrame) -> pd.DataFrame:
    """The images that failed in a batch, one row each: ``image``, ``error`` (class name), ``message``.

    Example:
        >>> df = pd.DataFrame(); df.attrs["failures"] = [{"image": "a.gif", "error": "InvalidImageError",
        ...                                               "message": "GIF is not accepted"}]
        >>> failures(df).image.tolist()
        ['a.gif']
    """
    rows = ResultInfo.of(df).failures
    return pd.DataFrame(rows, columns=["image", "error", "message"]).astype("string")


def pending(df: pd.DataFrame) -> list[str]:
    """The images a batch did not get to (budget, quota, auth error or interrupt): run them again later.

    Example:
        >>> df = pd.DataFrame(); df.attrs["pending"] = ["b.png"]
        >>> pending(df)
        ['b.png']
    """
    return ResultInfo.of(df).pending
