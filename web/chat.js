// Chat page over Rasa's socket.io channel.  Every piece of text from the bot or the user is
// inserted with textContent (never innerHTML), and links only ever get http(s) or
// same-origin paths, so nothing a message contains can run as code.
(function () {
  "use strict";

  var config = window.CDS_CHAT_CONFIG || {};
  var RASA_URL = config.rasaUrl || "http://127.0.0.1:5005";
  var SOCKET_PATH = config.socketPath || "/socket.io";
  var SESSION_KEY = "cds-chat:session";
  var LOG_KEY = "cds-chat:log";
  var MAX_LOG = 200;
  var REPLY_TIMEOUT_MS = 30000;
  var SNIPPET_CHARS = 300;
  var SUGGESTIONS = config.suggestions || [
    "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?",
    "Kế hoạch chuyển đổi số của Vĩnh Phúc có những chỉ tiêu gì về chính quyền số?",
    "Thời hạn hoàn thành nền tảng tích hợp, chia sẻ dữ liệu của Gia Lai là khi nào?",
    "Các kế hoạch chuyển đổi số nào đang có trong hệ thống?"
  ];

  var log = document.getElementById("log");
  var welcome = document.getElementById("welcome");
  var form = document.getElementById("composer");
  var input = document.getElementById("question");
  var statusEl = document.getElementById("status");
  var resetButton = document.getElementById("new-conversation");

  // ------------------------------------------------------------------ storage

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: no persistence */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var s = "";
    for (var i = 0; i < 32; i++) { s += Math.floor(Math.random() * 16).toString(16); }
    return s;
  }

  var sessionId = storageGet(SESSION_KEY);
  if (!sessionId) {
    sessionId = newSessionId();
    storageSet(SESSION_KEY, sessionId);
  }

  var history = [];
  try { history = JSON.parse(storageGet(LOG_KEY) || "[]"); } catch (e) { history = []; }
  if (!Array.isArray(history)) { history = []; }

  function remember(entry) {
    history.push(entry);
    if (history.length > MAX_LOG) { history = history.slice(history.length - MAX_LOG); }
    storageSet(LOG_KEY, JSON.stringify(history));
  }

  // ------------------------------------------------------------------ rendering

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function hideWelcome() {
    welcome.hidden = true;
  }

  function renderText(role, text) {
    hideWelcome();
    var row = el("div", "row row-" + role);
    var bubble = el("div", "bubble bubble-" + role, text);
    bubble.setAttribute("data-role", role);
    row.appendChild(bubble);
    log.appendChild(row);
    scrollToEnd();
    return bubble;
  }

  function safeHref(citation) {
    var url = citation.url ? String(citation.url) : "";
    if (/^https?:\/\//i.test(url)) { return url; }
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") { return url; }
    if (!citation.plan) { return null; }
    return "/plans/" + encodeURIComponent(String(citation.plan)) + "/view?lines=" +
      encodeURIComponent(String(citation.line_start || "")) + "-" +
      encodeURIComponent(String(citation.line_end || citation.line_start || ""));
  }

  function clip(text, limit) {
    text = String(text || "").replace(/\s+/g, " ").trim();
    if (text.length <= limit) { return text; }
    var cut = text.lastIndexOf(" ", limit);
    return text.slice(0, cut > limit / 2 ? cut : limit) + "…";
  }

  function renderCitations(citations) {
    hideWelcome();
    var row = el("div", "row row-bot");
    var list = el("div", "citations");
    list.setAttribute("aria-label", "Nguồn trích dẫn");
    citations.forEach(function (c, i) {
      var card = el("article", "citation-card");
      card.setAttribute("data-plan", String(c.plan || ""));
      card.appendChild(el("div", "citation-index", "Nguồn " + (i + 1)));
      card.appendChild(el("h3", "citation-title", c.title || c.plan || "Kế hoạch"));
      if (c.section) { card.appendChild(el("p", "citation-section", c.section)); }
      var quote = c.snippet || c.text;
      if (quote) { card.appendChild(el("blockquote", "citation-snippet", "“" + clip(quote, SNIPPET_CHARS) + "”")); }
      var href = safeHref(c);
      if (href) {
        var link = el("a", "citation-link",
          c.line_start ? "Xem nguyên văn (dòng " + c.line_start +
            (c.line_end && c.line_end !== c.line_start ? "–" + c.line_end : "") + ")" : "Xem nguyên văn");
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        card.appendChild(link);
      }
      list.appendChild(card);
    });
    row.appendChild(list);
    log.appendChild(row);
    scrollToEnd();
  }

  function renderButtons(buttons) {
    hideWelcome();
    var row = el("div", "row row-bot");
    var box = el("div", "quick-replies");
    buttons.forEach(function (b) {
      var title = b.title || b.payload;
      if (!title) { return; }
      var button = el("button", "chip", title);
      button.type = "button";
      button.addEventListener("click", function () { send(String(b.payload || title), String(title)); });
      box.appendChild(button);
    });
    row.appendChild(box);
    log.appendChild(row);
    scrollToEnd();
  }

  function renderEntry(entry) {
    if (entry.kind === "text") { renderText(entry.role, entry.text); }
    else if (entry.kind === "citations") { renderCitations(entry.citations); }
    else if (entry.kind === "buttons") { renderButtons(entry.buttons); }
  }

  function renderSuggestions() {
    var box = document.getElementById("suggestions");
    SUGGESTIONS.forEach(function (q) {
      var button = el("button", "chip suggestion", q);
      button.type = "button";
      button.addEventListener("click", function () { send(q); });
      box.appendChild(button);
    });
  }

  // ------------------------------------------------------------------ pending reply

  var typing = null;
  var typingTimer = null;

  function showTyping() {
    clearTyping();
    typing = el("div", "row row-bot typing-row");
    var bubble = el("div", "bubble bubble-bot typing", "Đang tìm câu trả lời…");
    typing.appendChild(bubble);
    log.appendChild(typing);
    scrollToEnd();
    typingTimer = window.setTimeout(function () {
      clearTyping();
      renderText("notice", "Chưa nhận được phản hồi từ trợ lý. Vui lòng thử lại sau ít phút.");
    }, REPLY_TIMEOUT_MS);
  }

  function clearTyping() {
    if (typingTimer) { window.clearTimeout(typingTimer); typingTimer = null; }
    if (typing && typing.parentNode) { typing.parentNode.removeChild(typing); }
    typing = null;
  }

  // ------------------------------------------------------------------ socket

  function setStatus(kind, text) {
    statusEl.className = "status status-" + kind;
    statusEl.textContent = text;
  }

  var socket = window.io(RASA_URL, { path: SOCKET_PATH, transports: ["websocket", "polling"] });

  socket.on("connect", function () {
    setStatus("online", "Đã kết nối");
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (confirmed) {
    var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    if (id && id !== sessionId) {
      sessionId = id;
      storageSet(SESSION_KEY, sessionId);
    }
  });
  socket.on("disconnect", function () {
    setStatus("offline", "Mất kết nối, đang thử lại…");
  });
  socket.on("connect_error", function () {
    setStatus("offline", "Không kết nối được tới trợ lý, đang thử lại…");
  });

  function citationsOf(data) {
    var candidates = [data, data.custom, data.data, data.attachment && data.attachment.payload];
    for (var i = 0; i < candidates.length; i++) {
      var c = candidates[i];
      if (c && Array.isArray(c.citations)) { return c.citations.filter(function (x) { return x && typeof x === "object"; }); }
    }
    return [];
  }

  socket.on("bot_uttered", function (data) {
    if (!data || typeof data !== "object") { return; }
    clearTyping();
    // An answer arrives as one card payload carrying its own text (actions/actions.py sends the
    // page nothing else for it), so the text and the cards show once each.
    var text = data.text || (data.type === "answer" ? data.answer : null);
    if (text) {
      renderText("bot", text);
      remember({ role: "bot", kind: "text", text: String(text) });
    }
    var citations = citationsOf(data);
    if (citations.length) {
      renderCitations(citations);
      remember({ role: "bot", kind: "citations", citations: citations });
    }
    var buttons = data.quick_replies || data.buttons;
    if (Array.isArray(buttons) && buttons.length) {
      renderButtons(buttons);
      remember({ role: "bot", kind: "buttons", buttons: buttons });
    }
  });

  function send(message, shown) {
    message = String(message || "").trim();
    if (!message) { return; }
    var display = shown || message;
    renderText("user", display);
    remember({ role: "user", kind: "text", text: display });
    socket.emit("user_uttered", { message: message, session_id: sessionId });
    showTyping();
  }

  // ------------------------------------------------------------------ wiring

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value;
    input.value = "";
    autoGrow();
    send(q);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }
  input.addEventListener("input", autoGrow);

  resetButton.addEventListener("click", function () {
    storageRemove(LOG_KEY);
    sessionId = newSessionId();
    storageSet(SESSION_KEY, sessionId);
    history = [];
    clearTyping();
    Array.prototype.slice.call(log.querySelectorAll(".row")).forEach(function (r) { r.parentNode.removeChild(r); });
    welcome.hidden = false;
    socket.emit("session_request", { session_id: sessionId });
    input.focus();
  });

  renderSuggestions();
  history.forEach(renderEntry);
})();
