"""The fast check in front of the answer schemas never lets through what the full check refuses (issue 24).

``answers._accepts`` (jsonschema-rs) may only say yes early: a no goes to fastjsonschema, which decides and names
the field. So for every schema the toolkit checks, a value the fast check accepts must pass fastjsonschema
too. Values are generated near each schema — its own shapes, with the values where two validators could
disagree (1.0 as an integer, booleans as numbers, huge integers, NaN and infinities, empty text, missing and
extra fields) — and, so that the test cannot pass by accepting nothing, valid answers are accepted.
"""

from __future__ import annotations

import json
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patsnap_analytics.api import ENDPOINTS, IMAGE_SINGLE, SEARCH_ID
from patsnap_analytics.errors import ProtocolError
from patsnap_analytics.wire.checks import _accepts, check_data

SCHEMAS = {f"{e.name}.{kind}": json.loads(json.dumps(getattr(e, kind))) for e in ENDPOINTS.values()
           for kind in ("data_schema", "item_schema") if getattr(e, kind) is not None}

EDGE = st.one_of(st.none(), st.booleans(), st.just(0), st.just(1), st.just(1.0), st.just(-0.0), st.just(2.5),
                 st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.just(""),
                 st.text(max_size=4), st.just([]), st.just({}), st.lists(st.integers(0, 2), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.none(), max_size=2))


def near(schema: dict[str, Any]) -> st.SearchStrategy:
    """Values shaped like ``schema``'s, and edge values in its place and below it."""
    options = [EDGE]
    if "properties" in schema:
        fields = {name: near(sub) for name, sub in schema["properties"].items()}
        options.append(st.fixed_dictionaries({}, optional={**fields, "extra": EDGE}))
    if isinstance(schema.get("items"), dict):
        options.append(st.lists(near(schema["items"]), max_size=3))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    for bound in ("minimum", "maximum"):
        if bound in schema:
            options.append(st.integers(schema[bound] - 2, schema[bound] + 2).flatmap(
                lambda n: st.sampled_from([n, float(n)])))
    return st.one_of(options)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_fast_check_accepts_nothing_the_full_check_refuses(name):
    schema = SCHEMAS[name]
    fast, full = _accepts(schema), fastjsonschema.compile(schema)

    @settings(max_examples=300, deadline=None)
    @given(near(schema))
    def accepted_only_if_valid(value):
        if fast(value):
            full(value)  # raises JsonSchemaValueException if the fast check let a bad value through

    accepted_only_if_valid()


def test_valid_answers_are_accepted_by_the_fast_check_and_bad_ones_named_by_the_full_one():
    rows = [{"patent_id": f"p{i}", "patent_pn": "USD1S", "score": 0.5, "apdt": 20200131, "loc": ["10-02"],
             "loc_match": 1} for i in range(100)]
    assert _accepts(SCHEMAS["image-single.data_schema"])({"patent_messages": rows, "total_search_result_count": 7})
    assert _accepts(SCHEMAS["search-id.data_schema"])({"patent_messages": [{"patent_id": "p", "score": None}]})
    rows[42]["score"] = True  # not a number: the fast check says no, fastjsonschema names the field
    with pytest.raises(ProtocolError, match=r"data\.patent_messages\[42\]\.score: must be number or null"):
        check_data(IMAGE_SINGLE, {"patent_messages": rows})
    with pytest.raises(ProtocolError, match=r"data\.total_search_result_count: must be integer or null"):
        check_data(SEARCH_ID, {"patent_messages": [], "total_search_result_count": "7"})


