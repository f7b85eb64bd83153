"""Charts draw what the data says: bar lengths, tick labels, lines, images and titles are checked, not pixels."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import AxesImage
from PIL import Image, ImageDraw

from patsnap_analytics import plots, thumbnails
from patsnap_analytics.codes import OFFICES, SIMPLE_LEGAL_STATUS

REAL_DRAWINGS = Path(__file__).resolve().parents[1].parent / "shared" / "real_drawings"


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plots must never call plt.show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


def results(queries=("chair.png", "lamp.png"), n=8, *, source="patsnap", seed=1) -> pd.DataFrame:
    """A result frame in the client's schema; patents drawn from a small shared pool so queries overlap."""
    rng = np.random.default_rng(seed)
    offices = ["US", "US", "US", "CN", "CN", "EU", "JP", "KR", "WO"]
    rows = []
    for q in queries:
        picks = rng.choice(30, n, replace=False)
        scores = np.sort(rng.uniform(0.4, 0.99, n))[::-1]
        for rank, (k, score) in enumerate(zip(picks, scores, strict=True), start=1):
            office = offices[k % len(offices)]
            rows.append({"query": q, "rank": rank, "patent_id": f"id{k:03d}", "patent_pn": f"{office}D{k:06d}S",
                         "title": f"Design {k}", "score": float(score), "image_url": f"mem://{k}",
                         "country": office, "search_id": f"s-{q}", "total_count": 500})
    df = pd.DataFrame(rows).astype({
        "query": "string", "rank": "Int64", "patent_id": "string", "patent_pn": "string", "title": "string",
        "score": "Float64", "image_url": "string", "country": "string", "search_id": "string",
        "total_count": "Int64"})
    df.attrs.update(source=source, filters={"limit": n}, base_url="http://127.0.0.1:1", endpoint="/x")
    return df


