"""The generated world: the deterministic sample corpus, its metadata, and held-out query drawings.

:func:`sample_corpus` draws seeded line drawings of 22 Locarno subclasses (:mod:`.drawing`) with realistic
metadata (offices, numbers, assignees, dates and legal statuses consistent with each other as of
:data:`AS_OF`) into a cache directory on first use, and reuses it afterwards; nothing is ever downloaded.
:func:`query_drawings` and :func:`write_queries` draw from a random stream no corpus uses, so a query is
never in the corpus.

Example:
    >>> import tempfile
    >>> c = sample_corpus(30, seed=1, cache_dir=Path(tempfile.mkdtemp()))
    >>> len(c.meta), c.sandbox_marked, c.view_path(0, 0).name
    (30, True, '000000-0.png')
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .corpus import (
    DATE_COLUMNS,
    META_COLUMNS,
    Corpus,
    building,
    default_cache_dir,
    is_corpus,
    load_corpus,
    source_fingerprint,
    view_file,
    write_corpus,
)
from .drawing import GENERATORS, VIEWS, colourise, ink_colours, render_design
from .parallel import run_chunks

__all__ = [
    "AS_OF",
    "CORPUS_VERSION",
    "DEFAULT_DESIGNS",
    "SIMPLE_OF_LEGAL",
    "UTILITY_OFFICES",
    "chinese_title",
    "query_drawings",
    "sample_corpus",
    "sample_metadata",
    "write_queries",
]

#: Size of the generated sample corpus when nobody says otherwise (Sandbox, CLI, demo, sample_corpus).
DEFAULT_DESIGNS = 2000
#: Part of the cache directory name: changes whenever the drawings, the metadata rules or the format change.
CORPUS_VERSION = "2-" + source_fingerprint("drawing.py", "sample.py", "corpus.py")
#: The date the sample corpus's legal statuses are "as of" (fixed, so a corpus never changes with the clock).
AS_OF = date(2025, 12, 31)
#: ``legal_status`` -> the ``simple_legal_status`` it implies (used for the sample and for user CSV defaults).
SIMPLE_OF_LEGAL: dict[int, int] = {
    1: 2, 2: 2, 3: 1, 8: 1, 21: 1, 23: 1,
    11: 0, 12: 0, 13: 0, 14: 0, 15: 0, 16: 0, 17: 0, 18: 0, 19: 0, 20: 0, 22: 0, 24: 0, 25: 0, 30: 0,
    222: 221, 223: 221, 224: 220, 225: 220,
}
_QUERY_STREAM, _CORPUS_STREAM = 2, 1  # separate random streams: query drawings are never corpus designs
_TYPE_STREAM = 3  # patent types and ink colours: added later, on their own stream
# Drawing takes ~2 ms a design and a worker ~1 s to start: below this many, this process alone is as fast.
_PARALLEL_MIN_DESIGNS = 800
_DRAW_CHUNK = 100  # designs per chunk: small enough to share out evenly, big enough to keep pipes quiet


def sample_corpus(n_designs: int = DEFAULT_DESIGNS, *, seed: int = 0, cache_dir: Path | None = None) -> Corpus:
    """The deterministic sample corpus of ``n_designs`` designs, built on first use and cached.

    ``cache_dir`` is the base directory (default :func:`~.corpus.default_cache_dir`); the corpus lives in its
    sub-directory ``corpus-<CORPUS_VERSION>-<n>-<seed>``. Two processes building at once are safe: each
    builds into a private temporary directory and the first to rename it into place wins. A build that takes
    more than a second shows a progress bar on stderr.

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
    if not is_corpus(final):
        with building(final) as tmp:
            meta = sample_metadata(n_designs, seed=seed)
            _draw_all(tmp, meta, seed)
            write_corpus(tmp, meta, {"kind": "sample", "corpus_version": CORPUS_VERSION, "n_designs": n_designs,
                                     "seed": seed, "as_of": AS_OF.isoformat()})
    return load_corpus(final)


def _draw_all(root: Path, meta: pd.DataFrame, seed: int) -> None:
    rows = [(int(i), c.split(",")[0], int(v), t == "U") for i, c, v, t in
            zip(meta.index, meta["loc"], meta["n_views"], meta["patent_type"], strict=True)]
    # each design has its own seed, so chunks can be drawn anywhere, in any order, with the same pixels
    chunks = [(str(root), rows[k:k + _DRAW_CHUNK], seed) for k in range(0, len(rows), _DRAW_CHUNK)]
    for _ in run_chunks(_draw_designs, chunks, sizes=[len(c[1]) for c in chunks], unit="design",
                        desc=f"sandbox: drawing {len(rows)} designs",
                        workers=None if len(rows) >= _PARALLEL_MIN_DESIGNS else 0):
        pass


