"""The image-search family on loopback: image-single latency, paging to rank 1,100, and what the beta and
the colour model are for.

Printed, not asserted (tests never assert times):

1. **image-single, limit 100**: one call end to end through the client (HTTP, gateway, ranking, rich rows,
   frame; the upload done once before timing, no cache) — p50 / p95, next to the ranking alone. Target:
   HTTP p50 <= 60 ms at 100k designs.
2. **1,100 ranks paged**: ``limit=1100`` = 11 calls of 100 (image-single) or 1 search-id + 10 ``results``
   calls, wall time of the whole search. Target: <= 1 s on loopback.
3. **beta vs image-single on photo-like queries**: corpus drawings rendered as side-lit shaded photos
   (:func:`~patsnap_analytics.sandbox.linework.photo_like`); how often each endpoint finds the drawing the
   photo was made from (hit@1, hit@10, mean reciprocal rank).
4. **model 3 vs 4** on utility models whose two ink colours were swapped: where the original ranks.

    python benchmarks/bench_family.py                      # 100k designs (built and cached on first use)
    python benchmarks/bench_family.py --designs 2000 --repeats 20
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import numpy as np
from PIL import Image

import patsnap_analytics as pa
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.linework import photo_like
from patsnap_analytics.sandbox.ranking import Ranker
from patsnap_analytics.sandbox.sample import query_drawings


def ms(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def held_out_queries(n: int) -> list[bytes]:
    """``n`` distinct drawings no corpus holds: every timed search is a first search (no ranking kept)."""
    out = []
    for _, im in query_drawings(n, seed=11):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def latency(sb: Sandbox, client: pa.Client, repeats: int) -> None:
    images = held_out_queries(repeats + 1)
    urls = [client.upload_image(im).url for im in images]
    client.search_designs(urls[-1], endpoint="image-single", limit=100)  # warm-up
    http = []
    for url in urls[:repeats]:
        t0 = time.perf_counter()
        client.search_designs(url, endpoint="image-single", limit=100)
        http.append(time.perf_counter() - t0)
    ranker, query, core = Ranker(sb.engine), DesignQuery(endpoint="image-single", limit=100), []
    for image in images[:repeats]:  # the sandbox's ranking alone, for comparison
        t0 = time.perf_counter()
        ranker.rank([image], query, fresh=True).page(0, 100)
        core.append(time.perf_counter() - t0)
    print(f"image-single limit 100: HTTP p50 {ms(http, 50):.1f} ms, p95 {ms(http, 95):.1f} ms "
          f"(ranking alone p50 {ms(core, 50):.1f} ms)")


def paging(client: pa.Client, repeats: int) -> None:
    urls = [client.upload_image(im).url for im in held_out_queries(2 * repeats)]
    for k, endpoint in enumerate(("image-single", "search-id")):
        times = []
        for url in urls[k * repeats:(k + 1) * repeats]:  # a new query each time: its first page is ranked anew
            t0 = time.perf_counter()
            df = client.search_designs(url, endpoint=endpoint, limit=1100)
            times.append(time.perf_counter() - t0)
        calls = df.attrs["calls_spent"]
        print(f"{endpoint} limit 1100 ({calls} calls, {len(df)} ranks): p50 {ms(times, 50):.0f} ms, "
              f"max {max(times) * 1000:.0f} ms")


def beta_vs_single(sb: Sandbox, client: pa.Client, n: int) -> None:
    meta = sb.corpus.meta
    designs = np.flatnonzero(meta.patent_type.eq("D").to_numpy())
    picks = np.random.default_rng(0).choice(designs, size=min(n, designs.size), replace=False)
    ranks: dict[str, list[int]] = {"image-single": [], "image-single-beta": []}
    same_class: dict[str, list[float]] = {e: [] for e in ranks}
    for d in picks:
        query = photo_like(sb.corpus.view_path(int(d), 0).read_bytes(), seed=int(d))
        main = meta["loc"][d].split(",")[0]
        for endpoint, found in ranks.items():
            df = client.search_designs(query, endpoint=endpoint, model=2, limit=100)
            hit = df.loc[df.patent_id == meta.patent_id[d], "rank"]
            found.append(int(hit.iloc[0]) if len(hit) else 101)
            same_class[endpoint].append(float(np.mean([main in codes for codes in df["loc"][:10]])))
    for endpoint, found in ranks.items():
        r = np.array(found)
        print(f"photo-like queries ({len(r)}), {endpoint:18s}: hit@1 {np.mean(r == 1):.2f}, "
              f"hit@10 {np.mean(r <= 10):.2f}, MRR {np.mean(1 / r):.3f}, "
              f"top-10 in the drawing's class {np.mean(same_class[endpoint]):.2f}")


def colour_models(sb: Sandbox, client: pa.Client, n: int) -> None:
    meta = sb.corpus.meta
    ranks: dict[int, list[int]] = {3: [], 4: []}
    for d in np.flatnonzero(meta.patent_type.eq("U").to_numpy())[:n]:
        pixels = np.asarray(Image.open(sb.corpus.view_path(int(d), 0)).convert("RGB")).copy()
        inks = sorted({tuple(p) for p in pixels.reshape(-1, 3)} - {(255, 255, 255)})
        first, second = (pixels == inks[0]).all(-1), (pixels == inks[1]).all(-1)
        pixels[first], pixels[second] = inks[1], inks[0]
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG")
        for model, found in ranks.items():
            df = client.search_designs(buf.getvalue(), endpoint="image-single", patent_type="U", model=model,
                                       limit=100)
            hit = df.loc[df.patent_id == meta.patent_id[d], "rank"]
            found.append(int(hit.iloc[0]) if len(hit) else 101)
    for model, found in ranks.items():
        print(f"colour-swapped utility models ({len(found)}), model {model}: original at rank 1 in "
              f"{np.mean(np.array(found) == 1):.2f}, median rank {np.median(found):.0f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--quality", type=int, default=60, help="photo-like queries and colour swaps to measure")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with Sandbox(designs=args.designs) as sb:
        print(f"{args.designs} designs ready in {time.perf_counter() - t0:.0f} s "
              f"({int(sb.corpus.meta.patent_type.eq('U').sum())} utility models)")
        client = pa.connect(sandbox=sb, cache=False)
        latency(sb, client, args.repeats)
        paging(client, max(3, args.repeats // 8))
        if args.quality > 0:  # --quality 0: speed only
            beta_vs_single(sb, client, args.quality)
            colour_models(sb, client, max(1, args.quality // 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
