"""The sandbox's own file links and the images it issued: uploads and corpus drawings.

Paths are matched against fixed patterns and mapped to generated ids and integers; user text is never joined
to a filesystem path, and a search only ever reads an image the sandbox issued itself, looked up locally
(it never fetches an address: no SSRF).

Example:
    >>> local_file(None, "/etc/passwd") is None
    True
    >>> local_file(None, "/_sandbox/files/designs/007/0.png") is None   # only canonical names are files
    True
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .protocol import ApiFailure, error_envelope
from .schemas import error_docs
from .state import SandboxState, Upload

__all__ = ["MAX_URL_LENGTH", "SIGNED_LINK_LIFETIME", "absolute", "add_file_routes", "issued_image", "local_file",
           "signed_link"]

MAX_URL_LENGTH = 2048
#: Seconds a signed drawing link (the abstract-image endpoint's) can be searched: the documented 9 hours.
SIGNED_LINK_LIFETIME = 9 * 3600
_SIGNING_KEY = secrets.token_bytes(16)  # per process: links are signed, so their expiry cannot be edited
# Canonical names only, matched whole (fullmatch: "$" would also accept a trailing newline, %0a) and in ASCII
# digits without leading zeros ("\d" takes Unicode digits, and int() reads "٠٧" and "007" as 7): every file
# has exactly one name, so a cache or an allow-list keyed by URL cannot be walked around with an alias.
_UPLOAD_NAME = re.compile(r"([0-9a-f]{32})\.(png|jpg)")
_NUMBER = r"(0|[1-9][0-9]{0,8})"
_VIEW_NAME = re.compile(r"(0|[1-9][0-9]{0,2})\.png")
_DESIGN = re.compile(_NUMBER)


def absolute(state: SandboxState, request: Request, path: str) -> str:
    """The absolute URL of one of our paths (the bound address, else the request's host).

    Every base URL used is remembered: a URL is recognised as ours by the bases the sandbox issued URLs
    under, never by the Host header of the request that brings it back.
    """
    base = state.base_url or str(request.base_url).rstrip("/")
    state.issued_bases.add(_origin(base))
    return f"{base}{path}"


def signed_link(state: SandboxState, request: Request, path: str, *, lifetime: float = SIGNED_LINK_LIFETIME) -> str:
    """An absolute, signed link to one of our files that can be searched for ``lifetime`` seconds of the
    sandbox's calendar (a new one on every call, as the vendor's presigned links are).

    Example:
        >>> from patsnap_analytics.sandbox.faults import Faults
        >>> state = SandboxState(engine=None, faults=Faults(), base_url="http://127.0.0.1:9")
        >>> link = signed_link(state, None, "/_sandbox/files/designs/3/0.png")
        >>> link.split("?")[0], _link_state(state, urlsplit(link))
        ('http://127.0.0.1:9/_sandbox/files/designs/3/0.png', 'valid')
    """
    expires = int(state.clock.calendar().replace(tzinfo=UTC).timestamp() + lifetime)
    nonce = secrets.token_hex(4)
    query = urlencode({"expires": expires, "nonce": nonce, "signature": _sign(path, expires, nonce)})
    return f"{absolute(state, request, path)}?{query}"


def _sign(path: str, expires: int, nonce: str) -> str:
    return hashlib.blake2b(f"{path}|{expires}|{nonce}".encode(), key=_SIGNING_KEY, digest_size=16).hexdigest()


def _link_state(state: SandboxState, parts) -> str:
    """``valid``, ``expired`` or ``forged`` for a link with an ``expires`` stamp; ``valid`` without one."""
    query = parse_qs(parts.query)
    if "expires" not in query:
        return "valid"
    try:
        expires = int(query["expires"][0])
    except ValueError:
        return "forged"
    signed = _sign(parts.path, expires, query.get("nonce", [""])[0])
    if not secrets.compare_digest(query.get("signature", [""])[0].encode(), signed.encode()):
        return "forged"
    return "valid" if state.clock.calendar().replace(tzinfo=UTC).timestamp() < expires else "expired"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def issued_image(state: SandboxState, request: Request, url: str) -> bytes:
    """The bytes behind a URL this sandbox issued, looked up locally; anything else is refused unfetched."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ApiFailure(68300004, f"url: required, at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    own = set(state.issued_bases) | ({_origin(state.base_url)} if state.base_url else set())
    if parts.scheme not in ("http", "https") or _origin(url) not in own:
        raise ApiFailure(68300004, "url: the sandbox searches only images it issued itself (upload URLs and "
                                   "corpus drawing URLs); it never fetches outside addresses")
    found = local_file(state, parts.path)
    if found is None:
        raise ApiFailure(68300004, "url: not an image this sandbox issued")
    link = _link_state(state, parts)
    if link != "valid":
        raise ApiFailure(68300004, "url expired: the signed link is past its time; ask for the drawing again"
                         if link == "expired" else "url: the link's signature does not match")
    if found == "expired":
        raise ApiFailure(68300004, "url expired: the uploaded file was deleted; upload the image again")
    return found[0]


