"""SearchApp: the whole search in one widget — pick images, set filters, search, read the results.

``display(SearchApp(pa.connect()))`` is all an analyst types. The app never lets an exception escape into the
notebook: every failure (a refused image, a bad filter, quota, auth, rate limit, any ``PatsnapError``) becomes a
message in the app, and ``app.error`` holds it for code. What the search cost is shown from ``client.stats``,
because every call is paid for and a cache hit is not.

The result tabs are filled with ready-made output (escaped HTML, PNG charts rendered here and closed at once), so
they work the same in JupyterLab, Voilà and a test without a kernel, and no Matplotlib figure leaks into the
next cell of the notebook.

Example:
    >>> import patsnap_analytics as pa                                # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox                 # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                              # doctest: +SKIP
    ...     app = SearchApp(pa.connect(sandbox=sb, cache=False))
    ...     app.picker.add_sample("*"); app.search_button.click()
    ...     app.error, len(app.results) > 0
    (None, True)
"""

from __future__ import annotations

import base64
import functools
import html
import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ..api import SEARCH_ENDPOINTS
from ..errors import (
    APIError,
    AuthError,
    BalanceExhaustedError,
    BudgetExceeded,
    DailyQuotaExceededError,
    InvalidImageError,
    OfflineCacheMiss,
    PatsnapError,
    PermissionDeniedError,
    QuotaExhaustedError,
    RateLimitError,
    ServiceError,
    TransportError,
    ValidationError,
)
from ..images import ImageRef
from ..query import DesignQuery
from .form import FilterForm
from .picker import ImagePicker

__all__ = ["TABLE_COLUMNS", "SearchApp", "describe_error"]

#: Columns of the results table, in order (label columns from ``client.label`` are added when present).
TABLE_COLUMNS = ("query", "rank", "patent_pn", "title", "score", "country")
_LABEL_COLUMNS = ("simple_legal_status_label", "legal_status_label", "loc_label")
_POLL_SECONDS = 0.1

# error class -> what the analyst should read first; the most specific class in the error's MRO wins, so a new
# subclass in errors.py falls back to its family's advice without any ordering rule here
_ADVICE: dict[type[BaseException], str] = {
    InvalidImageError: "Image refused",
    ValidationError: "Invalid filter",
    DailyQuotaExceededError: "The daily API quota is used up — nothing more can be searched today",
    BalanceExhaustedError: "The account balance is used up — top it up before searching again",
    QuotaExhaustedError: "The API quota is used up",
    RateLimitError: "The API is rate-limiting these calls (already retried) — wait a moment and search again",
    AuthError: "The API refused the credentials — check the api key or client id/secret",
    PermissionDeniedError: "This account may not use the image-search endpoint",
    ServiceError: "The PatSnap service failed (already retried) — try again later",
    OfflineCacheMiss: "Offline mode: this search is not in the cache",
    BudgetExceeded: "The call budget is spent",
    TransportError: "The API could not be reached",
    APIError: "The API answered with an error",
    PatsnapError: "The search failed",
}


def describe_error(exc: BaseException) -> str:
    """One readable line for an error: what happened and what to do, then the details.

    Example:
        >>> describe_error(DailyQuotaExceededError("Daily quota exceeded", error_code=67200007))
        'The daily API quota is used up — nothing more can be searched today (error_code 67200007: Daily quota exceeded)'
        >>> describe_error(ValidationError("limit", "must be an integer from 1 to 100, got 0"))
        'Invalid filter: limit: must be an integer from 1 to 100, got 0'
    """
    advice = next((_ADVICE[cls] for cls in type(exc).__mro__ if cls in _ADVICE), None)
    if advice is None:
        return f"Unexpected error ({type(exc).__name__}: {exc})"
    return f"{advice}: {exc}" if isinstance(exc, ValidationError) else f"{advice} ({exc})"


