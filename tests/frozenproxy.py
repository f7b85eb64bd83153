"""A TCP hop in front of a real server that can freeze, for the team tests: what a SIGSTOPped Redis does (connections
accepted, requests read, nothing ever answered), with every request that reached it while frozen counted.

    proxy = FreezableProxy(redis_port).start()   # redis://127.0.0.1:{proxy.port}/0 reaches the real server
    proxy.freeze()                                # from now on: read, count, never answer
    proxy.sent_while_frozen                        # requests (writes of a client) received since
"""

from __future__ import annotations

import socket
import threading


class FreezableProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``; :meth:`freeze` stops every answer for good."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.sent_while_frozen = 0
        self._count = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []

    def start(self) -> FreezableProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            s.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self._sockets += [client, upstream]
            threading.Thread(target=self._forward, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._forward, args=(upstream, client, False), daemon=True).start()

    def _forward(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.frozen.is_set():
                if requests:
                    with self._count:
                        self.sent_while_frozen += 1
                continue  # read and dropped: a frozen server never answers
            try:
                sink.sendall(data)
            except OSError:
                return
