"""Reviewers' verdicts on hits: read back from the reviewer workbook (or a CSV), stored beside the cache, shown
on later results.

A verdict is a reviewer's word on one hit of one search, in the vocabulary of
:data:`~patsnap_analytics.codes.VERDICTS` (``same design`` 2, ``similar`` 1, ``different`` 0, ``unsure`` no grade),
kept with the reviewer's note, who gave it and when. A hit is named by the search's **query key** (the image's
sha256, never its file name: :func:`~patsnap_analytics.frames.query_key`) and the patent id, so a renamed file or a
re-sorted sheet still finds its search.

* :func:`read` turns a filled workbook (``pa.exports.reviewer_workbook``: a Verdict drop-down, a Note, a
  Reviewer column, hidden Query key and Patent id columns) or a CSV into a **verdict frame**
  (:data:`VERDICT_DTYPES`); a bad cell is a :class:`~patsnap_analytics.errors.ValidationError` naming the file,
  the sheet, the row and the value, with the fix.
* :class:`VerdictStore` (``client.verdicts``) keeps verdicts in the cache's SQLite file, or in the team's Redis so
  that a team shares them, one record per (source, query key, patent id), **never expiring** and untouched by
  ``clear_cache()``: ``record(hits, "similar")``, ``add(frame)``, ``load("review.xlsx")``, ``frame()``.
* :func:`with_verdicts` adds ``verdict``, ``relevance`` and ``note`` to results; ``client.with_verdicts(df)``
  does it with the stored verdicts. Results do not get them on their own: a search's frame stays what the API
  answered (the same search gives the same frame on every machine), and showing verdicts is one explicit call.
* :func:`synthetic` judges every hit of a study on the sandbox with its synthetic truth (its design families),
  marked ``verdict_source == "sandbox-synthetic"``: a whole study runs without a reviewer, and never on the API.

Cost: none of this makes an API call (:func:`synthetic` asks the sandbox's own, unbilled routes).

Example:
    >>> import pandas as pd
    >>> hits = pd.DataFrame({"query": ["chair.png"], "query_key": ["sha256:" + "ab" * 32], "patent_id": ["p1"],
    ...                      "patent_pn": ["USD1S"]})
    >>> store = VerdictStore(None)
    >>> stored = store.record(hits, "similar", note="same legs", reviewer="ana")
    >>> with_verdicts(hits, store.frame())[["patent_pn", "verdict", "relevance", "note"]].values.tolist()
    [['USD1S', 'similar', 1, 'same legs']]
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .api import SYNTHETIC_SOURCE
from .codes import VERDICTS
from .errors import ValidationError
from .store.health import CacheHealth
from .store.tables import put_records, record_table

if TYPE_CHECKING:
    from .synthetic import SandboxClient

__all__ = ["KEY_PREFIXES", "REVIEW_HEADERS", "VERDICT_COLUMNS", "VERDICT_DTYPES", "VerdictStore", "match_key", "read",
           "relevance_of", "synthetic", "verdict_frame", "with_verdicts", "write_review_columns"]

#: The columns of a verdict frame, with their dtypes (``relevance`` is NA for ``unsure``).
VERDICT_DTYPES: dict[str, str] = {
    "query": "string",
    "query_key": "string",
    "patent_id": "string",
    "patent_pn": "string",
    "verdict": "string",
    "relevance": "Int64",
    "note": "string",
    "reviewer": "string",
    "reviewed_at": "string",
    "verdict_source": "string",
}
VERDICT_COLUMNS = tuple(VERDICT_DTYPES)
#: How a query key starts (frames.query_key): a key that does not is not one the toolkit wrote.
KEY_PREFIXES = ("sha256:", "url:", "pn:")
#: The reviewer workbook's verdict columns: header -> verdict-frame column. Verdict, Note and Reviewer are for the
#: reviewer; Query key and Patent id are hidden and carry each row's identity through renames and re-sorts.
REVIEW_HEADERS: dict[str, str] = {"Verdict": "verdict", "Note": "note", "Reviewer": "reviewer",
                                  "Query key": "query_key", "Patent id": "patent_id"}
_OTHER_HEADERS = {"Query": "query", "Patent number": "patent_pn", "Reviewed at": "reviewed_at",
                  "Relevance": "relevance"}
_HIDDEN = ("Query key", "Patent id")
_WORDS = ", ".join(repr(w) for w in VERDICTS)
_RECORD_VERSION = 1
#: What a human's verdict is marked with (the sandbox's synthetic truth says ``sandbox-synthetic``).
REVIEWER = "reviewer"


def relevance_of(word: str) -> int | None:
    """The relevance grade of a verdict word (``None`` for ``unsure``); an unknown word is a ValidationError.

    Example:
        >>> relevance_of("Same design "), relevance_of("unsure")
        (2, None)
        >>> relevance_of("same")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: verdict: 'same' is not a verdict; use one of 'same design', 'similar', 'different', 'unsure'
    """
    return VERDICTS[_word(word, "")]


def _word(value: object, where: str) -> str:
    """``value`` as a verdict word (trimmed, any case), or a ValidationError naming ``where`` and the fix."""
    word = " ".join(str(value).split()).lower() if isinstance(value, str) else value
    if word not in VERDICTS:
        raise ValidationError("verdict", f"{where}{value!r} is not a verdict; use one of {_WORDS}")
    return word  # type: ignore[return-value]


def verdict_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A typed verdict frame from records (missing fields NA; ``relevance`` from the verdict word).

    Example:
        >>> frame = verdict_frame([{"query_key": "sha256:ab", "patent_id": "p", "verdict": "different"}])
        >>> frame["verdict"].tolist(), frame["relevance"].tolist()
        (['different'], [0])
    """
    records = []
    for row in rows:
        record = {c: row.get(c) for c in VERDICT_COLUMNS}
        record["relevance"] = VERDICTS[record["verdict"]]
        record["verdict_source"] = record["verdict_source"] or REVIEWER
        records.append(record)
    frame = pd.DataFrame(records, columns=list(VERDICT_COLUMNS))
    return frame.astype(VERDICT_DTYPES)


