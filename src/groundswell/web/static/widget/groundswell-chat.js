/*
 * Groundswell web chat widget. One tag on any page:
 *   <script src="https://gs.example/widget/chat.js" data-channel="PUBLIC_KEY" defer></script>
 *
 * Plain JavaScript, no framework, nothing fetched from a CDN. It talks only to the
 * Groundswell that served it (the script's own origin), under /chat/v1/<key>/.
 *
 * New messages are fetched by polling with a cursor, not SSE: a poll is one short
 * request that any proxy and any embedding page's setup lets through, holds no
 * connection open per visitor on the server, and resumes exactly from the cursor after
 * a laptop sleeps. The interval is the channel's (2-60 s) while the panel is open and
 * four times that (at most 60 s) while it is closed; failures back off up to 60 s.
 *
 * Every piece of text (greeting, messages, errors) is set with textContent, never as
 * HTML. The conversation token is kept in this site's localStorage so a reload resumes
 * the conversation; it is sent as a bearer header, never a cookie.
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-channel][src*='/widget/chat.js']");
  if (!script || !script.getAttribute("data-channel")) { return; }
  var key = script.getAttribute("data-channel");
  var base = new URL(script.src, document.baseURI).origin;
  var api = base + "/chat/v1/" + encodeURIComponent(key) + "/";
  var store = "gs-chat:" + key;
  var MAX_TEXT = 2000;

  var state = {
    token: null, cursor: 0, open: false, pollSeconds: 3, timer: null,
    failures: 0, shown: {}, sent: {}, unread: 0, loaded: false
  };
  try { state.token = window.localStorage.getItem(store); } catch (e) { state.token = null; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function call(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers["Authorization"] = "Bearer " + state.token; }
    return fetch(api + path, {
      method: method, headers: headers, credentials: "omit", mode: "cors",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || ("HTTP " + response.status));
          error.status = response.status;
          error.wait = parseInt(response.headers.get("Retry-After") || "0", 10);
          throw error;
        }
        return data;
      });
    });
  }

  var link = el("link");
  link.rel = "stylesheet";
  link.href = base + "/widget/chat.css";
  document.head.appendChild(link);

  var root = el("div", "gs-chat");
  var bubble = el("button", "gs-chat-bubble", "Chat with us");
  bubble.type = "button";
  bubble.setAttribute("aria-expanded", "false");
  var badge = el("span", "gs-chat-badge");
  badge.hidden = true;
  bubble.appendChild(badge);
  var panel = el("section", "gs-chat-panel");
  panel.hidden = true;
  panel.setAttribute("aria-label", "Chat");
  var head = el("div", "gs-chat-head");
  head.appendChild(el("strong", null, "Chat with us"));
  var close = el("button", "gs-chat-close", "\u00d7");
  close.type = "button";
  close.setAttribute("aria-label", "Close the chat");
  head.appendChild(close);
  var greeting = el("p", "gs-chat-greeting");
  var log = el("div", "gs-chat-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var status = el("p", "gs-chat-status");
  status.setAttribute("role", "status");

  var startForm = el("form", "gs-chat-start");
  var email = el("input");
  email.type = "email"; email.name = "email"; email.required = true;
  email.maxLength = 254; email.placeholder = "you@example.com"; email.autocomplete = "email";
  var name = el("input");
  name.name = "name"; name.maxLength = 100; name.placeholder = "Your name (optional)";
  name.autocomplete = "name";
  var consentLabel = el("label", "gs-chat-consent");
  var consent = el("input");
  consent.type = "checkbox"; consent.name = "consent";
  consentLabel.appendChild(consent);
  consentLabel.appendChild(document.createTextNode(" You may contact me by e-mail about this."));
  var startButton = el("button", null, "Start chatting");
  startButton.type = "submit";
  [labelled("E-mail", email), labelled("Name", name), consentLabel, startButton]
    .forEach(function (n) { startForm.appendChild(n); });

  var sendForm = el("form", "gs-chat-send");
  var input = el("textarea");
  input.name = "text"; input.rows = 2; input.maxLength = MAX_TEXT; input.required = true;
  input.placeholder = "Write a message";
  input.setAttribute("aria-label", "Message");
  var sendButton = el("button", null, "Send");
  sendButton.type = "submit";
  sendForm.appendChild(input);
  sendForm.appendChild(sendButton);

  [head, greeting, log, status, startForm, sendForm].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(panel);
  root.appendChild(bubble);

  function labelled(text, field) {
    var label = el("label", null, text);
    label.appendChild(field);
    return label;
  }

  function showMode() {
    startForm.hidden = !!state.token;
    sendForm.hidden = !state.token;
    log.hidden = !state.token;
  }

  function say(text) { status.textContent = text || ""; }

  function show(message, pending) {
    if (message.id && state.shown[message.id]) { return null; }
    if (message.client_id && state.sent[message.client_id]) {
      state.shown[message.id] = true;  // our own message, already on screen
      return null;
    }
    if (message.id) { state.shown[message.id] = true; }
    var who = message.direction === "out" ? "gs-out" : "gs-in";
    var item = el("div", "gs-chat-msg " + who + (pending ? " gs-pending" : ""));
    item.textContent = message.text;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (message.direction === "out" && !state.open && state.loaded) {
      state.unread += 1;
      badge.textContent = String(state.unread);
      badge.hidden = false;
    }
    return item;
  }

  function schedule(seconds) {
    window.clearTimeout(state.timer);
    if (!state.token) { return; }
    state.timer = window.setTimeout(poll, seconds * 1000);
  }

  function nextDelay() {
    var normal = state.open ? state.pollSeconds : Math.min(60, state.pollSeconds * 4);
    return Math.min(60, normal * Math.pow(2, Math.min(state.failures, 5)));
  }

  function poll() {
    call("GET", "messages?after=" + state.cursor).then(function (page) {
      state.failures = 0;
      page.messages.forEach(function (m) { show(m, false); });
      state.cursor = page.cursor;
      state.loaded = true;  // what came before this page load is not "unread"
      schedule(nextDelay());
    }).catch(function (error) {
      if (error.status === 401) { forget(); return; }
      state.failures += 1;
      schedule(Math.max(error.wait || 0, nextDelay()));
    });
  }

  function forget() {
    state.token = null;
    state.cursor = 0;
    try { window.localStorage.removeItem(store); } catch (e) { /* private mode */ }
    log.textContent = "";
    state.shown = {};
    state.loaded = false;
    showMode();
    say("The conversation has ended. Start a new one.");
  }

  function send(text, clientId, item, attempt) {
    call("POST", "messages", { client_id: clientId, text: text }).then(function (data) {
      state.shown[data.message.id] = true;
      item.classList.remove("gs-pending");
      say("");
      schedule(1);
    }).catch(function (error) {
      if (error.status === 401) { forget(); return; }
      if ((!error.status || error.status >= 500 || error.status === 429) && attempt < 3) {
        window.setTimeout(function () { send(text, clientId, item, attempt + 1); },
          Math.max(error.wait || 0, 2 * (attempt + 1)) * 1000);
        return;
      }
      item.classList.add("gs-failed");
      say("Not sent: " + error.message);
    });
  }

  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    startButton.disabled = true;
    call("POST", "conversations", {
      email: email.value, name: name.value || null, consent: consent.checked
    }).then(function (data) {
      state.token = data.token;
      try { window.localStorage.setItem(store, data.token); } catch (e) { /* private mode */ }
      say("");
      showMode();
      input.focus();
      schedule(state.pollSeconds);
    }).catch(function (error) {
      say(error.message);
    }).then(function () { startButton.disabled = false; });
  });

  sendForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    var item = show({ direction: "in", text: text }, true);
    var clientId = newId();
    state.sent[clientId] = true;
    send(text, clientId, item, 0);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      sendForm.requestSubmit();
    }
  });

  function toggle(open) {
    state.open = open;
    panel.hidden = !open;
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      state.unread = 0;
      badge.hidden = true;
      (state.token ? input : email).focus();
      if (state.token) { schedule(0); }
    }
  }
  bubble.addEventListener("click", function () { toggle(!state.open); });
  close.addEventListener("click", function () { toggle(false); });

  call("GET", "config").then(function (config) {
    greeting.textContent = config.greeting;
    state.pollSeconds = Math.max(2, Math.min(60, config.poll_seconds || 3));
  }).catch(function (error) {
    greeting.textContent = "";
    say("Chat is unavailable: " + error.message);
  });

  showMode();
  document.body.appendChild(root);
  if (state.token) { schedule(0); }
})();
