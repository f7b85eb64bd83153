"""search_many against a real sandbox over HTTP: costs are read from the server's own counters."""

from __future__ import annotations

import hashlib
import io
import json
import warnings

import pandas as pd
import pytest

from patsnap_analytics.batch import BatchIncompleteWarning, failures, image_inputs, pending
from patsnap_analytics.errors import BatchStopped, ValidationError
from patsnap_analytics.frames import FRAME_DTYPES
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.sample import query_drawings
from patsnap_analytics.wire.gates import StopGate

from .conftest import SEARCH, UPLOAD, client_for


def drawings(n: int, seed: int = 0) -> list[bytes]:
    """``n`` distinct held-out query drawings (never in the corpus) as PNG bytes."""
    out = []
    for _, im in query_drawings(n, seed=seed):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def write_folder(folder, images: list[bytes]) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(images):
        path = folder / f"q{i:02d}.png"
        path.write_bytes(data)
        paths.append(path)
    return paths


def gif_file(path):
    from PIL import Image

    Image.new("P", (20, 20)).save(path, "GIF")
    return path


def billed(sb: Sandbox) -> int:
    return sb.stats[UPLOAD] + sb.stats[SEARCH]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(designs=300) as sb:
        yield sb


@pytest.fixture
def sb(sandbox):
    sandbox.reset_stats()
    yield sandbox


@pytest.fixture
def client(sb, tmp_path):
    return client_for(sb, cache=tmp_path / "cache.sqlite")


def test_bad_images_cost_nothing_and_never_stop_the_others(sb, client, tmp_path):
    good = write_folder(tmp_path / "q", drawings(3))
    bad = [gif_file(tmp_path / "anim.gif"), tmp_path / "missing.png", b"not an image"]
    df = client.search_many([good[0], bad[0], good[1], bad[1], good[2], bad[2]], limit=5, progress=False)

    assert sorted(df["query"].unique()) == ["q00.png", "q01.png", "q02.png"]
    assert len(df) == 15 and df.groupby("query").size().eq(5).all()
    fails = failures(df)
    assert fails["image"].tolist() == ["anim.gif", "missing.png", "image #6"]
    assert set(fails["error"]) == {"InvalidImageError"}
    assert "GIF" in fails.loc[0, "message"] and "not found" in fails.loc[1, "message"]
    # 3 good images: one upload and one search each; the bad ones cost nothing
    assert sb.stats[UPLOAD] == 3 and sb.stats[SEARCH] == 3
    assert df.attrs["calls_spent"] == 6 and df.attrs["cache_hits"] == 0 and pending(df) == []
    assert dict(df.dtypes.astype(str)) == FRAME_DTYPES
    json.dumps(df.attrs)  # JSON-serialisable as promised


def test_second_run_is_served_by_the_cache(sb, client, tmp_path):
    folder = tmp_path / "q"
    write_folder(folder, drawings(4))
    first = client.search_many(folder, limit=5, progress=False)
    spent = billed(sb)
    again = client.search_many(str(folder), limit=5, progress=False)
    assert spent == 8 and billed(sb) == spent  # 0 calls the second time
    assert again.attrs["calls_spent"] == 0 and again.attrs["cache_hits"] == 4
    pd.testing.assert_frame_equal(first, again)
    # a new client on the same cache file (a new notebook session) pays nothing either
    later = client_for(sb, cache=tmp_path / "cache.sqlite")
    later.search_many(folder, limit=5, progress=False)
    assert billed(sb) == spent


def test_duplicates_are_searched_once(sb, client, tmp_path):
    a, b = drawings(2)
    path = write_folder(tmp_path / "q", [a])[0]
    url = f"{sb.url}/_sandbox/files/designs/7/0.png"  # a corpus drawing URL the sandbox issued
    df = client.search_many([path, a, b, url, url, bytearray(a)], limit=3, progress=False)
    assert sb.stats[UPLOAD] == 2 and sb.stats[SEARCH] == 3  # a once, b once, the URL once (no upload)
    short_a, short_b = (f"sha256:{hashlib.sha256(x).hexdigest()[:12]}" for x in (a, b))
    assert df["query"].unique().tolist() == ["q00.png", short_b, url]
    assert df.attrs["duplicates"] == [{"image": short_a, "same_as": "q00.png"}, {"image": url, "same_as": url},
                                      {"image": short_a, "same_as": "q00.png"}]
    queries = df.attrs["queries"]
    assert queries[url]["image_url"] == url and queries["q00.png"]["image_sha256"]


