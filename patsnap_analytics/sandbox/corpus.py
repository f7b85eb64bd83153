"""The sandbox's corpus of design drawings: a generated sample, or a user's own drawings and metadata.

A corpus is a directory::

    manifest.json   kind ("sample" or "user"), version, size; written last, so its presence means "complete"
    meta.csv        one row per design (columns: see :class:`Corpus`)
    views/          000000-0.png, 000000-1.png, ... (design number, view number)
    features.npy    the engine's cached index (written by :class:`~patsnap_analytics.sandbox.engine.Engine`)

:func:`sample_corpus` generates a deterministic corpus (seeded line drawings of 22 Locarno subclasses from
:mod:`.drawing` with realistic metadata) into a cache directory on first use and reuses it afterwards; nothing
is ever downloaded. :func:`index_directory` turns a folder of drawings plus a metadata CSV into a corpus.

Example:
    >>> import tempfile
    >>> c = sample_corpus(30, seed=1, cache_dir=Path(tempfile.mkdtemp()))
    >>> len(c.meta), c.sandbox_marked, c.view_path(0, 0).name
    (30, True, '000000-0.png')
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from .. import codes, loc
from ..query import iso_date
from .drawing import GENERATORS, VIEWS, render_design
from .protocol import DEFAULT_DESIGNS

__all__ = [
    "AS_OF",
    "CORPUS_VERSION",
    "META_COLUMNS",
    "SIMPLE_OF_LEGAL",
    "Corpus",
    "default_cache_dir",
    "index_directory",
    "load_corpus",
    "query_drawings",
    "sample_corpus",
    "sample_metadata",
    "write_queries",
]

#: Bump when the generator or the metadata rules change: it is part of the cache directory name.
def source_fingerprint(*modules: str) -> str:
    """A short hash of the source files that decide what a cached artefact contains.

    Hand-bumped version strings get forgotten, and a stale cache then serves drawings or features the current
    code would never make; hashing the generating source makes every change rebuild (a few seconds).
    """
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in modules:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:10]


#: Part of the cache directory name: changes whenever the drawing generator or this module changes.
CORPUS_VERSION = "2-" + source_fingerprint("drawing.py", "corpus.py")
#: The date the sample corpus's legal statuses are "as of" (fixed, so a corpus never changes with the clock).
AS_OF = date(2025, 12, 31)
#: ``legal_status`` -> the ``simple_legal_status`` it implies (used for the sample and for user CSV defaults).
SIMPLE_OF_LEGAL: dict[int, int] = {
    1: 2, 2: 2, 3: 1, 8: 1, 21: 1, 23: 1,
    11: 0, 12: 0, 13: 0, 14: 0, 15: 0, 16: 0, 17: 0, 18: 0, 19: 0, 20: 0, 22: 0, 24: 0, 25: 0, 30: 0,
    222: 221, 223: 221, 224: 220, 225: 220,
}

#: The metadata columns every corpus has (a corpus may add more, e.g. ``source_images``).
META_COLUMNS = ("patent_id", "patent_pn", "title", "abstract", "assignee", "inventor", "loc", "country",
                "apdt", "pbdt", "isdt", "legal_status", "simple_legal_status", "n_views")
DATE_COLUMNS = ("apdt", "pbdt", "isdt")
_MANIFEST = "manifest.json"
_META = "meta.csv"
_PARALLEL_MIN_DESIGNS = 4000  # below this a process pool costs more than it saves
_QUERY_STREAM, _CORPUS_STREAM = 2, 1  # separate random streams: query drawings are never corpus designs


@dataclass
class Corpus:
    """A corpus directory loaded: its root and one metadata row per design (index = design number).

    Columns: ``patent_id, patent_pn, title, abstract, assignee, inventor`` (``|``-separated), ``loc``
    (codes joined with ``,``), ``country``, ``apdt, pbdt, isdt`` (datetime64; ``isdt`` NaT when not granted),
    ``legal_status, simple_legal_status, n_views`` (int).

    Example:
        >>> import tempfile
        >>> c = sample_corpus(12, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> c.view_path(2, 1).parent.name, int(c.meta.n_views.min()) >= 1
        ('views', True)
    """

    root: Path
    meta: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def view_path(self, design: int, view: int = 0) -> Path:
        """The PNG file of view ``view`` of design ``design``."""
        return self.root / "views" / f"{int(design):06d}-{int(view)}.png"

    @property
    def sandbox_marked(self) -> bool:
        """True for generated sample corpora (results from them must be marked as sandbox data)."""
        return self.manifest.get("kind") == "sample"

    def __len__(self) -> int:
        return len(self.meta)


# --- loading ------------------------------------------------------------------------------------------------

def load_corpus(path: str | Path) -> Corpus:
    """Load a corpus directory written by :func:`sample_corpus` or :func:`index_directory`.

    Example:
        >>> import tempfile
        >>> c = sample_corpus(10, seed=2, cache_dir=Path(tempfile.mkdtemp()))
        >>> load_corpus(c.root).meta.equals(c.meta)
        True
    """
    root = Path(path)
    manifest_file = root / _MANIFEST
    if not manifest_file.is_file():
        raise FileNotFoundError(f"{root} is not a corpus directory (no {_MANIFEST})")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return Corpus(root=root, meta=_read_meta(root / _META), manifest=manifest)


def _read_meta(path: Path) -> pd.DataFrame:
    text_cols = ("patent_id", "patent_pn", "title", "abstract", "assignee", "inventor", "loc", "country")
    meta = pd.read_csv(path, dtype={c: str for c in text_cols}, keep_default_na=False, na_values={
        c: [""] for c in DATE_COLUMNS})
    for c in DATE_COLUMNS:
        meta[c] = pd.to_datetime(meta[c], format="%Y-%m-%d").astype("datetime64[ns]")
    for c in ("legal_status", "simple_legal_status", "n_views"):
        meta[c] = meta[c].astype("int64")
    return meta


def _write_meta(meta: pd.DataFrame, path: Path) -> None:
    out = meta.copy()
    for c in DATE_COLUMNS:
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False)


def _publish(tmp: Path, final: Path) -> None:
    """Move a finished build into place; if another process won the race, keep theirs."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not (final / _MANIFEST).is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


# --- the sample corpus --------------------------------------------------------------------------------------

def default_cache_dir() -> Path:
    """Where sample corpora are cached: ``$PATSNAP_SANDBOX_CACHE`` or the user cache dir.

    Example:
        >>> isinstance(default_cache_dir(), Path)  # e.g. ~/.cache/patsnap-analytics on Linux
        True
    """
    env = os.environ.get("PATSNAP_SANDBOX_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("patsnap-analytics", appauthor=False))


def sample_corpus(n_designs: int = DEFAULT_DESIGNS, *, seed: int = 0, cache_dir: Path | None = None) -> Corpus:
    """The deterministic sample corpus of ``n_designs`` designs, built on first use and cached.

    ``cache_dir`` is the base directory (default :func:`default_cache_dir`); the corpus lives in its
    sub-directory ``corpus-<CORPUS_VERSION>-<n>-<seed>``. Two processes building at once are safe: each
    builds into a private temporary directory and the first to rename it into place wins.

    Example:
        >>> import tempfile
        >>> base = Path(tempfile.mkdtemp())
        >>> a, b = sample_corpus(8, seed=5, cache_dir=base), sample_corpus(8, seed=5, cache_dir=base)
        >>> a.root == b.root, a.root.name == f"corpus-{CORPUS_VERSION}-8-5"
        (True, True)
    """
    if n_designs < 1:
        raise ValueError(f"n_designs: must be at least 1, got {n_designs}")
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = base / f"corpus-{CORPUS_VERSION}-{n_designs}-{seed}"
    if (final / _MANIFEST).is_file():
        return load_corpus(final)
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=base))
    try:
        meta = sample_metadata(n_designs, seed=seed)
        (tmp / "views").mkdir()
        _draw_all(tmp / "views", meta, seed)
        _write_meta(meta, tmp / _META)
        manifest = {"kind": "sample", "corpus_version": CORPUS_VERSION, "n_designs": n_designs, "seed": seed,
                    "as_of": AS_OF.isoformat()}
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        _publish(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return load_corpus(final)


def _draw_chunk(args: tuple[str, list[tuple[int, str, int]], int]) -> int:
    views_dir, rows, seed = args
    for design, code, n_views in rows:
        rng = np.random.default_rng([seed, _CORPUS_STREAM, design])
        for view, im in enumerate(render_design(code, rng, VIEWS[:n_views])):
            im.convert("1", dither=Image.Dither.NONE).save(Path(views_dir) / f"{design:06d}-{view}.png")
    return len(rows)


def _draw_all(views_dir: Path, meta: pd.DataFrame, seed: int) -> None:
    rows = [(int(i), c.split(",")[0], int(v)) for i, c, v in zip(meta.index, meta["loc"], meta["n_views"],
                                                                   strict=True)]
    if len(rows) < _PARALLEL_MIN_DESIGNS or (os.cpu_count() or 1) < 2:
        _draw_chunk((str(views_dir), rows, seed))
        return
    # drawing is pure CPU and each design has its own seed, so chunks can go to 2 processes in any order
    chunks = [(str(views_dir), rows[k:k + 1000], seed) for k in range(0, len(rows), 1000)]
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    try:  # "spawn": safe inside threaded servers and notebooks, unlike fork
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
            for _ in pool.map(_draw_chunk, chunks):
                pass
    except (OSError, RuntimeError, BrokenProcessPool):  # no processes allowed here: draw in this one
        _draw_chunk((str(views_dir), rows, seed))


# --- sample metadata ----------------------------------------------------------------------------------------

_TITLES: dict[str, tuple[str, ...]] = {
    "02-04": ("Shoe", "Sports shoe", "Boot", "Sandal", "Shoe sole"),
    "03-01": ("Handbag", "Bag", "Tote bag", "Shoulder bag", "Briefcase"),
    "06-01": ("Chair", "Armchair", "Dining chair", "Office chair", "Stool"),
    "06-03": ("Table", "Desk", "Coffee table", "Side table", "Dining table"),
    "07-01": ("Cup", "Mug", "Teacup", "Drinking glass", "Cup and saucer"),
    "07-02": ("Cooking pot", "Saucepan", "Frying pan", "Casserole", "Kettle"),
    "08-05": ("Hammer", "Wrench", "Hand tool", "Spanner", "Multi-tool"),
    "09-01": ("Bottle", "Water bottle", "Flask", "Beverage bottle", "Perfume bottle"),
    "09-03": ("Box", "Storage box", "Packaging box", "Gift box", "Container"),
    "10-02": ("Watch", "Wrist watch", "Smart watch", "Watch case", "Watch band"),
    "10-07": ("Pressure gauge", "Measuring instrument", "Meter", "Thermometer", "Dial indicator"),
    "11-01": ("Ring", "Finger ring", "Jewellery ring", "Engagement ring"),
    "12-08": ("Car", "Automobile", "Vehicle", "Sport utility vehicle", "Toy car body"),
    "12-11": ("Bicycle", "Electric bicycle", "Bicycle frame", "Scooter", "Motorcycle"),
    "14-01": ("Headphones", "Earphone", "Headset", "Speaker", "Wireless headphones"),
    "14-02": ("Laptop computer", "Monitor", "Display screen", "Tablet computer", "Computer"),
    "14-03": ("Mobile phone", "Smartphone", "Phone", "Remote control", "Communication terminal"),
    "16-01": ("Camera", "Digital camera", "Action camera", "Camera body", "Surveillance camera"),
    "21-01": ("Toy", "Toy figure", "Robot toy", "Plush toy", "Doll"),
    "23-04": ("Fan", "Electric fan", "Desk fan", "Air circulator", "Ventilator"),
    "26-05": ("Lamp", "Table lamp", "Desk lamp", "Floor lamp", "Lighting fixture"),
    "28-03": ("Hair dryer", "Hair styling device", "Beauty device", "Electric shaver", "Hair curler"),
}
_DETAILS = ("with a rounded outline", "with slender proportions", "with a broad base", "with a minimalist profile",
            "with contrasting bands", "with a tapered body", "with a raised rim", "with recessed details",
            "with an asymmetric accent", "with a flat top surface")
# second LOC code a design may also carry, by its main code
_RELATED = {"10-02": "10-07", "10-07": "10-02", "14-03": "14-02", "14-02": "14-01", "14-01": "14-03",
            "07-01": "07-02", "07-02": "07-01", "06-01": "06-03", "06-03": "06-01", "09-01": "09-03",
            "09-03": "09-01", "12-08": "21-01", "21-01": "12-08", "16-01": "14-01", "26-05": "23-04",
            "23-04": "26-05", "28-03": "23-04", "11-01": "10-02", "03-01": "02-04", "02-04": "03-01",
            "12-11": "12-08", "08-05": "07-02"}

# (assignee, home office, subclasses it files in; empty = many classes)
_ASSIGNEES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Northwind Consumer Products Inc.", "US", ()),
    ("Contoso Design Group LLC", "US", ()),
    ("青岚未来电子有限公司", "CN", ("14-01", "14-02", "14-03", "16-01", "10-02")),
    ("深蓝极光智能科技有限公司", "CN", ("14-03", "14-02", "23-04", "28-03")),
    ("东方曜石家居用品有限公司", "CN", ("06-01", "06-03", "07-01", "07-02", "26-05")),
    ("Lumora Lighting Co., Ltd.", "CN", ("26-05", "23-04")),
    ("Kestrel Mobility AG", "DE", ("12-08", "12-11")),
    ("Tandem Cycleworks LLC", "US", ("12-11",)),
    ("Vellum Leatherworks S.r.l.", "EU", ("03-01", "02-04")),
    ("Orchid Tableware K.K.", "JP", ("07-01", "07-02", "09-01")),
    ("Minato Design Kobo Co., Ltd.", "JP", ("16-01", "14-01", "10-02", "10-07")),
    ("Hanbit Motion Co., Ltd.", "KR", ("14-03", "14-02", "14-01")),
    ("Seoraeul Living Co., Ltd.", "KR", ("06-01", "06-03", "28-03")),
    ("Brightfield Optics Ltd.", "GB", ("16-01", "10-07")),
    ("Atelier Verrier Durand SAS", "FR", ("09-01", "07-01", "11-01")),
    ("Chronoval Horlogerie SA", "EU", ("10-02", "11-01")),
    ("Harbourline Trading Ltd.", "HK", ("09-03", "21-01", "03-01", "11-01")),
    ("Stridewell Footwear Corp.", "US", ("02-04",)),
    ("Ironbark Tools Pty Ltd", "GB", ("08-05",)),
    ("Kidora Toys GmbH", "DE", ("21-01", "12-08")),
    ("Aeroflux Appliances Inc.", "US", ("23-04", "28-03", "07-02")),
    ("Pinecrest Packaging Co.", "US", ("09-01", "09-03")),
    ("Sunward Electronics (Shenzhen) Co., Ltd.", "CN", ("14-01", "14-02", "14-03", "16-01", "23-04")),
    ("Fabrique Lumière SARL", "FR", ("26-05", "06-03")),
    ("Nordhavn Møbler A/S", "EU", ("06-01", "06-03", "26-05")),
)
_GIVEN = ("Wei", "Na", "Min", "Jie", "Lei", "Yan", "Hao", "Haruki", "Yui", "Ren", "Min-jun", "Seo-yeon", "Ji-ho",
          "Anna", "Lukas", "Marie", "James", "Olivia", "Noah", "Emma", "Pierre", "Chloé", "Marco", "Giulia")
