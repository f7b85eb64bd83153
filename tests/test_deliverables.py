"""Issue 22: deliverables fit to send — counters, charts and their refusals, exports from every path, the CLI's
set-up and messages, the app's guards. Each test failed on the code before the issue was worked (said per test).

Browser checks (the report on screen and on A4, CJK glyphs, the app's upload limit) are in
``test_deliverables_browser.py``.
"""

from __future__ import annotations

from .conftest import QUERIES, client_for


# ------------------------------------------------------------------------------------------------ counters
def test_calls_saved_counts_api_calls_only_thumbnails_apart(sb, tmp_path):
    """A first search whose thumbnails are read twice saves no API call (it said 2 before: the re-reads)."""
    client = client_for(sb, cache=tmp_path / "c.sqlite")
    hits = client.search_designs(QUERIES / "query-1-10-02-watch.png", limit=2)
    for _ in range(2):
        for url in hits["image_url"]:
            client.fetch_image(url)
    stats = client.stats.as_dict()
    assert stats["image_cache_hits"] == 2 and stats["calls_saved"] == 0
    client.search_designs(QUERIES / "query-1-10-02-watch.png", limit=2)  # a repeated search: one page saved
    assert client.stats.calls_saved == 1 and client.stats.as_dict()["image_cache_hits"] == 2
    assert sum(sb.stats.values()) == client.stats.total_calls


# ------------------------------------------------------------------------------------------------ charts
import warnings  # noqa: E402

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from patsnap_analytics import plots  # noqa: E402
from patsnap_analytics.errors import PatsnapError, ValidationError  # noqa: E402

OFFICES10 = ["US", "CN", "EU", "JP", "KR", "GB", "DE", "WO", "FR", "IT"]


def _frame(n: int = 40, **columns) -> pd.DataFrame:
    df = pd.DataFrame({"query": ["q.png"] * n, "rank": range(1, n + 1), "patent_id": [f"p{i}" for i in range(n)],
                       "patent_pn": [f"USD{i}S" for i in range(n)], "score": np.linspace(0.9, 0.3, n),
                       "country": [OFFICES10[i % 10] for i in range(n)], **columns})
    df.attrs["source"] = "sandbox"
    return df


def _drawn(ax):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(ax.figure) if not ax.figure.canvas.supports_blit else ax.figure.canvas
    canvas.draw()
    return canvas.get_renderer()


def _legend_colours(ax) -> dict[str, str]:
    legend = ax.get_legend()
    return {t.get_text(): matplotlib.colors.to_hex(h.get_facecolor())
            for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)}


def test_ten_offices_get_ten_colours_in_the_filing_timeline():
    """Before: the 8-colour palette cycled, so CN and KR shared blue, US and DE orange."""
    df = _frame(application_date=pd.to_datetime([f"{2010 + i % 7}-03-01" for i in range(40)]))
    ax = plots.filing_timeline(df)
    colours = _legend_colours(ax)
    assert len(set(colours.values())) == len(colours), colours   # one colour per category
    assert any(name.startswith("Other (") for name in colours)     # the tail grouped, not recoloured
    plots.plt.close(ax.figure)


def test_status_colours_mean_status_and_never_repeat_in_a_chart():
    """Before: "Non-payment" (lapsed) was drawn in the green of "Granted"."""
    labels = ["Granted", "Non-payment", "Expired", "Examining"] * 10
    df = _frame(current_assignee=[f"Holder {i % 3}" for i in range(40)], legal_status_label=labels)
    ax = plots.assignee_breakdown(df, stack="legal_status")
    colours = {name: to_rgb(c) for name, c in _legend_colours(ax).items()}
    assert len(set(colours.values())) == 4
    granted, unpaid, expired, examining = (colours[k] for k in ("Granted", "Non-payment", "Expired", "Examining"))
    assert granted[1] > granted[0] and unpaid[0] > unpaid[1] and expired[0] > expired[1]  # green vs red-ish
    assert examining[0] > examining[2] and examining[1] > examining[2]                       # amber
    plots.plt.close(ax.figure)


def test_legends_sit_outside_the_bars():
    """Before: the stacked charts' legends were drawn over the bars (lower right / upper left inside)."""
    df = _frame(current_assignee=[f"Holder {i % 5}" for i in range(40)],
                simple_legal_status_label=["Active", "Inactive", "Pending", "Active"] * 10)
    ax = plots.assignee_breakdown(df, stack="simple_legal_status")
    renderer = _drawn(ax)
    legend, axes = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert legend.x0 >= axes.x1 - 1, (legend, axes)
    plots.plt.close(ax.figure)


