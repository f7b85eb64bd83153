"""The notebook widgets without a browser: form validation and round trips, the picker's checks, and the app
searching a real sandbox over HTTP (uploads simulated the way the browser sends them)."""

from __future__ import annotations

import io
from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image, ImageDraw

from patsnap_analytics import codes
from patsnap_analytics.errors import DailyQuotaExceededError, ValidationError
from patsnap_analytics.images import MAX_IMAGE_BYTES, sample_queries_dir
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.retry import RetryPolicy
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.sample import write_queries
from patsnap_analytics.widgets import (
    FilterForm,
    ImagePicker,
    SearchApp,
    describe_error,
    results_table_html,
)
from patsnap_analytics.widgets.picker import THUMB_PX

from .conftest import ROOT, client_for, jpeg_bytes, png_bytes

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def drawing(k: int, size=(320, 400)) -> bytes:
    """A distinct drawing-like PNG per k."""
    im = Image.new("1", size, 1)
    d = ImageDraw.Draw(im)
    d.rectangle([20 + 7 * k, 30, size[0] - 30, size[1] - 40 - 5 * k], outline=0, width=3)
    d.ellipse([60, 80 + 3 * k, 200, 220], outline=0, width=2)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def oversized_png() -> bytes:
    """A real, decodable PNG just over the API's 4096 KB limit (random pixels do not compress)."""
    rng = np.random.default_rng(0)
    im = Image.fromarray(rng.integers(0, 256, (1200, 1200, 3), dtype=np.uint8), "RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=0)
    data = buf.getvalue()
    assert len(data) > MAX_IMAGE_BYTES + 1024
    return data


def simulate_upload(picker: ImagePicker, files: list[tuple[str, bytes]]) -> None:
    """What the browser does: a state message with the files as ipywidgets 8 serialises them."""
    picker.upload.set_state({"value": [
        {"name": name, "type": "image/png", "size": len(data), "content": memoryview(data),
         "last_modified": 1_700_000_000_000} for name, data in files]})


@pytest.fixture(scope="module")
def sb():
    with Sandbox(designs=300) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb):
    sb.configure(daily_quota=None, rate_limit_fraction=0.0)
    sb.advance_day()
    c = client_for(sb, cache=False)
    yield c
    c.close()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("queries")
    write_queries(folder)
    return folder


# ---------------------------------------------------------------------------------------------- FilterForm

ROUND_TRIP = [
    DesignQuery(),
    DesignQuery(loc="(10-02 or 10-07) and not 10-04", limit=50),
    DesignQuery(country=["US", "CN", "EU"], legal_status=[3, 15], simple_legal_status=["Active", 2]),
    DesignQuery(assignees=["Acme Corp", "Globex"], main_field="folding chair", field="PBD", order="asc"),
    DesignQuery(apply_start_time="2015-01-01", apply_end_time="20201231", public_start_time=date(2016, 3, 1),
                public_end_time="2022-02-28", limit=100, field="ISD"),
    DesignQuery(country=["BX", "WO"], limit=1, field="APD", order="desc"),  # regional offices (no "ZZ": refused)
]


@pytest.mark.parametrize("query", ROUND_TRIP, ids=lambda q: q.describe()[:40])
def test_form_round_trips_queries(query):
    form = FilterForm.from_query(query)
    assert form.valid and form.messages == {}
    assert form.query == query
    other = FilterForm()
    other.query = query
    assert other.query == query
    # the widget values are what the analyst sees: labels for codes, the canonical LOC text
    assert other.loc.value == (query.loc or "")


def test_form_multi_selects_show_labels_and_send_codes():
    form = FilterForm()
    labels = dict(form.simple_legal_status.options)
    assert labels["Active (1)"] == 1
    assert {code for _, code in form.legal_status.options} == set(codes.LEGAL_STATUS)
    assert ("United States (US)", "US") in form.country.options
    form.simple_legal_status.value = (1, 2)
    form.country.value = ("US",)
    form.field.value = "PBD"
    form.order.value = "asc"
    form.limit.value = 42
    q = form.query
    assert (q.simple_legal_status, q.country, q.field, q.order, q.limit) == ((1, 2), ("US",), "PBD", "asc", 42)
    assert form.limit.min == 1 and form.limit.max == 1100


