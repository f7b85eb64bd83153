"""The sandbox corpus: deterministic generation, realistic and consistent metadata, caching, user corpora."""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from patsnap_analytics import codes, loc
from patsnap_analytics.sandbox import sample as sample_mod
from patsnap_analytics.sandbox.corpus import META_COLUMNS, Corpus, legal_events, load_corpus
from patsnap_analytics.sandbox.drawing import GENERATORS, VIEWS, render_design
from patsnap_analytics.sandbox.sample import (
    AS_OF,
    CORPUS_VERSION,
    SIMPLE_OF_LEGAL,
    sample_corpus,
    sample_metadata,
    write_queries,
)
from patsnap_analytics.sandbox.user_corpus import index_directory

PROJECT = Path(__file__).resolve().parents[1]
N_DESIGNS, SEED = 300, 11


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    # the same session-wide cache base as test_sandbox_engine, so the corpus is generated once per run
    return sample_corpus(N_DESIGNS, seed=SEED, cache_dir=tmp_path_factory.getbasetemp() / "sandbox-cache")


def _digest_views(c: Corpus) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((c.root / "views").iterdir())]


# --- determinism and caching ----------------------------------------------------------------------------------

def test_same_seed_gives_identical_metadata_and_image_bytes(tmp_path: Path) -> None:
    a = sample_corpus(40, seed=3, cache_dir=tmp_path / "a")
    b = sample_corpus(40, seed=3, cache_dir=tmp_path / "b")
    pd.testing.assert_frame_equal(a.meta, b.meta)
    assert _digest_views(a) == _digest_views(b)
    assert len(_digest_views(a)) == int(a.meta.n_views.sum())


def test_another_seed_gives_another_corpus(tmp_path: Path) -> None:
    a = sample_corpus(40, seed=3, cache_dir=tmp_path)
    b = sample_corpus(40, seed=4, cache_dir=tmp_path)
    assert a.root != b.root
    assert not a.meta.patent_id.isin(b.meta.patent_id).any()
    assert _digest_views(a)[:10] != _digest_views(b)[:10]


def test_corpus_is_reused_not_rebuilt(tmp_path: Path) -> None:
    first = sample_corpus(12, seed=1, cache_dir=tmp_path)
    stamp = (first.root / "manifest.json").stat().st_mtime_ns
    again = sample_corpus(12, seed=1, cache_dir=tmp_path)
    assert again.root == first.root and (again.root / "manifest.json").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.root.name]  # no temporary build left behind


def test_env_variable_sets_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATSNAP_SANDBOX_CACHE", str(tmp_path / "env-cache"))
    c = sample_corpus(5, seed=2)
    assert c.root.parent == tmp_path / "env-cache"
    assert c.root.name == f"corpus-{CORPUS_VERSION}-5-2"


def _build_in_child(base: str) -> str:
    return str(sample_corpus(60, seed=9, cache_dir=Path(base)).root)


