"""The ``patsnap-analytics`` command: search, report, demo, cache and sandbox sub-commands.

Example:
    $ patsnap-analytics search "$(patsnap-analytics samples watch)" --country US,CN --limit 20 --out hits.csv
    $ patsnap-analytics report $(patsnap-analytics samples) USD0430005S --limit 25 --out report-output
    $ patsnap-analytics samples              # the sample drawings' paths, one a line (they ship with the package)
    $ patsnap-analytics demo                 # sandbox search + landscape report, prints the report's path
    $ patsnap-analytics cache info
    $ patsnap-analytics cache clear --url redis://team-cache:6379/0
    $ patsnap-analytics sandbox serve --port 8765
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .api import SEARCH_ENDPOINTS
from .errors import PatsnapError, ValidationError
from .exports import check_output_path, write_frame
from .frames import ResultInfo, sandbox_mark
from .query import FILTERS

__all__ = ["main"]

#: Keyword arguments that are not filters but have a flag of their own: an error about them names the flag.
_OTHER_FLAGS = ("endpoint", "out", "max_calls", "prior_art", "views", "designs")


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def cli_words(text: str) -> str:
    """A message as the command line says it: Python parameter names (``apply_start_time``, ``endpoint=``)
    become the flags that set them (``--apply-start-time``, ``--endpoint``); quoted values and code
    (``by='loc'``, ``client.enrich(df)``) stay as they are.

    Example:
        >>> cli_words("apply_start_time: must not be after apply_end_time (2020-01-01 > 2019-01-01)")
        '--apply-start-time: must not be after --apply-end-time (2020-01-01 > 2019-01-01)'
        >>> cli_words("model: the search-id endpoint does not take model; use endpoint= image-single")
        '--model: the search-id endpoint does not take --model; use --endpoint image-single'
        >>> cli_words("run client.label(df, by='loc') first")
        "run client.label(df, by='loc') first"
    """
    every = sorted((*FILTERS, *_OTHER_FLAGS), key=len, reverse=True)
    text = re.sub(r"(?<![\w.'\"-])(" + "|".join(map(re.escape, every)) + r")=(?!['\"])\s?",
                  lambda m: _flag(m.group(1)) + " ", text)  # endpoint= image-single -> --endpoint image-single
    head = re.match(r"(" + "|".join(map(re.escape, every)) + r"): ", text)  # the parameter a message names
    if head:
        text = _flag(head.group(1)) + text[len(head.group(1)):]
    filters = sorted(FILTERS, key=len, reverse=True)
    return re.sub(r"(?<![\w.'\"=/-])(" + "|".join(map(re.escape, filters)) + r")(?![\w'\"=(/-])",
                  lambda m: _flag(m.group(1)), text)


def _plain(text: str | None) -> str | None:
    """Help text without reStructuredText's literal quotes (a terminal shows ``x`` as it is)."""
    return None if text is None else text.replace("``", "")


def _without_rst(parser: argparse.ArgumentParser) -> None:
    """Every description and help of ``parser`` and its sub-commands, without RST markup."""
    parser.description = _plain(parser.description)
    for action in parser._actions:
        action.help = _plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = _plain(choice.help)
            for sub in action.choices.values():
                _without_rst(sub)

