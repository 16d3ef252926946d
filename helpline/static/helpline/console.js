// Counsellor console: keyboard shortcuts, draft autosave revisions, and a tab-local backup of the
// form and of the reply being typed, so that a dropped connection or a reload loses nothing. The
// backup lives in sessionStorage (gone when the tab closes; never localStorage, which the next
// person at a shared computer could read) and is cleared as soon as the contact is saved or the
// reply sent.

// Where this tab keeps a contact's unsaved words: "helpline-draft:<contact>" the contact form,
// "helpline-draft:<contact>:reply" the reply being typed to the child.
var HELPLINE_DRAFT = "helpline-draft:";
function helplineDraftKey(contactId, part) {
  "use strict";
  return HELPLINE_DRAFT + contactId + (part ? ":" + part : "");
}

(function () {
  "use strict";

  // Alt+<key> presses the button marked data-hotkey="<key>", or moves to the field (or the first
  // field inside the part) so marked; Ctrl+Enter saves the contact.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && event.key === "Enter") {
      var save = document.querySelector('#contact-form button[type="submit"]');
      if (save) { event.preventDefault(); save.click(); }
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    // event.code: Alt+<letter> gives another character on some layouts (and on a Mac).
    var key = /^(Key|Digit)/.test(event.code || "") ? event.code.slice(event.code.charAt(0) === "K" ? 3 : 5).toLowerCase() : (event.key || "").toLowerCase();
    var target = document.querySelector('[data-hotkey="' + key + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (target.matches("button, a")) { target.click(); return; }
    var field = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
    if (target.tagName === "DETAILS") { target.open = true; }
    if (field) { field.focus(); }
  });

  // A draft's copy in this tab goes once its contact is no longer open here (saved, closed with one
  // click, ended by the child, handed on): the console lists the contacts still open. Keys are
  // helplineDraftKey()'s, the contact's id first.
  var consoleRoot = document.querySelector("[data-open-contacts]");
  if (consoleRoot) {
    var stillOpen = consoleRoot.getAttribute("data-open-contacts").split(/\s+/);
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var storedKey = sessionStorage.key(i);
        if (storedKey && storedKey.indexOf(HELPLINE_DRAFT) === 0 && stillOpen.indexOf(storedKey.slice(HELPLINE_DRAFT.length).split(":")[0]) === -1) {
          sessionStorage.removeItem(storedKey);
        }
      }
    } catch (e) { /* storage disabled: nothing kept */ }
  }

  // A fresh idempotency key per start form: a double click starts one contact, not two.
  document.querySelectorAll("[data-fresh-key]").forEach(function (input) {
    input.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  });

  var form = document.getElementById("contact-form");
  if (!form) { return; }
  var contactId = form.getAttribute("data-contact");
  var storageKey = helplineDraftKey(contactId);
  var revisionInput = form.querySelector('input[name="_revision"]');
  var revision = parseInt(form.getAttribute("data-revision") || "0", 10);

  function snapshot() {
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (key.charAt(0) === "_" || key === "csrfmiddlewaretoken") { return; }
      if (data[key] === undefined) { data[key] = []; }
      data[key].push(value);
    });
    return data;
  }

  function restore(data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.charAt(0) === "_" || el.name === "csrfmiddlewaretoken") { return; }
      var values = data[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = values.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) !== -1; });
      } else if (values.length) {
        el.value = values[0];
      } else {
        el.value = "";
      }
    });
  }

  function backup() {
    try {
      sessionStorage.setItem(storageKey, JSON.stringify({ revision: revision, data: snapshot() }));
    } catch (e) { /* storage full or disabled: the server draft still holds the form */ }
  }

  // Each autosave carries a higher revision, so a slow older request never overwrites a newer one.
  var submitted = false;
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== form) { return; }
    // Saved and closed already: the autosave the last keystroke or the field's blur scheduled would
    // reach a closed contact (409).
    if (submitted) { event.preventDefault(); return; }
    revision += 1;
    revisionInput.value = String(revision);
    event.detail.parameters["_revision"] = String(revision);
    backup();
  });
  form.addEventListener("input", backup);
  form.addEventListener("change", backup);

  // After a reload: if this tab holds a newer copy than the server's draft, put it back and save it.
  try {
    var saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    if (saved && saved.revision > revision) {
      restore(saved.data);
      revision = saved.revision;
      if (window.htmx) { htmx.trigger(form, "change"); }
    }
  } catch (e) { /* ignore a corrupt backup */ }

  form.addEventListener("submit", function () {
    submitted = true;
    try { sessionStorage.removeItem(storageKey); } catch (e) { /* nothing to clear */ }
  });
  // Back here (a refused save shows the form again, or the browser's back button): drafts again.
  window.addEventListener("pageshow", function () { submitted = false; });

  // Type to narrow the long list of reasons, in Khmer or English whatever the page's language:
  // each reason carries both labels and its category's in the normal form of
  // helpline/common/text.py normalise(); the words typed are put in the same form here.
  var filter = form.querySelector("[data-filter-reasons]");
  if (filter) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll(".reason-groups input[data-search]"));
    var count = form.querySelector("[data-filter-count]");
    var shown = function () { return boxes.filter(function (b) { return !b.closest("label").hidden; }); };
    var apply = function () {
      var needle = helplineNormalise(filter.value);
      boxes.forEach(function (box) {
        box.closest("label").hidden = !!needle && box.getAttribute("data-search").indexOf(needle) === -1;
      });
      form.querySelectorAll(".reason-group").forEach(function (group) {
        group.hidden = !group.querySelector("label.reason:not([hidden])");
      });
      if (count) {
        count.textContent = needle ? count.getAttribute("data-template")
          .replace("{shown}", String(shown().length)).replace("{total}", String(boxes.length)) : "";
      }
    };
    filter.addEventListener("input", apply);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        // Enter would save the whole form: here it ticks the first reason found instead, and
        // selects the words so that the next reason can be typed over them.
        event.preventDefault();
        var first = shown().filter(function (b) { return !b.checked; })[0];
        if (first && filter.value.trim()) {
          first.checked = true;
          first.dispatchEvent(new Event("change", { bubbles: true }));
        }
        filter.select();
      } else if (event.key === "Escape" && filter.value) {
        event.preventDefault();
        filter.value = "";
        apply();
      }
    });
    apply();
  }

  // Recording starts at once: on opening a contact the keyboard is in its form (a text thread's
  // reply box once it loads), or at the first field the server refused.
  function focusStart() {
    if (window.location.hash) { return; }  // a skip link or a link to a part: the browser's place
    if (document.getElementById("error-summary")) { return; }  // a refused save: its summary has the keyboard
    var error = form.querySelector(".errorlist");
    var place = error && error.parentElement.querySelector("input:not([type=hidden]), select, textarea");
    if (!place) {
      place = form.querySelector('input[name="kind"]:checked') || form.querySelector('input[name="kind"]');
    }
    if (place) { place.focus(); }
  }
  focusStart();
  var replyBox = document.getElementById("reply-box");
  if (replyBox) {
    var untouched = document.activeElement;
    replyBox.addEventListener("htmx:afterSwap", function once() {
      replyBox.removeEventListener("htmx:afterSwap", once);
      var area = replyBox.querySelector("textarea");
      if (area && document.activeElement === untouched && !form.querySelector(".errorlist")) { area.focus(); }
    });
  }
})();

