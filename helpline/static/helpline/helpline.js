// "Back" links: the page before, as the browser's back button (no inline script: the policy
// allows none); the link's own address when there is no page before.
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("[data-history-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

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
