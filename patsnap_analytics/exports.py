"""Result frames written to files: CSV, Parquet, Excel or JSON, chosen by the file's extension.

:func:`check_output_path` says whether a path can be written — a known extension, and the library that format
needs is installed — without writing anything, so a script or the CLI can refuse a bad ``--out`` before it pays
for a search. :func:`write_frame` checks the same way, then writes.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> out = write_frame(pd.DataFrame({"patent_pn": ["USD1S"]}), pathlib.Path(tempfile.mkdtemp()) / "hits.csv")
    >>> out.read_text()
    'patent_pn\\nUSD1S\\n'
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ValidationError

if TYPE_CHECKING:  # only the frame's own methods are called: the CLI imports this without loading pandas
    import pandas as pd

__all__ = ["FORMATS", "SANDBOX_LINK_NOTE", "check_output_path", "write_frame"]

#: Written beside ``image_url`` (column ``image_url_note``) when a frame of sandbox data is exported: its links
#: point at the embedded sandbox on this computer, which serves them only while it runs.
SANDBOX_LINK_NOTE = ("sandbox link: a generated drawing served by the embedded sandbox on this computer "
                     "while it runs; not a PatSnap image")

#: Extension -> the libraries pandas can write it with (any one will do; the first is the one we suggest).
FORMATS: dict[str, tuple[str, ...]] = {
    ".csv": (),
    ".parquet": ("pyarrow", "fastparquet"),
    ".xlsx": ("openpyxl", "xlsxwriter"),
    ".json": (),
}
_WRITERS: dict[str, Callable[[pd.DataFrame, Path], object]] = {
    ".csv": lambda df, path: df.to_csv(path, index=False),
    ".parquet": lambda df, path: df.to_parquet(path, index=False),  # keeps dtypes and df.attrs
    ".xlsx": lambda df, path: df.to_excel(path, index=False),
    ".json": lambda df, path: df.to_json(path, orient="records", force_ascii=False, indent=1),
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

    Checks, without writing anything: the extension is one of :data:`FORMATS`, the library the format needs
    is importable (pyarrow for ``.parquet``, openpyxl for ``.xlsx``), and the path is not a folder. Errors are
    :class:`~patsnap_analytics.errors.ValidationError` naming ``out`` (the CLI's ``--out``, ``write_frame``'s
    argument).

    Example:
        >>> check_output_path("results/hits.CSV").name
        'hits.CSV'
        >>> check_output_path("hits.txt")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: must end in .csv, .parquet, .xlsx or .json, got 'hits.txt'
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
    return target


def write_frame(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write a result frame to ``.csv``, ``.parquet``, ``.xlsx`` or ``.json`` by the file's extension.

    The path is checked first (:func:`check_output_path`); missing folders are created. Parquet keeps the
    dtypes and ``df.attrs``; JSON is a list of records, one per row. Returns the path written. A frame of
    sandbox data gets a column ``image_url_note`` after ``image_url`` saying its links are sandbox links
    (:data:`SANDBOX_LINK_NOTE`); ``df`` itself is not changed.

    Example:
        >>> write_frame(__import__("pandas").DataFrame(), "x.txt")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: must end in .csv, .parquet, .xlsx or .json, got 'x.txt'
    """
    path = check_output_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    _WRITERS[path.suffix.lower()](_with_link_note(df), path)
    return path


def _with_link_note(df: pd.DataFrame) -> pd.DataFrame:
    """``df``, or for sandbox data a copy with ``image_url_note`` after ``image_url`` (the links die with it)."""
    from .frames import is_sandbox

    if not is_sandbox(df) or "image_url" not in df.columns or "image_url_note" in df.columns:
        return df
    out = df.copy()
    note = out["image_url"].notna().map({True: SANDBOX_LINK_NOTE, False: None}).astype("string")
    out.insert(out.columns.get_loc("image_url") + 1, "image_url_note", note)
    return out