def _draw_designs(chunk: tuple[str, list[tuple[int, str, int, bool]], int]) -> None:
    """Draw ``(design, LOC code, number of views, in colour)`` rows into the corpus at ``root`` (a worker task).

    Designs are 1-bit drawings; utility models are drawn in ink colours (RGB), as their filings often are.
    """
    root, rows, seed = chunk
    for design, code, n_views, coloured in rows:
        rng = np.random.default_rng([seed, _CORPUS_STREAM, design])
        inks = ink_colours(np.random.default_rng([seed, _TYPE_STREAM, design])) if coloured else None
        for view, im in enumerate(render_design(code, rng, VIEWS[:n_views])):
            out = colourise(im, inks) if inks else im.convert("1", dither=Image.Dither.NONE)
            out.save(view_file(Path(root), design, view))


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
# the office's language for CN/JP/KR titles (a small fixed vocabulary per product class: no downloads);
# lang="cn" answers the Chinese one for every office
_NATIVE_TITLES: dict[str, tuple[str, str, str]] = {  # subclass -> (zh, ja, ko)
    "02-04": ("鞋", "靴", "신발"), "03-01": ("手提包", "ハンドバッグ", "핸드백"), "06-01": ("椅子", "椅子", "의자"),
    "06-03": ("桌子", "テーブル", "탁자"), "07-01": ("杯子", "カップ", "컵"), "07-02": ("锅", "鍋", "냄비"),
    "08-05": ("手工具", "手工具", "수공구"), "09-01": ("瓶子", "瓶", "병"), "09-03": ("盒子", "箱", "상자"),
    "10-02": ("手表", "腕時計", "손목시계"), "10-07": ("测量仪表", "計器", "계측기"), "11-01": ("戒指", "指輪", "반지"),
    "12-08": ("汽车", "自動車", "자동차"), "12-11": ("自行车", "自転車", "자전거"), "14-01": ("耳机", "ヘッドホン", "헤드폰"),
    "14-02": ("电脑", "コンピュータ", "컴퓨터"), "14-03": ("手机", "携帯電話機", "휴대전화기"),
    "16-01": ("相机", "カメラ", "카메라"), "21-01": ("玩具", "玩具", "완구"), "23-04": ("风扇", "扇風機", "선풍기"),
    "26-05": ("灯", "照明器具", "조명기구"), "28-03": ("吹风机", "ヘアドライヤー", "헤어드라이어"),
}
_NATIVE_OFFICES = {"CN": 0, "JP": 1, "KR": 2}
#: Offices whose generated world also holds utility models (patent_type U, drawn in colour), and how often.
UTILITY_OFFICES = ("CN", "JP", "KR", "DE")
_UTILITY_SHARE = 0.2
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
        >>> from patsnap_analytics import codes
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
    return _with_types_and_languages(meta, seed)


def _with_types_and_languages(meta: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Add ``patent_type`` (D designs; a share of the CN/JP/KR/DE filings are utility models, U, numbered as
    such and drawn in colour) and ``title_en``; CN/JP/KR titles become the office's language.

    A separate random stream: the columns every corpus had keep their values.
    """
    rng = np.random.default_rng([seed, _TYPE_STREAM])
    draws = rng.random(len(meta))
    utility = meta["country"].isin(UTILITY_OFFICES).to_numpy() & (draws < _UTILITY_SHARE)
    meta["patent_type"] = np.where(utility, "U", "D")
    meta.loc[utility, "patent_pn"] = [_utility_number(pn) for pn in meta.loc[utility, "patent_pn"]]
    meta["title_en"] = meta["title"]
    for office, column in _NATIVE_OFFICES.items():
        rows = meta["country"] == office
        meta.loc[rows, "title"] = [_NATIVE_TITLES[code.split(",")[0]][column] for code in meta.loc[rows, "loc"]]
    return meta


def _utility_number(design_number: str) -> str:
    """The utility-model number of the office: its design number's serial, the office's utility-model form."""
    office, digits = design_number[:2], "".join(ch for ch in design_number if ch.isdigit())
    return {"CN": f"CN2{digits[-8:]}U", "JP": f"JP3{digits[-6:]}U", "KR": f"KR20{digits[-11:]}U",
            "DE": f"DE20{digits[-10:]}U1"}[office]


def chinese_title(loc_code: str) -> str | None:
    """The Chinese title of a generated design of this subclass (what ``lang="cn"`` answers), if known.

    Example:
        >>> chinese_title("10-02"), chinese_title("99-99")
        ('手表', None)
    """
    native = _NATIVE_TITLES.get(loc_code.split(",")[0])
    return native[0] if native else None


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
    """Write the sample query images committed in ``patsnap_analytics/samples`` (held-out drawings, 1-bit PNG).

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
