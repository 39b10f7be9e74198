/* Shelfspace publisher tag: include once, declare slots in HTML, and ads appear.
 *
 *   <div data-shelfspace-placement="home-hero"></div>
 *   <script src="https://ads.shop.example/tag.js" data-user-id="u-123" data-consent="1" async></script>
 *
 * Optional on the script tag: data-keywords="tea,coffee", data-category="beverages/tea",
 * data-country="GB". On a slot: data-count="2" (ads wanted), data-lazy (ask when near view).
 * window.shelfspace.refresh() asks again for every slot (single-page apps call it, or the
 * tag does on history navigation). Nothing here may break the host page: every failure
 * leaves the slot empty and is swallowed.
 */
(function () {
  "use strict";
  if (window.shelfspace && window.shelfspace.version) return; // included twice: once is enough

  var script = document.currentScript;
  var server = script ? new URL(script.src, location.href).origin : location.origin;
  var settings = script ? script.dataset : {};
  var TIMEOUT_MS = Number(settings.timeout || 3000);
  var LAZY_MARGIN = "300px";
  // MRC: 50% of the pixels for 1 continuous second; 30% for ads of 242,500 pixels or more;
  // 2 seconds for video; and the page must be the one in view.
  var LARGE_AD_PIXELS = 242500;

  function beacon(url) {
    if (!url) return; // a demand partner's ad has no viewable URL: it measures its own
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
      fetch(url, { method: "POST", mode: "no-cors", keepalive: true, credentials: "omit" }).catch(function () {});
    } catch (e) { /* never the host page's problem */ }
  }

  function context() {
    var ctx = { url: location.href.split("#")[0] };
    if (settings.keywords) ctx.keywords = settings.keywords.split(",").map(function (k) { return k.trim(); }).filter(Boolean);
    if (settings.category) ctx.category = settings.category;
    if (settings.country) ctx.country = settings.country;
    if (settings.query) ctx.query = settings.query;
    return ctx;
  }

  function ask(slots) {
    var body = {
      placements: slots.map(function (s) { return { id: s.dataset.shelfspacePlacement, count: Number(s.dataset.count || 1) }; }),
      context: context(),
      consent: { targeting: settings.consent === "1" || settings.consent === "true" },
    };
    if (settings.userId) body.user = { id: settings.userId };
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    // text/plain keeps it a simple request: no preflight before every page's ads.
    return fetch(server + "/v1/decisions", {
      method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "text/plain" },
      credentials: "omit", signal: controller ? controller.signal : undefined,
    }).then(function (r) { clearTimeout(timer); if (!r.ok) throw new Error("decision " + r.status); return r.json(); })
      .then(function (answer) { slots.forEach(function (slot) { fill(slot, answer.decisions[slot.dataset.shelfspacePlacement] || []); }); })
      .catch(function () { clearTimeout(timer); slots.forEach(function (slot) { slot.dataset.shelfspaceState = "empty"; }); });
  }

  function escapeAttribute(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text; // never HTML: ad text is escaped by construction
    return node;
  }

  function fill(slot, ads) {
    slot.textContent = "";
    slot.dataset.shelfspaceState = ads.length ? "filled" : "empty";
    ads.forEach(function (ad) {
      var box = el("div", { "class": "shelfspace-ad", "data-ad-id": ad.ad_id, "data-format": ad.format });
      var link = el("a", { href: ad.tracking.click, rel: "sponsored noopener", target: "_blank" });
      var c = ad.creative || {};
      var media = null;
      if (ad.format === "banner" && c.html) {
        // HTML5 banners run in a sandboxed frame: scripts, but no access to the page, its
        // cookies or its storage; %%CLICK_URL%% in the markup is the ad's click URL.
        var dims = (c.size || "300x250").split("x");
        media = el("iframe", { sandbox: "allow-scripts allow-popups allow-popups-to-escape-sandbox",
                               width: dims[0], height: dims[1], title: "Advertisement", scrolling: "no",
                               referrerpolicy: "no-referrer" });
        // Through the CSSOM, not a style="" attribute: a shop whose Content-Security-Policy
        // refuses inline styles still gets a borderless frame.
        media.style.border = "0"; media.style.overflow = "hidden";
        media.srcdoc = c.html.split("%%CLICK_URL%%").join(escapeAttribute(ad.tracking.click || ""));
        box.appendChild(media);
      } else if (ad.format === "banner") {
        var size = (c.size || "300x250").split("x");
        media = el("img", { src: c.image_url || "", width: size[0], height: size[1], alt: "Advertisement" });
        link.appendChild(media);
      } else if (ad.format === "native") {
        if (c.image_url) { media = el("img", { src: c.image_url, alt: "" }); link.appendChild(media); }
        link.appendChild(el("span", { "class": "shelfspace-label" }, "Sponsored"));
        link.appendChild(el("strong", {}, c.title || ""));
        link.appendChild(el("span", {}, c.body || ""));
      } else if (ad.format === "sponsored_product" && ad.product) {
        if (ad.product.image_url) { media = el("img", { src: ad.product.image_url, alt: "" }); link.appendChild(media); }
        link.appendChild(el("span", { "class": "shelfspace-label" }, "Sponsored"));
        link.appendChild(el("strong", {}, ad.product.title));
        if (ad.product.price != null) link.appendChild(el("span", { "class": "shelfspace-price" }, String(ad.product.price)));
      } else if (ad.format === "video") {
        media = el("video", { src: c.media_url || "", muted: "", playsinline: "", controls: "", preload: "metadata" });
        box.appendChild(media);
      }
      if (ad.format !== "video" && !(ad.format === "banner" && c.html)) box.appendChild(link);
      slot.appendChild(box);
      rendered(box, ad, media);
    });
  }

  // The impression counts when the ad begins to render: its image loaded (or failed to),
  // or at once for an ad of text.
  function rendered(box, ad, media) {
    var done = false;
    function count() {
      if (done) return;
      done = true;
      beacon(ad.tracking.impression);
      watchViewability(box, ad);
    }
    if (media && media.tagName === "IFRAME") {
      media.addEventListener("load", count);
    } else if (media && media.tagName === "IMG" && !media.complete) {
      media.addEventListener("load", count);
      media.addEventListener("error", count);
    } else {
      count();
    }
  }

  var observers = {};
  function watchViewability(box, ad) {
    if (!window.IntersectionObserver) return;
    var rect = box.getBoundingClientRect();
    var needed = rect.width * rect.height >= LARGE_AD_PIXELS ? 0.3 : 0.5;
    var seconds = ad.format === "video" ? 2 : 1;
    var timer = null, seen = false, inView = false;
    function pageVisible() { return document.visibilityState === "visible" && document.hasFocus(); }
    function check() {
      if (seen) return;
      if (inView && pageVisible()) {
        if (!timer) timer = setTimeout(function () {
          timer = null;
          if (inView && pageVisible() && !seen) {
            seen = true;
            beacon(ad.tracking.viewable);
            observer.disconnect();
            document.removeEventListener("visibilitychange", check);
            window.removeEventListener("blur", check);
            window.removeEventListener("focus", check);
          }
        }, seconds * 1000);
      } else if (timer) {
        clearTimeout(timer); // the second must be continuous
        timer = null;
      }
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { inView = entry.isIntersecting && entry.intersectionRatio >= needed; });
      check();
    }, { threshold: [0, 0.3, 0.5, 0.75, 1] });
    observer.observe(box);
    document.addEventListener("visibilitychange", check);
    window.addEventListener("blur", check);
    window.addEventListener("focus", check);
    observers[ad.ad_id] = observer;
  }

  var lazy = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    var near = entries.filter(function (e) { return e.isIntersecting; }).map(function (e) { return e.target; });
    near.forEach(function (slot) { lazy.unobserve(slot); });
    if (near.length) ask(near);
  }, { rootMargin: LAZY_MARGIN }) : null;

  function scan() {
    try {
      var now = [];
      document.querySelectorAll("[data-shelfspace-placement]").forEach(function (slot) {
        if (slot.dataset.shelfspaceState) return; // asked for already
        slot.dataset.shelfspaceState = "asked";
        if (lazy && slot.hasAttribute("data-lazy")) lazy.observe(slot); else now.push(slot);
      });
      if (now.length) ask(now); // all the page's slots in one request
    } catch (e) { /* never the host page's problem */ }
  }

  function refresh() {
    try {
      Object.keys(observers).forEach(function (id) { observers[id].disconnect(); });
      observers = {};
      document.querySelectorAll("[data-shelfspace-placement]").forEach(function (slot) {
        delete slot.dataset.shelfspaceState;
        slot.textContent = "";
      });
      scan();
    } catch (e) { /* never the host page's problem */ }
  }

  // Single-page apps: a navigation through the history API asks for fresh ads.
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    if (typeof original !== "function") return;
    history[name] = function () {
      var result = original.apply(this, arguments);
      if (name === "pushState") setTimeout(refresh, 0);
      return result;
    };
  });
  window.addEventListener("popstate", function () { setTimeout(refresh, 0); });

  window.shelfspace = { version: "1", refresh: refresh, scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan); else scan();
})();
