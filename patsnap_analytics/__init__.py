"""patsnap-analytics: find registered designs that look like an image, as pandas DataFrames.

The public names are :func:`connect`, :class:`Client`, :class:`DesignQuery`, :class:`UploadedImage`, the
error tree (:mod:`patsnap_analytics.errors`) and the code tables (:mod:`patsnap_analytics.codes`:
``pa.codes.find_loc("watch")``, ``pa.codes.find_office("korea")``). Charts (``plots``), widgets (``widgets``), the report
(``report``), scoring studies (``study``: metrics, fusion, calibration) and the sandbox server (``sandbox``) load only
when used, so importing the package is cheap; reviewers' verdicts are ``pa.verdicts``; a team's shared Redis is
``pa.Team`` (``docs/team.md``).

Example:
    >>> import patsnap_analytics as pa
    >>> pa.DesignQuery(country="us,cn", limit=20).to_api_params()
    {'country': 'CN,US', 'limit': '20', 'order': 'desc'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import codes
from .api import CHINA_BASE_URL, INTERNATIONAL_BASE_URL
from .client import Client
from .connect import connect
from .errors import (
    APIError,
    AuthError,
    BalanceExhaustedError,
    BatchStopped,
    BudgetExceeded,
    CredentialsRejectedError,
    DailyQuotaExceededError,
    InvalidImageError,
    OfflineCacheMiss,
    PatsnapError,
    PermissionDeniedError,
    ProtocolError,
    QuotaExhaustedError,
    RateLimitError,
    RequestRejectedError,
    RetryableError,
    ServiceError,
    TokenExpiredError,
    TransportError,
    UploadRejectedError,
    ValidationError,
)
from .images import Views
from .query import DesignQuery
from .searcher import IncompleteSearchWarning
from .uploads import UploadedImage

if TYPE_CHECKING:  # loaded on first use (below), like the heavy modules: most sessions never share a Redis
    from .store.team import Team
from .wire.retry import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "CHINA_BASE_URL",
    "INTERNATIONAL_BASE_URL",
    "APIError",
    "AuthError",
    "BalanceExhaustedError",
    "BatchStopped",
    "BudgetExceeded",
    "Client",
    "CredentialsRejectedError",
    "DailyQuotaExceededError",
    "DesignQuery",
    "IncompleteSearchWarning",
    "InvalidImageError",
    "OfflineCacheMiss",
    "PatsnapError",
    "PermissionDeniedError",
    "ProtocolError",
    "QuotaExhaustedError",
    "RateLimitError",
    "RequestRejectedError",
    "RetryPolicy",
    "RetryableError",
    "ServiceError",
    "Team",
    "TokenExpiredError",
    "TransportError",
    "UploadRejectedError",
    "UploadedImage",
    "ValidationError",
    "Views",
    "codes",
    "connect",
]

_LAZY_MODULES = ("plots", "widgets", "report", "sandbox", "batch", "labels", "exports", "enrich", "thumbnails",
                 "demo", "verdicts", "study", "workflows")


#: Public names whose module loads on first use: ``pa.Team`` (a team's Redis, ``docs/team.md``).
_LAZY_NAMES = {"Team": "store.team"}


def __getattr__(name: str):
    # heavy parts (matplotlib, ipywidgets, the server) load on first use: `pa.plots.office_breakdown(...)`
    if name in _LAZY_MODULES or name in _LAZY_NAMES:
        import importlib

        if name in _LAZY_NAMES:
            return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
