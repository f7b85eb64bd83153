"""A user's own corpus: a folder of drawings plus a metadata CSV, validated and indexed into a corpus.

Every bad row is reported at once (see :func:`index_directory`); the result is an ordinary corpus
(:mod:`.corpus`) that ``patsnap-analytics sandbox serve --corpus PATH`` or ``Sandbox(corpus=PATH)`` serves.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "m.csv").write_text("patent_pn,title\\nUSD0900001S,Chair\\n")
    >>> index_directory(d, d / "m.csv", d / "corpus")
    Traceback (most recent call last):
    ...
    ValueError: m.csv: missing required column(s) image, loc; columns found: patent_pn, title
"""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from .. import codes, loc
from ..query import iso_date
from .corpus import (
    DATE_COLUMNS,
    META_COLUMNS,
    Corpus,
    building,
    events_json,
    load_corpus,
    read_manifest,
    view_file,
    write_corpus,
)
from .sample import CORPUS_VERSION, SIMPLE_OF_LEGAL

__all__ = ["index_directory"]

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
    title                no        design title (in the office's language)
    title_en             no        English title (default: ``title``)
    assignee             no        the current owner (``current_assignee`` is accepted as the header too)
    original_assignee    no        who filed it (default: ``assignee``)
    applicants           no        applicants, ``|``-separated (default: ``original_assignee``)
    inventor             no        inventors, ``|``-separated
    application_number   no        the office's application number
    apdt, pbdt, isdt     no        application / publication / issue date, ``YYYY-MM-DD`` (apdt <= pbdt)
    legal_status         no        a code of :data:`codes.LEGAL_STATUS` (default 3 Granted if isdt else 1)
    simple_legal_status  no        a code of :data:`codes.SIMPLE_LEGAL_STATUS` (default implied by legal_status)
    legal_events         no        ``YYYY-MM-DD:code`` pairs, ``;``-separated, ending in the current status
                                   (default: granted on isdt, else published on pbdt, then the current status)
    country              no        two-letter office (default: the prefix of ``patent_pn``)
    abstract             no        short description
    patent_type          no        ``D`` (design, the default) or ``U`` (utility model)
    patent_id            no        unique id (default: a stable uuid5 of ``patent_pn``)
    ==================== ========= ===========================================================================

    Every bad row is reported in one :class:`ValueError` (missing file, bad date, bad LOC code, unknown
    status code, duplicate ``patent_pn``...); nothing is silently dropped. ``out_dir`` must be new, empty,
    or a corpus written earlier by this function (it is then replaced).

    Example:
        >>> import tempfile
        >>> import numpy as np
        >>> from patsnap_analytics.sandbox.drawing import render_design
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
          row 2 (ZZ1): image file 'nope.png' not found in ...; loc code '1002' is not NN-NN (did you mean 10-02?); apdt '2020-13-01' is not a YYYY-MM-DD date; country 'ZZ' is not a two-letter office code (see codes.OFFICES)
    """
    images_dir, out_dir, metadata_csv = Path(images_dir), Path(out_dir), Path(metadata_csv)
    rows = _read_rows(metadata_csv, images_dir)
    _check_out_dir(out_dir)
    with building(out_dir, replace=True) as tmp:
        for design, row in enumerate(rows):
            for view, name in enumerate(row.pop("_images")):
                _copy_as_png(images_dir / name, view_file(tmp, design, view))
        meta = pd.DataFrame(rows, columns=[*META_COLUMNS, "source_images"])
        write_corpus(tmp, meta, {"kind": "user", "corpus_version": CORPUS_VERSION, "n_designs": len(rows),
                                 "source": str(metadata_csv.resolve())})
    return load_corpus(out_dir)


def _read_rows(metadata_csv: Path, images_dir: Path) -> list[dict[str, Any]]:
    """The CSV's rows, checked and completed with defaults; every bad row in one ``ValueError``."""
    raw = pd.read_csv(metadata_csv, dtype=str, keep_default_na=False, encoding="utf-8")
    raw.columns = [c.strip() for c in raw.columns]
    if "current_assignee" in raw.columns and "assignee" not in raw.columns:
        raw = raw.rename(columns={"current_assignee": "assignee"})
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
    return rows


def _check_out_dir(out_dir: Path) -> None:
    """Only a new or empty folder, or one this function wrote, may be (re)placed: never a user's own files."""
    if out_dir.exists() and any(out_dir.iterdir()) and (read_manifest(out_dir) or {}).get("kind") != "user":
        raise ValueError(f"out_dir: {out_dir} is not empty and not a corpus made by index_directory; "
                         "refusing to overwrite it")


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
            hint = codes.suggest_loc(code)
            problems.append(f"loc code {code!r} is not NN-NN" + (f" (did you mean {hint}?)" if hint else ""))
        elif not codes.is_loc_code(code):  # as DesignQuery rules, or the design could never be found by class
            problems.append(f"loc code {code!r} is not a Locarno subclass: {codes.unknown_loc_reason(code)}")
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
    if not codes.is_office(country):  # the rule DesignQuery applies, or the design could never be filtered
        problems.append(f"country {country!r} is not a two-letter office code (see codes.OFFICES)")
    patent_type = (rec.get("patent_type") or "D").upper()
    if patent_type not in ("D", "U"):
        problems.append(f"patent_type {patent_type!r} is not D or U")
    events = _events(rec.get("legal_events", ""), dates, legal, problems)
    assignee = rec.get("assignee", "")
    original = rec.get("original_assignee") or assignee
    row = {
        "patent_id": rec.get("patent_id") or str(uuid.uuid5(_PATENT_ID_NAMESPACE, pn)),
        "patent_pn": pn, "title": rec.get("title", ""), "title_en": rec.get("title_en") or rec.get("title", ""),
        "abstract": rec.get("abstract", ""), "assignee": assignee, "original_assignee": original,
        "applicants": rec.get("applicants") or original, "inventor": rec.get("inventor", ""),
        "loc": ",".join(loc_codes), "country": country, "application_number": rec.get("application_number", ""),
        **dates, "legal_status": legal, "simple_legal_status": simple, "legal_events": events,
        "patent_type": patent_type, "n_views": len(images), "source_images": ";".join(images), "_images": images,
    }
    return row, problems


def _events(text: str, dates: dict[str, date | None], legal: int, problems: list[str]) -> str:
    """The ``legal_events`` column: as given (``YYYY-MM-DD:code;...``), or derived from the dates and status."""
    if text:
        events = []
        for part in (p.strip() for p in text.split(";") if p.strip()):
            day, _, code = part.partition(":")
            when = iso_date(day.strip())
            if when is None or not code.strip().isdigit() or int(code) not in codes.LEGAL_STATUS:
                problems.append(f"legal_events entry {part!r} is not YYYY-MM-DD:code")
                continue
            events.append((when, int(code)))
        # the last event as events_json stores them (by date; same-day events keep the order given)
        if events and sorted(events, key=lambda e: e[0])[-1][1] != legal:
            problems.append(f"legal_events must end in the legal_status {legal}")
        return events_json(events)
    derived = [(dates["isdt"], 3)] if dates["isdt"] else [(dates["pbdt"], 1)] if dates["pbdt"] else []
    last = max((d for d in dates.values() if d), default=None)
    if last is not None and (not derived or derived[-1][1] != legal):
        derived.append((last, legal))  # the latest date of all: never before the derived event
    return events_json(derived)


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

