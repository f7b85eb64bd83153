"""One call to the API, in layers: the auth mode, the retry policy, the gates a call passes, one HTTP exchange
with its limits, the checks of each endpoint's answer, and the counts a client keeps.

Nothing here is public API (the public names are at the package's top: ``pa.RetryPolicy`` is this folder's
:class:`~patsnap_analytics.wire.retry.RetryPolicy`). The folder imports the bottom floor (``api``, ``errors``,
``settings``, ``redact``) and the storage floor (``store/``: the transport stores the answers it checked, the
gates share a team's Redis), never a floor above (``docs/architecture.md``).
"""
