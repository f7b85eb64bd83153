"""Issue 20, part 2: every entry point resolves the client's defaults in one place (``searcher.design_query_for``).

``pa.connect(endpoint="image-single").search_many(images)`` used to search ``/image-search/search-id``: the
client's default endpoint reached ``search_designs`` only. Each entry point — ``search_designs``,
``search_many``, label's re-searches, the command line and the app — is run here against the real sandbox,
and the path it called is read from the sandbox's own counters.
"""

from __future__ import annotations

import warnings

import pytest

from patsnap_analytics.cli import main as cli_main
from patsnap_analytics.errors import ValidationError
from patsnap_analytics.images import Views
from patsnap_analytics.widgets import SearchApp

from .conftest import BETA, MULTIPLE, RESULTS, SEARCH, SINGLE, UPLOAD, client_for

SEARCHES = (SEARCH, RESULTS, SINGLE, BETA, MULTIPLE)


def searched(sb) -> dict[str, int]:
    """The search paths the sandbox was called on, with their counts (uploads left out)."""
    return {path: sb.stats[path] for path in SEARCHES if sb.stats.get(path)}


@pytest.fixture
def rich_client(sb):
    """A client whose default endpoint is image-single, as ``pa.connect(endpoint="image-single")`` makes it."""
    client = client_for(sb, cache=":memory:", endpoint="image-single")
    yield client
    client.close()


def test_search_designs_uses_the_client_default_views_and_an_explicit_endpoint(sb, rich_client, query_images):
    rich_client.search_designs(query_images[0], limit=5)
    assert searched(sb) == {SINGLE: 1}
    rich_client.search_designs(Views(query_images[:2]), limit=5)  # one design's views
    rich_client.search_designs(query_images[0], endpoint="search-id", limit=5)
    assert searched(sb) == {SINGLE: 1, MULTIPLE: 1, SEARCH: 1}


