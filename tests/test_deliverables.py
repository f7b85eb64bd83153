"""Issue 22: deliverables fit to send — counters, charts and their refusals, exports from every path, the CLI's
set-up and messages, the app's guards. Each test failed on the code before the issue was worked (said per test).

Browser checks (the report on screen and on A4, CJK glyphs, the app's upload limit) are in
``test_deliverables_browser.py``.
"""

from __future__ import annotations

from .conftest import QUERIES, client_for


# ------------------------------------------------------------------------------------------------ counters
def test_calls_saved_counts_api_calls_only_thumbnails_apart(sb, tmp_path):
    """A first search whose thumbnails are read twice saves no API call (it said 2 before: the re-reads)."""
    client = client_for(sb, cache=tmp_path / "c.sqlite")
    hits = client.search_designs(QUERIES / "query-1-10-02-watch.png", limit=2)
    for _ in range(2):
        for url in hits["image_url"]:
            client.fetch_image(url)
    stats = client.stats.as_dict()
    assert stats["image_cache_hits"] == 2 and stats["calls_saved"] == 0
    client.search_designs(QUERIES / "query-1-10-02-watch.png", limit=2)  # a repeated search: one page saved
    assert client.stats.calls_saved == 1 and client.stats.as_dict()["image_cache_hits"] == 2
    assert sum(sb.stats.values()) == client.stats.total_calls
