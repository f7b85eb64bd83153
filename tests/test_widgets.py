"""The notebook widgets without a browser: form validation and round trips, the picker's checks, and the app
searching a real sandbox over HTTP (uploads simulated the way the browser sends them)."""

from __future__ import annotations

import base64
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
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.sample import write_queries
from patsnap_analytics.widgets import (
    CheckboxGroup,
    FilterForm,
    ImagePicker,
    SearchApp,
    Thumbnails,
    describe_error,
    results_table_html,
)
from patsnap_analytics.widgets.picker import THUMB_PX
from patsnap_analytics.wire.retry import RetryPolicy

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
    """What the browser does (widgets/upload.py): one message per file within the limit, then the names and
    sizes of those over it (never read, never sent)."""
    limit = picker.upload.max_bytes
    for name, data in files:
        if len(data) <= limit:
            picker.upload.receive({"kind": "file", "name": name}, [memoryview(data)])
    refused = [{"name": name, "size": len(data)} for name, data in files if len(data) > limit]
    picker.upload.receive({"kind": "done", "refused": refused}, [])


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
    form = FilterForm.from_design_query(query)
    assert form.valid and form.messages == {}
    assert form.design_query == query
    other = FilterForm()
    other.design_query = query
    assert other.design_query == query
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
    q = form.design_query
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
        _ = form.design_query
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
    assert form.valid and form.design_query.apply_start_time == date(2021, 1, 1)


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
    assert not [v for v in picker.upload.get_state().values() if isinstance(v, (bytes, memoryview))]
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


def test_picking_from_a_folder_and_a_file_path(tmp_path):
    (tmp_path / "a.png").write_bytes(drawing(1))
    (tmp_path / "b.JPG").write_bytes(jpeg_bytes())
    (tmp_path / "fake.png").write_bytes(GIF)
    (tmp_path / "notes.txt").write_text("not an image")
    picker = ImagePicker(samples=None, folder=tmp_path)  # the one folder this app may read
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
    assert sample_queries_dir() == ROOT / "patsnap_analytics" / "data" / "queries"  # the link to data/queries


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
    assert "<table" in app.table.html.value and str(df["patent_pn"].iloc[0]) in app.table.html.value
    assert set(app.charts) == {"score_distribution", "office_breakdown"}
    assert all(png.startswith(b"\x89PNG") for png in app.charts.values())
    assert "pa-query-card" in app.gallery.value and len(app.chart_output.outputs) == 2
    assert f"{client.stats.total_calls} API calls sent" in app.cost.value
    assert sb.stats == {**before, "/image-search/search-id": before["/image-search/search-id"] + 1,
                        "/image-search/image-upload": before["/image-search/image-upload"] + 1}  # thumbnails: no call
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
    assert "value" not in app.picker.upload.get_state()  # the bytes travel in messages, never in the state
    assert not any(isinstance(v, (bytes, memoryview)) and len(v) >= len(upload)
                   for state in states for v in state.values())


def test_form_offers_the_endpoint_and_a_model_for_its_patent_type():
    form = FilterForm()
    assert form.patent_type.disabled and form.model.disabled and "model" not in form.design_query.filters()
    form.endpoint.value = "image-single"
    assert not form.model.disabled and [v for _, v in form.model.options] == [1, 2]
    form.patent_type.value = "U"
    assert [v for _, v in form.model.options] == [4, 3] and form.model.value == 4
    assert form.valid and (form.design_query.endpoint, form.design_query.patent_type, form.design_query.model) == ("image-single", "U", 4)
    again = FilterForm.from_design_query(DesignQuery(endpoint="image-multiple", model=2))
    assert (again.endpoint.value, again.model.value) == ("image-multiple", 2)


def test_app_searches_picked_images_as_views_on_image_multiple(sb, query_images):
    client = client_for(sb, cache=":memory:")
    app = SearchApp(client, samples=False)
    for path in query_images[:2]:
        app.picker.add(path.read_bytes(), name=path.name)
    app.form.endpoint.value = "image-multiple"
    df = app.search()
    assert df is not None and sb.stats["/search/patent/image-multiple"] == 1 and df["query"].nunique() == 1


# ---------------------------------------------------------------------------------------------- issue 14: the app for a non-coder

def _all_html(widget) -> str:
    """Every HTML text the app shows (titles, messages, tables), as one string."""
    return " ".join(str(getattr(wid, "value", "")) for wid in _descendants(widget)
                    if isinstance(getattr(wid, "value", None), str))


