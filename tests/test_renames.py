"""Issue 24: names renamed so that each word means one thing keep their old spelling for one release.

Each old spelling still works and says so with a ``DeprecationWarning`` naming the new one (``renames.py``);
the new spelling warns nothing. Chart keywords are tested in ``test_plots.py``.
"""

from __future__ import annotations

import warnings

import pytest

from patsnap_analytics.query import FILTERS


def test_a_filter_s_caption_is_no_longer_called_its_label():
    # label() labels rows and *_label columns hold status words: the words a filter is shown with are its caption
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FILTERS["limit"].caption == "Results"
    with pytest.warns(DeprecationWarning, match=r"Filter\.label is renamed Filter\.caption"):
        assert FILTERS["limit"].label == "Results"


def test_an_export_button_s_caption_is_no_longer_called_its_label():
    pytest.importorskip("ipywidgets")
    from patsnap_analytics.widgets.exporter import EXPORTS

    with pytest.warns(DeprecationWarning, match=r"ExportKind\.label is renamed ExportKind\.caption"):
        assert EXPORTS["csv"].label == EXPORTS["csv"].caption == "CSV"
