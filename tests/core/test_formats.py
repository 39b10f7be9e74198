"""`served(...)` narrows the one `DocumentFormat` to a route's formats: others are refused
naming the allowed ones, and the OpenAPI parameter lists only those."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfspace.core.formats import DocumentFormat, served

PageFormat = Annotated[DocumentFormat, served(DocumentFormat.HTML, DocumentFormat.PDF)]


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/doc")
    def doc(format: PageFormat = DocumentFormat.HTML) -> dict[str, str]:
        return {"member": repr(format)}

    return app


def test_a_served_format_arrives_as_the_member() -> None:
    client = TestClient(_app())
    assert client.get("/doc", params={"format": "pdf"}).json() == {"member": repr(DocumentFormat.PDF)}
    assert client.get("/doc").json() == {"member": repr(DocumentFormat.HTML)}


def test_another_format_is_refused_naming_the_served_ones() -> None:
    client = TestClient(_app())
    for word in ("csv", "json", "PDF"):
        answer = client.get("/doc", params={"format": word})
        assert answer.status_code == 422
        [problem] = answer.json()["detail"]
        assert problem["msg"] == "Input should be 'html' or 'pdf'"


def test_the_openapi_parameter_lists_only_the_served_formats() -> None:
    [param] = _app().openapi()["paths"]["/doc"]["get"]["parameters"]
    assert param["schema"]["enum"] == ["html", "pdf"]
    assert param["schema"]["default"] == "html"