_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Sato", "Suzuki", "Takahashi", "Kim", "Lee", "Park", "Müller",
           "Schmidt", "Smith", "Johnson", "Brown", "Martin", "Bernard", "Rossi", "Bianchi", "Nguyen", "Garcia")
_OFFICE_WEIGHTS = {"CN": 0.30, "US": 0.18, "EU": 0.12, "JP": 0.08, "KR": 0.08, "WO": 0.06, "DE": 0.05,
                   "GB": 0.05, "FR": 0.04, "HK": 0.04}
# days from filing to registration, by office (design examination is quick in registration systems)
_GRANT_DELAY = {"US": (400, 900), "CN": (120, 300), "EU": (5, 60), "JP": (200, 450), "KR": (150, 400),
                "WO": (30, 200), "DE": (60, 200), "GB": (20, 90), "FR": (30, 120), "HK": (30, 120)}
_PUBLISH_AFTER_GRANT = {"JP": (20, 45), "KR": (10, 40), "DE": (20, 60)}
_EPOCH, _LAST_FILING = date(2000, 1, 1), date(2025, 9, 30)


def _term_end(office: str, apdt: date, isdt: date) -> date:
    """When protection ends at the latest (simplified statutory terms)."""
    def plus_years(d: date, years: int) -> date:
        return d.replace(year=d.year + years, day=min(d.day, 28))

    if office == "US":
        return plus_years(isdt, 15 if apdt >= date(2015, 5, 13) else 14)
    if office == "CN":
        return plus_years(apdt, 15 if apdt >= date(2021, 6, 1) else 10)
    if office in ("JP", "KR"):
        return plus_years(apdt, 20 if apdt >= date(2020, 4, 1) else 15)
    return plus_years(apdt, 25)


