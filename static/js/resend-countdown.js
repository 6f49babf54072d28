// The "send a new code" button waits as long as the server says (data-wait, in seconds):
// it stays disabled and counts down, then comes back. The server's limit stays the truth:
// a click it refuses still answers with how long to wait.
(function () {
  "use strict";
  document.querySelectorAll("[data-resend-wait]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-resend-wait"), 10) || 0;
    var label = button.textContent;
    var template = button.getAttribute("data-wait-template") || "%(seconds)s";
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    function show() {
      if (left > 0) {
        button.disabled = true;
        button.textContent = label + " (" + template.replace("%(seconds)s", String(left)) + ")";
      } else {
        button.disabled = false;
        button.textContent = label;
        if (status) { status.textContent = ""; }
      }
    }
    show();
    if (left <= 0) { return; }
    var timer = window.setInterval(function () {
      left -= 1;
      show();
      if (left <= 0) { window.clearInterval(timer); }
    }, 1000);
  });
})();
