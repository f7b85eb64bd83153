"""The mistakes a new analyst makes, as one table: each gets a message that says what is wrong and what was
probably meant, and each costs ZERO calls (the sandbox's server-side counters prove it).

Every row of :data:`MISTAKES` is run the way a newcomer would: a Python call on a client connected to the
shared sandbox, the ``patsnap-analytics`` command (in-process, its environment pointing at the sandbox), or
``connect()`` with a half-set environment. ``docs/troubleshooting.md`` lists every row with the message it
gets; :func:`test_the_troubleshooting_page_lists_every_mistake` keeps the page and the table together.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.cli import main

from .conftest import ROOT, client_for

TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
WATCH = ROOT / "data" / "queries" / "query-1-10-02-watch.png"


@dataclass(frozen=True)
class Mistake:
    """One newcomer mistake: what they did, and the words of the answer they get (all must be in it).

    Exactly one of ``filters`` (a ``search_designs`` call), ``cli`` (the command's arguments), ``env`` (the
    ``PATSNAP_*`` variables set before ``pa.connect()``) or ``call`` (any call on a sandbox client) says what
    is done.
    """

    did: str
    says: tuple[str, ...]
    filters: dict[str, Any] | None = None
    cli: list[str] | None = None
    env: dict[str, str] | None = None
    call: Callable[[pa.Client, Path], Any] | None = None
    error: type[Exception] = errors.ValidationError
    blocked: tuple[str, ...] = field(default=())  # modules made unimportable (a trimmed install)


MISTAKES: list[Mistake] = [
    # ---- the ones issue 14 names ------------------------------------------------------------------------------
    Mistake("country='UK' (the office is GB)", ("country: 'UK' is not the code of an office that registers designs; "
                                                "did you mean GB (United Kingdom)?",), filters={"country": "UK"}),
    Mistake("country='XX' (no such office)", ("country: 'XX' is not the code of an office that registers designs",
                                              "pa.codes.find_office("), filters={"country": "XX"}),
    Mistake("loc='99-01' (there is no class 99)", ("loc: 99-01 at position 0 is not a Locarno code: there is no "
                                                   "class 99 (the classes are 01 to 32)", "pa.codes.find_loc("),
            filters={"loc": "99-01"}),
    Mistake("country='China' (a name, not a code)", ("did you mean CN (China)?",), filters={"country": "China"}),
    Mistake("country='USA'", ("did you mean US (United States)?",), filters={"country": "USA"}),
    Mistake("loc='14-3' (the subclass needs two digits)", ("loc: '14-3' at position 0 is not a Locarno code",
                                                           "did you mean 14-03 (Communications equipment"),
            filters={"loc": "14-3"}),
    Mistake("only PATSNAP_CLIENT_ID is set", ("client_secret: PATSNAP_CLIENT_ID is set but PATSNAP_CLIENT_SECRET is "
                                              "not: OAuth needs both",), env={"PATSNAP_CLIENT_ID": "my-client-id"}),
    Mistake("only PATSNAP_CLIENT_SECRET is set", ("client_id: PATSNAP_CLIENT_SECRET is set but PATSNAP_CLIENT_ID is "
                                                  "not",), env={"PATSNAP_CLIENT_SECRET": "my-secret"}),
    Mistake("search --out hits.txt (no such format)", ("out: must end in .csv, .parquet, .xlsx or .json, got "
                                                       "'hits.txt'",), cli=["--out", "hits.txt"]),
    Mistake("search --out hits.parquet where pyarrow is missing", ("out: writing .parquet files needs pyarrow, which "
                                                                   "is missing from this environment",),
            cli=["--out", "hits.parquet"], blocked=("pyarrow", "fastparquet")),
    Mistake("cache info --path with a typo", ("--path: no cache file at",), cli=["cache-info-typo"]),
    # ---- ten more (and then some) ----------------------------------------------------------------------------
    Mistake("loc='watch' (a word for a code)", ("did you mean 10-02 (Watches and wrist watches)?",),
            filters={"loc": "watch"}),
    Mistake("loc='1403' (no dash)", ("did you mean 14-03",), filters={"loc": "1403"}),
    Mistake("loc='14.03' (a dot)", ("did you mean 14-03",), filters={"loc": "14.03"}),
    Mistake("loc='Cl. 14-03' (copied from a register)", ("did you mean 14-03",), filters={"loc": "Cl. 14-03"}),
    Mistake("loc='14-55' (no such subclass)", ("class 14 (Recording, telecommunication or data processing equipment)"
                                               " has no subclass 55; its subclasses are 14-01 to 14-99",),
            filters={"loc": "14-55"}),
    Mistake("country='United States'", ("did you mean US (United States)?",), filters={"country": "United States"}),
    Mistake("country='Korea'", ("did you mean KR (South Korea)?",), filters={"country": "Korea"}),
    Mistake("country=['US', 'UK'] (one bad item)", ("'UK' is not the code", "did you mean GB"),
            filters={"country": ["US", "UK"]}),
    Mistake("legal_status='Active' (that is a simple status)", ("legal_status: unknown code 'Active' ('Active' is a "
                                                                "simple_legal_status: use simple_legal_status="
                                                                "'Active')",), filters={"legal_status": "Active"}),
    Mistake("simple_legal_status='Granted' (that is a legal status)", ("('Granted' is a legal_status: use "
                                                                        "legal_status='Granted')",),
            filters={"simple_legal_status": "Granted"}),
    Mistake("apply_start_time='31/01/2020' (day first)", ("apply_start_time: must be a date, 'YYYY-MM-DD' or "
                                                          "'YYYYMMDD'; got '31/01/2020'; did you mean '2020-01-31'?",),
            filters={"apply_start_time": "31/01/2020"}),
    Mistake("apply_end_time='2023-02-30' (no such day)", ("apply_end_time: '2023-02-30' is not a calendar date",),
            filters={"apply_end_time": "2023-02-30"}),
    Mistake("order='descending'", ("order: must be 'asc' or 'desc', got 'descending'; did you mean 'desc'?",),
            filters={"order": "descending"}),
    Mistake("countries=['US'] (a misspelt keyword)", ("countries: unknown filter; did you mean 'country'?",),
            filters={"countries": ["US"]}),
    Mistake("limit=2000 (past the deepest rank the API reaches)", ("limit: must be an integer from 1 to 1100, got 2000",),
            filters={"limit": 2000}),
    Mistake("field='score' (search-id sorts by similarity without a field)",
            ("SCORE belongs to the newer endpoints (image-single, image-single-beta, image-multiple); for search-id "
             "leave field empty",), filters={"field": "score"}),
    Mistake("connect(client_id=...) without the secret", ("client_secret: client_id= was given but client_secret= "
                                                          "was not",),
            call=lambda client, tmp: pa.connect(client_id="my-client-id")),
    Mistake("a mistyped image path", ("image: file not found",),
            call=lambda client, tmp: client.search_designs(tmp / "chiar.png"), error=errors.InvalidImageError),
    Mistake("search --country UK on the command line", ("did you mean GB (United Kingdom)?",),
            cli=["--country", "UK"]),
    Mistake("search --loc watch on the command line", ("did you mean 10-02",), cli=["--loc", "watch"]),
    # ---- views of one design, several designs (issue 23) ---------------------------------------------------------
    Mistake("pa.Views of five images", ("image_or_views: image-multiple takes 1 to 4 views of one design, got 5",),
            call=lambda client, tmp: client.search_designs(pa.Views([WATCH] * 5))),
    Mistake("views sent to image-single", ("endpoint: several views go to image-multiple, not image-single",),
            call=lambda client, tmp: client.search_designs(pa.Views(WATCH, WATCH), endpoint="image-single")),
    Mistake("design_query= given a dict", ("design_query: must be a DesignQuery, got dict",),
            call=lambda client, tmp: client.search_designs(WATCH, design_query={"limit": 5})),
    Mistake("search --views with --endpoint image-single", ("--views: views of one design are searched by "
                                                            "image-multiple, not image-single",),
            cli=["--views", "--endpoint", "image-single"]),
]


def _cli_args(mistake: Mistake, tmp_path: Path) -> list[str]:
    if mistake.cli == ["cache-info-typo"]:
        return ["cache", "info", "--path", str(tmp_path / "htpp_cache.sqlite")]
    return ["search", str(WATCH), *(mistake.cli or []), "--no-cache"]


def _message(mistake: Mistake, sb, tmp_path: Path, monkeypatch, capsys) -> str:
    """Make the mistake; return the message it got."""
    for module in mistake.blocked:
        monkeypatch.setitem(sys.modules, module, None)  # `import pyarrow` fails, as on a trimmed install
    if mistake.cli is not None:
        monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
        monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
        monkeypatch.chdir(tmp_path)  # --out hits.txt lands here, if anywhere
        capsys.readouterr()
        assert main(_cli_args(mistake, tmp_path)) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
        return err
    with pytest.raises(mistake.error) as info:
        if mistake.env is not None:
            for name, value in mistake.env.items():
                monkeypatch.setenv(name, value)
            pa.connect()
        elif mistake.call is not None:
            mistake.call(client_for(sb, cache=False), tmp_path)
        else:
            client_for(sb, cache=False).search_designs(WATCH, **(mistake.filters or {}))
    assert isinstance(info.value, errors.ValidationError)  # every one is refused locally, as bad input
    return str(info.value)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.did)
def test_each_mistake_gets_a_message_that_teaches_and_costs_nothing(sb, tmp_path, monkeypatch, capsys, mistake):
    message = _message(mistake, sb, tmp_path, monkeypatch, capsys)
    for words in mistake.says:
        assert words in message, message
    assert sum(sb.stats.values()) == 0, sb.stats_detail()  # no upload, no search, no token: zero calls
    assert list(tmp_path.iterdir()) == []  # nothing was written either (no output file, no cache file)


def test_the_table_covers_the_issue_and_ten_more():
    assert len(MISTAKES) >= 11 + 10 and len({m.did for m in MISTAKES}) == len(MISTAKES)


def test_the_troubleshooting_page_lists_every_mistake():
    page = TROUBLESHOOTING.read_text(encoding="utf-8")
    for mistake in MISTAKES:
        assert mistake.says[0] in page, f"docs/troubleshooting.md lacks the message of: {mistake.did}"


def test_a_real_search_still_works_after_all_that(sb):
    client = client_for(sb, cache=False)
    df = client.search_designs(WATCH, country=["GB", "US", "CN"], loc="10", limit=3)
    assert df.attrs["source"] == "sandbox" and sum(sb.stats.values()) == 2  # one upload, one search
