// The workflow editor's one interactive need: when the step type or the trigger kind changes, the
// inputs that belong to it must appear. The form is posted ("Update form") and rendered back from its
// YAML by the server, so the form and the YAML view never disagree. No inline script (CSP).
(function () {
  "use strict";
  var refresh = document.getElementById("refresh");
  document.querySelectorAll("[data-refresh]").forEach(function (el) {
    el.addEventListener("change", function () {
      if (refresh) refresh.click();
      else if (el.form) el.form.requestSubmit();
    });
  });
  // Show only the simulation option that applies to the chosen mode.
  var mode = document.getElementById("SimulateMode");
  function simOptions() {
    if (!mode) return;
    var show = { generated: "SimulateCount", person: "SimulatePerson", filter: "SimulateFilter" };
    Object.keys(show).forEach(function (k) {
      var input = document.getElementById(show[k]);
      if (input) input.hidden = mode.value !== k;
    });
  }
  if (mode) { mode.addEventListener("change", simOptions); simOptions(); }
})();
