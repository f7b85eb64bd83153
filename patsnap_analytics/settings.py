"""Settings: every ``PATSNAP_*`` environment variable, read in one place.

=============================  ==================================================================
``PATSNAP_API_KEY``            api key (``sk-…``): the API-key auth mode
``PATSNAP_CLIENT_ID``          OAuth client id (with ``PATSNAP_CLIENT_SECRET``: the OAuth mode)
``PATSNAP_CLIENT_SECRET``      OAuth client secret
``PATSNAP_BASE_URL``           the API host (default ``https://connect.patsnap.com``)
``PATSNAP_OFFLINE``            ``1``: answer only from the cache, never call the API
``PATSNAP_CACHE_DIR``          folder of the HTTP cache file (default: the user cache directory)
``PATSNAP_CACHE_URL``          a team's Redis (``redis://host:6379/0``): cache, locks and call gates shared
``PATSNAP_SANDBOX_CACHE``      folder where the sandbox keeps its generated corpus
``PATSNAP_APP_FOLDER``         the one server folder the app's "Folder or file" may read (unset: off)
=============================  ==================================================================

:class:`~patsnap_analytics.client.Client` and :func:`~patsnap_analytics.connect.connect` take their defaults
from :meth:`Settings.from_env`; explicit arguments always win.

Example:
    >>> s = Settings.from_env({"PATSNAP_API_KEY": "sk-example", "PATSNAP_OFFLINE": "yes"})
    >>> s.has_credentials, s.offline, s.base_url
    (True, True, 'https://connect.patsnap.com')
    >>> s
    Settings(api_key=sk-e…, client_id=<none>, base_url='https://connect.patsnap.com', offline=True)
    >>> Settings.from_env({"PATSNAP_CACHE_URL": "redis://:hunter2@cache.example:6379/0"})
    Settings(api_key=<none>, client_id=<none>, base_url='https://connect.patsnap.com', offline=False, cache_url='redis://***@cache.example:6379/0')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .api import INTERNATIONAL_BASE_URL
from .errors import ValidationError
from .redact import mask, mask_url

__all__ = ["ENV_VARS", "REDIS_SCHEMES", "Credentials", "Settings", "credentials", "is_redis_url"]

#: Every environment variable the toolkit reads (tests clear them; the README lists them).
ENV_VARS = ("PATSNAP_API_KEY", "PATSNAP_CLIENT_ID", "PATSNAP_CLIENT_SECRET", "PATSNAP_BASE_URL",
            "PATSNAP_OFFLINE", "PATSNAP_CACHE_DIR", "PATSNAP_CACHE_URL", "PATSNAP_SANDBOX_CACHE", "PATSNAP_APP_FOLDER")
#: URL schemes of a Redis server (redis-py's ``Redis.from_url``): TCP, TLS, a Unix socket.
REDIS_SCHEMES = ("redis", "rediss", "unix")
_TRUE = ("1", "true", "yes", "on")


def is_redis_url(value: object) -> bool:
    """Whether ``value`` names a Redis server (``redis://``, ``rediss://`` or ``unix://``) rather than a file.

    Example:
        >>> is_redis_url("redis://localhost:6379/0"), is_redis_url("/tmp/http_cache.sqlite"), is_redis_url(True)
        (True, False, False)
    """
    return isinstance(value, str) and urlsplit(value).scheme.lower() in REDIS_SCHEMES and "://" in value


@dataclass(frozen=True)
class Settings:
    """What the environment says, typed; secrets never appear in the ``repr``.

    Example:
        >>> Settings().cache_file.name
        'http_cache.sqlite'
    """

    api_key: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    base_url: str = INTERNATIONAL_BASE_URL
    offline: bool = False
    cache_dir: Path | None = field(default=None, repr=False)
    cache_url: str | None = field(default=None, repr=False)
    sandbox_cache: Path | None = field(default=None, repr=False)
    #: the server folder the app may read images from (its "Folder or file" box); None: the box is off
    app_folder: Path | None = field(default=None, repr=False)
    #: credential variables that are set but empty (``PATSNAP_API_KEY=``): connect() says so rather than
    #: silently using the sandbox
    empty_credentials: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the ``PATSNAP_*`` variables (of ``environ``, default ``os.environ``); empty means unset, and an
        empty credential variable is remembered in ``empty_credentials``.

        Example:
            >>> Settings.from_env({"PATSNAP_CACHE_DIR": "/tmp/c"}).cache_file
            PosixPath('/tmp/c/http_cache.sqlite')
            >>> Settings.from_env({"PATSNAP_API_KEY": " "}).empty_credentials
            ('PATSNAP_API_KEY',)
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        cache_dir, sandbox_cache = get("PATSNAP_CACHE_DIR"), get("PATSNAP_SANDBOX_CACHE")
        app_folder = get("PATSNAP_APP_FOLDER")
        blank = tuple(name for name in ENV_VARS[:3] if name in env and not env[name].strip())
        return cls(
            api_key=get("PATSNAP_API_KEY"),
            client_id=get("PATSNAP_CLIENT_ID"),
            client_secret=get("PATSNAP_CLIENT_SECRET"),
            base_url=get("PATSNAP_BASE_URL") or INTERNATIONAL_BASE_URL,
            offline=(get("PATSNAP_OFFLINE") or "").lower() in _TRUE,
            cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
            cache_url=get("PATSNAP_CACHE_URL"),
            sandbox_cache=Path(sandbox_cache).expanduser() if sandbox_cache else None,
            empty_credentials=blank,
            app_folder=Path(app_folder).expanduser() if app_folder else None,
        )

    @property
    def has_credentials(self) -> bool:
        """True when an api key, or a client id with its secret, is set."""
        return bool(self.api_key or (self.client_id and self.client_secret))

    @property
    def cache_file(self) -> Path:
        """The HTTP cache file: ``<cache_dir>/http_cache.sqlite``, by default in the user cache directory."""
        folder = self.cache_dir
        if folder is None:
            from platformdirs import user_cache_dir

            folder = Path(user_cache_dir("patsnap-analytics"))
        return folder / "http_cache.sqlite"

    def __repr__(self) -> str:
        team = f", cache_url={mask_url(self.cache_url)!r}" if self.cache_url else ""
        return (f"Settings(api_key={mask(self.api_key)}, client_id={mask(self.client_id)}, "
                f"base_url={self.base_url!r}, offline={self.offline}{team})")


@dataclass(frozen=True)
class Credentials:
    """The credentials a client uses, and what each is called where it came from (``PATSNAP_API_KEY`` or
    ``api_key=``), so that a refusal can say which one the API refused. Secrets never appear in the ``repr``.

    Example:
        >>> credentials(api_key="sk-example")
        Credentials(mode='api_key', from='api_key=')
    """

    api_key: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    from_env: bool = False

    @property
    def mode(self) -> str | None:
        """``"api_key"``, ``"oauth"``, or ``None`` when there are no credentials."""
        if self.api_key:
            return "api_key"
        return "oauth" if self.client_id and self.client_secret else None

    def name(self, field_name: str) -> str:
        """How the user gave ``field_name``: ``PATSNAP_CLIENT_ID`` from the environment, else ``client_id=``.

        Example:
            >>> Credentials(client_id="x", client_secret="y", from_env=True).name("client_id")
            'PATSNAP_CLIENT_ID'
        """
        return f"PATSNAP_{field_name.upper()}" if self.from_env else f"{field_name}="

    def __repr__(self) -> str:
        where = "the environment" if self.from_env else ("api_key=" if self.api_key else "client_id=")
        return f"Credentials(mode={self.mode!r}, from={where!r})"


def credentials(api_key: str | None = None, client_id: str | None = None, client_secret: str | None = None,
                *, settings: Settings | None = None) -> Credentials:
    """The credentials to use: the arguments when any is given, else the ``PATSNAP_*`` variables.

    An api key is complete on its own. An OAuth pair must be whole: a client id without its secret (or the
    reverse) is refused here, naming the missing variable or argument, instead of silently falling back to
    the sandbox or failing at the first call.

    Example:
        >>> credentials(settings=Settings.from_env({"PATSNAP_CLIENT_ID": "my-id"}))
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: client_secret: PATSNAP_CLIENT_ID is set but PATSNAP_CLIENT_SECRET is not: OAuth needs both (or set PATSNAP_API_KEY alone, or unset PATSNAP_CLIENT_ID to use the sandbox)
        >>> credentials(settings=Settings.from_env({})).mode is None
        True
    """
    given = (api_key, client_id, client_secret)
    if any(given):
        found = Credentials(*(v.strip() if isinstance(v, str) else v for v in given))
    else:
        env = settings or Settings.from_env()
        found = Credentials(env.api_key, env.client_id, env.client_secret, from_env=True)
    if not found.api_key and bool(found.client_id) != bool(found.client_secret):
        have, missing = ("client_id", "client_secret") if found.client_id else ("client_secret", "client_id")
        state = "is set" if found.from_env else "was given"
        lacks = "is not" if found.from_env else "was not"
        fix = (f"set {found.name('api_key').rstrip('=')} alone, or unset {found.name(have)} to use the sandbox"
               if found.from_env else "pass api_key= alone")
        raise ValidationError(missing, f"{found.name(have)} {state} but {found.name(missing)} {lacks}: OAuth "
                                       f"needs both (or {fix})")
    return found
