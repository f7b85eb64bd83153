"""The sandbox's own file links and the images it issued: uploads and corpus drawings.

Paths are matched against fixed patterns and mapped to generated ids and integers; user text is never joined
to a filesystem path, and a search only ever reads an image the sandbox issued itself, looked up locally
(it never fetches an address: no SSRF).

Example:
    >>> local_file(None, "/etc/passwd") is None
    True
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .protocol import ApiFailure, error_envelope
from .schemas import ErrorEnvelope
from .state import SandboxState, Upload

__all__ = ["MAX_URL_LENGTH", "absolute", "add_file_routes", "issued_image", "local_file"]

MAX_URL_LENGTH = 2048
_UPLOAD_NAME = re.compile(r"^([0-9a-f]{32})\.(png|jpg)$")
_VIEW_NAME = re.compile(r"^(\d{1,3})\.png$")
_DESIGN = re.compile(r"^\d{1,9}$")


def absolute(state: SandboxState, request: Request, path: str) -> str:
    """The absolute URL of one of our paths (the bound address, else the request's host)."""
    base = state.base_url or str(request.base_url).rstrip("/")
    return f"{base}{path}"


def issued_image(state: SandboxState, request: Request, url: str) -> bytes:
    """The bytes behind a URL this sandbox issued, looked up locally; anything else is refused unfetched."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ApiFailure(68300004, f"url: required, at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    own = {urlsplit(state.base_url).netloc} if state.base_url else set()
    own.add(request.headers.get("host", ""))
    if parts.scheme not in ("http", "https") or parts.netloc not in own:
        raise ApiFailure(68300004, "url: the sandbox searches only images it issued itself (upload URLs and "
                                   "corpus drawing URLs); it never fetches outside addresses")
    found = local_file(state, parts.path)
    if found is None:
        raise ApiFailure(68300004, "url: not an image this sandbox issued")
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
        m = _UPLOAD_NAME.match(rest[1])
        if not m:
            return None
        upload = state.uploads.lookup(m[1])
        if not isinstance(upload, Upload):
            return upload  # "expired" or None
        if (upload.kind == "jpeg") != (m[2] == "jpg"):
            return None
        return upload.data, f"image/{upload.kind}"
    if len(rest) == 3 and rest[0] == "designs" and _DESIGN.match(rest[1]) and _VIEW_NAME.match(rest[2]):
        design, view = int(rest[1]), int(_VIEW_NAME.match(rest[2])[1])
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
    not_found = {404: {"model": ErrorEnvelope, "description": "no such file (or the upload expired)"}}

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
