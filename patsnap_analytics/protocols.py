"""What the modules that take a client use of it, as types a checker can follow.

The report, the exports, the charts' gallery, the widgets and the workflows are handed a
:class:`~patsnap_analytics.client.Client`, but they sit below the facade (or beside it) and must not import it: the
client imports them to offer them. :class:`ClientLike` names the part of the client they use — its searcher,
transport, records, counters and public calls — and :class:`FetchesImages` the one method thumbnails need, so a type
checker sees every use (``Client`` satisfies both; ``tests/test_client.py`` holds it) and a test may pass any object
of that shape. This module imports the parts it names for the type checker only: importing it costs nothing, and
any module may import it without a cycle.

Example:
    >>> from patsnap_analytics.client import Client
    >>> isinstance(Client(api_key="sk-x", cache=False), ClientLike)
    True
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from .query import DesignQuery
    from .records import PatentRecords
    from .searcher import Searcher
    from .uploads import Uploader
    from .verdicts import VerdictStore
    from .wire.stats import ClientStats
    from .wire.transport import Transport
    from .workflows.sources import PatentSources

__all__ = ["ClientLike", "FetchesImages"]


@runtime_checkable
class FetchesImages(Protocol):
    """Anything that fetches a result image through its cache: ``fetch_image(url) -> bytes | None``."""

    def fetch_image(self, url: str) -> bytes | None: ...


@runtime_checkable
class ClientLike(FetchesImages, Protocol):
    """The part of :class:`~patsnap_analytics.client.Client` the modules below it use (their ``client``)."""

    base_url: str
    searcher: Searcher
    transport: Transport
    uploads: Uploader
    records: PatentRecords
    stats: ClientStats
    verdicts: VerdictStore

    @property
    def endpoint(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def source_patents(self) -> PatentSources: ...

    def today(self) -> date: ...

    def record_table(self, name: str) -> Any: ...

    def design_query(self, image_or_views: Any = None, **filters: Any) -> DesignQuery: ...

    def search_designs(self, image_or_views: Any, **kwargs: Any) -> pd.DataFrame: ...

    def search_many(self, images: Any, **kwargs: Any) -> pd.DataFrame: ...

    def enrich(self, df: pd.DataFrame, fields: Any = None, **kwargs: Any) -> pd.DataFrame | int: ...

    def label(self, df: pd.DataFrame, by: str = ..., **kwargs: Any) -> pd.DataFrame | int: ...

    def with_verdicts(self, df: pd.DataFrame) -> pd.DataFrame: ...