def test_two_processes_building_at_once_agree(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        roots = list(pool.map(_build_in_child, [str(tmp_path)] * 2))
    assert roots[0] == roots[1]
    assert [p.name for p in tmp_path.iterdir()] == [Path(roots[0]).name]
    assert len(load_corpus(roots[0]).meta) == 60


def test_load_corpus_rejects_a_plain_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a corpus directory"):
        load_corpus(tmp_path)


# --- metadata -------------------------------------------------------------------------------------------------

def test_metadata_has_the_contract_columns_and_types(corpus: Corpus) -> None:
    meta = corpus.meta
    assert list(meta.index) == list(range(N_DESIGNS))
    for column in META_COLUMNS:
        assert column in meta.columns
    for column in ("apdt", "pbdt", "isdt"):
        assert pd.api.types.is_datetime64_any_dtype(meta[column])
    for column in ("legal_status", "simple_legal_status", "n_views"):
        assert pd.api.types.is_integer_dtype(meta[column])
    assert meta.patent_id.is_unique and meta.patent_pn.is_unique
    assert corpus.sandbox_marked


def test_offices_numbers_and_classes_are_realistic(corpus: Corpus) -> None:
    meta = corpus.meta
    assert (meta.patent_pn.map(codes.office_of) == meta.country).all()
    assert meta.country.nunique() >= 8 and set(meta.country) <= set(codes.OFFICES)
    assert meta.patent_pn[meta.country == "US"].str.fullmatch(r"USD\d{7}S").all()
    designs, utility = meta.patent_type == "D", meta.patent_type == "U"
    assert meta.patent_pn[designs & (meta.country == "CN")].str.fullmatch(r"CN3\d{8}S").all()
    assert meta.patent_pn[utility & (meta.country == "CN")].str.fullmatch(r"CN2\d{8}U").all()
    assert set(meta.country[utility]) <= {"CN", "JP", "KR", "DE"} and utility.any()
    all_codes = meta["loc"].str.split(",").explode()
    assert all_codes.map(lambda c: loc.is_code(c) and len(c) == 5).all()
    main_codes = meta["loc"].str.split(",").str[0]
    assert main_codes.nunique() >= 12 and set(main_codes) <= set(codes.LOC_SUBCLASSES)
    assert (meta["loc"].str.count(",") == 1).any()  # some designs carry two LOC codes
    assert meta.inventor.str.len().gt(0).all() and meta.inventor.str.contains("|", regex=False).any()
    by_assignee = meta.assignee.value_counts()
    assert by_assignee.iloc[0] >= N_DESIGNS // 20  # shared assignees make the filter meaningful
    for code, title in zip(main_codes, meta.title_en, strict=True):
        assert title in sample_mod._TITLES[code]
    # titles in the office's language for CN / JP / KR, English elsewhere
    local = meta.country.isin(["CN", "JP", "KR"])
    assert meta.title[local].str.contains(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]").all()
    assert (meta.title[~local] == meta.title_en[~local]).all()


def test_the_world_has_what_a_landscape_needs(corpus: Corpus) -> None:
    meta = corpus.meta
    counts = meta.assignee.value_counts()
    # a few heavy filers and a long tail of companies filing once or twice
    assert counts.iloc[:5].sum() >= 0.1 * len(meta) and (counts <= 2).sum() >= 40
    assert len(sample_mod.assignee_world()) >= 300
    moved = meta.assignee != meta.original_assignee
    assert 0 < moved.sum() < 0.2 * len(meta)  # some designs are owned today by another company
    assert meta.applicants.str.split("|").map(lambda names: names[0]).eq(meta.original_assignee).all()
    assert (meta["loc"].str.count(",") == 2).any()  # a few designs in three subclasses
    assert meta.application_number.str.match(r"^[A-Z]{2}\d").all()
    assert meta.application_number[meta.country == "CN"].str.fullmatch(r"CN\d{4}3\d{7}\.\d").all()
    assert meta.patent_type.isin(["D", "U"]).all()  # utility models only where the office grants them
    assert meta.country[meta.patent_type == "U"].isin(sample_mod.UTILITY_OFFICES).all()
    for _, row in meta.iterrows():  # the legal events end in the current status, in date order
        events = legal_events(row)
        assert events[-1][1] == row.legal_status and [d for d, _ in events] == sorted(d for d, _ in events)
        assert events[0][0] >= row.apdt.date() and events[-1][0] <= AS_OF
        if not pd.isna(row.isdt):
            assert (row.isdt.date(), 3) in events  # registered designs carry their grant event


def test_dates_are_ordered_and_within_range(corpus: Corpus) -> None:
    meta = corpus.meta
    assert (meta.apdt <= meta.pbdt).all()
    assert meta.apdt.min() >= pd.Timestamp(2000, 1, 1) and meta.pbdt.max() <= pd.Timestamp(AS_OF)
    granted = meta.isdt.notna()
    assert (meta.isdt[granted] >= meta.apdt[granted]).all()
    assert meta.apdt.dt.year.nunique() >= 20  # spread over 2000-2025


def test_statuses_are_consistent_with_dates(corpus: Corpus) -> None:
    meta = corpus.meta
    assert (meta.simple_legal_status == meta.legal_status.map(SIMPLE_OF_LEGAL)).all()
    assert set(meta.legal_status) <= set(codes.LEGAL_STATUS)
    as_of = pd.Timestamp(AS_OF)
    for row in meta.itertuples():
        age_years = (as_of - row.apdt).days / 365.25
        if row.legal_status in (3, 21, 15, 14, 16):  # registered at some point
            assert pd.notna(row.isdt), row
        if row.legal_status in (1, 2):  # pending: recent, never registered
            assert pd.isna(row.isdt) and age_years < 3, row
        if row.legal_status == 15:  # expired: the shortest term (CN, 10 years) has run out
            assert age_years >= 10, row
        if row.legal_status in (3, 21):  # in force: within the longest term
            assert age_years <= 25, row
    assert {0, 1, 2} <= set(meta.simple_legal_status)
    assert {3, 15} <= set(meta.legal_status)


def test_every_view_file_exists_and_is_a_black_on_white_drawing(corpus: Corpus) -> None:
    for design in range(0, N_DESIGNS, 7):
        for view in range(int(corpus.meta.n_views[design])):
            with Image.open(corpus.view_path(design, view)) as im:
                assert im.format == "PNG"
                gray = im.convert("L")
                histogram = gray.histogram()
                assert histogram[255] > sum(histogram[:128]) > 0  # mostly paper, some ink (utility models: coloured)
    assert not corpus.view_path(0, int(corpus.meta.n_views[0])).exists()


def test_every_generator_draws_every_view() -> None:
    import numpy as np

    for code in GENERATORS:
        images = render_design(code, np.random.default_rng(0), VIEWS)
        assert len(images) == len(VIEWS)
        assert all(im.getextrema() == (0, 255) for im in images)


# --- design families ------------------------------------------------------------------------------------------

def _views_pixels(c: Corpus, design: int) -> list[str]:
    return [_pixel_digest(c.view_path(design, v)) for v in range(int(c.meta.n_views[design]))]


def test_the_world_has_design_families_recorded_in_the_metadata(corpus: Corpus) -> None:
    meta = corpus.meta
    assert set(meta.family_role) == set(sample_mod.FAMILY_ROLES)
    sizes = meta.family_id.value_counts()
    assert (sizes >= 2).sum() >= 15 and sizes.max() <= 6  # many small families, as designs have
    assert 0.1 <= (meta.family_role != "original").mean() <= 0.3
    for family, members in meta[meta.family_id.isin(sizes.index[sizes >= 2])].groupby("family_id"):
        originals = members[members.family_role == "original"]
        assert len(originals) == 1 and originals.patent_pn.iloc[0] == family  # named after its first filing
        first = originals.iloc[0]
        assert (members.apdt >= first.apdt).all() and (members.patent_type == "D").all()
        assert (members["loc"] == first["loc"]).all()
        filed = members[members.family_role.isin(["original", "registration"])]
        assert filed.country.is_unique  # the same design is registered once per office
    singles = meta[meta.family_id.isin(sizes.index[sizes == 1])]
    assert (singles.family_role == "original").all() and (singles.family_id == singles.patent_pn).all()


def test_registrations_variants_and_copies_are_what_their_roles_say(corpus: Corpus) -> None:
    meta = corpus.meta
    first = {pn: int(i) for i, pn, role in zip(meta.index, meta.patent_pn, meta.family_role, strict=True)
             if role == "original"}
    seen = set()
    for design, row in meta[meta.family_role != "original"].iterrows():
        original = meta.loc[first[row.family_id]]
        same_holder = row.original_assignee.casefold() == original.original_assignee.casefold()
        if row.family_role == "registration":  # the same drawings in another office, within the priority year
            assert _views_pixels(corpus, design) == _views_pixels(corpus, first[row.family_id])
            assert row.country != original.country and (row.apdt - original.apdt).days <= 183
            assert same_holder and row.title_en == original.title_en and row.inventor == original.inventor
            if row.country in ("CN", "JP", "KR"):  # a foreign applicant's name as those offices write it
                assert row.original_assignee == original.original_assignee.upper()
        elif row.family_role == "variant":  # the same product with a small change, by its holder
            assert _pixel_digest(corpus.view_path(design, 0)) != _pixel_digest(corpus.view_path(first[row.family_id], 0))
            assert same_holder and row.apdt > original.apdt
        else:  # a copy: drawn again by another holder
            assert row.family_role == "copy" and not same_holder
            assert _pixel_digest(corpus.view_path(design, 0)) != _pixel_digest(corpus.view_path(first[row.family_id], 0))
        seen.add(row.family_role)
    assert seen == {"registration", "variant", "copy"}


def test_families_leave_every_other_column_of_the_world_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    # families are drawn on their own random stream: numbers, offices, dates and statuses do not move
    meta = sample_metadata(200, seed=2)
    monkeypatch.setattr(sample_mod, "_with_families", lambda m, seed: m)
    plain = sample_metadata(200, seed=2)
    for column in ("patent_id", "patent_pn", "country", "apdt", "pbdt", "legal_status", "legal_events"):
        pd.testing.assert_series_equal(meta[column], plain[column])


# --- sample queries -------------------------------------------------------------------------------------------

def test_committed_query_images_are_what_write_queries_makes(tmp_path: Path) -> None:
    written = write_queries(tmp_path)
    assert len(written) >= 6
    committed = PROJECT / "data" / "queries"
    for path in written:
        assert path.stat().st_size < 8_000
        assert (committed / path.name).read_bytes() == path.read_bytes()


def _pixel_digest(path: Path) -> str:
    """The drawing's pixels, not its file: query PNGs and corpus views are encoded with different options."""
    with Image.open(path) as im:
        gray = im.convert("L")
        return hashlib.sha256(repr(gray.size).encode() + gray.tobytes()).hexdigest()


def test_query_images_are_not_in_the_corpus(corpus: Corpus, tmp_path: Path) -> None:
    view_pixels = {_pixel_digest(p) for p in (corpus.root / "views").iterdir()}
    assert len(view_pixels) > 100
    for path in write_queries(tmp_path):
        assert _pixel_digest(path) not in view_pixels
    # the check can tell: a corpus view re-encoded like a query is recognised as one
    view = next((corpus.root / "views").iterdir())
    with Image.open(view) as im:
        im.save(tmp_path / "reencoded.png", optimize=True)
    assert _pixel_digest(tmp_path / "reencoded.png") in view_pixels


# --- a user's own drawings ------------------------------------------------------------------------------------

def _drawings(folder: Path, names: list[str]) -> None:
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        im = render_design(sorted(GENERATORS)[k % len(GENERATORS)], np.random.default_rng(k))[0]
        if name.endswith(".jpg"):
            im.convert("RGB").save(folder / name, "JPEG")
        else:
            im.save(folder / name)


def test_index_directory_builds_a_user_corpus(tmp_path: Path) -> None:
    _drawings(tmp_path / "img", ["a1.png", "a2.png", "b.jpg"])
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,title,assignee,inventor,apdt,pbdt,isdt,legal_status,country,abstract\n"
        "USD0900001S,a1.png; a2.png,10-02,Watch,Acme Test Co.,Ann Lee|Bo Kim,2019-01-02,2020-01-07,2020-01-07,3,,A watch.\n"
        "CN305000001S,b.jpg,\"14-03,14-02\",Phone,,,2021-03-04,2021-09-01,,,,\n",
        encoding="utf-8")
    c = index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    assert not c.sandbox_marked
    assert list(c.meta.patent_pn) == ["USD0900001S", "CN305000001S"]
    assert list(c.meta.n_views) == [2, 1] and list(c.meta.country) == ["US", "CN"]
    assert list(c.meta.legal_status) == [3, 1] and list(c.meta.simple_legal_status) == [1, 2]
    assert c.meta["loc"][1] == "14-03,14-02" and c.meta.inventor[0] == "Ann Lee|Bo Kim"
    assert c.meta.patent_id.is_unique and len(c.meta.patent_id[0]) == 36
    assert pd.isna(c.meta.isdt[1]) and c.meta.apdt[0] == pd.Timestamp(2019, 1, 2)
    assert c.view_path(0, 1).read_bytes() == (tmp_path / "img" / "a2.png").read_bytes()
    with Image.open(c.view_path(1, 0)) as im:
        assert im.format == "PNG"
    # the patent_id default is stable: the same CSV gives the same ids
    again = index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    assert list(again.meta.patent_id) == list(c.meta.patent_id)
    assert load_corpus(tmp_path / "out").meta.equals(again.meta)


