// The agent's workspace, worked with the keyboard: 1–5 pick the outcome, D dials, C copies the script,
// Enter records and opens the next call (Ctrl+Enter from the notes). No inline script (the CSP forbids it).
(function () {
  "use strict";
  var root = document.getElementById("co-workspace");
  if (!root) {
    return;
  }
  var form = document.getElementById("co-outcome-form");
  var outcomes = form ? form.querySelectorAll('input[name="outcome"]') : [];
  var callbackField = document.getElementById("co-callback-field");
  var callbackInput = callbackField ? callbackField.querySelector("input") : null;
  var dial = document.getElementById("co-dial");
  // The copy button is the shared clipboard helper's (static/js/copy.js): C clicks it.
  var copyButton = document.getElementById("co-copy-script");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showCallback() {
    if (!callbackField) {
      return;
    }
    var chosen = form.querySelector('input[name="outcome"]:checked');
    var isCallback = chosen && chosen.value === "callback";
    callbackField.hidden = !isCallback && !(callbackInput && callbackInput.value);
  }

  function pick(index) {
    var input = outcomes[index];
    if (!input) {
      return;
    }
    input.checked = true;
    showCallback();
    if (input.value === "callback" && callbackInput) {
      // The presets first: a time is then one Enter away (the field itself stays a Tab away).
      var preset = callbackField.querySelector("[data-co-callback]");
      (preset || callbackInput).focus();
    } else {
      input.focus();
    }
  }

  // Every tap on the number is audited (who, whose number, when, on which task) before the phone dials.
  if (dial) {
    dial.addEventListener("click", function () {
      fetch(root.dataset.dialUrl, {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      });
    });
  }
  if (callbackField) {
    var presets = callbackField.querySelectorAll("[data-co-callback]");
    presets.forEach(function (button, index) {
      button.addEventListener("click", function () {
        callbackInput.value = button.dataset.coCallback;
        presets.forEach(function (other) { other.classList.toggle("btn-primary", other === button); });
        form.querySelector('button[value="next"]').focus();
      });
      button.addEventListener("keydown", function (event) {
        var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
        if (step) {
          event.preventDefault();
          presets[(index + step + presets.length) % presets.length].focus();
        }
      });
    });
  }
  if (form) {
    outcomes.forEach(function (input) { input.addEventListener("change", showCallback); });
    showCallback();
    var first = form.querySelector('input[name="outcome"]:checked') || outcomes[0];
    if (first && !document.querySelector(".invalid-feedback, .alert-danger")) {
      first.focus({ preventScroll: true });
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" &&
      target.type !== "radio" && target.type !== "checkbox"));
    if (event.key === "Enter" && form) {
      if (target && target.tagName === "TEXTAREA" && !(event.ctrlKey || event.metaKey)) {
        return;
      }
      if (target && target.tagName === "BUTTON") {
        return;
      }
      event.preventDefault();
      form.querySelector('button[value="next"]').click();
      return;
    }
    if (typing || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key >= "1" && event.key <= "9") {
      event.preventDefault();
      pick(Number(event.key) - 1);
    } else if (event.key === "d" || event.key === "D") {
      if (dial) { event.preventDefault(); dial.click(); }
    } else if (event.key === "c" || event.key === "C") {
      if (copyButton) { event.preventDefault(); copyButton.click(); }
    }
  });
  root.dataset.ready = "1";  // the keys work from here on (tests wait for it)
})();
