"""connect(): the real API when credentials are found, otherwise an embedded sandbox.

Example:
    >>> import patsnap_analytics as pa
    >>> client = pa.connect(api_key="sk-example", cache=False)   # explicit credentials: the real API
    >>> client.base_url, client.source
    ('https://connect.patsnap.com', 'patsnap')
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
from typing import Any

from .client import INTERNATIONAL_BASE_URL, Client

__all__ = ["connect"]


def connect(
    api_key: str | None = None,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    base_url: str | None = None,
    sandbox: bool | None = None,
    sandbox_options: dict[str, Any] | None = None,
    **client_options: Any,
) -> Client:
    """A ready :class:`Client`.

    Credentials come from the arguments, else from ``PATSNAP_API_KEY`` or ``PATSNAP_CLIENT_ID`` +
    ``PATSNAP_CLIENT_SECRET`` (``PATSNAP_BASE_URL`` picks the host). With none — or with ``sandbox=True`` —
    an embedded sandbox starts on 127.0.0.1 and this is announced in one line; its results are marked
    ``df.attrs["source"] == "sandbox"``. ``sandbox_options`` go to :class:`~patsnap_analytics.sandbox.Sandbox`
    (e.g. ``{"designs": 500}``); other keywords go to :class:`Client` (``cache=``, ``offline=``, ``qps=`` …).

    Example:
        >>> client = connect(sandbox=True, sandbox_options={"designs": 300})   # doctest: +SKIP
        patsnap-analytics: no PatSnap credentials — using the embedded sandbox at http://127.0.0.1:… (generated sample designs, no charges)
    """
    env = os.environ
    api_key = api_key or env.get("PATSNAP_API_KEY") or None
    client_id = client_id or env.get("PATSNAP_CLIENT_ID") or None
    client_secret = client_secret or env.get("PATSNAP_CLIENT_SECRET") or None
    has_credentials = bool(api_key or (client_id and client_secret))
    offline = client_options.get("offline")
    if offline is None:
        offline = env.get("PATSNAP_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    use_sandbox = sandbox if sandbox is not None else not has_credentials and not offline
    if not use_sandbox:
        return Client(
            api_key,
            client_id=client_id,
            client_secret=client_secret,
            base_url=base_url or env.get("PATSNAP_BASE_URL") or INTERNATIONAL_BASE_URL,
            **client_options,
        )
    from .sandbox import Sandbox  # the server and the image features load only here

    box = Sandbox(**(sandbox_options or {})).start()
    atexit.register(box.stop)
    # the sandbox's port changes every run, so its answers get a throw-away cache, not the user's file
    client_options.setdefault("cache", os.path.join(tempfile.mkdtemp(prefix="patsnap-sandbox-"), "cache.sqlite"))
    client = box.client(**client_options)
    client.sandbox = box
    why = "using" if has_credentials else "no PatSnap credentials — using"
    print(f"patsnap-analytics: {why} the embedded sandbox at {box.url} (generated sample designs, no charges)",
          file=sys.stderr)
    return client
