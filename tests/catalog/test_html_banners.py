"""HTML5 banners: markup instead of an image, and never neither."""

from __future__ import annotations

from tests.support import BANNER, Api, field_errors


def test_a_banner_is_an_image_or_html_markup(operator: Api, advertiser_api: Api) -> None:
    operator.post("/v1/placements", BANNER)
    base = {"format": "banner", "size": "300x250", "click_url": "https://acme.example/"}
    made = advertiser_api.post("/v1/creatives", base | {"html": "<a href='%%CLICK_URL%%'>Tents on sale</a>"})
    assert made["html"].startswith("<a") and made["image_url"] is None and made["status"] == "pending"
    neither = advertiser_api.call("POST", "/v1/creatives", base)
    assert neither.status_code == 422 and "image_url" in field_errors(neither.json())