def with_status(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    k = df["patent_id"].str[2:].astype(int)
    codes = pd.array([(1, 0, 2, None)[i % 4] for i in k], dtype="Int64")
    df["simple_legal_status"] = codes
    df["simple_legal_status_label"] = pd.array(
        [None if pd.isna(c) else SIMPLE_LEGAL_STATUS[int(c)] for c in codes], dtype="string")
    return df


def with_loc(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    k = df["patent_id"].str[2:].astype(int)
    table = {0: ("06-01", "Seats"), 1: ("26-05", "Lamps, standard lamps, chandeliers"), 2: (None, None)}
    df["loc"] = pd.array([table[i % 3][0] for i in k], dtype="string")
    df["loc_label"] = pd.array([table[i % 3][1] for i in k], dtype="string")
    return df


def bars(ax) -> dict[str, float]:
    """Tick label -> bar length of a horizontal bar chart."""
    labels = {tick: text.get_text() for tick, text in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    return {labels[round(p.get_y() + p.get_height() / 2)]: float(p.get_width()) for p in ax.patches}


def png(colour=(40, 90, 160), size=(60, 40), mode="RGB") -> bytes:
    img = Image.new(mode, size, "white")
    ImageDraw.Draw(img).rectangle([5, 5, size[0] - 5, size[1] - 5], fill=colour if mode == "RGB" else None,
                                  outline=0 if mode != "RGB" else colour)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- breakdowns
def test_office_bars_match_distinct_value_counts_largest_first():
    df = results()
    ax = plots.office_breakdown(df)
    expected = df.drop_duplicates("patent_id")["country"].value_counts()
    drawn = bars(ax)
    assert drawn == {f"{OFFICES[c]} ({c})": float(v) for c, v in expected.items()}
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == f"{OFFICES[expected.index[0]]} ({expected.index[0]})"  # largest bar first (on top)
    assert ax.get_xlabel() == "Distinct designs"


def test_office_bars_count_rows_when_not_distinct_and_fold_the_tail_into_other():
    df = results()
    drawn = bars(plots.office_breakdown(df, distinct=False))
    assert sum(drawn.values()) == len(df)
    counts = df["country"].value_counts()
    folded = bars(plots.office_breakdown(df, distinct=False, top=3))
    assert len(folded) == 3
    other = [k for k in folded if k.startswith("Other (")]
    assert other == [f"Other ({len(counts) - 2})"]
    assert folded[other[0]] == counts.iloc[2:].sum()
    assert sum(folded.values()) == len(df)


def test_bar_labels_show_the_counts():
    df = results()
    ax = plots.office_breakdown(df)
    label_texts = [t.get_text() for t in ax.texts]
    expected = df.drop_duplicates("patent_id")["country"].value_counts()
    assert sorted(label_texts) == sorted(str(v) for v in expected.to_numpy())


def test_missing_country_is_an_unknown_bar():
    df = results()
    df.loc[0, "country"] = pd.NA
    drawn = bars(plots.office_breakdown(df, distinct=False))
    assert drawn[plots.UNKNOWN] == 1.0


def test_status_breakdown_counts_labels_and_shows_missing_as_unknown():
    df = with_status(results())
    ax = plots.status_breakdown(df)
    designs = df.drop_duplicates("patent_id")
    expected = designs["simple_legal_status_label"].fillna("Unknown").value_counts()
    assert bars(ax) == {k: float(v) for k, v in expected.items()}
    colours = {t.get_text(): p.get_facecolor() for t, p in
               zip(ax.get_yticklabels(), ax.patches, strict=True)}
    assert matplotlib.colors.to_hex(colours["Active"]) == plots.STATUS_COLOURS["Active"].lower()
    assert matplotlib.colors.to_hex(colours["Unknown"]) == plots.STATUS_COLOURS["Unknown"].lower()


def test_status_breakdown_on_an_unlabelled_frame_says_how_to_label_it():
    with pytest.raises(ValueError, match=r"simple_legal_status_label.*client\.label\(df, by='simple_legal_status'\)"):
        plots.status_breakdown(results())
    with pytest.raises(ValueError, match=r"legal_status_label.*by='legal_status'"):
        plots.status_breakdown(results(), status="legal_status")
    with pytest.raises(ValueError, match="status: must be"):
        plots.status_breakdown(results(), status="country")


def test_the_breakdowns_old_by_keyword_still_names_the_counted_column_with_a_deprecation_warning():
    # by= groups in every chart now; the column a breakdown counts is status= / assignee= (issue 24)
    df = enriched(results()).assign(legal_status_label="Granted")
    df["original_assignee"] = df["current_assignee"].str.upper()  # the filer, told apart from today's holder
    with pytest.warns(DeprecationWarning, match=r"status_breakdown\(by=...\) is renamed status=") as said:
        old = plots.status_breakdown(df, by="legal_status")
    assert said[0].filename == __file__  # the caller's line, not the chart wrapper's (shown by default in __main__)
    assert [t.get_text() for t in old.get_yticklabels()] == ["Granted"]
    for chart in (plots.assignee_breakdown, plots.assignee_office_heatmap):
        new = chart(df, assignee="original_assignee")
        with pytest.warns(DeprecationWarning, match=r"\(by=...\) is renamed assignee=") as said:
            old = chart(df, by="original_assignee")
        assert said[0].filename == __file__
        ticks = [t.get_text() for t in old.get_yticklabels()]
        assert ticks == [t.get_text() for t in new.get_yticklabels()] and "ACME INC." in ticks
        assert old.get_title() == new.get_title()
    plt.close("all")


def test_loc_breakdown_labels_bars_with_code_and_name():
    df = with_loc(results())
    drawn = bars(plots.loc_breakdown(df))
    designs = df.drop_duplicates("patent_id")
    counts = designs["loc"].fillna("Unknown").value_counts()
    assert drawn["06-01 Seats"] == counts["06-01"]
    assert drawn["Unknown"] == counts["Unknown"]
    lamp = [k for k in drawn if k.startswith("26-05")]
    assert lamp and "Lamps" in lamp[0] and drawn[lamp[0]] == counts["26-05"]
    with pytest.raises(ValueError, match=r"no 'loc' column.*client\.enrich\(df\) or client\.label\(df, by='loc'\)"):
        plots.loc_breakdown(results())


# ---------------------------------------------------------------------------------------------- scores
def test_score_vs_rank_draws_one_line_per_query_in_rank_order():
    df = results()
    ax = plots.score_vs_rank(df)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"chair.png", "lamp.png"}
    part = df[df["query"] == "lamp.png"].sort_values("rank")
    np.testing.assert_allclose(lines["lamp.png"].get_ydata(), part["score"].to_numpy(dtype=float))
    np.testing.assert_allclose(lines["lamp.png"].get_xdata(), part["rank"].to_numpy(dtype=float))


def test_score_charts_leave_out_na_scores_and_say_so():
    df = results()
    df.loc[[0, 3], "score"] = pd.NA
    ax = plots.score_distribution(df, kind="ecdf")
    drawn = sum(len(line.get_xdata()) for line in ax.get_lines())
    assert drawn == df["score"].notna().sum()
    assert "2 unscored rows left out" in ax.get_title()
    ax = plots.score_vs_rank(df)
    assert sum(len(line.get_xdata()) for line in ax.get_lines()) == df["score"].notna().sum()


@pytest.mark.parametrize("chart", [plots.score_distribution, plots.score_vs_rank])
def test_score_charts_of_a_date_sorted_search_say_there_are_no_scores(chart):
    df = results()
    df["score"] = pd.array([pd.NA] * len(df), dtype="Float64")
    ax = chart(df)
    assert "no scores" in ax.get_title()
    assert any("No similarity scores" in t.get_text() for t in ax.texts)
    assert ax.get_lines() == [] and len(ax.patches) == 0


@pytest.mark.parametrize("kind", ["hist", "kde", "ecdf"])
def test_score_distribution_kinds_draw_a_layer_per_query(kind):
    ax = plots.score_distribution(results(("a.png", "b.png", "c.png")), kind=kind)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["a.png", "b.png", "c.png"]
    assert ax.get_xlabel() == "Similarity score"


def test_score_distribution_histogram_counts_every_scored_result():
    df = results(("only.png",), n=20)
    ax = plots.score_distribution(df, by=None, bins=7)
    filled = [p for p in ax.patches if p.get_fill()]
    # a stepfilled histogram is one polygon whose top edge is the bin counts; its area / bin width = n
    vertices = filled[0].get_xy()
    xs, ys = vertices[:, 0], vertices[:, 1]
    area = np.abs(np.trapezoid(ys, xs)) if hasattr(np, "trapezoid") else np.abs(np.trapz(ys, xs))
    width = (df["score"].max() - df["score"].min()) / 7
    assert area / width == pytest.approx(20)
    assert ax.get_legend() is None


def test_score_distribution_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        plots.score_distribution(results(), kind="violin")


# ---------------------------------------------------------------------------------------------- overlap
def test_overlap_heatmap_annotates_the_jaccard_of_patent_sets():
    df = results(("a.png", "b.png", "c.png"))
    ax = plots.overlap_heatmap(df)
    sets = {q: set(df.loc[df["query"] == q, "patent_id"]) for q in ("a.png", "b.png", "c.png")}
    expected = len(sets["a.png"] & sets["c.png"]) / len(sets["a.png"] | sets["c.png"])
    cell = next(t for t in ax.texts if tuple(t.get_position()) == (2, 0))
    assert cell.get_text() == f"{expected:.2f}"
    assert len(ax.texts) == 9
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a.png", "b.png", "c.png"]


def test_overlap_needs_two_queries():
    with pytest.raises(ValueError, match="at least two queries"):
        plots.overlap_heatmap(results(("one.png",)))


def test_long_query_urls_are_shortened_in_legends():
    ax = plots.score_vs_rank(results(("https://example.com/some/dir/front-view.png", "b.png")))
    assert {line.get_label() for line in ax.get_lines()} == {"front-view.png", "b.png"}


# ---------------------------------------------------------------------------------------------- common
ALL_AXES_CHARTS = [
    lambda df, ax: plots.score_distribution(df, ax=ax),
    lambda df, ax: plots.score_vs_rank(df, ax=ax),
    lambda df, ax: plots.office_breakdown(df, ax=ax),
    lambda df, ax: plots.status_breakdown(df, ax=ax),
    lambda df, ax: plots.loc_breakdown(df, ax=ax),
    lambda df, ax: plots.overlap_heatmap(df, ax=ax),
    lambda df, ax: plots.assignee_breakdown(enriched(df), ax=ax),
    lambda df, ax: plots.filing_timeline(enriched(df), ax=ax),
    lambda df, ax: plots.assignee_office_heatmap(enriched(df), ax=ax),
]


@pytest.mark.parametrize("chart", ALL_AXES_CHARTS)
def test_charts_draw_on_the_given_axes_and_return_it(chart):
    _fig, (left, right) = plt.subplots(1, 2)
    assert chart(with_loc(with_status(results())), right) is right
    assert right.has_data() and not left.has_data()
    assert len(plt.get_fignums()) == 1  # no stray figure was created


@pytest.mark.parametrize("chart", ALL_AXES_CHARTS)
def test_titles_mark_sandbox_data_and_only_sandbox_data(chart):
    ax = chart(with_loc(with_status(results(source="sandbox"))), None)
    assert ax.get_title().endswith(" [sandbox data]")
    ax = chart(with_loc(with_status(results(source="patsnap"))), None)
    assert "sandbox" not in ax.get_title()


@pytest.mark.parametrize("chart", ALL_AXES_CHARTS)
def test_empty_frames_raise_a_clear_error(chart):
    empty = with_loc(with_status(results())).iloc[0:0]
    with pytest.raises(ValueError, match="no results"):
        chart(empty, None)


def test_charts_use_the_okabe_ito_palette():
    ax = plots.score_vs_rank(results(("a", "b", "c")))
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in ax.get_lines()]
    assert colours == [c.lower() for c in plots.OKABE_ITO[:3]]


# ---------------------------------------------------------------------------------------------- gallery
def gallery_images(fig):
    shown = [ax for ax in fig.axes if ax.get_visible()]
    images = [ax for ax in shown if any(isinstance(a, AxesImage) for a in ax.get_children())]
    placeholders = [ax for ax in shown if any(t.get_text() == "image unavailable" for t in ax.texts)]
    return shown, images, placeholders


def test_gallery_draws_images_and_placeholders_for_missing_or_broken_ones():
    df = results(("q.png",), n=6)
    best = df.sort_values("score", ascending=False)["image_url"].tolist()
    store = {best[0]: png(), best[1]: b"\x89PNG\r\n\x1a\n garbage", best[2]: png(mode="1"), best[4]: png()}
    fig = plots.thumbnail_gallery(df, fetch=store.get, n=5, ncols=3)
    shown, images, placeholders = gallery_images(fig)
    assert (len(shown), len(images), len(placeholders)) == (5, 3, 2)
    assert sum(not ax.get_visible() for ax in fig.axes) == 1  # 2x3 grid, one cell hidden
    top = df.sort_values("score", ascending=False).iloc[0]
    assert shown[0].get_xlabel() == f"{top['patent_pn']}\nscore {top['score']:.3g}"


def test_gallery_omits_na_scores_and_keeps_rank_order():
    df = results(("q.png",), n=4)
    df["score"] = pd.array([pd.NA] * len(df), dtype="Float64")
    df = df.sample(frac=1, random_state=3)
    fig = plots.thumbnail_gallery(df, fetch=lambda url: None)
    captions = [ax.get_xlabel() for ax in fig.axes if ax.get_visible()]
    assert captions == df.sort_values("rank")["patent_pn"].tolist()


def test_gallery_survives_a_fetch_that_raises_and_uses_client_fetch_image():
    class Client:
        def __init__(self):
            self.calls = []

        def fetch_image(self, url):
            self.calls.append(url)
            raise OSError("connection reset")

    client = Client()
    fig = plots.thumbnail_gallery(results(("q.png",), n=3), client=client)
    assert len(client.calls) == 3
    assert len(gallery_images(fig)[2]) == 3


def test_gallery_honours_fig_marks_sandbox_and_needs_a_fetcher():
    fig = plt.figure()
    out = plots.thumbnail_gallery(results(source="sandbox"), fetch=lambda u: png(), n=4, fig=fig)
    assert out is fig
    assert fig.get_suptitle().endswith("[sandbox data]")
    assert len(gallery_images(fig)[1]) == 4
    with pytest.raises(ValueError, match="fetch="):
        plots.thumbnail_gallery(results())


def test_thumbnail_flattens_transparency_and_limits_size():
    img = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    thumb = thumbnails.thumbnail("u", lambda url: buf.getvalue(), size=100)
    assert thumb.mode == "RGB" and thumb.size == (100, 50)
    assert thumb.getpixel((10, 10)) == (255, 255, 255)
    assert thumbnails.thumbnail(None, lambda url: png()) is None
    assert thumbnails.thumbnail(pd.NA, lambda url: png()) is None


@pytest.mark.skipif(not REAL_DRAWINGS.is_dir(), reason="shared/real_drawings not available")
def test_gallery_shows_real_one_bit_drawing_sheets():
    sheets = sorted(REAL_DRAWINGS.glob("*.png"))[:2]
    df = results(("q.png",), n=2)
    store = dict(zip(df["image_url"], (p.read_bytes() for p in sheets), strict=True))
    fig = plots.thumbnail_gallery(df, fetch=store.get)
    _, images, placeholders = gallery_images(fig)
    assert len(images) == 2 and not placeholders
    array = next(a for a in images[0].get_children() if isinstance(a, AxesImage)).get_array()
    assert max(array.shape[:2]) == 256  # shrunk from ~3000 px
    assert array.min() < 50 and array.max() > 200  # black lines on white paper survived


def test_loc_breakdown_counts_a_design_in_each_of_its_classes():
    from patsnap_analytics.plots import loc_breakdown

    df = pd.DataFrame({"patent_id": ["1", "2", "3"], "loc": ["06-01,06-03", "06-01", pd.NA],
                       "loc_label": ["Seats; Tables", "Seats", pd.NA]})
    widths = {label.split()[0]: width for label, width in bars(loc_breakdown(df)).items()}
    assert widths["06-01"] == 2 and widths["06-03"] == 1


def test_figure_png_renders_closes_and_forwards_savefig_options():
    from matplotlib.figure import Figure

    ax = plots.office_breakdown(results())
    number = ax.figure.number
    small = plots.figure_png(ax.figure, dpi=40)
    assert not plt.fignum_exists(number)  # closed: a notebook will not draw it again
    with Image.open(io.BytesIO(small)) as im:
        assert im.format == "PNG" and im.size == (7 * 40, round(ax.figure.get_figheight() * 40))
    kept = plots.office_breakdown(results())
    plots.figure_png(kept.figure, close=False)
    assert plt.fignum_exists(kept.figure.number)
    bare = Figure(figsize=(2, 1))  # a figure pyplot never knew (the report's) is rendered all the same
    bare.add_subplot().plot([0, 1])
    sizes = [Image.open(io.BytesIO(plots.figure_png(bare, dpi=50, **options))).size
             for options in ({}, {"bbox_inches": "tight"})]
    assert sizes[0] == (100, 50) and sizes[1] != sizes[0]  # bbox_inches reached savefig


# ---------------------------------------------------------------------------------------------- seaborn style
CHART_FUNCTIONS = ["score_distribution", "score_vs_rank", "office_breakdown", "status_breakdown", "loc_breakdown",
                   "overlap_heatmap", "thumbnail_gallery", "assignee_breakdown", "filing_timeline",
                   "assignee_office_heatmap"]


@pytest.mark.parametrize("name", CHART_FUNCTIONS)
def test_every_chart_takes_data_first_then_keyword_options_ax_and_kwargs(name):
    import inspect

    params = list(inspect.signature(getattr(plots, name)).parameters.values())
    assert params[0].name == "df" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:-1])
    assert params[-1].kind is inspect.Parameter.VAR_KEYWORD
    target = "fig" if name == "thumbnail_gallery" else "ax"
    assert {p.name: p.default for p in params}[target] is None


