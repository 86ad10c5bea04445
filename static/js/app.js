// communityops: small behaviours shared by every page. No inline scripts (a CSP can forbid them).
(function () {
  "use strict";

  // Money as people read it, for what the browser draws itself (chart axes, tooltips): the same text as
  // core.money.yuan on the server ('¥12,345.00', '−¥5,220.00', '+¥900' when signed, '¥0' with whole), which
  // tests/browser/test_money_text.py checks value by value. Rounds half up to the cent, as the server does.
  function yuan(value, options) {
    options = options || {};
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) {
      return "—";
    }
    var cents = Math.round(Math.abs(Number(value)) * 100 + 1e-6);
    var negative = Number(value) < 0 && cents > 0;
    var whole = Math.floor(cents / 100);
    var text = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    if (!(options.whole && cents % 100 === 0)) {
      text += "." + String(cents % 100).padStart(2, "0");
    }
    var sign = negative ? "\u2212" : (options.signed && cents > 0 ? "+" : "");
    return sign + "\u00a5" + text;
  }
  window.coYuan = yuan;

  // Every htmx request carries the CSRF token (read from the <meta> the base layout writes).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRFToken"] = meta.content;
    }
  });

  // A filter form that htmx drives drops empty fields from the pushed URL, so bookmarks stay short.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-co-filters]") : null;
    if (!form || event.detail.verb !== "get") {
      return;
    }
    var params = event.detail.parameters;
    var keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = params instanceof FormData ? params.getAll(key) : params[key];
      var empty = Array.isArray(value) ? value.every(function (v) { return v === ""; }) : value === "";
      if (empty) {
        if (params instanceof FormData) { params.delete(key); } else { delete params[key]; }
      }
    });
  });

  // "Clear filters": reset the form's fields and reload the results once.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-co-reset]") : null;
    if (!button) {
      return;
    }
    var form = button.closest("form");
    if (!form || !window.htmx) {
      return;
    }
    event.preventDefault();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = false; });
        if (!el.multiple && el.options.length) { el.options[0].selected = true; }
      } else if (el.type !== "submit" && el.type !== "button" && el.type !== "hidden") {
        el.value = "";
      }
    });
    htmx.trigger(form, "submit");
  });

  // A session that expired sends htmx requests to the login page: go there instead of swapping it into a table.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var meta = document.querySelector('meta[name="login-url"]');
    if (!xhr || !xhr.responseURL || !meta) {
      return;
    }
    if (new URL(xhr.responseURL).pathname === meta.content) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  // A failed htmx request (server error, network down) says so above the content instead of doing nothing.
  function showLoadError() {
    var container = document.querySelector(".page-body > .co-container");
    if (!container || container.querySelector("[data-co-load-error-alert]")) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-co-load-error-alert", "");
    alert.textContent = document.body.getAttribute("data-co-load-error") || "Error";
    container.insertBefore(alert, container.firstChild);
  }
  document.addEventListener("htmx:responseError", showLoadError);
  document.addEventListener("htmx:sendError", showLoadError);
})();
