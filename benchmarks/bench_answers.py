"""Figures for docs/reliability.md (issue 20, client side): what an inconsistent vendor costs and yields —
pages whose totals disagree or overlap, impossible dates, one bad enrichment record, an answer that stops
early, a patent id that is a refusal marker or holds a comma. A stand-in server on 127.0.0.1 plays the
vendor; every figure is a count (calls received, rows, ranks), so the same script measures any version of
the toolkit. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_answers.py
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import patsnap_analytics as pa  # noqa: E402
from patsnap_analytics.wire.retry import RetryPolicy  # noqa: E402
from tests.standin import KEY, StandIn  # noqa: E402

IMAGE = "https://img.example/chair.png"
SEARCHES = ("/image-search/search-id", "/image-search/results", "/search/patent/image-single")
BIBLIO, SIMPLE, LEGAL = ("/basic-patent-data/simple-bibliography", "/basic-patent-data/simple-legal-status",
                         "/basic-patent-data/legal-status")


def row(rank: int, **fields) -> dict:
    return {"patent_id": f"p{rank}", "patent_pn": f"USD{900000 + rank}S", "title": f"Chair {rank}",
            "url": f"https://img.example/{rank}.png", "score": 0.5, **fields}


def pages(total_of, rows_of):
    def answer(h):
        offset, limit = int(h.query.get("offset") or 0), int(h.query.get("limit") or 100)
        h.json({"status": True, "error_code": 0, "data": {"patent_messages": rows_of(offset, limit),
                                                          "search_id": "S1",
                                                          "total_search_result_count": total_of(offset)}})
    return answer


def upto(total: int):
    return lambda offset, limit: [row(r) for r in range(offset + 1, min(offset + limit, total) + 1)]


def records(bad: dict[str, int] | None = None, answered=lambda ids: ids):
    def answer(h):
        path, ids = urlsplit(h.path).path, h.query["patent_id"].split(",")
        items = []
        for pid in answered(ids):
            if path == BIBLIO:
                items.append({"patent_id": pid, "bibliographic_data": {
                    "application_reference": {"date": (bad or {}).get(pid, 20190101)}}})
            elif path == SIMPLE:
                items.append({"patent_id": pid, "simple_legal_status": ["Active"]})
            else:
                items.append({"patent_id": pid, "legal_date": 20240131, "patent_legal": {"legal_status": ["Granted"]}})
        h.json({"status": True, "error_code": 0, "data": items})
    return answer


def attempt(call) -> tuple[object, list[str]]:
    """``call()``'s result (or the name of what it raised) and the warnings' classes."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out: object = call()
        except Exception as exc:  # a figure, whatever it is
            out = type(exc).__name__
    return out, sorted({w.category.__name__ for w in seen})


def describe(out: object) -> str:
    if not isinstance(out, pd.DataFrame):
        return f"raised {out}"
    attrs = out.attrs
    parts = [f"{len(out)} rows"]
    for key in ("total_count", "missing_ranks", "repeated_ranks"):
        if attrs.get(key) not in (None, []):
            parts.append(f"{key} {attrs[key]}")
    return ", ".join(parts)


def filled(out: object, column: str) -> int:
    """Rows of ``out`` with ``column`` filled (0 when it raised or the column is absent)."""
    if not isinstance(out, pd.DataFrame) or column not in out.columns:
        return 0
    return int(out[column].notna().sum())


def calls(api: StandIn, paths=SEARCHES) -> int:
    return sum(api.calls(p) for p in paths)


def paging(folder: Path) -> None:
    with StandIn() as api:
        api.answer = pages(lambda offset: 1100 if offset == 0 else 350, upto(350))
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "paging.sqlite")
        out, seen = attempt(lambda: client.search_designs(IMAGE, limit=1100))
        print(f"totals 1100 then 350, limit 1100: {describe(out)}; warnings {seen}; {calls(api)} calls")
        api.answer = pages(lambda offset: 1100, upto(1100))
        out, seen = attempt(lambda: client.search_designs(IMAGE, limit=1100))
        print(f"  re-run, the vendor consistent again: {describe(out)}; {calls(api)} calls in all")
    with StandIn() as api:
        api.answer = pages(lambda offset: 1100, lambda offset, limit: upto(1100)(max(0, offset - 5), limit))
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "overlap.sqlite")
        out, seen = attempt(lambda: client.search_designs(IMAGE, limit=200))
        rank = (int(out.set_index("patent_id").loc["p101", "rank"]) if isinstance(out, pd.DataFrame) else None)
        print(f"page 2 repeats 5 of page 1, limit 200: {describe(out)}; p101 (server rank 106) at rank {rank}; "
              f"warnings {seen}")


