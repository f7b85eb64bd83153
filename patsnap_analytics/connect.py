"""connect(): the real API when credentials are found, otherwise an embedded sandbox.

This is the only module of the core that imports the sandbox, and only when it is used. Starting an embedded
sandbox is announced once per process through :mod:`logging` (logger ``patsnap_analytics``, level INFO), not
printed to stderr, so a notebook shows no error-styled box; ``client.source`` says ``"sandbox"`` either way.
The embedded sandbox's answers are cached in memory: nothing is left on disk when the client closes.

Example:
    >>> import patsnap_analytics as pa
    >>> client = pa.connect(api_key="sk-example", cache=False)   # explicit credentials: the real API
    >>> client.base_url, client.source
    ('https://connect.patsnap.com', 'patsnap')
"""

from __future__ import annotations

import atexit
import logging
from typing import TYPE_CHECKING, Any

from .client import Client
from .settings import Settings, credentials

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["connect"]

log = logging.getLogger("patsnap_analytics")
_announced = False  # the sandbox notice is logged once per process, then only at DEBUG


def connect(
    api_key: str | None = None,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    base_url: str | None = None,
    sandbox: bool | Sandbox | None = None,
    sandbox_options: dict[str, Any] | None = None,
    **client_options: Any,
) -> Client:
    """A ready :class:`Client`.

    Credentials come from the arguments, else from ``PATSNAP_API_KEY`` or ``PATSNAP_CLIENT_ID`` +
    ``PATSNAP_CLIENT_SECRET`` (``PATSNAP_BASE_URL`` picks the host); half an OAuth pair is refused with a
    :class:`~patsnap_analytics.errors.ValidationError` naming the missing one, never a silent sandbox. With
    none — or with ``sandbox=True`` — an embedded sandbox starts on 127.0.0.1, announced once per process at
    INFO on the ``patsnap_analytics`` logger; its results are marked ``df.attrs["source"] == "sandbox"``. ``sandbox_options`` go to :class:`~patsnap_analytics.sandbox.Sandbox`
    (e.g. ``{"designs": 500}``); other keywords go to :class:`Client` (``cache=``, ``offline=``, ``qps=`` …).

    ``sandbox=`` a running :class:`~patsnap_analytics.sandbox.Sandbox` connects to it (its api key, or the
    ``client_id`` / ``client_secret`` given) and leaves it running when the client closes.

    Example:
        >>> import logging; logging.basicConfig(level=logging.INFO)             # doctest: +SKIP
        >>> client = connect(sandbox=True)                                       # doctest: +SKIP
        INFO:patsnap_analytics:no PatSnap credentials: using the embedded sandbox at http://127.0.0.1:… (generated sample designs, no charges)
        >>> connect(client_id="my-id")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: client_secret: client_id= was given but client_secret= was not: OAuth needs both (or pass api_key= alone)
    """
    if sandbox is not None and not isinstance(sandbox, bool):
        return _sandbox_client(sandbox, api_key, client_id, client_secret, client_options)
    settings = Settings.from_env()
    has_credentials = credentials(api_key, client_id, client_secret, settings=settings).mode is not None
    offline = client_options.get("offline")
    if offline is None:
        offline = settings.offline
    use_sandbox = sandbox if sandbox is not None else not has_credentials and not offline
    if not use_sandbox:
        return Client(api_key, client_id=client_id, client_secret=client_secret,
                      base_url=base_url or settings.base_url, **client_options)
    from .sandbox import Sandbox  # the server and the image features load only here

    if sandbox is None and settings.empty_credentials and not (api_key or client_id or client_secret):
        # the user meant the real API and the variable came out empty (a shell `export X=$UNSET`): say so
        log.warning("%s %s set but empty: using the embedded sandbox (generated sample designs, no charges); set "
                    "it to your credential to use the PatSnap API, or unset it", " and ".join(
                        settings.empty_credentials), "is" if len(settings.empty_credentials) == 1 else "are")
    box = Sandbox(**(sandbox_options or {})).start()
    atexit.register(box.stop)
    # the sandbox's port changes every run, so its answers are cached in memory, never in the user's file
    client_options.setdefault("cache", ":memory:")
    client = _sandbox_client(box, None, None, None, client_options)
    client.owned_sandbox = box
    _announce(box.url, has_credentials)
    return client


def _announce(url: str, has_credentials: bool) -> None:
    """Say once per process that an embedded sandbox answers (INFO; later sandboxes at DEBUG)."""
    global _announced
    why = "using" if has_credentials else "no PatSnap credentials: using"
    log.log(logging.DEBUG if _announced else logging.INFO,
            "%s the embedded sandbox at %s (generated sample designs, no charges)", why, url)
    _announced = True


def _sandbox_client(box: Sandbox, api_key: str | None, client_id: str | None, client_secret: str | None,
                    client_options: dict[str, Any]) -> Client:
    if box.url is None:
        raise RuntimeError("start the sandbox first (use it as a context manager or call start())")
    options = {"source": "sandbox", **client_options}
    if client_id or client_secret:
        client = Client(client_id=client_id, client_secret=client_secret, base_url=box.url, **options)
    else:
        client = Client(api_key or box.api_key, base_url=box.url, **options)
    client.today = box.today  # the sandbox's calendar is the API's today (a watch's window ends there)
    return client
