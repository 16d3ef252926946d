// Helpline chat widget: one <script src=".../chat/widget.js"> puts a chat button on any page.
// Child-safe by design: no cookies, no localStorage or sessionStorage, no third-party requests;
// the conversation lives only in this page's memory, and "Leave quickly" replaces the page in the
// browser's history. A dropped connection resumes where it left off without losing or repeating.
// A message shows as sent only once the server has confirmed it: until then it says "Sending…",
// and one the server refused, or did not confirm in time, says it was not sent and offers to send
// it again. The message box is there only while the chat is on (not before it starts or after).
// Leaving the page ends the chat: its token lives only in this page's memory, and nothing the child
// could note or that the browser keeps may let someone else on a shared phone read it again. The
// child is told so while the chat is on, and asked by the browser before the page goes.
(function () {
  "use strict";
  if (window.__helplineChat) { return; }
  window.__helplineChat = true;

  var CONFIG = __HELPLINE_CONFIG__;
  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href) : new URL(window.location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws/chat/";
  var exitUrl = (script && script.getAttribute("data-exit-url")) || CONFIG.exitUrl;

  var lang = (document.documentElement.lang || "km").indexOf("en") === 0 ? "en" : "km";
  // pending: what the child wrote and the server has not confirmed ({id, text, failed, timer});
  // live: this socket's chat has started or resumed, so messages may go now.
  var state = { token: null, lastSeq: 0, seen: {}, pending: [], socket: null, retry: 500, ended: false, started: false, away: false, live: false };
  var CONFIRM_MS = 10000;  // a message sent on an open socket and not confirmed by then has failed

  function t(key) { return CONFIG.strings[lang][key]; }
  function uid() {
    if (window.crypto && crypto.getRandomValues) {
      var b = new Uint8Array(12); crypto.getRandomValues(b);
      return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  // --- Elements (in a shadow root, so the host page's styles neither leak in nor out) ----------
  var host = document.createElement("div");
  host.setAttribute("data-helpline-chat", "");
  document.body.appendChild(host);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  // The styles go in as a constructed style sheet: no <style> element, so a website whose
  // Content-Security-Policy allows no inline style (as Helpline's own pages do) still shows the
  // widget as drawn. Browsers without constructed sheets get a <style> carrying the script's nonce.
  var css =
    ':host{all:initial}*{box-sizing:border-box;font-family:"Noto Sans Khmer","Khmer OS System","Khmer OS",system-ui,sans-serif}' +
    '.open{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#1f6feb;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:16px;box-shadow:0 2px 8px rgba(0,0,0,.25);cursor:pointer}' +
    '.panel{position:fixed;right:12px;bottom:12px;z-index:2147483001;width:min(360px,calc(100vw - 24px));height:min(560px,calc(100vh - 24px));background:#fff;border:1px solid #ccd;border-radius:12px;display:none;flex-direction:column;box-shadow:0 4px 16px rgba(0,0,0,.3);font-size:16px;color:#1d2430}' +
    '.panel.shown{display:flex}.head{display:flex;align-items:center;gap:8px;padding:8px 10px;border-bottom:1px solid #e3e6ea}' +
    '.head strong{flex:1;font-size:15px}.exit{background:#b42318;color:#fff;border:0;border-radius:8px;padding:8px 10px;font-size:15px;font-weight:700;cursor:pointer}' +
    '.close{background:none;border:0;font-size:20px;cursor:pointer;color:#5b6472}' +
    '.body{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}' +
    '.status{font-size:14px;color:#5b6472;padding:4px 10px;border-bottom:1px solid #eef}' +
    '.msg{max-width:85%;padding:7px 10px;border-radius:12px;line-height:1.6;white-space:pre-wrap;word-wrap:break-word}' +
    '.you{align-self:flex-end;background:#e8f0fe}.helpline{align-self:flex-start;background:#f1f7f3}' +
    '.note{display:block;font-size:13px;color:#5b6472}.pending .text{color:#5b6472}.failed{background:#fdecea;border:1px solid #b42318}.failed .note{color:#b42318}' +
    '.resend{margin-top:4px;background:#fff;color:#b42318;border:1px solid #b42318;border-radius:8px;padding:4px 10px;font-size:14px;cursor:pointer}' +
    '[hidden]{display:none!important}form{display:flex;gap:6px;padding:8px;border-top:1px solid #e3e6ea}textarea{flex:1;resize:none;font-size:16px;padding:6px;border:1px solid #ccd;border-radius:8px}' +
    'button.send{background:#1f6feb;color:#fff;border:0;border-radius:8px;padding:0 14px;font-size:15px}' +
    '.pre{padding:12px;display:flex;flex-direction:column;gap:10px}.pre label{font-size:14px;display:flex;flex-direction:column;gap:4px}' +
    '.pre input,.pre select{font-size:16px;padding:6px;border:1px solid #ccd;border-radius:8px}.langs{display:flex;gap:8px}' +
    '.langs button{flex:1;padding:8px;border:1px solid #ccd;border-radius:8px;background:#fff;font-size:15px}.langs button[aria-pressed=true]{border-color:#1f6feb;font-weight:700}' +
    '.go{background:#1f6feb;color:#fff;border:0;border-radius:8px;padding:10px;font-size:16px}.hint{font-size:12px;color:#5b6472}' +
    '.keep{margin:0;font-size:13px;color:#5b6472;padding:4px 10px;border-bottom:1px solid #eef}';
  root.innerHTML =
    '<button class="open" type="button" part="open"></button>' +
    '<section class="panel" role="dialog" aria-modal="false" aria-labelledby="hl-title">' +
    '<div class="head"><strong class="title" id="hl-title"></strong><button class="exit" type="button"></button><button class="close" type="button" aria-label="">×</button></div>' +
    '<div class="pre"><p class="intro"></p>' +
    '<div class="langs"><button type="button" data-lang="km" lang="km">ខ្មែរ</button><button type="button" data-lang="en" lang="en">English</button></div>' +
    '<label><span class="l-nick"></span><input class="nick" maxlength="40" autocomplete="off"></label>' +
    '<label><span class="l-age"></span><select class="age"><option value=""></option></select></label>' +
    '<button class="go" type="button"></button><p class="hint"></p></div>' +
    '<div class="status" role="status" aria-live="polite" hidden></div>' +
    '<p class="keep" hidden></p>' +
    '<div class="body" aria-live="polite" hidden></div>' +
    '<form hidden><textarea rows="2" maxlength="1000" autocomplete="off"></textarea><button class="send" type="submit"></button></form>' +
    '</section>';
  if (root !== host && "adoptedStyleSheets" in root && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    if (script && script.nonce) { style.nonce = script.nonce; }
    style.textContent = css;
    root.insertBefore(style, root.firstChild);
  }

  function $(sel) { return root.querySelector(sel); }
  var openBtn = $(".open"), panel = $(".panel"), statusEl = $(".status"), body = $(".body"), form = $("form");
  var input = $("textarea"), ageSel = $(".age");
  for (var a = 5; a <= 25; a++) { var o = document.createElement("option"); o.value = String(a); o.textContent = String(a); ageSel.appendChild(o); }

  function paint() {
    openBtn.textContent = t("open");
    $(".title").textContent = t("title");
    $(".exit").textContent = t("exit");
    $(".exit").title = t("exit_hint");
    $(".close").setAttribute("aria-label", t("close"));
    $(".intro").textContent = t("intro");
    $(".l-nick").textContent = t("nickname");
    $(".l-age").textContent = t("age");
    $(".go").textContent = t("start");
    $(".hint").textContent = t("exit_hint");
    $(".keep").textContent = t("leave_ends");
    $(".send").textContent = t("send");
    input.placeholder = t("placeholder");
    input.setAttribute("aria-label", t("placeholder"));  // a placeholder alone is no label
    panel.setAttribute("lang", lang);
    root.querySelectorAll(".langs button").forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === lang)); });
  }
  paint();

  root.querySelectorAll(".langs button").forEach(function (b) {
    b.addEventListener("click", function () { lang = b.getAttribute("data-lang"); paint(); });
  });
  // Opening moves the keyboard into the chat (its first field, or the message box once the chat is
  // on); closing puts it back on the button that opened it.
  openBtn.addEventListener("click", function () {
    panel.classList.add("shown"); openBtn.style.display = "none";
    (form.hidden ? $(".nick") : input).focus();
  });
  $(".close").addEventListener("click", function () { panel.classList.remove("shown"); openBtn.style.display = ""; openBtn.focus(); });

  // --- Quick exit: leave at once, keep nothing -------------------------------------------------
  function quickExit() {
    try { if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify({ type: "leave" })); } } catch (e) { /* leaving anyway */ }
    state.pending.forEach(function (p) { clearTimeout(p.timer); });
    state = { token: null, lastSeq: 0, seen: {}, pending: [], socket: null, ended: true };
    root.innerHTML = "";
    document.title = "";
    window.location.replace(exitUrl);
  }
  $(".exit").addEventListener("click", quickExit);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && panel.classList.contains("shown")) { quickExit(); } });

  // --- Messages --------------------------------------------------------------------------------
  // In the thread's order (seq), whatever order the frames arrive in; unsent ones stay last.
  function bubble(text, who, id, seq) {
    var el = document.createElement("div");
    el.className = "msg " + who;
    if (id) { el.setAttribute("data-id", id); }
    var words = document.createElement("span");
    words.className = "text";
    words.textContent = text;
    el.appendChild(words);
    var later = null;
    if (seq) {
      el.setAttribute("data-seq", String(seq));
      var placed = body.querySelectorAll("[data-seq]");
      for (var i = 0; i < placed.length; i++) {
        if (parseInt(placed[i].getAttribute("data-seq"), 10) > seq) { later = placed[i]; break; }
      }
    }
    if (later) { body.insertBefore(el, later); } else { body.appendChild(el); }
    body.scrollTop = body.scrollHeight;
    return el;
  }
  function setStatus(text) { statusEl.hidden = !text; statusEl.textContent = text || ""; }

  function send(frame) {
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  // --- The child's own messages: sending, sent (confirmed), or not sent with a resend ----------
  function mark(id, how) {
    var el = body.querySelector('[data-id="' + id + '"]');
    if (!el) { return; }
    el.classList.remove("pending", "failed");
    var old = el.querySelectorAll(".note,.resend");
    for (var i = 0; i < old.length; i++) { el.removeChild(old[i]); }
    if (how === "sent") { return; }
    el.classList.add(how === "sending" ? "pending" : "failed");
    var note = document.createElement("span");
    note.className = "note";
    note.textContent = t(how === "sending" ? "sending" : "refused");
    el.appendChild(note);
    if (how === "failed" && !state.ended) {
      var again = document.createElement("button");
      again.type = "button"; again.className = "resend"; again.textContent = t("resend");
      again.addEventListener("click", function () { resend(id); });
      el.appendChild(again);
    }
  }
  function find(id) {
    for (var i = 0; i < state.pending.length; i++) { if (state.pending[i].id === id) { return state.pending[i]; } }
    return null;
  }
  function transmit(p) {
    if (!state.live || p.failed || !send({ type: "message", id: p.id, text: p.text })) { return; }
    clearTimeout(p.timer);
    p.timer = setTimeout(function () { failed(p.id); }, CONFIRM_MS);
  }
  function confirmed(id) {
    var p = find(id);
    if (p) { clearTimeout(p.timer); }
    state.pending = state.pending.filter(function (q) { return q.id !== id; });
    mark(id, "sent");
  }
  function failed(id) {
    var p = find(id);
    if (!p) { return; }
    clearTimeout(p.timer); p.failed = true;
    mark(id, "failed");
  }
  function resend(id) {
    var p = find(id);
    if (!p || state.ended) { return; }
    p.failed = false;
    mark(id, "sending");
    transmit(p);  // or, while reconnecting, as soon as the chat is back
  }
  // The socket went: nothing more can be confirmed on it; what was sending is sent again on resume.
  function socketGone() {
    state.live = false;
    state.pending.forEach(function (p) { clearTimeout(p.timer); });
  }
  function chatOver() {
    state.ended = true; state.live = false;
    form.hidden = true; input.disabled = true; $(".keep").hidden = true;
    state.pending.forEach(function (p) { clearTimeout(p.timer); p.failed = true; mark(p.id, "failed"); });
  }

  function onFrame(frame) {
    if (frame.type === "started" || frame.type === "resumed") {
      if (frame.type === "started") { state.token = frame.token; }
      state.away = false;
      state.retry = 500;
      setStatus("");
      state.live = true;
      // Written while the chat was starting or reconnecting: sent now (each once: the ids say so).
      state.pending.forEach(transmit);
    } else if (frame.type === "reconnecting") {
      // The helpline's database is away for a moment: say so, and come back (the socket closes).
      state.away = true;
      setStatus(t("unavailable"));
    } else if (frame.type === "queue") {
      setStatus(t("waiting").replace("{n}", String(frame.position)));
    } else if (frame.type === "answered") {
      setStatus(t("answered"));
    } else if (frame.type === "ended") {
      setStatus(t("ended")); chatOver();
    } else if (frame.type === "ack") {
      confirmed(frame.id);
      var mine = body.querySelector('[data-id="' + frame.id + '"]');
      if (mine) { mine.setAttribute("data-seq", String(frame.seq)); }
      state.seen[frame.seq] = true;
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
    } else if (frame.type === "message") {
      if (state.seen[frame.seq]) { return; }
      state.seen[frame.seq] = true;
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
      if (frame.from === "you") {
        // Stored before a drop whose ack never came: the server has it, so it was sent.
        if (frame.id && body.querySelector('[data-id="' + frame.id + '"]')) { confirmed(frame.id); return; }
        bubble(frame.text, "you", frame.id, frame.seq);
      } else {
        bubble(frame.text, "helpline", null, frame.seq);
      }
    } else if (frame.type === "refused") {
      if (frame.id) { failed(frame.id); return; }  // this message was not stored: say so by it
      setStatus(t("refused")); chatOver();  // the chat itself was refused
    }
  }

  function connect(first) {
    var socket = new WebSocket(wsUrl);
    state.socket = socket;
    socket.onopen = function () {
      if (first) {
        var age = ageSel.value ? parseInt(ageSel.value, 10) : null;
        socket.send(JSON.stringify({ type: "start", language: lang, nickname: $(".nick").value.slice(0, 40), age: age }));
      } else if (state.token) {
        socket.send(JSON.stringify({ type: "resume", token: state.token, after: state.lastSeq, language: lang }));
      }
    };
    socket.onmessage = function (event) {
      var frame; try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    };
    socket.onclose = function () {
      if (state.ended || state.socket !== socket) { return; }
      socketGone();
      var away = state.away;
      setStatus(t(away ? "unavailable" : "reconnecting"));
      // A chat whose start met the outage starts again; one that had started resumes.
      setTimeout(function () {
        if (state.ended) { return; }
        if (state.token) { connect(false); } else if (away) { connect(true); }
      }, away ? Math.max(state.retry, 2000) : state.retry);
      state.retry = Math.min(state.retry * 2, 15000);
    };
  }

  $(".go").addEventListener("click", function () {
    if (state.started) { return; }
    state.started = true;
    $(".pre").hidden = true;
    body.hidden = false; form.hidden = false; $(".keep").hidden = false;
    connect(true);
    input.focus();
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || state.ended) { return; }
    var entry = { id: uid(), text: text, failed: false, timer: null };
    state.pending.push(entry);
    bubble(text, "you", entry.id);
    mark(entry.id, "sending");
    transmit(entry);  // now if the chat is on; otherwise once it starts or resumes
    input.value = "";
  });
  // --- Leaving the page ends the chat ---------------------------------------------------------
  // While it is on, the browser asks before the page closes or reloads (quick exit never asks: it
  // ends the chat first). If the child goes, the helpline hears it at once, so the chat leaves the
  // queue and the counsellor sees that the child left, instead of answering nobody.
  function chatOn() { return state.started && !state.ended; }
  window.addEventListener("beforeunload", function (e) {
    if (!chatOn()) { return; }
    e.preventDefault();
    e.returnValue = t("leave_ends");
    return t("leave_ends");
  });
  window.addEventListener("pagehide", function () {
    if (!chatOn()) { return; }
    send({ type: "leave" });
    setStatus(t("ended")); chatOver();
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
})();