@pytest.mark.parametrize("kind", ["hist", "kde", "ecdf"])
def test_score_distribution_forwards_kwargs_to_each_layers_line(kind):
    ax = plots.score_distribution(results(), kind=kind, lw=3.5, alpha=0.8, color="black")
    lines = ax.get_lines() if kind != "hist" else [p for p in ax.patches if not p.get_fill()]
    assert len(lines) == 2
    for line in lines:
        assert line.get_linewidth() == 3.5 and line.get_alpha() == 0.8
    assert all(matplotlib.colors.to_hex(c.get_facecolor()) == "#000000"  # the shading follows the line colour
               for c in (*ax.collections, *(p for p in ax.patches if p.get_fill())))


def test_score_vs_rank_forwards_kwargs_to_plot_over_the_house_style():
    ax = plots.score_vs_rank(results(), marker="s", lw=3, alpha=0.5)
    for line in ax.get_lines():
        assert (line.get_marker(), line.get_linewidth(), line.get_alpha()) == ("s", 3, 0.5)
        assert line.get_markersize() == 3.5  # what the caller did not override stays


@pytest.mark.parametrize("chart", [plots.office_breakdown, plots.status_breakdown, plots.loc_breakdown])
def test_breakdowns_forward_kwargs_to_barh(chart):
    ax = chart(with_loc(with_status(results())), edgecolor="black", hatch="//", height=0.5)
    assert ax.patches
    for bar in ax.patches:
        assert bar.get_hatch() == "//" and bar.get_height() == 0.5
        assert matplotlib.colors.to_hex(bar.get_edgecolor()) == "#000000"


