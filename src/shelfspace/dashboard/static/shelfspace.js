// Shelfspace dashboard behaviour: interactive charts, live previews, progress for long work.
// Plain browser JavaScript; charts are drawn by Plotly, loaded from /static/vendor only on
// pages that have a chart.
"use strict";

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src; tag.onload = resolve; tag.onerror = () => reject(new Error("could not load " + src));
    document.head.appendChild(tag);
  });
}

// A chart is <div class="chart" data-source="id of a JSON script">: {x: [...], series: [{name, values, format}]}
// (optionally kind "bar", and tickformat and dtick for an axis of months).
// Tabs above it switch the metric shown; hovering shows the exact value of each day.
async function drawCharts() {
  const charts = document.querySelectorAll(".chart[data-source]");
  if (!charts.length) return;
  await loadScript("/static/vendor/plotly.min.js");
  charts.forEach((element) => {
    const data = JSON.parse(document.getElementById(element.dataset.source).textContent);
    const tabs = document.createElement("div");
    tabs.className = "chart-tabs";
    tabs.setAttribute("role", "toolbar");
    element.before(tabs);
    const show = (index) => {
      const series = data.series[index];
      tabs.querySelectorAll("button").forEach((b, i) => b.setAttribute("aria-pressed", String(i === index)));
      const percent = series.format === "percent";
      const unit = series.format === "money" && data.currency ? " " + data.currency : "";
      window.Plotly.react(element, [{
        x: data.x, y: series.values.map((v) => (v === null ? null : percent ? v * 100 : v)),
        type: data.kind === "bar" || data.x.length === 1 ? "bar" : "scatter", mode: "lines+markers", name: series.name,
        line: { color: "#0b6e4f", width: 2 }, marker: { color: "#0b6e4f" }, connectgaps: false,
        xhoverformat: data.tickformat, hovertemplate: "%{x}<br>" + series.name + ": %{y:" + (percent ? ".2f}%" : ",.2f}") + unit + "<extra></extra>",
      }], {
        margin: { l: 56, r: 16, t: 8, b: 40 }, height: 320, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
        // One tick a day (or fewer on long windows): never hours on a chart of days.
        // A chart of months says so: its tickformat, and dtick null (Plotly spaces the labels).
        xaxis: { gridcolor: "#eef1f5", type: data.xtype || "date", tickformat: data.tickformat || "%d %b",
                 dtick: "dtick" in data ? data.dtick : 86400000 * Math.max(1, Math.ceil(data.x.length / 10)),
                 range: data.x.length === 1 ? [data.x[0] + " 00:00", data.x[0] + " 23:59"] : undefined },
        yaxis: { gridcolor: "#eef1f5", rangemode: "tozero", ticksuffix: percent ? "%" : "" },
      }, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] });
    };
    data.series.forEach((series, index) => {
      const button = document.createElement("button");
      button.type = "button"; button.textContent = series.name;
      button.addEventListener("click", () => show(index));
      tabs.appendChild(button);
    });
    show(0);
  });
}

// <form data-progress>: a long submit (a feed import) shows a progress bar while it runs,
// and the upload's own progress while the file travels.
function progressForms() {
  document.querySelectorAll("form[data-progress]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const bar = form.querySelector("progress");
      const status = form.querySelector("[data-progress-status]");
      if (!bar || !window.XMLHttpRequest) return;
      event.preventDefault();
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      bar.hidden = false; bar.removeAttribute("value");
      form.querySelectorAll("button").forEach((b) => (b.disabled = true));
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
        if (status) status.textContent = e.lengthComputable && e.loaded < e.total
          ? "Uploading… " + Math.round((100 * e.loaded) / e.total) + "%" : "Processing…";
      });
      request.addEventListener("load", () => { document.open(); document.write(request.responseText); document.close();
        history.replaceState(null, "", request.responseURL); });
      request.addEventListener("error", () => { if (status) status.textContent = "The upload failed; nothing was saved. Try again.";
        form.querySelectorAll("button").forEach((b) => (b.disabled = false)); });
      request.send(new FormData(form));
    });
  });
}

// <a data-download>: a report export shows that it is being prepared, then saves the file.
function downloads() {
  document.querySelectorAll("a[data-download]").forEach((link) => {
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      const label = link.textContent;
      link.textContent = "Preparing…"; link.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(link.href, { credentials: "same-origin" });
        if (!response.ok) throw new Error(await response.text());
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        const a = document.createElement("a");
        // The server's name for the file (its period and time zone), else the link's own.
        const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        a.href = url; a.download = named ? named[1] : link.dataset.download; document.body.appendChild(a); a.click(); a.remove();
        URL.revokeObjectURL(url);
        link.textContent = label;
      } catch (error) {
        link.textContent = "Export failed; try again";
      }
      link.removeAttribute("aria-busy");
    });
  });
}

// <div class="ad-frame" data-width data-height>: a banner's box at its own proportions, no
// wider than itself. Set through the CSSOM: the pages' Content-Security-Policy refuses
// style="" attributes, not styles a script of ours sets.
function sizeAdFrames() {
  document.querySelectorAll(".ad-frame[data-width][data-height]").forEach((frame) => {
    frame.style.aspectRatio = frame.dataset.width + " / " + frame.dataset.height;
    frame.style.maxWidth = "min(100%, " + frame.dataset.width + "px)";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  sizeAdFrames();
  drawCharts().catch((error) => console.error(error));
  progressForms();
  downloads();
});

// A form that undoes something for good asks first: <form data-confirm="question">, or only
// the button that does, <button data-confirm="question"> (decline beside approve). A button
// with data-confirm-when="field" asks only once that field is filled (a rejection without
// its reason is refused by the server: nothing to confirm). A form with
// data-confirm-below="the credit now" asks only when its terms lower the credit (prepaid is
// no credit; an empty value is credit with no limit).
function lowersCredit(form) {
  const now = form.dataset.confirmBelow;
  const mode = form.elements.namedItem("billing_mode");
  const limit = form.elements.namedItem("credit_limit");
  const wanted = mode && mode.value === "prepaid" ? 0 : Number(((limit && limit.value) || "").replace(/,/g, ""));
  if (Number.isNaN(wanted) || (mode && mode.value !== "prepaid" && !(limit && limit.value.trim()))) return false;
  return now === "" ? true : wanted < Number(now);  // the server names a limit that does not read
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const button = event.submitter;
  let question = (button && button.dataset.confirm) || form.dataset.confirm || "";
  if (!(button && button.dataset.confirm) && "confirmBelow" in form.dataset && !lowersCredit(form)) question = "";
  const needed = button && button.dataset.confirmWhen ? form.elements.namedItem(button.dataset.confirmWhen) : null;
  if (needed && !needed.value.trim()) question = "";
  if (question && !window.confirm(question)) event.preventDefault();
});