# ---------------------------------------------------------------------------------------------- reading
def read(path: str | os.PathLike) -> pd.DataFrame:
    """The verdicts of a filled reviewer workbook (``.xlsx``) or a CSV, as a verdict frame.

    Workbook: every sheet with Verdict, Query key and Patent id headers is read (by header, so moved columns and
    re-sorted rows are fine); a row counts when its Verdict is filled. The same hit filled in two sheets (All hits
    and its query's sheet) must say the same. Who and when: the row's Reviewer, else the workbook's last author;
    the workbook's save time. CSV: columns ``query_key`` (or ``query``), ``patent_id``, ``verdict`` (or a
    ``relevance`` grade), and optionally ``query``, ``patent_pn``, ``note``, ``reviewer``, ``reviewed_at`` and
    ``verdict_source`` (who judged: a synthetic set says so, as ``pa.demo.sample_verdicts()`` does; ``reviewer``
    when absent) — the workbook's headers work too.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "v.csv"
        >>> _ = path.write_text("query_key,patent_id,verdict,note\\nsha256:ab,p1,Similar,legs\\nsha256:ab,p2,,\\n")
        >>> read(path)[["patent_id", "verdict", "relevance", "note"]].values.tolist()
        [['p1', 'similar', 1, 'legs']]
        >>> _ = path.write_text("query_key,patent_id,verdict\\nsha256:ab,p1,maybe\\n")
        >>> read(path)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: verdict: v.csv, row 2: 'maybe' is not a verdict; use one of 'same design', 'similar', 'different', 'unsure'
    """
    source = Path(path)
    if not source.is_file():
        raise ValidationError("path", f"{str(path)!r} is not a file; give the filled review.xlsx (or a CSV)")
    suffix = source.suffix.lower()
    if suffix == ".xlsx":
        rows = _workbook_rows(source)
    elif suffix == ".csv":
        rows = _csv_rows(source)
    else:
        raise ValidationError("path", f"verdicts are read from .xlsx or .csv, got {source.name!r}")
    return verdict_frame(rows)


