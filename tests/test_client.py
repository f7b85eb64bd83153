"""The client over real HTTP against the sandbox: auth modes, envelopes, errors, retries, validation, frames."""

from __future__ import annotations

import pandas as pd
import pytest

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.frames import FRAME_DTYPES, RESULT_COLUMNS
from patsnap_analytics.redact import Secret
from patsnap_analytics.wire.retry import RetryPolicy

from .conftest import SEARCH, TOKEN, UPLOAD, calls, client_for
from .test_errors import DOCUMENTED  # the vendor's table: code -> class

FAST_RETRY = RetryPolicy(max_attempts=3, backoff=0.01, max_backoff=0.02, jitter=False)
# the codes with which the API refuses a credential (the vendor's table, written out as the tests' own spec)
REFUSES_THE_KEY = {67200003, 67200008, 67200009, 67200202}


def test_api_key_mode_returns_a_typed_frame(sb, drawing):
    client = client_for(sb, cache=False)
    df = client.search_designs(drawing, limit=20, name="query-1")
    assert list(df.columns)[:len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)  # the contract first, rich columns after
    assert {c: str(t) for c, t in df.dtypes.items()} == FRAME_DTYPES
    assert len(df) == 20 and df["rank"].tolist() == list(range(1, 21))
    assert df["score"].between(0, 1).all() and df["score"].is_monotonic_decreasing
    assert (df["country"] == df["patent_pn"].str[:2]).all()
    assert df.attrs["source"] == "sandbox" and df.attrs["filters"] == {"limit": 20, "order": "desc"}
    designs = int(sb.corpus.meta.patent_type.eq("D").sum())  # search-id searches designs, not utility models
    assert (df["query"] == "query-1").all() and df["total_count"].iloc[0] == designs
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}


def test_oauth_mode_fetches_one_token_and_reuses_it(sb, drawing):
    client = client_for(sb, auth="oauth", cache=False)
    for limit in (5, 6, 7):
        assert len(client.search_designs(drawing, limit=limit)) == limit
    assert calls(sb) == {TOKEN: 1, UPLOAD: 1, SEARCH: 3}
    assert client.stats.calls == {TOKEN: 1, UPLOAD: 1, SEARCH: 3}


def test_oauth_token_expired_server_side_is_refreshed_once(sb, drawing):
    client = client_for(sb, auth="oauth", cache=False)
    client.search_designs(drawing, limit=3)
    sb.advance_clock(4000)  # the server's token (and upload) expire; the client still trusts both
    df = client.search_designs(drawing, limit=4)
    assert len(df) == 4
    assert sb.stats[TOKEN] == 2  # refreshed exactly once
    assert sb.stats_detail()["by_error_code"].get("67200003", sb.stats_detail()["by_error_code"].get(67200003))


def test_short_lived_tokens_are_refreshed_before_they_expire(sb, drawing):
    sb.configure(token_lifetime=100)  # the client refreshes min(60 s, a tenth of the lifetime) early: at 90 s
    client = client_for(sb, auth="oauth", cache=False)
    client.auth._clock = sb._clock.now  # client and server read one clock: time moves without sleeping
    client.search_designs(drawing, limit=3)
    sb.advance_clock(95)  # inside the margin, before the server's expiry
    client.search_designs(drawing, limit=4)
    detail = sb.stats_detail()
    assert sb.stats[TOKEN] == 2 and not detail["errors"].get(SEARCH)  # refreshed early, never rejected


def test_wrong_key_raises_auth_error_without_retrying(sb, drawing):
    client = pa.Client(api_key="sk-sandbox-wrong", base_url=sb.url, cache=False, retry=FAST_RETRY)
    with pytest.raises(errors.CredentialsRejectedError) as info:
        client.search_designs(drawing)
    err = info.value
    assert err.credential == "api_key" and isinstance(err, errors.AuthError)
    assert err.error_code == 67200003 and err.http_status == 200 and err.path == UPLOAD
    assert str(err).startswith("the API refused the api key sk-s… given as api_key=: check that it is the whole key")
    assert "sk-sandbox-wrong" not in str(err)
    assert sb.stats[UPLOAD] == 1 and sb.stats[SEARCH] == 0