def test_index_directory_lists_every_bad_row(tmp_path: Path) -> None:
    _drawings(tmp_path / "img", ["ok.png"])
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,apdt,pbdt,legal_status,simple_legal_status\n"
        "USD0000001S,ok.png,10-02,2020-01-01,2020-02-01,3,1\n"
        "USD0000002S,missing.png,10-02,,,,\n"
        "USD0000003S,ok.png,1002,,,,\n"
        "USD0000004S,ok.png,10-02,2020-02-30,,,\n"
        "USD0000001S,ok.png,10-02,,,,\n"
        "USD0000005S,ok.png,10-02,2021-01-01,2020-01-01,77,5\n"
        "USD0000006S,../ok.png,,,,,\n"
        "USD0000007S,ok.png,10-02,2020-W01-1,,²,\n"
        "USD0000008S,ok.png,99-01,,,,\n",
        encoding="utf-8")
    with pytest.raises(ValueError) as info:
        index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    message = str(info.value)
    assert "8 bad row(s)" in message
    for expected in ("row 3 (USD0000002S): image file 'missing.png' not found",
                     "row 4 (USD0000003S): loc code '1002' is not NN-NN (did you mean 10-02?)",
                     "row 10 (USD0000008S): loc code '99-01' is not a Locarno subclass: there is no class 99",
                     "row 5 (USD0000004S): apdt '2020-02-30' is not a YYYY-MM-DD date",
                     "row 6 (USD0000001S): duplicate patent_pn (also on row 2)",
                     "pbdt is before apdt", "legal_status '77' is not a known code",
                     "simple_legal_status '5' is not a known code",
                     "row 8 (USD0000006S): image '../ok.png' must be a file name inside images_dir; loc is empty",
                     "row 9 (USD0000007S): apdt '2020-W01-1' is not a YYYY-MM-DD date",
                     "legal_status '²' is not a known code"):
        assert expected in message
    assert "row 2 " not in message
    assert not (tmp_path / "out").exists()


