"""A team's Redis that restarts empty, freezes, or is named wrongly (issue 20, part 3: items 7 and 11).

Every test talks to a real redis-server (Debian's package, started on a free loopback port; restarted on the same
port, or frozen with SIGSTOP, by the test itself) and to a real sandbox over HTTP. What a run cost is read from the
sandbox's own counters, what reached Redis from Redis's own statistics. Nothing here measures time; the frozen
Redis's stall is measured by ``benchmarks/bench_reliability.py``.
"""

from __future__ import annotations

import logging
import os
import signal
import warnings

import pytest

from patsnap_analytics import Client, Team
from patsnap_analytics.errors import BudgetExceeded, CacheStorageError, CacheStorageWarning, ValidationError

from .conftest import SEARCH, UPLOAD, client_for
from .frozenproxy import FreezableProxy
from .redisserver import REDIS_SERVER, RedisServer
from .test_batch import drawings, write_folder

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (it is restarted or frozen)."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    if server.process is not None and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def said(seen, text: str) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, CacheStorageWarning) and text in str(w.message)]


# ------------------------------------------------------------------ 7: a restart never resets the budget

def test_a_redis_restarted_empty_never_resets_the_team_budget(sb, own_redis):
    images = drawings(20, seed=71)
    client = client_for(sb, cache=own_redis.url, max_calls=30)
    for image in images[:10]:
        client.search_designs(image, limit=3)  # an upload and a search each: 20 of the 30
    assert sum(sb.stats.values()) == 20
    own_redis.restart()  # empty, on the same port
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(BudgetExceeded, match="max_calls=30"):
            for image in images[10:]:
                client.search_designs(image, limit=3)
    assert sum(sb.stats.values()) == 30  # 40 before: the count started again from zero, without a word
    assert len(said(seen, "Redis lost the team's data")) == 1
    assert client.spend.spent()["calls_total"] == 30
    assert client.cache_info()["team"]["restarts"] == 1


def test_answers_held_in_redis_before_it_restarted_are_not_paid_again(sb, own_redis):
    images = drawings(6, seed=72)
    client = client_for(sb, cache=own_redis.url)
    for image in images:
        client.search_designs(image, limit=3)
    paid = dict(sb.stats)
    own_redis.restart()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        again = [client.search_designs(image, limit=3) for image in images]
    assert dict(sb.stats) == paid  # 0 calls: served from this process's copy (6 uploads + 6 searches before)
    assert all(df.attrs["from_cache"] for df in again)
    assert len(said(seen, "Redis lost the team's data")) == 1
    # the answers came back to Redis for the team; one it then drops on purpose (another process clears the
    # cache) is dropped here too and paid again (its upload URL, lost only by the restart, is still reused)
    assert len(client_for(sb, cache=own_redis.url).session.cache.responses) == 6
    client_for(sb, cache=own_redis.url).clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheStorageWarning)  # not a restart: nothing to say
        assert not client.search_designs(images[0], limit=3).attrs["from_cache"]
    assert (sb.stats[UPLOAD], sb.stats[SEARCH]) == (paid[UPLOAD], paid[SEARCH] + 1)


# ------------------------------------------------------------------ 7: a frozen Redis is left alone once down

def test_a_frozen_redis_is_not_asked_again_once_it_is_marked_down(sb, own_redis, tmp_path):
    paths = write_folder(tmp_path / "q", drawings(12, seed=73))
    proxy = FreezableProxy(own_redis.port).start()  # as a SIGSTOPped Redis, counting what still reaches it
    try:
        client = client_for(sb, cache=Team(f"redis://127.0.0.1:{proxy.port}/0", timeout=1.0))
        client.search_designs(paths[0].read_bytes(), limit=3)  # the team works
        proxy.freeze()
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            df = client.search_many(paths, workers=4, limit=3, progress=False)
    finally:
        proxy.close()
    assert df["query"].nunique() == 12 and not df.attrs["failures"]
    assert len(said(seen, "goes on alone")) == 1
    # what was in flight when it froze (a worker's one request each, the lock renewer's), then nothing: no
    # retry of a request that timed out, no lock release, renewal or slot rest went to a Redis marked down
    assert proxy.sent_while_frozen <= 4 + 1, proxy.sent_while_frozen


# ------------------------------------------------------------------ 11: the URL's database and password

@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/abc", "redis://127.0.0.1:6379/-1",
                                 "redis://127.0.0.1:6379/0?db=x", "unix:///run/redis.sock?db=one"])
def test_a_database_that_is_not_a_number_is_refused_before_connecting(url):
    with pytest.raises(ValidationError, match="the Redis database must be a number"):
        Client(api_key="sk-x", cache=url)


def test_a_password_with_an_unencoded_at_sign_never_shows(sb, tmp_path, caplog, drawing):
    password = "p@ss-team-secret"
    server = RedisServer(tmp_path / "redis", password=password).start()
    try:
        url = f"redis://analyst:{password}@127.0.0.1:{server.port}/0"  # "@" not percent-encoded
        caplog.set_level(logging.DEBUG)
        with pytest.raises(CacheStorageError) as wrong:
            Client(api_key="sk-x", cache=url.replace(password, "n@t-" + password))
        logging.getLogger("patsnap_analytics").debug("connecting to %s", url)  # a log line naming the URL
        client = client_for(sb, cache=f"redis://:{password}@127.0.0.1:{server.port}/0", qps=20, max_calls=100)
        client.search_designs(drawing, limit=3)
        shown = [repr(client), repr(client.team), str(client.cache_info()), str(wrong.value),
                 repr(client.transport.limiter.gates), repr(client.searcher.flight.shared)]
        server.stop()
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            client.search_designs(drawing, limit=3, refresh=True)
        shown += [str(w.message) for w in seen] + [str(client.cache_info()), caplog.text]
        for text in shown:
            for fragment in (password, "ss-team-secret"):
                assert fragment not in text, text
    finally:
        server.stop()
    assert sb.stats[UPLOAD] == 1
