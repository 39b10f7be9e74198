// A new API key's copy button: <button data-copy="id of the input holding the key" hidden>.
// Without this script the button stays hidden and the key is selected text in a read-only
// field, copied as any text is; with it, one press copies it and says so.
"use strict";

document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = document.querySelector("[data-copy-status]");
  if (!field) return;
  const say = (words) => { if (status) status.textContent = words; };
  field.addEventListener("focus", () => field.select());
  button.hidden = false;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      say("Copied. Keep it somewhere safe: it will not be shown again.");
    } catch (error) {
      // No clipboard access (an insecure origin, a refused permission): the key is selected.
      say("Could not copy by itself: the key is selected, press Ctrl+C (⌘C on a Mac).");
    }
  });
});
