"""The sandbox's overnight batch routes (P062): create a job of up to ten images, then fetch its results.

* ``POST /search/patent/image-search/single-batch-create``: a JSON body as image-single takes, with ``urls``
  (1-10 image URLs this sandbox issued) instead of ``url``; answers ``data: {job_id}``. Bad bodies, more than
  ten URLs or an address the sandbox did not issue are 68300004 (nothing is created).
* ``POST /search/patent/image-search/single-batch-result?task_id=<job id>`` (body: a JSON object, unused):
  ``data: {status}`` — ``waiting``, or ``running`` during the sandbox calendar's night (22:00-08:00) — until
  the job's night is over, then ``{status: "success", search_result: [{url, patent_messages,
  total_search_result_count}, ...], total_search_result_count}``: one image-single answer per image, in the
  order of ``urls``, as the API would have found them that night. An unknown ``task_id`` is 68300004.

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_batch_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> sorted(r.path.rsplit("/", 1)[-1] for r in app.routes if r.path.startswith("/search"))
    ['single-batch-create', 'single-batch-result']
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..api import BATCH_CREATE, BATCH_RESULT, IMAGE_SINGLE, INVALID_PARAMETER, MAX_BATCH_IMAGES
from ..errors import ValidationError
from ..query import DesignQuery
from .files import issued_image
from .protocol import ApiFailure, ok_envelope
from .routes_search import rich_answer
from .schemas import answer_docs, apikey_doc, bearer_doc, search_body_schema
from .state import SandboxState

__all__ = ["add_batch_routes"]

_AUTH = [Depends(apikey_doc), Depends(bearer_doc)]


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise ApiFailure(INVALID_PARAMETER, "the body is not JSON") from None


def _create(state: SandboxState, request: Request, body: Any) -> dict[str, Any]:
    try:
        design_query = DesignQuery.from_api_body(IMAGE_SINGLE.name, body)
    except ValidationError as exc:
        raise ApiFailure(INVALID_PARAMETER, str(exc)) from None
    urls = body.get("urls")
    if not isinstance(urls, list) or not 1 <= len(urls) <= MAX_BATCH_IMAGES or not all(isinstance(u, str) for u in urls):
        raise ApiFailure(INVALID_PARAMETER, f"urls: required, a list of 1 to {MAX_BATCH_IMAGES} image URLs")
    images = [issued_image(state, request, u) for u in urls]  # read now: nothing is fetched later
    return {"job_id": state.jobs.create(images, design_query, urls)}


def _result(state: SandboxState, request: Request, task_id: str) -> dict[str, Any]:
    job = state.jobs.lookup(task_id[:64])
    if job is None:
        raise ApiFailure(INVALID_PARAMETER, "task_id: no such job (unknown, or too old)")
    status = job.state(state.clock.calendar())
    if status != "success":
        return {"status": status}
    if job.results is None:  # computed once, as that night found them
        night = job.ready_at.date()
        answers = [rich_answer(state, request, [image], job.design_query, day=night) for image in job.images]
        state.jobs.finish(job, [{"url": url, **answer} for url, answer in zip(job.urls, answers, strict=True)])
    return {"status": status, "search_result": job.results,
            "total_search_result_count": sum(r["total_search_result_count"] for r in job.results)}


def add_batch_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the two overnight batch routes serving ``state``."""
    body = search_body_schema(IMAGE_SINGLE.name)
    body["properties"].pop("url")
    body["properties"] = {"urls": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                   "maxItems": MAX_BATCH_IMAGES, "description": "1-10 image URLs (issued by this "
                                   "server), each searched as image-single would"}, **body["properties"]}
    body["required"] = ["urls", "patent_type", "model"]

    async def create(request: Request) -> JSONResponse:
        payload = await _json_body(request)
        return JSONResponse(ok_envelope(await run_in_threadpool(_create, state, request, payload)))

    create.__doc__ = f"{BATCH_CREATE.summary}. Bad bodies are answered 68300004."
    app.add_api_route(BATCH_CREATE.path, create, methods=["POST"],
                      responses=answer_docs(BATCH_CREATE), tags=["overnight batch"], dependencies=_AUTH, name=BATCH_CREATE.name,
                      summary=f"[{BATCH_CREATE.operation_id}] Create an overnight image search job",
                      openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}})

    async def result(request: Request, task_id: str = Query(..., max_length=64, description="the job's id")
                     ) -> JSONResponse:
        await _json_body(request)  # any JSON (the spec asks for an object and reads nothing from it)
        return JSONResponse(ok_envelope(await run_in_threadpool(_result, state, request, task_id)))

    result.__doc__ = f"{BATCH_RESULT.summary}."
    app.add_api_route(BATCH_RESULT.path, result, methods=["POST"],
                      responses=answer_docs(BATCH_RESULT), tags=["overnight batch"], dependencies=_AUTH, name=BATCH_RESULT.name,
                      summary=f"[{BATCH_RESULT.operation_id}] An overnight job's state and results",
                      openapi_extra={"requestBody": {"required": False, "content": {
                          "application/json": {"schema": {"type": "object"}}}}})