def local_file(state: SandboxState, path: str) -> tuple[bytes, str] | str | None:
    """``(bytes, media type)`` for one of our file paths, ``'expired'`` for a deleted upload, else None.

    Paths are matched against fixed patterns and mapped to generated ids and integers; user text is never
    joined to a filesystem path.
    """
    segments = path.split("/")
    if segments[:3] != ["", "_sandbox", "files"]:
        return None
    rest = segments[3:]
    if len(rest) == 2 and rest[0] == "uploads":
        m = _UPLOAD_NAME.fullmatch(rest[1])
        if not m:
            return None
        upload = state.uploads.lookup(m[1])
        if not isinstance(upload, Upload):
            return upload  # "expired" or None
        if (upload.kind == "jpeg") != (m[2] == "jpg"):
            return None
        return upload.data, f"image/{upload.kind}"
    view_name = _VIEW_NAME.fullmatch(rest[2]) if len(rest) == 3 else None
    if len(rest) == 3 and rest[0] == "designs" and _DESIGN.fullmatch(rest[1]) and view_name:
        design, view = int(rest[1]), int(view_name[1])
        meta = state.corpus.meta
        if design >= len(meta) or view >= int(meta.at[design, "n_views"]):
            return None
        file = state.corpus.view_path(design, view)
        try:
            return file.read_bytes(), "image/png"
        except OSError:
            return None
    return None


def add_file_routes(app: FastAPI, state: SandboxState) -> None:
    not_found: dict[int | str, dict[str, Any]] = {404: error_docs("no such file (or the upload expired)")}

    def serve(path: str) -> Response:
        found = local_file(state, path)
        if found is None or found == "expired":
            reason = "the upload expired and was deleted" if found == "expired" else "no such file"
            return JSONResponse(error_envelope(68300004, reason), status_code=404)
        data, media_type = found
        return Response(data, media_type=media_type, headers={"cache-control": "private, max-age=3600"})

    @app.get("/_sandbox/files/uploads/{name}", tags=["sandbox"], responses=not_found,
             response_class=Response, summary="An uploaded image (no auth: a presigned-style link)")
    def uploaded_file(name: str) -> Response:
        """Served while the upload is valid; 404 afterwards."""
        return serve(f"/_sandbox/files/uploads/{name}")

    @app.get("/_sandbox/files/designs/{design}/{view}", tags=["sandbox"], responses=not_found,
             response_class=Response, summary="A corpus drawing: view N of design D (PNG)")
    def design_view(design: str, view: str) -> Response:
        """``/_sandbox/files/designs/12/0.png`` is the first view of design 12."""
        return serve(f"/_sandbox/files/designs/{design}/{view}")