@pytest.mark.parametrize("body", [
    b'{"status": true, "data": {"patent_messages": [{"patent_id": "p", "score": 0.25}], "search_id": "S"}}',
    b'{"a": 1, "a": 2}', b'{"score": NaN, "x": Infinity}', b'"\\u00e9\\ud83d\\ude00"', b'[1.5e-7, -0.0, 1e308]',
    b'{"deep": ' + b"[" * 500 + b"]" * 500 + b"}", b'{"big": 123456789012345678}',
])
def test_an_answer_body_means_what_the_standard_library_reads(body):
    # orjson reads the hot path's bodies; whatever it refuses (NaN, nesting past 1,024) the standard library reads
    from patsnap_analytics.wire.transport import parse_json

    got, expected = parse_json(body), json.loads(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_a_body_nested_past_any_parser_is_a_malformed_answer():
    import requests

    from patsnap_analytics.wire.transport import read_envelope

    resp = requests.Response()
    resp.status_code, resp._content = 200, b'{"status": true, "data": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(ProtocolError, match="is not a JSON envelope"):
        read_envelope(resp, SEARCH_ID)


@pytest.mark.parametrize("total", [2**53 + 1, 2**63, 10**30])
def test_a_total_past_what_a_frame_holds_is_a_malformed_answer_never_a_crash(total):
    # a count is typed Int64 in the frame: a hostile total past it is refused where the answer is checked
    from patsnap_analytics.wire.transport import parse_json

    data = parse_json(json.dumps({"patent_messages": [{"patent_id": "p"}], "total_search_result_count": total}))
    with pytest.raises(ProtocolError, match=r"data\.total_search_result_count: must be smaller than or equal"):
        check_data(SEARCH_ID, data)


@pytest.mark.parametrize("impostor", [20200131.0, True, [20200131], "20200131"])
def test_a_day_already_read_does_not_vouch_for_a_value_equal_to_it(impostor):
    # the day check remembers the days it read (a set): 20200131.0 and True compare equal to days or no-days it
    # holds, and must still be refused, with the first bad row named
    good = {"patent_messages": [{"patent_id": "a", "apdt": 20200131, "pbdt": 20210105},
                                {"patent_id": "b", "apdt": 20200131, "pbdt": None}]}
    assert check_data(IMAGE_SINGLE, good) is good
    assert check_data(IMAGE_SINGLE, good) is good  # read again from what it remembered
    bad = {"patent_messages": [{"patent_id": "a", "apdt": 20200131},
                               {"patent_id": "b", "apdt": 20200131, "pbdt": impostor}]}
    with pytest.raises(ProtocolError, match=r"data\.patent_messages\[1\]\.pbdt"):
        check_data(IMAGE_SINGLE, bad)
    one = {"patent_messages": [{"patent_id": "a", "apdt": 1 if impostor is True else impostor}]}
    with pytest.raises(ProtocolError, match=r"data\.patent_messages\[0\]\.apdt"):
        check_data(IMAGE_SINGLE, one)


def test_text_that_is_no_unicode_is_read_as_the_replacement_character():
    # "\ud800" is JSON but no Unicode text: orjson refuses it, the standard library read it as it came, every
    # check passed it, and the frame crashed writing it to Arrow (UnicodeEncodeError). Now it reads as U+FFFD,
    # as a UTF-8 decoder reads bytes that are no text; an error envelope keeps its class
    import requests

    from patsnap_analytics.errors import DailyQuotaExceededError
    from patsnap_analytics.frames import results_frame
    from patsnap_analytics.wire.transport import parse_json, read_envelope

    assert parse_json(b'{"a\\udc00": ["x\\ud800", {"k": "\\ud83d\\ude00"}]}') == {"a\ufffd": ["x\ufffd", {"k": "\U0001f600"}]}
    resp = requests.Response()
    resp.status_code, resp._content = 200, (b'{"status": true, "data": {"patent_messages": [{"patent_id": "p", '
                                            b'"title": "Watch \\ud800", "inventor": "A\\udfff|B"}]}}')
    frame = results_frame(read_envelope(resp, IMAGE_SINGLE), query="q", sorted_by_similarity=True)
    assert frame["title"].tolist() == ["Watch \ufffd"] and frame["inventors"].tolist() == [["A\ufffd", "B"]]
    resp._content = b'{"status": false, "error_code": 67200007, "error_msg": "quota \\ud800"}'
    with pytest.raises(DailyQuotaExceededError):
        read_envelope(resp, SEARCH_ID)
