"""``patsnap-analytics sandbox ...``: serve the sandbox, index your own drawings, build the sample corpus.

``serve`` runs the server until Ctrl+C; ``index`` turns a folder of drawings plus a metadata CSV into a
corpus; ``build`` makes (or reuses) the sample corpus and its search index ahead of time; ``queries``
writes the held-out sample query drawings (``data/queries`` is made with it), or with
``--study N`` a scoring study's queries made from the corpus's design families and their synthetic truth
(``truth.csv``, :mod:`.truth`).

The main command (``patsnap_analytics/cli.py``) mounts these with :func:`add_sandbox_parser` and calls
``args.func(args)``, which is :func:`run`; ``python -m patsnap_analytics.sandbox.cli sandbox ...`` works too.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="patsnap-analytics")
    >>> _ = add_sandbox_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["sandbox", "serve", "--port", "8765", "--qps-limit", "5"])
    >>> args.sandbox_command, args.port, args.qps_limit, args.latency, args.func is run
    ('serve', 8765, 5, None, True)
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..api import APIKEY_PARAM, UPLOAD
from .sample import DEFAULT_DESIGNS

__all__ = ["add_sandbox_parser", "main", "run"]

# CLI flag -> Sandbox fault knob (only flags the user gives are passed on; the rest keep their defaults)
_FAULT_FLAGS = {
    "latency": (float, "S", "seconds added to every business call"),
    "qps_limit": (int, "N", "calls per credential per second; beyond -> 67200002"),
    "rate_limit_fraction": (float, "F", "share of calls answered 67200002 (0..1)"),
    "service_error_fraction": (float, "F", "share of calls answered 68300008 (0..1)"),
    "http_503_fraction": (float, "F", "share of calls answered with HTTP 503 (0..1)"),
    "drop_fraction": (float, "F", "share of calls whose connection is dropped (0..1)"),
    "daily_quota": (int, "N", "successful calls per day; beyond -> 67200007"),
    "balance": (int, "N", "successful calls the account can pay for; then 67200005"),
    "token_lifetime": (float, "S", "seconds an OAuth token lives (default 1799)"),
    "upload_expire": (int, "S", "seconds an upload URL lives (default 32400)"),
}


def add_sandbox_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sandbox`` command (``serve``, ``index``, ``build``, ``queries``) to argparse sub-parsers.

    The parsed namespace's ``func`` runs the command (the main ``patsnap-analytics`` command calls it).

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> _ = add_sandbox_parser(parser.add_subparsers(dest="command"))
        >>> parser.parse_args(["sandbox", "index", "drawings/", "--metadata", "m.csv", "--out", "c/"]).out
        'c/'
    """
    parser = subparsers.add_parser(
        "sandbox", help="run the local PatSnap-compatible sandbox, or index your own drawings",
        description="A local server that speaks the PatSnap image-search API, with generated credentials.")
    commands = parser.add_subparsers(dest="sandbox_command", required=True,
                                     metavar="{serve,index,build,queries}")

    serve = commands.add_parser("serve", help="serve the sandbox until Ctrl+C",
                                description="Serve the sandbox; prints its URL and fresh credentials.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; anything else is reachable by others)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--corpus", metavar="PATH", default=None,
                       help="a corpus directory (from `sandbox index`); default: the generated sample corpus")
    serve.add_argument("--designs", type=int, default=DEFAULT_DESIGNS,
                       help=f"size of the generated sample corpus (default {DEFAULT_DESIGNS})")
    serve.add_argument("--seed", type=int, default=0, help="seed of the simulated faults")
    for name, (kind, metavar, text) in _FAULT_FLAGS.items():
        serve.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, metavar=metavar, default=None,
                           help=text)

    index = commands.add_parser("index", help="turn a folder of drawings plus a metadata CSV into a corpus",
                                description="Index your own drawings; every bad row is reported.")
    index.add_argument("images_dir", metavar="DIR", help="folder of PNG/JPG drawings")
    index.add_argument("--metadata", required=True, metavar="CSV", help="one row per design (see the docs)")
    index.add_argument("--out", required=True, metavar="PATH", help="directory to write the corpus to")

    build = commands.add_parser("build", help="build (or reuse) the sample corpus and its search index",
                                description="Build the generated sample corpus and its index ahead of time, "
                                            "so the first sandbox starts at once; prints its folder.")
    build.add_argument("--designs", type=int, default=DEFAULT_DESIGNS,
                       help=f"number of designs (default {DEFAULT_DESIGNS})")
    build.add_argument("--seed", type=int, default=0,
                       help="seed of the generated corpus (default 0, the one `serve` uses)")

    queries = commands.add_parser("queries", help="write the sample query drawings, or a study's queries and truth",
                                  description="Write the sample query drawings committed in data/queries "
                                              "(held out of every corpus), or with --study N the queries of a scoring "
                                              "study, made from the corpus's design families, and their synthetic "
                                              "truth (truth.csv: graded verdicts, marked sandbox-synthetic).")
    queries.add_argument("out_dir", metavar="DIR", help="folder to write them into")
    queries.add_argument("--seed", type=int, default=0, help="seed of the query stream (default 0)")
    queries.add_argument("--study", type=int, metavar="N", default=None,
                         help="write N study queries and truth.csv instead of the sample drawings")
    queries.add_argument("--designs", type=int, default=DEFAULT_DESIGNS,
                         help=f"size of the generated corpus the study is made from (default {DEFAULT_DESIGNS})")
    parser.set_defaults(func=run)  # the main command calls args.func(args)
    return parser


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``sandbox`` command; returns the process exit code.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_sandbox_parser(parser.add_subparsers(dest="command"))  # doctest: +ELLIPSIS
        ArgumentParser(...)
        >>> run(parser.parse_args(["sandbox", "serve", "--port", "8765"]))   # doctest: +SKIP
    """
    commands = {"serve": _serve, "index": _index, "build": _build, "queries": _queries}
    if args.sandbox_command not in commands:
        raise SystemExit(f"unknown sandbox command {args.sandbox_command!r}")
    return commands[args.sandbox_command](args)


def _index(args: argparse.Namespace) -> int:
    from .user_corpus import index_directory

    missing = _missing_inputs(args)
    if missing:  # one line, not a traceback: the usual mistake is a path typed from another folder
        print(f"error: {missing}", file=sys.stderr)
        return 2
    try:
        corpus = index_directory(args.images_dir, args.metadata, args.out)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"indexed {len(corpus.meta)} designs into {corpus.root}")
    print(f"serve it with: patsnap-analytics sandbox serve --corpus {corpus.root}")
    return 0


def _missing_inputs(args: argparse.Namespace) -> str | None:
    """What ``sandbox index`` cannot read, in one line naming the argument and the working directory."""
    images, metadata = Path(args.images_dir).expanduser(), Path(args.metadata).expanduser()
    where = f" (relative paths are read from {Path.cwd()})"
    if not images.is_dir():
        return f"DIR: no folder {str(args.images_dir)!r}{where}"
    if not metadata.is_file():
        return f"--metadata: no file {str(args.metadata)!r}{where}"
    return None


def _build(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .sample import sample_corpus

    try:
        corpus = sample_corpus(args.designs, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    Engine(corpus)  # builds the index next to the corpus, or finds it there
    print(corpus.root)
    return 0


def _queries(args: argparse.Namespace) -> int:
    from .sample import write_queries

    if args.study is not None:
        return _study(args)
    for path in write_queries(args.out_dir, seed=args.seed):
        print(path, path.stat().st_size, "bytes")
    return 0


def _study(args: argparse.Namespace) -> int:
    from .sample import sample_corpus
    from .truth import study_queries, truth_frame

    try:
        corpus = sample_corpus(args.designs)
        queries = study_queries(corpus, args.study, seed=args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for q in queries:
        (out / q.name).write_bytes(q.image)
    truth = truth_frame(corpus, queries)
    truth.to_csv(out / "truth.csv", index=False)
    print(f"{len(queries)} study queries and {len(truth)} synthetic verdicts (every other design: different) "
          f"in {out}; truth.csv")
    return 0


def _serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    from .server import Sandbox

    faults = {name: getattr(args, name) for name in _FAULT_FLAGS if getattr(args, name) is not None}
    try:
        sandbox = Sandbox(corpus=args.corpus, designs=args.designs, host=args.host, port=args.port,
                          seed=args.seed, **faults)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    previous_handler = None
    with sandbox:
        print(f"PatSnap sandbox serving at {sandbox.url}  (generated sample data, not real patents)")
        print(f"  api key:        {sandbox.api_key}")
        print(f"  client id:      {sandbox.client_id}")
        print(f"  client secret:  {sandbox.client_secret}")
        print(f"  stats:          {sandbox.url}/_sandbox/stats")
        print(f'  try:            curl -F image=@drawing.png "{sandbox.url}{UPLOAD.path}'
              f'?{APIKEY_PARAM}={sandbox.api_key}"')
        print("Press Ctrl+C to stop.", flush=True)
        stop = stop or threading.Event()
        try:
            # a short sleep, not Event.wait(): a Ctrl+C landing inside a lock's acquire can leave the
            # condition's lock released twice ("RuntimeError: release unlocked lock") instead of stopping
            while not stop.is_set():
                time.sleep(0.2)
        except KeyboardInterrupt:
            print("stopping", flush=True)
            if threading.current_thread() is threading.main_thread():
                # a second Ctrl+C while the server winds down would cut the shutdown short
                previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    if previous_handler is not None:
        signal.signal(signal.SIGINT, previous_handler)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m patsnap_analytics.sandbox.cli sandbox serve``.

    Example:
        >>> main(["sandbox", "serve", "--designs", "300", "--qps-limit", "5"])   # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="patsnap-analytics")
    add_sandbox_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
