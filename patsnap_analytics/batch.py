"""Many query images, one tidy frame: bounded concurrency, a QPS limit, a calls budget, partial failures.

:func:`search_many` searches a list of images (paths, bytes, http(s) URLs), a folder, or a DataFrame
column with the same filters and returns ONE result frame (the client's schema; the ``query`` column tells
the images apart). Everything is validated before the first call: a bad filter raises at once; a bad image
(GIF, missing file, …) becomes a failure entry that costs nothing and never stops the others. Identical
images (same sha256 or URL) are searched once.

Spending is bounded on purpose, because every call is paid:

* ``qps=`` spaces the calls that go out (a cache hit is never throttled);
* ``max_calls=`` stops before the budget would be exceeded; what is left becomes *pending*;
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
    ...     df = pa.connect(sandbox=sb).search_many("data/queries/", country=["US", "CN"], limit=20, qps=5)
    ...     df.attrs["calls_spent"], failures(df), pending(df)
"""

from __future__ import annotations

import math
import sys
import threading
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import (
    AuthError,
    BudgetExceeded,
    InvalidImageError,
    PatsnapError,
    PermissionDeniedError,
    QuotaExhaustedError,
    ValidationError,
)
from .frames import empty_results
from .images import IMAGE_SUFFIXES, ImageRef, image_files
from .query import DesignQuery
from .throttle import CallBudget, CallGate, RateLimiter

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "IMAGE_SUFFIXES",
    "BatchIncompleteWarning",
    "BatchStopped",
    "StopGate",
    "failures",
    "image_inputs",
    "pending",
    "search_many",
]



# errors after which every further call would fail (or must not be made): the batch stops spending
_STOPPING = (QuotaExhaustedError, AuthError, PermissionDeniedError)


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


class BatchStopped(PatsnapError):
    """Raised by a closed :class:`StopGate`: the batch stopped spending, this call was not sent.

    Example:
        >>> issubclass(BatchStopped, PatsnapError)
        True
    """


class StopGate:
    """A gate that lets calls through until :meth:`close`; then every call that would go out raises
    :class:`BatchStopped` (cache hits never reach a gate, so they are still served).

    Example:
        >>> gate = StopGate(); gate.acquire()
        >>> gate.close("daily quota used up"); gate.acquire()
        Traceback (most recent call last):
        ...
        patsnap_analytics.batch.BatchStopped: not sent: daily quota used up
    """

    def __init__(self) -> None:
        self._reason: str | None = None
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """Whether calls are refused."""
        return self._reason is not None

    def close(self, reason: str) -> None:
        """Refuse every further call (the first reason is kept)."""
        with self._lock:
            if self._reason is None:
                self._reason = reason

    def acquire(self) -> None:
        """Raise :class:`BatchStopped` once closed."""
        if self._reason is not None:
            raise BatchStopped(f"not sent: {self._reason}")


@dataclass
class _Input:
    """One user input after validation: a searchable target, or the error that makes it a failure."""

    label: str
    target: ImageRef | str | None = None
    error: Exception | None = None
    same_as: str | None = None  # a duplicate: the label of the identical image searched instead

    @property
    def key(self) -> str | None:
        """What makes two inputs the same search: the image's sha256, or the URL."""
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


def _default_label(value: Any, position: int) -> str:
    if isinstance(value, (str, Path)):
        text = str(value)
        return text if "://" in text else Path(text).name or text
    if isinstance(value, ImageRef):
        return value.label
    if hasattr(value, "read") and getattr(value, "name", None):
        return Path(str(value.name)).name
    return f"image #{position + 1}"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _resolve_all(client: Client, values: list[Any], names: Sequence[Any] | None) -> list[_Input]:
    """Validate every input (no call is made) and give each searched image a unique ``query`` label."""
    if names is not None:
        names = list(names)
        if len(names) != len(values):
            raise ValidationError("names", f"needs one name per image: {len(names)} names for {len(values)} images")
    inputs: list[_Input] = []
    used: set[str] = set()
    first_of: dict[str, str] = {}  # sha256/URL -> label of its first occurrence
    for i, value in enumerate(values):
        item = _Input(label="")
        if _is_missing(value):
            item.error = InvalidImageError("image", "empty value (no path, URL or bytes)")
        else:
            try:
                item.target = client.resolve_image(value)
            except Exception as exc:  # a bad image is reported, never fatal to the batch
                item.error = exc
        if names is not None:
            base = str(names[i])
        else:
            base = _default_label(item.target if isinstance(item.target, ImageRef) else value, i)
        key = item.key
        if key is not None and key in first_of:
            item.label, item.same_as = base, first_of[key]
        else:
            label, n = base, 1
            while label in used:  # two different images with one name (same file name in two folders)
                n += 1
                label = f"{base} ({n})"
            used.add(label)
            item.label = label
            if key is not None:
                first_of[key] = label
        inputs.append(item)
    return inputs


