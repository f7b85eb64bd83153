"""A team on one Redis (issue 15): one cache, one QPS limit, one call budget and one single flight across processes.

Every test talks to a real redis-server (Debian's package, started on a free loopback port by the fixtures in
conftest.py; the tests skip where it is not installed) and to a real sandbox over HTTP. What a run cost is read
from the sandbox's own counters; what was stored, from Redis itself.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from patsnap_analytics import Client, Team
from patsnap_analytics.errors import BudgetExceeded, CacheStorageError, CacheStorageWarning, ValidationError
from patsnap_analytics.wire.gates import GateChain, SharedRateLimiter, SpendGate

from .conftest import SEARCH, UPLOAD, client_for
from .redisserver import RedisServer
from .test_batch import drawings, write_folder

RATE_LIMITED = "67200002"
ENRICH = ("/basic-patent-data/simple-bibliography", "/basic-patent-data/simple-legal-status",
          "/basic-patent-data/legal-status")
DAY_MS = 86400 * 1000


def redis_keys(server, kind: str) -> dict[str, int]:
    """Our keys of one kind (``responses``, ``uploads``, ``patent_records``, ``flight``, ``qps``…) -> TTL in ms."""
    r = server.client()
    return {k.decode(): r.pttl(k) for k in r.scan_iter(match=f"patsnap-analytics:{kind}:*")}


def everything_in(server) -> bytes:
    """Every key and value our clients wrote, as one blob (to grep for secrets)."""
    r = server.client()
    blob = []
    for key in r.scan_iter(match="*"):
        kind = r.type(key)
        value = r.get(key) if kind == b"string" else repr(r.hgetall(key) if kind == b"hash" else r.lrange(key, 0, -1))
        blob += [key, value if isinstance(value, bytes) else str(value).encode()]
    return b"\n".join(blob)


# ---------------------------------------------------------------------------------------------- one cache

def test_a_second_client_finds_answers_uploads_and_records_in_redis_each_with_its_ttl(sb, redis_url, redis_server,
                                                                                      drawing):
    first = client_for(sb, cache=redis_url)
    df = first.search_designs(drawing, limit=5)
    first.enrich(df, progress=False)
    assert sb.stats[UPLOAD] == 1 and sb.stats[SEARCH] == 1 and all(sb.stats[p] == 1 for p in ENRICH)

    second = client_for(sb, cache=redis_url)  # another process would see the same: nothing is local
    again = second.search_designs(drawing, limit=5)
    rich = second.enrich(again, progress=False)
    assert again.attrs["from_cache"] and rich.attrs["enrichment"]["calls"] == 0
    assert sb.stats[UPLOAD] == 1 and sb.stats[SEARCH] == 1 and all(sb.stats[p] == 1 for p in ENRICH)
    pd.testing.assert_frame_equal(df.reset_index(drop=True), again.reset_index(drop=True))

    # expiry per kind, as Redis TTLs: answers 30 days, upload URLs 9 hours, bibliography 90 days, statuses 7 days
    answers, uploads = redis_keys(redis_server, "responses"), redis_keys(redis_server, "uploads")
    assert len(answers) == 1 and 29 * DAY_MS < next(iter(answers.values())) <= 30 * DAY_MS + 61_000
    assert len(uploads) == 1 and 0 < next(iter(uploads.values())) <= 9 * 3600 * 1000
    records = redis_keys(redis_server, "patent_records")
    biblio = [ttl for key, ttl in records.items() if "|simple-bibliography|" in key]
    status = [ttl for key, ttl in records.items() if "|simple-bibliography|" not in key]
    assert len(biblio) == 5 and all(89 * DAY_MS < ttl <= 90 * DAY_MS for ttl in biblio)
    assert len(status) == 10 and all(6 * DAY_MS < ttl <= 7 * DAY_MS for ttl in status)
    info = second.cache_info()
    assert info["backend"] == "redis" and info["responses"] == 1 and info["uploads"] == 1
    assert info["patent_records"] == 15 and info["team"]["connected"]


def test_a_zero_hit_answer_is_kept_a_day_and_a_malformed_one_never(redis_url, redis_server, tmp_path):
    from patsnap_analytics.errors import ProtocolError, ZeroHitsWarning

    from .standin import StandIn
    from .test_reliability_client import FAST, IMAGE, MALFORMED, standin_client

    with StandIn(lambda h: h.json({"status": True, "error_code": 0, "data": {}})) as api, \
            pytest.warns(ZeroHitsWarning):
        standin_client(api, tmp_path, cache=redis_url).search_designs(IMAGE, limit=3)
    (ttl,) = redis_keys(redis_server, "responses").values()
    assert 0 < ttl <= DAY_MS + 61_000  # a day (and requests-cache's minute of offset), not 30 days
    redis_server.client().flushall()
    for body, _ in MALFORMED.values():
        with StandIn(lambda h, body=body: h.json(body)) as api, pytest.raises(ProtocolError):
            standin_client(api, tmp_path, cache=redis_url, retry=FAST).search_designs(IMAGE, limit=3)
    assert redis_keys(redis_server, "responses") == {}


def test_no_secret_reaches_redis(sb, redis_url, redis_server, drawing):
    for auth in ("apikey", "oauth"):
        client = client_for(sb, auth=auth, cache=redis_url)
        df = client.search_designs(drawing, limit=3, refresh=True)
        client.enrich(df, progress=False, refresh=True)
        client.fetch_image(df["image_url"].iloc[0])
    blob = everything_in(redis_server)
    assert b"patsnap-analytics:responses" in blob and b"patsnap-analytics:uploads" in blob
    token = client.auth._token.reveal() if getattr(client.auth, "_token", None) else None
    for secret in filter(None, (sb.api_key, sb.client_id, sb.client_secret, token)):
        assert secret.encode() not in blob, "a credential was written to Redis"
    assert b"apikey" not in blob.lower() and b"authorization" not in blob.lower()


def test_only_complete_answers_are_stored_and_a_failed_refresh_keeps_the_stored_one(sb, redis_url, redis_server,
                                                                                   drawing):
    from patsnap_analytics.errors import ServiceError
    from patsnap_analytics.wire.retry import RetryPolicy

    client = client_for(sb, cache=redis_url, retry=RetryPolicy(max_attempts=1))
    sb.fail_next(68300008)  # the first search fails: nothing may be stored
    with pytest.raises(ServiceError):
        client.search_designs(drawing, limit=4)
    assert redis_keys(redis_server, "responses") == {}
    stored = client.search_designs(drawing, limit=4)
    sb.fail_next(68300008)
    with pytest.raises(ServiceError):
        client.search_designs(drawing, limit=4, refresh=True)
    calls = dict(sb.stats)
    kept = client_for(sb, cache=redis_url).search_designs(drawing, limit=4)
    assert kept.attrs["from_cache"] and dict(sb.stats) == calls
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), kept.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------- gates

def test_a_cache_hit_takes_no_slot_and_is_not_counted(sb, redis_url, redis_server, drawing):
    client = client_for(sb, cache=redis_url, qps=50)
    client.search_designs(drawing, limit=3)
    limiter = next(g for g in client.transport.limiter if isinstance(g, SharedRateLimiter))
    assert limiter.acquired == 2 and client.spend.spent()["calls_total"] == 2  # upload + search
    client.search_designs(drawing, limit=3)
    client_for(sb, cache=redis_url, qps=50).search_designs(drawing, limit=3)
    assert limiter.acquired == 2 and client.spend.spent() == {"calls_today": 2, "calls_total": 2}
    assert sb.stats[SEARCH] == sb.stats[UPLOAD] == 1  # the sandbox saw the first search only


def test_a_slot_is_kept_while_the_call_is_out_and_rests_a_second_after_its_answer(redis_url, redis_server):
    team = Team(redis_url, slot_hold=30)
    limiter = SharedRateLimiter(team, "https://h", qps=2)
    with limiter.hold():
        (held,) = [ttl for ttl in redis_keys(redis_server, "qps").values() if ttl > 0]
        assert 30_000 < held <= 31_000  # out: held until its answer (at most slot_hold), then its rest
        with limiter.hold():
            assert len(redis_keys(redis_server, "qps")) == 2  # the second call took the second slot
    assert all(0 < ttl <= 1000 for ttl in redis_keys(redis_server, "qps").values())  # answered: a second's rest


def test_the_team_budget_is_shared_and_refuses_before_any_call(sb, redis_url, drawing, query_images):
    first = client_for(sb, cache=redis_url, max_calls=3)
    first.search_designs(drawing, limit=3)  # upload + search: 2 of the team's 3
    second = client_for(sb, cache=redis_url, max_calls=3)
    with pytest.raises(BudgetExceeded, match=r"max_calls=3 reached.*of the team"):
        second.search_designs(query_images[1].read_bytes(), limit=3)  # its upload is the 3rd call, its search the 4th
    assert sb.stats[UPLOAD] == 2 and sb.stats[SEARCH] == 1
    assert second.spend.spent()["calls_total"] == 3
    assert second.search_designs(drawing, limit=3).attrs["from_cache"]  # a cache hit is never refused


def test_the_daily_budget_is_counted_per_utc_day_across_clients(sb, redis_url, redis_server, query_images):
    clients = [client_for(sb, cache=redis_url, max_calls_per_day=2) for _ in range(2)]
    clients[0].search_designs(query_images[0].read_bytes(), limit=3)
    with pytest.raises(BudgetExceeded, match="max_calls_per_day=2"):
        clients[1].search_designs(query_images[1].read_bytes(), limit=3)
    assert sb.stats[UPLOAD] == 1 and sb.stats[SEARCH] == 1
    (day,) = [k for k in redis_server.client().scan_iter(match="patsnap-analytics:spent:*:day:*")]
    assert 0 < redis_server.client().pttl(day) <= 2 * DAY_MS  # a day's count is kept two days, then dropped


def test_budgets_and_lock_settings_are_checked_before_anything(redis_url):
    with pytest.raises(ValidationError, match="max_calls_per_day"):
        Client(api_key="sk-x", cache=redis_url, max_calls_per_day=-1)
    with pytest.raises(ValidationError, match="lock_timeout"):
        Team(redis_url, lock_timeout=0)
    with pytest.raises(ValidationError, match="qps"):
        Client(api_key="sk-x", cache=redis_url, qps=0)


# ---------------------------------------------------------------------------------------------- processes

_WORKER = """
import json, pathlib, sys, time
import patsnap_analytics as pa
url, key, cache, folder, go, ready, qps = sys.argv[1:8]
client = pa.Client(api_key=key, base_url=url, cache=cache, qps=float(qps))
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.01)
df = client.search_many(folder, workers=4, limit=3, progress=False)
print(json.dumps({"queries": int(df["query"].nunique()), "calls": df.attrs["calls_spent"],
                  "failures": len(df.attrs["failures"]), "retries": client.stats.as_dict()["retries"],
                  "done": time.time()}))