def _png_output(png: bytes, text: str) -> dict[str, Any]:
    """A display_data message for an Output widget (set directly, so it works without a kernel too)."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": text}}


def _text_output(text: str) -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/plain": text}}


def results_table_html(df: pd.DataFrame, max_rows: int = 500) -> str:
    """The results as an escaped HTML table (titles and names come from outside and are never trusted).

    Example:
        >>> df = pd.DataFrame({"query": ["q"], "rank": [1], "patent_pn": ["US1S"], "title": ["<b>x</b>"],
        ...                    "score": [0.91234], "country": ["US"]})
        >>> "&lt;b&gt;x&lt;/b&gt;" in results_table_html(df), "<b>x" in results_table_html(df)
        (True, False)
    """
    columns = [c for c in (*TABLE_COLUMNS, *_LABEL_COLUMNS) if c in df.columns]
    view = df[columns].head(max_rows).copy()
    if "score" in view.columns:
        view["score"] = view["score"].map(lambda s: "—" if pd.isna(s) else f"{float(s):.3f}")
    table = view.to_html(index=False, escape=True, na_rep="—", border=0, classes="pa-results")
    more = f"<p><i>first {max_rows} of {len(df)} rows</i></p>" if len(df) > max_rows else ""
    return f'<div style="max-height:480px;overflow:auto">{table}</div>{more}'


class SearchApp(w.VBox):
    """Image picker + filter form + Search button, with results, gallery and charts in tabs.

    State for code and tests: ``results`` (the last search's DataFrame; ``None`` after a failed one), ``error``
    (the last error message, or ``None``), ``status`` (the status line's text), ``charts`` (chart name -> PNG
    bytes of the last search) and :meth:`search` (what the button does).

    Example:
        >>> app = SearchApp(client=None, samples=None)
        >>> app.search_button.disabled, app.status
        (True, 'Pick at least one image to search.')
    """

    def __init__(self, client: Any, *, query: DesignQuery | None = None, samples: str | os.PathLike | bool | None = True,
                 gallery_size: int = 12, **kwargs: Any) -> None:
        self.client = client
        self.gallery_size = gallery_size
        self.results: pd.DataFrame | None = None
        self.error: str | None = None
        self.charts: dict[str, bytes] = {}
        self._searching = False
        self._callbacks: list[Callable[[SearchApp], None]] = []

        self.picker = ImagePicker(samples=samples)
        self.form = FilterForm(query=query)
        self.search_button = w.Button(description="Search", button_style="primary", icon="search",
                                      layout=w.Layout(width="140px"))
        self.search_button.on_click(self.search)
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Searching",
                                      layout=w.Layout(visibility="hidden", width="320px"))
        self.status_line = w.HTML()
        self.message = w.HTML()
        self.cost = w.HTML()
        self.table = w.HTML("<i>No search yet.</i>")
        self.gallery = w.Output()
        self.chart_output = w.Output()
        self.tabs = w.Tab(children=[self.table, self.gallery, self.chart_output],
                          titles=("Results", "Gallery", "Charts"))
        source = getattr(client, "source", None)
        banner = (" <span style='background:#fff3cd;padding:1px 6px'>sandbox: generated sample designs, "
                  "no charges</span>" if source == "sandbox" else "")
        kwargs.setdefault("layout", w.Layout(padding="4px"))
        super().__init__([
            w.HTML(f"<h3 style='margin:4px 0'>Similar registered designs{banner}</h3>"),
            w.HTML("<b>1. Query images</b>"), self.picker,
            w.HTML("<b>2. Filters</b>"), self.form,
            w.HBox([self.search_button, self.progress], layout=w.Layout(align_items="center")),
            self.status_line, self.message, self.cost, self.tabs,
        ], **kwargs)
        self.add_class("pa-search-app")
        self.picker.on_change(lambda _: self._update_button())
        self.form.observe(lambda _: self._update_button(), "valid")
        self._update_button()
        self._show_cost(None)

    # ------------------------------------------------------------------ public API
    @property
    def status(self) -> str:
        """The status line as plain text."""
        return self._status

    def on_result(self, callback: Callable[[SearchApp], None]) -> None:
        """Call ``callback(app)`` after every search, successful or not (read ``app.results`` / ``app.error``)."""
        self._callbacks.append(callback)

    def search(self, _button: Any = None) -> pd.DataFrame | None:
        """Search the picked images with the form's filters; show results or the error. Never raises."""
        if self._searching:
            return None
        self.error = None
        self.message.value = ""
        images = self.picker.images
        if not images:
            return self._finish(None, "Pick at least one image first.")
        try:
            query = self.form.query
        except ValidationError as exc:
            return self._finish(None, describe_error(exc))
        if self.client is None:
            return self._finish(None, "No client: create the app with SearchApp(pa.connect()).")
        before = self.client.stats.as_dict()
        self._searching = True
        self._update_button()
        self.progress.max, self.progress.value = len(images), 0
        self.progress.layout.visibility = "visible"
        self._set_status(f"Searching {len(images)} image{'s' if len(images) != 1 else ''}…")
        try:
            with warnings.catch_warnings():
                # a stopped batch warns; here the app says it in its own message instead
                warnings.simplefilter("ignore")
                df = self._run(images, query, before)
            problem = self._batch_problem(df)
        except Exception as exc:  # the app's promise: a message, never a traceback
            df, problem = None, describe_error(exc)
        finally:
            self._searching = False
            self.progress.layout.visibility = "hidden"
        if df is not None and (len(df) or not problem):
            self._show_results(df)
        else:  # nothing came back: say so, and do not leave the previous search's results looking current
            df = self.results = None
            self.table.value = "<i>The search failed; see the message above.</i>"
            self.gallery.outputs = self.chart_output.outputs = ()
            self.charts = {}
        return self._finish(df, problem, before)

    # ------------------------------------------------------------------ searching
    def _run(self, images: list[ImageRef], query: DesignQuery, before: dict[str, Any]) -> pd.DataFrame:
        filters = query.filters()
        if query.endpoint == "image-multiple":  # the picked images are views of one design: one search
            df = self.client.search_designs(list(images), **filters)
            self.progress.value = len(images)
            return df
        if len(images) == 1:
            df = self.client.search_designs(images[0], **filters)
            self.progress.value = 1
            return df
        return self._run_batch(images, filters, before)

    def _run_batch(self, images: list[ImageRef], filters: dict[str, Any], before: dict[str, Any]) -> pd.DataFrame:
        """``client.search_many`` in a worker thread while this thread moves the progress bar.

        The batch has its own (tqdm) bar, but a button callback has no cell to print it in; searches done are
        read from the client's counters instead (one search call or one cache hit per image).
        """
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["df"] = self.client.search_many(images, progress=False, **filters)
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="patsnap-app-search", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(_POLL_SECONDS)
            self.progress.value = min(len(images), self._searches_done(before))
        if "error" in outcome:
            raise outcome["error"]
        self.progress.value = len(images)
        return outcome["df"]

    def _searches_done(self, before: dict[str, Any]) -> int:
        now = self.client.stats.as_dict()
        paths = [e.path for e in SEARCH_ENDPOINTS.values()]
        sent = sum(now["calls"].get(p, 0) - before["calls"].get(p, 0) for p in paths)
        return sent + now["search_cache_hits"] - before["search_cache_hits"]

    @staticmethod
    def _batch_problem(df: pd.DataFrame) -> str | None:
        """What a batch could not do (it never raises for one image): the stop reason and the failed images."""
        parts = []
        stopped = df.attrs.get("stopped")
        if stopped:
            parts.append(f"Stopped: {stopped.get('error')}: {stopped.get('message')}")
        pending = df.attrs.get("pending") or []
        if pending:
            parts.append(f"not searched (pending): {', '.join(map(str, pending))}")
        for f in df.attrs.get("failures") or []:
            parts.append(f"{f.get('image')}: {f.get('error')}: {f.get('message')}")
        return "; ".join(parts) or None

    # ------------------------------------------------------------------ showing
    def _show_results(self, df: pd.DataFrame) -> None:
        self.results = df
        self.table.value = (results_table_html(df) if len(df) else "<i>No similar designs matched these "
                            "filters.</i>")
        self.charts = {}
        if not len(df):
            self.gallery.outputs = (_text_output("No results."),)
            self.chart_output.outputs = (_text_output("No results."),)
            return
        from .. import plots  # Matplotlib loads on the first search, not when the app is built

        # small PNGs, and each figure closed at once so it never shows up again in the next cell
        png = functools.partial(plots.figure_png, dpi=80, bbox_inches="tight")
        try:
            self.charts["gallery"] = png(plots.thumbnail_gallery(df, client=self.client, n=self.gallery_size))
            self.gallery.outputs = (_png_output(self.charts["gallery"], "thumbnail gallery"),)
        except Exception as exc:  # a chart must never hide the results table
            self.gallery.outputs = (_text_output(f"gallery unavailable: {exc}"),)
        outputs = []
        drawers = [("score_distribution", plots.score_distribution), ("office_breakdown", plots.office_breakdown)]
        if df["query"].nunique() > 1:
            drawers.append(("overlap_heatmap", plots.overlap_heatmap))
        for name, draw in drawers:
            try:
                self.charts[name] = png(draw(df).figure)
                outputs.append(_png_output(self.charts[name], name.replace("_", " ")))
            except Exception as exc:
                outputs.append(_text_output(f"{name.replace('_', ' ')} unavailable: {exc}"))
        self.chart_output.outputs = tuple(outputs)

    def _show_cost(self, before: dict[str, Any] | None) -> None:
        if self.client is None or not hasattr(self.client, "stats"):
            self.cost.value = ""
            return
        now = self.client.stats.as_dict()
        session = (f"session: {now['total_calls']} API call{'s' if now['total_calls'] != 1 else ''} sent, "
                   f"{now['calls_saved']} saved by the cache")
        if before is None:
            self.cost.value = f"<small>{html.escape(session)}</small>"
            return
        calls = now["total_calls"] - before["total_calls"]
        hits = now["search_cache_hits"] - before["search_cache_hits"]
        reuses = now["upload_reuses"] - before["upload_reuses"]
        images = now["image_cache_hits"] - before["image_cache_hits"]
        self.cost.value = (f"<small>This search: <b>{calls} API call{'s' if calls != 1 else ''}</b> "
                           f"({hits} search cache hit{'s' if hits != 1 else ''}, {reuses} upload reuse"
                           f"{'s' if reuses != 1 else ''}, {images} thumbnail cache hit{'s' if images != 1 else ''})"
                           f" · {html.escape(session)}</small>")

    def _finish(self, df: pd.DataFrame | None, problem: str | None,
                before: dict[str, Any] | None = None) -> pd.DataFrame | None:
        self.error = problem
        self._update_button(set_status=False)
        if problem:
            self.message.value = (f'<div class="pa-app-error" style="color:#b00020;white-space:pre-wrap">'
                                  f"⚠ {html.escape(problem)}</div>")
        if df is not None:
            n, q = len(df), df["query"].nunique() if "query" in df.columns else 0
            sandbox = " [sandbox data]" if df.attrs.get("source") == "sandbox" else ""
            self._set_status(f"{n} result{'s' if n != 1 else ''} for {q} image{'s' if q != 1 else ''}{sandbox}.")
        elif problem:
            self._set_status("Search failed." if before is not None else "Not searched.")
        if before is not None:
            self._show_cost(before)
        for callback in list(self._callbacks):
            callback(self)
        return df

    def _set_status(self, text: str) -> None:
        self._status = text
        self.status_line.value = f"<span class='pa-app-status'>{html.escape(text)}</span>"

    def _update_button(self, set_status: bool = True) -> None:
        ready = bool(self.picker.images) and self.form.valid and not self._searching
        self.search_button.disabled = not ready
        if self._searching or not set_status:
            return
        if not self.picker.images:
            self._set_status("Pick at least one image to search.")
        elif not self.form.valid:
            self._set_status("Fix the filters marked in red to search.")
        else:
            n = len(self.picker.images)
            self._set_status(f"Ready to search {n} image{'s' if n != 1 else ''}.")