def test_form_invalid_loc_shows_the_parser_message_and_turns_invalid():
    form = FilterForm()
    seen, validity = [], []
    form.on_change(lambda f: seen.append(f.valid))
    form.observe(lambda change: validity.append(change["new"]), "valid")
    form.loc.value = "(14-03 OR"
    assert form.valid is False and validity == [False] and seen == [False]
    assert "expected a Locarno code" in form.messages["loc"]
    assert "expected a Locarno code" in form._message_widgets["loc"].value
    with pytest.raises(ValidationError):
        _ = form.query
    form.loc.value = "14-03 or 14"
    assert form.valid is True and validity == [False, True] and form.messages == {}
    assert form._message_widgets["loc"].value == ""


def test_form_flags_every_bad_widget_and_cross_field_rules():
    form = FilterForm()
    form.loc.value = "99-1"
    form.assignees.value = "Acme,,Globex"
    assert set(form.messages) == {"loc", "assignees"}
    form.loc.value, form.assignees.value = "", "Acme"
    form.dates["apply_start_time"].value = date(2021, 1, 1)
    form.dates["apply_end_time"].value = date(2020, 1, 1)
    assert not form.valid
    assert "must not be after apply_end_time" in form.messages["apply_start_time"]
    form.dates["apply_end_time"].value = None
    assert form.valid and form.query.apply_start_time == date(2021, 1, 1)


# ---------------------------------------------------------------------------------------------- ImagePicker

def test_upload_is_validated_previewed_and_cleared_from_widget_state():
    picker = ImagePicker(samples=None)
    changes = []
    picker.on_change(lambda p: changes.append(len(p.images)))
    big_drawing = drawing(1, size=(2000, 3000))
    simulate_upload(picker, [("sheet.png", big_drawing), ("photo.jpg", jpeg_bytes((640, 480)))])
    assert [ref.name for ref in picker.images] == ["sheet.png", "photo.jpg"]
    assert changes == [2]
    # the uploaded bytes do not stay in the widget (they would be saved into the notebook)
    assert picker.upload.value == () and picker.upload.get_state()["value"] == []
    thumbs = [box.children[0] for box in picker.gallery.children]
    for thumb in thumbs:
        with Image.open(io.BytesIO(thumb.value)) as im:
            assert max(im.size) <= THUMB_PX
        assert len(thumb.value) < 20_000
    # the 1-bit sheet's thin lines survive the shrink (some clearly dark pixels)
    with Image.open(io.BytesIO(thumbs[0].value)) as im:
        assert np.asarray(im.convert("L")).min() < 128


def test_bad_files_are_refused_with_a_visible_reason():
    picker = ImagePicker(samples=None)
    simulate_upload(picker, [("anim.gif", GIF), ("huge.png", oversized_png()), ("ok.png", png_bytes())])
    assert [ref.name for ref in picker.images] == ["ok.png"]
    reasons = dict(picker.rejected)
    assert "GIF is not accepted" in reasons["anim.gif"]
    assert "over the API's limit of 4096 KB" in reasons["huge.png"]
    assert "anim.gif" in picker.message.value and "huge.png" in picker.message.value
    assert picker.upload.value == ()


def test_picking_from_a_folder_and_a_file_path(tmp_path):
    (tmp_path / "a.png").write_bytes(drawing(1))
    (tmp_path / "b.JPG").write_bytes(jpeg_bytes())
    (tmp_path / "fake.png").write_bytes(GIF)
    (tmp_path / "notes.txt").write_text("not an image")
    picker = ImagePicker(samples=None)
    picker.folder.value = str(tmp_path)
    picker.folder_button.click()
    assert sorted(ref.name for ref in picker.images) == ["a.png", "b.JPG"]
    assert [name for name, _ in picker.rejected] == ["fake.png"]
    picker.clear()
    picker.add_path(tmp_path / "a.png")
    assert [ref.name for ref in picker.images] == ["a.png"]
    assert picker.add_path(tmp_path / "missing.png") == []
    assert "file not found" in picker.message.value
    picker.add(drawing(1), name="again.png")  # the same bytes again: kept once
    assert len(picker.images) == 1
    picker.remove(picker.images[0].sha256)
    assert picker.images == [] and picker.gallery.children == ()


