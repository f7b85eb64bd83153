"""Issue 24: names renamed so that each word means one thing keep their old spelling for one release.

Each old spelling still works and says so with a ``DeprecationWarning`` naming the new one (``renames.py``);
the new spelling warns nothing. Chart keywords are tested in ``test_plots.py``.
"""

from __future__ import annotations

import warnings

import pytest

from patsnap_analytics.query import FILTERS


def test_a_filter_s_caption_is_no_longer_called_its_label():
    # label() labels rows and *_label columns hold status words: the words a filter is shown with are its caption
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FILTERS["limit"].caption == "Results"
    with pytest.warns(DeprecationWarning, match=r"Filter\.label is renamed Filter\.caption"):
        assert FILTERS["limit"].label == "Results"


def test_an_export_button_s_caption_is_no_longer_called_its_label():
    pytest.importorskip("ipywidgets")
    from patsnap_analytics.widgets.exporter import EXPORTS

    with pytest.warns(DeprecationWarning, match=r"ExportKind\.label is renamed ExportKind\.caption"):
        assert EXPORTS["csv"].label == EXPORTS["csv"].caption == "CSV"


def test_an_error_names_the_path_it_came_from_and_the_old_endpoint_attribute_still_reads_it():
    import pickle

    from patsnap_analytics import errors
    from patsnap_analytics.api import SEARCH_ID

    err = errors.error_from_envelope({"status": False, "error_code": 67200007}, http_status=200, path=SEARCH_ID.path)
    assert err.path == SEARCH_ID.path and pickle.loads(pickle.dumps(err)).path == SEARCH_ID.path
    with pytest.warns(DeprecationWarning, match=r"DailyQuotaExceededError\.endpoint is renamed"):
        assert err.endpoint == SEARCH_ID.path
    with pytest.warns(DeprecationWarning, match=r"error_from_envelope\(endpoint=...\) is renamed path="):
        old = errors.error_from_envelope({"status": False, "error_code": 67200007}, http_status=200, endpoint="/x")
    assert old.path == "/x" and str(old).startswith("error_code 67200007 from /x")
    with pytest.warns(DeprecationWarning, match=r"APIError\(endpoint=...\) is renamed path="):
        assert errors.APIError("m", endpoint="/y").path == "/y"
    with pytest.raises(TypeError, match="unexpected keyword argument 'where'"):
        errors.APIError("m", where="/z")
    bad = errors.ProtocolError(SEARCH_ID.path, "data", "must be object")
    with pytest.warns(DeprecationWarning, match=r"ProtocolError\.endpoint is renamed ProtocolError\.path"):
        assert bad.endpoint == bad.path == SEARCH_ID.path


def test_an_endpoint_s_vendor_id_is_its_operation_id():
    from patsnap_analytics import api

    assert api.SEARCH_ID.operation_id == "P009" and api.endpoint_named("upload") is api.UPLOAD
    with pytest.warns(DeprecationWarning, match=r"Endpoint\.operation is renamed Endpoint\.operation_id"):
        assert api.SEARCH_ID.operation == "P009"
    with pytest.warns(DeprecationWarning, match=r"api\.endpoint\(\) is renamed api\.endpoint_named\(\)"):
        assert api.endpoint("upload") is api.UPLOAD


def test_a_frame_s_attrs_keep_their_old_keys_for_one_release_and_old_frames_read_the_same():
    import pandas as pd

    from patsnap_analytics.frames import ResultInfo, empty_results

    patents = {"USD1S": {"number": "USD1S"}}
    df = ResultInfo(endpoint="image-multiple", calls_spent=3, source_patents=patents).attach(empty_results())
    # the name is ResultInfo's; code reading df.attrs directly still finds the path, pages_sent and sources until 0.2
    assert df.attrs["path"] == df.attrs["endpoint"] == "/search/patent/image-multiple"
    assert df.attrs["calls_spent"] == df.attrs["pages_sent"] == 3
    assert df.attrs["source_patents"] == df.attrs["sources"] == patents
    info = ResultInfo.of(df)
    assert (info.endpoint, info.path, info.calls_spent) == ("image-multiple", "/search/patent/image-multiple", 3)
    with pytest.warns(DeprecationWarning, match=r"ResultInfo\.pages_sent is renamed ResultInfo\.calls_spent"):
        assert info.pages_sent == 3
    with pytest.warns(DeprecationWarning, match=r"ResultInfo\.sources is renamed ResultInfo\.source_patents"):
        assert info.sources == patents
    old = pd.DataFrame()
    old.attrs.update(endpoint="/image-search/search-id", pages_sent=1, sources=patents)  # written by 0.1.0
    assert (ResultInfo.of(old).endpoint, ResultInfo.of(old).calls_spent) == ("search-id", 1)
    assert ResultInfo.of(old).source_patents == patents


