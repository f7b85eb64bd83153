"""The API's two authentication modes.

* :class:`ApiKeyAuth` — newer accounts: the key (``sk-…``) goes in the ``apikey`` query parameter.
* :class:`OAuthAuth` — older accounts: ``POST /oauth/token`` with HTTP Basic ``client_id:client_secret``
  gives a bearer token that lives about 30 minutes; business calls send ``apikey=<client_id>`` and
  ``Authorization: Bearer <token>``. The token is renewed a minute before it expires, and once more
  when the API answers 67200003/67200009 (the client calls :meth:`OAuthAuth.invalidate`).

Neither object ever puts a secret into its ``repr`` or into an exception message. Credentials are held as
:class:`~patsnap_analytics.redact.Secret` values, whose ``str`` and ``repr`` are masked, until a request is
built (:func:`~patsnap_analytics.redact.reveal`), so
error reporters that record the local variables of a traceback's frames find no credential there.
When the API refuses a
credential, :meth:`Auth.refused` says which one — the api key, the client id and secret (at the token call)
or a fresh token — and where it came from (``PATSNAP_API_KEY`` or ``api_key=``), as a
:class:`~patsnap_analytics.errors.CredentialsRejectedError`.

Example:
    >>> auth = ApiKeyAuth("sk-example-not-a-real-key")
    >>> params, headers = {}, {}
    >>> auth.apply(params, headers, session=None)
    >>> params, repr(auth)
    ({'apikey': Secret('sk-e…')}, 'ApiKeyAuth(key=sk-e…)')
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests

from ..api import APIKEY_PARAM, AUTHORIZATION_HEADER, CREDENTIAL_REFUSED, TOKEN, TOKEN_FIELDS
from ..errors import (
    APIError,
    AuthError,
    CredentialsRejectedError,
    ProtocolError,
    ValidationError,
    error_for_code,
    error_from_envelope,
)
from ..redact import Secret, mask
from .http_limits import exchange, prepare

__all__ = ["ApiKeyAuth", "Auth", "OAuthAuth"]

TOKEN_PATH = TOKEN.path
#: Renew the token this many seconds before its stated expiry.
RENEW_MARGIN = 60.0


class Auth(Protocol):
    """What the client needs from an auth mode: add credentials to a call, forget a rejected token.

    Example:
        >>> auth: Auth = ApiKeyAuth("sk-x")
        >>> auth.invalidate()    # an api key cannot be renewed; OAuthAuth answers True
        False
    """

    def apply(self, params: dict[str, str], headers: dict[str, str], session: Any) -> None:
        """Add credentials to a business call's query parameters and headers."""

    def invalidate(self) -> bool:
        """Forget a token the API rejected; True when a new token can help (OAuth), False otherwise."""

    def refused(self, error: APIError) -> APIError:
        """``error`` explained as the refusal of this mode's credential, when it is one; else ``error``."""


def _is_refusal(error: APIError) -> bool:
    """Whether the API said it did not accept the credential sent (a code of the table, or a bare HTTP 401)."""
    return error.error_code in CREDENTIAL_REFUSED or (error.error_code is None and error.http_status == 401)