def test_wrong_key_from_the_environment_names_the_variable(sb, drawing, monkeypatch):
    monkeypatch.setenv("PATSNAP_API_KEY", "sk-sandbox-wrong")
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    with pytest.raises(errors.CredentialsRejectedError, match="refused the api key sk-s… given as PATSNAP_API_KEY"):
        pa.connect(cache=False, retry=FAST_RETRY).search_designs(drawing)


def test_wrong_oauth_secret_is_said_at_the_token_call_once(sb, drawing):
    client = pa.Client(client_id=sb.client_id, client_secret="nope", base_url=sb.url, cache=False)
    with pytest.raises(errors.CredentialsRejectedError) as info:
        client.search_designs(drawing)
    err = info.value
    assert err.credential == "client_credentials" and err.path == TOKEN and err.error_code == 67200003
    assert f"refused the client id {sb.client_id[:4]}… and its secret (client_id=, client_secret=)" in str(err)
    assert "nope" not in str(err)
    assert calls(sb) == {TOKEN: 1, UPLOAD: 0, SEARCH: 0}  # a refused id/secret is not "refreshed" a second time


def test_token_of_another_client_gets_67200009_then_one_renewal(sb, drawing):
    other_id, other_secret = sb.add_client()
    client = client_for(sb, auth="oauth", cache=False)
    client.search_designs(drawing, limit=2)
    # credentials rotated: business calls now name another client than the one the kept token was issued to
    client.auth.client_id, client.auth._secret = other_id, Secret(other_secret)
    assert len(client.search_designs(drawing, limit=3)) == 3
    codes = {str(k): v for k, v in sb.stats_detail()["by_error_code"].items()}
    assert codes.get("67200009") == 1 and sb.stats[TOKEN] == 2


def test_token_errors_are_raised_after_one_renewal(sb, drawing):
    client = client_for(sb, auth="oauth", cache=False)
    client.search_designs(drawing, limit=2)
    client.auth._secret = Secret("rotated-away")  # the refresh itself will now fail
    sb.advance_clock(4000)
    with pytest.raises(errors.CredentialsRejectedError) as info:
        client.search_designs(drawing, limit=3)
    assert info.value.path == TOKEN and sb.stats[TOKEN] == 2
    assert info.value.credential == "client_credentials"  # the expired token was fine to drop; the secret is not
    assert "rotated-away" not in str(info.value)


def test_a_fresh_token_refused_again_says_so(sb, drawing):
    client = client_for(sb, auth="oauth", cache=False)
    url = client.upload_image(drawing).url
    sb.reset_stats()
    sb.fail_next(67200009, 67200009)  # refused, refreshed once, refused again
    with pytest.raises(errors.CredentialsRejectedError) as info:
        client.search_designs(url, limit=3)
    assert info.value.credential == "token" and info.value.error_code == 67200009
    assert "refused the access token of client id" in str(info.value) and "even fresh" in str(info.value)
    assert calls(sb) == {TOKEN: 1, UPLOAD: 0, SEARCH: 2}


@pytest.mark.parametrize(
    ("knob", "exc", "code"),
    [
        ("service_error_fraction", errors.ServiceError, 68300008),
        ("rate_limit_fraction", errors.RateLimitError, 67200002),
        ("http_503_fraction", errors.ServiceError, None),
        ("drop_fraction", errors.TransportError, None),
    ],
)
def test_retryable_failures_are_retried_a_bounded_number_of_times(sb, drawing, knob, exc, code):
    client = client_for(sb, cache=False, retry=FAST_RETRY)
    client.upload_image(drawing)
    sb.reset_stats()
    sb.configure(**{knob: 1.0})
    with pytest.raises(exc) as info:
        client.search_designs(drawing)
    assert sb.stats[SEARCH] == 3 and client.stats.retries == 2
    if code:
        assert info.value.error_code == code
    if exc is errors.ServiceError and code is None:
        assert info.value.http_status == 503


