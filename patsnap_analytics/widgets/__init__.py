"""Notebook widgets: a filter form, an image picker and the search app that combines them (ipywidgets 8).

``display(SearchApp(pa.connect()))`` is the whole app. The parts are usable alone: :class:`FilterForm`
(``.query`` is a validated :class:`~patsnap_analytics.query.DesignQuery`) and :class:`ImagePicker`
(``.images`` are validated :class:`~patsnap_analytics.images.ImageRef`). This package imports ipywidgets, so it
is loaded only when used (``pa.widgets`` or an explicit import).

Example:
    >>> from patsnap_analytics.widgets import FilterForm
    >>> FilterForm().query.limit
    10
"""

from __future__ import annotations

from .app import SearchApp, describe_error, results_table_html
from .form import FilterForm
from .picker import ImagePicker

__all__ = [
    "FilterForm",
    "ImagePicker",
    "SearchApp",
    "describe_error",
    "results_table_html",
]