# ---------------------------------------------------------------------------------------------- running

def search_many(
    client: Client,
    images: Any,
    *,
    workers: int = 4,
    qps: float | None = None,
    max_calls: int | None = None,
    progress: bool = True,
    refresh: bool = False,
    names: Sequence[Any] | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Search every image of ``images`` with the same ``filters``; one tidy frame back.

    ``images``: a list of paths / bytes / http(s) URLs, a folder, or a DataFrame column. ``workers``: searches
    in flight at once. ``qps``: at most that many calls per second go out (cache hits are free and
    unthrottled). ``max_calls``: never send more calls than this; images left over are ``pending``.
    ``names``: one ``query`` label per image (default: file name, URL, or ``sha256:<12>`` for bytes;
    clashing names get `` (2)``, `` (3)``…). ``progress``: a tqdm bar showing calls spent and cache hits.

    Never raises for one image: bad images, rejected searches and exhausted retries become ``failures``;
    a quota, balance, auth or permission error stops the batch (no call is sent after it) and leaves the rest
    ``pending`` with a :class:`BatchIncompleteWarning`. Bad filters or arguments raise ``ValidationError``
    before any call.

    ``df.attrs``: ``source, base_url, endpoint, filters, queries`` (per label: image sha256 or URL, and the
    filters), ``failures`` (``[{"image", "error", "message"}]``), ``pending`` (labels), ``duplicates``
    (``[{"image", "same_as"}]``: inputs identical to an earlier one, searched once under its label), ``stopped`` (why the batch stopped, or ``None``),
    ``calls_spent`` (calls this batch sent) and ``cache_hits``.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> df = search_many(Client(api_key="sk-x", cache=False), ["missing.png"], progress=False)
        >>> len(df), failures(df).error.tolist(), df.attrs["calls_spent"]
        (0, ['InvalidImageError'], 0)
    """
    from .client import SEARCH_PATH

    query = DesignQuery.from_filters(**filters)
    check_workers(workers)
    gates, stop = call_gates(max_calls, qps)

    inputs = _resolve_all(client, image_inputs(images), names)
    failed = [_failure(i.label, i.error) for i in inputs if i.error is not None]
    unique = [i for i in inputs if i.error is None and i.same_as is None]
    duplicates = [{"image": i.label, "same_as": i.same_as} for i in inputs if i.same_as is not None]

    calls_before = client.stats.total_calls
    hits_before = client.stats.as_dict()["search_cache_hits"]
    frames: dict[str, pd.DataFrame] = {}
    pending_labels: list[str] = []
    stopped: dict[str, str] | None = None
    bar = progress_bar(len(unique), progress)

    def run(item: _Input) -> pd.DataFrame:
        try:
            return client._search(item.target, query, refresh=refresh, name=item.label, gates=gates)  # type: ignore[arg-type]
        except _STOPPING as exc:
            # close the gate here, in the worker, before it can pick up the next image and send its call
            stop.close(f"{type(exc).__name__}: {exc}")
            raise

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patsnap-batch")
    futures: dict[Future, _Input] = {pool.submit(run, item): item for item in unique}
    try:
        for future in as_completed(futures):
            item = futures[future]
            try:
                frames[item.label] = future.result()
            except (BudgetExceeded, BatchStopped):
                pending_labels.append(item.label)
            except _STOPPING as exc:
                pending_labels.append(item.label)
                if stopped is None:
                    stopped = {"error": type(exc).__name__, "message": str(exc)}
                stop.close(f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # one image's failure never loses the others
                failed.append(_failure(item.label, exc))
            if bar is not None:
                bar.set_postfix(calls=client.stats.total_calls - calls_before,
                                cached=client.stats.as_dict()["search_cache_hits"] - hits_before,
                                failed=len(failed), refresh=False)
                bar.update(1)
    except KeyboardInterrupt:
        # an analyst pressing stop in a notebook keeps what is done; nothing more is sent
        stop.close("interrupted")
        stopped = {"error": "KeyboardInterrupt", "message": "interrupted by the user"}
        for future, item in futures.items():
            future.cancel()
            if item.label not in frames:
                try:
                    frames[item.label] = future.result()
                except BaseException:
                    if item.label not in pending_labels:
                        pending_labels.append(item.label)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()

    order = [item.label for item in unique]  # results in input order, not completion order
    pending_labels = [label for label in order if label in set(pending_labels)]
    parts = [frames[label] for label in order if label in frames]
    nonempty = [f for f in parts if len(f)]
    out = pd.concat(nonempty, ignore_index=True) if nonempty else empty_results()
    queries: dict[str, Any] = {}
    for part in parts:
        queries.update(part.attrs.get("queries", {}))
    source = parts[0].attrs.get("source", client.source) if parts else client.source
    out.attrs = {
        "source": source,
        "base_url": client.base_url,
        "endpoint": SEARCH_PATH,
        "filters": query.filters(),
        "queries": queries,
        "failures": failed,
        "pending": pending_labels,
        "duplicates": duplicates,
        "stopped": stopped,
        "calls_spent": client.stats.total_calls - calls_before,
        "cache_hits": client.stats.as_dict()["search_cache_hits"] - hits_before,
    }
    _warn_if_incomplete(out.attrs, max_calls)
    return out


def check_workers(workers: int) -> None:
    """Reject a worker count that is not a positive integer (before anything is spent).

    Example:
        >>> check_workers(0)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: workers: must be a positive integer, got 0
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError("workers", f"must be a positive integer, got {workers!r}")


def call_gates(max_calls: int | None, qps: float | None) -> tuple[list[CallGate], StopGate]:
    """The gates every outgoing call of a batch passes, and the stop gate that ends the batch.

    Budget first (it fails fast), then the rate slot, then the stop check right before the call goes out.

    Example:
        >>> gates, stop = call_gates(max_calls=5, qps=None)
        >>> [type(g).__name__ for g in gates]
        ['CallBudget', 'StopGate']
    """
    budget = CallBudget(max_calls) if max_calls is not None else None  # validates max_calls
    limiter = RateLimiter(qps) if qps is not None else None  # validates qps
    stop = StopGate()
    return [g for g in (budget, limiter) if g is not None] + [stop], stop


def _failure(label: str, error: BaseException | None) -> dict[str, str]:
    return {"image": label, "error": type(error).__name__, "message": str(error)}


def progress_bar(total: int, enabled: bool, *, desc: str = "search_many", unit: str = "image") -> Any:
    """A tqdm bar (a widget in notebooks, text elsewhere), or ``None`` when disabled or there is nothing to do.

    Example:
        >>> progress_bar(10, enabled=False) is None
        True
    """
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)


def _warn_if_incomplete(attrs: dict[str, Any], max_calls: int | None) -> None:
    waiting = attrs["pending"]
    if not waiting:
        return
    stopped = attrs["stopped"]
    if stopped is not None:
        why = f"stopped by {stopped['error']}: {stopped['message']}"
    else:
        why = f"max_calls={max_calls} reached"
    warnings.warn(
        f"search_many: {why}. {len(waiting)} image(s) pending, not searched: run the same batch again later "
        "(e.g. tomorrow for a daily quota) and only those will be paid for; see batch.pending(df)",
        BatchIncompleteWarning, stacklevel=3,
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
    rows = df.attrs.get("failures") or []
    return pd.DataFrame(rows, columns=["image", "error", "message"]).astype("string")


def pending(df: pd.DataFrame) -> list[str]:
    """The images a batch did not get to (budget, quota, auth error or interrupt): run them again later.

    Example:
        >>> df = pd.DataFrame(); df.attrs["pending"] = ["b.png"]
        >>> pending(df)
        ['b.png']
    """
    return list(df.attrs.get("pending") or [])
