"""Write data/verdicts.csv and data/portfolio.csv: the small ready-to-use verdict set and portfolio the notebooks
and examples use, made on the sandbox's default corpus (what `pa.connect()` starts without credentials).

The verdicts are the sandbox's synthetic truth (its design families; docs/engine.md) on the first 8 study queries
of seed 0 (`pa.demo.study_queries(client, 8)`: a family's design scanned, photographed or cropped), every one of
their first 25 search-id hits judged and every member of their families listed, through the same public calls a
study makes (`pa.verdicts.synthetic`): `same design` for the family's original, registrations and copies,
`similar` for its close variants, `different` for every other hit. Every row says
`verdict_source == "sandbox-synthetic"`. The portfolio is three sample drawings and two registrations of the
corpus, for a watch.

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
QUERIES = 8  # study queries (seed 0): small, and one of each degradation at least twice
TOP = 25  # hits judged per query (the demo's depth)
COLUMNS = ["query", "query_key", "patent_id", "patent_pn", "verdict", "note", "reviewer", "verdict_source"]


def verdicts(client) -> pd.DataFrame:
    import patsnap_analytics as pa

    study = pa.demo.study_queries(client, QUERIES, seed=0)
    hits = client.search_many(study["image"], limit=TOP, progress=False)
    judged = pa.verdicts.synthetic(client, hits)
    return judged[COLUMNS]


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
        texts = {}
        for name, frame in (("verdicts.csv", verdicts(client)),
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
