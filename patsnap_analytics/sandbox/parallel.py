"""Slow build steps in chunks, run in this process and in worker subprocesses at once, with progress.

Drawing the sample corpus and describing its views for the index are pure CPU work on independent chunks.
They run here and in up to ``cpus - 1`` worker processes. A worker is a fresh interpreter running
:mod:`.worker`: it imports the package and the task's module, and **never the user's** ``__main__``. (With
multiprocessing's "spawn", every child re-imported the main module, so a script without an
``if __name__ == "__main__":`` guard that started a sandbox on a cold cache ran once per child.)

Why processes: PIL drawing, PNG encoding and HOG hold the GIL most of the time; two threads measured about
as fast as one. Why this process works too: it has everything imported, while a worker needs about a second
to start. Chunks go one at a time to whoever is free, so a late worker costs nothing; a worker that cannot
start or fails hands its chunk back and this process does it (the result never depends on the workers).

Parent and worker speak pickle over the worker's stdin/stdout: the task once (a module-level function,
pickled by name), then a chunk, an ``(ok, result)`` reply, and so on until stdin closes.

Example:
    >>> import math
    >>> sorted(run_chunks(math.factorial, [3, 4, 5], workers=1))
    [(0, 6), (1, 24), (2, 120)]
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

# in a notebook kernel: a widget bar (tqdm on stderr renders as an error-styled box there); text elsewhere
from tqdm.auto import tqdm

__all__ = ["PROGRESS_DELAY", "receive", "run_chunks", "send"]

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

#: Seconds a step runs before its progress bar appears: quick builds and cache hits stay silent.
PROGRESS_DELAY = 1.0
_MAX_WORKERS = 3  # beyond this, memory and start-up cost grow faster than the build shortens
READY = "ready"  # a worker's first message: the task's module is imported
_FAILED = object()  # a chunk a worker could not finish (this process does it instead)
# the worker's interpreter gets this process's import path, so it imports the very same package (a source
# checkout, an editable install, a notebook's working directory), and nothing else runs: no script, no -m
_BOOTSTRAP = "import sys; sys.path[:] = sys.argv[1:]; from patsnap_analytics.sandbox.worker import main; main()"


def run_chunks(task: Callable[[T], R], chunks: Sequence[T], *, sizes: Sequence[int] | None = None,
               desc: str = "", unit: str = "it", workers: int | None = None) -> Iterator[tuple[int, R]]:
    """``(i, task(chunks[i]))`` for every chunk, in the order they finish; a progress bar if it takes a while.

    ``task`` must be a module-level function of an importable module (workers import it by name).
    ``sizes``: the work units in each chunk, for the bar (``unit``, ``desc``). ``workers``: how many worker
    processes beside this one (default: one per further CPU, at most 3; ``0``: this process only).

    Example:
        >>> import math
        >>> [r for _, r in run_chunks(math.sqrt, [4.0, 9.0], workers=0)]
        [2.0, 3.0]
    """
    sizes = list(sizes) if sizes is not None else [1] * len(chunks)
    todo: deque[int] = deque(range(len(chunks)))  # popleft/append are atomic: shared with the feeder threads
    finished: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    wanted = _default_workers() if workers is None else workers
    wanted = max(0, min(wanted, len(chunks) - 1)) if _importable(task) else 0
    remaining = len(chunks)
    with _Workers(task, chunks, todo, finished, wanted), _progress_bar(sum(sizes), desc, unit) as bar:
        while remaining:
            index, result = _next_result(task, chunks, todo, finished)
            if result is _FAILED:
                todo.append(index)
                continue
            remaining -= 1
            bar.update(sizes[index])
            yield index, result


def _next_result(task: Callable[[Any], Any], chunks: Sequence[Any], todo: deque[int],
                 finished: queue.SimpleQueue) -> tuple[int, Any]:
    """A worker's finished chunk if one is waiting, else one chunk done here, else wait for the workers."""
    try:
        return finished.get_nowait()
    except queue.Empty:
        pass
    try:
        index = todo.popleft()
    except IndexError:
        return finished.get()  # every chunk left is in a worker's hands; each one is answered exactly once
    return index, task(chunks[index])


