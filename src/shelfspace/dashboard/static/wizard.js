// The campaign wizard: one step at a time, each checked before the next (the server's own
// check, /brand/campaigns/new/check, so the messages are the save's), a summary of what
// will be bought before anything is saved, a live preview and product search (the live
// forecast below the steps is forecast.js).
// Enter in a field moves on to the next step (checked) and never submits the form; on the
// last step it does nothing. Without JavaScript every step shows and the form still works.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-wizard]");
  if (!form) return;
  const steps = [...form.querySelectorAll("[data-step]")];
  const labels = [...document.querySelectorAll("[data-step-label]")];
  const back = form.querySelector("[data-back]"), next = form.querySelector("[data-next]"), submit = form.querySelector("[data-submit]");
  const REVIEW = steps.length - 1, CREATIVE = steps.length - 2;
  const summaryBox = form.querySelector("[data-summary]");
  let current = Number(form.dataset.firstStep || 0);
  let busy = false, recheckTimer = null;

  const chosen = () => [...form.querySelectorAll("input[name=placements]:checked")];
  const format = () => (chosen()[0] || {}).dataset?.format || "";

  function show(index, focus) {
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach((step, i) => { step.hidden = i !== current; });
    labels.forEach((label, i) => {
      label.classList.toggle("done", i < current);
      label.classList.toggle("current", i === current);
      if (i === current) label.setAttribute("aria-current", "step"); else label.removeAttribute("aria-current");
    });
    back.hidden = current === 0; next.hidden = current === REVIEW; submit.hidden = current !== REVIEW;
    next.textContent = current === CREATIVE ? "Review" : "Next";
    if (current >= CREATIVE) showFormat();
    window.scrollTo({ top: 0, behavior: "smooth" });
    if (focus) {
      const first = current === REVIEW ? steps[current].querySelector("legend")
        : steps[current].querySelector("input:not([type=hidden]):not([hidden]), select, textarea");
      if (first) { if (first.tagName === "LEGEND") first.tabIndex = -1; first.focus({ preventScroll: true }); }
    }
  }

  // --- errors beside their fields ---------------------------------------------------------
  const containerOf = (name) => {
    const explicit = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (explicit) return explicit;
    const element = form.elements.namedItem(name);
    const first = element instanceof RadioNodeList ? element[0] : element;
    return (first && first.closest && first.closest(".field")) || form.querySelector("[data-error-for='_form']");
  };
  const inputOf = (name) => {
    const element = form.elements.namedItem(name);
    return element instanceof RadioNodeList ? element[0] : element;
  };

  function clearErrors(upTo) {
    steps.slice(0, upTo + 1).forEach((step) => {
      step.querySelectorAll(".field-error").forEach((e) => e.remove());
      step.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
      step.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
    });
    form.querySelectorAll("[data-error-for='_form'] .form-error").forEach((e) => e.remove());
  }

  function showErrors(errors) {
    Object.entries(errors).forEach(([name, message]) => {
      const where = containerOf(name);
      if (!where) return;
      const id = name === "_form" ? "form-error" : `${name}-error`;
      where.querySelectorAll(`[id="${CSS.escape(id)}"], [data-forecast-error="${CSS.escape(name)}"]`).forEach((e) => e.remove());
      const error = Object.assign(document.createElement(name === "_form" ? "div" : "span"),
        { className: name === "_form" ? "form-error" : "field-error", id, textContent: message });
      if (name === "_form") error.setAttribute("role", "alert");
      where.append(error);
      if (name !== "_form") where.classList.add("invalid");
      const input = inputOf(name);
      if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", id); }
    });
  }

  function focusFirstError() {
    const error = steps[current].querySelector(".field-error");
    const field = error && (error.closest(".field") || error.parentElement);
    const input = field && field.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.focus();
  }

  // Fields a step needs, checked here at once: the messages are the server's (data-required).
  function missing(upTo) {
    const found = {};
    steps.slice(0, upTo + 1).forEach((step) => step.querySelectorAll("[data-required]").forEach((element) => {
      const name = element.dataset.requiredFor || element.name;
      const empty = element.dataset.requiredFor
        ? !form.querySelector(`input[name="${CSS.escape(name)}"]:checked`) : !element.value.trim();
      if (empty && !(name in found)) found[name] = element.dataset.required;
    }));
    return found;
  }

  async function check(upTo) {
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (typeof value === "string") body.append(name, value);
    body.set("step", String(upTo));
    const answer = await fetch(form.dataset.check, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!(answer.headers.get("content-type") || "").includes("json")) throw new Error("no answer");
    return answer.json();
  }

  // Move to `target`: back at once; forward once every step before it is right.
  async function goTo(target) {
    if (target <= current) { show(target, true); return; }
    if (busy) return;
    const upTo = target - 1;
    const absent = missing(Math.min(upTo, current));
    clearErrors(upTo);
    if (Object.keys(absent).length) {
      showErrors(absent);
      const first = Math.min(...Object.keys(absent).map((name) => steps.indexOf(containerOf(name)?.closest("[data-step]"))).filter((i) => i >= 0));
      if (first !== current && Number.isFinite(first)) show(first, false);
      focusFirstError();
      return;
    }
    busy = true;
    next.setAttribute("aria-busy", "true");
    try {
      const found = await check(upTo);
      clearErrors(upTo);
      showErrors(found.errors || {});
      if (found.step !== null && found.step !== undefined && found.step <= upTo) {
        show(found.step, false);
        focusFirstError();
        return;
      }
      if (target === REVIEW) fillSummary(found.summary);
      show(target, true);
    } catch (error) {
      showErrors({ _form: "This step could not be checked just now (your session may have ended): reload the page to go on." });
    } finally {
      busy = false;
      next.removeAttribute("aria-busy");
    }
  }

  // A field fixed after its mistake was shown is checked again as it changes.
  function recheckSoon() {
    clearTimeout(recheckTimer);
    recheckTimer = setTimeout(async () => {
      if (current === REVIEW) return;
      try {
        const found = await check(current);
        clearErrors(current);
        showErrors(Object.fromEntries(Object.entries(found.errors || {}).filter(([name]) =>
          steps.indexOf(containerOf(name)?.closest("[data-step]")) === current)));
      } catch (error) { /* the next step's check says it */ }
    }, 400);
  }
  form.addEventListener("input", (event) => { if (event.target.closest(".invalid, [aria-invalid]")) recheckSoon(); });
  form.addEventListener("change", (event) => {
    if (event.target.closest(".invalid, [aria-invalid], [data-error-for]") || steps[current].querySelector(".field-error")) recheckSoon();
  });

  // --- the summary ------------------------------------------------------------------------
  const forecastBox = document.querySelector("[data-forecast]");
  function fillSummary(html) {
    summaryBox.innerHTML = html || "";
    const preview = form.querySelector("[data-preview-img]"), image = summaryBox.querySelector("[data-summary-image]");
    if (image && image.hidden && preview && !preview.hidden && preview.src) { image.src = preview.src; image.hidden = false; }
    forecastLine();
  }
  // The forecast's expectation, in the summary, whenever the forecast box has one.
  function forecastLine() {
    const line = summaryBox.querySelector("[data-summary-forecast]");
    if (!forecastBox || !line) return;
    line.hidden = forecastBox.dataset.state !== "ready";
    if (line.hidden) return;
    const out = (name) => forecastBox.querySelector(`[data-out="${name}"]`).textContent;
    line.textContent = `The forecast expects about ${out("total.impressions")} impressions and ${out("total.clicks")} clicks `
      + `(${out("total.reach")} shoppers) for about ${out("total.spend")}, ${out("total.label").toLowerCase()}.`;
  }
  if (forecastBox) new MutationObserver(forecastLine).observe(forecastBox, { attributes: true, attributeFilter: ["data-state"] });

  // --- keys and buttons -------------------------------------------------------------------
  back.addEventListener("click", () => goTo(current - 1));
  next.addEventListener("click", () => goTo(current + 1));
  labels.forEach((label, i) => label.addEventListener("click", () => goTo(i)));
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    const target = event.target;
    if (target.tagName === "TEXTAREA" || target.tagName === "BUTTON" || target.tagName === "A") return;
    event.preventDefault(); // never submits: the last step's button does
    if (target.matches("[data-product-search]")) return;
    if (current < REVIEW) goTo(current + 1);
  });
  form.addEventListener("submit", (event) => {
    const action = event.submitter && event.submitter.value;
    if (action === "create" && current !== REVIEW) { event.preventDefault(); return; }
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0);
  });

  // A goal sets sensible defaults: awareness is bought by the thousand, traffic and sales by the click.
  form.querySelectorAll("input[name=goal]").forEach((radio) => radio.addEventListener("change", () => {
    form.querySelector("select[name=pricing]").value = radio.value === "awareness" ? "cpm" : "cpc";
  }));

  function showFormat() {
    const f = format();
    form.querySelectorAll("[data-for-format]").forEach((block) => { block.hidden = !block.dataset.forFormat.split(" ").includes(f); });
    form.querySelector("[data-live-preview]").classList.toggle("banner-mode", f === "banner");
    const preview = form.querySelector("[data-preview-video]");
    preview.hidden = f !== "video" || !preview.getAttribute("src");
    const sizes = [...new Set(chosen().flatMap((c) => c.dataset.sizes.split(",").filter(Boolean)))];
    const hint = form.querySelector("[data-banner-hint]");
    if (hint && f === "banner" && sizes.length) hint.textContent = "PNG, JPEG or GIF up to 2 MB, sized " + sizes.join(" or ") + ".";
  }

  // Live preview: the image or video as chosen, the words as typed. The image's size is read
  // here and checked at once against the placements chosen (image_probe); the file goes with
  // the save.
  const img = form.querySelector("[data-preview-img]"), probe = form.elements.namedItem("image_probe");
  form.querySelector("[data-preview-image]")?.addEventListener("change", (event) => {
    const file = event.target.files[0];
    probe.value = "";
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      img.src = reader.result; img.hidden = false;
      const sizer = new Image();
      sizer.onload = () => { probe.value = `${sizer.naturalWidth}x${sizer.naturalHeight}`; checkCreativeNow("image"); };
      sizer.src = reader.result;
    };
    reader.readAsDataURL(file);
  });
  // A video chosen: its type and weight go to the check (video_probe), which answers in the
  // save's words; its length is read here and filled in. The file goes with the save.
  const videoInput = form.querySelector("[data-video-input]"), videoProbe = form.elements.namedItem("video_probe");
  const shownVideo = form.querySelector("[data-preview-video]");
  videoInput?.addEventListener("change", () => {
    const file = videoInput.files[0];
    if (shownVideo.src) URL.revokeObjectURL(shownVideo.src);
    shownVideo.removeAttribute("src"); shownVideo.hidden = true;
    videoProbe.value = file ? `${file.type || "unknown"} ${file.size}` : "";
    checkCreativeNow("video");
    if (!file || !["video/mp4", "video/webm"].includes(file.type)) return;
    shownVideo.onloadedmetadata = () => {
      const duration = form.elements.namedItem("duration_seconds");
      if (Number.isFinite(shownVideo.duration) && shownVideo.duration > 0 && !duration.value) duration.value = String(Math.max(1, Math.round(shownVideo.duration)));
    };
    shownVideo.src = URL.createObjectURL(file); shownVideo.hidden = false;
  });
  async function checkCreativeNow(name) {
    try {
      const found = await check(CREATIVE);
      const message = (found.errors || {})[name];
      const field = containerOf(name);
      field.querySelectorAll(".field-error").forEach((e) => e.remove());
      field.classList.remove("invalid");
      if (message) showErrors({ [name]: message });
    } catch (error) { /* checked again on Review */ }
  }
  const title = form.querySelector("[data-preview-title]"), body = form.querySelector("[data-preview-body]");
  form.elements.title?.addEventListener("input", (e) => { title.textContent = e.target.value || "Your headline"; });
  form.elements.body?.addEventListener("input", (e) => { body.textContent = e.target.value; });

  // Product search: matches among the products this brand may promote are added as choices.
  const search = form.querySelector("[data-product-search]"), list = form.querySelector("[data-products]");
  let searchTimer = null;
  search?.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      if (search.value.trim().length < 2) return;
      const found = await (await fetch("/brand/products?q=" + encodeURIComponent(search.value), { credentials: "same-origin" })).json();
      const have = new Set([...list.querySelectorAll("input")].map((i) => i.value));
      found.filter((p) => !have.has(p.sku)).forEach((p) => {
        const label = document.createElement("label");
        const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "products", value: p.sku });
        const text = document.createElement("span");
        text.append(p.title, document.createElement("br"));
        const meta = Object.assign(document.createElement("span"), { className: "muted small", textContent: p.sku + " · " + (p.brand || "no brand") + " · " + p.price });
        text.append(meta);
        label.append(box, text);
        list.prepend(label);
      });
    }, 250);
  });

  // A save sent back at its last step (a form-wide mistake): the summary is made again first.
  if (current === REVIEW) { current = CREATIVE; show(CREATIVE, false); goTo(REVIEW); } else show(current, false);
});