def _add_filters(parser: argparse.ArgumentParser) -> None:
    """One ``--flag`` per search filter, worded by the FILTERS table (``--country``, ``--limit``, …)."""
    for name, filter_ in FILTERS.items():
        flag = f"--{name.replace('_', '-')}"
        where = "" if filter_.taken_by("search-id") else " [image-single, -beta, -multiple]"
        if filter_.json_type == "integer":  # a count, a model or a 0/1 switch
            default = f" (default {filter_.default})" if filter_.default is not None else ""
            parser.add_argument(flag, dest=name, type=int, default=filter_.default,
                                help=f"{filter_.help}{default}{where}")
        elif filter_.json_type == "boolean":
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{filter_.help}{where}")
        else:
            parser.add_argument(flag, dest=name, help=f"{filter_.help}{where}")


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

    from .images import Views
    from .searcher import design_query_for

    # several images are several searches (one design each); --views makes them ONE design's views
    several = len(args.image) > 1 and not args.views
    target = Views(args.image) if args.views else args.image[0]
    # bad flags fail here, before a sandbox or a call, resolved as the client will (its default: search-id)
    design_query = design_query_for(target, endpoint=args.endpoint, **_filters(args))
    if args.views and design_query.endpoint != "image-multiple":
        raise ValidationError("--views", "views of one design are searched by image-multiple, not "
                                         f"{design_query.endpoint}")
    if args.out:
        check_output_path(args.out)  # a bad --out (extension, missing library, a folder) costs nothing either
    client = _connect(args)
    try:
        if several:
            chosen = {"endpoint": args.endpoint} if args.endpoint else {}  # else the client's default endpoint
            df = client.search_many(list(args.image), refresh=args.refresh, progress=False, **chosen,
                                    **_filters(args))
        else:
            df = client.search_designs(target, endpoint=args.endpoint, refresh=args.refresh, **_filters(args))
    finally:
        client.close()
    columns = ["query"] * several + ["rank", "patent_pn", "title", "score", "country"]
    with pd.option_context("display.max_rows", 200, "display.width", 160, "display.max_colwidth", 40):
        print(df[columns].to_string(index=False))
    info = ResultInfo.of(df)
    matching = " results" if several else f" of {info.total_count} matching designs"
    failed = "".join(f"\nfailed: {f['image']}: {f['message']}" for f in info.failures)
    print(f"\n{len(df)}{matching}{sandbox_mark(df)}; calls: "
          f"{client.stats.as_dict()['calls']}{failed}")
    if args.out:
        print(f"written: {write_frame(df, args.out)}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .query import DesignQuery
    from .workflows.deliverable import FILES, make_report, split_inputs

    split_inputs(args.inputs)  # an input that is no image, folder, URL or number fails before a sandbox starts
    DesignQuery.from_filters(endpoint=args.endpoint or "search-id", **_filters(args))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValidationError("--out", f"{args.out!r} is a file; give a folder for {', '.join(FILES.values())}")
    client = _connect(args)
    try:
        done = make_report(client, args.inputs, out, max_calls=args.max_calls, prior_art=args.prior_art,
                           endpoint=args.endpoint, title=args.title, progress=True, **_filters(args))
    finally:
        client.close()
    info = ResultInfo.of(done.frame)
    calls = done.calls
    print(f"{len(done.frame)} results, {done.frame['patent_id'].nunique() if len(done.frame) else 0} designs"
          f"{sandbox_mark(done.frame)}; calls: searches {calls['searches']}, "
          f"enrichment {calls['enrichment']}, labels {calls['labels']}")
    for f in info.failures:
        print(f"failed: {f['message'] if f['message'].startswith(f['image']) else f['image'] + ': ' + f['message']}")
    if info.pending:
        print(f"pending (not searched: run the same command again later): {', '.join(info.pending)}")
    for kind in ("report", "workbook", "csv"):
        print(f"{kind}: {done.paths[kind]}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    path = run_demo(out_dir=Path(args.out), designs=args.designs)
    print(f"report: {path}")
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    from .demo import sample_queries

    found = [p for p in sample_queries() if all(word.lower() in p.name.lower() for word in args.words)]
    if not found:
        names = ", ".join(p.name for p in sample_queries())
        raise ValidationError("WORDS", f"no sample drawing is called {' '.join(args.words)!r}; there are {names}")
    print("\n".join(str(p) for p in found))
    return 0


def _cmd_cache(args: argparse.Namespace) -> int:
    import warnings

    from .client import Client
    from .errors import CacheStorageWarning
    from .settings import Settings

    where: Path | str | bool = Path(args.path) if args.path else (args.url or True)  # True: PATSNAP_CACHE_URL or the file
    if args.path and not Path(args.path).is_file():  # looking must not create: a typo would become an empty cache
        raise ValidationError("--path", f"no cache file at {args.path!r}; leave --path out for the default "
                                        f"cache ({Settings.from_env().cache_file})")
    if where is True and not Settings.from_env().cache_url and not Settings.from_env().cache_file.is_file():
        print(json.dumps({"enabled": True, "path": str(Settings.from_env().cache_file), "exists": False,
                          "responses": 0, "uploads": 0}, indent=1))
        return 0
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


@contextmanager
def _notices_on_stderr() -> Iterator[None]:
    """While a command runs, the package's INFO notices (e.g. "using the embedded sandbox") go to stderr."""
    logger = logging.getLogger("patsnap_analytics")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("patsnap-analytics: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``patsnap-analytics`` command."""
    from .sandbox.sample import DEFAULT_DESIGNS

    parser = argparse.ArgumentParser(prog="patsnap-analytics", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    search = sub.add_parser("search", help="find designs similar to an image and print them")
    search.add_argument("image", nargs="+", help="image file (JPG/PNG) or http(s) image URL; several are several "
                                                "searches (one design each), unless --views")
    search.add_argument("--views", action="store_true",
                        help="the images are 1-4 views of ONE design: one image-multiple search")
    search.add_argument("--endpoint", choices=list(SEARCH_ENDPOINTS),
                        help="search-id (default), image-single, image-single-beta (photos, renderings) or "
                             "image-multiple (views); see docs/endpoints.md")
    _add_filters(search)
    search.add_argument("--out", help="also write the results (.csv, .parquet, .xlsx, .json); checked before "
                                      "any call")
    search.add_argument("--sandbox", action="store_true", help="use the embedded sandbox even with credentials")
    search.add_argument("--offline", action="store_true", help="answer only from the cache")
    search.add_argument("--refresh", action="store_true", help="ask the API again, replacing the cached answer")
    search.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    search.set_defaults(func=_cmd_search)

    report = sub.add_parser("report", help="search images, folders or patent numbers, enrich the hits and write "
                                           "the landscape report, the reviewers' workbook and the CSV")
    report.add_argument("inputs", nargs="+", metavar="IMAGE_OR_FOLDER_OR_NUMBER",
                        help="image files (JPG/PNG), folders of them, http(s) image URLs or patent numbers "
                             "(USD0435025S: searched by their drawing); each is its own search")
    report.add_argument("--out", required=True, help="the folder to write landscape.html, review.xlsx and "
                                                     "results.csv into (created)")
    report.add_argument("--max-calls", type=int, help="refuse, before any call, a run that may cost more calls")
    report.add_argument("--prior-art", action="store_true",
                        help="patent numbers: only designs filed before each one's application date")
    report.add_argument("--endpoint", choices=[e for e in SEARCH_ENDPOINTS if e != "image-multiple"],
                        help="search-id (default), image-single or image-single-beta; see docs/endpoints.md")
    report.add_argument("--title", help="the report's title")
    _add_filters(report)
    report.add_argument("--sandbox", action="store_true", help="use the embedded sandbox even with credentials")
    report.add_argument("--offline", action="store_true", help="answer only from the cache")
    report.set_defaults(func=_cmd_report)

    demo = sub.add_parser("demo", help="search the sample queries on the sandbox and write a landscape report")
    demo.add_argument("--out", default="demo-output", help="output folder (default ./demo-output)")
    demo.add_argument("--designs", type=int, default=DEFAULT_DESIGNS,
                      help=f"size of the sandbox corpus (default {DEFAULT_DESIGNS})")
    demo.set_defaults(func=_cmd_demo)

    samples = sub.add_parser("samples", help="print the paths of the sample query drawings that ship with the "
                                             "package (all, or those whose name holds every word given)")
    samples.add_argument("words", nargs="*", metavar="WORDS", help="e.g. watch, chair, 06-01")
    samples.set_defaults(func=_cmd_samples)

    cache = sub.add_parser("cache", help="show or clear the HTTP cache (a file, or a team's Redis)")
    cache.add_argument("action", choices=["info", "clear"])
    where = cache.add_mutually_exclusive_group()
    where.add_argument("--path", help="an existing cache file (default: PATSNAP_CACHE_URL if set, else the file in "
                                      "the user cache directory); a file that is not a patsnap-analytics cache "
                                      "is refused, untouched")
    where.add_argument("--url", help="a team's Redis, e.g. redis://host:6379/0 (default: PATSNAP_CACHE_URL)")
    cache.add_argument("--spent", action="store_true",
                       help="with clear and a team's Redis: also start the team's call counts again (max_calls)")
    cache.set_defaults(func=_cmd_cache)

    from .sandbox.cli import add_sandbox_parser

    add_sandbox_parser(sub)
    _without_rst(parser)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("patsnap-analytics")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``patsnap-analytics`` command; returns the exit status.

    Errors the user can fix (bad filters, bad image, quota) are printed as one line, not a traceback.

    Example:
        >>> main(["search", "/no/such.png", "--limit", "0"])
        2
    """
    args = build_parser().parse_args(argv)
    try:
        with _notices_on_stderr():
            return int(args.func(args) or 0)
    except ValidationError as exc:  # the user's own input: named by the flag that gave it, no class name
        print(f"error: {cli_words(str(exc))}", file=sys.stderr)
        return 2
    except PatsnapError as exc:
        print(f"error: {type(exc).__name__}: {cli_words(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
