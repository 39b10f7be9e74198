"""The brand lift survey as pages and apps see it: no key, like the decision API.

`GET /v1/surveys?user=…` answers the question a user should be asked now (or 204), with a
signed answer URL per answer; `GET /track/survey/{token}?answer=N` records the answer,
durably before it answers 204. The token seals the study and the user, so an answer cannot
be moved to another study or user; it says nothing of the user's group, which the server
finds when the answer comes. Answers pass tracking's invalid-traffic rules (declared
bots, prefetches, and in the recorder a flood of answers from one address): invalid ones
get the same 204, are stored with their reason and counted nowhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shelfspace.core.errors import InvalidInput, Unavailable
from shelfspace.core.inputs import NulFree
from shelfspace.core.jsonbody import JsonBody
from shelfspace.db.session import session_scope
from shelfspace.decisioning.holdout import StudyGroup
from shelfspace.events.model import InvalidReason
from shelfspace.http.cors import ANY_ORIGIN
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.measurement.brand_lift import answer_event, next_question, respondent_group
from shelfspace.measurement.schemas import SurveyOut
from shelfspace.runtime import runtime_of
from shelfspace.tracking import ivt
from shelfspace.tracking.signing import TokenRefused

router = APIRouter(tags=["measurement"], responses={k: v for k, v in ERROR_RESPONSES.items() if k == 422})

TOKEN_KIND = "survey"
ANSWER_URL_SECONDS = 86_400  # an answer link works for a day
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


@router.get(
    "/v1/surveys",
    summary="The brand lift question to ask this user now, if any",
    responses={204: {"description": "Nothing to ask this user."}},
    response_model=SurveyOut,
    openapi_extra={"security": [{}]},
)  # no key: pages ask as they ask for ads
def survey(
    request: Request,
    user: Annotated[NulFree, Query(min_length=1, max_length=200, description="The operator's user id.")],
) -> Response:
    """Asked by a page with room for one question. The answer lists each choice with the URL
    to call when the user picks it."""
    rt = runtime_of(request)
    unwritten = rt.study_log.unwritten_exposures(user)

    with session_scope(rt.db_sessions) as db:
        found = next_question(db, rt.event_log, user, unwritten, rt.clock.now())
        if found is None:
            return Response(status_code=204, headers=ANY_ORIGIN | NO_STORE)
        study = found.study
        study_id, question, answers = study.id, study.question, list(study.answers)
    now = rt.clock.now()
    token = rt.keys.signer.seal(TOKEN_KIND, int(now.timestamp()) + ANSWER_URL_SECONDS, [study_id, user, len(answers)])
    base = rt.settings.base_url()
    return JsonBody(
        {
            "study_id": study_id,
            "question": question,
            "answers": [
                {"text": text, "url": f"{base}/track/survey/{token}?answer={n}"} for n, text in enumerate(answers)
            ],
        },
        headers=ANY_ORIGIN | NO_STORE,
    )


@router.get("/track/survey/{token}", status_code=204, summary="Record a brand lift survey answer")
async def answer(
    request: Request,
    token: str,
    answer: Annotated[int, Query(ge=0, description="The chosen answer's position, from 0.")],
) -> Response:
    rt = runtime_of(request)
    now = rt.clock.now()
    try:
        sealed = rt.keys.signer.unseal(TOKEN_KIND, token, now.timestamp())
        # A link of the day before this release also sealed the group: it is not trusted.
        if len(sealed) == 4:
            del sealed[2]
        study_id, user_id, choices = sealed
    except TokenRefused as refused:
        reason = "the link expired" if refused.reason is InvalidReason.EXPIRED else "not a Shelfspace survey link"
        raise InvalidInput.on("token", reason) from None
    except ValueError:  # sealed by us for another shape of survey link
        raise InvalidInput.on("token", "not a Shelfspace survey link") from None
    if answer >= choices:
        raise InvalidInput.on("answer", f"the question has {choices} answers: 0 to {choices - 1}")
    group = await run_in_threadpool(_group_of, rt.db_sessions, study_id, user_id)
    if group is None:
        raise InvalidInput.on("token", "the study of this link no longer exists")
    source = rt.keys.signer.pseudonym(request.client.host) if request.client is not None else None
    event = answer_event(study_id, user_id, group, answer, now, ivt.classify(request.headers), source)
    try:
        await rt.recorder.record([event])
    except Exception as error:  # not on disk: not acknowledged
        raise Unavailable("the answer could not be stored; send it again") from error
    return Response(status_code=204, headers=ANY_ORIGIN | NO_STORE)


def _group_of(sessions: sessionmaker[Session], study_id: str, user_id: str) -> StudyGroup | None:
    with session_scope(sessions) as db:
        return respondent_group(db, study_id, user_id)
