"""Health, metrics and the OpenAPI document integrators build from."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text

from shelfspace.app import create_app
from shelfspace.config import Settings
from tests.databases import migrated_engine, sqlite_url
from tests.support import BANNER, Api

METRICS_TOKEN = "prometheus-scrapes-with-this-0123456789"
ERROR_STATUSES = {"401", "403", "404", "409", "422"}
# These look nothing up by id and conflict with nothing (an event sent again is accepted
# once): they cannot answer 404 or 409.
OWN_ERROR_STATUSES = {
    (path, method): {"401", "403", "422"}
    for path, method in (
        ("/v1/decisions", "post"),
        ("/v1/events/conversions", "post"),
        ("/v1/events/behaviour", "post"),
        ("/v1/reports", "get"),
    )
}
# Measurement reads; a lift plan looks nothing up at all.
OWN_ERROR_STATUSES[("/v1/campaigns/{campaign_id}/lift", "get")] = {"401", "403", "404", "422"}
OWN_ERROR_STATUSES[("/v1/lift/plan", "post")] = {"401", "403", "422"}
# A forecast writes nothing; another advertiser's ids in its body are a 422 naming the field.
OWN_ERROR_STATUSES[("/v1/forecasts", "post")] = {"401", "403", "422"}
OWN_ERROR_STATUSES[("/v1/forecasts/inventory", "get")] = {"401", "403", "422"}
for method in ("get", "patch"):
    OWN_ERROR_STATUSES[("/v1/brand-lift-studies/{study_id}", method)] = {"401", "403", "404", "422"}
OWN_ERROR_STATUSES[("/v1/brand-lift-studies", "get")] = {"401", "403", "422"}
OWN_ERROR_STATUSES[("/v1/brand-lift-studies", "post")] = {"401", "403", "404", "422"}
OWN_ERROR_STATUSES[("/v1/surveys", "get")] = {"422"}  # asked by pages, with no key
for method in ("get", "patch"):
    OWN_ERROR_STATUSES[("/v1/campaigns/{campaign_id}/case-study", method)] = {"401", "403", "404", "422"}
# A player asks for a video ad with no key: only a bad question is an error.
OWN_ERROR_STATUSES[("/v1/vast", "get")] = {"422"}


def test_healthz(client: TestClient) -> None:
    for path in ("/healthz", "/healthz/ready", "/healthz/live"):
        response = client.get(path)
        assert response.status_code == 200 and response.json() == {"status": "ok", "reason": None}, path


def test_a_server_whose_database_is_behind_is_alive_but_not_ready(settings: Settings, tmp_path: Path) -> None:
    """Liveness asks nothing outside the process: an orchestrator keeps the instance and
    waits, rather than restarting it for a migration it cannot run itself."""
    engine = migrated_engine(sqlite_url(tmp_path))
    with TestClient(create_app(settings, engine)) as behind:
        with engine.begin() as connection:  # as if a newer release's migrations were pending
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert behind.get("/healthz/live").json() == {"status": "ok", "reason": None}
        for path in ("/healthz/ready", "/healthz"):
            answer = behind.get(path)
            assert answer.status_code == 503 and answer.json()["reason"] == "migrations_pending", path
    engine.dispose()


def test_metrics_count_requests_by_route_template(operator: Api) -> None:
    operator.post("/v1/placements", BANNER)
    operator.get("/v1/placements/home-hero")
    operator.get("/v1/placements/missing", status=404)
    text = operator.call("GET", "/metrics").text  # an operator's key may scrape
    assert 'shelfspace_http_requests_total{method="GET",route="/v1/placements/{id}",status="200"} 1.0' in text
    assert 'shelfspace_http_requests_total{method="GET",route="/v1/placements/{id}",status="404"} 1.0' in text
    assert "shelfspace_http_request_seconds_bucket" in text
    assert "/v1/placements/missing" not in text  # ids never become labels


def test_metrics_need_the_operators_key_or_the_metrics_token(
    operator: Api, advertiser_api: Api, engine: Engine, settings: Settings
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer ssk_not-a-key"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Bearer {METRICS_TOKEN}"},
    ):  # no token configured: not a key either
        anonymous = operator.client.get("/metrics", headers=headers)
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized", headers
        assert "shelfspace_" not in anonymous.text
    assert advertiser_api.call("GET", "/metrics").status_code == 403
    assert "shelfspace_http_requests_total" in operator.call("GET", "/metrics").text
    with_token = create_app(settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)}), engine)
    with TestClient(with_token) as scraper:
        assert scraper.get("/metrics").status_code == 401
        assert scraper.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN[:-1]}x"}).status_code == 401
        scraped = scraper.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scraped.status_code == 200 and "shelfspace_http_requests_total" in scraped.text
        assert scraper.get("/metrics", headers=operator.headers).status_code == 200  # a key still may


def test_openapi_documents_every_operation_and_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert op.get("summary"), f"{method} {path} has no summary"
        if path.startswith("/v1/"):
            documented = set(op["responses"])
            expected = OWN_ERROR_STATUSES.get((path, method), ERROR_STATUSES)
            assert expected <= documented, f"{method} {path} lacks {expected - documented}"
            invalid = op["responses"]["422"]["content"]["application/json"]["schema"]
            # The error model, or it or a body of the route's own (the product import's refused rows).
            assert invalid.get("$ref", invalid.get("anyOf", [{}])[0].get("$ref", "")).endswith("/ErrorBody")
            assert op.get("security"), f"{method} {path} does not declare its API key"
    feed = spec["paths"]["/v1/products/import"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(feed)


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = client.put("/healthz")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
