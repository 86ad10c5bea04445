// communityops: copying text for pasting into WeChat — the rules page's announcement and welcome text, the
// agent's script, a reminder's announcement. One helper for every page (loaded by the base layout):
// - a button with data-co-copy="#id" copies that element's text (a field's value) and says so for a moment
//   (data-copied: the word to show, "✓" without one);
// - scripts call window.coCopy(text) (a Promise) or click such a button (the workspace's C key does).
// No inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  // Without the async clipboard (plain HTTP on a LAN address is not a secure context): a selected textarea.
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
    return copied;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function acknowledge(button) {
    if (button.dataset.coCopyTimer) {
      clearTimeout(Number(button.dataset.coCopyTimer));
    } else {
      button.dataset.label = button.innerHTML;
    }
    button.textContent = button.dataset.copied || "✓";
    button.classList.add("btn-success");
    button.dataset.coCopyTimer = String(setTimeout(function () {
      button.innerHTML = button.dataset.label;
      button.classList.remove("btn-success");
      delete button.dataset.coCopyTimer;
    }, 1500));
  }

  function sourceText(source) {
    return source.value !== undefined ? source.value : source.textContent;
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
    copy(sourceText(source)).then(function () { acknowledge(button); });
  });

  window.coCopy = copy;
})();
