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