// The normal form text is compared in (helpline/common/text.py normalise(), the parts that matter
// for short words typed into a filter): invisible characters dropped, case folded, a letter typed
// again and again kept once, the two look-alike Khmer subscripts made one, spaces collapsed.
function helplineNormalise(text) {
  "use strict";
  var s = String(text || "").normalize("NFC")
    .replace(/[\u200B\u200C\u200D\u2060\uFEFF\u00AD\u17B4\u17B5\uFE0E\uFE0F]/g, "")
    .replace(/\u17B2/g, "\u17B1").replace(/\u17A3/g, "\u17A2")
    .toLowerCase();
  s = s.replace(/([^0-9\u2600-\u27bf\u{1f000}-\u{1faff}])\1+/gu, "$1").replace(/\u17D2\u178A/g, "\u17D2\u178F");
  s = s.replace(/\u17A2\u17C4\u1799/g, "\u17B1\u17D2\u1799");
  return s.split(/\s+/).filter(Boolean).join(" ");
}

// The reply form's end, by socket or by post: the box empties only when the reply was stored;
// otherwise the text stays and the notice says why.
(function () {
  "use strict";
  function done(form, failure) {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = false; }
    var notice = form.querySelector("[data-reply-notice]");
    if (notice) { notice.textContent = failure || ""; }
    if (!failure) { form.reset(); }  // its copy in this tab goes with the input event below
    var area = form.querySelector("[data-reply-text]");
    if (area) { area.dispatchEvent(new Event("input")); if (!failure) { area.focus(); } }
  }
  window.helplineReplyDone = done;
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.reply")) { return; }
    var xhr = event.detail.xhr, notice = form.querySelector("[data-reply-notice]");
    // A 400 carries the reason as plain text; anything else failed on the way.
    window.helplineReplyDone(form, event.detail.successful ? "" : (xhr && xhr.status === 400 ? xhr.responseText : notice.getAttribute("data-failed")));
  });
})();

