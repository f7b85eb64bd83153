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

__all__ = ["FORMATS", "check_output_path", "write_frame"]

#: Extension -> the libraries pandas can write it with (any one will do; the first is the one we suggest).
FORMATS: dict[str, tuple[str, ...]] = {
    ".csv": (),
    ".parquet": ("pyarrow", "fastparquet"),
    ".xlsx": ("openpyxl", "xlsxwriter"),
    ".json": (),
}
def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """List cells (the rich rows' ``inventors``, ``loc``) as ``; ``-joined text, for cell-per-value formats.

    Example:
        >>> import pandas as pd
        >>> _flat(pd.DataFrame({"loc": [["10-02", "10-07"], ["14-03"]]}))["loc"].tolist()
        ['10-02; 10-07', '14-03']
    """
    lists = [c for c in df.columns if df[c].dtype == object and df[c].map(lambda v: isinstance(v, list)).any()]
    if not lists:
        return df
    out = df.copy()
    for column in lists:
        out[column] = out[column].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    return out


_WRITERS: dict[str, Callable[[pd.DataFrame, Path], object]] = {
    ".csv": lambda df, path: _flat(df).to_csv(path, index=False),
    ".parquet": lambda df, path: df.to_parquet(path, index=False),  # keeps dtypes, lists and df.attrs
    ".xlsx": lambda df, path: _flat(df).to_excel(path, index=False),
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
        raise ValidationError("out", f"writing {suffix} files needs {libraries[0]}: pip install {libraries[0]} "
                                     "(or pip install 'patsnap-analytics[export]')")
    if target.is_dir():
        raise ValidationError("out", f"{str(path)!r} is a folder; give a file name ending in {_EXTENSIONS}")
    return target


def write_frame(df: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write a result frame to ``.csv``, ``.parquet``, ``.xlsx`` or ``.json`` by the file's extension.

    The path is checked first (:func:`check_output_path`); missing folders are created. Parquet keeps the
    dtypes and ``df.attrs``; JSON is a list of records, one per row. Returns the path written.

    Example:
        >>> write_frame(__import__("pandas").DataFrame(), "x.txt")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: out: must end in .csv, .parquet, .xlsx or .json, got 'x.txt'
    """
    path = check_output_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    _WRITERS[path.suffix.lower()](df, path)
    return path
