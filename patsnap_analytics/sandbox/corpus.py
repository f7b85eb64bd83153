"""A sandbox corpus on disk: the directory format, reading it, and publishing a finished build.

A corpus is a directory::

    manifest.json   kind ("sample" or "user"), version, size; written last, so its presence means "complete"
    meta.csv        one row per design (columns: see :class:`Corpus`)
    views/          000000-0.png, 000000-1.png, ... (design number, view number)
    features.npy    the engine's cached index (written by :class:`~patsnap_analytics.sandbox.engine.Engine`)

Two modules write corpora, both through :func:`building` and :func:`write_corpus`: :mod:`.sample` (the
generated sample corpus) and :mod:`.user_corpus` (a folder of the user's own drawings).

Example:
    >>> import tempfile
    >>> from patsnap_analytics.sandbox.sample import sample_corpus
    >>> c = load_corpus(sample_corpus(30, seed=1, cache_dir=Path(tempfile.mkdtemp())).root)
    >>> len(c), c.sandbox_marked, c.view_path(0, 0).name
    (30, True, '000000-0.png')
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..settings import Settings

__all__ = [
    "DATE_COLUMNS",
    "FAMILY_COLUMNS",
    "LIST_SEPARATOR",
    "META_COLUMNS",
    "Corpus",
    "building",
    "default_cache_dir",
    "events_json",
    "is_corpus",
    "legal_events",
    "load_corpus",
    "read_manifest",
    "source_fingerprint",
    "view_file",
    "write_corpus",
]

#: The metadata columns every corpus has (a corpus may add more, e.g. ``source_images``).
META_COLUMNS = ("patent_id", "patent_pn", "title", "title_en", "abstract", "assignee", "original_assignee",
                "applicants", "inventor", "loc", "country", "application_number", "apdt", "pbdt", "isdt",
                "legal_status", "simple_legal_status", "legal_events", "patent_type", "n_views")
#: Design families, where a corpus knows them (the generated one does; ``""`` elsewhere): ``family_id``, the
#: patent number of the family's first filing, and ``family_role`` (see :mod:`.sample`).
FAMILY_COLUMNS = ("family_id", "family_role")
#: The columns holding dates (``YYYY-MM-DD`` in ``meta.csv``, datetime64 once loaded).
DATE_COLUMNS = ("apdt", "pbdt", "isdt")
#: How names are joined in one text column (``inventor``, ``applicants``), as the API joins them in its rows.
LIST_SEPARATOR = "|"
_TEXT_COLUMNS = ("patent_id", "patent_pn", "title", "title_en", "abstract", "assignee", "original_assignee",
                 "applicants", "inventor", "loc", "country", "application_number", "legal_events", "patent_type",
                 *FAMILY_COLUMNS)
# columns added after the first corpus format: an older corpus gets them derived from what it has
_DERIVED_DEFAULTS = {"title_en": "title", "original_assignee": "assignee", "applicants": "assignee"}
_INT_COLUMNS = ("legal_status", "simple_legal_status", "n_views")
_MANIFEST = "manifest.json"
_META = "meta.csv"
_VIEWS = "views"


def source_fingerprint(*modules: str) -> str:
    """A short hash of the sandbox source files that decide what a cached artefact contains.

    Hand-bumped version strings get forgotten, and a stale cache then serves drawings or features the current
    code would never make; hashing the generating source makes every change rebuild (a few seconds).

    Example:
        >>> len(source_fingerprint("drawing.py")), source_fingerprint("drawing.py") == source_fingerprint("corpus.py")
        (10, False)
    """
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in modules:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:10]


def events_json(events: Iterable[tuple[date, int]]) -> str:
    """Legal events ``(date, legal_status code)`` as the ``legal_events`` column holds them (JSON, date order).

    Example:
        >>> events_json([(date(2020, 5, 1), 3), (date(2019, 1, 2), 1)])
        '[{"date": "2019-01-02", "code": 1}, {"date": "2020-05-01", "code": 3}]'
    """
    ordered = sorted(events, key=lambda e: e[0])
    return json.dumps([{"date": d.isoformat(), "code": int(c)} for d, c in ordered])


def legal_events(row: Any) -> list[tuple[date, int]]:
    """A design's legal events, oldest first; a corpus without them gets one event, its current status,
    dated by its registration, publication or filing date.

    Example:
        >>> import pandas as pd
        >>> legal_events({"legal_events": "", "legal_status": 3, "isdt": pd.Timestamp("2021-02-03"),
        ...               "pbdt": pd.NaT, "apdt": pd.Timestamp("2020-01-01")})
        [(datetime.date(2021, 2, 3), 3)]
    """
    text = str(row.get("legal_events") or "")
    if text:
        return [(date.fromisoformat(e["date"]), int(e["code"])) for e in json.loads(text)]
    when = next((row[c] for c in ("isdt", "pbdt", "apdt") if not pd.isna(row.get(c))), None)
    return [(pd.Timestamp(when).date(), int(row["legal_status"]))] if when is not None else []


def view_file(root: Path, design: int, view: int = 0) -> Path:
    """The PNG file of view ``view`` of design ``design`` in the corpus directory ``root``.

    Example:
        >>> view_file(Path("c"), 12, 3).as_posix()
        'c/views/000012-3.png'
    """
    return Path(root) / _VIEWS / f"{int(design):06d}-{int(view)}.png"


@dataclass
class Corpus:
    """A corpus directory loaded: its root and one metadata row per design (index = design number).

    Columns: ``patent_id, patent_pn, title`` (in the office's language), ``title_en`` (English), ``abstract``,
    ``assignee`` (the current assignee), ``original_assignee``, ``applicants`` and ``inventor`` (names joined
    with ``|``), ``loc`` (codes joined with ``,``), ``country``, ``application_number``, ``apdt, pbdt, isdt``
    (datetime64; ``isdt`` NaT when not granted), ``legal_status, simple_legal_status`` (int),
    ``legal_events`` (JSON: ``[{"date": "YYYY-MM-DD", "code": int}, ...]`` in date order, the last one being
    the current ``legal_status``), ``patent_type`` (``D``) and ``n_views`` (int); ``family_id`` and
    ``family_role`` (:data:`FAMILY_COLUMNS`: the design families of a generated corpus, ``""`` elsewhere).

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(12, seed=3, cache_dir=Path(tempfile.mkdtemp()))
        >>> c.view_path(2, 1).parent.name, int(c.meta.n_views.min()) >= 1
        ('views', True)
    """

    root: Path
    meta: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    def view_path(self, design: int, view: int = 0) -> Path:
        """The PNG file of view ``view`` of design ``design``."""
        return view_file(self.root, design, view)

    @property
    def sandbox_marked(self) -> bool:
        """True for generated sample corpora (results from them must be marked as sandbox data)."""
        return self.manifest.get("kind") == "sample"

    def __len__(self) -> int:
        return len(self.meta)


def is_corpus(path: str | Path) -> bool:
    """True when ``path`` holds a complete corpus (its manifest, written last, is there).

    Example:
        >>> is_corpus(Path("/no/such/folder"))
        False
    """
    return (Path(path) / _MANIFEST).is_file()


def load_corpus(path: str | Path) -> Corpus:
    """Load a corpus directory (a generated sample corpus, or one indexed from a user's drawings).

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_corpus
        >>> c = sample_corpus(10, seed=2, cache_dir=Path(tempfile.mkdtemp()))
        >>> load_corpus(c.root).meta.equals(c.meta)
        True
    """
    root = Path(path)
    if not is_corpus(root):
        raise FileNotFoundError(f"{root} is not a corpus directory (no {_MANIFEST})")
    manifest = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
    return Corpus(root=root, meta=_read_meta(root / _META), manifest=manifest)


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    """The manifest of the corpus at ``path``, or ``None`` when there is no complete corpus there.

    Example:
        >>> read_manifest("/no/such/folder") is None
        True
    """
    try:
        return json.loads((Path(path) / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_corpus(root: Path, meta: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Write ``meta.csv`` and then ``manifest.json`` into ``root`` (whose ``views/`` are already drawn).

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_metadata
        >>> root = Path(tempfile.mkdtemp())
        >>> write_corpus(root, sample_metadata(3), {"kind": "sample"})
        >>> len(load_corpus(root)), sorted(p.name for p in root.iterdir())
        (3, ['manifest.json', 'meta.csv'])
    """
    out = meta.copy()
    for c in DATE_COLUMNS:
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    out.to_csv(root / _META, index=False)
    (root / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _read_meta(path: Path) -> pd.DataFrame:
    meta = pd.read_csv(path, dtype=dict.fromkeys(_TEXT_COLUMNS, str), keep_default_na=False,
                       na_values={c: [""] for c in DATE_COLUMNS})
    for column in _TEXT_COLUMNS:  # a corpus written before a column existed still loads
        if column not in meta.columns:
            source = _DERIVED_DEFAULTS.get(column)
            meta[column] = meta[source] if source else ("D" if column == "patent_type" else "")
    for c in DATE_COLUMNS:
        meta[c] = pd.to_datetime(meta[c], format="%Y-%m-%d").astype("datetime64[ns]")
    for c in _INT_COLUMNS:
        meta[c] = meta[c].astype("int64")
    return meta


@contextmanager
def building(final: Path, *, replace: bool = False) -> Iterator[Path]:
    """A private build directory (with an empty ``views/``) that becomes ``final`` when the block succeeds.

    Readers never see a half-written corpus: the build is renamed into place in one step. When another
    process published ``final`` first, its corpus is kept and this build dropped (``replace=False``), or
    ``final`` is replaced (``replace=True``, for re-indexing a user's folder). A failed block leaves nothing.

    Example:
        >>> import tempfile
        >>> from patsnap_analytics.sandbox.sample import sample_metadata
        >>> final = Path(tempfile.mkdtemp()) / "tiny"
        >>> with building(final) as tmp:
        ...     write_corpus(tmp, sample_metadata(2), {"kind": "sample"})
        >>> is_corpus(final), sorted(p.name for p in final.parent.iterdir())
        (True, ['tiny'])
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        (tmp / _VIEWS).mkdir()
        yield tmp
        if replace and final.exists():
            shutil.rmtree(final)
        try:
            os.rename(tmp, final)
        except OSError:
            if replace or not is_corpus(final):
                raise
            # another process published the same corpus first: theirs is as good as ours
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def default_cache_dir() -> Path:
    """Where sample corpora are cached: ``$PATSNAP_SANDBOX_CACHE`` or the user cache dir.

    Example:
        >>> isinstance(default_cache_dir(), Path)  # e.g. ~/.cache/patsnap-analytics on Linux
        True
    """
    configured = Settings.from_env().sandbox_cache
    if configured is not None:
        return configured
    import platformdirs

    return Path(platformdirs.user_cache_dir("patsnap-analytics", appauthor=False))
