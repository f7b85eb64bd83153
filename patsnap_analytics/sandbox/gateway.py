"""The sandbox's gateway: what the vendor's API gateway does before a business call reaches a service.

An ASGI middleware in front of the routes: it counts every business request (failed ones included),
bounds request bodies, simulates latency, dropped connections and HTTP 503s, checks the api key or token,
applies the QPS limit, random and scripted error codes, the daily quota and the balance, and stamps every
answer with ``X-PatSnap-Sandbox: 1``. The routes behind it only do the business.

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> from patsnap_analytics.sandbox.state import SandboxState
    >>> gateway = GatewayMiddleware(app=None, state=SandboxState(engine=None, faults=Faults()))
    >>> UPLOAD_BODY_LIMIT > 4096 * 1024 > OTHER_BODY_LIMIT
    True
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.datastructures import Headers, QueryParams

from .. import api
from ..images import MAX_IMAGE_BYTES
from .faults import BALANCE, DAILY_QUOTA
from .protocol import (
    BUSINESS_ENDPOINTS,
    BUSINESS_METHODS,
    TOKEN_PATH,
    UPLOAD_PATH,
    ApiFailure,
    error_envelope,
)
from .state import SandboxState

__all__ = ["DRAIN_LIMIT", "OTHER_BODY_LIMIT", "SANDBOX_HEADER", "UPLOAD_BODY_LIMIT", "GatewayMiddleware"]

log = logging.getLogger(__name__)

SANDBOX_HEADER = (api.SANDBOX_HEADER.lower().encode(), b"1")
# multipart framing around a 4096 KB file is a few hundred bytes; allow generously, reject beyond
UPLOAD_BODY_LIMIT = MAX_IMAGE_BYTES + 64 * 1024
OTHER_BODY_LIMIT = 64 * 1024
# an oversized body is read and discarded up to this much so the client still gets our answer
DRAIN_LIMIT = 64 * 1024 * 1024


async def _send_json(send, payload: dict[str, Any], status: int = 200) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _bearer(headers: Headers) -> str | None:
    value = headers.get(api.AUTHORIZATION_HEADER)
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


class _Call:
    """The bookkeeping of one business call, settled exactly once, just BEFORE the last byte of its answer
    leaves (a client that reads ``/_sandbox/stats`` or calls again right after its answer must see it)."""

    def __init__(self, state: SandboxState, path: str) -> None:
        self.state = state
        self.path = path
        self.status: int | None = None
        self.body = bytearray()
        self.admitted = False     # reserved against the daily quota / balance
        self.settled = False

    def settle(self, error: str | None) -> None:
        if self.settled:
            return
        self.settled = True
        if self.admitted:
            if error is None:
                self.state.faults.commit_call()
            else:
                self.state.faults.release_call()
        self.state.stats.record(self.path, error)

    def error_label(self) -> str | None:
        """The answer's error_code, ``http_<status>``, or None for a success."""
        try:
            payload = json.loads(bytes(self.body) or b"null")
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            if payload.get("status") is True or payload.get("status") == "approved":
                return None if self.status == 200 else f"http_{self.status}"
            if "error_code" in payload:
                return str(payload["error_code"])
        return f"http_{self.status}"