def _dates_and_status(office: str, apdt: date, rng: np.random.Generator) -> tuple[date, date | None, int]:
    """(pbdt, isdt, legal_status), consistent with each other and with :data:`AS_OF`."""
    lo, hi = _GRANT_DELAY[office]
    decided = apdt + timedelta(days=int(rng.integers(lo, hi)))
    room = (AS_OF - apdt).days
    published_app = apdt + timedelta(days=int(rng.integers(min(20, room), min(180, room) + 1)))
    if decided > AS_OF:  # still under examination, published as an application
        return published_app, None, int(rng.choice([1, 2], p=[0.3, 0.7]))
    if rng.random() < 0.1:  # refused, withdrawn or abandoned before registration
        return min(published_app, decided), None, int(rng.choice([13, 11, 18, 19, 30]))
    isdt = decided
    pub = _PUBLISH_AFTER_GRANT.get(office)
    pbdt = min(isdt + timedelta(days=int(rng.integers(*pub))), AS_OF) if pub else isdt
    if _term_end(office, apdt, isdt) < AS_OF:
        return pbdt, isdt, 15
    r = rng.random()
    age = (AS_OF - apdt).days / 365.25
    lapse = min(0.5, 0.03 * age)  # older registrations are likelier to have lapsed for non-payment
    status = 16 if r < lapse else 14 if r < lapse + 0.03 else 21 if r < lapse + 0.05 else 3
    return pbdt, isdt, status


