// analytics: draw every ECharts chart on the page from the JSON the server rendered beside it
// (<script type="application/json" id="…">, referenced by data-chart on the chart's box). No inline script.
(function () {
  "use strict";
  var charts = [];

  function draw() {
    if (!window.echarts) {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      if (box.dataset.drawn) {
        return;
      }
      var source = document.getElementById(box.dataset.chart);
      if (!source) {
        return;
      }
      var chart = echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(source.textContent));
      box.dataset.drawn = "1";
      charts.push(chart);
    });
  }

  function resize() {
    charts.forEach(function (chart) { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", resize);
  // A chart in a tab that was hidden has no size until the tab is shown.
  document.addEventListener("shown.bs.tab", resize);
  if (document.readyState !== "loading") {
    draw();
  }
})();
