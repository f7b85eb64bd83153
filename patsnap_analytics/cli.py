"""The ``patsnap-analytics`` command: search, demo, cache and sandbox sub-commands.

Example:
    $ patsnap-analytics search patsnap_analytics/samples/query-1-10-02-watch.png --country US,CN --limit 20 --out hits.csv
    $ patsnap-analytics demo                 # sandbox search + landscape report, prints the report's path
    $ patsnap-analytics cache info
    $ patsnap-analytics cache clear --url redis://team-cache:6379/0
    $ patsnap-analytics sandbox serve --port 8765
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import PatsnapError
from .exports import write_frame
from .query import FILTERS

__all__ = ["main"]

def _add_filters(parser: argparse.ArgumentParser) -> None:
    """One ``--flag`` per search filter, worded by the FILTERS table (``--country``, ``--limit``, …)."""
    for name, spec in FILTERS.items():
        flag = f"--{name.replace('_', '-')}"
        if spec.high is not None:  # a count
            parser.add_argument(flag, dest=name, type=int, default=spec.default,
                                help=f"{spec.help} (default {spec.default})")
        else:
            parser.add_argument(flag, dest=name, help=spec.help)


def _filters(args: argparse.Namespace) -> dict:
    return {name: getattr(args, name) for name in FILTERS if getattr(args, name) is not None}


def _connect(args: argparse.Namespace):
    from .connect import connect

    options: dict = {}
    if getattr(args, "offline", False):
        options["offline"] = True
    if getattr(args, "no_cache", False):
        options["cache"] = False
    return connect(sandbox=True if getattr(args, "sandbox", False) else None, **options)


def _cmd_search(args: argparse.Namespace) -> int:
    import pandas as pd

    from .query import DesignQuery

    DesignQuery.from_filters(**_filters(args))  # bad flags fail here, before a sandbox or a call
    client = _connect(args)
    try:
        df = client.search_designs(args.image, refresh=args.refresh, **_filters(args))
    finally:
        client.close()
    with pd.option_context("display.max_rows", 200, "display.width", 160, "display.max_colwidth", 40):
        print(df[["rank", "patent_pn", "title", "score", "country"]].to_string(index=False))
    source = df.attrs.get("source")
    print(f"\n{len(df)} of {df.attrs.get('total_count')} matching designs"
          f"{' [sandbox data]' if source == 'sandbox' else ''}; calls: {client.stats.as_dict()['calls']}")
    if args.out:
        print(f"written: {write_frame(df, args.out)}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    path = run_demo(out_dir=Path(args.out), designs=args.designs)
    print(f"report: {path}")
    return 0


def _cmd_cache(args: argparse.Namespace) -> int:
    import warnings

    from .client import Client
    from .errors import CacheStorageWarning

    where = args.url or args.path or True  # by default PATSNAP_CACHE_URL, else the user cache file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheStorageWarning)  # info reports the problem below; clear fixes it
        client = Client(offline=True, cache=where)
        if args.action == "clear":
            client.clear_cache()
            if args.spent and client.spend is not None:
                client.spend.reset()
            client.close()
            print("cache cleared" + (" (and the team's call counts)" if args.spent else ""))
            client = Client(offline=True, cache=where)  # a corrupt file was replaced by a new one
        print(json.dumps(client.cache_info(), indent=1))
        client.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``patsnap-analytics`` command."""
    from .sandbox.sample import DEFAULT_DESIGNS

    parser = argparse.ArgumentParser(prog="patsnap-analytics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    search = sub.add_parser("search", help="find designs similar to an image and print them")
    search.add_argument("image", help="image file (JPG/PNG) or http(s) image URL")
    _add_filters(search)
    search.add_argument("--out", help="also write the results (.csv, .parquet, .xlsx, .json)")
    search.add_argument("--sandbox", action="store_true", help="use the embedded sandbox even with credentials")
    search.add_argument("--offline", action="store_true", help="answer only from the cache")
    search.add_argument("--refresh", action="store_true", help="ask the API again, replacing the cached answer")
    search.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    search.set_defaults(func=_cmd_search)

    demo = sub.add_parser("demo", help="search the sample queries on the sandbox and write a landscape report")
    demo.add_argument("--out", default="demo-output", help="output folder (default ./demo-output)")
    demo.add_argument("--designs", type=int, default=DEFAULT_DESIGNS,
                      help=f"size of the sandbox corpus (default {DEFAULT_DESIGNS})")
    demo.set_defaults(func=_cmd_demo)

    cache = sub.add_parser("cache", help="show or clear the HTTP cache (a file, or a team's Redis)")
    cache.add_argument("action", choices=["info", "clear"])
    where = cache.add_mutually_exclusive_group()
    where.add_argument("--path", help="cache file (default: PATSNAP_CACHE_URL if set, else the user cache directory)")
    where.add_argument("--url", help="a team's Redis, e.g. redis://host:6379/0 (default: PATSNAP_CACHE_URL)")
    cache.add_argument("--spent", action="store_true",
                       help="with clear and a team's Redis: also start the team's call counts again (max_calls)")
    cache.set_defaults(func=_cmd_cache)

    from .sandbox.cli import add_sandbox_parser

    add_sandbox_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``patsnap-analytics`` command; returns the exit status.

    Errors the user can fix (bad filters, bad image, quota) are printed as one line, not a traceback.

    Example:
        >>> main(["search", "/no/such.png", "--limit", "0"])
        2
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PatsnapError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
