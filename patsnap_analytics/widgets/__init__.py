"""Notebook widgets: a filter form, an image picker and the search app that combines them (ipywidgets 8).

``display(SearchApp(pa.connect()))`` is the whole app (``notebooks/app.ipynb`` serves it with Voilà; the user
guide is ``docs/app.md``). The parts are usable alone: :class:`FilterForm` (``.design_query`` is a validated
:class:`~patsnap_analytics.query.DesignQuery`), :class:`ImagePicker` (``.images`` are validated
:class:`~patsnap_analytics.images.ImageRef`), :class:`LocPicker` (Locarno classes by words),
:class:`CheckboxGroup`, :class:`ResultsTable` and :class:`ExportPanel`. This package imports ipywidgets, so it
is loaded only when used (``pa.widgets`` or an explicit import).

Example:
    >>> from patsnap_analytics.widgets import FilterForm
    >>> FilterForm().design_query.limit
    10
"""

from __future__ import annotations

from .app import SearchApp, describe_error
from .choices import CheckboxGroup
from .exporter import ExportPanel
from .form import FilterForm
from .locarno import LocPicker
from .picker import ImagePicker
from .results import ResultsTable, Thumbnails, gallery_html, results_table_html

__all__ = [
    "CheckboxGroup",
    "ExportPanel",
    "FilterForm",
    "ImagePicker",
    "LocPicker",
    "ResultsTable",
    "SearchApp",
    "Thumbnails",
    "describe_error",
    "gallery_html",
    "results_table_html",
]
