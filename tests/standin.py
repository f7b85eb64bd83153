"""A small stand-in for the API on 127.0.0.1, for what the sandbox must never do: redirect, answer garbage,
drip, flood, echo a key. Each test scripts the answer; the server records every request it received.

    with StandIn() as api:
        api.answer = lambda h: h.json({"status": True, "data": {}})
        client = pa.Client(api_key=KEY, base_url=api.url, cache=False)
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

#: A key that does not start with "sk-", so that only exact-secret redaction can catch it.
KEY = "standin-fake-key-for-tests-only"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        self.server.owner.received.append({"method": self.command, "path": parts.path,
                                           "query": parse_qs(parts.query), "headers": dict(self.headers),
                                           "body_bytes": len(body)})
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.owner.answer(self)

    do_GET = do_POST = _handle

    # ------------------------------------------------------------------ answers a script can give
    def send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def json(self, payload: object, status: int = 200) -> None:
        self.send(status, json.dumps(payload).encode())

    def redirect(self, location: str, status: int = 302) -> None:
        self.send(status, b"", "text/plain", Location=location)

    def drip(self, body: bytes, every: float, head_too: bool = False) -> None:
        """Send ``body`` one byte every ``every`` seconds (the status line and headers too with ``head_too``)."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        try:
            if head_too:
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(every)
            else:
                self.wfile.write(head)
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(every)
        except OSError:  # the client gave up: what a deadline is for
            self.server.owner.gave_up += 1
        self.close_connection = True

    def stream(self, chunk: bytes, content_encoding: str | None = None, limit: int = 2**31) -> None:
        """An endless (up to ``limit`` bytes) body without a length: count what the client read before it left."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if content_encoding:
            self.send_header("Content-Encoding", content_encoding)
        self.end_headers()
        sent = 0
        try:
            while sent < limit:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            self.server.owner.gave_up += 1
        self.server.owner.bytes_sent += sent
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: StandIn


class StandIn:
    """The stand-in server: ``answer(handler)`` decides each answer; ``received`` lists the requests."""

    def __init__(self, answer: Callable[[Handler], None] | None = None) -> None:
        self.answer = answer or (lambda h: h.json({"status": True, "error_code": 0, "data": {}}))
        self.received: list[dict] = []
        self.gave_up = 0
        self.bytes_sent = 0
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StandIn:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, path: str) -> int:
        return sum(1 for r in self.received if r["path"] == path)


def rows(n: int = 3) -> dict:
    """A well-formed search-id ``data`` with ``n`` rows."""
    return {"patent_messages": [{"patent_id": f"p{i}", "patent_pn": f"USD{900000 + i}S", "title": f"Chair {i}",
                                 "url": f"https://img.example/{i}.png", "score": 0.9 - i / 100}
                                for i in range(n)],
            "search_id": "S1", "total_search_result_count": n}
