"""FilterForm: one widget per search filter, validated live by :class:`~patsnap_analytics.query.DesignQuery`.

Every change re-validates the whole form. A bad value shows its rule in red beside the widget that holds it and
sets :attr:`FilterForm.valid` to ``False`` (an observable trait, so a Search button can follow it). The form never
has validation rules of its own: ``DesignQuery`` is the one place they live, so the form and ``search_designs``
can never disagree about what is allowed.

Example:
    >>> form = FilterForm()
    >>> form.loc.value = "(10-02 OR"
    >>> form.valid, form.messages["loc"].startswith("expected")
    (False, True)
    >>> form.loc.value = "10-02 or 10-07"
    >>> form.valid, form.query.loc
    (True, '10-02 OR 10-07')
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from .. import codes
from ..api import SEARCH_ENDPOINTS
from ..errors import ValidationError
from ..query import DATE_PARAMS, DEFAULT_ENDPOINT, FILTERS, MODELS, SORT_FIELDS, DesignQuery

__all__ = ["FilterForm"]

_DEFAULT = DesignQuery()
#: (label shown, value of the ``field`` filter); "" stands for None because a Dropdown cannot hold None cleanly.
SORT_OPTIONS = (("similarity", ""), *((words, code) for code, words in SORT_FIELDS.items()))
_LABEL_WIDTH = "130px"


def _coded_options(table: dict[Any, str]) -> list[tuple[str, Any]]:
    """(label, code) pairs, sorted by label, so analysts pick words and the API receives codes."""
    return sorted(((f"{name} ({code})", code) for code, name in table.items()), key=lambda o: o[0].lower())


def _model_options(patent_type: str) -> list[tuple[str, int]]:
    return [(f"{code} {words}", code) for code, words in MODELS[patent_type].items()]


def _error_html(rule: str) -> str:
    return f'<span class="pa-form-error" style="color:#b00020">⚠ {html.escape(rule)}</span>'


class FilterForm(w.VBox):
    """The search filters as widgets: ``.query`` is the validated :class:`DesignQuery`.

    * ``valid`` — ``True`` while every widget holds an acceptable value (observe it: ``form.observe(f, "valid")``).
    * ``messages`` — ``{filter name: rule}`` for each offending filter (shown beside its widget).
    * :meth:`on_change` — call back with the form after every edit.
    * ``form.query = q`` / :meth:`from_query` — load a query into the widgets (a round trip gives ``q`` back).

    Example:
        >>> q = DesignQuery(country=["US", "CN"], simple_legal_status=[1], limit=25, field="PBD", order="asc")
        >>> FilterForm.from_query(q).query == q
        True
        >>> dict(FilterForm().country.options)["United States (US)"]
        'US'
    """

    valid = traitlets.Bool(True, help="whether the form holds a valid query")

    def __init__(self, query: DesignQuery | None = None, **kwargs: Any) -> None:
        layout = {"description_width": _LABEL_WIDTH}
        text_layout = w.Layout(width="420px")
        multi_layout = w.Layout(width="420px", height="110px")
        f = FILTERS  # labels and hints come from the one filter table
        self.loc = w.Text(description=f["loc"].label, placeholder="e.g. 10-02 OR (14 AND NOT 14-03)",
                          style=layout, layout=text_layout)
        self.assignees = w.Text(description=f["assignees"].label, placeholder=f["assignees"].help,
                                style=layout, layout=text_layout)
        self.legal_status = w.SelectMultiple(description=f["legal_status"].label,
                                             options=_coded_options(codes.LEGAL_STATUS), style=layout,
                                             layout=multi_layout)
        self.simple_legal_status = w.SelectMultiple(
            description=f["simple_legal_status"].label, options=_coded_options(codes.SIMPLE_LEGAL_STATUS), rows=4,
            style=layout, layout=w.Layout(width="420px", height="80px"))
        self.country = w.SelectMultiple(description=f["country"].label, options=_coded_options(codes.OFFICES),
                                        style=layout, layout=multi_layout)
        self.main_field = w.Text(description=f["main_field"].label, placeholder=f["main_field"].help,
                                 style=layout, layout=text_layout)
        self.dates = {name: w.DatePicker(description=f[name].label, style=layout) for name in DATE_PARAMS}
        self.endpoint = w.Dropdown(description="Endpoint", options=list(SEARCH_ENDPOINTS), value=DEFAULT_ENDPOINT,
                                   style=layout, tooltip="image-multiple: the picked images are views of one design")
        self.patent_type = w.Dropdown(description=f["patent_type"].label,
                                      options=[(f"{words} ({code})", code) for code, words in f["patent_type"].table.items()],
                                      value="D", style=layout)
        self.model = w.Dropdown(description=f["model"].label, options=_model_options("D"), value=1, style=layout)
        self.limit = w.IntSlider(description=f["limit"].label, min=f["limit"].low, max=f["limit"].high,
                                 value=_DEFAULT.limit, style=layout, layout=w.Layout(width="420px"))
        self.field = w.Dropdown(description=f["field"].label, options=SORT_OPTIONS, value="", style=layout)
        self.order = w.ToggleButtons(description=f["order"].label,
                                     options=(("descending", "desc"), ("ascending", "asc")), value="desc",
                                     style=layout)
        self.widgets: dict[str, w.ValueWidget] = {
            "endpoint": self.endpoint, "patent_type": self.patent_type, "model": self.model, "loc": self.loc, "assignees": self.assignees, "legal_status": self.legal_status,
            "country": self.country, "simple_legal_status": self.simple_legal_status,
            "main_field": self.main_field, **self.dates, "limit": self.limit, "field": self.field,
            "order": self.order,
        }
        self._message_widgets = {name: w.HTML(layout=w.Layout(margin="0 0 0 8px")) for name in self.widgets}
        self.messages: dict[str, str] = {}
        self._callbacks: list[Callable[[FilterForm], None]] = []
        self._loading = False
        rows = [w.HBox([self.widgets[name], self._message_widgets[name]],
                       layout=w.Layout(align_items="center")) for name in self.widgets]
        kwargs.setdefault("layout", w.Layout(padding="4px"))
        super().__init__(rows, **kwargs)
        self.add_class("pa-filter-form")
        for widget in self.widgets.values():
            widget.observe(self._changed, "value")
        self.patent_type.observe(self._models_for_type, "value")
        self._show_endpoint_fields()
        if query is not None:
            self.query = query
        else:
            self._validate()

    # ------------------------------------------------------------------ public API
    @classmethod
    def from_query(cls, query: DesignQuery) -> FilterForm:
        """A form showing ``query``.

        Example:
            >>> FilterForm.from_query(DesignQuery(loc="14-03", limit=5)).limit.value
            5
        """
        return cls(query=query)

    @property
    def query(self) -> DesignQuery:
        """The validated query; raises :class:`~patsnap_analytics.errors.ValidationError` while the form is invalid.

        Example:
            >>> form = FilterForm(); form.limit.value = 30
            >>> form.query.limit
            30
        """
        return DesignQuery.from_filters(**self.filters())

    @query.setter
    def query(self, query: DesignQuery) -> None:
        self._loading = True  # one validation and one callback for the whole load, not one per widget
        try:
            self.endpoint.value = query.endpoint
            self.patent_type.value = query.patent_type or "D"
            self.model.value = query.model or next(iter(MODELS[self.patent_type.value]))
            self.loc.value = query.loc or ""
            self.assignees.value = ", ".join(query.assignees)
            self.legal_status.value = tuple(query.legal_status)
            self.simple_legal_status.value = tuple(query.simple_legal_status)
            missing = [c for c in query.country if c not in {v for _, v in self.country.options}]
            if missing:  # an office the code table does not name yet is still a valid filter
                self.country.options = [*self.country.options, *((f"{c} ({c})", c) for c in missing)]
            self.country.value = tuple(query.country)
            self.main_field.value = query.main_field or ""
            for name, picker in self.dates.items():
                picker.value = getattr(query, name)
            self.limit.value = query.limit
            self.field.value = query.field or ""
            self.order.value = query.order
        finally:
            self._loading = False
        self._changed()

    def filters(self) -> dict[str, Any]:
        """The widgets' values as ``search_designs`` keywords (not validated; see :attr:`query`).

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
            "order": self.order.value,
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
        self.query = DesignQuery()

    # ------------------------------------------------------------------ validation
    def _models_for_type(self, change: dict) -> None:
        """The model list follows the patent type (D: 1, 2; U: 3, 4), keeping the recommended one."""
        self.model.options = _model_options(change["new"])
        self.model.value = next(iter(MODELS[change["new"]]))

    def _show_endpoint_fields(self) -> None:
        newer = self.endpoint.value != DEFAULT_ENDPOINT
        self.patent_type.disabled = self.model.disabled = not newer

    def _changed(self, change: dict | None = None) -> None:
        self._show_endpoint_fields()
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
            text = self.query.describe()
        except ValidationError as exc:
            text = f"invalid: {exc}"
        return f"FilterForm({text})"

