"""The sandbox's synthetic truth over HTTP: study queries and their graded verdicts (:mod:`.truth`).

The vendor has no such routes; they answer only on the sandbox, without credentials (like its file links),
and every verdict says ``verdict_source: sandbox-synthetic``:

==============================================  ==========================================================
``GET /_sandbox/study?n=40&seed=0``             ``n`` study queries (name, query key, image link, how each
                                                was made) and their truth; the sandbox remembers their keys
``GET /_sandbox/study/images/{hex}.{png|jpg}``  a study query's image (``hex``: its key without ``sha256:``)
``GET /_sandbox/truth?query_key=sha256:...``    the verdicts of study queries this sandbox generated (the
                                                parameter repeated for several, up to 200)
==============================================  ==========================================================

A query key the sandbox did not generate, a malformed one, or a corpus without design families is answered
with the API's parameter error (68300004) and a message saying what to do; never a 5xx.

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_study_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/_sandbox"))
    ['/_sandbox/study', '/_sandbox/study/images/{name}', '/_sandbox/truth']
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from ..api import MAX_STUDY_QUERIES, MAX_TRUTH_KEYS, SANDBOX_STUDY, SANDBOX_STUDY_IMAGES, SANDBOX_TRUTH
from .files import absolute
from .protocol import ApiFailure, error_envelope, ok_envelope
from .schemas import StudyEnvelope, TruthEnvelope, error_docs
from .state import SandboxState
from .truth import VERDICT_SOURCE, UnknownQuery, truth_frame

__all__ = ["MAX_STUDY_QUERIES", "MAX_TRUTH_KEYS", "add_study_routes"]

# MAX_STUDY_QUERIES (api.py): study queries one request may ask for (5-20 ms each to make: a request stays
# within seconds); a larger study takes several seeds, or ``Sandbox.study_queries`` / the command line, which
# have no bound. MAX_TRUTH_KEYS: query keys one truth request may name.
_KEY = re.compile(r"sha256:[0-9a-f]{64}")
_IMAGE = re.compile(r"([0-9a-f]{64})\.(png|jpg)")


def add_study_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the study and truth routes serving ``state``."""

    @app.get(SANDBOX_STUDY.path, tags=["sandbox"], response_model=StudyEnvelope,
             summary="Study queries made from the corpus's design families, with their synthetic truth")
    def study(request: Request,
              n: int = Query(40, ge=1, le=MAX_STUDY_QUERIES, description="how many study queries"),
              seed: int = Query(0, ge=0, le=2**32 - 1, description="which set (the same seed, the same queries)"),
              ) -> JSONResponse:
        """Query ``k`` of a seed is the same whatever ``n``; their keys are remembered for ``/_sandbox/truth``."""
        try:
            queries = state.study.generate(state.corpus, n, seed)
        except ValueError as exc:  # a corpus without design families
            raise ApiFailure(68300004, str(exc)) from None
        meta = state.corpus.meta
        rows = [{"name": q.name, "query_key": q.key, "degradation": q.degradation, "family_id": q.family_id,
                 "loc": str(meta.at[q.design, "loc"]).split(",")[0],
                 "image_url": absolute(state, request, f"{SANDBOX_STUDY_IMAGES}/{q.key[7:]}.{q.name[-3:]}")}
                for q in queries]
        return JSONResponse(ok_envelope({"queries": rows, "truth": _truth_data(state, truth_frame(state.corpus, queries))}))

    @app.get(SANDBOX_STUDY_IMAGES + "/{name}", tags=["sandbox"], response_class=Response,
             responses={404: error_docs("not a study query this sandbox generated")},
             summary="A study query's image")
    def image(name: str) -> Response:
        """The image is made again from the query's seed and number: the same bytes, the same key."""
        found = _IMAGE.fullmatch(name)
        query = state.study.query(state.corpus, "sha256:" + found[1]) if found else None
        if query is None or query.name[-3:] != found[2]:
            return JSONResponse(error_envelope(68300004, "no such study query image: get the study's links "
                                                         "from /_sandbox/study"), status_code=404)
        return Response(query.image, media_type="image/png" if found[2] == "png" else "image/jpeg")

    @app.get(SANDBOX_TRUTH.path, tags=["sandbox"], response_model=TruthEnvelope,
             summary="Graded synthetic verdicts of study queries this sandbox generated")
    def truth(query_key: Annotated[list[str], Query(description="sha256:<hex> of a study query's image; "
                                                          f"repeat for several (at most {MAX_TRUTH_KEYS})")],
              ) -> JSONResponse:
        """Every member of each query's design family, graded; every other design is different."""
        keys = list(dict.fromkeys(query_key))
        if len(keys) > MAX_TRUTH_KEYS:
            raise ApiFailure(68300004, f"query_key: at most {MAX_TRUTH_KEYS} a request, got {len(keys)}")
        bad = [k for k in keys if not _KEY.fullmatch(k)]
        if bad:
            raise ApiFailure(68300004, f"query_key {bad[0][:80]!r}: sha256: and the 64 lowercase hex digits of "
                                       f"the query image's bytes")
        try:
            frame = state.study.truth(state.corpus, keys)
        except UnknownQuery as exc:
            raise ApiFailure(68300004, str(exc)) from None
        return JSONResponse(ok_envelope(_truth_data(state, frame)))


def _truth_data(state: SandboxState, frame: pd.DataFrame) -> dict[str, Any]:
    return {"verdicts": [{k: (int(v) if k == "relevance" else str(v)) for k, v in row.items()}
                         for row in frame.to_dict("records")],
            "unlisted": "different", "verdict_source": VERDICT_SOURCE, "designs": len(state.corpus.meta)}
