"""FilterForm: one widget per search filter, validated live by :class:`~patsnap_analytics.query.DesignQuery`.

Every change re-validates the whole form. A bad value shows its rule in red beside the widget that holds it and
sets :attr:`FilterForm.valid` to ``False`` (an observable trait, so a Search button can follow it). The form never
has validation rules of its own: ``DesignQuery`` is the one place they live, so the form and ``search_designs``
can never disagree about what is allowed.

Written for people who do not search every day: several choices are checkboxes, never Ctrl-click lists (offices,
statuses), with what few searches need folded away (the long tail of offices, PCT stages — designs never go
through PCT —, the detailed legal status); Locarno classes are found by words (:class:`LocPicker`); "Order" is
offered only when sorting by a date, since by similarity the most similar design always comes first.

Example:
    >>> form = FilterForm()
    >>> form.loc.value = "(10-02 OR"
    >>> form.valid, form.messages["loc"].startswith("expected")
    (False, True)
    >>> form.loc.value = "10-02 or 10-07"
    >>> form.valid, form.design_query.loc
    (True, '10-02 OR 10-07')
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as w
import traitlets

from .. import codes
from ..api import SEARCH_ENDPOINTS
from ..errors import ValidationError
from ..query import DATE_PARAMS, DEFAULT_ENDPOINT, FILTERS, MODELS, SORT_FIELDS, DesignQuery
from ..renames import renamed_keyword, warn_renamed
from .choices import CheckboxGroup, collapsed
from .locarno import LocPicker

__all__ = ["ENDPOINT_HELP", "MAIN_OFFICES", "PCT_LEGAL_STATUS", "PCT_SIMPLE_STATUS", "FilterForm"]

#: What each search endpoint is for, in the words of someone who does not know the API (the app's help line).
ENDPOINT_HELP: dict[str, str] = {
    "search-id": "the standard search: similar designs with their number, title, drawing and score",
    "image-single": "similar designs with holders, filing dates, offices and Locarno classes in the results",
    "image-single-beta": "as image-single, for photos and renderings: the picture is first turned into a line "
                         "drawing",
    "image-multiple": "1 to 4 pictures of ONE design (front, side, top…) searched together as that design",
}
_MODEL_HELP = ("how similarity is judged; designs: 1 smart recommendation (default) or 2 pure image search; "
               "utility models: 3 shape or 4 shape and colour")

_DEFAULT = DesignQuery()
#: (caption shown, value of the ``field`` filter); "" stands for None because a Dropdown cannot hold None cleanly.
SORT_OPTIONS = (("similarity", ""), *((words, code) for code, words in SORT_FIELDS.items()))
#: Offices shown as checkboxes at once (the rest are under "More offices"): where most designs are registered.
MAIN_OFFICES = ("CN", "US", "EU", "WO", "JP", "KR", "GB", "DE", "FR", "IT", "ES", "CH", "HK", "TW", "AU",
                "CA", "IN", "BR")
#: Status codes of PCT stages: utility models can pass through the PCT, designs never do (they use the Hague
#: system), so these are folded away.
PCT_SIMPLE_STATUS = (220, 221)
PCT_LEGAL_STATUS = (222, 223, 224, 225)
_CAPTION_WIDTH = "130px"
_PCT_FOLD = "PCT stages (utility models only; designs have none)"


def _coded_options(table: Mapping[Any, str], only: Iterable[Any] | None = None,
                   by_caption: bool = True) -> list[tuple[str, Any]]:
    """(caption, code) pairs, so analysts pick words and the API receives codes; sorted by caption unless
    ``by_caption`` is False (then in the table's order, which groups related statuses)."""
    keep = set(table) if only is None else set(only)
    options = [(f"{name} ({code})", code) for code, name in table.items() if code in keep]
    return sorted(options, key=lambda o: o[0].lower()) if by_caption else options


def _model_options(patent_type: str) -> list[tuple[str, int]]:
    return [(f"{code} {words}", code) for code, words in MODELS[patent_type].items()]


def _error_html(rule: str) -> str:
    return f'<span class="pa-form-error" style="color:#b00020">⚠ {html.escape(rule)}</span>'


def _caption(text: str) -> w.HTML:
    """A caption for a widget without a description of its own, placed and aligned like the descriptions."""
    return w.HTML(f"<div style='text-align:right'>{html.escape(text)}</div>",
                  layout=w.Layout(width=_CAPTION_WIDTH, min_width=_CAPTION_WIDTH, margin="0 8px 0 0",
                                  align_self="flex-start"))


def _office_choices() -> CheckboxGroup:
    main = [code for code in MAIN_OFFICES if code in codes.OFFICES]
    rest = [code for code in codes.OFFICES if code not in main]
    return CheckboxGroup(_coded_options(codes.OFFICES, main),
                         folds=[(f"More offices ({len(rest)})", _coded_options(codes.OFFICES, rest))])


def _status_choices(table: Mapping[int, str], pct: tuple[int, ...]) -> CheckboxGroup:
    usual = [code for code in table if code not in pct]
    return CheckboxGroup(_coded_options(table, usual, by_caption=False),
                         folds=[(_PCT_FOLD, _coded_options(table, pct, by_caption=False))])


class FilterForm(w.VBox):
    """The search filters as widgets: ``.design_query`` is the validated :class:`DesignQuery`.

    * ``valid`` — ``True`` while every widget holds an acceptable value (observe it: ``form.observe(f, "valid")``).
    * ``messages`` — ``{filter name: rule}`` for each offending filter (shown beside its widget).
    * :meth:`on_change` — call back with the form after every edit.
    * ``form.design_query = q`` / :meth:`from_design_query` — load a design query into the widgets (a round trip
      gives ``q`` back; sorted by similarity, the order is always descending). ``query``, ``from_query`` and
      ``FilterForm(query=...)``, the old spellings, work until 0.2 with a ``DeprecationWarning``.
    * ``country``, ``simple_legal_status``, ``legal_status`` are :class:`CheckboxGroup` (``.value`` is the tuple
      of ticked codes), the detailed legal status folded in ``legal_section``; ``loc_picker`` finds Locarno
      classes by words and writes ``loc``.

    Example:
        >>> q = DesignQuery(country=["US", "CN"], simple_legal_status=[1], limit=25, field="PBD", order="asc")
        >>> FilterForm.from_design_query(q).design_query == q
        True
        >>> dict(FilterForm().country.options)["United States (US)"]
        'US'
    """

    valid = traitlets.Bool(True, help="whether the form holds a valid design query")

    def __init__(self, design_query: DesignQuery | None = None, **kwargs: Any) -> None:
        design_query = renamed_keyword(kwargs, "query", "design_query", where="FilterForm", default=design_query)
        layout = {"description_width": _CAPTION_WIDTH}
        text_layout = w.Layout(width="420px")
        f = FILTERS  # captions and hints come from the one filter table
        self.loc = w.Text(description=f["loc"].caption, placeholder="e.g. 10-02 OR (14 AND NOT 14-03)",
                          style=layout, layout=text_layout)
        self.loc_picker = LocPicker(self.loc)
        self.assignees = w.Text(description=f["assignees"].caption, placeholder=f["assignees"].help,
                                style=layout, layout=text_layout)
        self.country = _office_choices()
        self.simple_legal_status = _status_choices(codes.SIMPLE_LEGAL_STATUS, PCT_SIMPLE_STATUS)
        self.legal_status = _status_choices(codes.LEGAL_STATUS, PCT_LEGAL_STATUS)
        #: the detailed legal status, folded: most searches want the simple status only
        self.legal_section = collapsed(self.legal_status, f"{f['legal_status'].caption} (detailed)")
        self.legal_section.layout = w.Layout(width=self.country.width)
        self.main_field = w.Text(description=f["main_field"].caption, placeholder=f["main_field"].help,
                                 style=layout, layout=text_layout)
        self.dates = {name: w.DatePicker(description=f[name].caption, style=layout) for name in DATE_PARAMS}
        self.endpoint = w.Dropdown(description="Endpoint", options=list(SEARCH_ENDPOINTS), value=DEFAULT_ENDPOINT,
                                   style=layout, tooltip="which PatSnap search to use (each costs 1 API call per "
                                                         "100 results)")
        #: plain words under Endpoint and Model: what the chosen search does, and what a model is
        self.endpoint_help = w.HTML(layout=w.Layout(margin="0 0 0 138px"))
        self.endpoint_help.add_class("pa-endpoint-help")
        self.patent_type = w.Dropdown(description=f["patent_type"].caption,
                                      options=[(f"{words} ({code})", code) for code, words in f["patent_type"].table.items()],
                                      value="D", style=layout)
        self.model = w.Dropdown(description=f["model"].caption, options=_model_options("D"), value=1, style=layout,
                                tooltip=_MODEL_HELP)
        self.limit = w.IntSlider(description=f["limit"].caption, min=f["limit"].low, max=f["limit"].high,
                                 value=_DEFAULT.limit, style=layout, layout=w.Layout(width="420px"))
        self.field = w.Dropdown(description=f["field"].caption, options=SORT_OPTIONS, value="", style=layout)
        # captioned by the row, not by description=: Voilà lays a ToggleButtons' description out above its buttons
        self.order = w.ToggleButtons(options=(("descending", "desc"), ("ascending", "asc")), value="desc",
                                     style={"button_width": "110px"},
                                     tooltip="by similarity the most similar design comes first")
        self.widgets: dict[str, w.DOMWidget] = {
            "endpoint": self.endpoint, "patent_type": self.patent_type, "model": self.model, "loc": self.loc,
            "country": self.country, "simple_legal_status": self.simple_legal_status,
            "legal_status": self.legal_status, "assignees": self.assignees, "main_field": self.main_field,
            **self.dates, "limit": self.limit, "field": self.field, "order": self.order,
        }
        self._message_widgets = {name: w.HTML(layout=w.Layout(margin="0 0 0 8px")) for name in self.widgets}
        self.messages: dict[str, str] = {}
        self._callbacks: list[Callable[[FilterForm], None]] = []
        self._loading = False
        kwargs.setdefault("layout", w.Layout(padding="4px"))
        super().__init__(self._rows(), **kwargs)
        self.add_class("pa-filter-form")
        for widget in self.widgets.values():
            widget.observe(self._changed, "value")
        self.patent_type.observe(self._models_for_type, "value")
        self.field.observe(self._order_follows_sort, "value")
        self._enable_fields()
        if design_query is not None:
            self.design_query = design_query
        else:
            self._validate()

    def _rows(self) -> list[w.Widget]:
        """The form's rows: each filter with its message beside it; the checkbox groups captioned like the rest,
        the detailed legal status folded, and the LOC picker under the LOC expression it writes."""
        def row(name: str, *parts: w.Widget) -> w.HBox:
            return w.HBox([*parts, self._message_widgets[name]], layout=w.Layout(align_items="center"))

        def choices(name: str) -> w.HBox:
            return row(name, _caption(FILTERS[name].caption), self.widgets[name])

        return [
            row("endpoint", self.endpoint), self.endpoint_help,
            *(row(name, self.widgets[name]) for name in ("patent_type", "model", "loc")),
            w.HBox([_caption(""), self.loc_picker]),
            choices("country"), choices("simple_legal_status"),
            row("legal_status", _caption(""), self.legal_section),
            *(row(name, self.widgets[name]) for name in ("assignees", "main_field", *DATE_PARAMS, "limit", "field")),
            choices("order"),
        ]

    # ------------------------------------------------------------------ public API
    @classmethod
    def from_design_query(cls, design_query: DesignQuery) -> FilterForm:
        """A form showing ``design_query``.

        Example:
            >>> FilterForm.from_design_query(DesignQuery(loc="14-03", limit=5)).limit.value
            5
        """
        return cls(design_query=design_query)

    @classmethod
    def from_query(cls, query: DesignQuery) -> FilterForm:
        """Deprecated spelling of :meth:`from_design_query`."""
        warn_renamed("FilterForm.from_query()", "FilterForm.from_design_query()")
        return cls(design_query=query)

    @property
    def design_query(self) -> DesignQuery:
        """The validated design query; raises :class:`~patsnap_analytics.errors.ValidationError` while the form is
        invalid.

        Example:
            >>> form = FilterForm(); form.limit.value = 30
            >>> form.design_query.limit
            30
        """
        return DesignQuery.from_filters(**self.filters())

    @design_query.setter
    def design_query(self, design_query: DesignQuery) -> None:
        self._loading = True  # one validation and one callback for the whole load, not one per widget
        try:
            self.endpoint.value = design_query.endpoint
            self.patent_type.value = design_query.patent_type or "D"
            self.model.value = design_query.model or next(iter(MODELS[self.patent_type.value]))
            self.loc.value = design_query.loc or ""
            self.assignees.value = ", ".join(design_query.assignees)
            self.legal_status.value = tuple(design_query.legal_status)
            self.simple_legal_status.value = tuple(design_query.simple_legal_status)
            self.country.value = tuple(design_query.country)  # an office the table does not name yet is added
            self.main_field.value = design_query.main_field or ""
            for name, picker in self.dates.items():
                picker.value = getattr(design_query, name)
            self.limit.value = design_query.limit
            self.field.value = design_query.field or ""
            self.order.value = design_query.order if design_query.field else _DEFAULT.order
        finally:
            self._loading = False
        self._changed()

    @property
    def query(self) -> DesignQuery:
        """Deprecated spelling of :attr:`design_query`."""
        warn_renamed("FilterForm.query", "FilterForm.design_query")
        return self.design_query

    @query.setter
    def query(self, design_query: DesignQuery) -> None:
        warn_renamed("FilterForm.query", "FilterForm.design_query")
        self.design_query = design_query

    def filters(self) -> dict[str, Any]:
        """The widgets' values as ``search_designs`` keywords (not validated; see :attr:`design_query`).

        Example:
            >>> FilterForm().filters()["limit"]
            10
        """
        newer = self.endpoint.value != DEFAULT_ENDPOINT  # only the newer endpoints take a type and a model
        return {
            "endpoint": self.endpoint.value,
            "patent_type": self.patent_type.value if newer else None,
            "model": self.model.value if newer else None,
            "loc": self.loc.value.strip() or None,
            "assignees": self.assignees.value,
            "legal_status": list(self.legal_status.value),
            "country": list(self.country.value),
            "simple_legal_status": list(self.simple_legal_status.value),
            "main_field": self.main_field.value or None,
            **{name: picker.value for name, picker in self.dates.items()},
            "limit": int(self.limit.value),
            "field": self.field.value or None,
            # by similarity the most similar comes first: the (disabled) Order toggle has no say
            "order": self.order.value if self.field.value else _DEFAULT.order,
        }

    def on_change(self, callback: Callable[[FilterForm], None], remove: bool = False) -> None:
        """Call ``callback(form)`` after every edit (validation has already run: read ``form.valid``).

        Example:
            >>> form, seen = FilterForm(), []
            >>> form.on_change(lambda f: seen.append(f.valid)); form.loc.value = "99-"
            >>> seen
            [False]
        """
        if remove:
            self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)

    def reset(self) -> None:
        """Back to the defaults (no filters, 10 results by similarity)."""
        self.design_query = DesignQuery()

    # ------------------------------------------------------------------ validation
    def _models_for_type(self, change: dict) -> None:
        """The model list follows the patent type (D: 1, 2; U: 3, 4), keeping the recommended one."""
        self.model.options = _model_options(change["new"])
        self.model.value = next(iter(MODELS[change["new"]]))

    def _order_follows_sort(self, change: dict) -> None:
        """Back to similarity: the order shown goes back to descending, the only one it has."""
        if not change["new"]:
            self.order.value = _DEFAULT.order

    def _enable_fields(self) -> None:
        """Only the newer endpoints take a patent type and a model; only a sort by date takes an order."""
        newer = self.endpoint.value != DEFAULT_ENDPOINT
        self.patent_type.disabled = self.model.disabled = not newer
        self.order.disabled = not self.field.value
        model = f"Model: {_MODEL_HELP}." if newer else "Patent type and Model: only the other endpoints take them."
        self.endpoint_help.value = (f"<small style='color:#555'><b>{html.escape(self.endpoint.value)}</b>: "
                                    f"{html.escape(ENDPOINT_HELP.get(self.endpoint.value, ''))}. "
                                    f"{html.escape(model)}</small>")

    def _changed(self, change: dict | None = None) -> None:
        self._enable_fields()
        if self._loading:
            return
        self._validate()
        for callback in list(self._callbacks):
            callback(self)

    def _validate(self) -> None:
        values = self.filters()
        errors: dict[str, str] = {}
        # each filter alone first, so that every bad widget gets its own message, not only the first one
        context = {"endpoint": values["endpoint"]}
        for name, value in values.items():
            try:  # a model is checked against its patent type, every filter against the endpoint
                extra = {"patent_type": values["patent_type"]} if name == "model" else {}
                DesignQuery.from_filters(**{**context, **extra, name: value})
            except ValidationError as exc:
                errors[name] = exc.rule
        if not errors:
            try:  # rules that span filters (a start date after its end date)
                DesignQuery.from_filters(**values)
            except ValidationError as exc:
                errors[exc.parameter if exc.parameter in self.widgets else "loc"] = exc.rule
        self.messages = errors
        for name, box in self._message_widgets.items():
            box.value = _error_html(errors[name]) if name in errors else ""
        self.valid = not errors

    def __repr__(self) -> str:
        try:
            text = self.design_query.describe()
        except ValidationError as exc:
            text = f"invalid: {exc}"
        return f"FilterForm({text})"

