// The link in an invitation or reset e-mail carries its token after "#", which browsers
// never send to a server, so no request log records it. This hands the token to coachapp
// in a form post, and takes it out of the address bar and the browser's history first.
// Without this script, the page asks for the link to be pasted into the same form.
(function () {
  "use strict";

  var form = document.querySelector("form[data-opens-link]");
  var token = window.location.hash.slice(1);
  if (!form || !token) {
    return;
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements.link.value = token;
  form.hidden = true;
  var opening = document.querySelector(".opening-link");
  if (opening) {
    opening.hidden = false;
  }
  form.submit();
})();
