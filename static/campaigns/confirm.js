// Forms that undo work ask first: <form data-co-confirm="question">. A plain form post, so the page reloads as
// after any other action; an external file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute ? form.getAttribute("data-co-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