// The reply being typed to the child, kept in this tab as it is typed (the contact form's way,
// under helplineDraftKey(contact, "reply")): put back when the box is drawn again after a reload,
// a dropped connection or a refresh, and gone once the box empties (the reply was sent).
// A reply on its way is noted under "reply-sent" until its answer comes: put back after a reload
// that came first, it says it may have reached the child already, rather than invite a second send.
(function () {
  "use strict";
  function keys(form) {
    var contact = form.getAttribute("data-contact");
    return { draft: helplineDraftKey(contact, "reply"), sent: helplineDraftKey(contact, "reply-sent") };
  }
  function keep(root) {
    root.querySelectorAll("form.reply[data-contact] [data-reply-text]").forEach(function (area) {
      if (area.dataset.kept) { return; }
      area.dataset.kept = "1";
      var form = area.closest("form"), key = keys(form);
      try {
        var was = sessionStorage.getItem(key.draft);
        if (was && !area.value) {
          area.value = was;
          area.dispatchEvent(new Event("input"));
          var notice = form.querySelector("[data-reply-notice]");
          if (notice && sessionStorage.getItem(key.sent) === was) { notice.textContent = notice.getAttribute("data-unconfirmed"); }
        }
        sessionStorage.removeItem(key.sent);
      } catch (e) { /* storage disabled: nothing kept */ }
      area.addEventListener("input", function () {
        try {
          if (area.value) { sessionStorage.setItem(key.draft, area.value); } else { sessionStorage.removeItem(key.draft); }
        } catch (e) { /* storage full or disabled: the box still holds the text */ }
      });
    });
  }
  keep(document);
  document.body.addEventListener("htmx:afterSwap", function (event) { keep(event.target); });
  // Before the socket's handler (registered later) takes the reply over: both ways are noted.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt, area = form.querySelector && form.querySelector("[data-reply-text]");
    if (!area || !form.matches("form.reply[data-contact]")) { return; }
    try { sessionStorage.setItem(keys(form).sent, area.value); } catch (e) { /* nothing noted */ }
  });
  // Answered, either way (window.helplineReplyDone): nothing is on its way any more.
  var done = window.helplineReplyDone;
  window.helplineReplyDone = function (form, failure) {
    try { sessionStorage.removeItem(keys(form).sent); } catch (e) { /* nothing noted */ }
    done(form, failure);
  };
})();

// Presence: while one choice is on its way, another click is dropped (hx-sync on the panel) and
// remembered; once the first is answered and drawn, the last one chosen is sent. Two requests in
// flight at once could reach the server in either order and leave the counsellor Available when
// they last chose Busy.
(function () {
  "use strict";
  var wanted = null;
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("#presence-panel form.presence button[name=state]") : null;
    if (button) { wanted = button.value; }
  }, true);
  var next = null;
  document.body.addEventListener("htmx:afterRequest", function (event) {
    // The form that asked: replaced by the answer, so the event reaches the body from an
    // ancestor still in the page, and detail.elt names that ancestor.
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!form || !form.matches || !form.matches("form.presence") || !wanted) { return; }
    next = event.detail.successful ? wanted : null;  // a failure says itself; no retry loop
    wanted = null;
  });
  // Sent once the new box is drawn and htmx has taken it in (htmx:load), not before: the form
  // would post without htmx and reload the page.
  document.body.addEventListener("htmx:load", function (event) {
    if (!next || event.target.id !== "presence-panel") { return; }
    var pressed = event.target.querySelector("button[aria-pressed=true]");
    var again = event.target.querySelector('form.presence button[name=state][value="' + next + '"]');
    next = null;
    if (again && !(pressed && pressed === again)) { again.click(); }
  });
})();

