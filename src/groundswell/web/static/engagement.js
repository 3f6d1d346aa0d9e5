// Inbox and case pages: keyboard shortcuts, pausing live refresh while selecting,
// the composer's character count and canned-response search. No inline scripts (CSP).
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".case-row")); }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    all[index].classList.add("selected");
    all[index].setAttribute("aria-selected", "true");
    all[index].scrollIntoView({ block: "nearest" });
  }

  function current() {
    var all = rows();
    for (var i = 0; i < all.length; i++) if (all[i].classList.contains("selected")) return i;
    return -1;
  }

  function openSelected(hash) {
    var i = current();
    var all = rows();
    if (i >= 0) window.location.href = all[i].getAttribute("data-href") + (hash || "");
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(document.activeElement)) {
      if (e.key === "Escape") document.activeElement.blur();
      return;
    }
    var inInbox = !!document.getElementById("inbox-list");
    var composer = document.getElementById("reply-text");
    if (e.key === "j" && inInbox) { select(current() + 1); e.preventDefault(); }
    else if (e.key === "k" && inInbox) { select(current() - 1); e.preventDefault(); }
    else if ((e.key === "o" || e.key === "Enter") && inInbox) { openSelected(""); }
    else if (e.key === "r") {
      if (composer) { composer.focus(); e.preventDefault(); } else if (inInbox) openSelected("#composer");
    } else if (e.key === "a") {
      var assign = document.getElementById("assign-select");
      if (assign) { assign.focus(); e.preventDefault(); } else if (inInbox) openSelected("#assign");
    } else if (e.key === "e") {
      var resolve = document.getElementById("resolve-button");
      if (resolve) { resolve.click(); e.preventDefault(); }
    } else if (e.key === "/") {
      var search = document.getElementById("canned-search");
      if (search) { search.focus(); e.preventDefault(); }
    }
  });

  // Do not replace the list under a selection the agent is making.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var target = e.detail && e.detail.elt;
    if (target && target.id === "inbox-list" && document.querySelector(".case-row input:checked")) e.preventDefault();
  });
  // Keep the keyboard selection across refreshes.
  var keep = -1;
  document.addEventListener("htmx:beforeSwap", function (e) { if (e.detail.elt && e.detail.elt.id === "inbox-list") keep = current(); });
  document.addEventListener("htmx:afterSwap", function (e) { if (e.detail.elt && e.detail.elt.id === "inbox-list" && keep >= 0) select(keep); });

  function counter() {
    var text = document.getElementById("reply-text");
    var count = document.getElementById("char-count");
    var max = document.getElementById("max-length");
    if (!text || !count) return;
    var n = text.value.length;
    count.textContent = String(n);
    var limit = max ? parseInt(max.getAttribute("data-max"), 10) : 0;
    count.parentElement.classList.toggle("over", limit > 0 && n > limit);
  }
  document.addEventListener("input", function (e) { if (e.target && e.target.id === "reply-text") counter(); });

  document.addEventListener("input", function (e) {
    if (!e.target || e.target.id !== "canned-search") return;
    var q = e.target.value.toLowerCase();
    var sel = document.getElementById("canned-select");
    if (!sel) return;
    var first = null;
    Array.prototype.forEach.call(sel.options, function (o) {
      var hit = !o.value || o.text.toLowerCase().indexOf(q) >= 0 || (o.getAttribute("data-body") || "").toLowerCase().indexOf(q) >= 0;
      o.hidden = !hit;
      if (hit && o.value && !first) first = o;
    });
    if (first && q) sel.value = first.value;
  });
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.id === "canned-search" && e.key === "Enter") {
      e.preventDefault();
      var text = document.getElementById("reply-text");
      if (text) text.focus();
    }
  });

  if (document.readyState !== "loading") counter(); else document.addEventListener("DOMContentLoaded", counter);
})();
