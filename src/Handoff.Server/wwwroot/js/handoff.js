// Handoff's only script: the page's charts, from data-* attributes (the CSP allows no inline script).
(function () {
  "use strict";
  var palette = ["#2456a6", "#1f7a4d", "#8a5a00", "#7b3fa0", "#b3261e", "#5d6878", "#0f7c8a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    if (typeof Chart === "undefined") return;
    var labels = JSON.parse(canvas.dataset.labels || "[]");
    var values = JSON.parse(canvas.dataset.values || "[]");
    new Chart(canvas, {
      type: canvas.dataset.chart,
      data: { labels: labels, datasets: [{ label: canvas.dataset.title || "", data: values, backgroundColor: palette }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: canvas.dataset.chart !== "bar" } } }
    });
  });
  // Buttons that ask first: <button data-confirm="…">.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (e) { if (!window.confirm(el.dataset.confirm)) e.preventDefault(); });
  });
})();
