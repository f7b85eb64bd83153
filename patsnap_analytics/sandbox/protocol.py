"""The sandbox's side of the wire: envelope builders and the failure it answers with.

Paths and the error-code table come from :mod:`patsnap_analytics.api`, shared with the client.

Shared by the server state (credentials answer in error codes), the gateway and the routes, so that
each of those modules can import it without importing the others.

Example:
    >>> ERROR_MESSAGES[68300010]
    'The file does not comply with upload specifications!'
    >>> ApiFailure(68300004, "url: required").envelope()["error_code"]
    68300004
"""

from __future__ import annotations

from typing import Any

from ..api import (
    ENRICHMENT_ENDPOINTS,
    ERROR_CODES,
    IMAGE_MULTIPLE,
    IMAGE_SINGLE,
    IMAGE_SINGLE_BETA,
    SEARCH_ID,
    SEARCH_RESULTS,
    TOKEN,
    UPLOAD,
    WORKFLOW_ENDPOINTS,
)

__all__ = [
    "BUSINESS_ENDPOINTS",
    "BUSINESS_METHODS",
    "ERROR_MESSAGES",
    "SEARCH_PATH",
    "TOKEN_PATH",
    "UPLOAD_PATH",
    "ApiFailure",
    "error_envelope",
    "ok_envelope",
]

TOKEN_PATH = TOKEN.path
UPLOAD_PATH = UPLOAD.path
SEARCH_PATH = SEARCH_ID.path
#: The endpoints the sandbox serves and counts (the token endpoint too: tests count token fetches).
SERVED_ENDPOINTS = (TOKEN, UPLOAD, SEARCH_ID, SEARCH_RESULTS, IMAGE_SINGLE, IMAGE_SINGLE_BETA, IMAGE_MULTIPLE,
                    *ENRICHMENT_ENDPOINTS.values(), *WORKFLOW_ENDPOINTS.values())
BUSINESS_ENDPOINTS = tuple(e.path for e in SERVED_ENDPOINTS)
BUSINESS_METHODS = {e.path: e.method for e in SERVED_ENDPOINTS}
#: The vendor's English messages, from the one code table.
ERROR_MESSAGES: dict[int, str] = {code: row.message for code, row in ERROR_CODES.items()}


class ApiFailure(Exception):
    """A business error to answer as an envelope: ``error_code`` plus a specific ``reason``.

    Example:
        >>> ApiFailure(68300004, "url: required").envelope()["error_msg"]
        'Invalid parameter! url: required'
    """

    def __init__(self, error_code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.error_code = error_code
        self.reason = reason

    def envelope(self) -> dict[str, Any]:
        """The ``status: false`` envelope for this failure."""
        return error_envelope(self.error_code, self.reason)


def error_envelope(error_code: int, reason: str = "") -> dict[str, Any]:
    """``{"status": False, "error_code": code, "error_msg": "<vendor text> <reason>"}``.

    Example:
        >>> error_envelope(67200008)
        {'status': False, 'error_code': 67200008, 'error_msg': 'The apikey parameter is missing!'}
    """
    text = ERROR_MESSAGES.get(error_code, "Error!")
    return {"status": False, "error_code": error_code, "error_msg": f"{text} {reason}".strip()}


def ok_envelope(data: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """The success envelope, key order as in the vendor's samples (``data`` is an array for enrichment).

    Example:
        >>> ok_envelope({"x": 1})
        {'data': {'x': 1}, 'status': True, 'error_code': 0}
    """
    return {"data": data, "status": True, "error_code": 0}
