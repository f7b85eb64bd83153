"""The sandbox's routes for authentication and uploads: ``POST /oauth/token`` and the image upload (P010).

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_auth_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/oauth"))
    ['/oauth/token']
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..api import AUTHORIZATION_HEADER, TOKEN, UPLOAD
from ..errors import InvalidImageError
from ..images import MAX_IMAGE_BYTES, ImageRef
from .decoding import decode_plan
from .files import absolute
from .protocol import TOKEN_PATH, UPLOAD_PATH, ApiFailure, ok_envelope
from .schemas import answer_docs, apikey_doc, bearer_doc
from .state import SandboxState

__all__ = ["add_auth_routes"]


def add_auth_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the token and upload routes serving ``state``."""
    @app.post(TOKEN_PATH, responses=answer_docs(TOKEN), tags=["auth"],
              summary="OAuth client credentials: a bearer token")
    async def oauth_token(request: Request, grant_type: str | None = Form(None)) -> JSONResponse:
        """Send ``grant_type=client_credentials`` with ``Authorization: Basic base64(client_id:client_secret)``."""
        client_id, client_secret = _basic_credentials(request.headers.get(AUTHORIZATION_HEADER))
        if not state.credentials.check_client(client_id, client_secret):
            raise ApiFailure(67200003, "wrong client id or client secret")
        if grant_type != "client_credentials":
            raise ApiFailure(68300004, f"grant_type must be client_credentials, got {str(grant_type)[:40]!r}")
        lifetime = state.faults.settings.token_lifetime
        token = state.credentials.issue_token(client_id, lifetime=lifetime)
        return JSONResponse({"token": token, "token_type": "BearerToken",
                             "expires_in": int(lifetime), "status": "approved"})

    @app.post(UPLOAD_PATH, responses=answer_docs(UPLOAD), tags=["image search"],
              summary="[P010] Upload an image, get a URL to search with",
              dependencies=[Depends(apikey_doc), Depends(bearer_doc)])
    async def image_upload(
        request: Request,
        image: Annotated[UploadFile | None, File(description="JPG or PNG, at most 4096 KB")] = None,
    ) -> JSONResponse:
        """The image is checked like the client checks it (type by magic bytes, size, decodes, pixel cap), and
        refused when reading it would take more memory than the sandbox gives one image (see decoding.py)."""
        if image is None:
            raise ApiFailure(68300004, "image: a multipart/form-data file field named 'image' is required")
        data = await image.read(MAX_IMAGE_BYTES + 1)
        try:
            ref = await run_in_threadpool(_checked, state, data)
        except InvalidImageError as exc:
            raise ApiFailure(68300010, str(exc)) from None
        expire = int(state.faults.settings.upload_expire)
        name = state.uploads.add(ref.data, ref.kind, expire=expire)
        url = absolute(state, request, f"/_sandbox/files/uploads/{name}")
        return JSONResponse(ok_envelope({"url": url, "expire": expire}))

def _checked(state: SandboxState, data: bytes) -> ImageRef:
    """``data`` checked as the client checks it, within the decode budget; over the budget is an
    :class:`InvalidImageError` saying how to make it acceptable (nothing is decoded then)."""
    cost, refusal = decode_plan(data)
    if refusal is not None:
        raise InvalidImageError("image", refusal)
    with state.decode_budget.hold(cost):
        return ImageRef.from_bytes(data)


def _basic_credentials(header: str | None) -> tuple[str, str]:
    scheme, _, encoded = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise ApiFailure(67200003, "send 'Authorization: Basic base64(client_id:client_secret)'")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiFailure(67200003, "the Basic credentials are not valid base64 of client_id:client_secret") from None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise ApiFailure(67200003, "the Basic credentials must be client_id:client_secret")
    return client_id, client_secret