def test_transient_failures_end_in_success(sb, drawing):
    sb.configure(rate_limit_fraction=0.3, service_error_fraction=0.2, seed=3)
    client = client_for(sb, cache=False, retry=RetryPolicy(max_attempts=10, backoff=0.01, max_backoff=0.02))
    for limit in range(1, 11):
        assert len(client.search_designs(drawing, limit=limit)) == limit
    assert client.stats.retries > 0
    assert sb.stats[SEARCH] + sb.stats[UPLOAD] == client.stats.total_calls


def test_search_by_url_and_upload_reuse(sb, drawing):
    client = client_for(sb, cache=False)
    up = client.upload_image(drawing)
    assert up.url.startswith(sb.url) and not up.expired and len(up.sha256) == 64
    again = client.upload_image(drawing)
    assert again.url == up.url and again.reused
    by_url = client.search_designs(up.url, limit=5)
    by_bytes = client.search_designs(drawing, limit=5)
    assert by_url["patent_id"].tolist() == by_bytes["patent_id"].tolist()
    assert (by_url["query"] == up.url).all()
    assert sb.stats[UPLOAD] == 1


def test_outside_urls_are_refused_by_the_sandbox(sb):
    client = client_for(sb, cache=False, retry=FAST_RETRY)
    with pytest.raises(errors.RequestRejectedError) as info:
        client.search_designs("https://img2.baidu.com/it/u=3901385603,500927275&fm=253")
    assert info.value.error_code == 68300004 and sb.stats[SEARCH] == 1


def test_sorting_by_date_has_no_scores(sb, drawing):
    df = client_for(sb, cache=False).search_designs(drawing, field="APD", order="asc", limit=30)
    assert df["score"].isna().all()
    assert df.attrs["filters"]["field"] == "APD"


def test_filters_reach_the_server(sb, drawing):
    client = client_for(sb, cache=False)
    df = client.search_designs(drawing, country=["US", "CN"], limit=50)
    assert set(df["country"]) <= {"US", "CN"}
    meta = sb.corpus.meta
    assert df["total_count"].iloc[0] == (meta["country"].isin(["US", "CN"]) & meta.patent_type.eq("D")).sum()


def test_real_one_bit_drawing_uploads_and_searches(sb, real_drawings):
    client = client_for(sb, cache=False)
    df = client.search_designs(real_drawings[0], limit=10)
    assert len(df) == 10 and df["score"].notna().all()
    assert df["query"].iloc[0] == real_drawings[0].name


def test_repr_and_errors_hold_no_secrets(sb, drawing):
    client = client_for(sb, auth="oauth", cache=False)
    client.search_designs(drawing, limit=2)
    text = repr(client) + repr(client.auth) + repr(client.stats)
    for secret in (sb.client_secret, *client.auth.secrets, sb.api_key):
        assert secret not in text
    sb.configure(drop_fraction=1.0)
    with pytest.raises(errors.TransportError) as info:
        client_for(sb, cache=False, retry=FAST_RETRY).search_designs(drawing, limit=3)
    assert sb.api_key not in str(info.value) and info.value.__cause__ is None


def test_connect_uses_credentials_from_the_environment(monkeypatch, sb, drawing):
    monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    client = pa.connect(cache=False)
    assert client.owned_sandbox is None and client.base_url == sb.url
    assert len(client.search_designs(drawing, limit=3)) == 3


