/* Characters left under every text box marked data-counter (its maxlength is the limit).
   Browsers cut a paste longer than maxlength without a word: this says so. The server
   checks the same limit and explains it when the script is not there. No markup of its own
   beyond one line per box; the page works the same without it. */
(function () {
  "use strict";
  var lang = (document.documentElement.lang || "").toLowerCase();
  var zh = lang.indexOf("zh") === 0;
  function fmt(n) {
    return n.toLocaleString(zh ? "zh-CN" : "en");
  }
  function text(used, max, cut) {
    if (cut) {
      return zh
        ? "粘贴的文字超过 " + fmt(max) + " 字，只保留了前 " + fmt(max) + " 字。"
        : "The pasted text was longer than " + fmt(max) + " characters; only the first " + fmt(max) + " were kept.";
    }
    return zh
      ? "已输入 " + fmt(used) + " / " + fmt(max) + " 字"
      : fmt(used) + " / " + fmt(max) + " characters";
  }
  function attach(box) {
    var max = parseInt(box.getAttribute("maxlength"), 10);
    if (!max) {
      return;
    }
    var line = document.createElement("p");
    line.className = "delib-counter";
    line.id = (box.id || "box") + "-counter";
    line.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", line);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + line.id);
    var cut = false;
    function update() {
      var used = box.value.length;
      line.textContent = text(used, max, cut);
      line.classList.toggle("delib-counter--full", cut || used >= max);
    }
    box.addEventListener("paste", function (event) {
      var pasted = (event.clipboardData || window.clipboardData).getData("text") || "";
      var kept = box.value.length - (box.selectionEnd - box.selectionStart);
      cut = kept + pasted.length > max;
      window.setTimeout(update, 0);
    });
    box.addEventListener("input", function (event) {
      if (event.inputType !== "insertFromPaste") {
        cut = false;
      }
      update();
    });
    update();
  }
  document.querySelectorAll("textarea[data-counter][maxlength]").forEach(attach);
})();
