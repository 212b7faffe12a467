// Parcours: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Suggestions: a text field with data-suggest="/communes?commune=" and a datalist (list="…")
  // gets the server's <option>s for what is typed (/communes?commune=lyo), 250 ms after the
  // last key. A newer request cancels an older one, so a slow answer never replaces the
  // suggestions of what was typed since.
  function suggest(field) {
    var list = document.getElementById(field.getAttribute("list"));
    if (!list || !window.fetch) { return; }
    var timer = 0, last = field.value, pending = null;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (field.value === last) { return; }
        last = field.value;
        if (pending) { pending.abort(); }
        pending = window.AbortController ? new AbortController() : null;
        fetch(field.getAttribute("data-suggest") + encodeURIComponent(field.value), { credentials: "same-origin", signal: pending && pending.signal })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (options) { list.innerHTML = options; })
          .catch(function () { /* the field works without suggestions */ });
      }, 250);
    });
  }

  // Progress: an element with data-poll="/url" has its content replaced by the server's
  // answer every 2 seconds, as long as the answer still holds an element marked data-polling
  // (a job under way); the final answer (the report) stops it. A failed request is tried again.
  function poll(box) {
    var url = box.getAttribute("data-poll");
    function next() {
      setTimeout(function () {
        fetch(url, { credentials: "same-origin", cache: "no-store" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            box.innerHTML = html;
            if (box.querySelector("[data-polling]")) { next(); }
          })
          .catch(next);
      }, 2000);
    }
    if (box.querySelector("[data-polling]")) { next(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary of a rejected form, so screen readers announce it first.
    var summary = document.getElementById("erreurs");
    if (summary) { summary.focus(); }
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest][list]"), suggest);
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
  });
})();
