// Adding, replacing or editing a creative (templates/brand/creative_new.html, creative_edit.html): the chosen format's
// fields, and the file checked before it is sent. An image's own size is read here and
// compared with the sizes the line item's placements take (the server checks the same,
// with the same words); a video's type and weight are checked, and its length filled in.
// Without JavaScript every field shows and the server's checks still answer.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-creative-form]");
  if (!form) return;
  const choices = [...form.querySelectorAll("[data-format-choice]")];
  const format = () => (choices.find((c) => c.type === "hidden" || c.checked) || {}).value || "";
  const imageInput = form.querySelector("[data-image-input]"), imageCheck = form.querySelector("[data-size-check]");
  const videoInput = form.querySelector("[data-video-input]"), videoCheck = form.querySelector("[data-video-check]");
  const duration = form.querySelector("[data-duration]");
  const shownImage = form.querySelector("[data-chosen-image]"), shownVideo = form.querySelector("[data-chosen-video]");
  const empty = form.querySelector("[data-chosen-empty]");
  // The sizes the line item's placements take; on the edit page, those of the line item chosen.
  let sizes = JSON.parse((imageInput && imageInput.dataset.sizes) || "{}");
  const lineItemChoice = form.querySelector("[data-line-item-choice]");
  const maxVideoBytes = Number(form.dataset.maxVideoMb || 50) * 1048576;
  const problems = { image: "", video: "" };
  let shownUrl = null;

  const say = (node, message, fits) => {
    if (!node) return;
    node.textContent = message;
    node.className = "size-check" + (message ? (fits ? " fits" : " wrong") : "");
  };
  const mark = (input, problem) => {
    input.setCustomValidity(problem);
    if (problem) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  };
  const showFile = (element, url) => {
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = url;
    for (const other of [shownImage, shownVideo]) {
      if (other !== element) { other.hidden = true; other.removeAttribute("src"); }
    }
    if (element && url) { element.src = url; element.hidden = false; }
    empty.hidden = Boolean(element && url);
  };

  function showFormat() {
    const f = format();
    form.querySelectorAll("[data-for-format]").forEach((block) => { block.hidden = !block.dataset.forFormat.split(" ").includes(f); });
  }

  const loadImage = (url) => new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => resolve(null);
    image.src = url;
  });

  async function checkImage() {
    problems.image = "";
    const file = imageInput && imageInput.files[0];
    const wanted = Object.keys(sizes).sort();
    const tooFew = (size, what) => `${what} is ${size} pixels. This line item's placements take `
      + wanted.map((s) => `${s} (${sizes[s].join(", ")})`).join("; ") + ": resize it to one of those.";
    if (!file) {
      // Editing, another line item chosen: the image kept must fit its placements too.
      const kept = form.dataset.currentSize || "";
      if (lineItemChoice && kept && format() === "banner" && wanted.length && !sizes[kept]) {
        problems.image = tooFew(kept, "The current image");
      }
      say(imageCheck, problems.image, !problems.image);
      if (imageInput) mark(imageInput, problems.image);
      return;
    }
    let fits = "";
    if (!["image/png", "image/jpeg", "image/gif"].includes(file.type)) {
      problems.image = "This is not a PNG, JPEG or GIF image.";
    } else if (file.size > 2 * 1048576) {
      problems.image = `The image is ${(file.size / 1048576).toFixed(1)} MB; at most 2 MB.`;
    } else {
      const url = URL.createObjectURL(file);
      const image = await loadImage(url);
      if (!image || !image.naturalWidth) {
        problems.image = "This image cannot be read: is the file damaged?";
        URL.revokeObjectURL(url);
      } else {
        const size = `${image.naturalWidth}x${image.naturalHeight}`;
        if (format() === "banner" && wanted.length && !sizes[size]) {
          problems.image = tooFew(size, "This image");
          URL.revokeObjectURL(url);
        } else {
          fits = format() === "banner" && sizes[size] ? `${size} pixels: fits ${sizes[size].join(", ")}.` : `${size} pixels.`;
          shownImage.width = image.naturalWidth;
          shownImage.height = image.naturalHeight;
          showFile(shownImage, url);
        }
      }
    }
    if (problems.image) showFile(null, null);
    say(imageCheck, problems.image || fits, !problems.image);
    mark(imageInput, problems.image);
  }

  function checkVideo() {
    problems.video = "";
    const file = videoInput && videoInput.files[0];
    if (!file) { say(videoCheck, "", true); mark(videoInput || form, ""); return; }
    if (!["video/mp4", "video/webm"].includes(file.type)) {
      problems.video = "This is not an MP4 or WebM video.";
    } else if (file.size > maxVideoBytes) {
      problems.video = `The video is ${(file.size / 1048576).toFixed(1)} MB; at most ${maxVideoBytes / 1048576} MB.`;
    }
    mark(videoInput, problems.video);
    if (problems.video) { showFile(null, null); say(videoCheck, problems.video, false); return; }
    say(videoCheck, `${(file.size / 1048576).toFixed(1)} MB; reading its length…`, true);
    // A recording's WebM may say its length only once the browser has looked further into
    // it (durationchange), not with its first metadata: both are listened to.
    shownVideo.onloadedmetadata = shownVideo.ondurationchange = () => {
      const seconds = shownVideo.duration;
      const shape = shownVideo.videoWidth ? `${shownVideo.videoWidth}x${shownVideo.videoHeight}, ` : "";
      if (Number.isFinite(seconds) && seconds > 0) {
        if (duration && (!duration.value || duration.dataset.filled === "yes")) {
          duration.value = String(Math.max(1, Math.round(seconds)));
          duration.dataset.filled = "yes";
        }
        say(videoCheck, `${shape}${Math.round(seconds)} s.`, true);
      } else {
        say(videoCheck, `${shape}its length is not in the file: type it below.`, true);
      }
    };
    shownVideo.onerror = () => say(videoCheck, "This browser cannot play the file; it is checked again when you send it.", true);
    showFile(shownVideo, URL.createObjectURL(file));
  }

  choices.forEach((choice) => choice.addEventListener("change", () => { showFormat(); checkImage(); }));
  if (imageInput) imageInput.addEventListener("change", checkImage);
  if (lineItemChoice && imageInput) {
    lineItemChoice.addEventListener("change", () => {
      sizes = JSON.parse(lineItemChoice.selectedOptions[0].dataset.sizes || "{}");
      const hint = form.querySelector("[data-size-hint]"), wanted = Object.keys(sizes).sort();
      if (hint && format() === "banner") {
        hint.textContent = wanted.length
          ? " A banner here must be " + wanted.map((s) => `${s} (${sizes[s].join(", ")})`).join(" or ") + " pixels." : "";
      }
      checkImage();
    });
  }
  if (videoInput) videoInput.addEventListener("change", checkVideo);
  if (duration) duration.addEventListener("input", () => { duration.dataset.filled = "no"; });

  form.addEventListener("submit", (event) => {
    const f = format();
    const field = ["banner", "native"].includes(f) && problems.image ? imageInput : f === "video" && problems.video ? videoInput : null;
    if (!field) return;
    event.preventDefault();  // nothing is uploaded while the file is known to be refused
    field.focus();
  });

  showFormat();
});
