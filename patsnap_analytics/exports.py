"""Result frames written to files: CSV, Parquet, Excel or JSON, chosen by the file's extension.

:func:`check_output_path` says whether a path can be written — a known extension, the library that format needs
installed, a folder that exists (or can be made) and takes files — so a script or the CLI can refuse a bad
``--out`` before it pays for a search. :func:`write_frame` checks the same way, then writes.

Text from the API (titles, holders, patent numbers) and from the user (query file names) is data, never code, in
every spreadsheet written here (:func:`write_frame`'s CSV and Excel, :func:`reviewer_workbook`), as OWASP's
CSV-injection guidance says: a cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return: :func:`formula_like`) is written as text — in a CSV with a leading
``'``, in a workbook as a string cell marked "quote prefix" — and control characters a workbook cannot hold
(NUL, ``\\x01``, ``\\x0b``, ``\\x1b``, …) are replaced by U+FFFD. Numbers stay numbers (a negative score is not
text). Every file is written whole or not at all: into a temporary file beside it, which then replaces it.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> out = write_frame(pd.DataFrame({"patent_pn": ["USD1S"]}), pathlib.Path(tempfile.mkdtemp()) / "hits.csv")
    >>> out.read_text()   # text cells quoted, so a line break inside one never starts a row
    '"patent_pn"\\n"USD1S"\\n'
"""

from __future__ import annotations

import csv
import datetime
import decimal
import importlib
import io
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ExportError, ValidationError

if TYPE_CHECKING:  # only the frame's own methods are called: the CLI imports this without loading pandas
    import pandas as pd

    from .protocols import FetchesImages

__all__ = ["DATA_SOURCES", "FORMATS", "FORMULA_STARTS", "LIST_SEPARATOR", "SANDBOX_LINK_NOTE", "check_output_path",
           "csv_cell", "flat", "formula_like", "reviewer_workbook", "sheet_text", "write_frame"]

#: Written beside ``image_url`` (column ``image_url_note``) when a frame of sandbox data is exported: its links
#: point at the embedded sandbox on this computer, which serves them only while it runs — a dead link once the
#: program that started it has ended, so it is never offered as if it were live.
SANDBOX_LINK_NOTE = ("dead link once the sandbox stops: a generated drawing served only while the embedded "
                     "sandbox that answered runs on this computer; not a PatSnap image")
#: How every export joins a cell's list (holders, inventors, Locarno codes): not ", " (names contain commas:
#: "Minato Co., Ltd.") and the same in the CSV, the Excel files and the reviewers' workbook.
LIST_SEPARATOR = "; "
#: ``df.attrs["source"]`` -> the ``data_source`` column every CSV, Excel, Parquet and JSON export starts with
#: (a column rather than a comment line: spreadsheets and ``pandas.read_csv`` read it without options).
DATA_SOURCES = {"sandbox": "sandbox: generated sample data, not PatSnap results", "patsnap": "PatSnap Open API"}