def test_empty_heatmap_cells_are_blank():
    """Before: a holder x office cell with no design was painted in the scale's brightest yellow."""
    df = _frame(current_assignee=["Acme" if i % 10 < 5 else "Beta" for i in range(40)])
    ax = plots.assignee_office_heatmap(df)
    image = ax.get_images()[0]
    array = image.get_array()
    assert np.ma.is_masked(array) and array.mask.sum() == array.size // 2   # each holder files in 5 of 10
    assert tuple(image.get_cmap().get_bad()[:3]) == (1.0, 1.0, 1.0)          # masked cells are drawn white
    plots.plt.close(ax.figure)


def test_a_long_chart_title_wraps_inside_the_figure():
    """Before: "Results by patent office [sandbox data]" ran off the report's 6.4-inch figure."""
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = plots.office_breakdown(_frame(), ax=fig.add_subplot())
    renderer = _drawn(ax)
    box = ax.title.get_window_extent(renderer)
    assert "[sandbox data]" in ax.title.get_text()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, (box, fig.bbox)


def test_charts_refuse_frames_without_what_they_show_naming_enrich():
    """Before: one "Unknown" bar titled "Top 1 current holders"; "no result has a application_date"; plain
    ValueError / TypeError outside the toolkit's error tree."""
    df = _frame(current_assignee=[None] * 40, application_date=pd.Series([pd.NaT] * 40))
    with pytest.raises(ValidationError, match=r"no result has a current assignee.*client\.enrich\(df\)"):
        plots.assignee_breakdown(df)
    with pytest.raises(ValidationError, match=r"no result has an application date.*client\.enrich\(df\)"):
        plots.filing_timeline(df)
    with pytest.raises(PatsnapError):
        plots.office_breakdown(df.drop(columns="country"))
    with pytest.raises(PatsnapError):
        plots.score_distribution([1, 2, 3])


def test_a_single_holder_is_not_a_top_1():
    ax = plots.assignee_breakdown(_frame(current_assignee=["Acme"] * 40))
    assert ax.get_title() == "Current holders [sandbox data]"
    plots.plt.close(ax.figure)


def test_a_chart_draws_cjk_titles_and_holders_with_glyphs():
    """Before: CJK text was drawn as boxes (DejaVu Sans has no CJK glyph; no fallback was named)."""
    from matplotlib import font_manager

    if not {f.name for f in font_manager.fontManager.ttflist} & set(plots.CJK_FONTS):
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk; .ci/run installs it)")
    df = _frame(current_assignee=["株式会社ミナト", "深圳市椅子有限公司"] * 20)
    ax = plots.assignee_breakdown(df)
    ax.set_title("椅子 — 灯 [sandbox data]")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _drawn(ax)
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    plots.plt.close(ax.figure)


def test_report_refusals_are_in_the_toolkit_error_tree(tmp_path):
    """Before: a plain TypeError / ValueError (the README says everything derives from PatsnapError)."""
    from patsnap_analytics.report import landscape_report

    with pytest.raises(ValidationError, match="df"):
        landscape_report([1, 2], tmp_path / "r.html")
    with pytest.raises(ValidationError, match="patent_id"):
        landscape_report(pd.DataFrame({"query": ["q"]}), tmp_path / "r.html")
    with pytest.raises(ValidationError, match="top"):
        landscape_report(_frame(), tmp_path / "r.html", top=0)


