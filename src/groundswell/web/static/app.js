// Keeps the live stream bounded and the empty-state message honest, and says so when a
// live action (htmx) fails instead of leaving the page silently unchanged.
// No inline scripts anywhere: the Content-Security-Policy allows only files from /static.
(function () {
  "use strict";
  var MAX_POSTS = 200;
  var ERROR_SHOWN_MS = 10000;
  var hideTimer = null;

  function trimStream() {
    var list = document.getElementById("stream-list");
    if (!list) return;
    var posts = list.querySelectorAll(":scope > .post");
    for (var i = MAX_POSTS; i < posts.length; i++) posts[i].remove();
    if (posts.length) {
      var empty = document.getElementById("stream-empty");
      if (empty) empty.remove();
    }
  }

  // htmx swaps nothing on an error answer: without this, a refused or failed action
  // (a 403 for the role, a 409 on a case someone else changed, a server error) looked
  // like a click that did nothing. The message goes in as text, never as HTML.
  function showError(message) {
    var box = document.getElementById("live-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "live-error";
      box.className = "live-error";
      box.setAttribute("role", "alert");
      box.title = "Click to dismiss";
      box.addEventListener("click", function () { box.hidden = true; });
      var main = document.querySelector("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = message;
    box.hidden = false;
    if (hideTimer) clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { box.hidden = true; }, ERROR_SHOWN_MS);
  }

  function detailOf(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && typeof body.detail === "string" && body.detail) return body.detail;
    } catch (e) { /* an HTML error page or no body: the status says enough */ }
    return null;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var detail = detailOf(xhr);
    var text = "That did not work (" + xhr.status + (xhr.statusText ? " " + xhr.statusText : "") + ")";
    var same = detail && detail === xhr.statusText;
    showError(detail && !same ? text + ": " + detail : text + ".");
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check the connection and try again.");
  });

  document.addEventListener("htmx:oobAfterSwap", trimStream);
  document.addEventListener("htmx:afterSettle", trimStream);
})();