def test_the_client_s_source_patents_are_no_longer_its_sources():
    # client.source is where the data come from ("sandbox" or "patsnap"); the patents searches start from are
    # client.source_patents
    from patsnap_analytics.client import Client

    client = Client(api_key="sk-example", cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        patents = client.source_patents
    with pytest.warns(DeprecationWarning, match=r"Client\.sources is renamed Client\.source_patents"):
        assert client.sources is patents


def test_the_old_spellings_of_a_design_query_still_work():
    from patsnap_analytics import searcher
    from patsnap_analytics.client import Client
    from patsnap_analytics.query import DesignQuery

    client = Client(api_key="sk-example", cache=False, endpoint="image-single")
    with pytest.warns(DeprecationWarning, match=r"Client\.query\(\) is renamed Client\.design_query\(\)"):
        assert client.query(limit=5) == client.design_query(limit=5) == DesignQuery(endpoint="image-single", limit=5)
    with pytest.warns(DeprecationWarning, match=r"search_query\(\) is renamed"):
        assert searcher.search_query(limit=5) == searcher.design_query_for(limit=5)
    with pytest.warns(DeprecationWarning, match=r"Searcher\.query_for\(\) is renamed"):
        assert client.searcher.query_for(limit=5) == client.design_query(limit=5)


def test_the_form_and_the_app_take_a_design_query_and_still_their_old_keywords():
    pytest.importorskip("ipywidgets")
    from patsnap_analytics.query import DesignQuery
    from patsnap_analytics.widgets import FilterForm, SearchApp

    wanted = DesignQuery(country=["US"], limit=25)
    with pytest.warns(DeprecationWarning, match=r"FilterForm\(query=...\) is renamed design_query="):
        assert FilterForm(query=wanted).design_query == wanted
    with pytest.warns(DeprecationWarning, match=r"FilterForm\.from_query\(\) is renamed"):
        form = FilterForm.from_query(wanted)
    with pytest.warns(DeprecationWarning, match=r"FilterForm\.query is renamed FilterForm\.design_query"):
        assert form.query == wanted
    with pytest.warns(DeprecationWarning, match=r"SearchApp\(query=...\) is renamed design_query="):
        app = SearchApp(client=None, samples=None, query=wanted)
    assert app.form.design_query == wanted


def test_records_refusals_are_read_through_their_one_memory():
    from patsnap_analytics.api import LEGAL_STATUS
    from patsnap_analytics.records import PatentRecords

    records = PatentRecords(None)
    with pytest.warns(DeprecationWarning, match=r"remember_refusal\(\) is renamed"):
        records.remember_refusal("https://h", LEGAL_STATUS, "no permission")
    assert records.refusals.get("https://h", LEGAL_STATUS)["message"] == "no permission"
    with pytest.warns(DeprecationWarning, match=r"PatentRecords\.refusal\(\) is renamed"):
        assert records.refusal("https://h", LEGAL_STATUS)["message"] == "no permission"


def test_team_is_public_at_the_top_and_its_old_module_path_still_works_with_a_warning():
    # issue 24 phase 2: team.py moved into store/ (the storage layer); docs/team.md spelled it
    # `from patsnap_analytics.team import Team`, which keeps working for one release
    import subprocess
    import sys

    import patsnap_analytics as pa
    from patsnap_analytics.store.team import Team

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from patsnap_analytics import Team as New

        assert New is pa.Team is Team
        import patsnap_analytics.team  # noqa: F401  (importing the old module alone says nothing)
    with pytest.warns(DeprecationWarning, match=r"patsnap_analytics\.team\.Team is renamed patsnap_analytics\.Team"):
        from patsnap_analytics.team import Team as Old
    assert Old is Team
    with pytest.raises(ImportError):  # only what the module had
        from patsnap_analytics.team import NoSuchName  # noqa: F401
    # pa.Team loads its module on first use: the package import stays as light as before
    code = "import sys, patsnap_analytics; print('patsnap_analytics.store.team' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]


def test_every_old_spelling_s_warning_points_at_the_caller_s_line():
    # review: a fixed stacklevel pointed into errors.py from a subclass's __init__ (and into plots.py from the
    # wrapped charts: test_plots); Python shows a DeprecationWarning by default only when it points at __main__, so
    # notebook and script users never saw those. Each warning must name this file.
    from patsnap_analytics import errors

    said = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        errors.CredentialsRejectedError("m", endpoint="/x")
        said.append("CredentialsRejectedError")
        errors.error_from_envelope({"error_code": 67200007}, http_status=200, endpoint="/x")
        said.append("error_from_envelope")
        from patsnap_analytics.team import Team  # noqa: F401
        said.append("patsnap_analytics.team")
    deprecations = [w for w in seen if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == len(said)
    assert [w.filename for w in deprecations] == [__file__] * len(said), [(w.filename, w.lineno) for w in deprecations]
    with pytest.raises(TypeError, match="unexpected keyword argument 'pathh'"):  # a typo is still a typo
        errors.error_from_envelope({"error_code": 67200007}, http_status=200, pathh="/x")
