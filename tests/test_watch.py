"""Watches over real HTTP: a sandbox whose calendar starts on 2023-06-01 is moved on, and the designs published
meanwhile appear; the watch's runs are kept beside the cache (a file that survives a restart, or a team's
Redis, without expiry). Call counts are the sandbox's server-side counters; what is new is checked against the
corpus's own publication dates."""

from __future__ import annotations

import pandas as pd
import pytest

from patsnap_analytics.errors import ValidationError
from patsnap_analytics.report import landscape_report
from patsnap_analytics.sandbox import Sandbox
from tests.conftest import SANDBOX_DESIGNS, client_for

# the API's paths, written out here as the tests' own spec
PN, DRAWING = "/search/patent/patent-search-pn", "/basic-patent-data/abstract-image"
SINGLE, UPLOAD = "/search/patent/image-single", "/image-search/image-upload"
START = pd.Timestamp("2023-06-01")
OPTIONS = dict(endpoint="image-single", model=2, limit=100, progress=False)


@pytest.fixture
def box():
    with Sandbox(designs=SANDBOX_DESIGNS, seed=7, today=START.date()) as sb:
        yield sb


def spent(sb) -> dict[str, int]:
    return {path: n for path, n in sb.stats.items() if n}


def designs_published(sb, first: pd.Timestamp | None, last: pd.Timestamp) -> set[str]:
    meta = sb.corpus.meta
    window = (meta.patent_type == "D") & (meta.pbdt <= last) & ((meta.pbdt >= first) if first is not None else True)
    return set(meta.patent_id[window])


def portfolio(sb) -> tuple[str, str, str]:
    """A product drawing kept at a URL, and a registration by number (published before the calendar starts)."""
    meta = sb.corpus.meta
    drawing = f"{sb.url}/_sandbox/files/designs/11/0.png"
    own = meta[(meta.patent_type == "D") & (meta.pbdt < START)].iloc[3]
    return drawing, own.patent_pn, own.patent_id


def test_a_watch_returns_everything_first_then_only_what_was_published_since(box, tmp_path):
    drawing, number, own_id = portfolio(box)
    cache = tmp_path / "cache.sqlite"
    first = client_for(box, cache=cache).watch("ours", [drawing, number], **OPTIONS)
    before = designs_published(box, None, START)
    found = set(first.loc[first["query"] == drawing, "patent_id"])
    assert found <= before and len(found) == min(100, len(before))  # the best 100 of all published so far
    assert (first["publication_date"] <= START).all()
    assert own_id not in set(first.loc[first["query"] == number, "patent_id"])  # a registration is not its own hit
    assert first.attrs["workflow"] == {"kind": "watch", "name": "ours", "run": 1, "first_run": True,
                                       "new_since": None, "until": "2023-06-01"}
    assert set(first["query_key"]) == {f"url:{drawing}", f"pn:{number}"}
    assert spent(box) == {SINGLE: 2, PN: 1, DRAWING: 1}

    box.reset_stats()
    again = client_for(box, cache=cache).watch("ours", [drawing, number], **OPTIONS)  # the same day
    assert len(again) == 0 and spent(box) == {}  # looked at today already: nothing sent

    box.advance_clock(60 * 86400)
    end = START + pd.Timedelta(days=60)
    later = client_for(box, cache=cache).watch("ours", [drawing, number], **OPTIONS)  # a restart in between
    new = designs_published(box, START, end) - set(first["patent_id"])
    assert new, "the corpus publishes designs in those 60 days"
    assert set(later.loc[later["query"] == drawing, "patent_id"]) == new
    assert set(later.loc[later["query"] == number, "patent_id"]) == new - {own_id}
    assert later["publication_date"].between(START, end).all()
    assert later.attrs["workflow"]["new_since"] == "2023-06-01" and later.attrs["workflow"]["until"] == end.date().isoformat()
    # one search each; the number's drawing link (kept 8 hours by the client, whose own clock did not move) is
    # refused by the sandbox, whose calendar did: asked for again once, then searched again
    assert spent(box) == {SINGLE: 3, DRAWING: 1}
    runs = client_for(box, cache=cache).watch_runs("ours")
    assert runs["run"].tolist() == [1, 2, 3] and runs["new"].tolist() == [len(first), 0, len(later)]
    assert runs["until"].tolist() == ["2023-06-01", "2023-06-01", end.date().isoformat()]

    html = landscape_report(later, tmp_path / "new.html").read_text(encoding="utf-8")
    assert "New since 2023-06-01" in html and "watch &#39;ours&#39;" in html


def test_an_image_file_is_uploaded_per_run_and_a_failed_item_keeps_its_window(box, tmp_path, query_images):
    cache = tmp_path / "cache.sqlite"
    items = [str(query_images[0]), "USD9999999S", str(tmp_path / "missing.png")]
    first = client_for(box, cache=cache).watch("mixed", items, **OPTIONS)
    assert {f["image"]: f["error"] for f in first.attrs["failures"]} == {
        "USD9999999S": "UnknownPatentError", str(tmp_path / "missing.png"): "InvalidImageError"}
    assert spent(box) == {UPLOAD: 1, SINGLE: 1, PN: 1}
    runs = client_for(box, cache=cache).watch_runs("mixed")
    assert runs.loc[0, ["items", "searched"]].tolist() == [3, 1]


@pytest.mark.parametrize(("call", "parameter"), [
    (dict(name=""), "name"), (dict(name="a|b"), "name"), (dict(public_start_time="2023-01-01"), "public_start_time"),
    (dict(since="2099-01-01"), "since"), (dict(today="2023-02-30"), "today"), (dict(endpoint="image-multiple"), "endpoint"),
])
def test_bad_watches_are_refused_before_any_call(box, call, parameter):
    name = call.pop("name", "ours")
    with pytest.raises(ValidationError) as info:
        client_for(box, cache=":memory:").watch(name, ["USD0430005S"], **call)
    assert info.value.parameter == parameter and sum(box.stats.values()) == 0


def test_a_watch_keeps_its_filters(box):
    client = client_for(box, cache=":memory:")
    drawing, _, _ = portfolio(box)
    client.watch("ours", [drawing], **OPTIONS)
    box.reset_stats()
    with pytest.raises(ValidationError, match="reset=True"):
        client.watch("ours", [drawing], **{**OPTIONS, "limit": 50})
    assert sum(box.stats.values()) == 0
    fresh = client.watch("ours", [drawing], reset=True, **{**OPTIONS, "limit": 50})
    assert fresh.attrs["workflow"]["first_run"] and len(fresh) == 50


def test_a_team_shares_its_watches_and_they_never_expire(box, redis_url, redis_server):
    drawing, _, _ = portfolio(box)
    client_for(box, cache=redis_url).watch("team", [drawing], **OPTIONS)
    box.advance_clock(30 * 86400)
    box.reset_stats()
    colleague = client_for(box, cache=redis_url)  # another process, another machine: the same Redis
    later = colleague.watch("team", [drawing], **OPTIONS)
    assert later.attrs["workflow"]["run"] == 2 and later.attrs["workflow"]["new_since"] == "2023-06-01"
    assert spent(box) == {SINGLE: 1}
    r = redis_server.client()
    keys = list(r.scan_iter(match="patsnap-analytics:watches:*"))
    assert len(keys) == 1 and r.pttl(keys[0]) == -1  # no expiry: a watch's history is never lost