def test_series_input_names_and_clashing_labels(sb, client, tmp_path):
    imgs = drawings(3)
    p1 = write_folder(tmp_path / "one", [imgs[0]])[0]
    p2 = write_folder(tmp_path / "two", [imgs[1]])[0]  # the same file name in another folder
    frame = pd.DataFrame({"image": [str(p1), str(p2), None]})
    df = client.search_many(frame["image"], limit=2, progress=False)
    assert df["query"].unique().tolist() == ["q00.png", "q00.png (2)"]
    assert failures(df)["message"].str.contains("empty value").tolist() == [True]
    named = client.search_many([p1, imgs[2]], names=["chair", "lamp"], limit=2, progress=False)
    assert named["query"].unique().tolist() == ["chair", "lamp"]
    with pytest.raises(ValidationError, match="names"):
        client.search_many([p1], names=["a", "b"], progress=False)


def test_bad_filters_raise_before_any_call(sb, client, tmp_path):
    path = write_folder(tmp_path / "q", drawings(1))[0]
    with pytest.raises(ValidationError, match="limit"):
        client.search_many([path], limit=5000, progress=False)
    with pytest.raises(ValidationError, match="did you mean 'country'"):
        client.search_many([path], countries=["US"], progress=False)
    with pytest.raises(ValidationError, match="workers"):
        client.search_many([path], workers=0, progress=False)
    with pytest.raises(ValidationError, match="DataFrame"):
        client.search_many(pd.DataFrame({"image": [path]}), progress=False)
    assert billed(sb) == 0


def test_empty_input_gives_an_empty_typed_frame(sb, client, tmp_path):
    (tmp_path / "empty").mkdir()
    for images in ([], tmp_path / "empty", pd.Series([], dtype="object")):
        df = client.search_many(images, progress=False)
        assert len(df) == 0 and dict(df.dtypes.astype(str)) == FRAME_DTYPES
        assert df.attrs["calls_spent"] == 0 and df.attrs["failures"] == [] and df.attrs["pending"] == []


def test_max_calls_stops_before_exceeding_and_leaves_the_rest_pending(sb, client, tmp_path):
    paths = write_folder(tmp_path / "q", drawings(5))
    with pytest.warns(BatchIncompleteWarning, match="max_calls=5"):
        df = client.search_many(paths, max_calls=5, workers=1, limit=3, progress=False)
    assert billed(sb) == 5 and df.attrs["calls_spent"] == 5  # never a call past the budget
    # two images complete (4 calls); the third got its upload and then hit the budget
    assert df["query"].unique().tolist() == ["q00.png", "q01.png"]
    assert pending(df) == ["q02.png", "q03.png", "q04.png"] and failures(df).empty
    # the rest later: the cache serves the two done, the third's upload is reused
    rest = client.search_many(paths, limit=3, progress=False)
    assert billed(sb) == 5 + 1 + 2 * 2 and rest.attrs["cache_hits"] == 2 and len(rest) == 15


def test_a_budget_still_serves_cache_hits(sb, client, tmp_path):
    paths = write_folder(tmp_path / "q", drawings(3))
    client.search_many(paths[:2], limit=3, progress=False)
    sb.reset_stats()
    with pytest.warns(BatchIncompleteWarning):
        df = client.search_many(paths, max_calls=0, limit=3, progress=False)
    assert billed(sb) == 0 and df["query"].unique().tolist() == ["q00.png", "q01.png"]
    assert pending(df) == ["q02.png"]


