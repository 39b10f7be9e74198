// The live forecast box of the wizard and the campaign edit page: whenever a field of the
// form changes, the form (its text fields, never a chosen image) is posted to
// /brand/forecast, debounced, and the answer shown: a day and the whole flight, the
// limit that costs the most, how it was made. A mistake is shown beside its field once
// the person has touched that field; fields not filled in yet are listed in the box.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-forecast]");
  const form = box && box.closest("form");
  if (!form) return;
  const out = (name) => box.querySelector(`[data-out="${name}"]`);
  const touched = new Set();
  let timer = null, asked = 0;

  const fieldOf = (name) => form.querySelector(`[data-error-for="${name}"]`) || form.elements[name]?.[0]?.closest?.(".field")
    || form.elements[name]?.closest?.(".field") || null;
  const labelOf = (name) => {
    const field = fieldOf(name);
    const label = field && (field.dataset.label || field.querySelector(".label")?.textContent);
    return (label || name.replaceAll("_", " ")).trim();
  };

  function clearErrors() {
    form.querySelectorAll("[data-forecast-error]").forEach((e) => e.remove());
    form.querySelectorAll("[data-forecast-invalid]").forEach((f) => { f.classList.remove("invalid"); delete f.dataset.forecastInvalid; });
  }

  function showErrors(problems) {
    const waiting = [];
    problems.forEach(({ field, message }) => {
      const where = fieldOf(field);
      if (!where || !touched.has(field)) { waiting.push(where ? `${labelOf(field)}: ${message}` : message); return; }
      if (where.querySelector(`#${CSS.escape(field)}-error`)) return; // the page's own error is there already
      const error = Object.assign(document.createElement("span"), { className: "field-error", textContent: message });
      error.dataset.forecastError = field;
      where.append(error);
      if (!where.classList.contains("invalid")) { where.classList.add("invalid"); where.dataset.forecastInvalid = "1"; }
    });
    const marked = problems.length - waiting.length;
    const sentence = (text) => (/[.?!]$/.test(text) ? text : text + ".");
    out("status").textContent = (marked ? "Correct the fields marked to see a forecast. " : "")
      + (waiting.length ? "To see a forecast: " + waiting.map(sentence).join(" ") : "");
  }

  const count = (n) => Math.round(Number(n)).toLocaleString();
  function showFigures(data) {
    const money = (v) => Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " " + data.currency;
    ["daily", "total"].forEach((period) => {
      const f = data[period];
      out(`${period}.impressions`).textContent = count(f.impressions);
      out(`${period}.clicks`).textContent = Number(f.clicks) < 10 && Number(f.clicks) > 0 ? Number(f.clicks).toFixed(1) : count(f.clicks);
      out(`${period}.spend`).textContent = money(f.spend);
      out(`${period}.reach`).textContent = count(f.reach);
      out(`${period}.frequency`).textContent = f.frequency === null ? "–" : Number(f.frequency).toFixed(2);
    });
    out("total.label").textContent = data.open_ended ? "Next 30 days (no end date)"
      : `Whole flight (${data.days} day${data.days === 1 ? "" : "s"} left)`;
    out("limit").textContent = data.limits.length ? data.limits[0].message : "Nothing limits it: it buys all it can win.";
    out("limit").dataset.limit = data.limits.length ? data.limits[0].limit : "";
  }

  async function update() {
    const mine = ++asked;
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (typeof value === "string") body.append(name, value);
    box.dataset.state = "loading";
    let answer, data;
    try {
      answer = await fetch("/brand/forecast", { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
      data = (answer.headers.get("content-type") || "").includes("json") ? await answer.json() : null;
    } catch (error) {
      data = null;
    }
    if (mine !== asked) return; // a later change has asked again
    clearErrors();
    const figures = out("figures");
    if (!data) {
      box.dataset.state = "error";
      figures.hidden = true;
      out("status").textContent = "The forecast is not available right now: reload the page (your session may have ended).";
      return;
    }
    if (!answer.ok) {
      box.dataset.state = "invalid";
      figures.hidden = true;
      showErrors(data.error?.fields?.length ? data.error.fields : [{ field: "_form", message: data.error?.message || "not possible" }]);
      return;
    }
    out("method").textContent = data.method;
    if (!data.has_history) {
      box.dataset.state = "no-history";
      figures.hidden = true;
      out("status").textContent = "No history on these placements yet: no forecast.";
      return;
    }
    box.dataset.state = "ready";
    out("status").textContent = "";
    showFigures(data);
    figures.hidden = false;
  }

  const changed = (event) => {
    if (!event.target.name || event.target.type === "file" || event.target.closest("[data-forecast]")) return;
    touched.add(event.target.name);
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  update();
});
