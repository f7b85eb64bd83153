"""The code tables: Locarno classes and subclasses, offices, finding codes by words, and both sides using them."""

from __future__ import annotations

import re

import pytest
import requests

import patsnap_analytics as pa
from patsnap_analytics import codes

from .conftest import SEARCH, UPLOAD


def test_the_locarno_table_has_every_class_and_a_miscellaneous_subclass_in_each():
    assert list(codes.LOC_CLASSES) == [f"{n:02d}" for n in range(1, 33)]
    assert all(re.fullmatch(r"[0-9]{2}-[0-9]{2}", code) for code in codes.LOC_SUBCLASSES)
    assert {code[:2] for code in codes.LOC_SUBCLASSES} == set(codes.LOC_CLASSES)  # no orphan, no empty class
    for cls in codes.LOC_CLASSES:
        assert f"{cls}-99" in codes.LOC_SUBCLASSES or f"{cls}-00" in codes.LOC_SUBCLASSES, cls
    assert {"31-00", "32-00"} <= set(codes.LOC_SUBCLASSES)
    assert not {"03-02", "15-08", "16-04", "19-05"} & set(codes.LOC_SUBCLASSES)  # vacant numbers are no codes
    assert 200 <= len(codes.LOC_SUBCLASSES) <= 260
    assert all(title and len(title) <= 95 for title in codes.LOC_SUBCLASSES.values())  # readable in a chart


def test_the_sandbox_corpus_uses_only_codes_of_the_table():
    from patsnap_analytics.sandbox.sample import sample_metadata

    meta = sample_metadata(400, seed=3)
    used = set(meta["loc"].str.split(",").explode())
    assert used <= set(codes.LOC_SUBCLASSES)
    assert set(meta["country"]) <= set(codes.OFFICES)


def test_offices_are_real_two_letter_codes_and_uk_is_not_one():
    assert all(codes.is_office_code(code) for code in codes.OFFICES)
    assert {"CN", "US", "EU", "EM", "WO", "GB", "JP", "KR", "HK", "DE", "EP"} <= set(codes.OFFICES)
    assert "UK" not in codes.OFFICES and codes.OFFICE_ALIASES["uk"] == "GB"
    assert set(codes.OFFICE_ALIASES.values()) <= set(codes.OFFICES)


@pytest.mark.parametrize(
    ("words", "first"),
    [("watch", "10-02"), ("phone", "14-03"), ("smartphone", "14-03"), ("chair", "06-01"), ("car", "12-08"),
     ("bottle", "09-01"), ("lamp", "26-05"), ("camera", "16-01"), ("shoe", "02-04"), ("hair dryer", "28-03"),
     ("graphical user interface", "14-04"), ("coffee machine", "31-00"), ("Seats", "06-01"), ("14-03", "14-03"),
     ("Watches", "10-02")],
)
def test_find_loc_ranks_the_meant_code_first(words, first):
    found = codes.find_loc(words)
    assert list(found.columns) == ["code", "title"] and found["code"].iloc[0] == first
    assert len(found) <= 10 and found["code"].is_unique


def test_find_loc_answers_nothing_for_nonsense_and_respects_limit():
    assert codes.find_loc("qwxz").empty and list(codes.find_loc("qwxz").columns) == ["code", "title"]
    assert len(codes.find_loc("equipment", limit=3)) == 3


@pytest.mark.parametrize(
    ("words", "first"),
    [("korea", "KR"), ("south korea", "KR"), ("north korea", "KP"), ("uk", "GB"), ("United Kingdom", "GB"),
     ("usa", "US"), ("china", "CN"), ("europe", "EU"), ("hague", "WO"), ("japan", "JP"), ("benelux", "BX"),
     ("GB", "GB")],
)
def test_find_office_ranks_the_meant_office_first(words, first):
    found = codes.find_office(words)
    assert list(found.columns) == ["code", "name"] and found["code"].iloc[0] == first


def test_the_package_exposes_the_code_finders():
    assert pa.codes.find_loc("watch")["code"].iloc[0] == "10-02"
    assert pa.codes.find_office("korea")["code"].iloc[0] == "KR"


@pytest.mark.parametrize(("kind", "code", "words"),
                         [("loc", "10-02", "Watches and wrist watches"), ("loc", "14", codes.LOC_CLASSES["14"]),
                          ("country", "gb", "United Kingdom"), ("legal_status", 3, "Granted")])
def test_name_of_is_the_one_code_to_words_function(kind, code, words):
    assert codes.name_of(kind, code) == words


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"country": "UK"}, "did you mean GB"), ({"country": "XX"}, "'XX' is not the code of an office"),
     ({"loc": "99-01"}, "there is no class 99"), ({"loc": "14-3"}, "did you mean 14-03"),
     ({"loc": "14-55"}, "has no subclass 55")],
)
def test_the_sandbox_refuses_unknown_codes_with_the_apis_own_code(sb, params, fragment):
    """A raw request, bypassing the client: the sandbox validates with the same tables (68300004, HTTP 200)."""
    corpus_url = f"{sb.url}/_sandbox/files/designs/0/0.png"
    r = requests.get(sb.url + SEARCH, params={"url": corpus_url, "apikey": sb.api_key, **params}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] is False and body["error_code"] == 68300004 and fragment in body["error_msg"]


def test_known_codes_still_search(sb):
    client = pa.connect(sandbox=sb, cache=False)
    corpus_url = f"{sb.url}/_sandbox/files/designs/0/0.png"
    df = client.search_designs(corpus_url, country=["GB", "US", "CN", "EU"], loc="06 OR 10-02 OR 32-00", limit=5)
    assert set(df["country"]) <= {"GB", "US", "CN", "EU"}
    assert sb.stats[SEARCH] == 1 and sb.stats[UPLOAD] == 0  # one search, nothing refused or retried; a URL needs no upload


def test_the_codes_page_lists_every_code():
    from .conftest import ROOT

    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    for code, title in {**codes.LOC_CLASSES, **codes.LOC_SUBCLASSES, **codes.OFFICES}.items():
        assert f"`{code}` {title}" in page or f"| `{code}` | {title} |" in page, code


def test_the_codes_page_examples_run():
    from .conftest import ROOT

    page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/codes.md", "exec"), {})


def test_labelling_by_office_skips_an_office_the_table_lacks(sb):
    """A real answer may carry a patent number of an office the table lacks: labelling must not crash on it."""
    client = pa.connect(sandbox=sb, cache=False)
    df = client.search_designs(f"{sb.url}/_sandbox/files/designs/0/0.png", limit=6)
    df.loc[0, "country"] = "XY"  # as if the API had answered a number "XY123S"
    sb.reset_stats()
    labelled = client.label(df, by="country", route="research", progress=False)  # re-searches per office
    assert labelled.loc[0, "country_label"] == "XY"  # its own words: no office of the table is called that
    assert labelled["country_verified"].iloc[1:].all()
    assert sb.stats[SEARCH] == df["country"].iloc[1:].nunique()  # one re-search per known office, none for XY