def test_connect_without_credentials_starts_an_announced_sandbox(capsys, caplog, monkeypatch, drawing, tmp_path):
    import logging
    import sys
    import tempfile

    connect_module = sys.modules["patsnap_analytics.connect"]  # the module (pa.connect is the function)

    caplog.set_level(logging.DEBUG, logger="patsnap_analytics")
    monkeypatch.setattr(connect_module, "_announced", False)  # as in a fresh process
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where a connect() would leave a temp folder
    clients = [pa.connect(sandbox_options={"designs": 300}) for _ in range(2)]
    try:
        notices = [r for r in caplog.records if "embedded sandbox" in r.getMessage()]
        # through logging (a notebook shows no stderr box), at INFO once per process, then at DEBUG
        assert [(r.name, r.levelno) for r in notices] == [("patsnap_analytics", logging.INFO),
                                                          ("patsnap_analytics", logging.DEBUG)]
        assert notices[0].getMessage().startswith("no PatSnap credentials: using the embedded sandbox at http")
        assert capsys.readouterr().err == ""
        df = clients[0].search_designs(drawing, limit=3)
        assert df.attrs["source"] == "sandbox" and isinstance(df, pd.DataFrame)
    finally:
        for client in clients:
            client.close()
    assert list(temp.iterdir()) == []  # nothing left behind by two connects, a search and their close




@pytest.mark.parametrize(("code", "cls"), sorted(DOCUMENTED.items()))
def test_every_documented_error_code_raises_its_class_over_http(sb, drawing, code, cls):
    client = client_for(sb, cache=False, retry=FAST_RETRY)
    url = client.upload_image(drawing).url
    sb.reset_stats()
    sb.fail_next(*[code] * 3)
    # a refusal of the api key says so (which credential), keeping the API's code and message
    expected = errors.CredentialsRejectedError if code in REFUSES_THE_KEY else cls
    with pytest.raises(expected) as info:
        client.search_designs(url, limit=3)
    err = info.value
    assert type(err) is expected and err.error_code == code and err.http_status == 200 and err.path == SEARCH
    assert err.error_msg  # the vendor's message travels with the exception
    # transient codes are retried to the bound; the rest are raised at once (an api-key client cannot refresh)
    assert sb.stats[SEARCH] == (3 if cls.retryable else 1)


def test_a_retryable_code_then_success(sb, drawing):
    client = client_for(sb, cache=False, retry=FAST_RETRY)
    sb.fail_next(67200002, 68300005)  # the upload is rate limited, then its retry meets a back-end failure
    assert len(client.search_designs(drawing, limit=4)) == 4
    assert calls(sb) == {TOKEN: 0, UPLOAD: 3, SEARCH: 1} and client.stats.retries == 2


def test_a_vanished_upload_url_is_renewed_once(sb, drawing):
    client = client_for(sb, cache=False, retry=FAST_RETRY)
    client.search_designs(drawing, limit=2)
    sb.fail_next(68300004)  # as if the API had deleted the file behind the URL the client still trusts
    assert len(client.search_designs(drawing, limit=3)) == 3
    assert calls(sb) == {TOKEN: 0, UPLOAD: 2, SEARCH: 3}
    sb.fail_next(68300010)  # any other rejection is the request's fault: raised, no re-upload
    with pytest.raises(errors.UploadRejectedError):
        client.search_designs(drawing, limit=4)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 2, SEARCH: 4}


def test_the_client_has_every_part_the_modules_below_it_type_it_with():
    # issue 24: report, exports, widgets and workflows typed their client as Any; they name protocols.ClientLike
    # now, which must stay what Client offers (a member missing here is an AttributeError there, at run time)
    from patsnap_analytics.client import Client
    from patsnap_analytics.protocols import ClientLike, FetchesImages

    client = Client(api_key="sk-example", cache=False)
    members = {name for protocol in (ClientLike, FetchesImages)
               for name in (*protocol.__annotations__, *vars(protocol)) if not name.startswith("_")}
    assert members >= {"searcher", "transport", "stats", "verdicts", "search_designs", "fetch_image"}
    assert isinstance(client, ClientLike) and isinstance(client, FetchesImages)
    assert all(hasattr(client, name) for name in members), sorted(n for n in members if not hasattr(client, n))