def _row_verdict(cells: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    """One sheet or CSV row as a verdict record, ``None`` when it carries no verdict; raises on a bad cell."""
    verdict, grade = cells.get("verdict"), cells.get("relevance")
    if _blank(verdict) and _blank(grade):
        return None
    word = _grade_word(grade, where) if _blank(verdict) else _word(verdict, where)
    if not _blank(grade) and _grade_word(grade, where) != word:
        raise ValidationError("relevance", f"{where}relevance {grade!r} does not match the verdict {word!r}; "
                                           "clear one of them")
    key, patent = _text(cells.get("query_key")), _text(cells.get("patent_id"))
    if key is not None and not key.startswith(KEY_PREFIXES):
        raise ValidationError("query_key", f"{where}{key!r} is not a query key (sha256:…, url:… or pn:…); the "
                                           "hidden Query key column was edited: take it from the written workbook")
    if patent is None or (key is None and _text(cells.get("query")) is None):
        missing = "Patent id" if patent is None else "Query key"
        raise ValidationError("patent_id" if patent is None else "query_key",
                              f"{where}the verdict {word!r} has no {missing}; keep the workbook's hidden "
                              "Query key and Patent id columns (unhide them to check) and do not type rows in")
    return {**{c: _text(cells.get(c)) for c in ("query", "patent_pn", "note", "reviewer", "reviewed_at",
                                                 "verdict_source")},
            "query_key": key, "patent_id": patent, "verdict": word}


def _grade_word(grade: object, where: str) -> str:
    words = {str(g): w for w, g in VERDICTS.items() if g is not None}
    text = _text(grade)
    text = text[:-2] if text is not None and text.endswith(".0") else text  # a spreadsheet's 2.0
    if text not in words:
        raise ValidationError("relevance", f"{where}{grade!r} is not a relevance grade; use "
                                           + ", ".join(f"{g} ({w})" for g, w in words.items()))
    return words[text]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[arg-type]


def _text(value: object) -> str | None:
    return None if _blank(value) else str(value).strip()


def _workbook_rows(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)  # a formula is read as its text: refused, never evaluated
    except Exception as exc:  # not a workbook at all: say so with the file's name
        raise ValidationError("path", f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}); "
                                      "give the review.xlsx written by pa.exports.reviewer_workbook") from None
    props = book.properties
    author = props.lastModifiedBy if props.lastModifiedBy not in (None, "", "openpyxl") else None
    when = props.modified.replace(tzinfo=UTC).isoformat() if props.modified else None
    found: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
    read_any = False
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
            columns = {i: {**REVIEW_HEADERS, **_OTHER_HEADERS}[h] for i, h in enumerate(header)
                       if h in REVIEW_HEADERS or h in _OTHER_HEADERS}
            if not {"verdict", "query_key", "patent_id"} <= set(columns.values()):
                continue  # a sheet the reviewer added, or a workbook of an older version
            read_any = True
            for number, values in enumerate(rows, start=2):
                where = f"{path.name}, sheet {sheet.title!r}, row {number}: "
                cells = {name: values[i] for i, name in columns.items() if i < len(values)}
                record = _row_verdict(cells, where)
                if record is not None:
                    record["reviewer"] = record["reviewer"] or author
                    record["reviewed_at"] = record["reviewed_at"] or when
                    _keep_once(found, record, where)
    finally:
        book.close()
    if not read_any:
        raise ValidationError("path", f"{path.name} has no sheet with Verdict, Query key and Patent id columns; "
                                      "write the workbook with pa.exports.reviewer_workbook and fill its Verdicts")
    return [record for _, record in found.values()]