"""


def run_together(script: str, argv_per_process: list[list[str]], tmp_path) -> list[dict]:
    """Start one Python process per argument list, let them go at once (the file ``tmp_path/go``: its mtime
    says when), return their JSON lines."""
    go, procs = tmp_path / "go", []
    for n, argv in enumerate(argv_per_process):
        ready = tmp_path / f"ready{n}"
        procs.append((ready, subprocess.Popen([sys.executable, "-c", script, *argv[:4], str(go), str(ready),
                                               *argv[4:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, cwd=Path(__file__).parents[1])))
    while not all(ready.exists() or proc.poll() is not None for ready, proc in procs):
        time.sleep(0.05)
    go.touch()
    results = []
    for _, proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_three_processes_sixty_images_half_shared_pay_the_minimum_with_no_refusal(sb, redis_url, tmp_path):
    qps, shared, own = 20, 30, 30
    images = drawings(shared + 3 * own, seed=15)
    folders = []
    for n in range(3):
        folder = tmp_path / f"analyst{n}"
        write_folder(folder, images[:shared] + images[shared + n * own: shared + (n + 1) * own])
        folders.append(folder)
    sb.configure(qps_limit=qps)  # the account's limit, equal to the team's shared qps

    results = run_together(_WORKER, [[sb.url, sb.api_key, redis_url, str(f), str(qps)] for f in folders], tmp_path)

    distinct = shared + 3 * own
    assert [r["queries"] for r in results] == [shared + own] * 3 and not any(r["failures"] for r in results)
    assert sb.stats[UPLOAD] == distinct and sb.stats[SEARCH] == distinct  # the minimum: one of each per image
    assert sum(r["calls"] for r in results) == 2 * distinct
    assert sb.stats_detail()["by_error_code"].get(RATE_LIMITED, 0) == 0 and sum(r["retries"] for r in results) == 0


_HOLDER = """
import pathlib, sys, time
import patsnap_analytics as pa
from patsnap_analytics.wire.gates import GateChain
from patsnap_analytics import Team
url, key, redis_url, image, frozen = sys.argv[1:6]