def test_sample_images_are_offered_when_present(samples, tmp_path):
    picker = ImagePicker(samples=samples)
    names = [value for _, value in picker.sample_menu.options]
    assert names[0] == "*" and "query-1-10-02-watch.png" in names
    picker.sample_menu.value = "query-2-14-03-phone.png"
    picker.sample_button.click()
    assert [ref.name for ref in picker.images] == ["query-2-14-03-phone.png"]
    picker.add_sample("*")
    assert len(picker.images) == len(list(samples.glob("*.png")))
    empty = ImagePicker(samples=tmp_path)  # a folder without images: nothing offered, nothing to click
    assert empty.sample_menu.disabled and empty.sample_button.disabled
    # the samples ship inside the package, wherever it is installed
    assert sample_queries_dir() == ROOT / "patsnap_analytics" / "samples"


# ---------------------------------------------------------------------------------------------- SearchApp

def test_app_searches_the_sandbox_and_fills_the_tabs(sb, client):
    app = SearchApp(client, samples=None)
    assert app.search_button.disabled
    simulate_upload(app.picker, [("chair.png", drawing(2))])
    app.form.country.value = ("US", "CN")
    app.form.limit.value = 15
    assert not app.search_button.disabled
    before = dict(sb.stats)
    figures_before = set(plt.get_fignums())
    app.search_button.click()
    assert app.error is None, app.error
    df = app.results
    assert 0 < len(df) <= 15 and set(df["country"]) <= {"US", "CN"}
    assert df["query"].unique().tolist() == ["chair.png"]
    assert sb.stats["/image-search/search-id"] == before["/image-search/search-id"] + 1
    assert sb.stats["/image-search/image-upload"] == before["/image-search/image-upload"] + 1
    assert app.status.startswith(f"{len(df)} results for 1 image") and "[sandbox data]" in app.status
    assert "<table" in app.table.value and str(df["patent_pn"].iloc[0]) in app.table.value
    assert set(app.charts) == {"gallery", "score_distribution", "office_breakdown"}
    assert all(png.startswith(b"\x89PNG") for png in app.charts.values())
    assert app.gallery.outputs[0]["data"]["image/png"] and len(app.chart_output.outputs) == 2
    assert f"{client.stats.total_calls} API calls sent" in app.cost.value
    assert set(plt.get_fignums()) == figures_before  # nothing left over to pop up in the next cell
    assert not app.search_button.disabled


def test_app_searches_several_images_as_a_batch(sb, client, samples):
    app = SearchApp(client, samples=samples)
    app.picker.add_sample("*")
    app.form.limit.value = 5
    calls = sb.stats["/image-search/search-id"]
    app.search()
    n = len(app.picker.images)
    assert app.error is None, app.error
    assert app.results["query"].nunique() == n and len(app.results) == 5 * n
    assert sb.stats["/image-search/search-id"] == calls + n
    assert app.progress.value == n and "overlap_heatmap" in app.charts
    # the same search again is answered by nothing new on the server only when cached; here cache=False
    assert app.results.attrs["source"] == "sandbox"


def test_bad_file_never_reaches_the_api(sb, client):
    app = SearchApp(client, samples=None)
    before = dict(sb.stats)
    simulate_upload(app.picker, [("anim.gif", GIF), ("huge.png", oversized_png())])
    assert app.picker.images == [] and app.search_button.disabled
    assert "GIF is not accepted" in app.picker.message.value
    assert "4096 KB" in app.picker.message.value
    app.search_button.click()  # even a forced click
    assert app.error == "Pick at least one image first." and app.results is None
    assert sb.stats == before


def test_invalid_loc_disables_search_and_costs_nothing(sb, client):
    app = SearchApp(client, samples=None)
    app.picker.add(drawing(3), name="q.png")
    assert not app.search_button.disabled
    app.form.loc.value = "10-02 AND ("
    assert app.search_button.disabled and "Fix the filters" in app.status
    assert "expected" in app.form._message_widgets["loc"].value
    before = dict(sb.stats)
    app.search()
    assert app.error.startswith("Invalid filter: loc:") and sb.stats == before