def _patent_number(office: str, serial: int, apdt: date, rng: np.random.Generator) -> str:
    if office == "US":
        return f"USD{430_000 + serial:07d}S"
    if office == "CN":
        return f"CN3{1_000_000 + serial:08d}S"
    if office == "EU":
        return f"EU{1_000_000 + serial:09d}{int(rng.choice([1, 1, 1, 2, 3])):04d}S"
    if office == "JP":
        return f"JP{1_100_000 + serial:07d}S"
    if office == "KR":
        return f"KR30{apdt.year}{serial:07d}S"
    if office == "HK":
        return f"HK{3_000_000 + serial:08d}S"
    if office == "DE":
        return f"DE40{apdt.year}{100_000 + serial:06d}S"
    if office == "GB":
        return f"GB{3_000_000 + serial:07d}S"
    if office == "FR":
        return f"FR{apdt.year}{serial:05d}S"
    return f"WODM{200_000 + serial:06d}S"  # WO: Hague international registrations


def sample_metadata(n_designs: int, *, seed: int = 0) -> pd.DataFrame:
    """Metadata of the sample corpus (no drawing involved): deterministic in ``(n_designs, seed)``.

    Example:
        >>> m = sample_metadata(5, seed=0)
        >>> list(m.columns[:4]), m.patent_pn.str[:2].isin(list(codes.OFFICES)).all()
        (['patent_id', 'patent_pn', 'title', 'abstract'], np.True_)
    """
    rng = np.random.default_rng([seed, _CORPUS_STREAM])
    subclasses = sorted(GENERATORS)
    offices = list(_OFFICE_WEIGHTS)
    office_p = np.array(list(_OFFICE_WEIGHTS.values()))
    office_p /= office_p.sum()
    by_class: dict[str, list[int]] = {c: [] for c in subclasses}
    generalists = []
    for k, (_, _, classes) in enumerate(_ASSIGNEES):
        for c in classes:
            by_class[c].append(k)
        if not classes:
            generalists.append(k)
    span = (_LAST_FILING - _EPOCH).days
    rows = []
    serials = dict.fromkeys(offices, 0)
    for _ in range(n_designs):
        code = subclasses[int(rng.integers(len(subclasses)))]
        r = rng.random()
        if r < 0.7 and by_class[code]:
            k = by_class[code][min(int(rng.zipf(1.6)) - 1, len(by_class[code]) - 1)]
            assignee, home = _ASSIGNEES[k][0], _ASSIGNEES[k][1]
        elif r < 0.9:
            k = generalists[int(rng.integers(len(generalists)))]
            assignee, home = _ASSIGNEES[k][0], _ASSIGNEES[k][1]
        else:
            assignee, home = None, None  # an individual files in their own name
        office = home if home and rng.random() < 0.6 else offices[int(rng.choice(len(offices), p=office_p))]
        inventors = [f"{_FAMILY[int(rng.integers(len(_FAMILY)))]} {_GIVEN[int(rng.integers(len(_GIVEN)))]}"
                     for _ in range(int(rng.integers(1, 4)))]
        assignee = assignee or inventors[0]
        apdt = _EPOCH + timedelta(days=int(rng.integers(span + 1)))
        pbdt, isdt, legal = _dates_and_status(office, apdt, rng)
        serials[office] += int(rng.integers(1, 40))
        title = _TITLES[code][int(rng.integers(len(_TITLES[code])))]
        detail = _DETAILS[int(rng.integers(len(_DETAILS)))]
        loc_codes = [code] + ([_RELATED[code]] if rng.random() < 0.15 else [])
        rows.append({
            "patent_id": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
            "patent_pn": _patent_number(office, serials[office], apdt, rng),
            "title": title,
            "abstract": f"The ornamental design for a {title.lower()}, {detail}, as shown and described.",
            "assignee": assignee,
            "inventor": "|".join(dict.fromkeys(inventors)),
            "loc": ",".join(loc_codes),
            "country": office,
            "apdt": apdt, "pbdt": pbdt, "isdt": isdt,
            "legal_status": legal,
            "simple_legal_status": SIMPLE_OF_LEGAL[legal],
            "n_views": int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.35, 0.15])),
        })
    meta = pd.DataFrame(rows, columns=list(META_COLUMNS))
    for c in DATE_COLUMNS:
        meta[c] = pd.to_datetime(meta[c]).astype("datetime64[ns]")
    return meta


