"""The generated world: the deterministic sample corpus, its metadata, and held-out query drawings.

:func:`sample_corpus` draws seeded line drawings of 22 Locarno subclasses (:mod:`.drawing`) with realistic
metadata into a cache directory on first use, and reuses it afterwards; nothing is ever downloaded. The
metadata is what a landscape needs: 300 companies named the way each office's applicants are (a few heavy
filers and a long tail, :func:`assignee_world`), some designs owned today by another company than the one
that filed them, inventors, application numbers, filing / publication / registration dates and legal events
consistent with the legal status as of :data:`AS_OF`, one to three Locarno subclasses, and titles in the
office's language (CN, JP, KR) beside the English one.

**Design families** (:func:`sample_metadata`'s ``family_id`` and ``family_role``): some designs found a
family that other designs of the corpus join, as real designs do — ``registration``: the same drawings filed
in another office within the six-month priority year (another number, dates and status; the holder's name
as that office writes a foreign applicant's, in capitals); ``variant``: the same product with a small change
(:func:`~.drawing.vary`: a detail removed or added, proportions changed), filed later by its holder;
``copy``: the same design drawn again (another stroke, placement, number of views) by another holder.
``family_id`` is the patent number of the family's first filing (``family_role`` ``original``); a design in
no family is the original of a family of one. :mod:`.truth` grades study queries by these families.
:func:`query_drawings` and :func:`write_queries` draw from a random stream no corpus uses, so a query is
never in the corpus.

Example:
    >>> import tempfile
    >>> c = sample_corpus(30, seed=1, cache_dir=Path(tempfile.mkdtemp()))
    >>> len(c.meta), c.sandbox_marked, c.view_path(0, 0).name
    (30, True, '000000-0.png')
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .corpus import (
    DATE_COLUMNS,
    LIST_SEPARATOR,
    META_COLUMNS,
    Corpus,
    building,
    default_cache_dir,
    events_json,
    is_corpus,
    load_corpus,
    source_fingerprint,
    view_file,
    write_corpus,
)
from .drawing import CHANGES, GENERATORS, VIEWS, colourise, ink_colours, render_design, render_views, vary
from .parallel import run_chunks

__all__ = [
    "ASSIGNEES_PER_OFFICE",
    "AS_OF",
    "CORPUS_VERSION",
    "DEFAULT_DESIGNS",
    "FAMILY_ROLES",
    "SIMPLE_OF_LEGAL",
    "UTILITY_OFFICES",
    "assignee_world",
    "chinese_title",
    "drawing_rows",
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
_FAMILY_STREAM = 4  # design families: who joins whom, and how a member's drawing differs
#: A design's place in its family: the first filing, the same drawings in another office, a close variant,
#: a copy by another holder (see the module's docstring).
FAMILY_ROLES = ("original", "registration", "variant", "copy")
_FOUNDER_SHARE = 0.08  # designs that found a family of two or more
_MEMBERS, _MEMBERS_P = (1, 2, 3, 4, 5), (0.35, 0.3, 0.2, 0.1, 0.05)  # members a family gets beside its original
_ROLE_P = {"registration": 0.45, "variant": 0.35, "copy": 0.2}
#: When a member is filed: days after its family's first filing (registrations claim its priority).
_FILED_AFTER = {"registration": (0, 183), "variant": (60, 3 * 365), "copy": (180, 5 * 365)}
_TRIES = 30  # random picks among the designs filed in a member's window before that member is given up
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


def drawing_rows(meta: pd.DataFrame) -> list[tuple[int, str, int, bool, int, str]]:
    """What :func:`_draw_designs` needs to draw each design: ``(design, LOC code, views, in colour, the design
    whose drawing it shares (its family's original, else itself), its family role)``.

    Example:
        >>> design, code, views, coloured, source, role = drawing_rows(sample_metadata(2, seed=0))[0]
        >>> design == source, role
        (True, 'original')
    """
    first = {pn: int(i) for i, pn, role in zip(meta.index, meta["patent_pn"], meta["family_role"], strict=True)
             if role == "original"}
    return [(int(i), c.split(",")[0], int(v), t == "U", first[f], r) for i, c, v, t, f, r in
            zip(meta.index, meta["loc"], meta["n_views"], meta["patent_type"], meta["family_id"],
                meta["family_role"], strict=True)]


def _draw_all(root: Path, meta: pd.DataFrame, seed: int) -> None:
    rows = drawing_rows(meta)
    # each design has its own seed, so chunks can be drawn anywhere, in any order, with the same pixels
    chunks = [(str(root), rows[k:k + _DRAW_CHUNK], seed) for k in range(0, len(rows), _DRAW_CHUNK)]
    for _ in run_chunks(_draw_designs, chunks, sizes=[len(c[1]) for c in chunks], unit="design",
                        desc=f"sandbox: drawing {len(rows)} designs",
                        workers=None if len(rows) >= _PARALLEL_MIN_DESIGNS else 0):
        pass


def _draw_designs(chunk: tuple[str, list[tuple[int, str, int, bool, int, str]], int]) -> None:
    """Draw :func:`drawing_rows` into the corpus at ``root`` (a worker task).

    Designs are 1-bit drawings; utility models are drawn in ink colours (RGB), as their filings often are.
    A family's members draw its original's design: a registration exactly as filed first, a variant with
    one change, a copy drawn anew.
    """
    root, rows, seed = chunk
    for design, code, n_views, coloured, source, role in rows:
        rng = np.random.default_rng([seed, _CORPUS_STREAM, source])
        inks = ink_colours(np.random.default_rng([seed, _TYPE_STREAM, design])) if coloured else None
        for view, im in enumerate(_family_drawing(code, rng, VIEWS[:n_views], role,
                                                  np.random.default_rng([seed, _FAMILY_STREAM, design]))):
            out = colourise(im, inks) if inks else im.convert("1", dither=Image.Dither.NONE)
            out.save(view_file(Path(root), design, view))


def _family_drawing(code: str, rng: np.random.Generator, views: Sequence[str], role: str,
                    own: np.random.Generator) -> list[Image.Image]:
    """The views of a design of ``role`` in its family: ``rng`` is its original's generator, ``own`` the
    member's (a variant's change, a copy's new stroke and placement)."""
    if role in ("original", "registration"):
        return render_design(code, rng, views)
    front = GENERATORS[code](rng)
    if role == "variant":
        return render_views(vary(front, CHANGES[int(own.integers(len(CHANGES)))], own), views, rng)
    return render_views(front, views, own)


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

# the title in the office's own language, for the offices that publish in theirs (the English one is title_en)
_LOCAL_TITLES: dict[str, tuple[str, str, str]] = {  # subclass -> (CN, JP, KR)
    "02-04": ("鞋", "靴", "신발"), "03-01": ("手提包", "かばん", "가방"), "06-01": ("椅子", "椅子", "의자"),
    "06-03": ("桌子", "机", "탁자"), "07-01": ("杯子", "カップ", "컵"), "07-02": ("锅", "鍋", "냄비"),
    "08-05": ("手工具", "手工具", "수공구"), "09-01": ("瓶", "瓶", "병"), "09-03": ("盒子", "箱", "상자"),
    "10-02": ("手表", "腕時計", "손목시계"), "10-07": ("测量仪", "計測器", "측정기"), "11-01": ("戒指", "指輪", "반지"),
    "12-08": ("汽车", "自動車", "자동차"), "12-11": ("自行车", "自転車", "자전거"), "14-01": ("耳机", "ヘッドホン", "헤드폰"),
    "14-02": ("电脑", "コンピュータ", "컴퓨터"), "14-03": ("手机", "携帯電話機", "휴대전화기"),
    "16-01": ("相机", "カメラ", "카메라"), "21-01": ("玩具", "玩具", "완구"), "23-04": ("风扇", "扇風機", "선풍기"),
    "26-05": ("灯", "照明器具", "조명기구"), "28-03": ("吹风机", "ヘアドライヤー", "헤어드라이어"),
}
_LOCAL_LANGUAGE = {"CN": 0, "JP": 1, "KR": 2}

# The assignee world: ASSIGNEES_PER_OFFICE companies per office, named the way that office's applicants are
# named, each filing in a few related subclasses with a Zipf weight (a few heavy filers and a long tail).
ASSIGNEES_PER_OFFICE = 30
_STEMS = ("Northwind", "Contoso", "Lumora", "Kestrel", "Tandem", "Vellum", "Orchid", "Minato", "Hanbit",
          "Brightfield", "Chronoval", "Harbourline", "Stridewell", "Ironbark", "Kidora", "Aeroflux", "Pinecrest",
          "Sunward", "Nordhavn", "Qinglan", "Shenlan", "Dongyao", "Aurora", "Meridian", "Silverleaf", "Bluecrest",
          "Evergreen", "Redwood", "Starling", "Halcyon", "Oakridge", "Crescent", "Summit", "Lakeside", "Zenith",
          "Horizon", "Cobalt", "Juniper", "Falcon", "Maple", "Coral", "Granite", "Willow", "Sapphire", "Ember")
_TRADES = ("Design", "Electronics", "Home Products", "Technology", "Industrial", "Consumer Goods", "Lighting",
           "Housewares", "Mobility", "Precision", "Creative", "Appliances", "Living", "Innovations", "Works")
_CN_CITIES = ("Shenzhen", "Guangzhou", "Ningbo", "Dongguan", "Hangzhou", "Xiamen", "Foshan", "Zhongshan", "Suzhou",
              "Qingdao", "Yiwu", "Wenzhou")
_LEGAL_FORMS = {"US": ("Inc.", "LLC", "Corp.", "Co."), "CN": ("Co., Ltd.",), "JP": ("Co., Ltd.", "K.K.", "Corporation"),
                "KR": ("Co., Ltd.", "Corp."), "EU": ("S.r.l.", "S.L.", "B.V.", "S.p.A.", "ApS"),
                "DE": ("GmbH", "AG", "GmbH & Co. KG"), "GB": ("Ltd", "Limited", "plc"), "FR": ("SAS", "SARL", "SA"),
                "HK": ("Limited", "Holdings Limited"), "WO": ("SA", "AG", "Sàrl")}
# inventors are named the way the assignee's home office names people (family name first in CN/JP/KR)
_PEOPLE = {
    "CN": (("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
           ("Wei", "Na", "Min", "Jie", "Lei", "Yan", "Hao", "Fang", "Qiang", "Xiu")),
    "JP": (("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"),
           ("Haruki", "Yui", "Ren", "Sota", "Aoi", "Hina", "Riku", "Mei")),
    "KR": (("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
           ("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-yun", "Su-ah", "Ye-jun", "Ji-woo")),
    "*": (("Müller", "Schmidt", "Smith", "Johnson", "Brown", "Martin", "Bernard", "Rossi", "Bianchi", "Garcia",
           "Dubois", "Jensen", "Novak", "Walker"),
          ("Anna", "Lukas", "Marie", "James", "Olivia", "Noah", "Emma", "Pierre", "Chloé", "Marco", "Giulia",
           "Sofia", "Erik", "Laura")),
}
_OFFICE_WEIGHTS = {"CN": 0.30, "US": 0.18, "EU": 0.12, "JP": 0.08, "KR": 0.08, "WO": 0.06, "DE": 0.05,
                   "GB": 0.05, "FR": 0.04, "HK": 0.04}
_ASSIGNEE_STREAM = 3  # the assignee world is the same in every corpus, whatever its size or seed
# days from filing to registration, by office (design examination is quick in registration systems)
_GRANT_DELAY = {"US": (400, 900), "CN": (120, 300), "EU": (5, 60), "JP": (200, 450), "KR": (150, 400),
                "WO": (30, 200), "DE": (60, 200), "GB": (20, 90), "FR": (30, 120), "HK": (30, 120)}
_PUBLISH_AFTER_GRANT = {"JP": (20, 45), "KR": (10, 40), "DE": (20, 60)}
_EPOCH, _LAST_FILING = date(2000, 1, 1), date(2025, 9, 30)


@dataclass(frozen=True)
class _Assignee:
    name: str
    home: str
    classes: tuple[str, ...]
    weight: float


def _person(office: str, rng: np.random.Generator) -> str:
    family, given = _PEOPLE.get(office, _PEOPLE["*"])
    first, second = family[int(rng.integers(len(family)))], given[int(rng.integers(len(given)))]
    return f"{first} {second}" if office in _PEOPLE else f"{second} {first}"


def _company_name(office: str, k: int, rng: np.random.Generator) -> str:
    stem = _STEMS[(k * 7 + list(_OFFICE_WEIGHTS).index(office) * 11) % len(_STEMS)]
    trade = _TRADES[int(rng.integers(len(_TRADES)))]
    form = _LEGAL_FORMS[office][int(rng.integers(len(_LEGAL_FORMS[office])))]
    if office == "CN":
        return f"{_CN_CITIES[int(rng.integers(len(_CN_CITIES)))]} {stem} {trade} {form}"
    return f"{stem} {trade} {form}"


@functools.cache
def assignee_world() -> tuple[_Assignee, ...]:
    """The companies of the generated world: :data:`ASSIGNEES_PER_OFFICE` per office, with Zipf weights.

    Example:
        >>> world = assignee_world()
        >>> len(world), len({a.name for a in world}) == len(world), world[0].weight > world[-1].weight
        (300, True, True)
    """
    rng = np.random.default_rng([_ASSIGNEE_STREAM])
    subclasses = sorted(GENERATORS)
    out: list[_Assignee] = []
    names: set[str] = set()
    for office in _OFFICE_WEIGHTS:
        for k in range(ASSIGNEES_PER_OFFICE):
            name = _company_name(office, k, rng)
            while name in names:
                name = _company_name(office, k + int(rng.integers(1000)), rng)
            names.add(name)
            first = subclasses[int(rng.integers(len(subclasses)))]
            extra = [_RELATED[first]] if rng.random() < 0.6 else []
            extra += [subclasses[int(rng.integers(len(subclasses)))]] if rng.random() < 0.3 else []
            out.append(_Assignee(name, office, tuple(dict.fromkeys([first, *extra])), 1.0 / (k + 1) ** 1.5))
    return tuple(sorted(out, key=lambda a: -a.weight))


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


def _between(a: date, b: date, rng: np.random.Generator) -> date:
    return a + timedelta(days=int(rng.integers(0, max(1, (b - a).days))))


def _dates_and_status(office: str, apdt: date, rng: np.random.Generator
                      ) -> tuple[date, date | None, int, list[tuple[date, int]]]:
    """(pbdt, isdt, legal_status, legal events), consistent with each other and with :data:`AS_OF`.

    The events are ``(date, legal_status code)`` in date order; the last one is the current status.
    """
    lo, hi = _GRANT_DELAY[office]
    decided = apdt + timedelta(days=int(rng.integers(lo, hi)))
    room = (AS_OF - apdt).days
    published_app = apdt + timedelta(days=int(rng.integers(min(20, room), min(180, room) + 1)))
    if decided > AS_OF:  # still under examination, published as an application
        status = int(rng.choice([1, 2], p=[0.3, 0.7]))
        events = [(published_app, 1)] + ([(_between(published_app, AS_OF, rng), 2)] if status == 2 else [])
        return published_app, None, status, events
    if rng.random() < 0.1:  # refused, withdrawn or abandoned before registration
        pbdt = min(published_app, decided)
        status = int(rng.choice([13, 11, 18, 19, 30]))
        return pbdt, None, status, [(pbdt, 1), (max(pbdt, decided), status)]
    isdt = decided
    pub = _PUBLISH_AFTER_GRANT.get(office)
    pbdt = min(isdt + timedelta(days=int(rng.integers(*pub))), AS_OF) if pub else isdt
    events = [(isdt, 3)]
    end = _term_end(office, apdt, isdt)
    if end < AS_OF:
        return pbdt, isdt, 15, [*events, (end, 15)]
    r = rng.random()
    age = (AS_OF - apdt).days / 365.25
    lapse = min(0.5, 0.03 * age)  # older registrations are likelier to have lapsed for non-payment
    status = 16 if r < lapse else 14 if r < lapse + 0.03 else 21 if r < lapse + 0.05 else 3
    if status == 16:
        events.append((_between(isdt, AS_OF, rng), 16))
    elif status == 14:
        events.append((_between(isdt, AS_OF, rng), 14))
    elif status == 21:
        lapsed = _between(isdt, AS_OF, rng)
        events += [(lapsed, 16), (_between(lapsed, AS_OF, rng), 21)]
    return pbdt, isdt, status, events


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


def _application_number(office: str, serial: int, apdt: date) -> str:
    """The application number in the office's own shape (US series 29, CN ``YYYY3NNNNNNN.C``, ...)."""
    if office == "US":
        return f"US29{600_000 + serial:06d}"
    if office == "CN":
        return f"CN{apdt.year}3{serial:07d}.{serial % 10}"
    if office == "KR":
        return f"KR30{apdt.year}{serial:07d}"
    return f"{office}{apdt.year}{serial:06d}"


def _pick_assignee(code: str, rng: np.random.Generator) -> _Assignee:
    world = assignee_world()
    pool = [a for a in world if code in a.classes] if rng.random() < 0.85 else list(world)
    pool = pool or list(world)
    weights = np.array([a.weight for a in pool])
    return pool[int(rng.choice(len(pool), p=weights / weights.sum()))]


def _design_row(code: str, rng: np.random.Generator, offices: list[str], office_p: np.ndarray,
                serials: dict[str, int]) -> dict:
    """The metadata of one generated design of subclass ``code``."""
    owner = _pick_assignee(code, rng)
    individual = rng.random() < 0.08  # an individual files in their own name
    office = owner.home if rng.random() < 0.55 else offices[int(rng.choice(len(offices), p=office_p))]
    inventors = list(dict.fromkeys(_person(owner.home, rng) for _ in range(int(rng.integers(1, 4)))))
    original = inventors[0] if individual else owner.name
    applicants = [original] + ([_pick_assignee(code, rng).name] if rng.random() < 0.05 else [])
    current = original
    if not individual and rng.random() < 0.08:  # sold or licensed on: the owner today is another company
        current = _pick_assignee(code, rng).name
    apdt = _EPOCH + timedelta(days=int(rng.integers((_LAST_FILING - _EPOCH).days + 1)))
    pbdt, isdt, legal, events = _dates_and_status(office, apdt, rng)
    serials[office] += int(rng.integers(1, 40))
    title_en = _TITLES[code][int(rng.integers(len(_TITLES[code])))]
    detail = _DETAILS[int(rng.integers(len(_DETAILS)))]
    loc_codes = [code] + ([_RELATED[code]] if rng.random() < 0.15 else [])
    if rng.random() < 0.04:  # a few designs are classified in a third, unrelated subclass
        loc_codes.append(sorted(GENERATORS)[int(rng.integers(len(GENERATORS)))])
    local = _LOCAL_LANGUAGE.get(office)
    return {
        "patent_id": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
        "patent_pn": _patent_number(office, serials[office], apdt, rng),
        "title": title_en if local is None else _LOCAL_TITLES[code][local],
        "title_en": title_en,
        "abstract": f"The ornamental design for a {title_en.lower()}, {detail}, as shown and described.",
        "assignee": current,
        "original_assignee": original,
        "applicants": LIST_SEPARATOR.join(dict.fromkeys(applicants)),
        "inventor": LIST_SEPARATOR.join(inventors),
        "loc": ",".join(dict.fromkeys(loc_codes)),
        "country": office,
        "application_number": _application_number(office, serials[office], apdt),
        "apdt": apdt, "pbdt": pbdt, "isdt": isdt,
        "legal_status": legal,
        "simple_legal_status": SIMPLE_OF_LEGAL[legal],
        "legal_events": events_json(events),
        "patent_type": "D",
        "n_views": int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.35, 0.15])),
    }


def sample_metadata(n_designs: int, *, seed: int = 0) -> pd.DataFrame:
    """Metadata of the sample corpus (no drawing involved): deterministic in ``(n_designs, seed)``.

    Example:
        >>> from patsnap_analytics import codes
        >>> m = sample_metadata(5, seed=0)
        >>> list(m.columns[:4]), m.patent_pn.str[:2].isin(list(codes.OFFICES)).all()
        (['patent_id', 'patent_pn', 'title', 'title_en'], np.True_)
    """
    rng = np.random.default_rng([seed, _CORPUS_STREAM])
    subclasses = sorted(GENERATORS)
    offices = list(_OFFICE_WEIGHTS)
    office_p = np.array(list(_OFFICE_WEIGHTS.values()))
    office_p /= office_p.sum()
    serials = dict.fromkeys(offices, 0)
    rows = [_design_row(subclasses[int(rng.integers(len(subclasses)))], rng, offices, office_p, serials)
            for _ in range(n_designs)]
    meta = pd.DataFrame(rows, columns=list(META_COLUMNS))
    for c in DATE_COLUMNS:
        meta[c] = pd.to_datetime(meta[c]).astype("datetime64[ns]")
    return _with_families(_with_utility_models(meta, seed), seed)


def _with_utility_models(meta: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Mark a share of the CN/JP/KR/DE filings as utility models (``patent_type`` U, numbered as such and
    drawn in colour); the rest stay designs (D).

    A separate random stream: the columns every corpus had keep their values.
    """
    rng = np.random.default_rng([seed, _TYPE_STREAM])
    draws = rng.random(len(meta))
    utility = meta["country"].isin(UTILITY_OFFICES).to_numpy() & (draws < _UTILITY_SHARE)
    meta["patent_type"] = np.where(utility, "U", "D")
    meta.loc[utility, "patent_pn"] = [_utility_number(pn) for pn in meta.loc[utility, "patent_pn"]]
    return meta


def _with_families(meta: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Found design families among the designs (``D``) and let other designs join them (the module's
    docstring says how). A member keeps its own number, office, dates and status, and takes its family's
    subclass, title and (unless it is a copy) holder and inventors; it is chosen among the designs filed in
    its role's window after the original, so its dates stay consistent. A separate random stream: every
    other column keeps the values it had before families existed.
    """
    rng = np.random.default_rng([seed, _FAMILY_STREAM])
    meta["family_id"] = meta["patent_pn"]
    meta["family_role"] = "original"
    designs = np.flatnonzero(meta["patent_type"].to_numpy() == "D")
    apdt = meta["apdt"].to_numpy().astype("datetime64[D]").astype(np.int64)
    by_date = designs[np.argsort(apdt[designs], kind="stable")]
    world = _World(apdt, by_date, apdt[by_date], meta["country"].to_numpy(), meta["original_assignee"].to_numpy(),
                   np.zeros(len(meta), bool))
    founders = rng.permutation(designs)[: round(_FOUNDER_SHARE * len(designs))]
    world.taken[founders] = True
    joins: list[tuple[int, int, str]] = []
    for founder in founders.tolist():
        offices = {world.country[founder]}
        for _ in range(int(rng.choice(_MEMBERS, p=_MEMBERS_P))):
            role = str(rng.choice(list(_ROLE_P), p=list(_ROLE_P.values())))
            member = _pick_member(world, founder, role, offices, rng)
            if member is not None:
                world.taken[member] = True
                offices.add(world.country[member])
                joins.append((member, founder, role))
    return _join(meta, joins, rng)


@dataclass(frozen=True)
class _World:
    """What choosing family members reads, as arrays (pandas lookups one by one are too slow at 100k)."""

    apdt: np.ndarray  # days since the epoch, by design
    by_date: np.ndarray  # designs (D) in filing order
    days: np.ndarray  # their filing days
    country: np.ndarray
    holder: np.ndarray  # original assignee
    taken: np.ndarray  # in a family already


def _pick_member(world: _World, founder: int, role: str, offices: set[str],
                 rng: np.random.Generator) -> int | None:
    """A design not yet in a family, filed in ``role``'s window after ``founder`` (a registration: in an
    office the family has no filing in yet; a copy: by another holder), or None after a few tries."""
    first, last = (int(world.apdt[founder]) + d for d in _FILED_AFTER[role])
    lo, hi = int(np.searchsorted(world.days, first)), int(np.searchsorted(world.days, last, side="right"))
    for _ in range(_TRIES if hi > lo else 0):
        design = int(world.by_date[int(rng.integers(lo, hi))])
        if world.taken[design] or (role == "registration" and world.country[design] in offices):
            continue
        if role == "copy" and world.holder[design] == world.holder[founder]:
            continue
        return design
    return None


def _join(meta: pd.DataFrame, joins: list[tuple[int, int, str]], rng: np.random.Generator) -> pd.DataFrame:
    """Make each ``(member, founder, role)`` a ``role`` of ``founder``'s family (see :func:`_with_families`)."""
    if not joins:
        return meta
    columns = ("family_id", "family_role", "loc", "title_en", "title", "abstract", "n_views", "inventor",
               "assignee", "original_assignee", "applicants")
    involved = sorted({d for member, founder, _ in joins for d in (member, founder)})
    rows = meta.loc[involved, [*columns, "patent_pn", "country"]].to_dict("index")
    for member, founder, role in joins:
        row, first = rows[member], rows[founder]
        code = str(first["loc"]).split(",")[0]
        local = _LOCAL_LANGUAGE.get(row["country"])
        if role == "copy":  # another holder's product: its own title, wording, parties and views
            title_en = _TITLES[code][int(rng.integers(len(_TITLES[code])))]
            detail = _DETAILS[int(rng.integers(len(_DETAILS)))]
            row["abstract"] = f"The ornamental design for a {title_en.lower()}, {detail}, as shown and described."
        else:
            title_en = first["title_en"]
            foreign = row["country"] != first["country"]
            row.update({c: first[c] for c in ("abstract", "n_views", "inventor")})
            row.update({c: _as_filed_in(str(first[c]), row["country"]) if foreign else first[c]
                        for c in ("assignee", "original_assignee", "applicants")})
        row.update(family_id=first["patent_pn"], family_role=role, loc=first["loc"], title_en=title_en,
                   title=title_en if local is None else _LOCAL_TITLES[code][local])
    members = sorted(member for member, _, _ in joins)
    changed = pd.DataFrame.from_dict({m: rows[m] for m in members}, orient="index")
    for column in columns:
        meta.loc[members, column] = changed[column].astype(meta[column].dtype).to_numpy()
    return meta


def _as_filed_in(names: str, office: str) -> str:
    """Holders' names as ``office`` records a foreign applicant's: CN, JP and KR in capitals.

    Example:
        >>> _as_filed_in("Northwind Design Inc.", "JP"), _as_filed_in("Northwind Design Inc.", "EU")
        ('NORTHWIND DESIGN INC.', 'Northwind Design Inc.')
    """
    return names.upper() if office in _LOCAL_LANGUAGE else names


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
    local = _LOCAL_TITLES.get(loc_code.split(",")[0])
    return local[_LOCAL_LANGUAGE["CN"]] if local else None


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
