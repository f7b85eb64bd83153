"""Overnight batches (P062): up to ten images a job, run by the vendor between 22:00 and 08:00, collected later.

:func:`submit_overnight` works in this order:

1. **Check** the filters (image-single's: an overnight job searches each image as image-single does, at most
   100 ranks an image) and every image, before any call; a bad image is reported and costs nothing.
2. **Never twice**: an image already in a job with the same filters (on this host) is not submitted again —
   whether that job is still waiting or done; it is named with its job.
3. **Submit** the others ten to a job: each local image gets its upload URL (one upload unless a valid one
   is remembered), then one call creates the job. Its id is recorded beside the cache at once, without
   expiry (:func:`~patsnap_analytics.store.tables.record_table` ``"overnight_jobs"``: the cache file survives a
   restart of the notebook or the machine; a team's Redis shares the jobs).

:func:`collect_overnight` asks once per job not yet collected; a finished job's results are checked (one
result per image, rows as image-single's) and kept with its record, so collecting again costs nothing. The
frame holds every finished job's rows (``query`` = the image's name, ``query_key`` = its ``sha256:``/``url:``
key); ``df.attrs["workflow"]`` lists the ``finished`` jobs and those still ``waiting`` (with their state), and
``df.attrs["pending"]`` the images still waiting.

The vendor reads an image when the job runs, at night; an upload URL lives 9 hours, so submit local images in
the evening (or give URLs that live longer). The sandbox reads them when the job is created.

Cost: submitting, one call per job (ceil(new images / 10)) plus one upload per local image without a valid
upload URL; collecting, one call per job not yet collected (a finished one is never asked again).

Example:
    >>> jobs = client.submit_overnight("drawings/", limit=50)        # doctest: +SKIP
    >>> hits = client.collect_overnight()                            # the next morning  # doctest: +SKIP
    >>> hits.attrs["workflow"]["waiting"]                            # doctest: +SKIP
    []
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ..api import BATCH_CREATE, BATCH_RESULT, IMAGE_SINGLE, MAX_BATCH_IMAGES, PAGE_SIZE
from ..batch import image_inputs
from ..errors import ProtocolError, ValidationError
from ..frames import ResultInfo, SearchSpec, empty_results, results_frame
from ..images import ImageRef
from ..protocols import ClientLike
from ..query import DesignQuery
from ..searcher import is_url
from ..store.tables import put_records
from ..wire.gates import call_gates
from .common import STOPPING, failure, remember_warning, with_query_keys

__all__ = ["JOB_TABLE", "collect_overnight", "overnight_jobs", "submit_overnight"]

#: The table of overnight jobs beside the cache (no expiry).
JOB_TABLE = "overnight_jobs"
_RECORD_VERSION = 1
_JOB_COLUMNS = ["job_id", "submitted_at", "images", "state", "status", "collected_at"]


@dataclass
class _Image:
    name: str
    key: str = ""
    target: ImageRef | str | None = None
    error: BaseException | None = None


def _design_query(filters: dict[str, Any]) -> DesignQuery:
    endpoint = filters.pop("endpoint", IMAGE_SINGLE.name)
    if endpoint != IMAGE_SINGLE.name:
        raise ValidationError("endpoint", f"an overnight job searches each image as image-single does; got {endpoint!r}")
    design_query = DesignQuery.from_filters(endpoint=IMAGE_SINGLE.name, **filters)
    if design_query.limit > PAGE_SIZE:
        raise ValidationError("limit", f"an overnight job answers at most {PAGE_SIZE} ranks an image (one page); "
                                       f"got {design_query.limit}: ask for deeper ranks with offset in another job")
    return design_query


def _images(values: Sequence[Any], names: Sequence[Any] | None) -> list[_Image]:
    if names is not None and len(list(names)) != len(values):
        raise ValidationError("names", f"needs one name per image: {len(list(names))} names for {len(values)} images")
    out, used = [], set()
    for i, value in enumerate(values):
        item = _Image(str(names[i]) if names is not None else f"image #{i + 1}")
        try:
            if is_url(value):
                item.target, item.key = value, f"url:{value}"
                item.name = item.name if names is not None else value
            else:
                ref = ImageRef.from_any(value)
                item.target, item.key = ref, f"sha256:{ref.sha256}"
                item.name = item.name if names is not None else ref.display_name
        except Exception as exc:  # a bad image is reported and costs nothing
            item.error = exc
            item.name = item.name if names is not None or not isinstance(value, str) else value
        base, n = item.name, 1
        while item.name in used:
            n += 1
            item.name = f"{base} ({n})"
        used.add(item.name)
        out.append(item)
    return out


def _digest(client: ClientLike, design_query: DesignQuery) -> str:
    """What makes two jobs the same search: the host and the filters as sent (sorted)."""
    wire = json.dumps([client.base_url, design_query.to_wire()], sort_keys=True, default=str)
    return hashlib.sha256(wire.encode()).hexdigest()[:24]


def _job_key(client: ClientLike, job_id: str) -> str:
    return f"{client.base_url}|job|{job_id}"


def _image_key(client: ClientLike, digest: str, key: str) -> str:
    return f"{client.base_url}|image|{digest}|{key}"


def _read(table: Any, key: str) -> dict[str, Any] | None:
    text = table.get(key)
    try:
        record = json.loads(text) if text else None
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("v") == _RECORD_VERSION else None


def submit_overnight(client: ClientLike, images: Any, *, names: Sequence[Any] | None = None,
                     max_calls: int | None = None, **filters: Any) -> pd.DataFrame:
    """Submit ``images`` (a list, a folder, a DataFrame column) as overnight jobs, ten to a job, never twice
    for the same image and filters (see the module's numbered steps and costs).

    Returns one row per image given: ``query, query_key, job_id, state`` (``submitted`` now or ``already
    submitted``; the same image twice is one job's) and ``submitted_at``; bad images are listed in
    ``df.attrs["failures"]``, not submitted.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> jobs = submit_overnight(Client(api_key="sk-x", cache=False), [b"GIF89a..."], limit=5)
        >>> len(jobs), jobs.attrs["failures"][0]["error"]
        (0, 'InvalidImageError')
    """
    design_query = _design_query(dict(filters))
    items = _images(image_inputs(images), names)
    table, digest = client.record_table(JOB_TABLE), _digest(client, design_query)
    gates, _ = call_gates(max_calls, None)
    jobs: dict[str, tuple[str, str, str]] = {}  # image key -> (job id, submitted at, state)
    for item in items:
        known = table.get(_image_key(client, digest, item.key)) if item.error is None else None
        job = _read(table, _job_key(client, known)) if known else None
        if job is not None:
            jobs[item.key] = (str(known), job["submitted_at"], "already submitted")
    fresh = list({i.key: i for i in items if i.error is None and i.key not in jobs}.values())
    if fresh:
        remember_warning(client, JOB_TABLE, "overnight job ids")
    for start in range(0, len(fresh), MAX_BATCH_IMAGES):
        chunk = fresh[start:start + MAX_BATCH_IMAGES]
        job_id, at = _create(client, chunk, design_query, digest, gates)
        jobs.update((i.key, (job_id, at, "submitted")) for i in chunk)
    rows = [{"query": i.name, "query_key": i.key, "job_id": jobs[i.key][0], "state": jobs[i.key][2],
             "submitted_at": jobs[i.key][1]} for i in items if i.error is None]
    out = pd.DataFrame(rows, columns=["query", "query_key", "job_id", "state", "submitted_at"]).astype("string")
    return ResultInfo(source=client.source, base_url=client.base_url, endpoint=BATCH_CREATE.name,
                      filters=design_query.filters(),
                      failures=[failure(i.name, i.error) for i in items if i.error is not None]).attach(out)


def _create(client: ClientLike, chunk: list[_Image], design_query: DesignQuery, digest: str, gates: Sequence[Any]
            ) -> tuple[str, str]:
    """One job: the images' URLs (uploads where needed), one create call, the records written at once."""
    urls = [i.target if isinstance(i.target, str) else client.uploads.upload(i.target, gates=gates).url for i in chunk]
    answer = client.transport.call(BATCH_CREATE, {}, body={"urls": urls, **design_query.to_wire()}, gates=gates)
    job_id = str(answer.data["job_id"])
    at = datetime.now(UTC).isoformat(timespec="seconds")
    record = {"v": _RECORD_VERSION, "job_id": job_id, "submitted_at": at, "order": time.time_ns(),
              "filters": design_query.filters(),
              "images": [{"name": i.name, "key": i.key} for i in chunk], "state": "submitted", "status": None,
              "sandbox": answer.from_sandbox, "results": None, "collected_at": None}
    table = client.record_table(JOB_TABLE)
    put_records(table, {_job_key(client, job_id): json.dumps(record, ensure_ascii=False),
                        **{_image_key(client, digest, i.key): job_id for i in chunk}}, ttl=None)
    return job_id, at


def _remembered(client: ClientLike, job_ids: Sequence[str] | None) -> list[dict[str, Any]]:
    table = client.record_table(JOB_TABLE)
    if job_ids is None:
        prefix = f"{client.base_url}|job|"
        keys = sorted(k for k in list(table.keys()) if str(k).startswith(prefix))
    else:
        keys = [_job_key(client, str(j)) for j in job_ids]
    jobs = [_read(table, k) for k in keys]
    unknown = [str(j) for j, job in zip(job_ids or [], jobs, strict=False) if job is None]
    if unknown:
        raise ValidationError("job_ids", f"no job {', '.join(unknown)} was submitted from this cache; "
                                         "client.overnight_jobs() lists those that were")
    return sorted((j for j in jobs if j is not None), key=lambda j: (j.get("order", 0), j["job_id"]))  # as submitted


def _ask(client: ClientLike, job: dict[str, Any], gates: Sequence[Any]) -> None:
    """One result call for a job not yet collected; a finished job's results are checked and kept."""
    answer = client.transport.call(BATCH_RESULT, {"task_id": job["job_id"]}, body={}, gates=gates)
    data = answer.data
    job["status"] = data["status"]
    if data["status"] != "success":
        return
    results = data.get("search_result") or []
    if len(results) != len(job["images"]):
        raise ProtocolError(BATCH_RESULT.path, "data.search_result",
                            f"holds {len(results)} results for the job's {len(job['images'])} images")
    job.update(state="done", results=[{k: r.get(k) for k in ("patent_messages", "total_search_result_count")}
                                      for r in results],
               collected_at=datetime.now(UTC).isoformat(timespec="seconds"), sandbox=answer.from_sandbox)
    put_records(client.record_table(JOB_TABLE), {_job_key(client, job["job_id"]): json.dumps(job, ensure_ascii=False)},
                ttl=None)


def collect_overnight(client: ClientLike, job_ids: Sequence[str] | None = None, *,
                      max_calls: int | None = None) -> pd.DataFrame:
    """The results of the overnight jobs submitted from this cache (or of ``job_ids``): one frame of every
    finished job's rows; the jobs still waiting are named in ``df.attrs["workflow"]["waiting"]`` and their
    images in ``df.attrs["pending"]`` (see the module's notes and costs).

    Example:
        >>> from patsnap_analytics.client import Client
        >>> collect_overnight(Client(api_key="sk-x", cache=False)).attrs["workflow"]
        {'kind': 'overnight', 'finished': [], 'waiting': []}
    """
    jobs = _remembered(client, job_ids)
    gates, _ = call_gates(max_calls, None)
    spent = client.stats.total_calls
    failures, stopped = [], None
    for job in jobs:
        if job["state"] == "done" or stopped is not None:
            continue
        try:
            _ask(client, job, gates)
        except STOPPING as exc:
            stopped = {"error": type(exc).__name__, "message": str(exc)}
        except Exception as exc:  # one job's trouble (an unknown id, a malformed answer) is that job's
            failures.append(failure(job["job_id"], exc))
    return _frame(client, jobs, failures, stopped, calls=client.stats.total_calls - spent)


def _frame(client: ClientLike, jobs: list[dict[str, Any]], failures: list[dict[str, str]],
           stopped: dict[str, str] | None, *, calls: int) -> pd.DataFrame:
    parts, queries, keys = [], {}, {}
    for job in (j for j in jobs if j["state"] == "done"):
        design_query = DesignQuery.from_filters(**job["filters"])
        for image, result in zip(job["images"], job["results"], strict=True):
            parts.append(results_frame(result, query=image["name"],
                                       sorted_by_similarity=design_query.sorted_by_similarity,
                                       first_rank=design_query.first_rank))
            sha256, url = (image["key"][7:], None) if image["key"].startswith("sha256:") else (None, image["key"][4:])
            queries[image["name"]] = SearchSpec(sha256, url, job["filters"])
            keys[image["name"]] = image["key"]
    nonempty = [p for p in parts if len(p)]
    out = with_query_keys(pd.concat(nonempty, ignore_index=True) if nonempty else empty_results(), keys)
    waiting = [j for j in jobs if j["state"] != "done"]
    sandbox = client.source == "sandbox" or any(j.get("sandbox") for j in jobs)
    return ResultInfo(
        source="sandbox" if sandbox else "patsnap", base_url=client.base_url, endpoint=BATCH_RESULT.name,
        filters=jobs[0]["filters"] if jobs else {}, queries=queries, failures=failures,
        pending=[i["name"] for j in waiting for i in j["images"]], stopped=stopped, calls_spent=calls,
        workflow={"kind": "overnight", "finished": [j["job_id"] for j in jobs if j["state"] == "done"],
                  "waiting": [{"job_id": j["job_id"], "status": j["status"], "images": len(j["images"]),
                               "submitted_at": j["submitted_at"]} for j in waiting]},
    ).attach(out)


def overnight_jobs(client: ClientLike) -> pd.DataFrame:
    """The overnight jobs submitted from this cache to this host, one row each: ``job_id, submitted_at,
    images, state`` (``submitted`` or ``done``), ``status`` (the API's last word) and ``collected_at``.

    Example:
        >>> overnight_jobs(client)[["job_id", "state"]]                  # doctest: +SKIP
    """
    rows = [{**{c: j.get(c) for c in _JOB_COLUMNS}, "images": len(j["images"])} for j in _remembered(client, None)]
    return pd.DataFrame(rows, columns=_JOB_COLUMNS)