# --- held-out query drawings --------------------------------------------------------------------------------

def query_drawings(n: int = 8, *, seed: int = 0, views: Sequence[str] = ("front",)) -> list[tuple[str, Image.Image]]:
    """``n`` drawings from a random stream no corpus uses (so never in any sample corpus): (loc, image).

    Subclasses cycle through :data:`~.drawing.GENERATORS` in sorted order, so the first 22 cover every class.

    Example:
        >>> [code for code, _ in query_drawings(3)]
        ['02-04', '03-01', '06-01']
    """
    subclasses = sorted(GENERATORS)
    out = []
    for k in range(n):
        code = subclasses[k % len(subclasses)]
        rng = np.random.default_rng([seed, _QUERY_STREAM, k])
        out += [(code, im) for im in render_design(code, rng, views)]
    return out


def write_queries(out_dir: str | Path, *, seed: int = 0) -> list[Path]:
    """Write the sample query images committed in ``data/queries`` (held-out drawings, 1-bit PNG).

    Example:
        >>> import tempfile
        >>> [p.name for p in write_queries(tempfile.mkdtemp())][:2]
        ['query-1-10-02-watch.png', 'query-2-14-03-phone.png']
    """
    picks = (("10-02", "watch"), ("14-03", "phone"), ("06-01", "chair"), ("09-01", "bottle"),
             ("26-05", "lamp"), ("12-08", "car"), ("16-01", "camera"), ("02-04", "shoe"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, (code, name) in enumerate(picks, start=1):
        rng = np.random.default_rng([seed, _QUERY_STREAM, 1000 + k])
        im = render_design(code, rng, ("front",))[0]
        path = out / f"query-{k}-{code}-{name}.png"
        im.convert("1", dither=Image.Dither.NONE).save(path, optimize=True)
        written.append(path)
    return written


# --- a user's own drawings ----------------------------------------------------------------------------------

_PATENT_ID_NAMESPACE = uuid.UUID("6f1c1a52-3d0e-5c1b-9a57-2b1d6c0e4a11")


def index_directory(images_dir: str | Path, metadata_csv: str | Path, out_dir: str | Path) -> Corpus:
    """Build a corpus from your own drawings and a metadata CSV (UTF-8, one row per design).

    Columns (header names exactly as below):

    ==================== ========= ===========================================================================
    column               required  meaning
    ==================== ========= ===========================================================================
    patent_pn            yes       patent number, office-prefixed (``USD0871717S``); unique
    image                yes       file name(s) in ``images_dir`` (PNG/JPEG); several views ``;``-separated
    loc                  yes       Locarno subclass codes ``NN-NN``, several ``,``-separated
    title                no        design title
    assignee             no        applicant / owner
    inventor             no        inventors, ``|``-separated
    apdt, pbdt, isdt     no        application / publication / issue date, ``YYYY-MM-DD`` (apdt <= pbdt)
    legal_status         no        a code of :data:`codes.LEGAL_STATUS` (default 3 Granted if isdt else 1)
    simple_legal_status  no        a code of :data:`codes.SIMPLE_LEGAL_STATUS` (default implied by legal_status)
    country              no        two-letter office (default: the prefix of ``patent_pn``)
    abstract             no        short description
    patent_id            no        unique id (default: a stable uuid5 of ``patent_pn``)
    ==================== ========= ===========================================================================

    Every bad row is reported in one :class:`ValueError` (missing file, bad date, bad LOC code, unknown
    status code, duplicate ``patent_pn``...); nothing is silently dropped. ``out_dir`` must be new, empty,
    or a corpus written earlier by this function (it is then replaced).

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> render_design("10-02", np.random.default_rng(0))[0].save(d / "w.png")
        >>> _ = (d / "m.csv").write_text("patent_pn,image,loc\\nUSD0900001S,w.png,10-02\\n")
        >>> c = index_directory(d, d / "m.csv", d / "corpus")
        >>> row = c.meta.iloc[0]
        >>> row.patent_pn, row.country, int(row.legal_status), int(row.n_views), c.sandbox_marked
        ('USD0900001S', 'US', 1, 1, False)
        >>> _ = (d / "bad.csv").write_text("patent_pn,image,loc,apdt\\nZZ1,nope.png,1002,2020-13-01\\n")
        >>> index_directory(d, d / "bad.csv", d / "c2")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: bad.csv: 1 bad row(s):
          row 2 (ZZ1): image file 'nope.png' not found in ...; loc code '1002' is not NN-NN; apdt '2020-13-01' is not a YYYY-MM-DD date
    """
    images_dir, out_dir, metadata_csv = Path(images_dir), Path(out_dir), Path(metadata_csv)
    raw = pd.read_csv(metadata_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in ("patent_pn", "image", "loc") if c not in raw.columns]
    if missing:
        raise ValueError(f"{metadata_csv.name}: missing required column(s) {', '.join(missing)}; "
                         f"columns found: {', '.join(raw.columns)}")
    rows, problems_by_row = [], []
    seen_pn: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    for i, rec in enumerate(raw.to_dict("records")):
        line = i + 2  # the header is line 1
        row, problems = _validate_row({k: str(v).strip() for k, v in rec.items()}, images_dir)
        pn = row["patent_pn"]
        if pn and pn in seen_pn:
            problems.append(f"duplicate patent_pn (also on row {seen_pn[pn]})")
        elif pn:
            seen_pn[pn] = line
        if row["patent_id"] in seen_id:
            problems.append(f"duplicate patent_id (also on row {seen_id[row['patent_id']]})")
        else:
            seen_id[row["patent_id"]] = line
        if problems:
            problems_by_row.append(f"  row {line} ({pn or '?'}): " + "; ".join(problems))
        rows.append(row)
    if problems_by_row:
        raise ValueError(f"{metadata_csv.name}: {len(problems_by_row)} bad row(s):\n" + "\n".join(problems_by_row))
    if not rows:
        raise ValueError(f"{metadata_csv.name}: no rows")
    _prepare_out_dir(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        (tmp / "views").mkdir()
        for design, row in enumerate(rows):
            for view, name in enumerate(row.pop("_images")):
                _copy_as_png(images_dir / name, tmp / "views" / f"{design:06d}-{view}.png")
        meta = pd.DataFrame(rows, columns=[*META_COLUMNS, "source_images"])
        _write_meta(meta, tmp / _META)
        manifest = {"kind": "user", "corpus_version": CORPUS_VERSION, "n_designs": len(rows),
                    "source": str(metadata_csv.resolve())}
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return load_corpus(out_dir)


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        manifest = out_dir / _MANIFEST
        if not manifest.is_file() or json.loads(manifest.read_text(encoding="utf-8")).get("kind") != "user":
            raise ValueError(f"out_dir: {out_dir} is not empty and not a corpus made by index_directory; "
                             "refusing to overwrite it")
    out_dir.parent.mkdir(parents=True, exist_ok=True)


def _validate_row(rec: dict[str, str], images_dir: Path) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    pn = rec.get("patent_pn", "")
    if not pn:
        problems.append("patent_pn is empty")
    images = [s.strip() for s in rec.get("image", "").split(";") if s.strip()]
    if not images:
        problems.append("image is empty")
    for name in images:
        path = images_dir / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"image {name!r} must be a file name inside images_dir")
        elif not path.is_file():
            problems.append(f"image file {name!r} not found in {images_dir}")
        else:
            try:
                with Image.open(path) as im:
                    if im.format not in ("PNG", "JPEG"):
                        problems.append(f"image {name!r} is {im.format}, not PNG or JPEG")
            except OSError:
                problems.append(f"image {name!r} is not a readable image")
    loc_codes = [s.strip() for s in rec.get("loc", "").replace(";", ",").split(",") if s.strip()]
    if not loc_codes:
        problems.append("loc is empty")
    for code in loc_codes:
        if not (loc.is_code(code) and len(code) == 5):
            problems.append(f"loc code {code!r} is not NN-NN")
    dates: dict[str, date | None] = {}
    for name in DATE_COLUMNS:
        text = rec.get(name, "")
        dates[name] = iso_date(text) if text else None
        if text and dates[name] is None:
            problems.append(f"{name} {text!r} is not a YYYY-MM-DD date")
    if dates["apdt"] and dates["pbdt"] and dates["pbdt"] < dates["apdt"]:
        problems.append("pbdt is before apdt")
    legal = _code(rec.get("legal_status", ""), "legal_status", codes.LEGAL_STATUS, problems)
    if legal is None:
        legal = 3 if dates["isdt"] else 1
    simple = _code(rec.get("simple_legal_status", ""), "simple_legal_status", codes.SIMPLE_LEGAL_STATUS, problems)
    if simple is None:
        simple = SIMPLE_OF_LEGAL.get(legal, 999)
    country = (rec.get("country") or codes.office_of(pn) or "").upper()
    if not codes.is_office_code(country):  # the rule DesignQuery applies, or the design could never be filtered
        problems.append(f"country {country!r} is not a two-letter office code")
    row = {
        "patent_id": rec.get("patent_id") or str(uuid.uuid5(_PATENT_ID_NAMESPACE, pn)),
        "patent_pn": pn, "title": rec.get("title", ""), "abstract": rec.get("abstract", ""),
        "assignee": rec.get("assignee", ""), "inventor": rec.get("inventor", ""), "loc": ",".join(loc_codes),
        "country": country, **dates, "legal_status": legal, "simple_legal_status": simple,
        "n_views": len(images), "source_images": ";".join(images), "_images": images,
    }
    return row, problems


def _code(text: str, name: str, table: dict[int, str], problems: list[str]) -> int | None:
    if not text:
        return None
    if text.isascii() and text.isdigit() and int(text) in table:  # "²".isdigit() is True, int("²") fails
        return int(text)
    problems.append(f"{name} {text!r} is not a known code")
    return None


def _copy_as_png(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        if im.format == "PNG":
            shutil.copyfile(src, dst)
        else:
            im.convert("L").save(dst)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m patsnap_analytics.sandbox.corpus --write-queries data/queries`` (or ``--build N``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-queries", metavar="DIR", help="write the sample query images into DIR")
    parser.add_argument("--build", type=int, metavar="N", help="build (or reuse) the sample corpus of N designs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.write_queries:
        for path in write_queries(args.write_queries, seed=args.seed):
            print(path, path.stat().st_size, "bytes")
    if args.build:
        print(sample_corpus(args.build, seed=args.seed).root)


if __name__ == "__main__":
    main()
