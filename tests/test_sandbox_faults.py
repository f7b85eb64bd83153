"""Fault and quota simulation: every kind observed at roughly its configured rate, over real HTTP.

Rates are checked with loose bounds over a few hundred calls (the draws are seeded, so the bounds are
also reproducible); nothing here measures time.
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.faults import Faults, FaultSettings

from .conftest import SEARCH, TOKEN, UPLOAD, png_bytes

DEFAULTS = {name: getattr(FaultSettings(), name) for name in FaultSettings.names()}


@pytest.fixture(scope="module")
def running():
    with Sandbox(designs=300, seed=3) as sandbox:
        yield sandbox


@pytest.fixture
def sb(running):
    """The module's sandbox with every fault off again after each test."""
    running.configure(**DEFAULTS, seed=3)
    running.advance_day()
    running.reset_stats()
    yield running
    running.configure(**DEFAULTS, seed=3)
    running.advance_day()


def outcome(sb, session: requests.Session, params: dict | None = None) -> str:
    """One cheap business call (a search with an unknown url: 68300004 unless a fault hits) -> its outcome."""
    try:
        r = session.get(sb.url + SEARCH, params=params or {"apikey": sb.api_key, "url": "x"}, timeout=30)
    except requests.ConnectionError:
        return "connection error"
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    return str(r.json()["error_code"])


def outcomes(sb, n: int) -> Counter:
    with requests.Session() as session:
        return Counter(outcome(sb, session) for _ in range(n))


def good_upload(sb, session=requests) -> dict:
    return session.post(sb.url + UPLOAD, params={"apikey": sb.api_key},
                        files={"image": ("a.png", png_bytes())}, timeout=30).json()


def test_everything_is_off_by_default(sb):
    assert outcomes(sb, 50) == Counter({"68300004": 50})
    assert good_upload(sb)["status"] is True


@pytest.mark.parametrize("knob, expected", [
    ("rate_limit_fraction", "67200002"),
    ("service_error_fraction", "68300008"),
    ("http_503_fraction", "HTTP 503"),
    ("drop_fraction", "connection error"),
])
def test_each_random_fault_occurs_at_its_rate(sb, knob, expected):
    sb.configure(**{knob: 0.25})
    seen = outcomes(sb, 200)
    assert 25 <= seen[expected] <= 80, seen
    assert seen[expected] + seen["68300004"] == 200, seen


def test_mixed_faults_are_exclusive_and_each_near_its_rate(sb):
    sb.configure(rate_limit_fraction=0.1, service_error_fraction=0.1, http_503_fraction=0.1, drop_fraction=0.1)
    seen = outcomes(sb, 400)
    for kind in ("67200002", "68300008", "HTTP 503", "connection error"):
        assert 15 <= seen[kind] <= 70, seen
    assert 180 <= seen["68300004"] <= 300, seen
    detail = sb.stats_detail()
    assert detail["calls"][SEARCH] == 400  # dropped and 503 requests are counted too
    assert detail["by_error_code"]["dropped"] == seen["connection error"]
    assert detail["by_error_code"]["http_503"] == seen["HTTP 503"]


def test_same_seed_same_faults(sb):
    sb.configure(rate_limit_fraction=0.3, service_error_fraction=0.3, seed=11)
    with requests.Session() as session:
        first = [outcome(sb, session) for _ in range(40)]
        sb.configure(seed=11)
        second = [outcome(sb, session) for _ in range(40)]
    assert first == second and len(set(first)) == 3


def test_dropped_connection_is_a_connection_error_for_requests(sb):
    sb.configure(drop_fraction=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": "x"}, timeout=30)
    with pytest.raises(requests.ConnectionError):
        requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("a.png", png_bytes())},
                      timeout=30)
    with pytest.raises(requests.ConnectionError):  # the token endpoint can lose its connection too
        requests.post(sb.url + TOKEN, data={"grant_type": "client_credentials"},
                      auth=(sb.client_id, sb.client_secret), timeout=30)


def test_faults_never_touch_sandbox_routes(sb):
    url = good_upload(sb)["data"]["url"]
    sb.configure(drop_fraction=0.5, http_503_fraction=0.5)
    for _ in range(20):
        assert requests.get(sb.url + "/_sandbox/stats", timeout=30).status_code == 200
        assert requests.get(url, timeout=30).status_code == 200


def test_latency_delays_business_calls_only(sb):
    sb.configure(latency=0.05)
    requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": "x"}, timeout=30)
    served = requests.get(sb.url + "/_sandbox/stats", timeout=30).json()
    assert served["delayed"][SEARCH] == 1  # the business call was held back, counted by the gateway
    assert sum(served["delayed"].values()) == 1  # ... and /_sandbox/stats itself never is
    sb.configure(latency=0.0)
    requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": "x"}, timeout=30)
    assert sb.stats_detail()["delayed"][SEARCH] == 1


def test_qps_limit_per_credential(sb):
    sb.configure(qps_limit=2)
    with requests.Session() as session:
        seen = [outcome(sb, session) for _ in range(8)]
        token = session.post(sb.url + TOKEN, data={"grant_type": "client_credentials"},
                             auth=(sb.client_id, sb.client_secret)).json()["token"]
        other = session.get(sb.url + SEARCH, params={"apikey": sb.client_id, "url": "x"},
                            headers={"Authorization": f"Bearer {token}"}).json()
    assert seen[:2] == ["68300004", "68300004"]  # the first calls of a window pass
    assert "67200002" in seen                      # eight calls cannot all fit in one-second windows of 2
    assert other["error_code"] == 68300004         # another credential has its own window
    sb.advance_clock(1.5)
    assert outcomes(sb, 1) == Counter({"68300004": 1})  # a new window


def test_daily_quota_counts_successful_calls_until_advance_day(sb):
    sb.configure(daily_quota=3)
    assert good_upload(sb)["status"] is True
    bad = requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("a.png", b"")}).json()
    assert bad["error_code"] == 68300010  # failed calls do not use the quota
    assert good_upload(sb)["status"] is True
    assert good_upload(sb)["status"] is True
    refused = good_upload(sb)
    assert refused["status"] is False and refused["error_code"] == 67200007
    assert outcome(sb, requests.Session()) == "67200007"
    sb.advance_day()
    assert good_upload(sb)["status"] is True


def test_balance_runs_out_and_a_new_day_does_not_refill_it(sb):
    sb.configure(balance=2)
    assert good_upload(sb)["status"] is True
    assert good_upload(sb)["status"] is True
    assert good_upload(sb)["error_code"] == 67200005
    sb.advance_day()
    assert good_upload(sb)["error_code"] == 67200005
    sb.configure(balance=1)  # a top-up
    assert good_upload(sb)["status"] is True


def test_token_endpoint_is_not_billed(sb):
    sb.configure(daily_quota=1)
    for _ in range(3):
        body = requests.post(sb.url + TOKEN, data={"grant_type": "client_credentials"},
                             auth=(sb.client_id, sb.client_secret)).json()
        assert body["status"] == "approved"
    assert good_upload(sb)["status"] is True


def test_settings_are_validated():
    with pytest.raises(ValueError, match="add up"):
        Sandbox(designs=300, drop_fraction=0.7, rate_limit_fraction=0.7)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults().update(http_503_fraction=1.5)
    with pytest.raises(TypeError, match="unknown fault setting"):
        Faults().update(latancy=1)
    with pytest.raises(ValueError):
        FaultSettings(daily_quota=-1).validate()
