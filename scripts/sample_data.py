"""Write data/verdicts.csv and data/portfolio.csv: the small ready-to-use verdict set and portfolio the notebooks
use, made on the sandbox's default corpus (what `pa.connect()` starts without credentials).

Verdicts are synthetic and say so (``verdict_source``): the sample drawings are held out of the corpus, so none of
their hits is the same design; a hit of the query's Locarno subclass (in the file name) is "similar", of its class
but another subclass "unsure", of another class "different". The portfolio is three sample drawings and two
registrations of the corpus, for a watch.

    python scripts/sample_data.py            # writes both files (same corpus and engine: the same bytes)
    python scripts/sample_data.py --check    # exit 1 if the committed files differ from what it would write
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TOP = 25  # hits judged per query (the demo's depth)


def _subclass(name: str) -> str:
    """'query-3-06-01-chair.png' -> '06-01'."""
    parts = name.split("-")
    return f"{parts[2]}-{parts[3]}"


def verdicts(client, corpus_loc: dict[str, list[str]]) -> pd.DataFrame:
    import patsnap_analytics as pa

    hits = client.search_many(pa.demo.sample_queries(), limit=TOP, progress=False)
    rows = []
    for _, hit in hits.iterrows():
        wanted = _subclass(str(hit["query"]))
        codes = corpus_loc.get(str(hit["patent_id"]), [])
        verdict = ("similar" if wanted in codes else "unsure" if any(c[:2] == wanted[:2] for c in codes)
                   else "different")
        rows.append({"query": hit["query"], "query_key": hit["query_key"], "patent_id": hit["patent_id"],
                     "patent_pn": hit["patent_pn"], "verdict": verdict,
                     "note": f"query {wanted}; hit {', '.join(codes) or 'no class'}",
                     "reviewer": "synthetic", "verdict_source": "sandbox-synthetic (Locarno class)"})
    return pd.DataFrame(rows)


def portfolio(numbers: list[str]) -> pd.DataFrame:
    import patsnap_analytics as pa

    drawings = [p.name for p in pa.demo.sample_queries()][:3]
    return pd.DataFrame({"item": [*drawings, *numbers],
                         "kind": ["drawing"] * len(drawings) + ["patent number"] * len(numbers),
                         "note": [f"data/queries/{d}" for d in drawings]
                         + ["a registration of the sandbox's default corpus"] * len(numbers)})


def build() -> dict[str, str]:
    import patsnap_analytics as pa

    client = pa.connect(sandbox=True, cache=False)
    try:
        meta = client.owned_sandbox.corpus.meta
        loc = {str(pid): [c.strip() for c in str(codes).split(",") if c.strip()]
               for pid, codes in zip(meta["patent_id"], meta["loc"], strict=True)}
        texts = {}
        for name, frame in (("verdicts.csv", verdicts(client, loc)),
                            ("portfolio.csv", portfolio([str(pn) for pn in meta["patent_pn"].iloc[:2]]))):
            buf = io.StringIO()
            frame.to_csv(buf, index=False, lineterminator="\n")
            texts[name] = buf.getvalue()
        return texts
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true")
    check = args.parse_args(argv).check
    stale = []
    for name, text in build().items():
        path = DATA / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    if stale:
        print(f"stale: {', '.join(stale)}: run python scripts/sample_data.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
