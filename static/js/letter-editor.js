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
 *     the PDF is) and the list of markers. The form itself is posted into the preview's
 *     frame, so the preview is a document of its own with its own Content Security Policy
 *     (a srcdoc document would inherit this page's, which refuses the letter's inline style).
 *   - when the session has timed out, autosave says so (the server keeps what was typed);
 *     once the coach has signed in again, in another tab, autosave and Save carry on here
 *     with a fresh form token. A reply of 413 (too long) says nothing was saved.
 * Loaded as a file, never inline, so a Content Security Policy without 'unsafe-inline'
 * allows it.
 */
(function () {
  "use strict";

  var AUTOSAVE_MS = 20000;
  var PREVIEW_DELAY_MS = 600;
  var TOO_LONG = "Nothing was saved: the letter is too long to save. Shorten it (or split it " +
    "into two letters), then save again; your text is still here.";
  var SIGNED_OUT = "You are signed out, so this was not saved. Your text is still here: sign " +
    "in again in another tab, and it is saved here on the next autosave or when you press Save.";
  var UNREACHABLE = "Autosave could not reach coachapp; your text is still here. Press Save " +
    "when you are back online.";
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
    var signedOut = false;
    var previewTimer = null;

    function say(message, isError) {
      if (!statusBox) return;
      statusBox.textContent = message || "";
      statusBox.classList.toggle("autosave-error", Boolean(isError));
    }

    function post(url) {
      return fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      });
    }

    function isJson(response) {
      return (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
    }

    // After signing in again the old form token no longer matches the session: take the
    // one the editor page now carries. Fails while the coach is still signed out.
    function renewToken() {
      return fetch(form.getAttribute("action"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error("signed out");
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("input[name='csrf_token']");
          var mine = form.querySelector("input[name='csrf_token']");
          if (fresh && mine) mine.value = fresh.value;
          signedOut = false;
          refreshPreview();
        });
    }

    function readReply(response) {
      if (response.status === 413) {
        return { status: 413, reply: { ok: false, message: TOO_LONG } };
      }
      if (isJson(response)) {
        return response.json().then(function (reply) {
          return { status: response.status, reply: reply };
        });
      }
      // Sent on to the sign-in page: the session has ended.
      if (response.redirected) {
        return { status: 401, reply: { ok: false, message: SIGNED_OUT } };
      }
      throw new Error("HTTP " + response.status);
    }

    function signedOutReply() {
      return { status: 401, reply: { ok: false, message: SIGNED_OUT } };
    }

    function saveOnce() {
      return post(form.getAttribute("data-autosave-url")).then(readReply);
    }

    function autosave() {
      if (stopped || saving || submitting || edits === savedEdits) return null;
      var sentEdits = edits;
      var ready = signedOut ? renewToken() : Promise.resolve();
      saving = ready
        .then(saveOnce, signedOutReply)
        .then(function (result) {
          // A refused form token: the session ended, or a new one began in another tab.
          // Take the editor page's current token and try once more.
          if (result.status === 400) return renewToken().then(saveOnce, signedOutReply);
          return result;
        })
        .then(function (result) {
          if (result.reply.ok) {
            versionInput.value = result.reply.version;
            savedEdits = sentEdits;
            say(result.reply.message);
          } else {
            if (result.status === 409) stopped = true;
            if (result.status === 401) signedOut = true;
            say(result.reply.message, true);
          }
        })
        .catch(function () { say(UNREACHABLE, true); })
        .then(function () { saving = null; });
      return saving;
    }

    // Post the form into the preview's frame (as the Preview button does without
    // JavaScript), then put the frame back where the coach had scrolled to.
    function refreshPreview() {
      if (!frame || signedOut) return;
      var scrollY = 0;
      try {
        scrollY = frame.contentWindow ? frame.contentWindow.scrollY : 0;
      } catch (error) { /* a frame showing an error page cannot be read */ }
      frame.addEventListener("load", function restore() {
        frame.removeEventListener("load", restore);
        try {
          if (frame.contentWindow) frame.contentWindow.scrollTo(0, scrollY);
        } catch (error) { /* as above */ }
      });
      var action = form.getAttribute("action");
      var target = form.getAttribute("target");
      form.setAttribute("action", form.getAttribute("data-preview-url"));
      form.setAttribute("target", frame.name);
      try {
        // The prototype's submit: no submit event, and no field named "submit" in the way.
        HTMLFormElement.prototype.submit.call(form);
      } finally {
        form.setAttribute("action", action);
        if (target === null) form.removeAttribute("target");
        else form.setAttribute("target", target);
      }
    }

    // A session that timed out shows its notice in the preview frame: say it here too.
    if (frame) {
      frame.addEventListener("load", function () {
        var notice = null;
        try {
          notice = frame.contentDocument && frame.contentDocument.querySelector("[data-signed-out]");
        } catch (error) { /* a frame showing an error page cannot be read */ }
        if (notice) {
          signedOut = true;
          say(notice.textContent.trim(), true);
        }
      });
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
      // Signed out earlier: save only once signed in again, with the new form token.
      if (signedOut) {
        event.preventDefault();
        renewToken().then(
          function () { form.requestSubmit(submitter); },
          function () { say(SIGNED_OUT, true); }
        );
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

  if (!window.fetch || !window.FormData || !window.Promise || !window.DOMParser) return;
  document.querySelectorAll("form[data-autosave-url]").forEach(enhance);
})();
