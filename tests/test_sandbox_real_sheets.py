"""Real patent sheets in a user corpus: each one, printed and scanned back, finds itself first.

The corpus is what an analyst builds with ``patsnap-analytics sandbox index``: the ten real US design sheets
of ``../shared/real_drawings`` (linked, never copied into the project) among 200 generated designs. Each
sheet is then degraded the way a scan of a printout is — turned slightly, scanned at a lower resolution,
blurred, on grey paper, saved as JPEG — and searched through a real sandbox over HTTP, as a user would.
Skipped where the real sheets are absent (a user's machine).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.cli import main as sandbox_cli
from patsnap_analytics.sandbox.engine import Engine
from patsnap_analytics.sandbox.sample import sample_corpus

from .conftest import SEARCH, UPLOAD, client_for

GENERATED = 200


def scanned_printout(sheet: Path, rng: np.random.Generator) -> bytes:
    """A sheet printed and scanned back: turned 1-3 degrees, scanned at 40-50 % of its resolution, slightly
    blurred, on grey paper (ink about 45, paper about 205 of 255) with sensor grain, as a JPEG."""
    with Image.open(sheet) as im:
        page = im.convert("L")
    angle = float(rng.uniform(1, 3)) * (1 if rng.random() < 0.5 else -1)
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    scale = float(rng.uniform(0.4, 0.5))
    page = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.BILINEAR)
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    levels = 45 + np.asarray(page, np.float32) * (205 - 45) / 255 + rng.normal(0, 4, (page.height, page.width))
    buf = io.BytesIO()
    Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _patent_number(sheet: Path) -> str:
    return sheet.name.split("-")[0] + "S"  # USD0871717-20200107-D00002.png -> USD0871717S


@pytest.fixture(scope="module")
def sheets(real_drawings: list[Path]) -> list[Path]:
    return real_drawings  # conftest's fixture: skips where the real sheets are absent


@pytest.fixture(scope="module")
def user_corpus(sheets: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built with the ``sandbox index`` command from one folder: links to the real sheets, the generated
    designs' drawings, and a metadata CSV with one row per design (a real design's sheets are its views)."""
    folder = tmp_path_factory.mktemp("drawings")
    rows = ["patent_pn,image,loc,title"]
    by_patent: dict[str, list[str]] = {}
    for sheet in sheets:
        (folder / sheet.name).symlink_to(sheet)
        by_patent.setdefault(_patent_number(sheet), []).append(sheet.name)
    rows += [f"{pn},{';'.join(names)},32-00,Real sheet" for pn, names in by_patent.items()]
    generated = sample_corpus(GENERATED, seed=16, cache_dir=tmp_path_factory.mktemp("generated"))
    for design, record in generated.meta.iterrows():
        names = []
        for view in range(int(record.n_views)):
            name = f"generated-{design}-{view}.png"
            (folder / name).write_bytes(generated.view_path(design, view).read_bytes())
            names.append(name)
        rows.append(f"{record.patent_pn},{';'.join(names)},\"{record['loc']}\",{record.title_en}")
    (folder / "meta.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("corpus") / "real-and-generated"
    assert sandbox_cli(["sandbox", "index", str(folder), "--metadata", str(folder / "meta.csv"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sandbox(user_corpus: Path):
    with Sandbox(corpus=user_corpus) as box:
        yield box


def test_each_scanned_sheet_finds_its_design_first_over_http(sheets: list[Path], sandbox: Sandbox) -> None:
    assert len(sandbox.corpus.meta) == GENERATED + len({_patent_number(s) for s in sheets})
    client = client_for(sandbox, cache=False)
    rng = np.random.default_rng(2020)
    sandbox.reset_stats()
    for sheet in sheets:
        df = client.search_designs(scanned_printout(sheet, rng), limit=5)
        assert df.patent_pn.iloc[0] == _patent_number(sheet), (sheet.name, df.patent_pn.tolist())
        assert df.score.iloc[0] > df.score.iloc[1]
    assert sandbox.stats[UPLOAD] == sandbox.stats[SEARCH] == len(sheets)  # one upload and one search a sheet


def test_each_scanned_sheet_is_its_own_best_view(sheets: list[Path], user_corpus: Path, sandbox: Sandbox) -> None:
    engine: Engine = sandbox.engine
    views = {name: (design, view) for design, names in enumerate(engine.corpus.meta["source_images"])
             for view, name in enumerate(str(names).split(";"))}
    rng = np.random.default_rng(2021)
    for sheet in sheets:
        top = engine.search(scanned_printout(sheet, rng), DesignQuery(limit=1)).hits[0]
        assert (top.design, top.view) == views[sheet.name], sheet.name
