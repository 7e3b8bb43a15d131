// Feedback while something slow happens: sending a letter, rendering a PDF, building a ZIP.
// A button or link with data-busy="Sending…" shows that text and a spinner once used, and
// the button cannot be pressed twice. Pages work the same without this script.
(function () {
  "use strict";

  function showBusy(element) {
    if (!element.dataset.idleText) {
      element.dataset.idleText = element.textContent;
    }
    element.textContent = element.dataset.busy;
    element.classList.add("is-busy");
    element.setAttribute("aria-busy", "true");
  }

  function showIdle(element) {
    if (element.dataset.idleText) {
      element.textContent = element.dataset.idleText;
    }
    element.classList.remove("is-busy");
    element.removeAttribute("aria-busy");
    element.removeAttribute("aria-disabled");
    if (element.tagName === "BUTTON") {
      element.disabled = false;
    }
  }

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (event.defaultPrevented || !button || !button.dataset || !button.dataset.busy) {
      return;
    }
    showBusy(button);
    // Disabled after the browser has read the form, so the button's own value is still sent.
    setTimeout(function () { button.disabled = true; }, 0);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy]");
    if (!link) {
      return;
    }
    if (link.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already on its way
      return;
    }
    showBusy(link);
    link.setAttribute("aria-disabled", "true");
    // A download leaves the page where it is: give the link back once the file has had time
    // to start, or as soon as the coach comes back to this window.
    setTimeout(function () { showIdle(link); }, 4000);
  });

  window.addEventListener("focus", function () {
    document.querySelectorAll("a[data-busy].is-busy").forEach(showIdle);
  });

  // Coming back with the Back button shows the page as it was left: make it usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy].is-busy").forEach(showIdle);
  });
})();