def _keep_once(found: dict[tuple[Any, ...], tuple[str, dict[str, Any]]], record: dict[str, Any], where: str) -> None:
    """One verdict per hit: the same hit filled in two places must say the same."""
    key = (record["query_key"] or record["query"], record["patent_id"])
    if key in found:
        first, earlier = found[key]
        if (earlier["verdict"], earlier["note"]) != (record["verdict"], record["note"]):
            raise ValidationError("verdict", f"{where}{record['verdict']!r} contradicts {first.rstrip(': ')} "
                                             f"({earlier['verdict']!r}) for the same hit; make them agree or clear one")
        return
    found[key] = (where, record)


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except ValueError as exc:  # not UTF-8, not a table, empty (pandas' errors are ValueErrors)
        raise ValidationError("path", f"{path.name} cannot be read as a UTF-8 CSV ({type(exc).__name__}); save it "
                                      "as CSV UTF-8, or give the review.xlsx") from None
    names = {**{k.lower(): v for k, v in {**REVIEW_HEADERS, **_OTHER_HEADERS}.items()},
             **{c: c for c in VERDICT_COLUMNS}}
    table = table.rename(columns=lambda c: names.get(str(c).strip().lower(), c))
    if "patent_id" not in table.columns or not {"verdict", "relevance"} & set(table.columns):
        raise ValidationError("path", f"{path.name} needs the columns query_key (or query), patent_id and verdict "
                                      f"(or relevance); it has {', '.join(map(str, table.columns))}")
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat()
    found: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
    for number, cells in enumerate(table.to_dict("records"), start=2):
        where = f"{path.name}, row {number}: "
        record = _row_verdict(cells, where)
        if record is not None:
            record["reviewed_at"] = record["reviewed_at"] or when
            _keep_once(found, record, where)
    return [record for _, record in found.values()]


