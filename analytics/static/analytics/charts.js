// analytics: draw every ECharts chart on the page from the JSON the server rendered beside it
// (<script type="application/json" id="…">, referenced by data-chart on the chart's box). No inline script.
(function () {
  "use strict";
  var charts = [];

  // The server marks money axes and series with "coMoney" (JSON carries no functions); here they get
  // window.coYuan, the browser's copy of core.money.yuan, so axes and tooltips read '¥5,000' and '−¥8,005.44'.
  function asList(value) {
    return value ? (Array.isArray(value) ? value : [value]) : [];
  }

  function moneyText(option) {
    var yuan = window.coYuan;
    if (!yuan) {
      return option;
    }
    asList(option.xAxis).concat(asList(option.yAxis)).forEach(function (axis) {
      if (axis.coMoney) {
        axis.axisLabel = Object.assign({}, axis.axisLabel, {
          formatter: function (value) { return yuan(value, { whole: true }); }
        });
      }
    });
    asList(option.series).forEach(function (series) {
      if (series.coMoney) {
        series.tooltip = Object.assign({}, series.tooltip, {
          valueFormatter: function (value) { return yuan(value); }
        });
      }
    });
    return option;
  }

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
      chart.setOption(moneyText(JSON.parse(source.textContent)));
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