class ApiKeyAuth:
    """API-key mode: ``?apikey=<key>`` on every business call.

    Example:
        >>> ApiKeyAuth("").apply({}, {}, None)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: api_key: must be a non-empty string
    """

    def __init__(self, api_key: str, *, given_as: str = "api_key=") -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValidationError("api_key", "must be a non-empty string")
        self._key = Secret(api_key.strip())
        self.given_as = given_as

    def apply(self, params: dict[str, Any], headers: dict[str, Any], session: Any) -> None:
        params[APIKEY_PARAM] = self._key

    def invalidate(self) -> bool:
        return False  # a wrong key stays wrong

    def refused(self, error: APIError) -> APIError:
        """A refusal becomes "the API refused the api key sk-0… (PATSNAP_API_KEY): check …".

        Example:
            >>> from patsnap_analytics.errors import error_for_code
            >>> e = ApiKeyAuth("sk-example", given_as="PATSNAP_API_KEY").refused(
            ...     error_for_code(67200003)("unknown api key", error_code=67200003, path="/x"))
            >>> e.credential, str(e).split(":")[0]
            ('api_key', 'the API refused the api key sk-e… given as PATSNAP_API_KEY')
        """
        if isinstance(error, CredentialsRejectedError) or not _is_refusal(error):
            return error
        return CredentialsRejectedError.of(error, credential="api_key", advice=(
            f"the API refused the api key {self._key} given as {self.given_as}: check that it is the whole "
            "key from your PatSnap account (keys start with 'sk-') and that it is still valid"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret this mode holds (for redaction checks)."""
        return (self._key.reveal(),)

    def __repr__(self) -> str:
        return f"ApiKeyAuth(key={self._key})"


class OAuthAuth:
    """OAuth client-credentials mode, with a thread-safe token kept until a minute before expiry.

    ``token_url`` is the base URL + ``/oauth/token``. ``clock`` is injectable for tests.

    Example:
        >>> OAuthAuth("id", "secret", token_url="http://127.0.0.1:9/oauth/token")
        OAuthAuth(client_id=id…, token=<none>)
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_token_call: Callable[[], None] | None = None,
        given_as: tuple[str, str] = ("client_id=", "client_secret="),
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(name, "must be a non-empty string")
        self.client_id = client_id.strip()
        self._secret = Secret(client_secret.strip())
        self.token_url = token_url
        self.timeout = timeout
        self._clock = clock
        self._on_token_call = on_token_call
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._margin = RENEW_MARGIN
        self._lock = threading.Lock()
        self.given_as = given_as

    def apply(self, params: dict[str, Any], headers: dict[str, Any], session: Any) -> None:
        params[APIKEY_PARAM] = self.client_id
        headers[AUTHORIZATION_HEADER] = Secret(f"Bearer {self.token(session).reveal()}")

    def token(self, session: Any) -> Secret:
        """A valid token, fetched anew when missing or within a minute of expiry."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                self._fetch(session)
            assert self._token is not None
            return self._token

    def invalidate(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def refused(self, error: APIError) -> APIError:
        """A refusal of a business call (after the one renewal) becomes "the API refused a fresh token …".

        Example:
            >>> from patsnap_analytics.errors import error_for_code
            >>> auth = OAuthAuth("my-id", "s", token_url="http://127.0.0.1:9/oauth/token")
            >>> auth.refused(error_for_code(67200009)("mismatch", error_code=67200009)).credential
            'token'
        """
        if isinstance(error, CredentialsRejectedError) or not _is_refusal(error):
            return error
        return CredentialsRejectedError.of(error, credential="token", advice=(
            f"the API refused the access token of client id {mask(self.client_id)} ({self.given_as[0]}) even "
            "fresh from the token call: the client id may not be allowed this endpoint, or another client's "
            "token was sent"))

    def _credentials_refused(self, error: APIError) -> CredentialsRejectedError:
        id_name, secret_name = self.given_as
        return CredentialsRejectedError.of(error, credential="client_credentials", advice=(
            f"the API refused the client id {mask(self.client_id)} and its secret ({id_name}, {secret_name}) "
            f"when asking {TOKEN_PATH} for a token: check both in your PatSnap account"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret this mode holds (for redaction checks)."""
        return tuple(s.reveal() for s in (self._secret, self._token) if s)

    def _basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.client_id}:{self._secret.reveal()}".encode()).decode()

    def _fetch(self, session: Any) -> None:
        if self._on_token_call:
            self._on_token_call()
        session = session or requests.Session()
        # the token call gets the same limits as every business call: a deadline for the whole call, a size
        # cap, and no redirect followed (the Basic credentials must not travel anywhere else); a POST is never
        # stored by the cache
        prepared = prepare(session, requests.Request(
            "POST", self.token_url, data={"grant_type": "client_credentials"},
            headers={AUTHORIZATION_HEADER: self._basic()}))  # never a plain local: frames stay free of it
        resp = exchange(session, prepared, where=TOKEN_PATH, timeout=self.timeout,
                        doing=f"asking {TOKEN_PATH} for a token")
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}  # a list, a string: nothing to read a token from
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        token = next((found for name in TOKEN_FIELDS if (found := body.get(name) or data.get(name))), None)
        token = token if isinstance(token, str) and token else None
        if resp.status_code != 200 or not token:
            if isinstance(body, dict) and body.get("error_code") is not None:
                error = error_from_envelope(body, http_status=resp.status_code, path=TOKEN_PATH)
                # a refusal at the token call is the client id and secret's, never a token to renew
                raise self._credentials_refused(error) if _is_refusal(error) else error
            if resp.status_code >= 500 or resp.status_code == 429:
                cls = error_for_code(None, resp.status_code)  # retryable: the client backs off and retries
                raise cls(f"token endpoint answered HTTP {resp.status_code}", http_status=resp.status_code,
                          path=TOKEN_PATH)
            if resp.status_code == 200:  # "OK" without a token is a broken answer, not a refusal
                raise ProtocolError(TOKEN_PATH, "token", "missing from an HTTP 200 answer (expected a string)")
            raise self._credentials_refused(AuthError(
                "no token in the answer", http_status=resp.status_code, path=TOKEN_PATH))
        try:
            lifetime = float(body.get("expires_in") or data.get("expires_in") or 1799)
        except (TypeError, ValueError):
            lifetime = 1799.0
        self._token = Secret(str(token))
        self._expires_at = self._clock() + lifetime
        # a minute early for the API's 30-minute tokens; proportionally earlier for very short-lived ones
        self._margin = min(RENEW_MARGIN, lifetime / 10)

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={mask(self.client_id)}, token={self._token or '<none>'})"