# ---------------------------------------------------------------------------------------------- the workbook
def write_review_columns(sheet: Any, rows: pd.DataFrame, first_column: int,
                         put: Callable[[Any, int, int, object], Any]) -> None:
    """Write the reviewer's columns into a workbook sheet from ``first_column`` on: Verdict (an Excel drop-down
    of the verdict words, anything else refused), Note, Reviewer (filled when ``rows`` carry stored verdicts),
    then the hidden Query key and Patent id that :func:`read` matches rows by. ``rows`` are the sheet's rows in
    order, from sheet row 2. ``put(sheet, row, column, value)`` writes a cell: the workbook's one cell writer
    (``exports``' own, which keeps text as text, formula-like text quoted, and drops the control characters a
    workbook cannot hold), so reviewers' notes get every safeguard the other cells get.

    Example:
        >>> from openpyxl import Workbook
        >>> from patsnap_analytics.exports import _put
        >>> sheet = Workbook().active
        >>> write_review_columns(sheet, pd.DataFrame({"query_key": ["sha256:ab"], "patent_id": ["p1"]}), 1, _put)
        >>> [c.value for c in sheet[1]], sheet.column_dimensions["D"].hidden, sheet.data_validations.count
        (['Verdict', 'Note', 'Reviewer', 'Query key', 'Patent id'], True, 1)
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = list(REVIEW_HEADERS)
    for offset, header in enumerate(headers):
        column = first_column + offset
        sheet.cell(row=1, column=column, value=header).font = Font(bold=True)
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = 40 if header == "Note" else 16
        sheet.column_dimensions[letter].hidden = header in _HIDDEN
        for r, value in enumerate(rows.get(REVIEW_HEADERS[header], pd.Series([None] * len(rows))), start=2):
            put(sheet, r, column, None if _blank(value) else str(value))
    letter = get_column_letter(first_column)
    choice = DataValidation(type="list", formula1='"' + ",".join(VERDICTS) + '"', allow_blank=True,
                            showErrorMessage=True, showInputMessage=True, errorTitle="Not a verdict",
                            error=f"Pick one of: {', '.join(VERDICTS)}", promptTitle="Verdict",
                            prompt="same design · similar · different · unsure")
    sheet.add_data_validation(choice)
    choice.add(f"{letter}2:{letter}{max(2, len(rows) + 1)}")


# ---------------------------------------------------------------------------------------------- stored
class VerdictStore:
    """Verdicts kept beside the cache: one JSON record per (source, query key, patent id) in the cache file's
    ``verdicts`` table, or in the team's Redis (shared by the team), or in memory without a cache. Records never
    expire, and ``clear_cache()`` leaves them: they are a reviewer's work, not a copy of an answer. The latest
    verdict on a hit wins. ``source`` (``"sandbox"`` or ``"patsnap"``) keeps sandbox verdicts apart from real ones.

    Example:
        >>> store = VerdictStore(None, source="sandbox")
        >>> frame = verdict_frame([{"query_key": "sha256:ab", "patent_id": "p1", "verdict": "same design"}])
        >>> len(store.add(frame)), store.frame()["relevance"].tolist(), len(store)
        (1, [2], 1)
    """

    def __init__(self, session: Any, *, source: str = "patsnap", health: CacheHealth | None = None) -> None:
        self.source = source
        self.health = health or CacheHealth()
        self._lock = threading.Lock()
        self._store: Any = record_table(session, "verdicts", self.health)

    def _key(self, query_key: str, patent_id: str) -> str:
        return f"{self.source}|{query_key}|{patent_id}"

    def record(self, hits: pd.DataFrame | pd.Series | Mapping[str, Any], verdict: str, *, note: str | None = None,
               reviewer: str | None = None) -> pd.DataFrame:
        """Store one verdict on every hit given (a row of results, or a frame of rows): they need ``query_key``
        and ``patent_id``. Returns the verdicts stored. ``reviewer`` defaults to this computer's user name.

        Example:
            >>> store = VerdictStore(None)
            >>> store.record({"query_key": "sha256:ab", "patent_id": "p1"}, "Different")["verdict"].tolist()
            ['different']
        """
        word = _word(verdict, "")
        rows = hits if isinstance(hits, pd.DataFrame) else pd.DataFrame([dict(hits)])
        who = reviewer if reviewer is not None else _user()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        frame = verdict_frame({**{c: row.get(c) for c in ("query", "query_key", "patent_id", "patent_pn")},
                               "verdict": word, "note": note, "reviewer": who, "reviewed_at": now}
                              for row in rows.to_dict("records"))
        return self.add(frame)

    def add(self, verdicts: pd.DataFrame) -> pd.DataFrame:
        """Store a verdict frame (``read()``'s, or your own with ``query_key``, ``patent_id``, ``verdict``);
        returns it. Rows without a query key cannot be matched to a search later and are refused."""
        frame = verdict_frame(verdicts.to_dict("records"))
        keyless = frame["query_key"].isna() | frame["patent_id"].isna()
        if keyless.any():
            first = frame[keyless].iloc[0]
            raise ValidationError("verdicts", f"{int(keyless.sum())} verdict(s) have no query_key or patent_id "
                                              f"(first: query {first['query']!r}, patent {first['patent_id']!r}); "
                                              "verdicts are stored by the search's query key: review results "
                                              "searched with this version (they carry query_key)")
        if self.health.read_only:  # record_table gave a dict: say that these verdicts live in this process only
            self.health.report("the cache is read-only: verdicts are kept in this process only",
                               "make the cache folder writable (or move it: PATSNAP_CACHE_DIR) and add them again")
        texts = {self._key(r["query_key"], r["patent_id"]): json.dumps(
            {"v": _RECORD_VERSION, **{c: None if pd.isna(r[c]) else r[c] for c in VERDICT_COLUMNS if c != "relevance"}},
            ensure_ascii=False) for r in frame.to_dict("records")}
        try:
            with self._lock:
                put_records(self._store, texts, ttl=None)  # never expires: a reviewer's work
        except sqlite3.Error as exc:
            raise self.health.report(f"verdicts could not be stored ({exc})", "free some disk space or move the "
                                     "cache (PATSNAP_CACHE_DIR); the verdicts are still in the frame") from None
        return frame

    def load(self, path: str | os.PathLike) -> pd.DataFrame:
        """Read a filled workbook or CSV (:func:`read`) and store its verdicts; returns them."""
        return self.add(read(path))

    def frame(self) -> pd.DataFrame:
        """Every stored verdict of this source, as a verdict frame (records not written by this module are
        skipped)."""
        prefix = f"{self.source}|"
        with self._lock:
            texts = [self._store.get(k) for k in list(self._store.keys()) if str(k).startswith(prefix)]
        return verdict_frame(r for r in map(_parse, texts) if r is not None)

    def forget(self, hits: pd.DataFrame | pd.Series | Mapping[str, Any]) -> int:
        """Delete the stored verdicts of these hits; returns how many there were."""
        rows = hits if isinstance(hits, pd.DataFrame) else pd.DataFrame([dict(hits)])
        keys = [self._key(r["query_key"], r["patent_id"]) for r in rows.to_dict("records")]
        gone = 0
        with self._lock:
            for key in keys:
                gone += self._store.pop(key, None) is not None
        return gone

    def __len__(self) -> int:
        prefix = f"{self.source}|"
        with self._lock:
            return sum(str(k).startswith(prefix) for k in list(self._store.keys()))


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container without one): "who" stays unknown
        return None


def _parse(text: Any) -> dict[str, Any] | None:
    try:
        record = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("v") != _RECORD_VERSION or record.get("verdict") not in VERDICTS:
        return None
    if not all(isinstance(record.get(c), str) for c in ("query_key", "patent_id")):
        return None
    return record


# ---------------------------------------------------------------------------------------------- on results
def match_key(runs: Mapping[str, pd.DataFrame], verdicts: pd.DataFrame | None = None) -> str:
    """The one rule for matching hits to verdicts (:func:`with_verdicts`, the study): ``"query_key"`` when the
    verdicts and every run carry keys, else ``"query"`` (both sides must have it).

    Example:
        >>> run = pd.DataFrame({"query": ["q"], "query_key": ["sha256:ab"], "patent_id": ["a"], "rank": [1]})
        >>> match_key({"r": run}, pd.DataFrame({"query_key": ["sha256:ab"]})), match_key({"r": run.drop(columns="query_key")})
        ('query_key', 'query')
    """
    frames = [*runs.values(), *([verdicts] if verdicts is not None else [])]
    if all("query_key" in f.columns and f["query_key"].notna().all() for f in frames):
        return "query_key"
    lacking = [name for name, f in runs.items() if "query" not in f.columns]
    if lacking or (verdicts is not None and "query" not in verdicts.columns):
        raise ValidationError("verdicts" if not lacking else "results",
                              "queries cannot be matched: give query_key on both sides (results searched with this "
                              "version and pa.verdicts carry it), or query names on both")
    return "query"


def with_verdicts(results: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """``results`` with ``verdict``, ``relevance`` and ``note`` of the hits that have a verdict (NA for the
    others), matched by query key and patent id (by ``query`` where a side has no key). ``results`` is not
    changed; columns of an earlier call are replaced.

    Example:
        >>> hits = pd.DataFrame({"query_key": ["sha256:ab", "sha256:ab"], "patent_id": ["p1", "p2"]})
        >>> v = verdict_frame([{"query_key": "sha256:ab", "patent_id": "p2", "verdict": "same design"}])
        >>> with_verdicts(hits, v)["verdict"].tolist()
        [<NA>, 'same design']
    """
    out = results.drop(columns=[c for c in ("verdict", "relevance", "note") if c in results.columns])
    on = match_key({"results": out}, verdicts)
    table = verdicts.dropna(subset=[on, "patent_id"]).drop_duplicates([on, "patent_id"], keep="last")
    table = table.set_index([on, "patent_id"])[["verdict", "relevance", "note"]]
    index = pd.MultiIndex.from_arrays([out[on].astype("string"), out["patent_id"].astype("string")])
    for column in ("verdict", "relevance", "note"):
        out[column] = table[column].reindex(index).array
    out.attrs = dict(results.attrs)
    return out


# ---------------------------------------------------------------------------------------------- synthetic
def synthetic(client: SandboxClient, results: pd.DataFrame) -> pd.DataFrame:
    """The sandbox's synthetic verdicts for a study: every hit of every query of ``results`` judged, and every
    member of each query's design family listed (so recall counts the ones no configuration found).

    ``results``: any frame with ``query_key`` and ``patent_id`` (a search's, a batch's, a fusion's, several
    configurations concatenated) whose queries are the sandbox's study queries
    (:func:`patsnap_analytics.demo.study_queries`). The family's original, registrations and copies are
    ``same design`` (2), its close variants ``similar`` (1), every other hit ``different`` (0). Returns a verdict
    frame (:data:`VERDICT_DTYPES`, ``reviewer`` ``"sandbox"``) with ``family_id`` and ``family_role`` added (NA for
    hits outside the family); every row says ``verdict_source == "sandbox-synthetic"``. Not stored: add them to
    ``client.verdicts`` to show them on results (they stay apart from real verdicts there).

    Refused on the PatSnap API (a ``ValidationError`` naming ``client``: the truth exists only on the sandbox) and
    for a query that is not a study query (a ``ValidationError``, or the sandbox's own refusal naming the key).

    Cost: no API call — one request to the sandbox's truth route per 200 queries (``client.stats`` and the
    sandbox's call counters do not move).

    Example:
        >>> from types import SimpleNamespace
        >>> synthetic(SimpleNamespace(source="sandbox"), pd.DataFrame({"query": ["q"], "patent_id": ["p1"]}))
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: results: no query_key column: synthetic verdicts match hits to study queries by query_key (results searched with this version carry it)
    """
    from .synthetic import family_truth

    hits = _study_hits(results)
    truth = family_truth(client, hits["query_key"].unique())
    members = pd.MultiIndex.from_frame(truth[["query_key", "patent_id"]])
    outside = hits[~pd.MultiIndex.from_frame(hits[["query_key", "patent_id"]]).isin(members)]
    rows = pd.concat([truth.drop(columns="relevance"),
                      outside.assign(verdict="different", note="not of the query's design family")],
                     ignore_index=True)
    names = hits.drop_duplicates("query_key").set_index("query_key")["query"]
    order = {key: i for i, key in enumerate(names.index)}
    rows = rows.assign(query=rows["query_key"].map(names), _order=rows["query_key"].map(order))
    rows = rows.sort_values("_order", kind="stable").reset_index(drop=True)
    frame = verdict_frame({**r, "reviewer": "sandbox", "verdict_source": SYNTHETIC_SOURCE}
                          for r in rows.to_dict("records"))
    for column in ("family_id", "family_role"):
        frame[column] = pd.array(rows[column], dtype="string")
    return frame


def _study_hits(results: Any) -> pd.DataFrame:
    """``query_key, patent_id, query, patent_pn`` of each distinct hit of ``results``, checked before any call."""
    if not isinstance(results, pd.DataFrame):
        raise ValidationError("results", f"expected a result frame (a pandas DataFrame), got {type(results).__name__}")
    for column in ("query_key", "patent_id"):
        if column not in results.columns:
            raise ValidationError("results", f"no {column} column: synthetic verdicts match hits to study queries "
                                             "by query_key (results searched with this version carry it)")
    hits = pd.DataFrame({"query_key": results["query_key"], "patent_id": results["patent_id"],
                         "query": results["query"] if "query" in results.columns else results["query_key"],
                         "patent_pn": results.get("patent_pn")}).astype("string")
    if hits[["query_key", "patent_id"]].isna().any().any():
        raise ValidationError("results", "some rows have no query_key or patent_id: judge rows of searches only "
                                         "(a failed search's placeholder has none)")
    return hits.drop_duplicates(["query_key", "patent_id"]).reset_index(drop=True)
