"""ExportPanel: buttons that turn the app's results into files a person can download and pass on.

Three exports, one button each (:data:`EXPORTS`): the results as CSV (:func:`~patsnap_analytics.exports.write_frame`),
the reviewers' Excel workbook with a thumbnail per row (:func:`~patsnap_analytics.exports.reviewer_workbook`) and
the HTML landscape report (:func:`~patsnap_analytics.report.landscape_report`).

ipywidgets 8 has no download widget. Each file is written to a folder (a private temporary one unless the app is
given ``export_folder=``) and offered as a ``data:`` link with a ``download`` name in an HTML widget: the browser
saves it without asking the server for anything, so the same link works in JupyterLab, in Voilà (which serves
no files but images by default) and on a remote server. Files above :data:`MAX_LINK_BYTES` are not put in a
link (the page would carry them twice); the message names the file written instead.

Cost: no API call. The workbook and the report show result images, fetched through ``client.fetch_image``
(plain image links, not API calls; the client's cache keeps them), and the report's query images are the ones
picked, never fetched.

Example:
    >>> import pandas as pd, tempfile
    >>> panel = ExportPanel(client=None, folder=tempfile.mkdtemp())
    >>> panel.use(pd.DataFrame({"query": ["q.png"], "patent_pn": ["USD1S"]}))
    >>> panel.export("csv").read_text()
    '"query","patent_pn"\\n"q.png","USD1S"\\n'
    >>> "download=" in panel.links.value
    True
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import shutil
import tempfile
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..protocols import ClientLike
from ..renames import warn_renamed

__all__ = ["EXPORTS", "MAX_LINK_BYTES", "ExportKind", "ExportPanel"]

#: The largest file offered as a download link (bigger ones are only written to the folder).
MAX_LINK_BYTES = 25 * 1024 * 1024

#: ``write(df, path, client, query_images) -> path``: how one kind of export is made.
Writer = Callable[[pd.DataFrame, Path, ClientLike | None, Mapping[str, bytes]], Path]


def _csv(df: pd.DataFrame, path: Path, client: ClientLike | None, query_images: Mapping[str, bytes]) -> Path:
    from ..exports import write_frame

    return write_frame(df, path)


def _workbook(df: pd.DataFrame, path: Path, client: ClientLike | None, query_images: Mapping[str, bytes]) -> Path:
    from ..exports import reviewer_workbook

    return reviewer_workbook(df, path, client=client)


def _report(df: pd.DataFrame, path: Path, client: ClientLike | None, query_images: Mapping[str, bytes]) -> Path:
    from ..report import landscape_report  # Matplotlib and Jinja load when a report is asked for

    return landscape_report(df, path, client=client, query_images=query_images)


@dataclass(frozen=True)
class ExportKind:
    """One export button: what it is called, what file it writes and how.

    Example:
        >>> EXPORTS["excel"].file_name("20250101-120000")
        'similar-designs-20250101-120000-review.xlsx'
    """

    name: str
    caption: str
    icon: str
    ending: str
    mime: str
    help: str
    write: Writer

    @property
    def label(self) -> str:
        """Deprecated spelling of :attr:`caption`."""
        warn_renamed("ExportKind.label", "ExportKind.caption")
        return self.caption

    def file_name(self, stamp: str) -> str:
        """The file's name for an export made at ``stamp``."""
        return f"similar-designs-{stamp}{self.ending}"


#: Every export the app offers, in the order of its buttons.
EXPORTS: dict[str, ExportKind] = {kind.name: kind for kind in (
    ExportKind("csv", "CSV", "file-text", ".csv", "text/csv",
               "every result row, for a spreadsheet or a script (no API call)", _csv),
    ExportKind("excel", "Excel for reviewers", "table", "-review.xlsx",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "a sheet of all hits and one per query, with thumbnails and filters (no API call; result images "
               "are fetched, not billed)", _workbook),
    ExportKind("report", "HTML report", "file-code", "-report.html", "text/html",
               "a self-contained landscape report for a client, with charts (no API call; result images are "
               "fetched, not billed)", _report),
)}


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