@pytest.mark.parametrize("chart", [plots.assignee_breakdown, plots.filing_timeline])
def test_who_and_when_charts_forward_kwargs_to_their_bars(chart):
    ax = chart(enriched(results()), edgecolor="black", hatch="//")
    assert ax.patches
    for bar in ax.patches:
        assert bar.get_hatch() == "//" and matplotlib.colors.to_hex(bar.get_edgecolor()) == "#000000"


def test_assignee_office_heatmap_forwards_kwargs_to_imshow():
    ax = plots.assignee_office_heatmap(enriched(results()), cmap="viridis", interpolation="nearest")
    (image,) = ax.images
    assert image.get_cmap().name == "viridis" and image.get_interpolation() == "nearest"


def test_overlap_heatmap_forwards_kwargs_to_imshow():
    ax = plots.overlap_heatmap(results(), cmap="viridis", interpolation="nearest")
    (image,) = ax.images
    assert image.get_cmap().name == "viridis" and image.get_interpolation() == "nearest"
    assert image.get_clim() == (0.0, 1.0)


def test_gallery_forwards_kwargs_to_each_imshow():
    fig = plots.thumbnail_gallery(results(("q.png",), n=3), fetch=lambda url: png(), interpolation="bilinear")
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 3 and {im.get_interpolation() for im in images} == {"bilinear"}