def dates(folder: Path) -> None:
    def rich(bad: bool):
        def answer(h):
            rows = [row(r, apdt=99991231 if bad and r == 3 else 20200101) for r in range(1, 6)]
            h.json({"status": True, "error_code": 0, "data": {"patent_messages": rows,
                                                              "total_search_result_count": 5}})
        return answer

    with StandIn() as api:
        api.answer = rich(bad=True)
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "dates.sqlite",
                           retry=RetryPolicy(backoff=0.01, max_backoff=0.02, jitter=False))
        out, _ = attempt(lambda: client.search_designs(IMAGE, endpoint="image-single", limit=5))
        print(f"apdt 99991231 in a rich row: {describe(out)}; {calls(api)} calls; "
              f"{len(client.session.cache.responses)} answers stored")
        out, _ = attempt(lambda: client.search_designs(IMAGE, endpoint="image-single", limit=5))
        print(f"  the same search again: {describe(out)}; {calls(api)} calls in all")


def enrichment(folder: Path) -> None:
    ids = [f"p{i}" for i in range(10)]
    frame = pd.DataFrame({"patent_id": ids})
    with StandIn() as api:
        api.answer = records(bad={"p3": 20241399})
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "records.sqlite")
        out, seen = attempt(lambda: client.enrich(frame, progress=False))
        kept = filled(out, "application_date")
        asked = [api.calls(p) for p in (BIBLIO, SIMPLE, LEGAL)]
        print(f"1 malformed date of 10 (P011): {describe(out) if not isinstance(out, pd.DataFrame) else 'a frame'};"
              f" {kept} of 10 dates kept; calls P011/P041/P013 {asked}; warnings {seen}")
    with StandIn() as api:
        api.answer = records(answered=lambda asked: asked[:2])
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "cut.sqlite")
        attempt(lambda: client.enrich(frame.head(5), fields="simple_legal_status", progress=False))
        api.answer = records()
        out, _ = attempt(lambda: client.enrich(frame.head(5), fields="simple_legal_status", progress=False))
        print(f"asked 5, answered the first 2, then asked again of a whole answer: "
              f"{filled(out, 'simple_legal_status')} of 5 filled, "
              f"{api.calls(SIMPLE)} calls in all")
    with StandIn() as api:
        api.answer = records(answered=lambda asked: [p for p in asked if p != "*refused*"])
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "refused.sqlite")
        attempt(lambda: client.enrich(pd.DataFrame({"patent_id": ["*refused*"]}), fields="simple_legal_status",
                                      progress=False))
        out, _ = attempt(lambda: client.enrich(frame.head(3), fields="simple_legal_status", progress=False))
        print(f"after a patent id '*refused*': 3 other patents enriched -> {filled(out, 'simple_legal_status')} filled, "
              f"{api.calls(SIMPLE) - 1} calls")
    with StandIn() as api:
        api.answer = records()
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "comma.sqlite")
        out, _ = attempt(lambda: client.enrich(pd.DataFrame({"patent_id": ["p1", "a,b"]}),
                                               fields="simple_legal_status", progress=False))
        sent = [r["query"].get("patent_id") for r in api.received]
        print(f"a patent id 'a,b': {describe(out) if not isinstance(out, pd.DataFrame) else 'a frame'}; sent {sent}")


def defaults(folder: Path) -> None:
    """Issue 20 part 2: the client's default endpoint reaches search_many (URLs: no upload)."""
    with StandIn() as api:
        api.answer = pages(lambda offset: 5, upto(5))
        client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "defaults.sqlite", endpoint="image-single")
        attempt(lambda: client.search_many([f"https://img.example/q{i}.png" for i in range(3)], limit=5,
                                           progress=False))
        print(f"Client(endpoint='image-single').search_many(3 images): calls by path "
              f"{ {p: api.calls(p) for p in SEARCHES if api.calls(p)} }")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        defaults(folder)
        paging(folder)
        dates(folder)
        enrichment(folder)


if __name__ == "__main__":
    main()
