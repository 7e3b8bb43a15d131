/*
 * Search as you type, for a GET form marked data-live-search="id1 id2 ...".
 *
 * Without JavaScript the form simply submits. With it, typing (after a short pause) or
 * changing a select fetches the same page for the new query and swaps in the elements
 * whose ids are listed, so the search box keeps its focus and caret. Loaded as a file,
 * never inline, so a Content Security Policy without 'unsafe-inline' allows it.
 */
(function () {
  "use strict";

  var DELAY_MS = 250;

  function queryString(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") params.append(name, value);
    });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function enhance(form) {
    var regionIds = form.getAttribute("data-live-search").split(/\s+/);
    var timer = null;
    var controller = null;

    function refresh() {
      var url = form.action.split("?")[0] + queryString(form);
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(url, { signal: controller.signal, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var complete = regionIds.every(function (id) { return fresh.getElementById(id); });
          // A page without the regions (say, the sign-in page) is shown in full instead.
          if (!complete) { window.location.assign(url); return; }
          regionIds.forEach(function (id) {
            var current = document.getElementById(id);
            if (current) current.innerHTML = fresh.getElementById(id).innerHTML;
          });
          window.history.replaceState(null, "", url);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") window.location.assign(url);
        });
    }

    form.addEventListener("input", function (event) {
      if (event.target.type !== "search") return;
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    });
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") refresh();
    });
  }

  if (!window.fetch || !window.DOMParser || !window.URLSearchParams) return;
  document.querySelectorAll("form[data-live-search]").forEach(enhance);
})();
