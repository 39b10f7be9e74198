"""A brand's creatives in Debian's Chromium against the real server, offline: a wrong size
refused in the browser before anything is sent, two sizes and a video added to a campaign,
thumbnails and a playable video, one rejected by the operator, replaced by the brand and
back in the operator's queue. axe-core runs on every page the journey opens.

Screenshots land in tests/artifacts/screenshots/creatives-*.png.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.dashboard.images import png
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace

SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"
PASSWORD = "a long password 123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# A short WebM made by the browser itself (a canvas recorded by MediaRecorder): a real,
# playable video without a video file in the repository or a tool to make one.
RECORD_WEBM = """async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 180 });
  const draw = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: "video/webm;codecs=vp8" });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start(100);
  for (let frame = 0; frame < 20; frame++) {
    draw.fillStyle = `hsl(${frame * 18}, 60%, 35%)`;
    draw.fillRect(0, 0, 320, 180);
    draw.fillStyle = "#fff";
    draw.font = "28px sans-serif";
    draw.fillText("Acme tents " + frame, 40, 100);
    await new Promise((resolve) => setTimeout(resolve, 70));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}"""
VIDEO_READY = (
    "(selector) => [...document.querySelectorAll(selector)].every((v) => v.readyState >= 1 && v.videoWidth > 0)"
)
# A frame is there to draw (a thumbnail's poster is its first frame, not a spinner).
FRAME_READY = "(selector) => [...document.querySelectorAll(selector)].every((v) => v.readyState >= 2)"
PLAYS = """async (selector) => { const v = document.querySelector(selector); v.muted = true; await v.play();
  await new Promise((resolve) => { const at = () => v.currentTime > 0.3 ? resolve() : setTimeout(at, 50); at(); });
  v.pause(); return v.currentTime; }"""
IMAGES_LOADED = "(selector) => [...document.querySelectorAll(selector)].every((i) => i.complete && i.naturalWidth > 0)"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"creatives-{name}.png"), full_page=True)


def _sign_in(page: Any, url: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _network(api: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    for placement in (
        {
            "id": "home-hero",
            "name": "Home page hero",
            "channel": "web",
            "format": "banner",
            "sizes": ["300x250", "1200x400"],
            "floor_cpm": 2.5,
        },
        {
            "id": "ctv-preroll",
            "name": "CTV pre-roll",
            "channel": "ctv",
            "format": "video",
            "sizes": ["1920x1080"],
            "floor_cpm": 20,
        },
    ):
        assert api.post("/v1/placements", json=placement).status_code == 201
    brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Tents in spring",
            "budget_total": 900,
            "budget_daily": 30,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    banners = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign["id"], "name": "Hero banners", "bid": 5, "placements": ["home-hero"]},
    ).json()
    videos = api.post(
        "/v1/line-items",
        json={"campaign_id": campaign["id"], "name": "Pre-roll", "bid": 25, "placements": ["ctv-preroll"]},
    ).json()
    for email, extra in (
        ("ops@network.example", ()),
        ("brand@acme.example", ("--role", "advertiser", "--advertiser", brand["id"])),
    ):
        made = shelfspace(
            "users", "create", "--email", email, "--password-stdin", *extra, env=env, input=PASSWORD + "\n"
        )
        assert made.returncode == 0, made.stderr
    return {"campaign": campaign["id"], "banners": banners["id"], "videos": videos["id"]}


def test_a_brand_adds_creatives_in_two_sizes_and_a_video_and_replaces_a_rejected_one(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    images = {}
    for name, (width, height, rgb) in {
        "small": (100, 100, (90, 90, 90)),
        "box": (300, 250, (11, 110, 79)),
        "wide": (1200, 400, (40, 90, 160)),
        "fixed": (300, 250, (190, 120, 20)),
    }.items():
        images[name] = tmp_path / f"{name}.png"
        images[name].write_bytes(png(width, height, rgb))
    posted: list[str] = []
    page.on(
        "request",
        lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/brand/creatives/new") else None,
    )
    with running_server(env) as url:
        ids = _network(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"}), env)
        campaign_url = f"{url}/brand/campaigns/{ids['campaign']}"
        _sign_in(page, url, "brand@acme.example")
        page.goto(campaign_url)
        page.click(f"[data-line-item='{ids['banners']}'] >> text=Add a creative")
        assert "Add a creative" in page.locator("h1").inner_text()
        assert_accessible(page)

        # A wrong size: said beside the field the moment it is chosen, and nothing is sent.
        page.set_input_files("input[name=image]", str(images["small"]))
        page.wait_for_selector("[data-size-check].wrong")
        said = page.locator("[data-size-check]").inner_text()
        assert "This image is 100x100 pixels" in said and "300x250 (Home page hero)" in said, said
        page.fill("input[name=click_url]", "https://acme.example/tents")
        page.click("form[data-creative-form] button[type=submit]")
        assert page.url.endswith(f"/brand/creatives/new?line_item={ids['banners']}") and posted == []
        assert page.locator("[data-chosen-image]").is_hidden()  # no blank or wrong preview
        shot(page, "1-wrong-size")
        page.set_input_files("input[name=image]", str(images["box"]))
        page.wait_for_selector("[data-size-check].fits")
        assert "fits Home page hero" in page.locator("[data-size-check]").inner_text()
        page.wait_for_function(IMAGES_LOADED, arg="[data-chosen-image]")
        shot(page, "2-right-size")
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")
        assert "waiting for the operator's review" in page.locator(".flash").inner_text()

        page.click(f"[data-line-item='{ids['banners']}'] >> text=Add a creative")
        page.set_input_files("input[name=image]", str(images["wide"]))
        page.wait_for_selector("[data-size-check].fits")
        page.fill("input[name=click_url]", "https://acme.example/tents")
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")

        # A video file: checked and previewed before it is sent, then played from our own server.
        page.click(f"[data-line-item='{ids['videos']}'] >> text=Add a creative")
        video = tmp_path / "spot.webm"
        video.write_bytes(base64.b64decode(page.evaluate(RECORD_WEBM)))
        page.set_input_files("input[name=video]", str(video))
        page.wait_for_function(VIDEO_READY, arg="[data-chosen-video]")  # plays here: the CSP lets a chosen file in
        # Its length is read from the file (a recording's WebM says it only once the browser
        # has looked through it) and filled in.
        page.wait_for_function("() => document.querySelector('[data-duration]').value !== ''")
        assert page.input_value("input[name=duration_seconds]") in ("1", "2")
        assert "320x180" in page.locator("[data-video-check]").inner_text()
        page.fill("input[name=click_url]", "https://acme.example/tents")
        shot(page, "3-video")
        assert_accessible(page)
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")
        assert len(posted) == 3

        # Thumbnails: the two images drawn small, the video's first frame, playable.
        page.wait_for_function(IMAGES_LOADED, arg="img.thumb-media")
        page.wait_for_function(FRAME_READY, arg="video.thumb-media")
        assert page.locator("img.thumb-media").count() == 2 and page.locator("video.thumb-media").count() == 1
        played = page.locator("a.thumb-link").get_attribute("href") or ""
        assert played.startswith(f"{url}/uploads/") and played.endswith(".webm")  # our own file, not another host
        shot(page, "4-campaign-thumbnails")
        assert_accessible(page)

        # The operator rejects the 300x250 with a reason, and approves the others.
        _sign_in(page, url, "ops@network.example")
        page.goto(f"{url}/console/review")
        cards = page.locator("article[data-creative]")
        assert cards.count() == 3
        page.wait_for_function(VIDEO_READY, arg="video.ad-video-player")
        assert page.evaluate(PLAYS, "video.ad-video-player") > 0.3  # the reviewer plays the uploaded video, here
        shot(page, "5-review-queue")
        assert_accessible(page)
        box = page.locator("article[data-creative]", has_text="banner 300x250")
        box.locator("textarea[name=reason]").fill("The price must be on the banner")
        page.once("dialog", lambda dialog: dialog.accept())  # rejecting asks first
        box.locator("button[value=reject]").click()
        page.wait_for_load_state()
        for _ in range(2):
            page.locator("article[data-creative]").first.locator("button[value=approve]").click()
            page.wait_for_load_state()
        assert page.locator("article[data-creative]").count() == 0

        # The brand sees the reason on its campaign and replaces the rejected creative.
        _sign_in(page, url, "brand@acme.example")
        page.goto(campaign_url)
        notice = page.locator(".rejected-notice")
        assert "The price must be on the banner" in notice.inner_text()
        shot(page, "6-rejected")
        page.set_viewport_size(PHONE)
        shot(page, "6-rejected-phone")
        page.set_viewport_size(DESKTOP)
        notice.locator("text=Replace it").click()
        assert "The operator rejected it: The price must be on the banner" in page.locator(".replacing").inner_text()
        assert_accessible(page)
        page.set_input_files("input[name=image]", str(images["fixed"]))
        page.wait_for_selector("[data-size-check].fits")
        page.fill("input[name=click_url]", "https://acme.example/tents")
        shot(page, "7-replace")
        page.click("form[data-creative-form] button[type=submit]")
        page.wait_for_url(f"{campaign_url}#creatives")
        assert "the rejected one is archived" in page.locator(".flash").inner_text()
        assert page.locator(".rejected-notice").count() == 0
        assert page.locator(f"[data-line-item='{ids['banners']}'] tr[data-creative]").count() == 2
        assert "in review" in page.locator(f"[data-line-item='{ids['banners']}']").inner_text()
        shot(page, "8-replaced")
        # Archiving asks first: dismissed, nothing happens; accepted, the creative stops for good.
        wide = page.locator("tr[data-creative]", has_text="banner 1200x400")
        page.once("dialog", lambda dialog: dialog.dismiss())
        wide.locator("button", has_text="Archive").click()
        assert wide.count() == 1
        page.once("dialog", lambda dialog: dialog.accept())
        wide.locator("button", has_text="Archive").click()
        page.wait_for_url(f"{campaign_url}#creatives")
        assert "is archived: it no longer serves" in page.locator(".flash").inner_text()
        assert page.locator("tr[data-creative]", has_text="banner 1200x400").count() == 0
        page.goto(f"{url}/brand/creatives")
        page.wait_for_function(IMAGES_LOADED, arg="img.thumb-media")
        page.wait_for_function(FRAME_READY, arg="video.thumb-media")
        assert page.locator("img.thumb-media").count() == 1 and page.locator("video.thumb-media").count() == 1
        shot(page, "9-creatives-page")
        assert_accessible(page)

        # Back in the operator's queue, saying what it replaces and why that was rejected.
        _sign_in(page, url, "ops@network.example")
        page.goto(f"{url}/console/review")
        card = page.locator("article[data-creative]")
        assert card.count() == 1
        assert "The price must be on the banner" in card.locator("[data-replaces]").inner_text()
        shot(page, "10-review-replacement")
        assert_accessible(page)
    assert outside == [], f"pages reached outside the machine: {outside}"