def enriched(df):
    """``df`` with the columns enrichment adds (holders, offices, filing dates, status labels)."""
    k = df["patent_id"].str[-1].map(ord)
    return df.assign(current_assignee=[("Acme Inc.", "Beta Ltd", "Gamma GmbH")[i % 3] for i in k],
                     application_date=pd.to_datetime([f"{2015 + i % 6}-03-01" for i in k]),
                     simple_legal_status_label=[("Active", "Inactive")[i % 2] for i in k])


def test_who_where_when_charts_count_distinct_designs():
    df = enriched(results())
    designs = df.drop_duplicates("patent_id")
    ax = plots.assignee_breakdown(df, stack="simple_legal_status")
    heights = {}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for patch in ax.patches:  # each holder's stacked parts add up to its distinct designs
        row = labels[::-1][round(patch.get_y() + patch.get_height() / 2)]
        heights[row] = heights.get(row, 0) + patch.get_width()
    assert heights == designs["current_assignee"].value_counts().astype(float).to_dict()
    assert ax.get_legend() is not None
    plt.close(ax.figure)
    ax = plots.filing_timeline(df, stack="simple_legal_status")
    assert sum(p.get_height() for p in ax.patches) == len(designs)
    plt.close(ax.figure)
    ax = plots.assignee_office_heatmap(df)
    assert sum(int(t.get_text() or 0) for t in ax.texts) == len(designs.drop_duplicates(["patent_id"]))
    plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"client\.enrich"):
        plots.assignee_breakdown(results())


