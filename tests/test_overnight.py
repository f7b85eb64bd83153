"""Overnight batches (P062) over real HTTP: jobs of up to ten images, run by the sandbox in its calendar's night,
their ids kept beside the cache (a file that survives a restart, or a team's Redis), never submitted twice.
Call counts are the sandbox's server-side counters."""

from __future__ import annotations

import json

import pytest

from patsnap_analytics.errors import ValidationError
from patsnap_analytics.sandbox import Sandbox
from tests.conftest import SANDBOX_DESIGNS, UPLOAD, client_for, query_drawing_bytes

# the API's paths, written out here as the tests' own spec
CREATE, RESULT = "/search/patent/image-search/single-batch-create", "/search/patent/image-search/single-batch-result"


@pytest.fixture
def box():
    """A sandbox whose calendar starts on 2026-11-02 at noon: a job submitted now runs tonight."""
    with Sandbox(designs=SANDBOX_DESIGNS, seed=7, today="2026-11-02") as sb:
        yield sb


def spent(sb) -> dict[str, int]:
    return {path: n for path, n in sb.stats.items() if n}


def test_jobs_run_overnight_survive_a_restart_and_are_never_submitted_twice(box, tmp_path, query_images):
    cache = tmp_path / "cache.sqlite"
    images = [*query_images, *[tmp_path / f"extra-{i}.png" for i in range(4)]]
    for path, data in zip(images[len(query_images):], query_drawing_bytes(12)[8:], strict=True):
        path.write_bytes(data)
    jobs = client_for(box, cache=cache).submit_overnight(images, limit=20)
    assert spent(box) == {UPLOAD: 12, CREATE: 2}  # ten images a job
    assert jobs["state"].tolist() == ["submitted"] * 12 and jobs["job_id"].nunique() == 2
    assert jobs["query_key"].str.match(r"^sha256:[0-9a-f]{64}$").all()

    box.reset_stats()
    restarted = client_for(box, cache=cache)  # the notebook or the machine restarted: the ids are in the file
    again = restarted.submit_overnight(images[:3] + images[:1], limit=20)
    assert again["state"].tolist() == ["already submitted"] * 4 and spent(box) == {}
    assert restarted.submit_overnight(images[:1], limit=30)["state"].tolist() == ["submitted"]  # other filters

    box.reset_stats()
    waiting = restarted.collect_overnight(jobs["job_id"].unique().tolist())
    assert len(waiting) == 0 and spent(box) == {RESULT: 2}
    assert [j["status"] for j in waiting.attrs["workflow"]["waiting"]] == ["waiting", "waiting"]
    assert waiting.attrs["pending"] == jobs["query"].tolist()

    box.advance_clock(20 * 3600 + 60)  # 08:01 the next morning
    box.reset_stats()
    done = client_for(box, cache=cache).collect_overnight()
    assert spent(box) == {RESULT: 3} and not done.attrs["pending"]
    assert sorted(done.attrs["workflow"]["finished"]) == sorted({*jobs["job_id"], *restarted.overnight_jobs().job_id})
    # every image's 20 rows; the first image is also in the job with other filters (30 rows more)
    assert done.groupby("query").size().to_dict() == {**dict.fromkeys(jobs["query"], 20), jobs["query"].iloc[0]: 50}
    # each image's rows are what image-single answers for it (searched now, the same day)
    direct = client_for(box, cache=":memory:").search_designs(images[4], endpoint="image-single", limit=20)
    got = done[(done["query"] == jobs["query"].iloc[4]) & (done["total_count"].notna())]
    assert got["patent_id"].head(20).tolist() == direct["patent_id"].tolist()
    assert got["score"].head(20).tolist() == pytest.approx(direct["score"].tolist())

    box.reset_stats()
    collected = client_for(box, cache=cache).collect_overnight()
    assert spent(box) == {} and len(collected) == len(done)  # a finished job is never asked again
    listed = client_for(box, cache=cache).overnight_jobs()
    assert set(listed["state"]) == {"done"} and listed["images"].sum() == 13


def test_bad_input_costs_nothing(box, tmp_path):
    client = client_for(box, cache=":memory:")
    with pytest.raises(ValidationError, match="at most 100 ranks"):
        client.submit_overnight(["a.png"], limit=101)
    with pytest.raises(ValidationError, match="image-single"):
        client.submit_overnight(["a.png"], endpoint="search-id")
    with pytest.raises(ValidationError) as info:
        client.collect_overnight(["no-such-job"])
    assert info.value.parameter == "job_ids"
    jobs = client.submit_overnight([tmp_path / "missing.png", b"GIF89a...."], limit=5)
    assert len(jobs) == 0 and [f["error"] for f in jobs.attrs["failures"]] == ["InvalidImageError"] * 2
    assert sum(box.stats.values()) == 0


def test_a_team_shares_its_jobs_in_redis_without_expiry(box, redis_url, redis_server):
    urls = [f"{box.url}/_sandbox/files/designs/{d}/0.png" for d in (2, 4, 6)]
    submitted = client_for(box, cache=redis_url).submit_overnight(urls, limit=5)
    assert spent(box) == {CREATE: 1}  # URLs are sent as they are: no upload
    colleague = client_for(box, cache=redis_url)
    assert colleague.submit_overnight(urls, limit=5)["state"].tolist() == ["already submitted"] * 3
    box.advance_clock(21 * 3600)
    done = colleague.collect_overnight()
    assert done.groupby("query").size().to_dict() == dict.fromkeys(urls, 5)
    assert set(done["query_key"]) == {f"url:{u}" for u in urls} and spent(box) == {CREATE: 1, RESULT: 1}
    r = redis_server.client()
    keys = list(r.scan_iter(match="patsnap-analytics:overnight_jobs:*"))
    assert len(keys) == 4 and all(r.pttl(k) == -1 for k in keys)  # the job and its three images, kept
    record = json.loads(r.get(next(k for k in keys if b"|job|" in k)))
    assert record["job_id"] == submitted["job_id"].iloc[0] and record["state"] == "done"


def test_clearing_the_cache_keeps_the_jobs_and_a_cacheless_client_is_warned(box, tmp_path):
    url = f"{box.url}/_sandbox/files/designs/1/0.png"
    client = client_for(box, cache=tmp_path / "c.sqlite")
    client.submit_overnight([url], limit=5)
    client.clear_cache()  # answers, uploads and records go; the job ids a user must never lose stay
    assert client_for(box, cache=tmp_path / "c.sqlite").submit_overnight([url], limit=5)["state"].tolist() == [
        "already submitted"]
    import warnings

    import patsnap_analytics as pa

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        pa.Client(box.api_key, base_url=box.url, cache=False).submit_overnight([url], limit=5)
    assert any("memory only" in str(w.message) for w in seen)
