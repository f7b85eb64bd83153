"""SearchApp: the whole search in one widget — pick images, set filters, search, read, export.

``display(SearchApp(pa.connect()))`` is all an analyst types; ``notebooks/app.ipynb`` served by Voilà is the
same app for people who never open a notebook (``docs/app.md``). The app never lets an exception escape into the
notebook: every failure (a refused image, a bad filter, quota, auth, rate limit, any ``PatsnapError``) becomes a
message in the app, and ``app.error`` holds it for code. What each search cost is shown from ``client.stats``
(calls sent, cache hits), because every call is paid for and a cache hit is not.

The results are shown as a paged table with a thumbnail per row, a gallery grouped per query image (the query
first), and charts; :class:`~patsnap_analytics.widgets.exporter.ExportPanel` writes them as CSV, the reviewers'
Excel workbook or the HTML report, each offered as a download link. "Add holders, dates & status" enriches the
results (``client.enrich``) and says beforehand how many calls that costs. The tabs are filled with ready-made
output (escaped HTML, PNG charts rendered here and closed at once), so they work the same in JupyterLab, Voilà
and a test without a kernel, and no Matplotlib figure leaks into the next cell of the notebook.

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
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..api import MAX_VIEWS, SEARCH_ENDPOINTS
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
from ..frames import ResultInfo, sandbox_mark
from ..images import ImageRef, Views
from ..protocols import ClientLike
from ..query import DesignQuery
from ..renames import renamed_keyword
from .exporter import ExportPanel
from .form import FilterForm
from .picker import ImagePicker
from .results import ResultsTable, Thumbnails, gallery_html, query_images

__all__ = ["CONFIRM_ABOVE", "TITLE", "SearchApp", "describe_error"]

#: The app's title, shown once at its top.
TITLE = "Similar registered designs"
#: Above this many API calls, Search asks before it spends them (``SearchApp(confirm_above=...)``).
CONFIRM_ABOVE = 20
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
    PermissionDeniedError: "This account may not use this endpoint",
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class SearchApp(w.VBox):
    """Image picker + filter form + Search button; results, gallery and charts in tabs; export and details.

    State for code and tests: ``results`` (the last search's DataFrame, enriched once details were added;
    ``None`` after a failed search), ``error`` (the last error message, or ``None``), ``status`` (the status
    line's text), ``charts`` (chart name -> PNG bytes of the last search), :meth:`search` (what the Search
    button does), :meth:`add_details` (the details button) and ``exporter`` (the export buttons).

    ``export_folder``: where exports are written (default: a private temporary folder; the files are offered
    as download links either way). ``gallery_size``: designs shown per query image in the gallery. ``folder``:
    the one folder of the server the "Folder or file" box may read (default ``PATSNAP_APP_FOLDER``; without
    it the box is off). The cost of the next search is shown beside Search before it is pressed
    (:meth:`search_cost`); above ``confirm_above`` calls, Search first asks to confirm the spend.

    Example:
        >>> app = SearchApp(client=None, samples=None)
        >>> app.search_button.disabled, app.status
        (True, 'Pick at least one image to search.')
    """

    def __init__(self, client: ClientLike | None, *, design_query: DesignQuery | None = None,
                 samples: str | os.PathLike | bool | None = True, gallery_size: int = 8,
                 export_folder: str | os.PathLike | None = None, folder: str | os.PathLike | bool | None = None,
                 confirm_above: int = CONFIRM_ABOVE, **kwargs: Any) -> None:
        design_query = renamed_keyword(kwargs, "query", "design_query", where="SearchApp", default=design_query)
        self.client = client
        self.gallery_size = gallery_size
        self.results: pd.DataFrame | None = None
        self.error: str | None = None
        self.charts: dict[str, bytes] = {}
        self._searching = False
        self._last_cost = ""
        self._callbacks: list[Callable[[SearchApp], None]] = []
        self.confirm_above = confirm_above

        self.picker = ImagePicker(samples=samples, folder=folder)
        if design_query is None and client is not None and callable(getattr(client, "design_query", None)):
            design_query = client.design_query()  # the client's defaults (its endpoint), shown where they can change
        self.form = FilterForm(design_query=design_query)
        self.search_button = w.Button(description="Search", button_style="primary", icon="search",
                                      layout=w.Layout(width="140px"))
        self.search_button.on_click(self.search)
        self.search_button.add_class("pa-search-button")
        #: the next search's cost, shown before it is paid; the confirmation asked above ``confirm_above``
        self.cost_preview = w.HTML()
        self.cost_preview.add_class("pa-cost-preview")
        self.confirm_button = w.Button(description="Spend them", button_style="warning", icon="check",
                                       layout=w.Layout(width="auto", display="none"))
        self.confirm_button.on_click(lambda _: self.search(confirmed=True))
        self.confirm_button.add_class("pa-confirm-button")
        self.cancel_button = w.Button(description="Cancel", layout=w.Layout(width="auto", display="none"))
        self.cancel_button.on_click(lambda _: self._ask(None))
        self.progress = w.IntProgress(value=0, min=0, max=1, description="Searching",
                                      layout=w.Layout(visibility="hidden", width="320px"))
        self.status_line = w.HTML()
        self.message = w.HTML()
        self.cost = w.HTML()
        self.thumbnails = Thumbnails(getattr(client, "fetch_image", None))
        self.table = ResultsTable(self.thumbnails,
                                  on_verdict=self.set_verdict if getattr(client, "verdicts", None) is not None else None)
        self.gallery = w.HTML("<i>No search yet.</i>")
        self.chart_output = w.Output()
        self.tabs = w.Tab(children=[self.table, self.gallery, self.chart_output],
                          titles=("Results", "Gallery", "Charts"))
        self.details_button = w.Button(description="Add holders, dates & status", icon="plus", disabled=True,
                                       tooltip="looks each design up by its id (P011, P041, P013): costs calls",
                                       layout=w.Layout(width="auto"))
        self.details_button.on_click(self.add_details)
        self.details_button.add_class("pa-details-button")
        self.exporter = ExportPanel(client, folder=Path(export_folder) if export_folder is not None else None)
        self.exporter.on_export(lambda _: self._show_cost(None))
        kwargs.setdefault("layout", w.Layout(padding="4px"))
        super().__init__([
            self._header(getattr(client, "source", None)),
            w.HTML("<b>1. Query images</b>"), self.picker,
            w.HTML("<b>2. Filters</b>"), self.form,
            w.HBox([self.search_button, self.cost_preview, self.confirm_button, self.cancel_button, self.progress],
                   layout=w.Layout(align_items="center")),
            self.status_line, self.message, self.cost, self.tabs,
            w.HBox([w.HTML("<b>Details</b>", layout=w.Layout(width="60px")), self.details_button],
                   layout=w.Layout(align_items="center")),
            self.exporter,
        ], **kwargs)
        self.add_class("pa-search-app")
        self.picker.on_change(lambda _: self._update_button())
        self.form.on_change(lambda _: self._update_button())  # every edit: validity and the cost shown
        self._update_button()
        self._show_cost(None)

    @staticmethod
    def _header(source: str | None) -> w.HTML:
        """The title (the app's only one) and what to do, with a banner when the data is generated."""
        banner = (" <span class='pa-sandbox-banner' style='background:#fff3cd;padding:1px 6px;font-size:0.7em'>"
                  "sandbox: generated sample designs, no charges</span>" if source == "sandbox" else "")
        return w.HTML(f"<h3 class='pa-app-title' style='margin:4px 0'>{TITLE}{banner}</h3>"
                      "<div style='margin-bottom:4px'>Pick one or more query images, set the filters you need and "
                      "press <b>Search</b>. Each search shows what it cost in API calls.</div>")

    # ------------------------------------------------------------------ public API
    @property
    def _connected(self) -> ClientLike:
        """The client, on the paths that need one (a message names it missing, as any failure of the app)."""
        if self.client is None:
            raise ValidationError("client", "no client: create the app with SearchApp(pa.connect())")
        return self.client

    @property
    def status(self) -> str:
        """The status line as plain text."""
        return self._status

    def on_result(self, callback: Callable[[SearchApp], None]) -> None:
        """Call ``callback(app)`` after every search, successful or not (read ``app.results`` / ``app.error``)."""
        self._callbacks.append(callback)

    def search_cost(self) -> int | None:
        """The API calls Search would spend now (:meth:`Searcher.cost` of each picked image, or of the views
        together for image-multiple); ``None`` when it cannot search yet. Costs no call.

        Example:
            >>> SearchApp(client=None, samples=None).search_cost() is None
            True
        """
        images = self.picker.images
        if self.client is None or not images or not self.form.valid or self._views_problem():
            return None
        try:
            design_query = self.form.design_query
            searcher = self.client.searcher
            targets = ([tuple(images)] if design_query.endpoint == "image-multiple" else list(images))
            return sum(searcher.cost(target, design_query) for target in targets)
        except Exception:  # a cost that cannot be worked out now is not shown rather than guessed
            return None

    def search(self, _button: Any = None, *, confirmed: bool = False) -> pd.DataFrame | None:
        """Search the picked images with the form's filters; show results or the error. Never raises.

        Cost: what ``client.search_designs`` / ``client.search_many`` cost (one call per 100 ranks per image,
        plus an upload per image without a valid upload URL; nothing for what the cache holds), shown beside
        the button before (:meth:`search_cost`); above ``confirm_above`` calls the first press only asks, and
        the search runs on "Spend them" (``confirmed=True``). Showing the results fetches thumbnails of the
        table's first page and of the gallery: image links, not API calls.
        """
        if self._searching:
            return None
        self.error = None
        self.message.value = ""
        images = self.picker.images
        if not images:
            return self._finish(None, "Pick at least one image first.")
        if self._views_problem():
            return self._finish(None, self._views_problem())
        try:
            design_query = self.form.design_query
        except ValidationError as exc:
            return self._finish(None, describe_error(exc))
        if self.client is None:
            return self._finish(None, "No client: create the app with SearchApp(pa.connect()).")
        cost = self.search_cost()
        if not confirmed and cost is not None and cost > self.confirm_above:
            self._ask(cost)
            return None
        self._ask(None)
        before = self.client.stats.as_dict()
        self._searching = True
        self._update_button()
        self.progress.max, self.progress.value = len(images), 0
        self.progress.layout.visibility = "visible"
        self._set_status(f"Searching {_plural(len(images), 'image')}…")
        try:
            with warnings.catch_warnings():
                # a stopped batch warns; here the app says it in its own message instead
                warnings.simplefilter("ignore")
                df = self._run(images, design_query, before)
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
            self._clear_results("The search failed; see the message above.")
        return self._finish(df, problem, before)

    def set_verdict(self, hit: pd.Series, verdict: str | None) -> bool:
        """Store a reviewer's verdict on one hit (``None`` deletes it) through ``client.verdicts``, at once; what
        the results table's drop-downs do. Never raises: a problem is a message. Returns whether it was stored.
        Costs no call."""
        try:
            if verdict is None:
                self._connected.verdicts.forget(hit)
            else:
                self._connected.verdicts.record(hit, verdict)
        except Exception as exc:  # the app's promise: a message, never a traceback
            self.error = describe_error(exc)
            self.message.value = self._error_html(self.error)
            return False
        if self.results is not None:  # exports and the report show the verdict from now on
            self.results = self._connected.with_verdicts(self.results)
            self.exporter.use(self.results, self.exporter.query_images)
        self._set_status(f"{hit.get('patent_pn', 'hit')}: {verdict or 'verdict removed'} (stored).")
        return True

    def details_cost(self) -> int | None:
        """How many calls :meth:`add_details` would spend now (``None`` without results); costs no call.

        Example:
            >>> SearchApp(client=None, samples=None).details_cost() is None
            True
        """
        if self.results is None or self.client is None or not len(self.results):
            return None
        return int(self.client.enrich(self.results, dry_run=True))

    def add_details(self, _button: Any = None) -> pd.DataFrame | None:
        """Add holders, filing and publication dates and legal status to the results (``client.enrich``), then
        show them in the table, the charts and the exports. Never raises.

        Cost: :meth:`details_cost` calls, said on the button before it is pressed: ceil(designs not yet
        looked up / 100) per kind (P011 bibliography, P041 simple and P013 full legal status); designs looked up
        before cost nothing.
        """
        if self.results is None or self.client is None:
            self.error = "Search first: there are no results to add details to."
            self.message.value = self._error_html(self.error)
            return None
        before = self.client.stats.as_dict()
        self.details_button.disabled = True
        self._set_status("Looking up holders, dates and legal status…")
        try:
            rich = self.client.enrich(self.results, progress=False)
        except Exception as exc:  # the app's promise: a message, never a traceback
            self.error = describe_error(exc)
            self.message.value = self._error_html(self.error)
            self._set_status("Details could not be added.")
            rich = None
        if rich is not None:
            self.error = None
            self.message.value = ""
            self._show_results(rich)
            rich = self.results  # with the stored verdicts, if any
            self._set_status(f"Details added to {_plural(rich['patent_id'].nunique(), 'design')}.")
        self._show_cost(before, what="Details")
        self._offer_details()
        return rich

    # ------------------------------------------------------------------ searching
    def _run(self, images: list[ImageRef], design_query: DesignQuery, before: dict[str, Any]) -> pd.DataFrame:
        # the form's design query is searched as it is (its endpoint, whatever the client's default)
        if design_query.endpoint == "image-multiple":  # the picked images are views of one design: one search
            df = self._connected.search_designs(Views(*images), design_query=design_query)
            self.progress.value = len(images)
            return df
        if len(images) == 1:
            df = self._connected.search_designs(images[0], design_query=design_query)
            self.progress.value = 1
            return df
        return self._run_batch(images, design_query, before)

    def _run_batch(self, images: list[ImageRef], design_query: DesignQuery, before: dict[str, Any]) -> pd.DataFrame:
        """``client.search_many`` in a worker thread while this thread moves the progress bar.

        The batch has its own (tqdm) bar, but a button callback has no cell to print it in; searches done are
        read from the client's counters instead (one search call or one cache hit per image).
        """
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["df"] = self._connected.search_many(images, progress=False, design_query=design_query)
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
        now = self._connected.stats.as_dict()
        paths = [e.path for e in SEARCH_ENDPOINTS.values()]
        sent = sum(now["calls"].get(p, 0) - before["calls"].get(p, 0) for p in paths)
        return sent + now["search_cache_hits"] - before["search_cache_hits"]

    @staticmethod
    def _batch_problem(df: pd.DataFrame) -> str | None:
        """What a batch could not do (it never raises for one image): the stop reason and the failed images."""
        parts = []
        info = ResultInfo.of(df)
        if info.stopped:
            parts.append(f"Stopped: {info.stopped.get('error')}: {info.stopped.get('message')}")
        if info.pending:
            parts.append(f"not searched (pending): {', '.join(map(str, info.pending))}")
        for f in info.failures:
            parts.append(f"{f.get('image')}: {f.get('error')}: {f.get('message')}")
        return "; ".join(parts) or None

    # ------------------------------------------------------------------ showing
    def _show_results(self, df: pd.DataFrame) -> None:
        client = self.client
        if client is not None and getattr(client, "verdicts", None) is not None and len(df) and len(client.verdicts):
            df = client.with_verdicts(df)  # hits reviewed before show how (no call)
        self.results = df
        self.table.show(df, "No similar designs matched these filters.")
        pictures = query_images(df, self.picker.images)
        self.exporter.use(df, {name: refs[0].data for name, refs in pictures.items() if refs})
        self.charts = {}
        self._offer_details()
        if not len(df):
            self.gallery.value = "<i>No results.</i>"
            self.chart_output.outputs = (_text_output("No results."),)
            return
        if "image_url" in df.columns:  # the gallery's images, a few at a time, before it asks for them one by one
            ranked = df.sort_values("rank", kind="stable") if "rank" in df.columns else df
            self.thumbnails.prefetch(ranked.groupby("query", sort=False).head(self.gallery_size)["image_url"])
        self.gallery.value = gallery_html(
            df, thumbnail=self.thumbnails.uri, per_query=self.gallery_size,
            query_pictures={name: [Thumbnails.of_image(ref) for ref in refs] for name, refs in pictures.items()})
        self.chart_output.outputs = tuple(self._charts(df))

    def _charts(self, df: pd.DataFrame) -> list[dict[str, Any]]:
        """The charts the frame's columns allow, as display messages (and PNG bytes in ``self.charts``)."""
        from .. import plots  # Matplotlib loads on the first search, not when the app is built

        # small PNGs, and each figure closed at once so it never shows up again in the next cell
        png = functools.partial(plots.figure_png, dpi=80, bbox_inches="tight")
        drawers = [("score_distribution", plots.score_distribution), ("office_breakdown", plots.office_breakdown)]
        if df["query"].nunique() > 1:
            drawers.append(("overlap_heatmap", plots.overlap_heatmap))
        if "loc" in df.columns and df["loc"].notna().any():
            drawers.append(("loc_breakdown", plots.loc_breakdown))
        if "simple_legal_status_label" in df.columns:
            drawers.append(("status_breakdown", plots.status_breakdown))
        if "current_assignee" in df.columns and df["current_assignee"].notna().any():
            drawers.append(("assignee_breakdown", plots.assignee_breakdown))
        if "application_date" in df.columns and df["application_date"].notna().any():
            drawers.append(("filing_timeline", plots.filing_timeline))
        outputs = []
        for name, draw in drawers:
            try:
                self.charts[name] = png(draw(df).figure)
                outputs.append(_png_output(self.charts[name], name.replace("_", " ")))
            except Exception as exc:  # a chart must never hide the results table
                outputs.append(_text_output(f"{name.replace('_', ' ')} unavailable: {exc}"))
        return outputs

    def _clear_results(self, message: str) -> None:
        self.table.show(None, message)
        self.gallery.value = f"<i>{html.escape(message)}</i>"
        self.chart_output.outputs = ()
        self.charts = {}
        self.exporter.use(None)
        self._offer_details()

    def _offer_details(self) -> None:
        """The details button says what it will cost before anyone presses it."""
        try:
            calls = self.details_cost()
        except Exception:  # a cost that cannot be worked out now: offer nothing rather than guess
            calls = None
        self.details_button.disabled = calls is None or self._searching
        cost = ("" if calls is None else " (no call: looked up before)" if calls == 0
                else f" ({_plural(calls, 'API call')})")
        self.details_button.description = f"Add holders, dates & status{cost}"

    def _show_cost(self, before: dict[str, Any] | None, what: str = "This search") -> None:
        """The cost line: what the last search (or details lookup) cost since ``before``, then the session's
        totals; ``before=None`` updates the totals only (an export costs no call)."""
        if self.client is None or not hasattr(self.client, "stats"):
            self.cost.value = ""
            return
        now = self.client.stats.as_dict()
        if before is not None:
            calls = now["total_calls"] - before["total_calls"]
            hits = now["search_cache_hits"] - before["search_cache_hits"]
            reuses = now["upload_reuses"] - before["upload_reuses"]
            images = now["image_cache_hits"] - before["image_cache_hits"]
            self._last_cost = (f"{what}: <b>{_plural(calls, 'API call')}</b> ({_plural(hits, 'search cache hit')}, "
                               f"{_plural(reuses, 'upload reuse')}, {_plural(images, 'thumbnail cache hit')}) · ")
        session = (f"session: {_plural(now['total_calls'], 'API call')} sent, {now['calls_saved']} saved by the "
                   f"cache; {now['image_downloads']} result images fetched and {now['image_cache_hits']} read "
                   "again from the cache (image links, not calls)")
        self.cost.value = f"<small class='pa-app-cost'>{self._last_cost}{html.escape(session)}</small>"

    @staticmethod
    def _error_html(problem: str) -> str:
        return f'<div class="pa-app-error" style="color:#b00020;white-space:pre-wrap">⚠ {html.escape(problem)}</div>'

    def _finish(self, df: pd.DataFrame | None, problem: str | None,
                before: dict[str, Any] | None = None) -> pd.DataFrame | None:
        self.error = problem
        self._update_button(set_status=False)
        if problem:
            self.message.value = self._error_html(problem)
        if df is not None:
            n, q = len(df), df["query"].nunique() if "query" in df.columns else 0
            self._set_status(f"{_plural(n, 'result')} for {_plural(q, 'image')}{sandbox_mark(df)}.")
        elif problem:
            self._set_status("Search failed." if before is not None else "Not searched.")
        if before is not None:
            self._show_cost(before)
        for callback in list(self._callbacks):
            callback(self)
        return df

    def _views_problem(self) -> str | None:
        """Why the picked images cannot be one image-multiple search (more views than one design has), in words."""
        n = len(self.picker.images)
        if self.form.endpoint.value == "image-multiple" and n > MAX_VIEWS:
            return (f"image-multiple searches 1 to {MAX_VIEWS} pictures of ONE design, and {n} images are picked: "
                    f"remove {n - MAX_VIEWS} of them, or choose another endpoint to search each image on its own.")
        return None

    def _ask(self, cost: int | None) -> None:
        """Show (``cost``) or hide (``None``) the question "spend N calls?" beside Search."""
        shown = "inline-flex" if cost is not None else "none"
        self.confirm_button.layout.display = self.cancel_button.layout.display = shown
        if cost is not None:
            self.confirm_button.description = f"Spend {_plural(cost, 'API call')}"
            self._set_status(f"This search costs {_plural(cost, 'API call')} (more than {self.confirm_above}): "
                             "press Spend to search, or Cancel.")

    def _show_search_cost(self) -> None:
        cost = self.search_cost()
        self.cost_preview.value = ("" if cost is None else
                                   "<small class='pa-search-cost'>no API call: the cache has it</small>"
                                   if cost == 0 else f"<small class='pa-search-cost'>costs "
                                   f"<b>{_plural(cost, 'API call')}</b></small>")

    def _set_status(self, text: str) -> None:
        self._status = text
        self.status_line.value = f"<span class='pa-app-status'>{html.escape(text)}</span>"

    def _update_button(self, set_status: bool = True) -> None:
        problem = self._views_problem()
        ready = bool(self.picker.images) and self.form.valid and not self._searching and problem is None
        self.search_button.disabled = not ready
        self._ask(None)
        self._show_search_cost()
        if self._searching or not set_status:
            return
        if not self.picker.images:
            self._set_status("Pick at least one image to search.")
        elif problem:
            self._set_status(problem)
        elif not self.form.valid:
            self._set_status("Fix the filters marked in red to search.")
        else:
            n = len(self.picker.images)
            self._set_status(f"Ready to search {_plural(n, 'image')}.")