class Freeze:  # right before its first call goes out, with the search's and the upload's locks held
    def acquire(self):
        pathlib.Path(frozen).touch()
        time.sleep(3600)

client = pa.Client(api_key=key, base_url=url, cache=Team(redis_url, lock_timeout=2))
client.transport.limiter = GateChain([Freeze(), *client.transport.limiter])
client.search_designs(pathlib.Path(image).read_bytes(), limit=3)
"""


def test_a_killed_lock_holder_blocks_the_key_at_most_the_lock_timeout(sb, redis_url, redis_server, drawing, tmp_path):
    image, frozen = tmp_path / "q.png", tmp_path / "frozen"
    image.write_bytes(drawing)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, sb.url, sb.api_key, redis_url, str(image), str(frozen)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not frozen.exists():
            assert holder.poll() is None, holder.stderr.read()[-2000:]
            time.sleep(0.02)
        assert len(redis_keys(redis_server, "flight")) == 2  # it holds the search's lock and the upload's
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    ttls = redis_keys(redis_server, "flight").values()
    assert ttls and all(0 < ttl <= 2000 for ttl in ttls)  # the dead holder renews nothing: they expire on their own

    waiter = Client(api_key=sb.api_key, base_url=sb.url, cache=Team(redis_url, lock_timeout=2))
    started = time.monotonic()
    df = waiter.search_designs(drawing, limit=3)
    waited = time.monotonic() - started
    assert len(df) == 3 and not df.attrs["from_cache"]
    assert sb.stats[UPLOAD] == 1 and sb.stats[SEARCH] == 1  # the killed holder sent nothing; the waiter paid once
    assert waited < 2 + 60  # "not for ever": bounded by the lock timeout (the slack absorbs a loaded machine)


def test_two_clients_enriching_the_same_patents_at_once_pay_each_batch_once(sb, redis_url, drawing):
    import threading

    # two clients on one Redis stand for two processes: each has its own in-process locks, they share Redis's
    df = client_for(sb, cache=redis_url).search_designs(drawing, limit=20)
    clients = [client_for(sb, cache=redis_url) for _ in range(2)]
    sb.configure(latency=0.2)  # both are in flight at once; the counts do not depend on it
    threads = [threading.Thread(target=c.enrich, args=(df,), kwargs={"progress": False}) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(sb.stats[p] == 1 for p in ENRICH)  # 20 patents: one call per endpoint in all


# ---------------------------------------------------------------------------------------------- when Redis fails

class StopRedisBefore:
    """A gate that stops the real redis-server right before the ``n``-th call goes out (a deterministic
    "mid-run" without timing)."""

    def __init__(self, server: RedisServer, n: int) -> None:
        self.server, self.n, self.seen = server, n, 0

    def acquire(self) -> None:
        self.seen += 1
        if self.seen == self.n:
            self.server.stop()


def test_redis_stopped_mid_run_loses_no_paid_answer(sb, tmp_path):
    from .redisserver import REDIS_SERVER

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis").start()
    try:
        images = drawings(8, seed=16)
        paths = write_folder(tmp_path / "q", images)
        client = client_for(sb, cache=server.url, qps=50)
        client.transport.limiter = GateChain([StopRedisBefore(server, n=7), *client.transport.limiter])
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            df = client.search_many(paths, workers=1, limit=3, progress=False)  # one at a time: a known order
        said = [w for w in seen if issubclass(w.category, CacheStorageWarning)]
        assert len(said) == 1 and "goes on alone" in str(said[0].message)
        # every image was answered, each paid once: images 0-2 before the stop, 3-7 after it
        assert df["query"].nunique() == 8 and not df.attrs["failures"]
        assert sb.stats[UPLOAD] == 8 and sb.stats[SEARCH] == 8
        team = client.cache_info()["team"]
        assert not team["connected"] and team["unstored"] == 2 * 5  # 5 upload URLs + 5 answers kept in memory
        limiter = next(g for g in client.transport.limiter if isinstance(g, SharedRateLimiter))
        assert limiter.local.acquired == 10  # calls 7-16 paced by the local limiter at the same qps
        calls = dict(sb.stats)
        again = client.search_many(paths[3:], workers=1, limit=3, progress=False)
        assert dict(sb.stats) == calls and again.attrs["cache_hits"] == 5  # kept in this process: not paid again
    finally:
        server.stop()


def test_a_redis_that_cannot_be_reached_at_start_is_a_clear_error_naming_the_url(tmp_path):
    from .redisserver import free_port

    url = f"redis://analyst:hunter2-secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(CacheStorageError) as caught:
        Client(api_key="sk-x", cache=url)
    message = str(caught.value)
    assert f"cache redis://***@127.0.0.1:{url.rsplit(':', 1)[1]}" in message and "Redis cannot be used" in message
    assert "hunter2" not in message and "analyst" not in message and "PATSNAP_CACHE_URL" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_credentials_in_the_redis_url_never_appear_in_reprs_logs_or_errors(sb, tmp_path, caplog, drawing):
    from .redisserver import REDIS_SERVER

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    password = "hunter2-team-secret"
    server = RedisServer(tmp_path / "redis", password=password).start()
    try:
        caplog.set_level(logging.DEBUG)
        with pytest.raises(CacheStorageError) as wrong:
            Client(api_key="sk-x", cache=server.url.replace(password, "not-" + password))
        client = client_for(sb, cache=server.url, qps=20, max_calls=100)
        df = client.search_designs(drawing, limit=3)
        shown = [repr(client), repr(client.team), str(client.cache_info()), repr(client.transport.limiter.gates),
                 str(wrong.value), repr(client.searcher.flight.shared)]
        server.stop()
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            client.search_designs(drawing, limit=3, refresh=True)
        shown += [str(w.message) for w in seen] + [str(client.cache_info())]
        shown.append(caplog.text)
        assert len(df) == 3 and seen
        for text in shown:
            assert password not in text, text
        assert "redis://***@127.0.0.1" in repr(client)
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------- faces

def test_cli_cache_info_and_clear_work_on_a_redis_url(sb, redis_url, redis_server, drawing, capsys):
    from patsnap_analytics.cli import main

    client = client_for(sb, cache=redis_url)
    client.search_designs(drawing, limit=3)
    assert main(["cache", "info", "--url", redis_url]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["backend"] == "redis" and info["responses"] == 1 and info["uploads"] == 1
    assert main(["cache", "clear", "--url", redis_url, "--spent"]) == 0
    out = capsys.readouterr().out
    assert "cache cleared" in out and json.loads(out[out.index("{"):])["responses"] == 0
    assert redis_keys(redis_server, "responses") == {} and redis_keys(redis_server, "uploads") == {}


def test_connect_and_the_cli_honour_PATSNAP_CACHE_URL(sb, redis_url, monkeypatch, capsys):
    from patsnap_analytics.cli import main

    monkeypatch.setenv("PATSNAP_CACHE_URL", redis_url)
    client = client_for(sb)
    assert client.team is not None and client.cache_info()["path"] == redis_url
    assert main(["cache", "info"]) == 0 and json.loads(capsys.readouterr().out)["backend"] == "redis"


def test_spend_gate_without_a_team_counts_in_this_process():
    gate = SpendGate(max_calls=2)
    gate.acquire()
    gate.acquire()
    with pytest.raises(BudgetExceeded):
        gate.acquire()
    assert gate.spent()["calls_total"] == 2
