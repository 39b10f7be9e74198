// The campaign wizard: one step at a time, a live preview, product search (the live
// forecast below the steps is forecast.js).
// Without JavaScript every step shows and the form still works.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-wizard]");
  if (!form) return;
  const steps = [...form.querySelectorAll("[data-step]")];
  const labels = [...document.querySelectorAll("[data-step-label]")];
  const back = form.querySelector("[data-back]"), next = form.querySelector("[data-next]"), submit = form.querySelector("[data-submit]");
  let current = Number(form.dataset.firstStep || 0);

  const show = (index) => {
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach((step, i) => { step.hidden = i !== current; });
    labels.forEach((label, i) => { label.className = i < current ? "done" : i === current ? "current" : ""; });
    back.hidden = current === 0; next.hidden = current === steps.length - 1; submit.hidden = current !== steps.length - 1;
    if (current === 5) showFormat();
    window.scrollTo({ top: 0, behavior: "smooth" });
  };
  back.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  labels.forEach((label, i) => label.addEventListener("click", () => show(i)));

  // A goal sets sensible defaults: awareness is bought by the thousand, traffic and sales by the click.
  form.querySelectorAll("input[name=goal]").forEach((radio) => radio.addEventListener("change", () => {
    form.querySelector("select[name=pricing]").value = radio.value === "awareness" ? "cpm" : "cpc";
  }));

  const chosen = () => [...form.querySelectorAll("input[name=placements]:checked")];
  const format = () => (chosen()[0] || {}).dataset?.format || "";

  function showFormat() {
    const f = format();
    form.querySelectorAll("[data-for-format]").forEach((block) => { block.hidden = !block.dataset.forFormat.split(" ").includes(f); });
    form.querySelector("[data-live-preview]").classList.toggle("banner-mode", f === "banner");
    const sizes = [...new Set(chosen().flatMap((c) => c.dataset.sizes.split(",").filter(Boolean)))];
    const hint = form.querySelector("[data-banner-hint]");
    if (hint && f === "banner" && sizes.length) hint.textContent = "PNG, JPEG or GIF up to 2 MB, sized " + sizes.join(" or ") + ".";
  }

  // Live preview: the image as chosen, the words as typed.
  const img = form.querySelector("[data-preview-img]");
  form.querySelector("[data-preview-image]")?.addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => { img.src = reader.result; img.hidden = false; };
    reader.readAsDataURL(file);
  });
  const title = form.querySelector("[data-preview-title]"), body = form.querySelector("[data-preview-body]");
  form.elements.title?.addEventListener("input", (e) => { title.textContent = e.target.value || "Your headline"; });
  form.elements.body?.addEventListener("input", (e) => { body.textContent = e.target.value; });

  // Product search: matches from the catalogue are added as choices.
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
        text.innerHTML = "";
        text.append(p.title, document.createElement("br"));
        const meta = Object.assign(document.createElement("span"), { className: "muted small", textContent: p.sku + " · " + p.price + (p.own ? "" : " · " + p.brand) });
        text.append(meta);
        label.append(box, text);
        list.prepend(label);
      });
    }, 250);
  });

  show(current);
});