#: Extension -> the libraries pandas can write it with (any one will do; the first is the one we suggest).
FORMATS: dict[str, tuple[str, ...]] = {
    ".csv": (),
    ".parquet": ("pyarrow", "fastparquet"),
    ".xlsx": ("openpyxl", "xlsxwriter"),
    ".json": (),
}
#: The first characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# the characters XML 1.0 cannot carry (so no xlsx can hold them): C0 controls but tab, line feed, carriage return
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def sheet_text(text: str) -> str:
    r"""``text`` with the control characters a workbook cannot hold replaced by U+FFFD (visibly, not dropped).

    Example:
        >>> sheet_text("Acme\x00 Co\x1b[31m") == "Acme\N{REPLACEMENT CHARACTER} Co\N{REPLACEMENT CHARACTER}[31m"
        True
    """
    return _CONTROL.sub("\ufffd", text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (:data:`FORMULA_STARTS`).

    Example:
        >>> formula_like('=HYPERLINK("http://x"&A1,"click")'), formula_like("-5"), formula_like("Chair")
        (True, True, False)
    """
    return text.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """A value as a CSV cell holds it safely: text that would be a formula gets a leading ``'`` (OWASP), control
    characters are replaced; numbers, dates and NA stay what they are.

    Example:
        >>> csv_cell("=1+1"), csv_cell("@SUM(A1)"), csv_cell(-0.5), csv_cell("Chair")
        ("'=1+1", "'@SUM(A1)", -0.5, 'Chair')
    """
    if not isinstance(value, str):
        return value
    text = sheet_text(value)
    return "'" + text if formula_like(text) else text


def _csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell (and column name) through :func:`csv_cell`."""
    import pandas as pd

    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    out = df.assign(**{str(c): df[c].map(csv_cell) for c in text}) if text else df
    return out.rename(columns=lambda c: csv_cell(c) if isinstance(c, str) else c)


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its list columns (``loc``, ``inventors``, ...) as text joined by :data:`LIST_SEPARATOR`, for
    CSV and Excel cells.

    Example:
        >>> import pandas as pd
        >>> flat(pd.DataFrame({"loc": [["06-01", "06-03"], ["14-03"]]}))["loc"].tolist()
        ['06-01; 06-03', '14-03']
    """
    lists = [c for c in df.columns if df[c].dtype == object and df[c].map(lambda v: isinstance(v, list | tuple)).any()]
    if not lists:
        return df
    joined = {c: df[c].map(lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, list | tuple) else v)
              for c in lists}
    return df.assign(**joined)


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    """One sheet of ``df``: a bold header row, then a row per result, every cell through :func:`_put`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "results"
    for c, name in enumerate(df.columns, start=1):
        _put(sheet, 1, c, str(name)).font = Font(bold=True)
    for r, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for c, value in enumerate(row, start=1):
            _put(sheet, r, c, value)
    _save_book(book, path)


def _save_book(book: Any, path: Path) -> None:
    """Save a workbook: zipped in memory, then written (openpyxl leaves its zip half-closed when the disk fails
    under it)."""
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())


