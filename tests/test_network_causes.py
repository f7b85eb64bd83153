"""Network failures say what failed — DNS, refused, timeout, TLS, dropped — and the ones a retry cannot fix are
raised at once instead of after seconds of silent retries.

Real parts: the client's own session against a name that cannot resolve (``.invalid`` is reserved for that), a
closed port on 127.0.0.1, the sandbox spoken to in TLS (it speaks plain HTTP), a stand-in server on 127.0.0.1
that accepts and never answers, and the sandbox dropping connections.
"""

from __future__ import annotations

import errno
import socket
import threading

import pytest

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.wire.retry import RetryPolicy

from .conftest import SEARCH, TOKEN, UPLOAD, calls

RETRY = RetryPolicy(max_attempts=3, backoff=0.01, max_backoff=0.02, jitter=False)
IMAGE_URL = "https://example.org/drawing.png"  # a URL search: one call, no upload


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A stand-in on 127.0.0.1 that accepts connections and never answers (what a hung API looks like)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def _fail(client: pa.Client) -> errors.TransportError:
    with pytest.raises(errors.TransportError) as info:
        client.search_designs(IMAGE_URL, limit=2)
    return info.value


def test_a_host_that_does_not_resolve_is_named_at_once():
    client = pa.Client(api_key="sk-test", base_url="https://patsnap-sandbox.invalid", cache=False, retry=RETRY)
    err = _fail(client)
    assert err.cause == "dns" and not err.retryable
    assert str(err).startswith("cannot find the host patsnap-sandbox.invalid (DNS lookup failed) calling "
                               "/image-search/search-id: check the network connection or proxy")
    assert client.stats.retries == 0  # a name that does not resolve now will not in a second either
    assert "sk-test" not in str(err) and err.__cause__ is None and err.__context__ is None


def test_a_refused_connection_is_named_at_once(sb):
    port = closed_port()
    client = pa.Client(api_key=sb.api_key, base_url=f"http://127.0.0.1:{port}", cache=False, retry=RETRY)
    err = _fail(client)
    assert err.cause == "refused" and client.stats.retries == 0
    assert str(err).startswith(f"127.0.0.1:{port} refused the connection calling /image-search/search-id")
    assert sb.api_key not in str(err)


def test_tls_to_a_plain_http_server_is_named_at_once(sb):
    """The sandbox speaks http://; asking it for https:// fails the handshake (as a TLS-intercepting proxy does)."""
    tls_url = sb.url.replace("http://", "https://")
    client = pa.Client(api_key=sb.api_key, base_url=tls_url, cache=False, retry=RETRY)
    err = _fail(client)
    assert err.cause == "tls" and client.stats.retries == 0
    assert "the secure (TLS) connection to 127.0.0.1:" in str(err) and "plain http://" in str(err)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 0, SEARCH: 0}  # no HTTP request ever reached the API


def test_a_server_that_never_answers_is_a_timeout_and_is_retried(silent_server):
    client = pa.Client(api_key="sk-test", base_url=silent_server, cache=False, retry=RETRY, timeout=0.3)
    err = _fail(client)
    assert err.cause == "timeout" and err.retryable
    assert client.stats.retries == RETRY.max_attempts - 1  # slow may pass: retried to the bound
    assert str(err).startswith("127.0.0.1:") and "did not answer in time calling /image-search/search-id" in str(err)


def test_a_dropped_connection_is_retried(sb):
    sb.configure(drop_fraction=1.0)
    client = pa.Client(api_key=sb.api_key, base_url=sb.url, cache=False, retry=RETRY)
    err = _fail(client)
    assert err.cause == "dropped" and err.retryable
    assert sb.stats[SEARCH] == RETRY.max_attempts and client.stats.retries == RETRY.max_attempts - 1


def test_the_token_call_names_its_network_cause_too(sb):
    port = closed_port()
    client = pa.Client(client_id=sb.client_id, client_secret=sb.client_secret, base_url=f"http://127.0.0.1:{port}",
                       cache=False, retry=RETRY)
    err = _fail(client)
    assert err.cause == "refused" and client.stats.retries == 0
    assert "refused the connection asking /oauth/token for a token" in str(err)
    assert sb.client_secret not in str(err)


def test_network_cause_reads_the_wrapped_exceptions():
    unreachable = OSError(errno.ENETUNREACH, "Network is unreachable")
    wrapped = ConnectionError("outer")
    wrapped.__context__ = unreachable
    assert errors.network_cause(wrapped) == "unreachable"
    assert errors.network_cause(ValueError("anything else")) == "dropped"
    err = errors.network_failure(unreachable, doing="calling /x", host="connect.patsnap.com")
    assert str(err).startswith("the network cannot reach connect.patsnap.com calling /x: this computer looks offline")
    assert not err.retryable


def test_transport_errors_pickle_with_their_cause():
    import pickle

    back = pickle.loads(pickle.dumps(errors.TransportError("x", cause="dns")))
    assert back.cause == "dns" and str(back) == "x" and not back.retryable


@pytest.fixture
def token_stand_in():
    """A stand-in API on 127.0.0.1 whose token endpoint answers what the test sets (what the sandbox never does)."""
    from .standin import StandIn

    answer: dict = {"status": 200, "body": b"[]"}

    def reply(h) -> None:
        if isinstance(answer["body"], bytes):
            h.send(answer["status"], answer["body"])
        else:
            h.json(answer["body"], answer["status"])

    with StandIn() as api:
        api.answer = reply
        yield api, answer


@pytest.mark.parametrize("body", [b"[]", b'"a string"', {"data": ["x"]}, {"token": 12345}, {"data": {"token": ""}}])
def test_a_token_answer_without_a_token_is_a_protocol_error_not_a_crash(token_stand_in, body):
    api, answer = token_stand_in
    answer.update(status=200, body=body)
    client = pa.Client(client_id="my-client-id", client_secret="my-secret", base_url=api.url, cache=False,
                       retry=RetryPolicy(max_attempts=1))
    with pytest.raises(errors.ProtocolError) as info:
        client.search_designs(IMAGE_URL, limit=2)
    assert info.value.path == "/oauth/token" and info.value.field == "token"
    assert "my-secret" not in str(info.value)
    assert [r["path"] for r in api.received] == ["/oauth/token"]  # no search went out without a token


def test_a_bare_401_at_the_token_call_is_the_client_credentials(token_stand_in):
    api, answer = token_stand_in
    answer.update(status=401, body=b"{}")
    client = pa.Client(client_id="my-client-id", client_secret="my-secret", base_url=api.url, cache=False)
    with pytest.raises(errors.CredentialsRejectedError) as info:
        client.search_designs(IMAGE_URL, limit=2)
    assert info.value.credential == "client_credentials" and info.value.http_status == 401
    assert [r["path"] for r in api.received] == ["/oauth/token"]  # refused credentials are not tried again
