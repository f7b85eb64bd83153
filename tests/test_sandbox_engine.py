"""The sandbox engine: features, exact top-k, filters with the API's meaning, sort orders, the index cache."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import engine as engine_mod
from patsnap_analytics.sandbox import index as index_mod
from patsnap_analytics.sandbox import parallel
from patsnap_analytics.sandbox.corpus import Corpus
from patsnap_analytics.sandbox.engine import Engine, Hit, describe, normalise
from patsnap_analytics.sandbox.index import describe_views, view_paths
from patsnap_analytics.sandbox.sample import sample_corpus
from patsnap_analytics.sandbox.user_corpus import index_directory

PROJECT = Path(__file__).resolve().parents[1]
REAL_DRAWINGS = Path(__file__).resolve().parents[1].parent / "shared" / "real_drawings"
QUERY_IMAGES = sorted((PROJECT / "data" / "queries").glob("*.png"))
N_DESIGNS, SEED = 300, 11
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    # the same session-wide cache base as test_sandbox_corpus, so the corpus is generated once per run
    return sample_corpus(N_DESIGNS, seed=SEED, cache_dir=tmp_path_factory.getbasetemp() / "sandbox-cache")


@pytest.fixture(scope="module")
def engine(corpus: Corpus) -> Engine:
    return Engine(corpus)


def _image(engine: Engine, design: int, view: int = 0) -> bytes:
    return engine.corpus.view_path(design, view).read_bytes()


def _query_images(engine: Engine) -> list[bytes]:
    """Held-out sample queries plus a few corpus views (whose own design must come first)."""
    return [p.read_bytes() for p in QUERY_IMAGES] + [_image(engine, d) for d in (0, 77, 150)]


# --- features -------------------------------------------------------------------------------------------------

def test_describe_is_a_deterministic_unit_float32_vector(engine: Engine) -> None:
    data = _image(engine, 3)
    f = describe(data)
    assert f.dtype == np.float32 and f.ndim == 1
    assert np.linalg.norm(f) == pytest.approx(1.0, abs=1e-5)
    assert (f >= 0).all()
    np.testing.assert_array_equal(f, describe(data))


def test_describe_accepts_bytes_arrays_and_pil_images_alike(engine: Engine) -> None:
    design = int((engine.corpus.meta["n_views"] >= 2).idxmax())  # a second view, whatever the generated world
    data = _image(engine, design, 1)
    with Image.open(io.BytesIO(data)) as im:
        as_pil = describe(im)
        as_gray_array = describe(np.asarray(im.convert("L")))
        as_rgb_array = describe(np.asarray(im.convert("RGB")))
        as_bool_array = describe(np.asarray(im.convert("1")))
    for other in (as_pil, as_gray_array, as_rgb_array, as_bool_array):
        assert float(describe(data) @ other) == pytest.approx(1.0, abs=1e-5)


def test_a_jpeg_of_the_drawing_matches_it(engine: Engine) -> None:
    buf = io.BytesIO()
    with Image.open(engine.corpus.view_path(9)) as im:
        im.convert("RGB").save(buf, "JPEG", quality=70)
    assert float(describe(buf.getvalue()) @ describe(_image(engine, 9))) > 0.95


def test_blank_and_tiny_images_do_not_fail() -> None:
    assert not describe(Image.new("L", (50, 50), 255)).any()
    assert not describe(np.zeros((1, 1), np.uint8)).any()
    speck = Image.new("L", (20, 20), 255)
    speck.putpixel((10, 10), 0)
    assert not describe(speck).any()  # a lone pixel is noise, not a design
    square = Image.new("L", (20, 20), 255)
    ImageDraw.Draw(square).rectangle((8, 8, 12, 12), fill=0)
    assert np.linalg.norm(describe(square)) == pytest.approx(1.0, abs=1e-5)


def test_white_on_black_is_read_as_ink_on_paper(engine: Engine) -> None:
    with Image.open(engine.corpus.view_path(12)) as im:
        inverted = Image.eval(im.convert("L"), lambda v: 255 - v)
    assert float(describe(inverted) @ describe(_image(engine, 12))) > 0.99


def test_ink_of_any_colour_is_ink(engine: Engine) -> None:
    # a yellow line is pale by luminance (226 of 255) but as much ink as a black one; swapping a drawing's
    # colours keeps its shape (what image-single's model 3, shape alone, relies on)
    with Image.open(engine.corpus.view_path(12)) as im:
        grey = np.asarray(im.convert("L"))
    drawn = grey < 128
    for colour in ((255, 220, 0), (200, 30, 30), (0, 120, 130)):
        rgb = np.full((*grey.shape, 3), 255, np.uint8)
        rgb[drawn] = colour
        assert float(describe(rgb) @ describe(_image(engine, 12))) > 0.99, colour
    half = np.zeros(grey.shape, bool)
    half[:, : grey.shape[1] // 2] = True
    two_colours = np.full((*grey.shape, 3), 255, np.uint8)
    two_colours[drawn & half], two_colours[drawn & ~half] = (255, 220, 0), (30, 60, 200)
    swapped = np.full((*grey.shape, 3), 255, np.uint8)
    swapped[drawn & half], swapped[drawn & ~half] = (30, 60, 200), (255, 220, 0)
    assert float(describe(two_colours) @ describe(swapped)) > 0.99


def test_a_drawing_on_a_big_sheet_with_a_figure_label_keeps_its_feature(engine: Engine) -> None:
    # a patent sheet: 1-bit, ~2000x3000 px, the figure in the middle and "FIG. 1" under it
    with Image.open(engine.corpus.view_path(20)) as im:
        figure = im.convert("L").resize((1500, 1500), Image.Resampling.NEAREST)
    sheet = Image.new("L", (2000, 3000), 255)
    sheet.paste(figure, (250, 500))
    draw = ImageDraw.Draw(sheet)
    for k, ch in enumerate("FIG. 1"):  # block letters about 60 px tall, as on real sheets
        x = 850 + 55 * k
        if ch != " ":
            draw.rectangle((x, 2200, x + 35, 2260), outline=0, width=6)
    one_bit = sheet.convert("1", dither=Image.Dither.NONE)
    buf = io.BytesIO()
    one_bit.save(buf, "PNG")
    assert float(describe(buf.getvalue()) @ describe(_image(engine, 20))) > 0.9
    # the label is removed: the normalised map holds ink row by row where the figure alone does (a kept label
    # would squeeze the figure upwards and add a band of ink at the bottom)
    rows_sheet, rows_figure = normalise(buf.getvalue()).sum(axis=1), normalise(_image(engine, 20)).sum(axis=1)
    assert np.corrcoef(rows_sheet, rows_figure)[0, 1] > 0.9


def test_salt_noise_does_not_move_the_crop(engine: Engine) -> None:
    with Image.open(engine.corpus.view_path(30)) as im:
        gray = np.asarray(im.convert("L")).copy()
    rng = np.random.default_rng(0)
    gray[rng.random(gray.shape) < 0.005] = 0
    assert float(describe(gray) @ describe(_image(engine, 30))) > 0.85


@pytest.mark.skipif(not REAL_DRAWINGS.is_dir(), reason="real drawings (../shared/real_drawings) not present")
def test_real_sheets_are_described_and_find_themselves(tmp_path: Path) -> None:
    sheets = sorted(REAL_DRAWINGS.glob("*.png"))
    assert sheets
    for sheet in sheets:
        f = describe(sheet.read_bytes())
        assert f.dtype == np.float32 and np.linalg.norm(f) == pytest.approx(1.0, abs=1e-5)
    rows = ["patent_pn,image,loc,apdt,pbdt,isdt"]
    by_patent: dict[str, list[str]] = {}
    for sheet in sheets:
        by_patent.setdefault(sheet.name.split("-")[0] + "S", []).append(sheet.name)
    for pn, names in by_patent.items():
        rows.append(f"{pn},{';'.join(names)},32-00,2018-06-01,2020-01-07,2020-01-07")
    (tmp_path / "meta.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    real = Engine(index_directory(REAL_DRAWINGS, tmp_path / "meta.csv", tmp_path / "corpus"))
    for sheet in sheets:
        design = list(by_patent).index(sheet.name.split("-")[0] + "S")
        view = by_patent[sheet.name.split("-")[0] + "S"].index(sheet.name)
        top = real.search(sheet.read_bytes(), DesignQuery(limit=3)).hits[0]
        assert (top.design, top.view) == (design, view)
        assert top.score == pytest.approx(1.0, abs=1e-5)


# --- similarity search ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("design", "view"), [(0, 0), (41, 0), (123, 1), (299, 0)])
def test_a_drawing_finds_its_own_view_first_with_score_one(engine: Engine, design: int, view: int) -> None:
    view = min(view, int(engine.corpus.meta.n_views[design]) - 1)
    result = engine.search(_image(engine, design, view), DesignQuery(limit=10))
    assert result.hits[0] == Hit(design=design, view=view, score=result.hits[0].score)
    assert result.hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert result.total == N_DESIGNS and len(result.hits) == 10


def test_scores_are_in_unit_range_and_sorted(engine: Engine) -> None:
    for data in _query_images(engine):
        hits = engine.search(data, DesignQuery(limit=100)).hits
        scores = [h.score for h in hits]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)
        assert len({h.design for h in hits}) == len(hits) == 100


def test_held_out_queries_are_not_in_the_corpus(engine: Engine) -> None:
    assert len(QUERY_IMAGES) >= 6
    for path in QUERY_IMAGES:
        assert engine.search(path.read_bytes(), DesignQuery(limit=1)).hits[0].score < 0.999


def test_search_equals_a_plain_sort_of_all_scores(engine: Engine) -> None:
    data = QUERY_IMAGES[0].read_bytes()
    scores = engine.scores(data)
    expected = sorted(range(N_DESIGNS), key=lambda d: (-scores[d], d))[:25]
    hits = engine.search(data, DesignQuery(limit=25)).hits
    assert [h.design for h in hits] == expected
    assert [h.score for h in hits] == [float(scores[d]) for d in expected]


def test_the_best_view_is_reported(engine: Engine) -> None:
    design = int(np.argmax(engine.corpus.meta.n_views.to_numpy()))
    last = int(engine.corpus.meta.n_views[design]) - 1
    hit = engine.search(_image(engine, design, last), DesignQuery(limit=1)).hits[0]
    assert (hit.design, hit.view) == (design, last)


def test_search_is_deterministic(engine: Engine) -> None:
    data = QUERY_IMAGES[1].read_bytes()
    q = DesignQuery(limit=50, country=["CN", "US"])
    assert engine.search(data, q) == engine.search(data, q)


def test_no_match_gives_no_hits_and_total_zero(engine: Engine) -> None:
    result = engine.search(QUERY_IMAGES[0].read_bytes(), DesignQuery(main_field="no-such-keyword-anywhere"))
    assert result.hits == [] and result.total == 0


def test_verification_rescores_only_the_best_few_on_the_scale_of_the_rest(engine: Engine,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    feature = engine.query_feature(QUERY_IMAGES[4].read_bytes())
    cosines = engine.cosines(feature)
    monkeypatch.setattr(engine_mod, "RERANK", 0)
    stage1 = engine.scores_for(feature)
    np.testing.assert_allclose(stage1, engine.scale.score(cosines), rtol=1e-6)  # one scale, from the cosine
    monkeypatch.setattr(engine_mod, "RERANK", 8)
    final = engine.scores_for(feature)
    best8 = sorted(range(N_DESIGNS), key=lambda d: (-cosines[d], d))[:8]
    assert set(np.flatnonzero(final != stage1)) <= set(best8)  # only stage 1's best 8 are verified
    verified, aligned = engine._verify(feature, cosines)
    assert sorted(verified.tolist()) == sorted(best8)
    # verified scores are on the same scale, with the alignment measured instead of the one expected: no floor
    # lifts them above the rest
    np.testing.assert_allclose(final[verified], engine.scale.score(cosines[verified], aligned), rtol=1e-6)


def test_verification_lifts_a_scan_of_a_design_above_every_other_design(engine: Engine) -> None:
    from patsnap_analytics.sandbox.degrade import scanned

    rng = np.random.default_rng(3)
    for design in (12, 140, 260):
        with Image.open(engine.corpus.view_path(design, 0)) as im:
            feature = engine.query_feature(scanned(im, rng))
        cosines, scores = engine.cosines(feature), engine.scores_for(feature)
        kin = (engine.corpus.meta.family_id == engine.corpus.meta.family_id[design]).to_numpy()
        assert scores[design] > scores[~kin].max()  # first, before any design of another family
        assert scores[design] > engine.scale.score(cosines)[design]  # lifted by the alignment it showed


def test_a_large_corpus_scores_a_shortlist_by_every_rotation_and_the_rest_by_their_mean(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    feature = engine.query_feature(QUERY_IMAGES[5].read_bytes())
    exact = engine.cosines(feature)  # stage 1; 300 designs, under the shortlist size: every design by every rotation
    monkeypatch.setattr(engine_mod, "SHORTLIST", 40)
    tiered = engine.cosines(feature)
    by_mean = np.clip(np.maximum.reduceat(engine._features @ feature.vectors.mean(axis=0), engine._starts), 0, 1)
    shortlist = sorted(range(N_DESIGNS), key=lambda d: (-by_mean[d], d))[:40]
    rest = np.setdiff1d(np.arange(N_DESIGNS), shortlist)
    np.testing.assert_allclose(tiered[shortlist], exact[shortlist], rtol=1e-6)
    np.testing.assert_allclose(tiered[rest], by_mean[rest], rtol=1e-6)
    assert tiered[rest].max() <= tiered[shortlist].min() and (by_mean <= exact + 1e-6).all()
    assert int(np.argmax(tiered)) == int(np.argmax(exact))


# --- filters: each one against a plain-Python evaluation over corpus.meta --------------------------------------

def _expected_mask(meta: pd.DataFrame, q: DesignQuery) -> np.ndarray:
    out = []
    for row in meta.itertuples():
        ok = True
        if q.loc_expr is not None:
            ok &= q.loc_expr.matches(row.loc.split(","))
        if q.assignees:
            ok &= any(a.casefold() in row.assignee.casefold() for a in q.assignees)
        if q.legal_status:
            ok &= row.legal_status in q.legal_status
        if q.simple_legal_status:
            ok &= row.simple_legal_status in q.simple_legal_status
        if q.country:
            ok &= row.country in q.country
        if q.main_field:
            keyword = q.main_field.casefold()
            ok &= any(keyword in str(v).casefold()
                      for v in (row.title, row.abstract, row.patent_pn, row.assignee, row.inventor, row.loc))
        for bound, value, upper in ((q.apply_start_time, row.apdt, False), (q.apply_end_time, row.apdt, True),
                                    (q.public_start_time, row.pbdt, False), (q.public_end_time, row.pbdt, True)):
            if bound is not None:
                ok &= pd.notna(value) and (value.date() <= bound if upper else value.date() >= bound)
        out.append(ok)
    return np.array(out, bool)


@st.composite
def loc_expressions(draw: st.DrawFn) -> str:
    leaves = st.sampled_from(["10-02", "10-07", "14-03", "14-02", "14", "10", "06", "06-01", "07-01", "09",
                              "12-11", "26-05", "31", "32"])  # 31, 32: codes no sample design carries

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(children, st.sampled_from(["AND", "OR", "NOT", "and", "or"]), children).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            children.map(lambda c: f"NOT {c}"))

    return draw(st.recursive(leaves, extend, max_leaves=5))


def _fragments(values: pd.Series) -> list[str]:
    """Pieces of real values in mixed case: substrings a user might type."""
    out = []
    for k, value in enumerate(sorted(set(values))[:12]):
        text = str(value)
        cut = text[k % 3: k % 3 + 6] or text
        out.append(cut.upper() if k % 2 else cut)
    return out


@st.composite
def queries(draw: st.DrawFn, meta: pd.DataFrame) -> DesignQuery:
    kw: dict[str, object] = {}
    if draw(st.booleans()):
        kw["loc"] = draw(loc_expressions())
    if draw(st.booleans()):
        kw["assignees"] = draw(st.lists(st.sampled_from([*_fragments(meta.assignee), "nobody at all"]),
                                        min_size=1, max_size=3))
    if draw(st.booleans()):
        kw["legal_status"] = draw(st.lists(st.sampled_from([1, 2, 3, 11, 13, 14, 15, 16, 21, 30]), min_size=1,
                                           max_size=4))
    if draw(st.booleans()):
        kw["simple_legal_status"] = draw(st.lists(st.sampled_from([0, 1, 2, 999]), min_size=1, max_size=2))
    if draw(st.booleans()):
        kw["country"] = draw(st.lists(st.sampled_from(["CN", "US", "EU", "JP", "KR", "WO", "TW"]), min_size=1,
                                      max_size=3))
    if draw(st.booleans()):
        words = ["watch", "WATCH", "Lamp", "cn3", "usd", "10-02", "rounded", "Müller", "青岚", "|", "zzz-none",
                 *_fragments(meta.inventor), *_fragments(meta.patent_pn)]
        kw["main_field"] = draw(st.sampled_from(words))
    dates = st.dates(date(1999, 6, 1), date(2026, 6, 1))
    for start, end in (("apply_start_time", "apply_end_time"), ("public_start_time", "public_end_time")):
        lo, hi = draw(st.one_of(st.none(), dates)), draw(st.one_of(st.none(), dates))
        if lo and hi and lo > hi:
            lo, hi = hi, lo
        kw[start], kw[end] = lo, hi
    kw["limit"] = draw(st.integers(1, 100))
    kw["field"] = draw(st.sampled_from([None, "APD", "PBD", "ISD"]))
    kw["order"] = draw(st.sampled_from(["asc", "desc"]))
    return DesignQuery(**kw)


@st.composite
def single_filter_queries(draw: st.DrawFn, meta: pd.DataFrame) -> DesignQuery:
    """A query with exactly one filter set (so each filter is checked on its own too)."""
    full = draw(queries(meta))
    names = [n for n, v in full.filters().items() if n not in ("limit", "order", "field")]
    if not names:
        return full
    keep = draw(st.sampled_from(names))
    return DesignQuery(**{keep: getattr(full, keep)})


def test_each_filter_alone_matches_a_plain_python_evaluation(engine: Engine) -> None:
    meta = engine.corpus.meta

    @PROPERTY
    @given(single_filter_queries(meta))
    def check(q: DesignQuery) -> None:
        np.testing.assert_array_equal(engine.filter_mask(q), _expected_mask(meta, q))

    check()


def test_combined_filters_match_and_total_counts_them(engine: Engine) -> None:
    meta = engine.corpus.meta
    data = QUERY_IMAGES[2].read_bytes()

    @PROPERTY
    @given(queries(meta))
    def check(q: DesignQuery) -> None:
        expected = _expected_mask(meta, q)
        np.testing.assert_array_equal(engine.filter_mask(q), expected)
        result = engine.search(data, q)
        assert result.total == int(expected.sum())
        assert len(result.hits) == min(q.limit, result.total)
        assert all(expected[h.design] for h in result.hits)

    check()


def test_filters_are_meaningful_on_the_sample(engine: Engine) -> None:
    meta = engine.corpus.meta
    top_assignee = meta.assignee.value_counts().index[0]
    for q in (DesignQuery(loc="14"), DesignQuery(assignees=[top_assignee.lower()]), DesignQuery(country="CN"),
              DesignQuery(simple_legal_status=[1]), DesignQuery(main_field="watch"),
              DesignQuery(apply_start_time="2010-01-01", apply_end_time="2015-12-31")):
        assert 0 < int(engine.filter_mask(q).sum()) < N_DESIGNS, q
    assert int(engine.filter_mask(DesignQuery(loc="14")).sum()) >= int(engine.filter_mask(
        DesignQuery(loc="14-03")).sum())


# --- date sorting ---------------------------------------------------------------------------------------------

def test_date_sorting_matches_a_plain_sort(engine: Engine) -> None:
    meta = engine.corpus.meta
    data = QUERY_IMAGES[3].read_bytes()
    scores = engine.scores(data)

    @PROPERTY
    @given(queries(meta).filter(lambda q: q.field is not None))
    def check(q: DesignQuery) -> None:
        column = {"APD": "apdt", "PBD": "pbdt", "ISD": "isdt"}[q.field]
        sign = 1 if q.order == "asc" else -1
        candidates = np.flatnonzero(_expected_mask(meta, q))

        def key(d: int) -> tuple:
            value = meta[column][d]
            if pd.isna(value):
                return (1, 0, -scores[d], d)
            return (0, sign * value.value, -scores[d], d)

        expected = sorted(candidates, key=key)[:q.limit]
        hits = engine.search(data, q).hits
        assert [h.design for h in hits] == [int(d) for d in expected]
        assert all(h.score is None and h.view == 0 for h in hits)

    check()


def test_designs_without_issue_date_come_last(engine: Engine) -> None:
    meta = engine.corpus.meta
    for order in ("asc", "desc"):
        hits = engine.search(QUERY_IMAGES[0].read_bytes(), DesignQuery(field="ISD", order=order, limit=100)).hits
        missing = [pd.isna(meta.isdt[h.design]) for h in hits]
        assert missing == sorted(missing)
    ungranted = int(meta.isdt.isna().sum())
    q = DesignQuery(field="ISD", order="desc", limit=min(100, ungranted), legal_status=[1, 2, 11, 13, 18, 19, 30])
    hits = engine.search(QUERY_IMAGES[0].read_bytes(), q).hits
    assert hits and all(pd.isna(meta.isdt[h.design]) for h in hits)


# --- the labelling invariant ----------------------------------------------------------------------------------

def test_filtering_to_a_results_own_label_never_demotes_it(engine: Engine) -> None:
    meta = engine.corpus.meta
    images = _query_images(engine)

    @PROPERTY
    @given(st.sampled_from(range(len(images))), st.sampled_from(["simple_legal_status", "legal_status", "country"]),
           st.integers(0, 99))
    def check(image_index: int, by: str, rank: int) -> None:
        data = images[image_index]
        unfiltered = engine.search(data, DesignQuery(limit=100)).hits
        hit = unfiltered[rank]
        own = meta[by][hit.design]
        own = int(own) if by != "country" else str(own)  # plain Python values, as a caller passes them
        filtered = engine.search(data, DesignQuery(limit=100, **{by: [own]})).hits
        designs = [h.design for h in filtered]
        assert hit.design in designs
        assert designs.index(hit.design) <= rank
        assert filtered[designs.index(hit.design)].score == hit.score

    check()


# --- the index cache ------------------------------------------------------------------------------------------

def test_the_index_is_cached_next_to_the_corpus(engine: Engine) -> None:
    features = engine.corpus.root / "features.npy"
    assert features.is_file()
    stamp = features.stat().st_mtime_ns
    again = Engine(engine.corpus)
    assert features.stat().st_mtime_ns == stamp  # loaded, not rebuilt
    np.testing.assert_array_equal(again._features, engine._features)
    assert again._features.dtype == np.float32


def test_a_stale_index_is_rebuilt(corpus: Corpus, tmp_path: Path) -> None:
    copy = _copy(corpus, tmp_path / "copy", 40)
    root = copy.root
    first = Engine(copy)
    np.save(root / "features.npy", np.zeros_like(first._features))  # what a stale index would serve
    stamp = json.loads((root / "features.json").read_text())
    (root / "features.json").write_text(json.dumps({**stamp, "feature_version": "0"}))  # only the version is old
    rebuilt = Engine(copy)
    np.testing.assert_array_equal(first._features, rebuilt._features)
    assert json.loads((root / "features.json").read_text())["feature_version"] == engine_mod.FEATURE_VERSION


def _copy(corpus: Corpus, root: Path, designs: int) -> Corpus:
    """The first ``designs`` designs of ``corpus`` in a new folder, without its index."""
    shutil.copytree(corpus.root, root, ignore=shutil.ignore_patterns("features*", "view-maps*"))
    return Corpus(root=root, meta=corpus.meta.head(designs).copy(), manifest=corpus.manifest)


@pytest.mark.parametrize("sample_rows", [10_000, 120], ids=["one pass", "sample then all"])
def test_large_indexes_are_projected_and_still_exact_for_self_matches(
        corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_rows: int) -> None:
    monkeypatch.setattr(index_mod, "_PCA_MIN_ROWS", 100)
    monkeypatch.setattr(index_mod, "_PCA_DIMS", 48)
    monkeypatch.setattr(index_mod, "_SAMPLE_ROWS", sample_rows)  # 120: fitted on every 4th view, then a 2nd pass
    copy = _copy(corpus, tmp_path / "copy", 150)  # ~375 views: above the lowered threshold, quick to describe
    projected = Engine(copy)
    assert projected._features.shape == (int(copy.meta.n_views.sum()), 48)
    assert (copy.root / "features-projection.npy").is_file()
    for design in (4, 120):
        scores = projected.scores(_image(projected, design))
        # first with score 1: itself, or tied with a registration of it elsewhere (the same drawings)
        assert scores[design] == pytest.approx(1.0, abs=1e-4) and scores[design] == scores.max()
        twins = np.flatnonzero(scores == scores[design])
        assert (copy.meta.family_id[twins] == copy.meta.family_id[design]).all()
    reloaded = Engine(copy)
    np.testing.assert_array_equal(reloaded._features, projected._features)


def test_verification_maps_are_stored_once_and_read_from_disk(engine: Engine) -> None:
    maps = engine._index.maps
    assert isinstance(maps, np.memmap) and maps.shape == (int(engine.corpus.meta.n_views.sum()), 64, 64)
    design = 37
    np.testing.assert_array_equal(maps[int(engine._starts[design])], engine.query_feature(_image(engine, design)).map)
    # a search reads each map with a plain read at its offset: the same bytes as the mapped array, every row
    for row in (0, 1, int(engine._starts[design]), maps.shape[0] - 1):
        np.testing.assert_array_equal(engine._index.map_of(row), maps[row])


def test_a_streaming_build_keeps_every_views_map_in_place(corpus: Corpus, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "_PCA_MIN_ROWS", 100)
    monkeypatch.setattr(index_mod, "_SAMPLE_ROWS", 120)
    monkeypatch.setattr(index_mod, "_DESCRIBE_CHUNK", 40)  # chunks finish in any order; rows land in place
    copy = _copy(corpus, tmp_path / "copy", 150)
    streamed = Engine(copy)._index.maps
    expected = describe_views(view_paths(copy))["map"]
    np.testing.assert_array_equal(np.asarray(streamed), expected)


def test_a_cold_build_shows_its_progress(corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(parallel, "PROGRESS_DELAY", 0)  # a bar at once (by default after a second of work)
    monkeypatch.setattr(index_mod, "_PCA_MIN_ROWS", 100)
    monkeypatch.setattr(index_mod, "_SAMPLE_ROWS", 120)
    copy = _copy(corpus, tmp_path / "copy", 60)
    views = int(copy.meta.n_views.sum())
    sampled = len(range(0, views, -(-views // 120)))  # every k-th view, at most 120 of them
    Engine(copy)
    err = capfd.readouterr().err
    assert f"sandbox: fitting the index on {sampled} of {views} drawings" in err
    assert f"sandbox: indexing {views} drawings" in err and f"{views}/{views}" in err
