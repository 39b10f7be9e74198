// <form data-unsaved-warning>: leaving the page with changes not yet saved asks first (the
// browser's own "leave this page?" prompt); submitting the form does not. A submit button
// with data-discards="question" throws the changes away, so it asks that question first.
// data-unsaved-warning="unsaved": the page itself holds unsaved words (a form sent back
// with its mistakes), so it asks even before anything else changes.
"use strict";

function unsaved(form) {
  return form.dataset.unsavedWarning === "unsaved" || changedFields(form).length > 0;
}

function changedFields(form) {
  return Array.from(form.elements).filter((field) => {
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") return Array.from(field.options).some((o) => o.selected !== o.defaultSelected);
    if (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && !["hidden", "submit", "button", "file"].includes(field.type))) {
      return field.value !== field.defaultValue;
    }
    return false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-unsaved-warning]").forEach((form) => {
    let submitting = false;
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (button && button.dataset.discards && unsaved(form) && !window.confirm(button.dataset.discards)) {
        event.preventDefault();
        return;
      }
      submitting = true;
    });
    window.addEventListener("pageshow", () => { submitting = false; });  // back from the next page
    window.addEventListener("beforeunload", (event) => {
      if (submitting || !unsaved(form)) return;
      event.preventDefault();
      event.returnValue = "";  // older browsers show the prompt only with a returnValue
    });
  });
});