def test_checkbox_group_ticks_codes_and_builds_folds_on_first_use():
    group = CheckboxGroup([("Active (1)", 1), ("Inactive (0)", 0)], folds=[("PCT stages", [("PCT (221)", 221)])])
    seen = []
    group.observe(lambda change: seen.append(change["new"]), "value")
    assert group.fold_boxes == [None] and group.fold_panels[0].selected_index is None  # folded, not built
    group.boxes[1].value = True
    group.boxes[0].value = True
    assert group.value == (1, 0) and seen == [(0,), (1, 0)]  # in the options' order, not the clicking order
    group.value = (221,)  # chosen from code: its fold is built to show it, and its title says so
    assert [box.value for box in group.fold_boxes[0]] == [True] and group.fold_titles() == ("PCT stages (1 ticked)",)
    assert [box.value for box in group.boxes] == [False, False]
    group.fold_boxes[0][0].value = False
    assert group.value == () and group.fold_titles() == ("PCT stages",)
    group.disabled = True
    assert all(box.disabled for box in [*group.boxes, *group.fold_boxes[0]])


def test_statuses_are_checkboxes_with_pct_stages_and_the_detailed_status_folded():
    form = FilterForm()
    assert [code for _, code in form.simple_legal_status.shown] == [0, 1, 2, 999]  # PCT stages folded:
    assert [[c for _, c in opts] for _, opts in form.simple_legal_status.folds] == [[220, 221]]  # designs have none
    assert [[c for _, c in opts] for _, opts in form.legal_status.folds] == [[222, 223, 224, 225]]
    legal_section = form.legal_section
    assert legal_section.children == (form.legal_status,) and legal_section in _descendants(form)
    assert legal_section.selected_index is None and legal_section.titles == ("Legal status (detailed)",)
    form.simple_legal_status.boxes[1].value = True  # Active (1)
    granted = next(box for box, (_, code) in zip(form.legal_status.boxes, form.legal_status.shown, strict=True)
                   if code == 3)
    granted.value = True
    assert legal_section.titles == ("Legal status (detailed) (1 ticked)",)  # a folded filter never hides
    assert form.valid and (form.design_query.simple_legal_status, form.design_query.legal_status) == ((1,), (3,))


def test_offices_are_checkboxes_the_rare_ones_folded_and_loaded_from_a_query():
    form = FilterForm()
    shown = {code for _, code in form.country.shown}
    assert {"US", "CN", "EU", "JP", "KR", "WO"} <= shown and "BX" not in shown
    assert form.country.fold_boxes == [None]  # 100-odd rare offices cost nothing until opened
    form.country.fold_panels[0].selected_index = 0
    assert len(form.country.fold_boxes[0]) == len(codes.OFFICES) - len(shown)
    again = FilterForm.from_design_query(DesignQuery(country=["BX", "US"]))
    assert again.design_query.country == ("BX", "US") and again.country.fold_titles()[0].endswith("(1 ticked)")


def test_order_is_offered_only_when_sorting_by_a_date():
    form = FilterForm()
    assert form.field.value == "" and form.order.disabled  # by similarity the most similar comes first
    form.field.value = "PBD"
    assert not form.order.disabled
    form.order.value = "asc"
    assert (form.design_query.field, form.design_query.order) == ("PBD", "asc")
    form.field.value = ""
    assert form.order.disabled and form.order.value == "desc" and form.design_query.order == "desc"
    assert FilterForm.from_design_query(DesignQuery(order="asc")).design_query.order == "desc"


def test_loc_picker_finds_classes_by_words_and_writes_the_expression(sb, client, query_images):
    form, before = FilterForm(), dict(sb.stats)
    picker = form.loc_picker
    picker.words.value = "watch"
    offered = [code for _, code in picker.matches.options]
    assert offered[:2] == ["10-02", "10"] and "10-02 Watches and wrist watches" in dict(picker.matches.options)
    picker.matches.value = ("10-02",)
    assert form.loc.value == "10-02" and form.valid
    picker.words.value = "phone"  # a second search keeps the first choice visible and ticked
    assert picker.matches.value == ("10-02",) and "14-03" in [code for _, code in picker.matches.options]
    picker.matches.value = ("10-02", "14-03")
    assert form.design_query.loc == "10-02 OR 14-03"
    picker.matches.value = ("14-03",)
    assert form.loc.value == "14-03"
    form.loc.value = "14 and not 14-03"  # typed by hand: kept whole, a tick joins it with OR
    assert picker.matches.value == ()
    picker.matches.value = ("14-03",)
    assert form.design_query.loc == "14 AND NOT 14-03 OR 14-03"
    form.loc.value = "(14 AND"
    assert picker.matches.disabled and "Fix the LOC expression" in picker.message.value
    picker.words.value = "zzzz"
    form.loc.value = ""
    assert "No Locarno class matches" in picker.message.value
    assert sb.stats == before  # finding codes is a table lookup, never a call

    # the expression the picker wrote is the one searched: rich rows carry their classes
    app = SearchApp(client, samples=None)
    watch = next(p for p in query_images if "watch" in p.name)
    app.picker.add(watch.read_bytes(), name=watch.name)
    app.form.endpoint.value = "image-single"
    app.form.loc_picker.words.value = "watch"
    app.form.loc_picker.matches.value = ("10-02",)
    df = app.search()
    assert app.error is None and len(df) > 0
    assert all(any(code.startswith("10-02") for code in codes_) for codes_ in df["loc"])