def test_index_directory_needs_the_required_columns(tmp_path: Path) -> None:
    (tmp_path / "meta.csv").write_text("patent_pn,title\nUSD1S,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing required column"):
        index_directory(tmp_path, tmp_path / "meta.csv", tmp_path / "out")


def test_index_directory_refuses_to_overwrite_a_foreign_directory(tmp_path: Path) -> None:
    _drawings(tmp_path / "img", ["ok.png"])
    (tmp_path / "meta.csv").write_text("patent_pn,image,loc\nUSD1S,ok.png,10-02\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="refusing to overwrite"):
        index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    assert (tmp_path / "out" / "precious.txt").read_text() == "keep me"


def test_sample_metadata_is_as_of_a_fixed_date() -> None:
    first = sample_metadata(20, seed=5)
    pd.testing.assert_frame_equal(first, sample_metadata(20, seed=5))
    assert first["pbdt"].max() <= pd.Timestamp(AS_OF)  # nothing is published after the corpus's "today"


def test_index_directory_refuses_office_codes_no_filter_could_match(tmp_path: Path) -> None:
    _drawings(tmp_path / "img", ["ok.png"])
    (tmp_path / "meta.csv").write_text("patent_pn,image,loc,country\nX1S,ok.png,10-02,éu\nX2S,ok.png,10-02,uk\n",
                                       encoding="utf-8")
    with pytest.raises(ValueError) as info:
        index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    for fragment in ("country 'ÉU' is not a two-letter office code", "country 'UK' is not a two-letter office code"):
        assert fragment in str(info.value)  # UK has the shape of a code, but no office has it (GB does)


def test_legal_events_must_end_in_the_status_in_the_order_they_are_stored(tmp_path: Path) -> None:
    # two events on one day: the one given last is the last stored, so it must be the legal_status
    _drawings(tmp_path / "img", ["ok.png"])
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,legal_status,legal_events\n"
        "USD0000001S,ok.png,10-02,3,2020-01-01:3;2020-01-01:1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="legal_events must end in the legal_status 3"):
        index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,legal_status,legal_events\n"
        "USD0000001S,ok.png,10-02,3,2020-01-01:1;2020-01-01:3\n", encoding="utf-8")
    corpus = index_directory(tmp_path / "img", tmp_path / "meta.csv", tmp_path / "out")
    assert legal_events(corpus.meta.iloc[0])[-1][1] == 3
