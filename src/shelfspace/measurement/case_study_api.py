"""Case studies over HTTP: for the campaign's owner and the operator with a key, and for
anyone with the link once the operator publishes it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import HTMLResponse, Response

from shelfspace.accounts.caller import Caller
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.models import Campaign
from shelfspace.catalog.services import campaigns
from shelfspace.core.errors import NotFound, Unavailable
from shelfspace.core.formats import DocumentFormat, served
from shelfspace.core.inputs import KEY_PATTERN, NulFree
from shelfspace.core.jsonbody import JsonBody
from shelfspace.db.session import session_scope
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.security_headers import csp_nonce
from shelfspace.measurement import case_study
from shelfspace.measurement.case_study import CaseStudyEdit, Network
from shelfspace.measurement.case_study_pdf import PdfCache
from shelfspace.measurement.schemas import CaseStudyWords
from shelfspace.runtime import runtime_of

router = APIRouter(
    tags=["measurement"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 404, 422)}
)
public = APIRouter(tags=["measurement"])

HTML_OR_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}, "application/pdf": {}}}}

CampaignId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The campaign's id.")]


# The formats a case study is answered in (the API's and the pages' `?format=`).
CaseStudyFormat = Annotated[DocumentFormat, served(DocumentFormat.HTML, DocumentFormat.PDF)]


def network_of(request: Request) -> Network:
    rt = runtime_of(request)
    return Network(rt.settings.network_name, rt.settings.currency, rt.settings.timezone, rt.attribution_windows)


def share_url(request: Request, token: str | None) -> str | None:
    return f"{runtime_of(request).settings.base_url()}/case-studies/{token}" if token else None


def respond(request: Request, html: str, form: DocumentFormat, name: str, campaign_id: str) -> Response:
    """The case study as HTML, or as PDF: printed once per version and then read from the
    data directory (case_study_pdf.py), in the calling route's thread."""
    if form is DocumentFormat.HTML:
        return HTMLResponse(html)
    settings = runtime_of(request).settings
    try:
        pdf = PdfCache.under(settings.data_dir).pdf(campaign_id, html, settings.base_url(), case_study.render_pdf)
    except OSError as missing:  # WeasyPrint loads Pango when first used
        raise Unavailable(
            f"PDF rendering needs the Pango library on this server ({missing}); the HTML case study works without it"
        ) from None
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


def document(
    request: Request, db: Any, campaign: Campaign, form: DocumentFormat = DocumentFormat.HTML
) -> tuple[str, str]:
    """The case study's HTML, computed now, and a file name for it. The PDF's HTML has no
    CSP nonce: it would make every request's HTML, and so the PDF's version, differ."""
    rt = runtime_of(request)
    view = case_study.build(db, rt.event_log, campaign, rt.clock.now(), network_of(request))
    nonce = csp_nonce(request.scope) if form is DocumentFormat.HTML else None
    html = case_study.render_html(view, share_url(request, view.share_token), nonce)
    return html, f"case-study-{campaign.id}"


@router.get(
    "/v1/campaigns/{campaign_id}/case-study",
    summary="The campaign's case study, as HTML or PDF",
    responses=HTML_OR_PDF,
    response_class=HTMLResponse,
)
def get_case_study(
    request: Request, caller: Caller, campaign_id: CampaignId, format: CaseStudyFormat = DocumentFormat.HTML
) -> Response:
    """Brand, audience, placements, the key metrics, the incremental lift with its
    interval, brand lift if measured, charts and the methodology, computed now."""
    return campaign_case_study(request, caller, campaign_id, format)


def campaign_case_study(request: Request, by: Principal, campaign_id: str, form: DocumentFormat) -> Response:
    """The case study of a campaign `by` may see (another's is not found), for the API and
    the pages alike; from plain `def` routes, so built and printed in the thread pool."""
    with session_scope(runtime_of(request).db_sessions) as db:
        campaign = campaigns.get(db, by, campaign_id)
        html, name = document(request, db, campaign, form)
    return respond(request, html, form, name, campaign.id)


@router.patch(
    "/v1/campaigns/{campaign_id}/case-study",
    summary="Edit the case study's words; publish a share link",
    response_model=CaseStudyWords,
)
def edit_case_study(request: Request, db: Db, caller: Caller, campaign_id: CampaignId, body: CaseStudyEdit) -> JsonBody:
    """Operator only. `published: true` makes a link anyone can open; `false` withdraws it
    (the old link stops working)."""
    campaign = campaigns.get(db, caller, campaign_id)  # another advertiser's campaign: not found
    caller.require_operator("edit a case study")
    stored = case_study.edit(db, campaign, body)
    return JsonBody(
        {
            "campaign_id": campaign.id,
            "headline": stored.headline,
            "narrative": stored.narrative,
            "published": stored.share_token is not None,
            "share_url": share_url(request, stored.share_token),
        }
    )


@public.get(
    "/case-studies/{token}",
    summary="A published case study",
    response_class=HTMLResponse,
    responses={404: ERROR_RESPONSES[404]},
)
def shared_case_study(
    request: Request,
    token: Annotated[NulFree, Path(max_length=64)],
    format: Annotated[CaseStudyFormat, Query()] = DocumentFormat.HTML,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        stored = case_study.by_share_token(db, token)
        campaign = db.get(Campaign, stored.campaign_id) if stored else None
        if campaign is None:
            raise NotFound("no published case study at this link")
        html, name = document(request, db, campaign, format)
    return respond(request, html, format, name, campaign.id)