# ------------------------------------------------------------------------------------------------ exports
def test_every_export_path_marks_sandbox_data_joins_lists_alike_and_flags_dead_links(sb, tmp_path, monkeypatch):
    """Before: the demo's / report command's results.csv had no sandbox note, lists as Python reprs
    ("['Emma Brown']") and image links to a port already closed; review.xlsx said nowhere it was sandbox data;
    CSV cells were "|"-joined where the workbook's were "; "-joined."""
    from openpyxl import load_workbook

    from patsnap_analytics.cli import main
    from patsnap_analytics.exports import DATA_SOURCES, LIST_SEPARATOR, SANDBOX_LINK_NOTE
    from patsnap_analytics.widgets.exporter import ExportPanel
    from patsnap_analytics.workflows.deliverable import deliver

    client = client_for(sb, cache=tmp_path / "c.sqlite")
    hits = client.search_many(sorted(QUERIES.glob("*.png"))[:2], limit=5, progress=False)
    done = deliver(client, hits, tmp_path / "out", progress=False)          # the demo's and `report`'s path
    panel = ExportPanel(client, folder=tmp_path / "app")                    # the app's CSV button
    panel.use(done.frame)
    app_csv = panel.export("csv")
    monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    cli_csv = tmp_path / "cli.csv"                                          # the command line's --out
    assert main(["search", str(QUERIES / "query-1-10-02-watch.png"), "--limit", "3", "--out", str(cli_csv),
                 "--no-cache"]) == 0                                        # the user cache stays as it was
    for path in (done.paths["csv"], app_csv, cli_csv):
        table = pd.read_csv(path)
        assert table.columns[0] == "data_source", path
        assert (table["data_source"] == DATA_SOURCES["sandbox"]).all(), path
        assert (table["image_url_note"] == SANDBOX_LINK_NOTE).all() and "dead link" in SANDBOX_LINK_NOTE
        text = path.read_text(encoding="utf-8")
        assert "['" not in text and "|" not in text, path                   # no Python reprs, one separator
    rich = pd.read_csv(done.paths["csv"])
    several = rich["loc"].dropna().astype(str)
    assert several.str.contains(LIST_SEPARATOR, regex=False).any()         # lists are joined, "; " everywhere
    book = load_workbook(done.paths["workbook"])
    assert book.sheetnames[0] == "About" and book["About"]["A1"].value.startswith("SANDBOX DATA")
    header = [c.value for c in book["All hits"][1]]
    locs = [row[header.index("Locarno")] for row in book["All hits"].iter_rows(min_row=2, values_only=True)]
    assert any(LIST_SEPARATOR in str(v) for v in locs) and not any("|" in str(v) for v in locs)
    client.close()


# ------------------------------------------------------------------------------------------------ command line
def test_the_command_has_a_version_and_help_without_rst(capsys):
    """Before: `patsnap-analytics --version` failed; --help showed ``patsnap-analytics`` with RST backticks."""
    from patsnap_analytics.cli import build_parser, main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("patsnap-analytics ")
    parser = build_parser()
    texts = [parser.format_help()]
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            texts += [sub.format_help() for sub in action.choices.values()]
    assert not [t for t in texts if "``" in t]


def test_cli_errors_name_the_flags_not_python_parameters(capsys):
    """Before: "error: ValidationError: apply_start_time: must not be after apply_end_time (...)"."""
    from patsnap_analytics.cli import main

    assert main(["search", "x.png", "--apply-start-time", "2020-01-01", "--apply-end-time", "2019-01-01"]) == 2
    err = capsys.readouterr().err
    assert "--apply-start-time" in err and "--apply-end-time" in err and "apply_start_time" not in err
    assert main(["search", "x.png", "--model", "2"]) == 2
    err = capsys.readouterr().err
    assert "--model" in err and "--endpoint image-single" in err and "endpoint=" not in err