_WRITERS: dict[str, Callable[[pd.DataFrame, Path], object]] = {
    # every text cell quoted (OWASP): a carriage return inside a title cannot start a row of its own
    ".csv": lambda df, path: _csv_safe(flat(df)).to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC),
    ".parquet": lambda df, path: df.to_parquet(path, index=False),  # keeps dtypes, lists and df.attrs
    ".xlsx": lambda df, path: _write_xlsx(flat(df), path),
    ".json": lambda df, path: df.to_json(path, orient="records", force_ascii=False, indent=1, date_format="iso"),
}
_EXTENSIONS = ", ".join(list(FORMATS)[:-1]) + f" or {list(FORMATS)[-1]}"


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def check_output_path(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`~pathlib.Path` if a result frame can be written there; raises otherwise.

    Checks, creating nothing (but a probe file, removed at once): the extension is one of :data:`FORMATS`,
    the library the format needs is importable (pyarrow for ``.parquet``, openpyxl for ``.xlsx``), the path is
    not a folder, and its folder — or, when that is still to be made, the nearest folder that exists — is a
    folder that takes a new file (tried, not guessed from permission bits: root may not write into ``/proc``).
    Errors are :class:`~patsnap_analytics.errors.ValidationError` naming ``out`` (the CLI's ``--out``,
    ``write_frame``'s argument).

    Example:
        >>> check_output_path("results/hits.CSV").name
        'hits.CSV'
        >>> check_output_path("hits.txt")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: must end in .csv, .parquet, .xlsx or .json, got 'hits.txt'
        >>> check_output_path("/proc/hits.csv")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: '/proc/hits.csv' cannot be written: /proc takes no new file (No such file or directory); give a path in a folder you can write
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError("out", f"must end in {_EXTENSIONS}, got {str(path)!r}")
    libraries = FORMATS[suffix]
    if libraries and not any(_importable(name) for name in libraries):
        # pyarrow and openpyxl are dependencies of the package: only a broken or trimmed install lacks them
        raise ValidationError("out", f"writing {suffix} files needs {libraries[0]}, which is missing from this "
                                     f"environment: pip install {libraries[0]} (or reinstall patsnap-analytics)")
    if target.is_dir():
        raise ValidationError("out", f"{str(path)!r} is a folder; give a file name ending in {_EXTENSIONS}")
    _check_folder(target, str(path))
    return target


def _check_folder(target: Path, shown: str) -> None:
    """The folder ``target`` goes in exists (or can be made under a folder that exists) and takes a new file."""
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ValidationError("out", f"{shown!r} cannot be written: {folder} is a file, not a folder; give a path "
                                     "in a folder")
    probe = folder / f".{target.name}.{uuid.uuid4().hex[:8]}.probe"
    try:
        probe.open("xb").close()
        probe.unlink()
    except OSError as exc:
        raise ValidationError("out", f"{shown!r} cannot be written: {folder} takes no new file "
                                     f"({exc.strerror or exc}); give a path in a folder you can write") from None


def _write_whole(path: Path, write: Callable[[Path], object]) -> Path:
    """``path`` written whole or not at all: ``write`` fills a temporary file beside it, which then replaces it
    (an interrupted or failed write leaves no partial file, and an older file at ``path`` as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        write(part)
        os.replace(part, path)
    except OSError as exc:
        raise ExportError(str(path), exc.strerror or str(exc)) from None
    finally:
        part.unlink(missing_ok=True)
    return path


def write_frame(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write a result frame to ``.csv``, ``.parquet``, ``.xlsx`` or ``.json`` by the file's extension.

    The path is checked first (:func:`check_output_path`); missing folders are created. Parquet keeps the
    dtypes and ``df.attrs``; JSON is a list of records, one per row. CSV and Excel cells hold text as text,
    never as a formula (see the module's notes). The file is written whole or not at all. Returns the path
    written. A frame that says where it came from (``df.attrs["source"]``) gets a first column ``data_source``
    (:data:`DATA_SOURCES`: sandbox data is marked as such in every file); a frame of sandbox data also gets
    ``image_url_note`` after ``image_url`` saying its links die with the sandbox (:data:`SANDBOX_LINK_NOTE`).
    Lists are joined with :data:`LIST_SEPARATOR`. ``df`` itself is not changed.

    Example:
        >>> write_frame(__import__("pandas").DataFrame(), "x.txt")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: must end in .csv, .parquet, .xlsx or .json, got 'x.txt'
    """
    path = check_output_path(out)
    frame, writer = _marked(df), _WRITERS[path.suffix.lower()]
    return _write_whole(path, lambda part: writer(frame, part))


# ---------------------------------------------------------------------------------------------- for reviewers
_REVIEW_COLUMNS = (("query", "Query"), ("rank", "Rank"), ("patent_pn", "Patent number"), ("title_en", "Title (EN)"),
                   ("title", "Title"), ("score", "Score"), ("current_assignee", "Holder"), ("country", "Office"),
                   ("application_date", "Filed"), ("publication_date", "Published"),
                   ("simple_legal_status_label", "Status"), ("legal_status_label", "Legal status"),
                   ("loc", "Locarno"))
_THUMB_PX = 96
_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_name(name: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\`` nor a control character, unique in the
    workbook."""
    base = sheet_text(str(name)).translate(_SHEET_CHARS).strip("'") or "query"
    candidate, k = base[:31], 2
    while candidate.lower() in taken:
        suffix = f" ({k})"
        candidate, k = base[:31 - len(suffix)] + suffix, k + 1
    taken.add(candidate.lower())
    return candidate


def _cell_value(value: object) -> object:
    """A cell's value: lists joined, NA empty, dates as dates (a time of day kept; no time zone: Excel has
    none), numpy scalars as Python's."""
    import pandas as pd

    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    if isinstance(value, pd.Timestamp):
        value = value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
        return value.date() if value == value.normalize() else value.to_pydatetime()
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, _CELL_TYPES) else str(value)  # a dict, a set: shown, not a crash


_CELL_TYPES = (str, int, float, bool, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)


def _put(sheet: Any, row: int, column: int, value: object) -> Any:
    """Write one workbook cell (the one place both workbooks do): text as a string cell — never a formula —
    marked "quote prefix" when a spreadsheet would read it as one (so editing it keeps it text), with the
    control characters a workbook cannot hold replaced; numbers, dates and booleans as themselves."""
    value = _cell_value(value)
    if isinstance(value, str):
        value = sheet_text(value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl reads "=..." as a formula; a title such as "=cmd|..." is shown, never run
        cell.quotePrefix = formula_like(value)
    return cell


def reviewer_workbook(df: pd.DataFrame, out: str | os.PathLike, *, fetch: Callable[[str], bytes | None] | None = None,
                      client: FetchesImages | None = None, link: str | None = None, thumbnails: bool = True) -> Path:
    """An Excel workbook for reviewers: a first sheet **About** (where the data comes from — a loud SANDBOX DATA
    line for sandbox data —, when it was written, how to review), a sheet of every hit, then one sheet per query.

    Each sheet has a thumbnail per row (fetched through ``fetch`` or ``client.fetch_image``, so the cache is
    used; none without either), the patent number as a hyperlink (``link``: a template with ``{pn}`` /
    ``{patent_id}``, default the report's; none for sandbox data), a frozen header row and an autofilter.
    The last columns are the reviewer's: **Verdict** (a drop-down of ``codes.VERDICTS``' words; stored verdicts
    are filled in when ``df`` carries them, see ``client.with_verdicts``), **Note** and **Reviewer**, then the
    hidden **Query key** and **Patent id** that ``pa.verdicts.read`` (or ``client.verdicts.load``) matches the
    filled rows by, whatever the file is called and however the sheets were sorted.
    Text from the API is written as text, never as a formula (see the module's notes); the file is written
    whole or not at all. Needs openpyxl (``patsnap-analytics[export]``).

    Example:
        >>> import pandas as pd, tempfile, pathlib
        >>> df = pd.DataFrame({"query": ["a.png"], "rank": [1], "patent_id": ["p"], "patent_pn": ["USD1S"],
        ...                    "title": ["=HYPERLINK(1)"], "image_url": [None]})
        >>> path = reviewer_workbook(df, pathlib.Path(tempfile.mkdtemp()) / "review.xlsx")
        >>> from openpyxl import load_workbook
        >>> book = load_workbook(path); book.sheetnames, book["All hits"]["E2"].value, book["All hits"].freeze_panes
        (['About', 'All hits', 'a.png'], '=HYPERLINK(1)', 'A2')
        >>> book["All hits"]["E2"].data_type, book["All hits"]["E2"].quotePrefix
        ('s', True)
    """
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage
    from openpyxl.styles import Font

    from .frames import is_sandbox
    from .report import DEFAULT_LINK, patent_link
    from .thumbnails import image_fetcher, thumbnail_png
    from .verdicts import write_review_columns

    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise ValidationError("out", f"a reviewer workbook is an .xlsx file, got {str(out)!r}")
    _check_folder(path, str(out))
    get = image_fetcher(fetch, client) if thumbnails else None
    sandbox = is_sandbox(df)
    columns = [(c, title) for c, title in _REVIEW_COLUMNS if c in df.columns]
    pictures: dict[str, bytes | None] = {}

    def picture(url: object) -> bytes | None:
        if get is None or not isinstance(url, str) or not url:
            return None
        if url not in pictures:
            data = get(url)
            try:
                pictures[url] = thumbnail_png(data, size=_THUMB_PX) if data else None
            except Exception:  # one unreadable image leaves its cell empty, not the workbook unwritten
                pictures[url] = None
        return pictures[url]

    book = Workbook()
    _about_sheet(book.active, df, sandbox, thumbnails=get is not None)
    taken: set[str] = {"about"}
    parts = [("All hits", df)] + [(str(q), part) for q, part in df.groupby("query", sort=False)]
    for name, part in parts:
        sheet = book.create_sheet()
        sheet.title = _sheet_name(name, taken)
        for c, title in enumerate(["Image", *[title for _, title in columns]], start=1):
            _put(sheet, 1, c, title).font = Font(bold=True)
        for r, (_, row) in enumerate(part.iterrows(), start=2):
            for c, (column, _) in enumerate(columns, start=2):
                cell = _put(sheet, r, c, row[column])
                if column == "patent_pn":
                    url = patent_link(str(row[column]), row.get("patent_id"), link or DEFAULT_LINK, sandbox)
                    if url:
                        cell.hyperlink = url
                        cell.style = "Hyperlink"
                        cell.quotePrefix = formula_like(str(cell.value))  # a named style resets it
            png = picture(row.get("image_url"))
            if png:
                image = SheetImage(io.BytesIO(png))
                sheet.add_image(image, f"A{r}")
                sheet.row_dimensions[r].height = 0.75 * max(image.height, 20)
        write_review_columns(sheet, part, len(columns) + 2, put=_put)  # Verdict drop-down, Note, hidden keys
        sheet.column_dimensions["A"].width = 15 if get is not None else 6
        for c, (column, _) in enumerate(columns, start=2):
            sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = (
                40 if column in ("title", "title_en", "current_assignee") else 16)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    return _write_whole(path, lambda part: _save_book(book, part))


def _about_sheet(sheet: object, df: pd.DataFrame, sandbox: bool, *, thumbnails: bool) -> None:
    """The workbook's first sheet: what the data is (sandbox data said loudly), when, and how to review it."""
    import datetime as dt

    from openpyxl.styles import Font, PatternFill

    from .frames import data_source

    source = DATA_SOURCES.get(str(data_source(df)), "not recorded (a frame without df.attrs['source'])")
    sheet.title = "About"
    heading = ("SANDBOX DATA — NOT REAL PATSNAP RESULTS" if sandbox else "Similar registered designs: reviewers' "
               "workbook")
    rows = [
        (heading, None),
        ("Data source", source),
        ("Written", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Results", f"{len(df):,} hits of {df['query'].nunique() if 'query' in df.columns else 0} query image(s)"),
        ("Images", ("thumbnails embedded in column A" if thumbnails else "no thumbnails (none were fetched)")
         + ("; no patent links: the sandbox's patents are generated and its image links die with it"
            if sandbox else "; patent numbers link to their public record")),
        ("Lists", f"several holders, inventors or Locarno codes in one cell are joined with {LIST_SEPARATOR!r}"),
        ("How to review", "pick a Verdict in each hit's drop-down (same design, similar, different, unsure), add a "
                          "Note; client.verdicts.load(<this file>) reads them back"),
    ]
    for row in rows:
        sheet.append(list(row))
    sheet["A1"].font = Font(bold=True, size=14, color="FFFFFF" if sandbox else "000000")
    if sandbox:
        sheet["A1"].fill = PatternFill("solid", fgColor="D55E00")
        sheet.merge_cells("A1:B1")
    for cell in sheet["A"][1:]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 110


def _marked(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as exported: a first ``data_source`` column when the frame says its source, and for sandbox data
    ``image_url_note`` after ``image_url`` (the links die with the sandbox); a copy, never ``df`` itself."""
    from .frames import data_source, is_sandbox

    out = df
    source = DATA_SOURCES.get(str(data_source(df)))
    if source is not None and "data_source" not in df.columns:
        out = out.copy()
        out.insert(0, "data_source", source)
    if is_sandbox(df) and "image_url" in df.columns and "image_url_note" not in df.columns:
        out = out.copy()
        note = out["image_url"].notna().map({True: SANDBOX_LINK_NOTE, False: None}).astype("string")
        out.insert(out.columns.get_loc("image_url") + 1, "image_url_note", note)
    return out