// The transfer control: a refusal (400, 409) comes back as the form with its errors, swapped in
// place like a success would be (htmx leaves error answers unswapped otherwise).
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.target;  // the element that asked (beforeSwap's detail names no elt)
    if (!form.matches || !form.matches("form.transfer")) { return; }
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 400 || status === 409) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
})();

// Live console: the server pushes a small event when a contact changes (a new message, a reply
// sent, a delivery report); the lists and the open thread refresh themselves. Reconnects.
(function () {
  "use strict";
  if (!document.getElementById("console-lists") || !window.WebSocket) { return; }
  var delay = 1000;
  // At most one refresh a second however busy the floor is: every console hears every event.
  // The event names every contact that changed meanwhile, so the open thread reloads only when
  // it is one of them (a long thread is not re-read for a message in another chat).
  var pending = null, last = 0, contacts = {};
  function changed(data) {
    if (data.contact) { contacts[data.contact] = true; }
    if (pending) { return; }
    var wait = Math.max(0, 1000 - (Date.now() - last));
    pending = setTimeout(function () {
      pending = null; last = Date.now();
      var detail = { contacts: Object.keys(contacts) };
      contacts = {};
      document.body.dispatchEvent(new CustomEvent("helpline:contact-changed", { detail: detail }));
      // The open thread is told only when it is one of them (decided here: an htmx trigger
      // filter would be code evaluated from an attribute, which the policy forbids).
      var thread = document.getElementById("thread-messages");
      var mine = thread && thread.getAttribute("data-contact");
      if (mine && (detail.contacts.indexOf(mine) >= 0 || detail.contacts.indexOf("*") >= 0)) {
        thread.dispatchEvent(new CustomEvent("helpline:thread-changed", { detail: detail }));
      }
    }, wait);
  }
  // Replies go over this socket while it is open (no page request per message); the form posts
  // as usual when it is not. The text stays in the box until the server confirms it was stored.
  // A socket can look open after the network has gone (a sleeping laptop, a dropped Wi-Fi): a
  // reply not confirmed in time closes it, so the notice shows and the form takes over.
  var CONFIRM_MS = 10000;
  var socket = null, pendingReplies = {}, replyTimers = {}, nextReply = 1;
  function settle(id, failure) {
    var form = pendingReplies[id];
    if (!form) { return; }
    delete pendingReplies[id];
    clearTimeout(replyTimers[id]);
    delete replyTimers[id];
    window.helplineReplyDone(form, failure);
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.reply[data-contact]")) { return; }
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    var text = form.querySelector("[name=text]").value;
    if (!text.trim()) { return; }  // the server's own answer explains an empty reply
    event.preventDefault();
    var id = String(nextReply++);
    pendingReplies[id] = form;
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var notice = form.querySelector("[data-reply-notice]");
    if (notice) { notice.textContent = ""; }
    var sentOn = socket;
    replyTimers[id] = setTimeout(function () { if (sentOn === socket) { dropped(sentOn); } }, CONFIRM_MS);
    socket.send(JSON.stringify({ type: "reply", id: id, contact: form.getAttribute("data-contact"), text: text }));
  });
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/staff/");
    socket.onopen = function () {
      delay = 1000;
      // Back after a drop: whatever changed meanwhile was not heard, so everything reloads.
      if (document.body.getAttribute("data-live") === "closed") { changed({ contact: "*" }); }
      document.body.setAttribute("data-live", "open");
    };
    socket.onmessage = function (event) {
      var data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      // Vetting lapsed, signed out elsewhere, or a new role: the page's own gate says what now.
      if (data.type === "access.ended") { window.location.reload(); return; }
      if (data.type === "reply.sent") { settle(data.id, ""); return; }
      if (data.type === "reply.refused") {
        // "error": the server failed midway, so the reply may or may not be stored.
        var form = pendingReplies[data.id], notice = form && form.querySelector("[data-reply-notice]");
        settle(data.id, data.reason === "error" && notice ? notice.getAttribute("data-unconfirmed") : (data.message || data.reason));
        return;
      }
      if (data.type === "console.event" && data.reason === "screen_pop" && data.contact) {
        // A call was just answered on this counsellor's phone: open its record at once.
        window.location.assign("/console/" + data.contact + "/");
        return;
      }
      if (data.type === "console.event" && data.reason === "transferred" && data.to_you) {
        // Said aloud and shown at once; the list, fetched next, names who and why.
        var notice = document.getElementById("live-notice");
        if (notice) { notice.textContent = notice.getAttribute("data-transferred"); notice.hidden = false; }
      }
      if (data.type === "console.event" && data.reason === "set_away") {
        // Offers ran out unanswered and routing set this counsellor Away: said at once, not
        // left for them to find in the presence buttons (the panel, fetched next, says when).
        var away = document.getElementById("live-notice");
        if (away) { away.textContent = away.getAttribute("data-set-away"); away.hidden = false; }
      }
      if (data.type === "console.event" && data.reason === "left" && data.contact) {
        // The child of the open chat left: its reply box gives way to the notice at once.
        var box = document.getElementById("reply-box");
        var open = document.getElementById("thread-messages");
        if (box && open && open.getAttribute("data-contact") === data.contact) {
          box.dispatchEvent(new CustomEvent("helpline:child-left"));
        }
      }
      if (data.type === "console.event" && data.urgent && data.message) {
        // Something that may not wait (feedback showing risk): its notice, in the reader's own
        // language from the server, stays on the page with a link until it is followed.
        // One line per item, the newest first: a second child's notice never hides the first's.
        // (The lists' panel keeps naming every such item until someone acknowledges it.)
        var urgent = document.getElementById("urgent-notice");
        var href = "/feedback/" + encodeURIComponent(data.id || "") + "/";
        if (urgent && data.kind === "feedback" && data.id && !urgent.querySelector('a[href="' + href + '"]')) {
          var line = document.createElement("span");
          line.className = "urgent-line";
          var link = document.createElement("a");
          link.href = href;
          link.textContent = data.message;
          line.appendChild(link);
          urgent.insertBefore(line, urgent.firstChild);
          urgent.hidden = false;
        }
      }
      if (data.type === "console.event") { changed(data); }
    };
    socket.onclose = function () { dropped(this); };
  }
  // The socket is gone, or counted as gone: a dead network can hold a close for a minute, so a
  // reply left unconfirmed does not wait for it. Its handlers are detached and a new one opened.
  function dropped(gone) {
    if (gone !== socket) { return; }
    gone.onopen = gone.onmessage = gone.onclose = null;
    if (gone.readyState === WebSocket.OPEN || gone.readyState === WebSocket.CONNECTING) { gone.close(); }
    socket = null;
    document.body.setAttribute("data-live", "closed");
    // A reply sent but not confirmed may or may not be stored: say so rather than send twice.
    Object.keys(pendingReplies).forEach(function (id) {
      var notice = pendingReplies[id].querySelector("[data-reply-notice]");
      settle(id, notice ? notice.getAttribute("data-unconfirmed") : "?");
    });
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  }
  connect();
})();