def test_a_plain_list_is_still_views_but_says_so(sb, rich_client, query_images):
    # issue 23: a watch and a phone in a plain list were searched as ONE design; the explicit spellings are
    # pa.Views(...) (one design) and search_many (several); a plain list warns, pointing at the caller's line
    with pytest.warns(DeprecationWarning, match=r"plain list of 2 images .* ONE design .* pa\.Views.* search_many") as seen:
        plain = rich_client.search_designs(list(query_images[:2]), limit=5)
    assert seen[0].filename == __file__
    assert searched(sb) == {MULTIPLE: 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the explicit spellings say nothing, and cost nothing more: same key
        views = rich_client.search_designs(Views(query_images[:2]), limit=5)
        said = rich_client.search_designs(tuple(query_images[:2]), endpoint="image-multiple", limit=5)
    assert searched(sb) == {MULTIPLE: 1}
    assert list(views["patent_id"]) == list(plain["patent_id"]) == list(said["patent_id"])


def test_search_many_uses_the_client_default_endpoint(sb, rich_client, query_images):
    df = rich_client.search_many(query_images[:3], limit=5, model=2, progress=False)  # model: image-single's
    assert searched(sb) == {SINGLE: 3} and sb.stats[UPLOAD] == 3
    assert df.attrs["endpoint"] == SINGLE and df["application_date"].notna().all()  # rich rows
    rich_client.search_many(query_images[:2], endpoint="search-id", limit=5, progress=False)
    assert searched(sb) == {SINGLE: 3, SEARCH: 2}


def test_search_many_refuses_a_filter_its_resolved_endpoint_does_not_take(sb, query_images):
    client = client_for(sb, cache=":memory:")  # default search-id
    with pytest.raises(ValidationError, match="search-id endpoint does not take model"):
        client.search_many(query_images[:2], model=2, progress=False)
    assert sum(sb.stats.values()) == 0


def test_label_re_searches_the_endpoint_each_query_was_searched_with(sb, rich_client, query_images):
    hits = rich_client.search_many(query_images[:2], limit=5, progress=False)
    sb.reset_stats()
    rich_client.label(hits, by="simple_legal_status", route="research", progress=False)
    assert set(searched(sb)) == {SINGLE}  # the client's default, as the frame was searched
    # a frame searched through search-id is re-searched through search-id, whatever the client's default
    plain = rich_client.search_many(query_images[2:4], endpoint="search-id", limit=5, progress=False)
    sb.reset_stats()
    rich_client.label(plain, by="simple_legal_status", route="research", progress=False)
    assert set(searched(sb)) == {SEARCH}


def test_the_command_line_resolves_as_the_client_does(monkeypatch, sb, query_images, capsys):
    monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    one, two = str(query_images[0]), str(query_images[1])
    assert cli_main(["search", one, "--limit", "3", "--no-cache"]) == 0
    assert searched(sb) == {SEARCH: 1}
    assert cli_main(["search", one, "--endpoint", "image-single", "--model", "2", "--limit", "3", "--no-cache"]) == 0
    assert cli_main(["search", one, two, "--views", "--model", "2", "--limit", "3", "--no-cache"]) == 0
    assert searched(sb) == {SEARCH: 1, SINGLE: 1, MULTIPLE: 1}  # --views: one design, image-multiple
    assert cli_main(["search", one, two, "--model", "2", "--limit", "3"]) == 2  # two searches through search-id
    assert "search-id endpoint does not take --model" in capsys.readouterr().err  # the flag, on the command line
    assert cli_main(["search", one, "--model", "2"]) == 2  # search-id takes no model: refused, no call
    assert "search-id endpoint does not take --model" in capsys.readouterr().err  # the flag, on the command line
    assert searched(sb) == {SEARCH: 1, SINGLE: 1, MULTIPLE: 1}


def test_the_app_starts_at_the_client_default_and_searches_what_its_form_shows(sb, rich_client, query_images):
    app = SearchApp(rich_client, samples=None)
    assert app.form.endpoint.value == "image-single"
    app.picker.add(query_images[0].read_bytes(), name="one.png")
    assert app.search() is not None and app.error is None
    assert searched(sb) == {SINGLE: 1}
    app.picker.add(query_images[1].read_bytes(), name="two.png")  # two images: the app's batch (search_many)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert app.search() is not None and app.error is None
    assert searched(sb) == {SINGLE: 2}  # the first image's page came from the cache
    app.form.endpoint.value = "search-id"  # what the form shows is what is searched
    app.search()
    assert app.error is None and searched(sb) == {SINGLE: 2, SEARCH: 2}


def test_a_design_query_made_beforehand_is_searched_as_it_is(sb, rich_client, query_images):
    # issue 24: Client took no DesignQuery, so the app turned its form's query into a dict and back
    from patsnap_analytics.query import DesignQuery

    wanted = DesignQuery(endpoint="search-id", country=["US", "CN"], limit=5)
    df = rich_client.search_designs(query_images[0], design_query=wanted)  # its endpoint, not the client's
    assert searched(sb) == {SEARCH: 1} and len(df) <= 5
    assert df.attrs["filters"] == wanted.filters() and set(df["country"]) <= {"US", "CN"}
    more = rich_client.search_designs(query_images[0], design_query=wanted, limit=7)  # keywords change it
    assert len(more) == 7 and searched(sb) == {SEARCH: 2}
    rich_client.search_many(query_images[:2], design_query=wanted, progress=False)
    assert searched(sb) == {SEARCH: 3}  # the first image's answer is cached: one call for the second
    with pytest.raises(ValidationError, match="design_query: must be a DesignQuery, got dict"):
        rich_client.search_designs(query_images[0], design_query={"limit": 5})
    assert searched(sb) == {SEARCH: 3}


ENDPOINT_PATHS = {"search-id": SEARCH, "image-single": SINGLE, "image-single-beta": BETA,
                  "image-multiple": MULTIPLE}


@pytest.mark.parametrize("made_for", list(ENDPOINT_PATHS))
@pytest.mark.parametrize("switched_to", list(ENDPOINT_PATHS))
def test_a_design_query_switched_to_another_endpoint_leaves_the_old_one_s_defaults(sb, rich_client, query_images,
                                                                                   made_for, switched_to):
    # review: a query made for image-single carried its filled-in patent_type D / model 1 to search-id, which
    # refused them though the user never set them ("endpoint= given beside it changes it")
    made = rich_client.design_query(endpoint=made_for, country=["US", "CN"], limit=5)
    df = rich_client.search_designs(query_images[0], design_query=made, endpoint=switched_to)
    assert searched(sb) == {ENDPOINT_PATHS[switched_to]: 1} and 0 < len(df) <= 5
    assert set(df["country"]) <= {"US", "CN"}


def test_a_filter_the_user_set_still_stops_at_an_endpoint_that_does_not_take_it(sb, rich_client, query_images):
    made = rich_client.design_query(endpoint="image-single", model=2, limit=5)
    with pytest.raises(ValidationError, match="model: the search-id endpoint does not take model"):
        rich_client.search_designs(query_images[0], design_query=made, endpoint="search-id")
    assert searched(sb) == {}
