"""The API's two authentication modes.

* :class:`ApiKeyAuth` — newer accounts: the key (``sk-…``) goes in the ``apikey`` query parameter.
* :class:`OAuthAuth` — older accounts: ``POST /oauth/token`` with HTTP Basic ``client_id:client_secret``
  gives a bearer token that lives about 30 minutes; business calls send ``apikey=<client_id>`` and
  ``Authorization: Bearer <token>``. The token is refreshed a minute before it expires, and once more
  when the API answers 67200003/67200009 (the client calls :meth:`OAuthAuth.invalidate`).

Neither object ever puts a secret into its ``repr`` or into an exception message. When the API refuses a
credential, :meth:`Auth.refused` says which one — the api key, the client id and secret (at the token call)
or a fresh token — and where it came from (``PATSNAP_API_KEY`` or ``api_key=``), as a
:class:`~patsnap_analytics.errors.CredentialsRejectedError`.

Example:
    >>> auth = ApiKeyAuth("sk-example-not-a-real-key")
    >>> params, headers = {}, {}
    >>> auth.apply(params, headers, session=None)
    >>> sorted(params), repr(auth)
    (['apikey'], 'ApiKeyAuth(key=sk-e…)')
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from .api import CREDENTIAL_REFUSED, TOKEN
from .errors import (
    APIError,
    AuthError,
    CredentialsRejectedError,
    ProtocolError,
    ValidationError,
    error_for_code,
    error_from_envelope,
    network_failure,
)
from .settings import mask

__all__ = ["ApiKeyAuth", "Auth", "OAuthAuth", "mask"]

TOKEN_PATH = TOKEN.path
#: Refresh this many seconds before the token's stated expiry.
REFRESH_MARGIN = 60.0


class Auth(Protocol):
    """What the client needs from an auth mode: add credentials to a call, forget a rejected token.

    Example:
        >>> auth: Auth = ApiKeyAuth("sk-x")
        >>> auth.invalidate()    # an api key cannot be refreshed; OAuthAuth answers True
        False
    """

    def apply(self, params: dict[str, str], headers: dict[str, str], session: Any) -> None:
        """Add credentials to a business call's query parameters and headers."""

    def invalidate(self) -> bool:
        """Forget a token the API rejected; True when a refresh can help (OAuth), False otherwise."""

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
        self._key = api_key.strip()
        self.given_as = given_as

    def apply(self, params: dict[str, str], headers: dict[str, str], session: Any) -> None:
        params["apikey"] = self._key

    def invalidate(self) -> bool:
        return False  # a wrong key stays wrong

    def refused(self, error: APIError) -> APIError:
        """A refusal becomes "the API refused the api key sk-0… (PATSNAP_API_KEY): check …".

        Example:
            >>> from patsnap_analytics.errors import error_for_code
            >>> e = ApiKeyAuth("sk-example", given_as="PATSNAP_API_KEY").refused(
            ...     error_for_code(67200003)("unknown api key", error_code=67200003, endpoint="/x"))
            >>> e.credential, str(e).split(":")[0]
            ('api_key', 'the API refused the api key sk-e… given as PATSNAP_API_KEY')
        """
        if isinstance(error, CredentialsRejectedError) or not _is_refusal(error):
            return error
        return CredentialsRejectedError.of(error, credential="api_key", advice=(
            f"the API refused the api key {mask(self._key)} given as {self.given_as}: check that it is the whole "
            "key from your PatSnap account (keys start with 'sk-') and that it is still valid"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret this mode holds (for redaction checks)."""
        return (self._key,)

    def __repr__(self) -> str:
        return f"ApiKeyAuth(key={mask(self._key)})"


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
        self._secret = client_secret.strip()
        self.token_url = token_url
        self.timeout = timeout
        self._clock = clock
        self._on_token_call = on_token_call
        self._token: str | None = None
        self._expires_at = 0.0
        self._margin = REFRESH_MARGIN
        self._lock = threading.Lock()
        self.given_as = given_as

    def apply(self, params: dict[str, str], headers: dict[str, str], session: Any) -> None:
        params["apikey"] = self.client_id
        headers["Authorization"] = f"Bearer {self.token(session)}"

    def token(self, session: Any) -> str:
        """A valid token, fetched or refreshed when missing or within a minute of expiry."""
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
        """A refusal of a business call (after the one refresh) becomes "the API refused a fresh token …".

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
        return tuple(s for s in (self._secret, self._token) if s)

    def _fetch(self, session: Any) -> None:
        basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        if self._on_token_call:
            self._on_token_call()
        kwargs: dict[str, Any] = {}
        if hasattr(session, "cache"):  # a requests-cache session: a token answer is never stored
            from requests_cache import DO_NOT_CACHE

            kwargs["expire_after"] = DO_NOT_CACHE
        try:
            resp = (session or requests).post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            failure = network_failure(exc, doing=f"asking {TOKEN_PATH} for a token",
                                      host=urlsplit(self.token_url).netloc)
        else:
            failure = None
        if failure:  # raised outside the except block so the request (and its Basic auth) is not the __context__
            raise failure
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}  # a list, a string: nothing to read a token from
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        token = body.get("token") or body.get("access_token") or data.get("token")
        token = token if isinstance(token, str) and token else None
        if resp.status_code != 200 or not token:
            if isinstance(body, dict) and body.get("error_code") is not None:
                error = error_from_envelope(body, http_status=resp.status_code, endpoint=TOKEN_PATH)
                # a refusal at the token call is the client id and secret's, never a token to refresh
                raise self._credentials_refused(error) if _is_refusal(error) else error
            if resp.status_code >= 500 or resp.status_code == 429:
                cls = error_for_code(None, resp.status_code)  # retryable: the client backs off and retries
                raise cls(f"token endpoint answered HTTP {resp.status_code}", http_status=resp.status_code,
                          endpoint=TOKEN_PATH)
            if resp.status_code == 200:  # "OK" without a token is a broken answer, not a refusal
                raise ProtocolError(TOKEN_PATH, "token", "missing from an HTTP 200 answer (expected a string)")
            raise self._credentials_refused(AuthError(
                "no token in the answer", http_status=resp.status_code, endpoint=TOKEN_PATH))
        try:
            lifetime = float(body.get("expires_in") or data.get("expires_in") or 1799)
        except (TypeError, ValueError):
            lifetime = 1799.0
        self._token = str(token)
        self._expires_at = self._clock() + lifetime
        # a minute early for the API's 30-minute tokens; proportionally earlier for very short-lived ones
        self._margin = min(REFRESH_MARGIN, lifetime / 10)

    def __repr__(self) -> str:
        return f"OAuthAuth(client_id={mask(self.client_id)}, token={mask(self._token)})"