class GatewayMiddleware:
    """What the vendor's gateway does before a business call reaches a service, plus the sandbox header.

    Order per business call: count it -> read the body (bounded) -> latency -> dropped connection /
    HTTP 503 -> auth -> scripted codes -> unlicensed endpoints (67200004) -> QPS limit -> random 67200002 / 68300008 -> daily quota and balance -> the route.
    Unexpected exceptions become 68300005 envelopes, so a client never sees a bare crash.

    Example:
        >>> app = GatewayMiddleware(inner_app, state)  # create_app() wires it  # doctest: +SKIP
    """

    def __init__(self, app, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        call = _Call(self.state, path) if path in BUSINESS_ENDPOINTS else None
        started = False

        async def send_marked(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), SANDBOX_HEADER]}
                if call is not None:
                    call.status = message["status"]
            elif message["type"] == "http.response.body" and call is not None:
                call.body += message.get("body", b"")
                if not message.get("more_body"):
                    call.settle(call.error_label())
            await send(message)

        async def run_app(receive_) -> None:
            try:
                await self.app(scope, receive_, send_marked)
            except Exception:
                log.exception("sandbox: unexpected error on %s", path)
                if started:
                    raise  # too late for an envelope; the server closes the connection
                await _send_json(send_marked, error_envelope(68300005, "unexpected sandbox error (see the log)"))

        if call is None:
            await run_app(receive)
            return
        try:
            await self._business(scope, receive, send_marked, run_app, call)
        except Exception:
            log.exception("sandbox: unexpected error in the gateway on %s", path)
            if started:
                raise
            await _send_json(send_marked, error_envelope(68300005, "unexpected sandbox error (see the log)"))
        finally:
            call.settle("aborted")  # only if nothing was answered (e.g. the client went away)

    async def _business(self, scope, receive, send, run_app, call: _Call) -> None:
        state, path = self.state, call.path
        if scope.get("method") != BUSINESS_METHODS[path]:
            await run_app(receive)  # the router answers 405 with an Allow header, before any auth
            return
        limit = UPLOAD_BODY_LIMIT if path == UPLOAD_PATH else OTHER_BODY_LIMIT
        try:  # a body dripped byte by byte must not hold a connection (and a worker) for ever
            messages, too_large = await asyncio.wait_for(_read_body(receive, limit), state.body_timeout)
        except TimeoutError:
            await _send_json(send, error_envelope(68300007, f"the request body did not arrive within "
                                                            f"{state.body_timeout:g} s"))
            return
        if too_large is not None:
            code = 68300010 if path == UPLOAD_PATH else 68300007
            await _send_json(send, error_envelope(code, f"request body is over {limit // 1024} KB ({too_large})"))
            return
        replay = _replayer(messages, receive)

        settings = state.faults.settings
        if settings.latency:
            state.stats.record_delay(path)
            await asyncio.sleep(settings.latency)
        fault = state.faults.draw()
        if fault == "drop":
            call.settle("dropped")
            await self._drop(scope)
            return
        if fault == "http_503":
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"text/plain"), (b"content-length", b"19"),
                (api.RETRY_AFTER_HEADER.lower().encode(), b"1")]})
            await send({"type": "http.response.body", "body": b"Service Unavailable"})
            return
        if path == TOKEN_PATH:  # the token endpoint authenticates itself and is not billed
            await run_app(replay)
            return
        try:
            params = QueryParams(scope.get("query_string", b"").decode("latin-1"))
            credential = state.credentials.authenticate(params.get(api.APIKEY_PARAM), _bearer(Headers(scope=scope)))
            scripted = state.faults.next_scripted()
            if scripted is not None:
                raise ApiFailure(scripted, "scripted fault")
            if path in settings.unlicensed:
                raise ApiFailure(api.PERMISSION_DENIED, f"this account's package does not include {path}")
            if state.faults.over_qps(credential):
                raise ApiFailure(67200002, f"more than {settings.qps_limit} calls in one second; sleep and retry")
            if fault == "rate_limited":
                raise ApiFailure(67200002, "simulated rate limit; sleep and retry")
            if fault == "service_error":
                raise ApiFailure(68300008, "simulated service interruption")
            refusal = state.faults.reserve_call()
            if refusal is not None:  # any refusal is answered; the reason names the limit it hit
                reason = {DAILY_QUOTA: f"the daily quota of {settings.daily_quota} calls is used up",
                          BALANCE: "the account balance is used up"}.get(refusal, "call refused")
                raise ApiFailure(refusal, reason)
        except ApiFailure as failure:
            await _send_json(send, failure.envelope())
            return
        call.admitted = True
        await run_app(replay)

    async def _drop(self, scope) -> None:
        """Simulate a dropped connection: abort the TCP connection before any byte of an answer."""
        client = scope.get("client")
        transport = self.state.transports.get(tuple(client)) if client else None
        if transport is None:  # not served by our uvicorn protocol (e.g. an in-process ASGI test client)
            raise ConnectionAbortedError("simulated dropped connection")
        transport.abort()
        for _ in range(20):  # let the server notice, so it does not try to answer on a dead socket
            await asyncio.sleep(0)


async def _read_body(receive, limit: int) -> tuple[list[dict], str | None]:
    """Read the request body, keeping at most ``limit`` bytes; beyond, drain (bounded) and report the size."""
    messages: list[dict] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            messages.append(message)  # a disconnect: hand it on
            return messages, None
        total += len(message.get("body", b""))
        if total > limit:
            while message.get("more_body") and total <= DRAIN_LIMIT:
                message = await receive()
                if message["type"] != "http.request":
                    break
                total += len(message.get("body", b""))
            shown = f"{total // 1024} KB" if total <= DRAIN_LIMIT else f"more than {DRAIN_LIMIT // 2**20} MB"
            return [], shown
        messages.append(message)
        if not message.get("more_body"):
            return messages, None


def _replayer(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
