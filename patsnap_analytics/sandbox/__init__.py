"""The embedded, API-compatible PatSnap sandbox: a local server for tests, demos and offline work.

``from patsnap_analytics.sandbox import Sandbox`` is cheap: the server, FastAPI, the corpus and the
engine are imported only when first used.

Example:
    >>> from patsnap_analytics.sandbox import Sandbox
    >>> Sandbox.__name__
    'Sandbox'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["Sandbox"]


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from .server import Sandbox

        return Sandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