class ExportPanel(w.VBox):
    """Export buttons for a result frame, and the download links of what they wrote.

    * :meth:`use` — the frame (and the query images, by query name) the buttons export; ``None`` disables them.
    * :meth:`export` — what a button does: write the file, offer it as a link; returns its path (``None`` when
      it failed; ``error`` then says why). Never raises.
    * ``files`` — kind -> the last file written; ``links`` — the HTML widget holding the download links.

    Example:
        >>> ExportPanel(client=None).buttons["csv"].disabled
        True
    """

    def __init__(self, client: ClientLike | None, *, folder: str | Path | None = None, **kwargs: Any) -> None:
        self.client = client
        self._folder = Path(folder) if folder is not None else None
        self._folder_chosen = folder is not None  # a folder of our own is no news to anyone: not mentioned
        self.frame: pd.DataFrame | None = None
        self.query_images: dict[str, bytes] = {}
        self.files: dict[str, Path] = {}
        self.error: str | None = None
        self._links: dict[str, str] = {}
        self._callbacks: list[Callable[[ExportPanel], None]] = []
        self.buttons = {kind.name: w.Button(description=kind.caption, icon=kind.icon, tooltip=kind.help, disabled=True,
                                            layout=w.Layout(width="auto"))
                        for kind in EXPORTS.values()}
        for name, button in self.buttons.items():
            button.on_click(lambda _, name=name: self.export(name))
            button.add_class(f"pa-export-{name}")
        self.message = w.HTML()
        self.links = w.HTML()
        super().__init__([w.HBox([w.HTML("<b>Export</b>", layout=w.Layout(width="60px")), *self.buttons.values()],
                                 layout=w.Layout(align_items="center")), self.message, self.links], **kwargs)
        self.add_class("pa-export-panel")

    # ------------------------------------------------------------------ public API
    @property
    def folder(self) -> Path:
        """Where the files are written: the folder given, else a private temporary folder removed at exit."""
        if self._folder is None:
            made = tempfile.mkdtemp(prefix="patsnap-app-")
            weakref.finalize(self, shutil.rmtree, made, ignore_errors=True)
            self._folder = Path(made)
        return self._folder

    def use(self, df: pd.DataFrame | None, query_images: Mapping[str, bytes] | None = None) -> None:
        """Export ``df`` from now on (its query images by query name, for the report); forget older links.

        Example:
            >>> panel = ExportPanel(client=None); panel.use(pd.DataFrame({"patent_pn": ["USD1S"]}))
            >>> panel.buttons["report"].disabled, panel.links.value
            (False, '')
        """
        self.frame = df if df is not None and len(df) else None
        self.query_images = dict(query_images or {})
        self._links.clear()
        self.links.value = self.message.value = ""
        for button in self.buttons.values():
            button.disabled = self.frame is None

    def on_export(self, callback: Callable[[ExportPanel], None]) -> None:
        """Call ``callback(panel)`` after every export, successful or not."""
        self._callbacks.append(callback)

    def export(self, name: str) -> Path | None:
        """Write the ``name`` export (``"csv"``, ``"excel"`` or ``"report"``) of the frame and offer it."""
        kind = EXPORTS[name]
        self.error = None
        if self.frame is None:
            return self._done(None, "Search first: there is nothing to export yet.")
        for button in self.buttons.values():
            button.disabled = True
        self._say(f"Writing the {kind.caption}…")
        try:
            path = kind.write(self.frame, self.folder / kind.file_name(dt.datetime.now().strftime("%Y%m%d-%H%M%S")),
                              self.client, self.query_images)
        except Exception as exc:  # the app's promise (a full disk, an odd frame): a message, never a traceback
            return self._done(None, f"The {kind.caption} could not be written ({type(exc).__name__}: {exc})")
        finally:
            for button in self.buttons.values():
                button.disabled = self.frame is None
        self.files[name] = path
        self._offer(kind, path)
        return self._done(path, None)

    # ------------------------------------------------------------------ internals
    def _offer(self, kind: ExportKind, path: Path) -> None:
        size = path.stat().st_size
        if size > MAX_LINK_BYTES:
            self._links[kind.name] = (f"<div>{html.escape(path.name)} ({_size(size)}) is too large for a download "
                                      f"link; it is saved as <code>{html.escape(str(path))}</code></div>")
        else:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            self._links[kind.name] = (
                f"<div><a class='pa-download' data-kind='{kind.name}' download='{html.escape(path.name, quote=True)}' "
                f"href='data:{kind.mime};base64,{data}'>⬇ Download {html.escape(path.name)}</a> "
                f"<small>({_size(size)})</small></div>")
        self.links.value = "".join(self._links[k] for k in EXPORTS if k in self._links)
        rows = len(self.frame) if self.frame is not None else 0
        where = f" Saved in {path.parent}." if self._folder_chosen else ""
        self._say(f"{kind.caption}: {rows} row{'s' if rows != 1 else ''} written — no API call.{where}")

    def _done(self, path: Path | None, problem: str | None) -> Path | None:
        if problem:
            self.error = problem
            self.message.value = (f"<div class='pa-export-error' style='color:#b00020'>⚠ {html.escape(problem)}"
                                  f"</div>")
        for callback in list(self._callbacks):
            callback(self)
        return path

    def _say(self, text: str) -> None:
        self.message.value = f"<small class='pa-export-status'>{html.escape(text)}</small>"
