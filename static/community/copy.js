// communityops: the copy buttons of the rules pages ("复制群公告"). A button with data-co-copy="#id" copies that
// element's text and says so for a moment. No inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-co-copy]") : null;
    if (!button) {
      return;
    }
    var source = document.querySelector(button.dataset.coCopy);
    if (!source) {
      return;
    }
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      button.dataset.label = button.dataset.label || button.innerHTML;
      button.textContent = button.dataset.copied || "✓";
      button.classList.add("btn-success");
      setTimeout(function () {
        button.innerHTML = button.dataset.label;
        button.classList.remove("btn-success");
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  });
})();
