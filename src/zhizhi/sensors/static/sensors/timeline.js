// The alarm's door events as a chart: one row per device, opens and closes as points over time.
(function () {
  var el = document.getElementById("timeline");
  var data = JSON.parse(document.getElementById("timeline-data").textContent || "[]");
  if (!el || typeof echarts === "undefined") { return; }
  var devices = Array.from(new Set(data.map(function (e) { return e.device; })));
  var kinds = Array.from(new Set(data.map(function (e) { return e.kind; })));
  var label = function (kind) {
    var first = data.find(function (e) { return e.kind === kind; });
    return (first && first.label) || kind;
  };
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) { return p.value[0] + "<br>" + p.seriesName; } },
    legend: { data: kinds.map(label) },
    grid: { left: 8, right: 16, containLabel: true },  // room for the devices' names, however long
    xAxis: { type: "time" },
    yAxis: { type: "category", data: devices },
    series: kinds.map(function (kind) {
      return {
        name: label(kind), type: "scatter", symbolSize: 9,
        data: data.filter(function (e) { return e.kind === kind; }).map(function (e) { return [e.t, e.device]; })
      };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.loaded = "1";
})();
