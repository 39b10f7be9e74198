// The pacing panel of a brand's campaign page (templates/brand/_pacing.html): when the
// campaign under-delivers, the panel asks the forecast, once the page has loaded, what its
// line items would buy at their current settings and what limits them most, and shows the
// answer under the suggestion. The form carries the page's token; nothing is saved.
(() => {
  const box = document.querySelector("[data-pacing-forecast]");
  if (!box) return;
  const form = box.querySelector("form[data-pacing-ask]");
  const out = box.querySelector("[data-pacing-answer]");

  function say(text) {
    const line = document.createElement("p");
    line.textContent = text;
    out.replaceChildren(line);
    out.hidden = false;
  }

  async function ask() {
    box.dataset.state = "loading";
    say("Asking the forecast what would help…");
    try {
      const answer = await fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!answer.ok) throw new Error(`status ${answer.status}`);
      out.innerHTML = await answer.text(); // rendered and escaped by the server's template
      box.dataset.state = "ready";
    } catch (error) {
      box.dataset.state = "error";
      say("The forecast is not available right now: reload the page to ask again.");
    }
  }

  ask();
})();