def test_results_table_pages_with_thumbnails_that_cost_no_call(sb, client):
    app = SearchApp(client, samples=None)
    app.picker.add(drawing(9), name="q.png")
    app.form.limit.value = 120
    before = dict(sb.stats)
    df = app.search()
    assert app.error is None and len(df) == 120
    # one upload, the first 100 ranks, the next 20: and nothing else (thumbnails are image links, not calls)
    assert sb.stats == {**before, "/image-search/image-upload": before["/image-search/image-upload"] + 1,
                        "/image-search/search-id": before["/image-search/search-id"] + 1,
                        "/image-search/results": before.get("/image-search/results", 0) + 1}
    page = app.table.html.value
    assert page.count("<img src='data:image/png;base64,") == 50 and app.table.page_label.value == "rows 1–50 of 120"
    assert str(df["patent_pn"].iloc[49]) in page and str(df["patent_pn"].iloc[50]) not in page
    first_page = set(df["image_url"].iloc[:50])
    assert client.stats.image_downloads == len(first_page)  # the gallery's 8 are on the first page too
    app.table.next_button.click()
    app.table.next_button.click()
    assert app.table.page_label.value == "rows 101–120 of 120" and app.table.next_button.disabled
    assert str(df["patent_pn"].iloc[119]) in app.table.html.value
    fetched = client.stats.image_downloads
    app.table.turn(-2)  # back to the first page: every picture is remembered
    assert client.stats.image_downloads == fetched and app.table.previous_button.disabled
    assert sb.stats["/image-search/search-id"] == before["/image-search/search-id"] + 1


def test_gallery_groups_results_per_query_with_the_query_image_first(sb, client, samples):
    app = SearchApp(client, samples=samples, gallery_size=3)
    app.picker.add_sample("query-1-10-02-watch.png")
    app.picker.add_sample("query-3-06-01-chair.png")
    app.form.limit.value = 5
    app.search()
    assert app.error is None
    page = app.gallery.value
    sections = page.split("<section class='pa-gallery-query'")[1:]
    assert [s.split("<h4", 1)[1].split(">", 1)[1].split(" <small", 1)[0] for s in sections] == \
        ["query-1-10-02-watch.png", "query-3-06-01-chair.png"]  # in the order searched
    for section, ref in zip(sections, app.picker.images, strict=True):
        cards = section.split("<figure class='")[1:]
        assert cards[0].startswith("pa-gallery-card pa-query-card")  # the query image first, framed
        assert Thumbnails.of_image(ref) in cards[0]
        assert len(cards) == 1 + 3 and all(not c.startswith("pa-gallery-card pa-query-card") for c in cards[1:])
        assert "5 results" in section


def _download(panel, kind: str) -> bytes:
    """The bytes behind the panel's download link of ``kind`` (what the browser saves)."""
    link = panel.links.value.split(f"data-kind='{kind}'", 1)[1]
    return base64.b64decode(link.split("base64,", 1)[1].split("'", 1)[0])


