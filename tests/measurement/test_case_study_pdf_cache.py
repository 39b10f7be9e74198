"""The published case study's PDF is printed once per version (measurement/case_study_pdf.py):
the second request is served from the data directory without printing, and editing the
case study's words prints anew. Timings are printed for the report, never asserted."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from shelfspace.config import Settings
from shelfspace.measurement import case_study
from shelfspace.measurement.case_study_pdf import DIRECTORY, PdfCache, version_of
from tests.measurement.test_lift_api import app_clock, study  # noqa: F401  (the fixtures)
from tests.support import Api


@pytest.fixture
def prints(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTML of every case study WeasyPrint is asked to print."""
    printed: list[str] = []
    real = case_study.render_pdf

    def counting(html: str, base_url: str) -> bytes:
        printed.append(html)
        return real(html, base_url)

    monkeypatch.setattr(case_study, "render_pdf", counting)
    return printed


def _timed_get(api: Api, path: str) -> tuple[Any, float]:
    started = time.perf_counter()
    answer = api.client.get(path)
    return answer, time.perf_counter() - started


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_public_pdf_is_printed_once_per_version(
    operator: Api, settings: Settings, prints: list[str], study: dict[str, Any]
) -> None:  # noqa: F811
    campaign_id = study["campaign"]["id"]
    edit = f"/v1/campaigns/{campaign_id}/case-study"
    shared = operator.patch(edit, {"headline": "Tents sell out", "published": True})["share_url"]
    path = "/case-studies/" + shared.split("/case-studies/")[1] + "?format=pdf"

    first, first_seconds = _timed_get(operator, path)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert len(prints) == 1 and "Tents sell out" in _text(first.content)
    second, second_seconds = _timed_get(operator, path)
    assert second.status_code == 200 and second.content == first.content
    assert len(prints) == 1  # served from the data directory: not printed again
    kept = list((settings.data_dir / DIRECTORY).glob(f"{campaign_id}-*.pdf"))
    assert [p.read_bytes() for p in kept] == [first.content]
    print(
        f"\ncase study PDF: first (printed) {first_seconds * 1000:.0f} ms, then (cached) {second_seconds * 1000:.0f} ms"
    )

    # The owner's API and the pages share the same printed file when nothing shown differs.
    owners = operator.client.get(f"{edit}?format=pdf", headers=operator.headers)
    assert owners.status_code == 200 and owners.content == first.content and len(prints) == 1

    operator.patch(edit, {"headline": "Tents sell out twice"})  # the stored words change: a new version
    third, third_seconds = _timed_get(operator, path)
    print(f"case study PDF: printed again after an edit {third_seconds * 1000:.0f} ms")
    assert len(prints) == 2 and "Tents sell out twice" in _text(third.content)
    assert "Tents sell out twice" in prints[-1] and "nonce=" not in prints[-1]
    kept = list((settings.data_dir / DIRECTORY).glob(f"{campaign_id}-*.pdf"))
    assert [p.read_bytes() for p in kept] == [third.content]  # the older version is gone
    assert _timed_get(operator, path)[0].content == third.content and len(prints) == 2

    # Back to the first words: printed again (the file went with its version), the first
    # version's text. Not its bytes: without HarfBuzz's subsetter WeasyPrint subsets fonts
    # with fontTools, which stamps each subset with the second it was made.
    operator.patch(edit, {"headline": "Tents sell out"})
    again = _timed_get(operator, path)[0]
    assert _text(again.content) == _text(first.content) and len(prints) == 3


def test_the_version_is_the_printed_html_and_the_base_url(tmp_path: Path) -> None:
    printed: list[str] = []

    def fake_printer(html: str, base_url: str) -> bytes:
        printed.append(html)
        return f"%PDF-{html}@{base_url}".encode()

    cache = PdfCache.under(tmp_path)
    assert cache.pdf("cmp_1", "<p>a</p>", "http://a", fake_printer) == b"%PDF-<p>a</p>@http://a"
    assert cache.pdf("cmp_1", "<p>a</p>", "http://a", fake_printer) == b"%PDF-<p>a</p>@http://a"
    assert printed == ["<p>a</p>"]
    cache.pdf("cmp_1", "<p>a</p>", "http://b", fake_printer)  # another base URL: links differ
    cache.pdf("cmp_2", "<p>a</p>", "http://b", fake_printer)  # another campaign: its own file
    assert len(printed) == 3
    assert version_of("<p>a</p>", "http://a") != version_of("<p>b</p>", "http://a")
    with pytest.raises(ValueError):
        cache.path("../../etc/passwd", "0")
