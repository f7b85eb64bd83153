"""No api key, token or client secret leaks, in any of the places an analyst's work ends up.

One test per place: (a) log output at DEBUG from every logger (urllib3 and requests-cache included),
(b) exception messages and their full tracebacks, chained causes and contexts included, (c) the reprs of the
client, its auth and its stats, (d) ``df.attrs`` (it is saved with the frame and shown in reports),
(e) the notebooks' committed outputs. (f) The cache file is covered by
``tests/test_cache.py::test_no_secret_ever_reaches_the_cache_file`` (api-key and OAuth clients, a token
refresh, rate-limit and auth errors), so it is not repeated here.

Each scenario drives real HTTP through the sandbox: uploads, searches, OAuth token fetches and refreshes,
and errors (wrong key, wrong secret, rate limit, HTTP 503, dropped and refused connections).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import traceback
from pathlib import Path

import pytest

import patsnap_analytics as pa
from patsnap_analytics import errors, redact
from patsnap_analytics.wire.retry import RetryPolicy

from .conftest import client_for

FAST = RetryPolicy(max_attempts=2, backoff=0.01, max_backoff=0.02, jitter=False)
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def secrets_of(sb, *clients) -> list[str]:
    """Every secret in play: the api key, the OAuth client secret, its Basic header, and every token issued."""
    basic = base64.b64encode(f"{sb.client_id}:{sb.client_secret}".encode()).decode()
    issued = list(sb._state.credentials._tokens)  # server-side: every token this sandbox handed out
    held = [s for c in clients if c.auth is not None for s in c.auth.secrets]
    found = {sb.api_key, sb.client_secret, basic, *issued, *held}
    assert all(len(s) >= 16 for s in found)
    return sorted(found)


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    assert text, f"{where}: nothing was captured, so nothing was checked"
    for secret in secrets:
        if secret in text:  # pytest.fail, not assert: an assertion report would print the secret itself
            pytest.fail(f"{where} leaks a secret ({secret[:6]}…)")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_everything(sb, drawing, tmp_path: Path) -> tuple[list, list[BaseException]]:
    """Uploads, searches, token fetch + refresh, and one of each kind of failure; returns clients and errors."""
    sb.configure(token_lifetime=5)
    oauth = client_for(sb, auth="oauth", cache=False, retry=FAST)
    keyed = client_for(sb, cache=False, retry=FAST)
    oauth.search_designs(drawing, limit=3)
    sb.advance_clock(30)                      # the token expired server-side: refresh on 67200003
    oauth.search_designs(drawing, limit=4)
    keyed.search_designs(drawing, limit=5, country=["US", "CN"])
    cached = client_for(sb, auth="oauth", cache=tmp_path / "secrets.sqlite", retry=FAST)  # requests-cache logs URLs
    cached.search_designs(drawing, limit=5)
    cached.search_designs(drawing, limit=5)
    raised: list[BaseException] = []

    def expect(exc_type, call) -> None:
        with pytest.raises(exc_type) as info:
            call()
        raised.append(info.value)

    wrong_key = pa.Client(api_key="sk-sandbox-" + "0f" * 16, base_url=sb.url, cache=False, retry=FAST)
    expect(errors.CredentialsRejectedError, lambda: wrong_key.search_designs(drawing, limit=2))
    wrong_secret = pa.Client(client_id=sb.client_id, client_secret="sandbox-secret-" + "ab" * 16,
                             base_url=sb.url, cache=False, retry=FAST)
    expect(errors.CredentialsRejectedError, lambda: wrong_secret.search_designs(drawing, limit=2))
    refused = pa.Client(api_key=sb.api_key, base_url=f"http://127.0.0.1:{closed_port()}", cache=False, retry=FAST)
    expect(errors.TransportError, lambda: refused.search_designs(drawing, limit=2))
    refused_oauth = pa.Client(client_id=sb.client_id, client_secret=sb.client_secret,
                              base_url=f"http://127.0.0.1:{closed_port()}", cache=False, retry=FAST)
    expect(errors.TransportError, lambda: refused_oauth.search_designs(drawing, limit=2))
    for knob, exc_type in (("rate_limit_fraction", errors.RateLimitError), ("http_503_fraction", errors.ServiceError),
                           ("drop_fraction", errors.TransportError)):
        sb.configure(**{knob: 1.0})
        expect(exc_type, lambda: oauth.search_designs(drawing, limit=6))
        expect(exc_type, lambda: keyed.search_designs(drawing, limit=6))
        sb.configure(**{knob: 0.0})
    sb.fail_next(68300010)
    expect(errors.UploadRejectedError, lambda: keyed.upload_image(drawing, refresh=True))
    clients = [oauth, keyed, cached, wrong_key, wrong_secret, refused, refused_oauth]
    return clients, raised


@pytest.fixture
def redaction():
    """The redacting filter, as ``Client.__init__`` installs it (idempotent)."""
    return redact.install()


def test_a_logs_at_debug_hold_no_secret(sb, drawing, tmp_path, caplog, redaction):
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records propagate here
    for name in ("urllib3", "requests_cache", "patsnap_analytics"):
        caplog.set_level(logging.DEBUG, logger=name)
    clients, _ = run_everything(sb, drawing, tmp_path)
    text = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records])
    assert "/image-search/search-id?" in text and "apikey=***" in text  # the request lines are there, masked
    assert "requests_cache" in caplog.text or any(r.name.startswith("requests_cache") for r in caplog.records)
    assert_clean(text, secrets_of(sb, *clients), "the DEBUG log")


def test_a_without_the_filter_urllib3_would_leak_the_key(sb, drawing, caplog):
    """The control: this is what the filter is for (urllib3 logs query strings at DEBUG)."""
    client = client_for(sb, cache=False)  # installs the filter; take it away again for the control
    redact.uninstall()
    try:
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="urllib3")
        client.search_designs(drawing, limit=2)
        assert f"apikey={sb.api_key}" in caplog.text
    finally:
        redact.install()


def test_every_logger_that_may_write_a_secret_is_filtered_after_the_first_client_of_a_process(tmp_path):
    # review: requests-cache (and redis-py with it) now load when the first client opens its cache, after the
    # filter was installed on the loggers that existed then: 17 of theirs were left unfiltered
    import subprocess
    import sys

    code = ("import logging, patsnap_analytics as pa, patsnap_analytics.redact as r\n"
            f"pa.Client(api_key='sk-x', cache={str(tmp_path / 'c.sqlite')!r})\n"
            "names = [n for n in logging.root.manager.loggerDict if n.startswith(r._PREFIXES)]\n"
            "bare = [n for n in names if not any(isinstance(f, r.RedactingFilter) "
            "for f in logging.getLogger(n).filters)]\n"
            "print(len(names), bare)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) > 10 and out[1].strip() == "[]", out


def test_a_client_installs_the_filter(sb):
    redact.uninstall()
    try:
        client_for(sb, cache=False)
        assert redact.installed()
    finally:
        redact.install()


def test_a_filter_redacts_tracebacks_logged_with_exc_info(caplog, redaction):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("urllib3.connectionpool")
    try:
        raise ConnectionError("Max retries exceeded with url: /x?apikey=sk-sandbox-FAKE-KEY-FOR-TEST")
    except ConnectionError:
        log.debug("retrying %s", "/x?apikey=sk-sandbox-FAKE-KEY-FOR-TEST", exc_info=True)
    assert "FAKE-KEY-FOR-TEST" not in caplog.text and "apikey=***" in caplog.text


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every cause and context behind it, suppressed contexts included."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


@pytest.fixture
def failures_raised(sb, drawing, tmp_path):
    clients, raised = run_everything(sb, drawing, tmp_path)
    kinds = {type(e) for e in raised}
    assert kinds >= {errors.CredentialsRejectedError, errors.TransportError, errors.RateLimitError, errors.ServiceError,
                     errors.UploadRejectedError}
    return secrets_of(sb, *clients), raised


def test_b_exceptions_and_tracebacks_hold_no_secret(failures_raised):
    secrets, raised = failures_raised
    for exc in raised:
        shown = "".join(traceback.format_exception(exc))  # what a notebook, a log or pytest prints
        assert_clean(shown, secrets, f"the traceback of {type(exc).__name__}")
        assert_clean(f"{exc} {exc.args!r} {vars(exc)!r}", secrets, f"the attributes of {type(exc).__name__}")
        assert exc.__cause__ is None or isinstance(exc.__cause__, errors.PatsnapError)


def test_b_suppressed_contexts_hold_no_secret_either(failures_raised):
    secrets, raised = failures_raised
    for exc in raised:
        parts = []
        for link in _chain(exc):  # error reporters and debuggers walk __context__ even when suppressed
            request = getattr(link, "request", None)
            parts.append(f"{type(link).__name__}: {link} {link.args!r} {getattr(request, 'url', '')} "
                         f"{dict(getattr(request, 'headers', None) or {})}")
        assert_clean(" | ".join(parts), secrets, f"the chained exceptions of {type(exc).__name__}")


def test_c_reprs_and_stats_hold_no_secret(sb, drawing):
    sb.configure(token_lifetime=5)
    oauth = client_for(sb, auth="oauth", cache=False)
    keyed = client_for(sb, cache=False)
    oauth.search_designs(drawing, limit=2)
    sb.advance_clock(30)
    oauth.search_designs(drawing, limit=3)
    keyed.search_designs(drawing, limit=2)
    up = keyed.upload_image(drawing)
    texts = [repr(c) + str(c) + repr(c.auth) + str(c.auth) + repr(c.stats) + str(c.stats.as_dict())
             + c.stats.to_frame().to_string() + repr(c.cache_info()) for c in (oauth, keyed)]
    text = "\n".join([*texts, repr(sb), repr(up)])
    assert "OAuthAuth(" in text and "ApiKeyAuth(" in text
    assert_clean(text, secrets_of(sb, oauth, keyed), "a repr or the stats")


def test_d_frame_attrs_hold_no_secret(sb, drawing, tmp_path):
    oauth = client_for(sb, auth="oauth", cache=tmp_path / "c.sqlite")
    frames = [oauth.search_designs(drawing, limit=5), oauth.search_designs(drawing, limit=5)]  # the 2nd is cached
    keyed = client_for(sb, cache=False)
    frames.append(keyed.search_designs(keyed.upload_image(drawing).url, limit=4, name="by url"))
    frames.append(keyed.search_many([drawing, b"GIF89a bad"], limit=3, progress=False))
    text = "\n".join(json.dumps(df.attrs, default=str) + df.to_csv() for df in frames)
    assert frames[1].attrs["from_cache"] is True and "failures" in frames[3].attrs
    assert_clean(text, secrets_of(sb, oauth, keyed), "df.attrs or the frame")


_SECRET_NEAR_NAME = re.compile(r"(?i)(apikey|api_key|token|secret)[\"'=:\s]{1,6}[0-9a-f]{32,}")


def test_e_committed_notebook_outputs_hold_no_secret():
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert notebooks, "notebooks/ should hold the committed notebooks"
    for nb in notebooks:
        text = nb.read_text(encoding="utf-8")
        assert "sk-sandbox-" not in text, f"{nb.name} has a sandbox api key in its outputs"
        assert "sandbox-secret-" not in text and "sandbox-token-" not in text, nb.name
        assert not _SECRET_NEAR_NAME.search(text), f"{nb.name} has a secret-looking value near a credential name"
        outputs = [o for cell in json.loads(text)["cells"] for o in cell.get("outputs", [])]
        for output in outputs:  # a long hex run in any output is suspicious unless it is a sha256 or a search id
            blob = json.dumps(output)
            for run in re.findall(r"[0-9a-f]{40,}", blob):
                assert len(run) == 64 or "sha256" in blob, f"{nb.name}: {run[:8]}… looks like a secret"
