"""Reviewers' verdicts, the loop closed: results carry a query key, the reviewer workbook has a Verdict drop-down,
filled workbooks (and CSVs) read back by key, verdicts are stored beside the cache (never expiring) and later
results show them. Over real HTTP against the sandbox where a search is involved."""

from __future__ import annotations

import hashlib

from .conftest import SEARCH, TOKEN, UPLOAD, calls, client_for


# ---------------------------------------------------------------------------------------------- the query key
def test_every_result_row_carries_the_image_s_key_whatever_the_query_is_called(sb, query_images):
    client = client_for(sb, cache=False)
    data = query_images[0].read_bytes()
    named = client.search_designs(data, limit=5, name="renamed.png")
    by_path = client.search_designs(str(query_images[0]), limit=5)
    key = "sha256:" + hashlib.sha256(data).hexdigest()
    assert named["query_key"].tolist() == [key] * 5 and by_path["query_key"].tolist() == [key] * 5
    assert named["query"].iloc[0] != by_path["query"].iloc[0]  # two names, one key
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 2}


def test_a_batch_and_one_design_s_views_carry_their_keys(sb, query_images):
    client = client_for(sb, cache=False)
    images = [p.read_bytes() for p in query_images[:2]]
    keys = ["sha256:" + hashlib.sha256(b).hexdigest() for b in images]
    batch = client.search_many(images, limit=3, progress=False)
    assert batch.groupby("query", sort=False)["query_key"].unique().map(list).tolist() == [[keys[0]], [keys[1]]]
    views = client.search_designs(images, limit=3)                 # one design in two views: image-multiple
    assert set(views["query_key"]) == {"+".join(keys)}
    assert not batch["query_key"].isna().any()
