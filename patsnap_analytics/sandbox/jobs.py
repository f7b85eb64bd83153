"""Overnight jobs (P062) as the sandbox runs them: by its calendar's night, 22:00 to 08:00.

A job is created with up to ten images (their bytes are read when the job is created: the sandbox never
fetches an address, and its upload URLs would not outlive the day) and the image-single filters they are
searched with. It runs in the night under way when it was created, or else in the next one, and its results
are there from the end of that night (08:00) on: before that, asking for them answers its state only
(``waiting``, or ``running`` during the night). The results are computed once, when first asked for after
08:00, as the API would have found them that night (designs published later are not among them).

Jobs are bounded in number and in bytes of images held; the oldest are forgotten first (their ids are then
unknown, as an expired job's would be).

Example:
    >>> from datetime import datetime
    >>> from patsnap_analytics.sandbox.faults import Clock
    >>> clock = Clock(start=datetime(2026, 11, 2, 15, 0))
    >>> jobs = JobStore(clock); job_id = jobs.create([b"png"], design_query=None)
    >>> jobs.lookup(job_id).state(clock.calendar()), jobs.lookup(job_id).ready_at
    ('waiting', datetime.datetime(2026, 11, 3, 8, 0))
    >>> clock.advance(8 * 3600); jobs.lookup(job_id).state(clock.calendar())
    'running'
    >>> clock.advance(9 * 3600); jobs.lookup(job_id).state(clock.calendar())
    'success'
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from ..api import BATCH_NIGHT
from .faults import Clock

__all__ = ["MAX_JOBS", "MAX_JOB_BYTES", "Job", "JobStore", "night_end"]

#: Jobs kept at once (the oldest are forgotten first).
MAX_JOBS = 1000
#: Bytes of job images kept at once, in all.
MAX_JOB_BYTES = 256 * 2**20
_STARTS, _ENDS = (time(hour) for hour in BATCH_NIGHT)


def night_end(created: datetime) -> datetime:
    """When a job created at ``created`` is done: the end (08:00) of the night under way, or of the next one.

    Example:
        >>> night_end(datetime(2026, 11, 2, 23, 30)), night_end(datetime(2026, 11, 3, 7, 59))
        (datetime.datetime(2026, 11, 3, 8, 0), datetime.datetime(2026, 11, 3, 8, 0))
    """
    end = datetime.combine(created.date(), _ENDS)
    return end if created < end else end + timedelta(days=1)


@dataclass
class Job:
    """One overnight job: its images, its filters (a ``DesignQuery`` of image-single), when it was created
    and when its results are ready; ``results`` once computed.

    Example:
        >>> job = Job([b"png"], None, datetime(2026, 11, 2, 23, 0), night_end(datetime(2026, 11, 2, 23, 0)))
        >>> job.state(datetime(2026, 11, 3, 2, 0)), job.nbytes
        ('running', 3)
    """

    images: list[bytes]
    design_query: Any
    created: datetime
    ready_at: datetime
    urls: list[str] = field(default_factory=list)
    results: Any = None

    def state(self, now: datetime) -> str:
        """``success`` from 08:00 after its night, ``running`` during it, else ``waiting``."""
        if now >= self.ready_at:
            return "success"
        return "running" if now.time() >= _STARTS or now.time() < _ENDS else "waiting"

    @property
    def nbytes(self) -> int:
        return sum(len(im) for im in self.images)


class JobStore:
    """The sandbox's overnight jobs by id, bounded by :data:`MAX_JOBS` and :data:`MAX_JOB_BYTES`."""

    def __init__(self, clock: Clock, *, max_jobs: int = MAX_JOBS, max_bytes: int = MAX_JOB_BYTES) -> None:
        self.clock = clock
        self.max_jobs, self.max_bytes = max_jobs, max_bytes
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def create(self, images: list[bytes], design_query: Any, urls: list[str] | None = None) -> str:
        """Store a job and return its id (32 hex digits, as the vendor's task ids look)."""
        now = self.clock.calendar()
        job = Job(list(images), design_query, now, night_end(now), list(urls or []))
        job_id = secrets.token_hex(16)
        with self._lock:
            self._jobs[job_id] = job
            self._bytes += job.nbytes
            while len(self._jobs) > 1 and (len(self._jobs) > self.max_jobs or self._bytes > self.max_bytes):
                _, dropped = self._jobs.popitem(last=False)
                self._bytes -= dropped.nbytes
        return job_id

    def lookup(self, job_id: str) -> Job | None:
        """The job with that id, or ``None``."""
        with self._lock:
            return self._jobs.get(job_id)

    def finish(self, job: Job, results: Any) -> None:
        """Keep a job's results and let its images go (they are not needed any more)."""
        with self._lock:
            if job.results is None:
                job.results = results
                self._bytes -= job.nbytes
                job.images = []

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)
