// The live campaign page's chart: orders (bars) and GMV (line) per 10 minutes, drawn with the vendored ECharts.
// The card is replaced by htmx every 30 s; the chart is drawn again from the new data-series.
(function () {
  function draw(root) {
    (root || document).querySelectorAll(".co-live-chart").forEach(function (el) {
      if (!window.echarts) return;
      var data = JSON.parse(el.dataset.series || "[]");
      var chart = echarts.getInstanceByDom(el) || echarts.init(el);
      // Money reads as everywhere else (core.money.yuan; window.coYuan is its copy in static/js/app.js).
      var yuan = window.coYuan || function (v) { return v; };
      chart.setOption({
        animation: false,
        grid: { left: 48, right: 64, top: 32, bottom: 28 },
        tooltip: { trigger: "axis" },
        legend: { data: [el.dataset.labelOrders, el.dataset.labelGmv], top: 0 },
        xAxis: { type: "category", data: data.map(function (d) { return d.at; }) },
        yAxis: [
          { type: "value", minInterval: 1 },
          { type: "value", position: "right", axisLabel: { formatter: function (v) { return yuan(v, { whole: true }); } } }
        ],
        series: [
          { name: el.dataset.labelOrders, type: "bar", data: data.map(function (d) { return d.orders; }), itemStyle: { color: "#206bc4" } },
          { name: el.dataset.labelGmv, type: "line", yAxisIndex: 1, smooth: false, tooltip: { valueFormatter: function (v) { return yuan(v); } }, data: data.map(function (d) { return d.gmv; }), itemStyle: { color: "#2fb344" } }
        ]
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(); });
  document.addEventListener("htmx:afterSettle", function () { draw(); });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".co-live-chart").forEach(function (el) { var c = window.echarts && echarts.getInstanceByDom(el); if (c) c.resize(); });
  });
})();
