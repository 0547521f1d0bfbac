// Handoff's only script: the page's charts, from data-* attributes (the CSP allows no inline script).
(function () {
  "use strict";
  var palette = ["#2456a6", "#1f7a4d", "#8a5a00", "#7b3fa0", "#b3261e", "#5d6878", "#0f7c8a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    if (typeof Chart === "undefined") return;
    // A stacked bar: data-series='[{"label":"…","values":[…]}, …]', one dataset per series.
    if (canvas.dataset.chart === "stacked") {
      var series = JSON.parse(canvas.dataset.series || "[]");
      var colors = JSON.parse(canvas.dataset.colors || "[]");
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: JSON.parse(canvas.dataset.labels || "[]"),
          datasets: series.map(function (s, i) { return { label: s.label, data: s.values, backgroundColor: colors[i] || palette[i % palette.length] }; })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: true, position: "bottom" } }
        }
      });
      return;
    }
    var labels = JSON.parse(canvas.dataset.labels || "[]");
    var values = JSON.parse(canvas.dataset.values || "[]");
    new Chart(canvas, {
      type: canvas.dataset.chart,
      data: { labels: labels, datasets: [{ label: canvas.dataset.title || "", data: values, backgroundColor: palette }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: canvas.dataset.chart !== "bar" } } }
    });
  });
  // A background job's page: refresh the progress bar from GET /api/jobs/{id} until the job ends,
  // then load the page again to show the result the server renders.
  var job = document.getElementById("job");
  if (job && job.dataset.jobUrl && job.dataset.jobFinal !== "true") {
    var bar = document.getElementById("job-progress");
    var count = document.getElementById("job-count");
    var status = document.getElementById("job-status");
    var message = document.getElementById("job-message");
    var poll = function () {
      fetch(job.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("job status " + r.status); return r.json(); })
        .then(function (j) {
          if (j.total) { bar.max = j.total; bar.value = j.done; }
          count.textContent = j.done + (j.total !== null && j.total !== undefined ? " of " + j.total : "");
          status.textContent = j.status;
          if (j.message) message.textContent = j.message;
          if (j.final) window.location.reload();
          else window.setTimeout(poll, 500);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 300);
  }
  // Buttons that ask first: <button data-confirm="…">.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) { if (!window.confirm(el.dataset.confirm)) e.preventDefault(); });
  });
})();
