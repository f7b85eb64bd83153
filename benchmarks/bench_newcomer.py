"""How fast a newcomer learns what is wrong: time to a network error, and the cost of codes and suggestions.

Prints, with the client's DEFAULT retry policy (what an analyst gets):

* seconds until a search on an unresolvable host (DNS), a closed port (refused) and a TLS mismatch raises,
  and how many retries were spent — these are not retried any more; before, they took about 11 s of backoff;
* for contrast, a dropped connection (retried, as it may pass): time and retries;
* microseconds to validate a good filter set, and to refuse a bad code with its "did you mean" (the code
  tables and difflib), and for ``find_loc`` / ``find_office``.

    python benchmarks/bench_newcomer.py
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from collections.abc import Callable

import patsnap_analytics as pa
from patsnap_analytics import codes
from patsnap_analytics.errors import PatsnapError
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import Sandbox

IMAGE_URL = "https://example.org/drawing.png"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_to_error(client: pa.Client) -> tuple[float, str, int]:
    start = time.perf_counter()
    try:
        client.search_designs(IMAGE_URL, limit=2)
    except PatsnapError as exc:
        return time.perf_counter() - start, getattr(exc, "cause", type(exc).__name__), client.stats.retries
    return time.perf_counter() - start, "no error", client.stats.retries


def micro(fn: Callable[[], object], repeats: int = 200) -> float:
    """Median microseconds of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with contextlib.suppress(PatsnapError):
            fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    print("== time to a network error (default retry policy)")
    with Sandbox(designs=300) as sb:
        cases = {
            "dns (unresolvable host)": pa.Client(api_key="sk-x", base_url="https://patsnap.invalid", cache=False),
            "refused (closed port)": pa.Client(api_key="sk-x", base_url=f"http://127.0.0.1:{closed_port()}",
                                               cache=False),
            "tls (https to http)": pa.Client(api_key=sb.api_key, base_url=sb.url.replace("http:", "https:"),
                                             cache=False),
        }
        for name, client in cases.items():
            seconds, cause, retries = time_to_error(client)
            print(f"{name:28s} {seconds * 1000:8.1f} ms  cause={cause:8s} retries={retries}")
        sb.configure(drop_fraction=1.0)
        seconds, cause, retries = time_to_error(pa.connect(sandbox=sb, cache=False))
        print(f"{'dropped (retried)':28s} {seconds * 1000:8.1f} ms  cause={cause:8s} retries={retries}")

    print("\n== validation and code look-ups (median of 200)")
    good = {"country": ["GB", "US", "CN"], "loc": "(10-02 OR 14) AND NOT 14-03", "simple_legal_status": "Active"}
    rows = {
        "DesignQuery, good filters": lambda: DesignQuery(**good),
        "refuse country='UK' (suggest GB)": lambda: DesignQuery(country="UK"),
        "refuse country='Germny' (difflib)": lambda: DesignQuery(country="Germny"),
        "refuse loc='14-3' (suggest 14-03)": lambda: DesignQuery(loc="14-3"),
        "refuse loc='watch' (find_loc)": lambda: DesignQuery(loc="watch"),
        "find_loc('hair dryer')": lambda: codes.find_loc("hair dryer"),
        "find_office('korea')": lambda: codes.find_office("korea"),
    }
    for name, fn in rows.items():
        print(f"{name:36s} {micro(fn):9.1f} us")


if __name__ == "__main__":
    main()
