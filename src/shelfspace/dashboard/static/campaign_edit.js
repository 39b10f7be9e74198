// The campaign edit page and the add-a-line-item page: before saving, a summary of what is
// about to change and when each change takes effect (each group of fields says so in its
// [data-effect] line), and Enter in a text field does not send the form by surprise.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-campaign-edit]");
  if (!form) return;
  form.addEventListener("keydown", (event) => {
    const el = event.target;
    if (event.key === "Enter" && el.tagName === "INPUT" && !["submit", "button", "checkbox", "radio"].includes(el.type)) {
      event.preventDefault(); // the form is saved with its button, after reading what will change
    }
  });
  const box = form.querySelector("[data-change-summary]");
  if (!box) return;
  const list = box.querySelector("[data-out='changes']");

  const changed = (el) => {
    if (el.type === "hidden" || el.type === "submit" || el.type === "button" || !el.name) return false;
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") return Array.from(el.options).some((o) => o.selected !== o.defaultSelected);
    return el.value !== el.defaultValue;
  };

  const labelOf = (el) => {
    if (el.name === "placements" || el.name === "products") {
      const row = el.closest("tr, label");
      const text = (row && (row.querySelector("label") || row).textContent || el.value).trim().split("\n")[0].trim();
      return `${el.checked ? "adding" : "removing"} ${text}`;
    }
    return null;
  };

  function refresh() {
    list.replaceChildren();
    form.querySelectorAll("[data-group]").forEach((group) => {
      const fields = Array.from(group.querySelectorAll("input, select, textarea")).filter(changed);
      if (!fields.length) return;
      const effect = group.querySelector("[data-effect]");
      const named = fields.map(labelOf).filter(Boolean);
      const item = document.createElement("li");
      const title = document.createElement("strong");
      title.textContent = group.dataset.group + (named.length ? ` (${named.join(", ")})` : "") + ": ";
      item.append(title, document.createTextNode(effect ? effect.textContent.trim() : "saved with the rest."));
      list.append(item);
    });
    box.hidden = list.children.length === 0;
  }

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
});
