// The announcement form's Preview: the body rendered on the server through the public page's
// own Markdown and nh3 path (information.text.render), shown under the text box. A static file,
// as the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setUp(textarea) {
    var form = textarea.form;
    if (!form || textarea.dataset.previewReady) {
      return;
    }
    textarea.dataset.previewReady = "1";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button announcement-preview-button";
    button.textContent = textarea.dataset.previewLabel;
    var panel = document.createElement("section");
    panel.className = "announcement-preview";
    panel.hidden = true;
    panel.setAttribute("aria-live", "polite");
    var heading = document.createElement("h3");
    heading.textContent = textarea.dataset.previewTitle;
    var body = document.createElement("div");
    body.className = "announcement-preview-body";
    panel.appendChild(heading);
    panel.appendChild(body);
    // After the label-and-box row, so the button sits under the text, not beside it.
    var anchor = textarea.closest(".flex-container") || textarea;
    anchor.insertAdjacentElement("afterend", panel);
    anchor.insertAdjacentElement("afterend", button);

    button.addEventListener("click", function () {
      var data = new FormData();
      data.append("body", textarea.value);
      var format = form.querySelector("[name=body_format]");
      data.append("body_format", format ? format.value : "markdown");
      button.disabled = true;
      fetch(textarea.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form) },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (result) {
          // The server's sanitised fragment (nh3), the same HTML the public page shows.
          body.innerHTML = result.html || "";
          if (!result.html) {
            body.textContent = textarea.dataset.previewEmpty;
          }
        })
        .catch(function () {
          body.textContent = textarea.dataset.previewFailed;
        })
        .then(function () {
          panel.hidden = false;
          button.disabled = false;
        });
    });
  }

  function start() {
    document.querySelectorAll("textarea[data-preview-url]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
