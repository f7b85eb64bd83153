"""A build worker: the other end of :func:`.parallel.run_chunks`, in its own interpreter.

Started by :mod:`.parallel` (never by hand): it reads a task from stdin (unpickling it imports the task's
module — only the package, never the user's script), answers :data:`~.parallel.READY`, then answers every
chunk it reads with ``(True, result)`` or ``(False, traceback)`` until stdin closes.

Example:
    >>> import io, math
    >>> from patsnap_analytics.sandbox.parallel import receive, send
    >>> requests, replies = io.BytesIO(), io.BytesIO()
    >>> for message in (math.factorial, 5, -1):
    ...     send(requests, message)
    >>> _ = requests.seek(0); serve(requests, replies); _ = replies.seek(0)
    >>> receive(replies), receive(replies), receive(replies)[0]
    ('ready', (True, 120), False)
"""

from __future__ import annotations

import signal
import sys
import traceback
from typing import IO

from .parallel import READY, receive, send

__all__ = ["main", "serve"]


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer the task and chunks read from ``requests`` on ``replies`` until ``requests`` ends."""
    try:
        task = receive(requests)
    except EOFError:
        return
    send(replies, READY)
    while True:
        try:
            chunk = receive(requests)
        except EOFError:
            return
        try:
            reply = (True, task(chunk))
        except Exception:  # reported, not raised: the parent redoes the chunk itself and raises the real error
            reply = (False, traceback.format_exc())
        send(replies, reply)


def main() -> None:
    """Serve on stdin/stdout. Ctrl+C is the parent's to handle: it stops its workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a print() inside a task must not corrupt the reply stream
    serve(requests, replies)


if __name__ == "__main__":
    main()
