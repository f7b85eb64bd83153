"""The README's generated tables: the search filters (from ``query.FILTERS``) and the environment variables.

The README holds each table between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers;
``tests/test_readme.py`` fails when a table there differs from what this script generates, so the manual can
never drift from the code. Regenerate after changing the filter table:

    python scripts/readme_tables.py --write
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from patsnap_analytics.api import SEARCH_ENDPOINTS
from patsnap_analytics.query import FILTERS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_ALL = set(SEARCH_ENDPOINTS)


def _endpoints(taken_by: frozenset[str]) -> str:
    names = [name for name in SEARCH_ENDPOINTS if name in taken_by]
    if set(names) == _ALL:
        return "all"
    if set(names) == _ALL - {"search-id"}:
        return "image-single, -beta, -multiple"
    return ", ".join(names)


def filters_table() -> str:
    """The filter table: keyword, what analysts call it, what it takes, and which endpoints take it."""
    rows = ["| keyword | in the app | takes | endpoints |", "|---|---|---|---|"]
    for filter_ in FILTERS.values():
        rows.append(f"| `{filter_.name}` | {filter_.caption} | {filter_.help} | {_endpoints(filter_.endpoints)} |")
    return "\n".join(rows)


TABLES = {"filters": filters_table}


def render(text: str) -> str:
    """``text`` with every generated table replaced by what the code says today."""
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", flags=re.S)
        if not pattern.search(text):
            raise ValueError(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
        table = make()
        text = pattern.sub(lambda m, table=table: m.group(1) + table + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    fresh = render(text)
    if "--write" in argv:
        README.write_text(fresh, encoding="utf-8")
        return 0
    if fresh != text:
        print("README.md's generated tables are out of date: run python scripts/readme_tables.py --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
