// Parcours: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary of a rejected form, so screen readers announce it first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("erreurs");
    if (summary) { summary.focus(); }
  });
})();
