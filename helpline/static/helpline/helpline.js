// "Back" links: the page before, as the browser's back button (no inline script: the policy
// allows none); the link's own address when there is no page before.
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("[data-history-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// The main menu's groups (<details class="nav-group">) open and close by themselves without script;
// with it, one is open at a time, and a click elsewhere or Escape closes it (Escape returns the
// keyboard to its button).
(function () {
  "use strict";
  var groups = document.querySelectorAll(".topbar .nav-group");
  if (!groups.length) { return; }
  function closeAll(except) {
    groups.forEach(function (group) { if (group !== except) { group.open = false; } });
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () { if (group.open) { closeAll(group); } });
  });
  document.addEventListener("click", function (event) {
    var inside = event.target instanceof Element ? event.target.closest(".nav-group") : null;
    closeAll(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    groups.forEach(function (group) {
      if (group.open) {
        group.open = false;
        group.querySelector("summary").focus();
      }
    });
  });
})();

// Idle sign-out on screen: after the idle time with no input, leave the page so that nothing a
// counsellor was looking at stays visible on an unattended screen. The server expires the session too.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var url = body.getAttribute("data-idle-url");
  if (!seconds || !url) { return; }
  var timer = null;
  function reset() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { window.location.replace(url); }, seconds * 1000);
  }
  ["keydown", "mousedown", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, reset, { passive: true });
  });
  reset();
})();

// A refused form's error summary (templates/_error_summary.html): the keyboard and a screen reader
// start there; its links move to the field itself (opening a folded part), in the middle of the
// screen so that no sticky bar covers it. The summary may name the form's own page for the address
// bar, so that Back or a reload later does not ask to send the refused form again.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }
  var url = summary.getAttribute("data-replace-url");
  if (url && window.history.replaceState) { window.history.replaceState(null, "", url); }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    for (var part = target.closest("details"); part; part = part.parentElement && part.parentElement.closest("details")) {
      part.open = true;
    }
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });
})();

// Date inputs: the browser draws them in its own language's order (mm/dd/yyyy in an English
// Chromium, even on a Khmer page: the lang attribute does not change it), so 12/07 could be read
// as 12 July. Beside each, the chosen date written out with the month's name, in the page's language.
(function () {
  "use strict";
  // English pages write dates day first elsewhere (07/12/2026), so here too: "7 December 2026".
  var lang = document.documentElement.lang === "en" ? "en-GB" : (document.documentElement.lang || "km");
  // Chromium's Intl has no Khmer month names: Django's own, as the rest of the page writes them.
  var KHMER_MONTHS = ["មករា", "កុម្ភៈ", "មិនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"];
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  } catch (e) { return; }
  function echo(input) {
    var out = input.nextElementSibling;
    if (!out || !out.classList.contains("date-echo")) {
      out = document.createElement("small");
      out.className = "date-echo muted";
      out.setAttribute("aria-hidden", "true");  // a screen reader reads the input's own value
      input.insertAdjacentElement("afterend", out);
    }
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
    if (!parts) { out.textContent = ""; return; }
    out.textContent = lang === "km"
      ? String(+parts[3]) + " " + KHMER_MONTHS[+parts[2] - 1] + " " + parts[1]
      : format.format(Date.UTC(+parts[1], +parts[2] - 1, +parts[3]));
  }
  document.querySelectorAll('input[type="date"]').forEach(echo);
  document.addEventListener("input", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.type === "date") { echo(event.target); }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    event.target.querySelectorAll('input[type="date"]').forEach(echo);
  });
})();

// A refused htmx form (4xx) comes back as the form with its messages, retargeted by the server
// (HX-Retarget): swap it like a success, as htmx leaves error answers unswapped otherwise.
document.body.addEventListener("htmx:beforeSwap", function (event) {
  "use strict";
  var xhr = event.detail.xhr;
  if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A part of a page sent with htmx and refused as too large (413): htmx swaps nothing for an error,
// so the button seemed to do nothing. The refusal is said under what was sent. The reply box says
// its own failures (console.js).
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt, xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 413 || !(elt instanceof Element) || elt.matches("form.reply")) { return; }
    var said = elt.nextElementSibling;
    if (!said || !said.hasAttribute("data-too-large-said")) {
      said = document.createElement("p");
      said.className = "bad";
      said.setAttribute("role", "alert");
      said.setAttribute("data-too-large-said", "");
      elt.insertAdjacentElement("afterend", said);
    }
    said.textContent = document.body.getAttribute("data-too-large") || "413";
  });
})();

// A form marked data-send-once is sent once however often its button is clicked: a second click
// would make a second answer replace the first (the new token's secret is shown only in the first).
// The server refuses the repeat too (a once-key), for browsers without this script.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-send-once")) { return; }
    if (form.hasAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "");
  });
  window.addEventListener("pageshow", function () {  // back to a page kept in the browser's cache
    document.querySelectorAll("form[data-sent]").forEach(function (f) { f.removeAttribute("data-sent"); });
  });
})();
