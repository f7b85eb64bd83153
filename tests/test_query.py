"""DesignQuery: every validation rule names its parameter; equivalent inputs normalise to one query."""

from datetime import date, datetime

import pytest

from patsnap_analytics.errors import ValidationError
from patsnap_analytics.query import FILTER_NAMES, DesignQuery


@pytest.mark.parametrize(
    ("kwargs", "parameter", "fragment"),
    [
        ({"limit": 0}, "limit", "1 to 1100"),
        ({"limit": 1101}, "limit", "1 to 1100"),
        ({"limit": "10"}, "limit", "integer"),
        ({"limit": True}, "limit", "integer"),
        ({"limit": 2.5}, "limit", "integer"),
        ({"apply_start_time": "2023-02-30"}, "apply_start_time", "not a calendar date"),
        ({"public_end_time": "20231301"}, "public_end_time", "not a calendar date"),
        ({"apply_end_time": "31/01/2020"}, "apply_end_time", "YYYY-MM-DD"),
        ({"apply_start_time": "1700-01-01"}, "apply_start_time", "between"),
        ({"public_start_time": 20200101}, "public_start_time", "must be a date"),
        ({"apply_start_time": "2021-01-01", "apply_end_time": "2020-01-01"}, "apply_start_time", "after"),
        ({"public_start_time": "20210101", "public_end_time": "20200101"}, "public_start_time", "after"),
        ({"legal_status": [4]}, "legal_status", "unknown code 4"),
        ({"legal_status": "Granted,Lost"}, "legal_status", "unknown code 'Lost'"),
        ({"legal_status": [True]}, "legal_status", "boolean"),
        ({"simple_legal_status": [3]}, "simple_legal_status", "unknown code 3"),
        ({"country": "usa"}, "country", "two-letter"),
        ({"country": ["US", "C1"]}, "country", "two-letter"),
        ({"country": ["US", ""]}, "country", "empty item"),
        ({"loc": "(14-03 OR"}, "loc", "expected"),
        ({"loc": "14-03)"}, "loc", "expected"),
        ({"loc": "14-3"}, "loc", "not a Locarno code"),
        ({"loc": "AND 14-03"}, "loc", "expected"),
        ({"loc": 1403}, "loc", "string"),
        ({"order": "up"}, "order", "'asc' or 'desc'"),
        ({"field": "SCORE"}, "field", "image-single"),
        ({"field": "date"}, "field", "APD, PBD, ISD"),
        ({"main_field": 42}, "main_field", "string"),
        ({"main_field": "x" * 600}, "main_field", "at most"),
        ({"assignees": [3]}, "assignees", "strings"),
    ],
)
def test_each_rule_names_its_parameter(kwargs, parameter, fragment):
    with pytest.raises(ValidationError) as info:
        DesignQuery.from_filters(**kwargs)
    assert info.value.parameter == parameter
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_keyword_is_rejected_with_a_suggestion():
    with pytest.raises(ValidationError, match="did you mean 'legal_status'"):
        DesignQuery.from_filters(legal_stat=[3])


def test_equivalent_inputs_normalise_to_the_same_query():
    a = DesignQuery(
        country=["us", "CN"], legal_status=["3", 2], simple_legal_status="Active,pending",
        apply_start_time="2020-01-31", public_end_time=date(2021, 5, 1), loc="(10-02 or 10-07)",
        assignees="Beta Corp, Acme Ltd", field="pbd", order="ASC",
    )
    b = DesignQuery(
        country="CN,US", legal_status=(2, 3), simple_legal_status=[2, 1], apply_start_time="20200131",
        public_end_time=datetime(2021, 5, 1, 12, 0), loc="10-02 OR 10-07", assignees=["Acme Ltd", "Beta Corp"],
        field="PBD", order="asc",
    )
    assert a == b
    assert a.to_api_params() == b.to_api_params()
    assert hash(a) == hash(b)


def test_api_params_are_the_vendor_format():
    q = DesignQuery(loc="(01-01 OR 01-02)", assignees="Acme", legal_status="3,2", country="CN,US",
                    simple_legal_status="1,2", main_field="car", apply_start_time="20100101",
                    apply_end_time="20200101", public_start_time="20100101", public_end_time="20200101",
                    limit=10, field="PBD", order="desc")
    assert q.to_api_params() == {
        "loc": "01-01 OR 01-02", "assignees": "Acme", "legal_status": "2,3", "country": "CN,US",
        "simple_legal_status": "1,2", "main_field": "car", "apply_start_time": "20100101",
        "apply_end_time": "20200101", "public_start_time": "20100101", "public_end_time": "20200101",
        "limit": "10", "field": "PBD", "order": "desc",
    }
    assert DesignQuery.from_api_params(q.to_api_params()) == q


def test_from_api_params_reads_raw_strings_strictly():
    assert DesignQuery.from_api_params({"limit": "7", "field": "", "apikey": "x"}).limit == 7
    with pytest.raises(ValidationError, match="limit"):
        DesignQuery.from_api_params({"limit": "ten"})
    with pytest.raises(ValidationError, match="yyyyMMdd"):
        DesignQuery.from_api_params({"apply_start_time": "2020-01-01"})


def test_replace_validates_and_keeps_the_rest():
    q = DesignQuery(country="US", limit=50)
    r = q.replace(simple_legal_status=[1])
    assert (r.country, r.limit, r.simple_legal_status) == (("US",), 50, (1,))
    with pytest.raises(ValidationError):
        q.replace(limit=0)
    with pytest.raises(ValidationError, match="unknown filter"):
        q.replace(colour="red")


def test_score_is_meaningful_only_when_sorted_by_similarity():
    assert DesignQuery().sorted_by_similarity
    assert not DesignQuery(field="APD").sorted_by_similarity


def test_filters_and_describe_are_readable():
    q = DesignQuery(country=["US"], legal_status=[3], apply_start_time="2020-01-01", field="ISD")
    assert q.filters() == {"legal_status": [3], "country": ["US"], "apply_start_time": "2020-01-01",
                           "limit": 10, "field": "ISD", "order": "desc"}
    assert "Granted" in q.describe() and "sorted by ISD desc" in q.describe()
    assert set(q.filters()) <= set(FILTER_NAMES)


def test_numpy_integers_from_a_dataframe_are_accepted():
    import numpy as np

    q = DesignQuery(legal_status=[np.int64(3)], simple_legal_status=np.int32(1), limit=np.int64(20))
    assert (q.legal_status, q.simple_legal_status, q.limit) == ((3,), (1,), 20)
    assert type(q.limit) is int and q.to_api_params()["limit"] == "20"
    with pytest.raises(ValidationError):
        DesignQuery(legal_status=[np.bool_(True)])


@pytest.mark.parametrize("first, second", [((1,), (True,)), ((2,), (2.0,)), ([1], (True,))])
def test_a_query_checked_once_is_never_handed_to_filters_that_only_compare_equal(first, second):
    # DesignQuery.from_filters keeps the queries it checked; (1,) == (True,) in Python, but True is no status code
    DesignQuery.from_filters(legal_status=first)
    with pytest.raises(ValidationError, match="legal_status"):
        DesignQuery.from_filters(legal_status=second)
    assert DesignQuery.from_filters(country=["US"]) == DesignQuery.from_filters(country=("US",))