def test_exports_are_download_links_and_cost_no_call(sb, client, samples, tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    app = SearchApp(client, samples=samples, export_folder=tmp_path / "exports")
    assert all(button.disabled for button in app.exporter.buttons.values())  # nothing to export yet
    app.picker.add_sample("query-2-14-03-phone.png")
    app.picker.add_sample("query-5-26-05-lamp.png")
    app.form.limit.value = 6
    app.search()
    assert app.error is None and not any(button.disabled for button in app.exporter.buttons.values())
    before, calls = dict(sb.stats), client.stats.total_calls

    app.exporter.buttons["csv"].click()
    table = pd.read_csv(io.BytesIO(_download(app.exporter, "csv")))
    assert table["patent_pn"].tolist() == app.results["patent_pn"].tolist()
    assert "image_url_note" in table.columns  # sandbox links said to be sandbox links
    assert "no API call" in app.exporter.message.value and str(tmp_path / "exports") in app.exporter.message.value

    app.exporter.buttons["excel"].click()
    book = load_workbook(io.BytesIO(_download(app.exporter, "excel")))
    assert book.sheetnames == ["About", "All hits", "query-2-14-03-phone.png", "query-5-26-05-lamp.png"]
    assert book["All hits"].max_row == 1 + len(app.results) and book["All hits"]._images  # thumbnails

    app.exporter.buttons["report"].click()
    report = _download(app.exporter, "report").decode("utf-8")
    assert "SANDBOX DATA" in report and report.count('alt="query image ') == 2
    assert "127.0.0.1" not in report

    # three links, one per kind, each a file in the folder asked for; and not one call spent
    assert app.exporter.links.value.count("class='pa-download'") == 3
    assert sorted(p.suffix for p in (tmp_path / "exports").iterdir()) == [".csv", ".html", ".xlsx"]
    assert sb.stats == before and client.stats.total_calls == calls and app.exporter.error is None

    app.form.limit.value = 4  # a new search: the old files are no longer what the app shows
    app.search()
    assert app.exporter.links.value == "" and len(app.exporter.frame) == 8


def test_export_problems_are_messages(tmp_path):
    import pandas as pd

    from patsnap_analytics.widgets import ExportPanel

    panel = ExportPanel(client=None)
    assert panel.export("csv") is None and panel.error.startswith("Search first")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    panel = ExportPanel(client=None, folder=blocked)
    panel.use(pd.DataFrame({"query": ["q"], "patent_pn": ["US1S"]}))
    assert panel.export("csv") is None
    assert panel.error.startswith("The CSV could not be written") and "pa-export-error" in panel.message.value
    assert not panel.buttons["csv"].disabled  # it can be tried again


def test_details_say_their_cost_first_and_spend_exactly_that(sb, samples):
    client = client_for(sb, cache=":memory:")
    app = SearchApp(client, samples=samples)
    assert app.details_button.disabled
    app.picker.add_sample("query-6-12-08-car.png")
    app.form.limit.value = 12
    app.search()
    assert app.details_button.description == "Add holders, dates & status (3 API calls)"  # said before paying
    before = dict(sb.stats)
    rich = app.add_details()
    spent = {path: sb.stats[path] - before.get(path, 0) for path in sb.stats if sb.stats[path] != before.get(path, 0)}
    assert spent == {"/basic-patent-data/simple-bibliography": 1, "/basic-patent-data/simple-legal-status": 1,
                     "/basic-patent-data/legal-status": 1}
    assert app.error is None and app.results is rich and "Details: <b>3 API calls</b>" in app.cost.value
    assert "Holder" in app.table.html.value and "Filed" in app.table.html.value
    assert {"assignee_breakdown", "filing_timeline", "status_breakdown"} <= set(app.charts)
    assert app.details_button.description == "Add holders, dates & status (no call: looked up before)"
    before = dict(sb.stats)
    app.details_button.click()
    assert sb.stats == before  # looked up once, never paid twice
    app.exporter.buttons["excel"].click()
    from openpyxl import load_workbook

    header = load_workbook(io.BytesIO(_download(app.exporter, "excel")))["All hits"][1]
    assert {"Holder", "Filed", "Status"} <= {cell.value for cell in header}  # the workbook has the details too
    client.close()


def test_the_title_is_shown_once(sb, client):
    import json

    from patsnap_analytics.widgets.app import TITLE

    app = SearchApp(client, samples=None)
    assert _all_html(app).count(TITLE) == 1
    notebook = json.loads((ROOT / "notebooks" / "app.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert not any(TITLE in source or (source.lstrip().startswith("#") and cell["cell_type"] == "markdown")
                   for source, cell in zip(sources, notebook["cells"], strict=True))


def test_loc_picker_keeps_its_boxes_while_the_offer_is_the_same():
    form = FilterForm()
    form.loc_picker.words.value = "lamp"
    boxes = list(form.loc_picker.matches.boxes)
    form.loc.value = "26-05"  # typed by hand: the same classes are offered, one of them now ticked
    assert form.loc_picker.matches.boxes == boxes and form.loc_picker.matches.value == ("26-05",)
    assert [box.value for box in boxes] == [code == "26-05" for _, code in form.loc_picker.matches.shown]


def test_hostile_rows_and_images_stay_text_and_grey_boxes():
    import pandas as pd

    from patsnap_analytics.widgets.results import gallery_html

    from .conftest import bomb_png

    hostile = "<img src=x onerror=alert(1)>"
    df = pd.DataFrame({"query": [hostile], "rank": [1], "patent_pn": ["<b>US1S</b>"], "title": [f"'{hostile}"],
                       "score": [0.5], "image_url": ["https://img.example/bomb.png"], "country": ["US"]})
    images = {"https://img.example/bomb.png": bomb_png()}
    thumbs = Thumbnails(images.get)  # a decompression bomb from the wire: refused, drawn as "no image"
    for page in (gallery_html(df, thumbnail=thumbs.uri), results_table_html(df, thumbnail=thumbs.uri)):
        assert "<img src=x" not in page and "<b>US1S" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "pa-no-image" in page and "onerror=alert(1)>" not in page
    assert thumbs.fetched == 1  # asked once, remembered as missing


def test_thumbnails_remember_a_bounded_number_of_images():
    served = []

    def fetch(url):
        served.append(url)
        return png_bytes((40, 30))

    thumbs = Thumbnails(fetch, keep=3, workers=1)  # one worker: fetched, and so remembered, in order
    thumbs.prefetch([f"u{i}" for i in range(5)] + ["u4", None, ""])  # duplicates and blanks are not fetched
    assert sorted(served) == [f"u{i}" for i in range(5)] and len(thumbs) == 3
    assert thumbs.uri("u4").startswith("data:image/png;base64,") and len(served) == 5
    thumbs.uri("u0")  # forgotten (the oldest): fetched again
    assert served[-1] == "u0" and len(thumbs) == 3


def test_a_reviewer_sets_a_hit_s_verdict_in_the_results_and_it_is_stored_at_once(sb, tmp_path):
    from patsnap_analytics.codes import VERDICTS
    from patsnap_analytics.widgets.results import NOT_REVIEWED

    client = client_for(sb, cache=tmp_path / "cache.sqlite")
    app = SearchApp(client, samples=None)
    app.picker.add(drawing(4), name="lamp.png")
    app.form.limit.value = 5
    df = app.search()
    assert app.error is None and set(app.table.reviews) == set(df["patent_pn"])
    first, second = df["patent_pn"].iloc[0], df["patent_pn"].iloc[1]
    dropdown = app.table.reviews[first]
    assert dropdown.options == (NOT_REVIEWED, *VERDICTS) and dropdown.value == NOT_REVIEWED
    before = dict(sb.stats)
    dropdown.value = "same design"
    app.table.reviews[second].value = "different"
    stored = client.verdicts.frame().set_index("patent_pn")
    assert stored.loc[first, "verdict"] == "same design" and stored.loc[second, "relevance"] == 0
    assert stored.loc[first, "query_key"] == df["query_key"].iloc[0]
    assert "same design" in app.table.html.value and "<th>Verdict</th>" in app.table.html.value
    assert app.results.set_index("patent_pn").loc[first, "verdict"] == "same design"  # exports carry it
    assert "stored" in app.status and dict(sb.stats) == before   # no call
    app.table.reviews[second].value = NOT_REVIEWED                 # taken back: deleted
    assert client.verdicts.frame()["patent_pn"].tolist() == [first]

    again = SearchApp(client_for(sb, cache=tmp_path / "cache.sqlite"), samples=None)  # a later session
    again.picker.add(drawing(4), name="renamed.png")
    again.form.limit.value = 5
    again.search()
    assert again.table.reviews[first].value == "same design" and again.table.reviews[second].value == NOT_REVIEWED


def test_a_verdict_that_cannot_be_stored_is_a_message():
    import pandas as pd

    client = client_for_memory()
    app = SearchApp(client, samples=None)
    app.table.show(pd.DataFrame({"query": ["q"], "rank": [1], "patent_id": ["p1"], "patent_pn": ["USD1S"]}))
    app.table.reviews["USD1S"].value = "similar"          # a hit without a query key cannot be matched later
    assert app.error and "query_key" in app.error and len(client.verdicts) == 0
    assert "similar" not in app.table.html.value


def client_for_memory():
    import patsnap_analytics as pa

    return pa.Client(api_key="sk-test-only", cache=False)
