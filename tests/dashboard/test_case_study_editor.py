"""The case study editor: the drafted words stay a draft (their figures follow the events)
until the operator changes them; changed words are kept whole, every paragraph, as the
operator's own; unpublishing withdraws the link and stores nothing else."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.measurement.models import CaseStudy
from tests.dashboard.pages import make_user, post_form, sign_in
from tests.support import Api, build_network

BOSS = "ops@network.example"


def _stored(engine: Engine, campaign_id: str) -> tuple[str | None, str | None, str | None] | None:
    with session_scope(make_sessionmaker(engine)) as db:
        row = db.get(CaseStudy, campaign_id)
        return (row.headline, row.narrative, row.share_token) if row else None


def _form(page: str) -> dict[str, str | list[str]]:
    """The editor's fields as the browser would send them (a textarea's line ends as CR LF)."""
    headline = re.search(r'name="headline"[^>]*value="([^"]*)"', page)
    narrative = re.search(r'<textarea name="narrative"[^>]*>(.*?)</textarea>', page, re.S)
    marks = dict(re.findall(r'name="(headline_draft|narrative_draft)" value="([^"]*)"', page))
    assert headline and narrative and set(marks) == {"headline_draft", "narrative_draft"}, page
    return {
        "headline": html.unescape(headline.group(1)),
        "narrative": html.unescape(narrative.group(1)).replace("\n", "\r\n"),
        **marks,
    }


def _paragraphs(document: str) -> list[str]:
    section = re.search(r'<section class="narrative">(.*?)</section>', document, re.S)
    assert section, document
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", section.group(1), re.S)]


def _editor(client: TestClient, engine: Engine, operator: Api, advertiser_api: Api) -> tuple[str, str]:
    campaign = build_network(operator, advertiser_api.advertiser_id or "")["campaign"]
    make_user(engine, BOSS)
    sign_in(client, BOSS)
    return campaign["id"], f"/console/campaigns/{campaign['id']}/case-study/edit"


def test_the_drafted_words_stay_a_draft_that_follows_the_figures(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    campaign_id, editor = _editor(client, engine, operator, advertiser_api)
    page = client.get(editor).text
    assert 'data-words="draft"' in page and 'value="redraft"' not in page
    shown = _form(page)
    assert "“Spring sale”" in shown["narrative"]
    saved = post_form(client, editor, editor, shown | {"action": "save"})
    assert saved.status_code == 303
    assert _stored(engine, campaign_id) == (None, None, None)  # nothing of the draft frozen
    assert "still the generated draft" in client.get(editor).text

    # The figures move between opening the editor and saving it: what was shown is still the draft.
    operator.patch(f"/v1/campaigns/{campaign_id}", {"name": "Autumn sale"})
    stale = _form(client.get(editor).text)
    operator.patch(f"/v1/campaigns/{campaign_id}", {"name": "Winter sale"})
    assert post_form(client, editor, editor, stale | {"action": "publish"}).status_code == 303
    headline, narrative, token = _stored(engine, campaign_id) or (None, None, None)
    assert (headline, narrative) == (None, None) and token
    document = client.get(f"/console/campaigns/{campaign_id}/case-study").text
    assert "“Winter sale”" in " ".join(_paragraphs(document))
    assert "“Winter sale”" in _form(client.get(editor).text)["narrative"]


def test_changed_words_are_the_operators_own_with_every_paragraph(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    campaign_id, editor = _editor(client, engine, operator, advertiser_api)
    shown = _form(client.get(editor).text)
    words = "Tents sold out.\r\n\r\nThe second paragraph,\r\non two lines.\r\n\r\n\r\nA third, after two blank lines."
    assert post_form(client, editor, editor, shown | {"narrative": words, "action": "save"}).status_code == 303
    headline, narrative, _ = _stored(engine, campaign_id) or (None, None, None)
    assert headline is None  # the headline was left as drafted
    assert narrative == words.replace("\r\n", "\n")
    page = client.get(editor).text
    assert 'data-words="own"' in page and "The narrative is your own words" in page and 'value="redraft"' in page
    assert _form(page)["narrative"] == words  # the textarea holds them exactly
    document = client.get(f"/console/campaigns/{campaign_id}/case-study").text
    assert _paragraphs(document) == [
        "Tents sold out.",
        "The second paragraph,\non two lines.",
        "A third, after two blank lines.",
    ]

    operator.patch(f"/v1/campaigns/{campaign_id}", {"name": "Winter sale"})  # own words do not follow
    assert _paragraphs(client.get(f"/console/campaigns/{campaign_id}/case-study").text)[0] == "Tents sold out."
    assert post_form(client, editor, editor, {"action": "redraft"}).status_code == 303
    assert _stored(engine, campaign_id) == (None, None, None)
    assert "“Winter sale”" in _paragraphs(client.get(f"/console/campaigns/{campaign_id}/case-study").text)[0]


def test_unpublishing_withdraws_the_link_and_stores_nothing_else(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    campaign_id, editor = _editor(client, engine, operator, advertiser_api)
    shown = _form(client.get(editor).text)
    assert post_form(client, editor, editor, shown | {"action": "publish"}).status_code == 303
    assert (_stored(engine, campaign_id) or (None, None, None))[2]
    typed: dict[str, str | list[str]] = shown | {
        "headline": "Typed, never saved",
        "narrative": "Nor this.",
        "action": "unpublish",
    }
    assert post_form(client, editor, editor, typed).status_code == 303
    assert _stored(engine, campaign_id) == (None, None, None)  # still the draft, and withdrawn
    assert "Nothing else changed" in client.get(editor).text

    mine: dict[str, str | list[str]] = _form(client.get(editor).text) | {
        "headline": "Our words",
        "narrative": "Kept.\r\n\r\nBoth.",
        "action": "publish",
    }
    assert post_form(client, editor, editor, mine).status_code == 303
    assert (
        post_form(client, editor, editor, mine | {"narrative": "Overwritten?", "action": "unpublish"}).status_code
        == 303
    )
    assert _stored(engine, campaign_id) == ("Our words", "Kept.\n\nBoth.", None)
