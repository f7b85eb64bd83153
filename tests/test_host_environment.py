"""What the environment says about a host (proxies, a CA bundle, a netrc login) reaches every call as requests
would send it, read once per host on a session the client made (issue 24: requests reads it on every call,
about 0.1 ms of a 4 ms loopback call), and on every call on a session the caller brings.

Real parts: the client, its session and two stand-in HTTP servers on 127.0.0.1 (one the API, one a proxy).
"""

from __future__ import annotations

import base64

import pytest
import requests

import patsnap_analytics as pa
from patsnap_analytics.wire import http_limits

from .standin import KEY, StandIn, rows

SEARCH = "/image-search/search-id"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                   "all_proxy", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))  # never the user's own file
    return monkeypatch


def _search_answer(handler) -> None:
    handler.json({"status": True, "error_code": 0, "data": rows(2)})


@pytest.mark.parametrize("environment", [
    {},
    {"HTTP_PROXY": "http://proxy.example:3128", "HTTPS_PROXY": "http://proxy.example:3129"},
    {"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "127.0.0.1,localhost"},
    {"https_proxy": "http://proxy.example:3129", "no_proxy": "connect.patsnap.com"},
    {"REQUESTS_CA_BUNDLE": "/etc/ssl/bundle.pem"},
    {"CURL_CA_BUNDLE": "/etc/ssl/curl.pem", "ALL_PROXY": "socks5://proxy.example:1080"},
])
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/image-search/search-id?x=1",
                                 "https://connect.patsnap.com/search/patent/image-single"])
def test_the_settings_sent_are_the_ones_requests_reads_from_the_environment(clean_environment, environment, url):
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    ours = requests.Session()
    http_limits.mount(ours)
    ours.verify, ours.proxies = "/etc/ssl/session.pem", {"ftp": "http://session-proxy.example:21"}
    theirs = requests.Session()
    theirs.verify, theirs.proxies = ours.verify, dict(ours.proxies)
    expected = theirs.merge_environment_settings(url, {}, True, None, None)
    assert http_limits._send_settings(ours, url) == expected
    assert http_limits._send_settings(ours, url) == expected  # the second call: from what was read
    ours.verify = theirs.verify = False  # a session setting changed later is seen (only the environment is kept)
    assert http_limits._send_settings(ours, url) == theirs.merge_environment_settings(url, {}, True, None, None)


def test_a_proxy_in_the_environment_carries_the_calls_and_is_read_once_per_host(clean_environment):
    with StandIn(_search_answer) as api, StandIn(_search_answer) as proxy:
        clean_environment.setenv("HTTP_PROXY", proxy.url)
        client = pa.Client(KEY, base_url=api.url, cache=False)
        client.search_designs("https://img.example/q.png", limit=2)
        assert proxy.calls(SEARCH) == 1 and api.calls(SEARCH) == 0  # through the proxy, as requests sends it
        clean_environment.delenv("HTTP_PROXY")
        client.search_designs("https://img.example/q.png", limit=2)
        assert proxy.calls(SEARCH) == 2, "the host's environment is read on its first call, then kept"
        pa.Client(KEY, base_url=api.url, cache=False).search_designs("https://img.example/q.png", limit=2)
        assert api.calls(SEARCH) == 1, "a new client reads the environment again"


def test_a_session_the_caller_brings_reads_the_environment_on_every_call(clean_environment):
    with StandIn(_search_answer) as api, StandIn(_search_answer) as proxy:
        client = pa.Client(KEY, base_url=api.url, cache=False, session=requests.Session())
        client.search_designs("https://img.example/q.png", limit=2)
        clean_environment.setenv("HTTP_PROXY", proxy.url)
        client.search_designs("https://img.example/q.png", limit=2)
        assert (api.calls(SEARCH), proxy.calls(SEARCH)) == (1, 1)


def test_a_netrc_login_for_the_host_is_sent_as_requests_sends_it(clean_environment, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login analyst password netrc-pass-for-tests\n")
    netrc.chmod(0o600)
    clean_environment.setenv("NETRC", str(netrc))
    with StandIn(_search_answer) as api:
        client = pa.Client(KEY, base_url=api.url, cache=False)
        for _ in range(2):
            client.search_designs("https://img.example/q.png", limit=2)
        expected = "Basic " + base64.b64encode(b"analyst:netrc-pass-for-tests").decode()
        assert [r["headers"].get("Authorization") for r in api.received] == [expected, expected]
        plain = requests.Session().prepare_request(requests.Request("GET", api.url + SEARCH))
        assert plain.headers["Authorization"] == expected  # what requests itself does with that file


def test_without_a_netrc_entry_no_login_is_sent(clean_environment):
    with StandIn(_search_answer) as api:
        pa.Client(KEY, base_url=api.url, cache=False).search_designs("https://img.example/q.png", limit=2)
        assert "Authorization" not in api.received[0]["headers"]
        assert api.received[0]["query"]["apikey"] == [KEY]


def test_an_address_no_adapter_serves_is_a_network_failure_not_a_crash(clean_environment):
    # a result image link is whatever the answer says: one requests has no adapter for is unavailable (None)
    client = pa.Client(KEY, base_url="http://127.0.0.1:9", cache=False)
    assert client.transport.fetch_image("ftp://img.example/1.png") is None
    with pytest.raises(pa.errors.TransportError):
        http_limits.exchange(client.session, requests.Request("GET", "ftp://img.example/1.png").prepare(),
                             where="a result image", timeout=5)


def test_a_login_written_in_the_base_url_is_sent_as_requests_sends_it(clean_environment):
    with StandIn(_search_answer) as api:
        url = api.url.replace("http://", "http://analyst:url-pass-for-tests@")
        pa.Client(KEY, base_url=url, cache=False).search_designs("https://img.example/q.png", limit=2)
        expected = "Basic " + base64.b64encode(b"analyst:url-pass-for-tests").decode()
        assert api.received[0]["headers"].get("Authorization") == expected


def test_after_a_network_failure_the_environment_is_read_again(clean_environment):
    # a user who fixes the proxy after a failure must not need a new client
    with StandIn(_search_answer) as api:
        clean_environment.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        client = pa.Client(KEY, base_url=api.url, cache=False, retry=pa.RetryPolicy(max_attempts=1))
        with pytest.raises(pa.errors.TransportError):
            client.search_designs("https://img.example/q.png", limit=2)
        clean_environment.delenv("HTTP_PROXY")
        client.search_designs("https://img.example/q.png", limit=2)
        assert api.calls(SEARCH) == 1


def test_the_environment_kept_shows_no_login_and_survives_a_copied_session(clean_environment):
    import copy

    environment = http_limits.HostEnvironment({"http": "http://me:proxy-pass@proxy:3128"}, None, ("me", "netrc-pw"))
    assert "pass" not in repr(environment) and "netrc-pw" not in repr(environment)
    session = requests.Session()
    http_limits.mount(session)
    url = "http://127.0.0.1:8000/x"
    expected = http_limits._send_settings(session, url)
    assert http_limits._send_settings(copy.deepcopy(session), url) == expected