// SMS parts: GSM-7 fits 160 characters in one SMS (153 a part); anything else, Khmer included,
// is sent as UCS-2: 70 in one SMS, 67 a part. Mirrors helpline/channels/sms_parts.py.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";
  function parts(text) {
    var gsm = true, units = 0, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (BASIC.indexOf(ch) !== -1) { units += 1; } else if (EXTENDED.indexOf(ch) !== -1) { units += 2; } else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; }  // JS strings count UTF-16 code units, as UCS-2 does
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var n = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, parts: n };
  }
  window.helplineSmsParts = parts;
  function bind(root) {
    root.querySelectorAll("[data-reply-text]").forEach(function (area) {
      if (area.dataset.bound) { return; }
      area.dataset.bound = "1";
      var form = area.closest("form");
      var out = area.hasAttribute("data-sms-parts") && form.querySelector("[data-sms-count]");
      var update = function () {
        if (!out) { return; }  // a chat reply: no SMS to count
        var p = parts(area.value);
        out.textContent = out.getAttribute("data-template")
          .replace("{chars}", String(area.value.length)).replace("{parts}", String(p.parts)).replace("{encoding}", p.encoding);
      };
      area.addEventListener("input", update);
      update();
      var canned = form.querySelector("[data-canned]");
      if (canned) {
        canned.addEventListener("change", function () {
          // Told as typing is (the count, the tab's copy of the reply).
          if (canned.value) { area.value = area.value ? area.value + " " + canned.value : canned.value; area.dispatchEvent(new Event("input")); area.focus(); }
          canned.value = "";
        });
      }
    });
  }
  bind(document);
  document.body.addEventListener("htmx:afterSwap", function (event) { bind(event.target); });
})();