def _tick_values(axis) -> list[float]:
    """The major tick values a drawn axis shows, inside its view limits."""
    lo, hi = sorted(axis.get_view_interval())
    return [float(t) for t in axis.get_majorticklocs() if lo - 1e-9 <= t <= hi + 1e-9]


COUNT_AXES = {  # chart -> the axis (or colour bar axis) that counts designs or results, on a frame of 2-3 designs
    "office_breakdown": lambda df: plots.office_breakdown(df).xaxis,
    "office_breakdown rows": lambda df: plots.office_breakdown(df, distinct=False).xaxis,
    "status_breakdown": lambda df: plots.status_breakdown(with_status(df)).xaxis,
    "loc_breakdown": lambda df: plots.loc_breakdown(with_loc(df)).xaxis,
    "score_distribution hist": lambda df: plots.score_distribution(df).yaxis,
    "score_vs_rank (rank)": lambda df: plots.score_vs_rank(df).xaxis,
    "assignee_breakdown": lambda df: plots.assignee_breakdown(enriched(df), stack="simple_legal_status").xaxis,
    "filing_timeline": lambda df: plots.filing_timeline(enriched(df)).yaxis,
    "assignee_office_heatmap colour bar": lambda df: plots.assignee_office_heatmap(enriched(df)).figure.axes[-1].yaxis,
}


@pytest.mark.parametrize("chart", list(COUNT_AXES))
def test_count_axes_have_whole_number_ticks_only(chart):
    # few designs are where Matplotlib's default locator puts ticks at 0.5, 1.5, ...
    df = results(queries=("chair.png",), n=3)
    axis = COUNT_AXES[chart](df)
    axis.axes.figure.canvas.draw()
    ticks = _tick_values(axis)
    assert len(ticks) >= 2, ticks
    assert all(t == int(t) for t in ticks), f"{chart}: ticks {ticks}"