def test_quota_error_is_a_message_not_an_exception(sb, client):
    app = SearchApp(client, samples=None)
    app.picker.add(drawing(4), name="q.png")
    sb.configure(daily_quota=0)
    try:
        _assert_quota_messages(app, sb)
    finally:
        sb.configure(daily_quota=None)  # the next test shares this sandbox
        sb.advance_day()


def _assert_quota_messages(app, sb):
    app.search_button.click()
    assert app.results is None and app.status == "Search failed."
    assert app.error.startswith("The daily API quota is used up") and "67200007" in app.error
    assert "daily API quota" in app.message.value
    assert not app.search_button.disabled  # tomorrow it can be tried again
    # a batch stops at the quota too, and says which images were left
    app.picker.add(drawing(5), name="r.png")
    app.search()
    assert app.results is None and "DailyQuotaExceededError" in app.error and "pending" in app.error


def test_rate_limit_and_auth_errors_are_messages(sb):
    sb.configure(rate_limit_fraction=1.0)
    try:
        with client_for(sb, cache=False, retry=RetryPolicy(max_attempts=2, backoff=0.01, jitter=False)) as c:
            app = SearchApp(c, samples=None)
            app.picker.add(drawing(6), name="q.png")
            app.search()
            assert app.error.startswith("The API is rate-limiting") and app.results is None
    finally:
        sb.configure(rate_limit_fraction=0.0)
    from patsnap_analytics import Client

    with Client(api_key="sk-sandbox-wrong", base_url=sb.url, cache=False) as bad:
        app = SearchApp(bad, samples=None)
        app.picker.add(drawing(7), name="q.png")
        app.search()
        assert app.error.startswith("The API refused the credentials")
        assert "sk-sandbox-wrong" not in app.error and "sk-sandbox-wrong" not in app.message.value


def test_error_texts_and_escaped_table():
    assert describe_error(DailyQuotaExceededError("quota", error_code=67200007)).startswith("The daily API quota")
    assert describe_error(RuntimeError("boom")) == "Unexpected error (RuntimeError: boom)"
    import pandas as pd

    df = pd.DataFrame({"query": ["<img src=x onerror=alert(1)>"], "rank": [1], "patent_pn": ["US1S"],
                       "title": ["<script>alert(1)</script>"], "score": [pd.NA], "country": ["US"]})
    table = results_table_html(df)
    assert "<script>" not in table and "&lt;script&gt;" in table and "<img" not in table


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def test_app_state_is_small_and_secret_free(sb, client):
    app = SearchApp(client, samples=None)
    upload = drawing(8, size=(1600, 2000))
    simulate_upload(app.picker, [("q.png", upload)])
    app.search()
    assert app.error is None
    # every widget's synced state, as a notebook would save it: no api key, no original upload bytes
    states = [wid.get_state() for wid in _descendants(app)]
    blob = repr(states)
    assert sb.api_key not in blob
    assert app.picker.upload.get_state()["value"] == []
    assert not any(isinstance(v, (bytes, memoryview)) and len(v) >= len(upload)
                   for state in states for v in state.values())


def test_form_offers_the_endpoint_and_a_model_for_its_patent_type():
    form = FilterForm()
    assert form.patent_type.disabled and form.model.disabled and "model" not in form.query.filters()
    form.endpoint.value = "image-single"
    assert not form.model.disabled and [v for _, v in form.model.options] == [1, 2]
    form.patent_type.value = "U"
    assert [v for _, v in form.model.options] == [4, 3] and form.model.value == 4
    assert form.valid and (form.query.endpoint, form.query.patent_type, form.query.model) == ("image-single", "U", 4)
    again = FilterForm.from_query(DesignQuery(endpoint="image-multiple", model=2))
    assert (again.endpoint.value, again.model.value) == ("image-multiple", 2)


def test_app_searches_picked_images_as_views_on_image_multiple(sb, query_images):
    client = client_for(sb, cache=":memory:")
    app = SearchApp(client, samples=False)
    for path in query_images[:2]:
        app.picker.add(path.read_bytes(), name=path.name)
    app.form.endpoint.value = "image-multiple"
    df = app.search()
    assert df is not None and sb.stats["/search/patent/image-multiple"] == 1 and df["query"].nunique() == 1
