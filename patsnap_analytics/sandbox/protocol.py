"""The sandbox's wire vocabulary: the API's paths, the vendor's error messages and the envelope builders.

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

#: Size of the generated sample corpus when nobody says otherwise (Sandbox, CLI, demo, sample_corpus).
DEFAULT_DESIGNS = 2000

__all__ = [
    "BUSINESS_ENDPOINTS",
    "BUSINESS_METHODS",
    "DEFAULT_DESIGNS",
    "ERROR_MESSAGES",
    "SEARCH_PATH",
    "TOKEN_PATH",
    "UPLOAD_PATH",
    "ApiFailure",
    "error_envelope",
    "ok_envelope",
]

TOKEN_PATH = "/oauth/token"
UPLOAD_PATH = "/image-search/image-upload"
SEARCH_PATH = "/image-search/search-id"
#: The endpoints that count as API calls (and cost money on the real API).
BUSINESS_ENDPOINTS = (TOKEN_PATH, UPLOAD_PATH, SEARCH_PATH)
BUSINESS_METHODS = {TOKEN_PATH: "POST", UPLOAD_PATH: "POST", SEARCH_PATH: "GET"}

#: The vendor's English messages (seed pages); 67200008/67200009 are not on them, so worded alike.
ERROR_MESSAGES: dict[int, str] = {
    68300004: "Invalid parameter!",
    68300005: "Search api failure!",
    68300006: "Analytic basic access error!",
    68300007: "Bad request!",
    68300008: "Service error, please try again later!",
    68300010: "The file does not comply with upload specifications!",
    67200001: "API call exceeds the total limit set by the platform!",
    67200002: "Quota exceeds the limit!",
    67200003: "Access token expired or authentication error!",
    67200004: "No permission or API package quota has exceeded the limit!",
    67200005: "Insufficient balance, call failed!",
    67200006: "This client has expired and call failed!",
    67200007: "Exceeded the call limit, call failed!",
    67200008: "The apikey parameter is missing!",
    67200009: "The apikey and the access token do not match!",
}


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


def ok_envelope(data: dict[str, Any]) -> dict[str, Any]:
    """The success envelope, key order as in the vendor's samples.

    Example:
        >>> ok_envelope({"x": 1})
        {'data': {'x': 1}, 'status': True, 'error_code': 0}
    """
    return {"data": data, "status": True, "error_code": 0}