def test_client_side_qps_keeps_the_server_limit_unviolated(tmp_path):
    # the server refuses a 4th call within any 1 s window (67200002); qps=4 client-side must never trip it
    with Sandbox(designs=300, qps_limit=4) as sb:
        client = client_for(sb, cache=tmp_path / "c.sqlite")
        df = client.search_many(drawings(6), qps=4, workers=4, limit=2, progress=False)
        detail = sb.stats_detail()
    assert df["query"].nunique() == 6 and failures(df).empty
    assert detail["calls"][UPLOAD] + detail["calls"][SEARCH] == 12
    assert detail["by_error_code"].get("67200002", 0) == 0 and client.stats.retries == 0


def test_without_qps_the_same_batch_trips_the_server_limit(tmp_path):
    # the control for the test above: the limit is real, so "zero 67200002" there means something
    with Sandbox(designs=300, qps_limit=4) as sb:
        client = client_for(sb, cache=tmp_path / "c.sqlite")
        df = client.search_many(drawings(6), workers=4, limit=2, progress=False)
        detail = sb.stats_detail()
    assert df["query"].nunique() == 6  # the client's retries recover
    assert detail["by_error_code"].get("67200002", 0) > 0


def test_daily_quota_stops_at_once_and_tomorrow_pays_only_for_the_rest(tmp_path):
    paths = write_folder(tmp_path / "q", drawings(6))
    with Sandbox(designs=300, daily_quota=7) as sb:
        client = client_for(sb, cache=tmp_path / "c.sqlite")
        with pytest.warns(BatchIncompleteWarning, match="DailyQuotaExceededError"):
            df = client.search_many(paths, workers=1, limit=3, progress=False)
        detail = sb.stats_detail()
        # u0 s0 u1 s1 u2 s2 u3 use the 7 calls; s3 is refused, and nothing is sent after it
        assert detail["by_error_code"] == {"67200007": 1}, detail
        assert billed(sb) == 8 and df.attrs["calls_spent"] == 8
        assert df["query"].unique().tolist() == ["q00.png", "q01.png", "q02.png"]
        assert pending(df) == ["q03.png", "q04.png", "q05.png"] and failures(df).empty
        assert df.attrs["stopped"]["error"] == "DailyQuotaExceededError"

        sb.advance_day()
        sb.reset_stats()
        with warnings.catch_warnings():
            warnings.simplefilter("error", BatchIncompleteWarning)
            done = client.search_many(paths, workers=3, limit=3, progress=False)
        # q03 was uploaded yesterday (1 search); q04, q05 need upload + search; q00..q02 come from the cache
        assert billed(sb) == 1 + 2 * 2 and done.attrs["calls_spent"] == 5 and done.attrs["cache_hits"] == 3
        assert done["query"].nunique() == 6 and pending(done) == []
        pd.testing.assert_frame_equal(done[done["query"].isin(["q00.png", "q01.png", "q02.png"])], df)


def test_auth_errors_stop_the_batch(sb, tmp_path):
    from patsnap_analytics.client import Client

    wrong = Client(api_key="sk-sandbox-wrong", base_url=sb.url, cache=tmp_path / "c.sqlite")
    with pytest.warns(BatchIncompleteWarning, match="AuthError|TokenExpired|CredentialsRejected"):
        df = wrong.search_many(drawings(5), workers=1, limit=2, progress=False)
    assert billed(sb) == 1  # the first refusal stops it: no call for the other four
    assert len(df) == 0 and len(pending(df)) == 5 and failures(df).empty


def test_progress_bar_runs(sb, client, tmp_path, capsys):
    df = client.search_many(drawings(2), limit=2, progress=True)
    err = capsys.readouterr().err
    assert df["query"].nunique() == 2 and "search_many" in err and "calls=" in err


def test_image_inputs_and_stop_gate(tmp_path):
    write_folder(tmp_path, drawings(2))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "C.JPG").write_bytes(b"")
    assert [p.name for p in image_inputs(tmp_path)] == ["C.JPG", "q00.png", "q01.png"]
    assert image_inputs("https://x/y.png") == ["https://x/y.png"]
    gate = StopGate()
    gate.acquire()
    gate.close("quota")
    with pytest.raises(BatchStopped):
        gate.acquire()
