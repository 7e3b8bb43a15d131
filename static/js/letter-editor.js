/*
 * The letter editor: autosave, a live preview and the list of [[markers]] left to fill in.
 *
 * For a form marked data-autosave-url and data-preview-url. Without JavaScript the Save
 * button saves and the Preview button shows the preview in the frame beside the editor.
 * With it:
 *   - every 20 seconds, if the text changed, the form is posted to the autosave URL; the
 *     reply carries the letter's new version, which the form sends with its next save. A
 *     reply of 409 means the letter was saved elsewhere: autosave stops and says so, and
 *     Save then shows both texts.
 *   - a short pause in typing refreshes the preview (rendered by the server, exactly as
 *     the PDF is) and the list of markers.
 * Loaded as a file, never inline, so a Content Security Policy without 'unsafe-inline'
 * allows it.
 */
(function () {
  "use strict";

  var AUTOSAVE_MS = 20000;
  var PREVIEW_DELAY_MS = 600;
  var MARKER = /\[\[([^\[\]\n]{1,80})\]\]/g;

  function markersIn(text) {
    var found = [];
    text.replace(MARKER, function (_whole, name) {
      name = name.trim();
      if (found.indexOf(name) === -1) found.push(name);
      return _whole;
    });
    return found;
  }

  function showMarkers(box, names) {
    box.textContent = "";
    if (!names.length) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-warning";
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "Still to fill in before approving:";
    title.appendChild(strong);
    alert.appendChild(title);
    var list = document.createElement("ul");
    list.className = "marker-list";
    names.forEach(function (name) {
      var item = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = "[[" + name + "]]";
      item.appendChild(code);
      list.appendChild(item);
    });
    alert.appendChild(list);
    box.appendChild(alert);
  }

  function enhance(form) {
    var versionInput = form.querySelector("input[name='version']");
    var subject = form.querySelector("[name='subject']");
    var body = form.querySelector("[name='body']");
    var frame = document.getElementById(form.getAttribute("data-preview-frame"));
    var markersBox = document.getElementById(form.getAttribute("data-markers"));
    var statusBox = document.getElementById(form.getAttribute("data-status"));
    var edits = 0;
    var savedEdits = 0;
    var saving = null;
    var stopped = false;
    var submitting = false;
    var previewTimer = null;
    var previewRequest = null;

    function say(message, isError) {
      if (!statusBox) return;
      statusBox.textContent = message || "";
      statusBox.classList.toggle("autosave-error", Boolean(isError));
    }

    function post(url, signal) {
      return fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: signal
      });
    }

    function autosave() {
      if (stopped || saving || submitting || edits === savedEdits) return null;
      var sentEdits = edits;
      saving = post(form.getAttribute("data-autosave-url"))
        .then(function (response) {
          return response.json().then(function (reply) {
            return { status: response.status, reply: reply };
          });
        })
        .then(function (result) {
          if (result.reply.ok) {
            versionInput.value = result.reply.version;
            savedEdits = sentEdits;
            say(result.reply.message);
          } else {
            if (result.status === 409) stopped = true;
            say(result.reply.message, true);
          }
        })
        .catch(function () {
          say("Autosave could not reach coachapp; your text is still here. Press Save when you are back online.", true);
        })
        .then(function () { saving = null; });
      return saving;
    }

    function refreshPreview() {
      if (!frame) return;
      if (previewRequest) previewRequest.abort();
      previewRequest = new AbortController();
      var scrollY = frame.contentWindow ? frame.contentWindow.scrollY : 0;
      post(form.getAttribute("data-preview-url"), previewRequest.signal)
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          frame.addEventListener("load", function restore() {
            frame.removeEventListener("load", restore);
            if (frame.contentWindow) frame.contentWindow.scrollTo(0, scrollY);
          });
          frame.srcdoc = html;
        })
        .catch(function () { /* the last preview stays; Save still works */ });
    }

    form.addEventListener("input", function () {
      edits += 1;
      if (markersBox) showMarkers(markersBox, markersIn(subject.value + "\n" + body.value));
      window.clearTimeout(previewTimer);
      previewTimer = window.setTimeout(refreshPreview, PREVIEW_DELAY_MS);
    });

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name === "preview") {
        event.preventDefault();
        refreshPreview();
        return;
      }
      // An autosave still on its way would change the version this save is based on:
      // wait for it, then save with the version it brought back.
      if (saving) {
        event.preventDefault();
        saving.then(function () { form.requestSubmit(submitter); });
        return;
      }
      submitting = true;
    });

    window.addEventListener("beforeunload", function (event) {
      if (!submitting && edits !== savedEdits) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") autosave();
    });
    window.setInterval(autosave, AUTOSAVE_MS);
    // After a refused save the page shows the typed text, and the frame the saved one.
    if (form.hasAttribute("data-refresh-preview")) refreshPreview();
  }

  if (!window.fetch || !window.FormData || !window.AbortController) return;
  document.querySelectorAll("form[data-autosave-url]").forEach(enhance);
})();