def test_sandbox_index_with_a_missing_csv_is_one_line(tmp_path, capsys):
    """Before: a FileNotFoundError traceback from pandas."""
    from patsnap_analytics.cli import main

    assert main(["sandbox", "index", str(tmp_path), "--metadata", "no-such.csv", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--metadata" in err and "no-such.csv" in err and "Traceback" not in err


def test_an_empty_api_key_variable_is_said_not_silently_ignored(monkeypatch, caplog):
    """Before: PATSNAP_API_KEY= (set but empty) used the sandbox without a word."""
    import logging

    import patsnap_analytics as pa

    monkeypatch.setenv("PATSNAP_API_KEY", "")
    with caplog.at_level(logging.INFO, logger="patsnap_analytics"):
        client = pa.connect(sandbox_options={"designs": 300, "seed": 7})
    client.close()
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warned and "PATSNAP_API_KEY is set but empty" in warned[0].getMessage()


# ------------------------------------------------------------------------------------------------ the app
def test_the_app_reads_the_server_disk_only_inside_a_configured_folder(tmp_path, monkeypatch):
    """Before: "Folder or file" read anything on the server (/etc/passwd, /root answered); a Windows path only
    said "file not found"."""
    from patsnap_analytics.widgets.picker import ImagePicker

    monkeypatch.delenv("PATSNAP_APP_FOLDER", raising=False)
    off = ImagePicker(samples=None)
    assert off.folder.disabled and off.folder_button.disabled
    assert off.add_path(str(QUERIES)) == [] and "off" in off.message.value and off.images == []
    allowed = tmp_path / "drawings"
    allowed.mkdir()
    (allowed / "a.png").write_bytes((QUERIES / "query-3-06-01-chair.png").read_bytes())
    (tmp_path / "secret.png").write_bytes((QUERIES / "query-5-26-05-lamp.png").read_bytes())
    (allowed / "link.png").symlink_to(tmp_path / "secret.png")
    monkeypatch.setenv("PATSNAP_APP_FOLDER", str(allowed))
    picker = ImagePicker(samples=None)                       # the variable configures it
    assert not picker.folder.disabled
    for outside in ("/etc", "/etc/passwd", "../secret.png", str(tmp_path / "secret.png"), "link.png"):
        assert picker.add_path(outside) == [], outside
        assert "outside" in picker.message.value, outside
    assert picker.add_path("C:\\Users\\me\\chair.png") == []
    assert "your own computer" in picker.message.value and "Upload" in picker.message.value
    assert [ref.name for ref in picker.add_path("a.png")] == ["a.png"]   # relative to the folder
    assert [ref.name for ref in ImagePicker(samples=None, folder=allowed).add_path(str(allowed))] == ["a.png"]


def test_the_app_shows_the_cost_before_search_and_asks_above_the_threshold(sb, tmp_path):
    """Before: no cost until after the click (8 samples x 1,100 results sent 96 calls at once)."""
    from patsnap_analytics.widgets import SearchApp

    client = client_for(sb, cache=tmp_path / "c.sqlite")
    app = SearchApp(client, samples=QUERIES, confirm_above=20)
    app.picker.add_sample("*")
    app.form.limit.value = 300                                          # 8 x (3 pages + 1 upload)
    assert app.search_cost() == 32 and "32 API calls" in app.cost_preview.value
    assert sum(sb.stats.values()) == 0                                  # showing the cost sent nothing
    app.search_button.click()                                           # above 20: asks first
    assert app.results is None and sum(sb.stats.values()) == 0
    assert app.confirm_button.layout.display != "none" and "32 API calls" in app.status
    app.cancel_button.click()
    assert app.confirm_button.layout.display == "none" and sum(sb.stats.values()) == 0
    app.form.limit.value = 10
    assert app.search_cost() == 16
    app.search_button.click()                                           # under the threshold: searches at once
    assert app.results is not None and sum(sb.stats.values()) - sb.stats.get("/oauth/token", 0) == 16
    assert app.search_cost() == 0 and "no API call" in app.cost_preview.value
    client.close()


def test_image_multiple_with_too_many_images_disables_search_in_words(tmp_path):
    """Before: Search stayed enabled with 8 images, then failed naming a Python parameter (image_or_views)."""
    from patsnap_analytics.widgets import SearchApp

    app = SearchApp(client=None, samples=QUERIES)
    app.picker.add_sample("*")
    app.form.endpoint.value = "image-multiple"
    assert app.search_button.disabled
    assert "1 to 4 pictures of ONE design" in app.status and "remove 4" in app.status
    assert "image_or_views" not in app.status and "_" not in app.status.replace("image-multiple", "")
    app.form.endpoint.value = "image-single"
    assert "ONE design" not in app.status


def test_endpoint_and_model_have_help_in_plain_words():
    from patsnap_analytics.widgets.form import ENDPOINT_HELP, FilterForm

    form = FilterForm()
    assert form.endpoint.tooltip and form.model.tooltip and "similarity" in form.model.tooltip
    for endpoint in ENDPOINT_HELP:
        form.endpoint.value = endpoint
        assert ENDPOINT_HELP[endpoint] in form.endpoint_help.value.replace("&#x27;", "'")


def test_voila_culls_idle_kernels_as_docs_app_md_says(monkeypatch):
    """Before: nothing culled a kernel (10 alive, 2.4 GB after one session). notebooks/voila.json, the table in
    docs/app.md and what Voilà itself makes of the file (read as `voila app.ipynb` reads it, from the folder it
    starts in, into the kernel manager it creates) agree."""
    import json
    import re

    pytest.importorskip("voila")
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.app import Voila

    from .conftest import ROOT

    config = json.loads((ROOT / "notebooks" / "voila.json").read_text())["MappingKernelManager"]
    table = dict(re.findall(r"^\| `(cull_\w+)` \| (\w+) \|", (ROOT / "docs" / "app.md").read_text(), re.M))
    assert table == {k: json.dumps(v) for k, v in config.items()}
    assert config["cull_idle_timeout"] > 0 and config["cull_interval"] > 0
    monkeypatch.chdir(ROOT / "notebooks")
    app = Voila()
    app.load_config_file("voila", path=app.config_file_paths)
    manager = AsyncMappingKernelManager(parent=app)
    assert {name: getattr(manager, name) for name in config} == config
