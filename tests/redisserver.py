"""A real redis-server (Debian's package) for the team tests: a free loopback port, a throwaway folder, no disk
persistence, started and stopped by the test that owns it. Never a fake: the tests are about what Redis does."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")
START_DEADLINE = 30.0  # seconds a server may take to answer its first PING (a loaded machine is slow, not broken)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """``redis-server`` on 127.0.0.1:<free port>, its files in ``folder``; ``password`` turns on ``requirepass``.

    >>> server = RedisServer(tmp_path).start()      # doctest: +SKIP
    >>> server.url, server.stop()                    # doctest: +SKIP
    """

    def __init__(self, folder: Path, *, password: str | None = None) -> None:
        self.folder = Path(folder)
        self.password = password
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=10)

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # another program may take the free port between our probe and redis's bind
            self.port = free_port()
            if self._launch():
                return self
            self.stop()
        raise RuntimeError("redis-server did not start")

    def restart(self) -> RedisServer:
        """Stop the server and start a new, empty one on the same port (no persistence: every key is gone)."""
        self.stop()
        for _ in range(50):  # the port may linger a moment after the old process exits
            if self._launch():
                return self
            self.stop()
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start again on port {self.port}")

    def _launch(self) -> bool:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self._answers()

    def _answers(self) -> bool:
        import redis

        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                return bool(self.client().ping())
            except redis.ConnectionError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM: it closes every client connection) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
