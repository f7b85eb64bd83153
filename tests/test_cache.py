"""Quota economy over real HTTP: counted with the sandbox's own server-side call counters."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
import requests
import requests_cache

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.cli import main as cli_main
from patsnap_analytics.wire.retry import RetryPolicy

from .conftest import SEARCH, TOKEN, UPLOAD, calls, client_for

NO_RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture
def cache_path(tmp_path):
    return tmp_path / "cache.sqlite"


def test_repeat_search_costs_nothing(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    first = client.search_designs(drawing, limit=15, country=["US", "CN"])
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    second = client.search_designs(drawing, limit=15, country=["US", "CN"])
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    assert second.equals(first) and second.attrs["from_cache"] and not first.attrs["from_cache"]
    # a new client on the same file (tomorrow's notebook) pays nothing either
    third = client_for(sb, cache=cache_path).search_designs(drawing, limit=15, country="CN,US")
    assert third["patent_id"].tolist() == first["patent_id"].tolist()
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    assert client.stats.as_dict()["search_cache_hits"] == 1


def test_equivalent_parameters_share_one_entry(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    client.search_designs(drawing, country=["US", "CN"], legal_status=[3, 2], apply_start_time="2005-01-31",
                          loc="(10-02 or 06-01)", limit=30, order="desc")
    before = calls(sb)
    client.search_designs(drawing, country="CN,US", legal_status=["2", "3"], apply_start_time="20050131",
                          loc="10-02 OR 06-01", limit=30)
    assert calls(sb) == before


def test_refresh_asks_again_and_replaces(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    client.search_designs(drawing, limit=5)
    client.search_designs(drawing, limit=5, refresh=True)
    assert calls(sb)[SEARCH] == 2 and calls(sb)[UPLOAD] == 1
    client.search_designs(drawing, limit=5)
    assert calls(sb)[SEARCH] == 2


def test_same_image_after_its_upload_expired(sb, drawing, cache_path):
    sb.configure(upload_expire=30)  # shorter than the client's safety margin: never reused
    client = client_for(sb, cache=cache_path)
    client.search_designs(drawing, limit=5)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    sb.advance_clock(60)  # the server deletes the upload
    # the cached search is keyed by the image's hash: nothing to pay, not even an upload
    client.search_designs(drawing, limit=5)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    # the image uploaded again explicitly: 1 upload; the search after it: still served from the cache
    up = client.upload_image(drawing)
    assert not up.reused
    client.search_designs(drawing, limit=5)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 2, SEARCH: 1}
    # a new filter needs the server: the expired URL is never sent, a fresh one is made
    sb.advance_clock(60)
    client.search_designs(drawing, limit=6)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 3, SEARCH: 2}
    assert not sb.stats_detail()["errors"].get(SEARCH)


def test_upload_reused_while_valid_and_renewed_if_the_server_forgot_it(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    client.search_designs(drawing, limit=5)
    client.search_designs(drawing, limit=6)
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 2}
    sb.advance_clock(40000)  # past 9 h on the server; the client's own clock says the URL is still valid
    assert len(client.search_designs(drawing, limit=7)) == 7
    assert calls(sb) == {TOKEN: 0, UPLOAD: 2, SEARCH: 4}  # one rejected search, one re-upload, one retry


def test_errors_are_never_cached(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path, retry=NO_RETRY)
    client.upload_image(drawing)
    sb.configure(service_error_fraction=1.0)
    with pytest.raises(errors.ServiceError):
        client.search_designs(drawing, limit=9)
    sb.configure(service_error_fraction=0.0)
    ok = client.search_designs(drawing, limit=9)
    assert len(ok) == 9 and calls(sb)[SEARCH] == 2
    client.search_designs(drawing, limit=9)
    assert calls(sb)[SEARCH] == 2
    stored = [r for r in client.session.cache.responses.values()]
    assert stored and all(r.status_code == 200 and json.loads(r.content)["status"] is True for r in stored)


def test_offline_mode_serves_a_warm_cache_without_a_server(drawing, cache_path, monkeypatch):
    from patsnap_analytics.sandbox import Sandbox

    with Sandbox(designs=300) as box:
        online = client_for(box, cache=cache_path).search_designs(drawing, limit=8, country=["US", "CN", "EU"])
        url = box.url
    # the server is gone and there are no credentials at all
    offline = pa.Client(base_url=url, cache=cache_path, offline=True)
    again = offline.search_designs(drawing, limit=8, country=["US", "CN", "EU"])
    assert again["patent_id"].tolist() == online["patent_id"].tolist()
    assert again.attrs["source"] == "sandbox"
    with pytest.raises(errors.OfflineCacheMiss, match="offline"):
        offline.search_designs(drawing, limit=9)
    monkeypatch.setenv("PATSNAP_OFFLINE", "1")
    assert pa.Client(base_url=url, cache=cache_path).offline
    cold = pa.Client(base_url=url, cache=cache_path.with_name("cold.sqlite"))
    with pytest.raises(errors.OfflineCacheMiss):
        cold.search_designs(drawing, limit=8)


def test_no_secret_ever_reaches_the_cache_file(sb, drawing, cache_path):
    sb.configure(token_lifetime=2)
    oauth = client_for(sb, auth="oauth", cache=cache_path, retry=RetryPolicy(max_attempts=3, backoff=0.01))
    keyed = client_for(sb, cache=cache_path, retry=NO_RETRY)
    oauth.search_designs(drawing, limit=3)
    sb.advance_clock(10)  # token refresh on the next call
    oauth.search_designs(drawing, limit=4)
    keyed.search_designs(drawing, limit=5)
    keyed.fetch_image(keyed.search_designs(drawing, limit=5)["image_url"].iloc[0])
    sb.configure(rate_limit_fraction=1.0)
    with pytest.raises(errors.RateLimitError):
        keyed.search_designs(drawing, limit=6)
    bad = pa.Client(api_key="sk-sandbox-not-the-key", base_url=sb.url, cache=cache_path, retry=NO_RETRY)
    with pytest.raises(errors.AuthError):
        bad.search_designs(drawing, limit=7)
    secrets = [sb.api_key, sb.client_secret, sb.client_id, *oauth.auth.secrets, "sk-sandbox-not-the-key"]
    for session in (oauth.session, keyed.session, bad.session):
        session.close()
    files = [p for p in cache_path.parent.iterdir() if p.name.startswith(cache_path.name) and p.is_file()]
    raw = b"".join(p.read_bytes() for p in files)
    assert len(raw) > 10_000
    for secret in secrets:
        assert secret and secret.encode() not in raw, "a secret reached the cache file"


def test_a_cache_hit_is_not_queued_behind_a_search_in_flight(sb, drawing, cache_path):
    # a refresh holds the search's single-flight lock while its call is out (the sandbox's latency keeps it out);
    # the same search answered by the cache sends nothing, so it takes no lock and is served meanwhile
    client = client_for(sb, cache=cache_path)
    first = client.search_designs(drawing, limit=5)
    sb.configure(latency=5.0)
    refresh = threading.Thread(target=client.search_designs, args=(drawing,), kwargs={"limit": 5, "refresh": True})
    refresh.start()
    while not sb.stats_detail()["delayed"].get(SEARCH):  # the refresh is held by the latency, holding the lock
        refresh.join(0.01)
    hit = client.search_designs(drawing, limit=5)
    settled_meanwhile = calls(sb)[SEARCH]  # the server counts a call as its answer leaves
    refresh.join()
    assert hit.attrs["from_cache"] and hit.equals(first)
    assert settled_meanwhile == 1  # served while the refresh was still held: it did not wait for the lock
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 2}


def test_eight_threads_share_one_cache(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    offices = ["US", "CN", "EU", "JP", "KR", "DE", "GB", "FR"]
    results: dict[tuple[int, int], int] = {}
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(50):
                df = client.search_designs(drawing, country=[offices[t]], limit=1 + i % 25,
                                           order="asc" if i >= 25 else "desc")
                results[(t, i)] = len(df)
        except BaseException as exc:  # collected, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures[:3]
    assert len(results) == 400
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 400}
    sb.reset_stats()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures and calls(sb) == {TOKEN: 0, UPLOAD: 0, SEARCH: 0}


def test_thumbnails_go_through_the_cache(sb, drawing, cache_path):
    client = client_for(sb, cache=cache_path)
    url = client.search_designs(drawing, limit=1)["image_url"].iloc[0]
    first = client.fetch_image(url)
    second = client.fetch_image(url)
    assert first and first == second and first.startswith(b"\x89PNG")
    assert client.stats.as_dict()["image_cache_hits"] == 1
    assert client.fetch_image(sb.url + "/_sandbox/files/../../etc/passwd") is None


def test_a_users_own_cached_session_is_wrapped_not_rewritten(sb, drawing, tmp_path, monkeypatch):
    closed: list[requests.Session] = []
    close = requests.Session.close

    def recording_close(session: requests.Session) -> None:  # the real close, noting which session it closed
        closed.append(session)
        close(session)

    monkeypatch.setattr(requests.Session, "close", recording_close)
    own = requests_cache.CachedSession(str(tmp_path / "own.sqlite"), allowable_methods=("GET", "POST"))
    client = client_for(sb, session=own, retry=NO_RETRY)
    client.search_designs(drawing, limit=3)
    client.search_designs(drawing, limit=3)
    assert calls(sb)[SEARCH] == 1
    assert own.settings.allowable_methods == ("GET", "POST")  # the caller's session keeps its settings
    client.close()  # a session the caller brought is not closed by the client, nor its wrapper (shared adapters)
    assert closed == []
    assert own.get(sb.url + "/_sandbox/stats").status_code == 200
    made = client_for(sb, cache=tmp_path / "made.sqlite")
    made.close()  # a session the client made is closed with it
    assert closed == [made.session]
    own.close()
    assert sb.api_key.encode() not in (tmp_path / "own.sqlite").read_bytes()
    plain = client_for(sb, session=requests.Session())
    plain.search_designs(drawing, limit=3)
    plain.search_designs(drawing, limit=3)
    assert calls(sb)[SEARCH] == 3 and not plain.cached


def test_cache_info_clear_and_cli(sb, drawing, cache_path, capsys):
    client = client_for(sb, cache=cache_path)
    client.search_designs(drawing, limit=3)
    info = client.cache_info()
    assert info["enabled"] and info["responses"] == 1 and info["uploads"] == 1 and info["size_bytes"] > 0
    assert cli_main(["cache", "info", "--path", str(cache_path)]) == 0
    assert '"responses": 1' in capsys.readouterr().out
    assert cli_main(["cache", "clear", "--path", str(cache_path)]) == 0
    assert client.cache_info()["responses"] == 0
    with sqlite3.connect(cache_path) as db:
        assert db.execute("select count(*) from responses").fetchone()[0] == 0
