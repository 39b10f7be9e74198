"""Operator rules in the catalogue: advertiser categories, competitors, blocked categories.

And the catalogue's version, which every write moves so the decision snapshot rebuilds.
"""

from __future__ import annotations

from sqlalchemy import Engine

from shelfspace.catalog.version import catalogue_version
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.support import Api, field_errors


def _brand(api: Api, name: str, **extra: object) -> dict[str, object]:
    slug = name.lower().replace(" ", "")
    return api.post("/v1/advertisers", {"name": name, "domain": f"{slug}.example", **extra})


def test_advertiser_category_is_normalised_and_set_by_the_operator(operator: Api, advertiser_api: Api) -> None:
    bank = _brand(operator, "Northwind Bank", category=" Finance / Banking ")
    assert bank["category"] == "finance/banking"
    own = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    assert operator.patch(own, {"category": "Outdoor"})["category"] == "outdoor"
    # A brand that could change its category would slip out of a placement's blocked ones.
    assert "category" in advertiser_api.patch(own, {"category": "toys"}, status=403)["error"]["message"]
    assert operator.patch(own, {"category": None})["category"] is None
    body = operator.patch(own, {"category": "outdoor//camping"}, status=422)
    assert "category" in field_errors(body)


def test_competitors_must_be_other_known_advertisers(operator: Api) -> None:
    bank = _brand(operator, "Northwind Bank")
    rival = _brand(operator, "Southgate Bank", competitors=[bank["id"]])
    assert rival["competitors"] == [bank["id"]]
    for bad in (["adv_nosuchbrand"], [rival["id"]], [bank["id"], bank["id"]]):
        body = operator.patch(f"/v1/advertisers/{rival['id']}", {"competitors": bad}, status=422)
        assert "competitors" in field_errors(body), bad
    assert operator.patch(f"/v1/advertisers/{rival['id']}", {"competitors": None})["competitors"] == []
    body = operator.post(
        "/v1/advertisers", {"name": "X", "domain": "x.example", "competitors": ["adv_missing"]}, status=422
    )
    assert "competitors" in field_errors(body)


def test_only_the_operator_sets_competitors(operator: Api, advertiser_api: Api) -> None:
    rival = _brand(operator, "Rival Outdoor")
    own = f"/v1/advertisers/{advertiser_api.advertiser_id}"
    advertiser_api.patch(own, {"competitors": [rival["id"]]}, status=403)
    assert operator.patch(own, {"competitors": [rival["id"]]})["competitors"] == [rival["id"]]


def test_placement_blocked_categories(operator: Api) -> None:
    body = {"id": "home-hero", "name": "Home hero", "channel": "web", "format": "banner", "sizes": ["970x250"]}
    placement = operator.post("/v1/placements", body | {"blocked_categories": ["Alcohol", "gambling"]})
    assert placement["blocked_categories"] == ["alcohol", "gambling"]
    changed = operator.patch("/v1/placements/home-hero", {"blocked_categories": ["finance/crypto"]})
    assert changed["blocked_categories"] == ["finance/crypto"]
    refused = operator.patch("/v1/placements/home-hero", {"blocked_categories": ["alcohol", "ALCOHOL"]}, status=422)
    assert "blocked_categories" in field_errors(refused)
    assert operator.patch("/v1/placements/home-hero", {"blocked_categories": None})["blocked_categories"] == []


def test_every_catalogue_write_moves_the_version_and_a_refused_one_does_not(operator: Api, engine: Engine) -> None:
    def version() -> int:
        with session_scope(make_sessionmaker(engine)) as db:
            return catalogue_version(db)

    before = version()
    brand = _brand(operator, "Versioned Brand")
    after_create = version()
    assert after_create > before
    operator.patch(f"/v1/advertisers/{brand['id']}", {"competitors": ["adv_missing"]}, status=422)
    assert version() == after_create
    operator.post("/v1/products/import", {"products": [{"sku": "V-1", "title": "Tent"}]}, status=200)
    assert version() > after_create