def _progress_bar(total: int, desc: str, unit: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, delay=PROGRESS_DELAY, dynamic_ncols=True)


def _default_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except AttributeError:
        cpus = os.cpu_count() or 1
    return min(cpus - 1, _MAX_WORKERS)


def _importable(task: Callable[..., Any]) -> bool:
    """Workers import ``task`` by its module and name: the user's ``__main__`` is exactly what they must not."""
    module = getattr(task, "__module__", None)
    return bool(module) and module != "__main__" and "<locals>" not in getattr(task, "__qualname__", "<locals>")


def send(stream: IO[bytes], message: Any) -> None:
    """Write one message to a worker pipe (either direction).

    Example:
        >>> import io
        >>> buf = io.BytesIO(); send(buf, ("chunk", 1)); _ = buf.seek(0); receive(buf)
        ('chunk', 1)
    """
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """Read one message from a worker pipe; ``EOFError`` when the other side has closed it.

    Example:
        >>> import io
        >>> receive(io.BytesIO(b""))
        Traceback (most recent call last):
        ...
        EOFError: Ran out of input
    """
    return pickle.load(stream)  # only ever from this process's own worker, or back


class _Workers:
    """Worker processes, each with a feeder thread that hands it chunks from ``todo`` until none are left."""

    def __init__(self, task: Callable[[Any], Any], chunks: Sequence[Any], todo: deque[int],
                 finished: queue.SimpleQueue, count: int) -> None:
        self._task, self._chunks, self._todo, self._finished = task, chunks, todo, finished
        self._count = count
        self._procs: list[subprocess.Popen] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> _Workers:
        for _ in range(self._count):
            proc = _start_worker()
            if proc is None:
                break
            thread = threading.Thread(target=self._feed, args=(proc,), daemon=True, name="patsnap-sandbox-feeder")
            self._procs.append(proc)
            self._threads.append(thread)
            thread.start()
        if self._procs:
            log.debug("started %d sandbox worker(s) for %s", len(self._procs), _name(self._task))
        return self

    def __exit__(self, *exc: object) -> None:
        # every chunk is done (or the caller gave up): no worker holds work worth waiting for
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):  # a pipe whose reader died
                    pipe.close()
        for thread in self._threads:
            thread.join()

    def _feed(self, proc: subprocess.Popen) -> None:
        try:
            send(proc.stdin, self._task)
            if receive(proc.stdout) != READY:
                return
        except Exception as exc:  # the worker could not start or import the task: this process does its share
            log.debug("sandbox worker unavailable: %r", exc)
            return
        while True:
            try:
                index = self._todo.popleft()
            except IndexError:
                return
            result: Any = _FAILED
            try:
                send(proc.stdin, self._chunks[index])
                ok, value = receive(proc.stdout)
                if ok:
                    result = value
                else:
                    log.debug("sandbox worker failed on a chunk:\n%s", value)
            except Exception as exc:  # killed, crashed, or the pipe closed
                log.debug("sandbox worker lost: %r", exc)
            finally:
                self._finished.put((index, result))  # exactly one answer per chunk taken: run_chunks counts on it
            if result is _FAILED:
                return


def _name(task: Callable[..., Any]) -> str:
    return f"{getattr(task, '__module__', '?')}.{getattr(task, '__qualname__', '?')}"


def _start_worker() -> subprocess.Popen | None:
    """A worker process, or ``None`` where none can be started (no Python to run, a frozen app, OS limits)."""
    # an embedding application (uWSGI, a frozen app) puts its own binary in sys.executable: never run that
    if getattr(sys, "frozen", False) or not Path(sys.executable or "").name.lower().startswith(("python", "pypy")):
        return None
    path = [p for p in sys.path if isinstance(p, str)]
    try:
        return subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, *path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.debug("cannot start a sandbox worker: %r", exc)
        return None
