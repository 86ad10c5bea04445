// communityops: small behaviours shared by every page. No inline scripts (a CSP can forbid them).
(function () {
  "use strict";

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
})();
