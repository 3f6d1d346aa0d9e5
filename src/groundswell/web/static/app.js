// Keeps the live stream bounded and the empty-state message honest.
// No inline scripts anywhere: the Content-Security-Policy allows only files from /static.
(function () {
  "use strict";
  var MAX_POSTS = 200;

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

  document.addEventListener("htmx:oobAfterSwap", trimStream);
  document.addEventListener("htmx:afterSettle", trimStream);
})();
