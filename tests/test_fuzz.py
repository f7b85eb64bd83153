"""Fuzzing: schemathesis against the running sandbox's own OpenAPI schema, and hypothesis on DesignQuery.

* Every operation of ``/openapi.json`` gets generated requests (valid and invalid): the sandbox never answers
  5xx and every answer conforms to the schema (status code, content type, body). Two of schemathesis's checks
  are excluded on purpose: ``ignored_auth`` and ``negative_data_rejection`` expect an HTTP 4xx for a missing
  key or bad data, but the real API answers those with HTTP 200 and a ``status: false`` envelope, and the
  sandbox copies that. The key goes in the query parameter ``apikey``, as real clients send it.
  Bounded for CI: at most :data:`MAX_EXAMPLES` generated cases per operation.
* Property tests: ``DesignQuery`` from arbitrary keyword values raises nothing but ``ValidationError``; a valid
  query survives ``to_api_params`` -> ``from_api_params``; ``from_api_params`` on arbitrary string mappings
  raises nothing but ``ValidationError``. (The LOC parser's round trip is in ``tests/test_loc.py``.)
"""

from __future__ import annotations

from datetime import date

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import ignored_auth, negative_data_rejection

from patsnap_analytics import codes
from patsnap_analytics.errors import ValidationError
from patsnap_analytics.query import FILTER_NAMES, DesignQuery

MAX_EXAMPLES = 25
EXCLUDED_CHECKS = [ignored_auth, negative_data_rejection]


def _served_schema() -> dict:
    """The document the sandbox serves at ``/openapi.json``, built without starting a server.

    schemathesis parametrizes tests at collection time, before any fixture runs; its lazy alternative
    (``schemathesis.pytest.from_fixture``) does not work with pytest 9 (it reads ``Function._nodeid``).
    :func:`test_the_schema_fuzzed_is_the_one_served` proves this is byte-for-byte what the server serves.
    """
    from patsnap_analytics.sandbox.app import create_app
    from patsnap_analytics.sandbox.faults import Faults
    from patsnap_analytics.sandbox.state import SandboxState

    return create_app(SandboxState(engine=None, faults=Faults())).openapi()


schema = schemathesis.openapi.from_dict(_served_schema())


def test_the_schema_fuzzed_is_the_one_served(sb):
    assert requests.get(f"{sb.url}/openapi.json", timeout=10).json() == _served_schema()


def test_the_sandbox_documents_each_answer_with_the_schema_the_client_checks_it_with():
    # issue 24: the answers were described twice (api.py's JSON schemas, pydantic models in sandbox/schemas.py)
    from patsnap_analytics.api import ENDPOINTS, answer_schema

    served = _served_schema()["paths"]
    for operation in ENDPOINTS.values():
        documented = served[operation.path][operation.method.lower()]["responses"]["200"]
        assert documented["content"]["application/json"]["schema"] == answer_schema(operation), operation.name


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_sandbox_conforms_to_its_schema_and_never_fails(case, sb):
    session = requests.Session()
    try:
        response = case.call(base_url=sb.url, params={"apikey": sb.api_key}, session=session, timeout=30)
        assert response.status_code < 500, f"{case.method} {case.path}: HTTP {response.status_code}"
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
    finally:
        session.close()


# ------------------------------------------------------------------------------------------ DesignQuery

_any_value = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.text(max_size=40),
    st.dates(), st.datetimes(), st.binary(max_size=8),
    st.lists(st.one_of(st.integers(-5, 300), st.text(max_size=12), st.none()), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["", " ", ",", "US,,CN", "(14-03 OR", "14-03 AND NOT", "20230230", "2020-01-31", "Granted",
                     "SCORE", "asc", "DESC", "1e3", "٣", "\x00", "NN-NN"]),
)


@given(st.dictionaries(st.sampled_from(FILTER_NAMES), _any_value, max_size=6))
@settings(max_examples=400, deadline=None)
def test_design_query_from_any_keyword_values_raises_only_validation_error(kwargs):
    try:
        query = DesignQuery(**kwargs)
    except ValidationError:
        return
    assert 1 <= query.limit <= 1100 and query.order in ("asc", "desc")


# the codes of the Locarno table (any other code is refused: tests/test_codes.py, tests/test_loc.py)
_loc_term = st.sampled_from(sorted([*codes.LOC_CLASSES, *codes.LOC_SUBCLASSES]))
_loc_expr = st.recursive(
    _loc_term,
    lambda inner: st.one_of(st.tuples(inner, st.sampled_from([" AND ", " OR "]), inner).map(
        lambda t: f"({t[0]}{t[1]}{t[2]})"), inner.map(lambda e: f"NOT {e}")),
    max_leaves=5,
)
_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def valid_queries(draw) -> DesignQuery:
    a1, a2 = sorted(draw(st.lists(_dates, min_size=2, max_size=2)))
    p1, p2 = sorted(draw(st.lists(_dates, min_size=2, max_size=2)))
    kw = {
        "loc": draw(st.none() | _loc_expr),
        "assignees": draw(st.lists(st.text(st.characters(blacklist_characters=",", blacklist_categories=("Cs",)),
                                           min_size=1, max_size=20).filter(str.strip), max_size=3)),
        "legal_status": draw(st.lists(st.sampled_from(sorted(codes.LEGAL_STATUS)), max_size=4)),
        "simple_legal_status": draw(st.lists(st.sampled_from(sorted(codes.SIMPLE_LEGAL_STATUS)), max_size=3)),
        "country": draw(st.lists(st.sampled_from(sorted(codes.OFFICES)), max_size=4)),
        "main_field": draw(st.none() | st.text(min_size=1, max_size=60)),
        "apply_start_time": draw(st.none() | st.just(a1)), "apply_end_time": draw(st.none() | st.just(a2)),
        "public_start_time": draw(st.none() | st.just(p1)), "public_end_time": draw(st.none() | st.just(p2)),
        "limit": draw(st.integers(1, 100)),
        "field": draw(st.sampled_from([None, "APD", "PBD", "ISD"])),
        "order": draw(st.sampled_from(["asc", "desc"])),
    }
    return DesignQuery(**kw)


@given(valid_queries())
@settings(max_examples=300, deadline=None)
def test_a_valid_query_round_trips_through_the_api_parameters(query):
    params = query.to_api_params()
    assert all(isinstance(v, str) for v in params.values())
    again = DesignQuery.from_api_params(params)
    assert again == query and again.to_api_params() == params


@given(st.dictionaries(st.sampled_from([*FILTER_NAMES, "url", "apikey", "offset"]) | st.text(max_size=8),
                       st.text(max_size=30) | st.sampled_from(["0", "100", "101", "20200230", "19991231", "US,CN",
                                                               "(01-01 OR 01-02)", "3,2", "APD", "up"]),
                       max_size=8))
@settings(max_examples=400, deadline=None)
def test_from_api_params_on_any_strings_raises_only_validation_error(params):
    try:
        query = DesignQuery.from_api_params(params)
    except ValidationError:
        return
    assert DesignQuery.from_api_params(query.to_api_params()) == query
