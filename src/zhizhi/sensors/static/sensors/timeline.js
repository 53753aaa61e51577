// The alarm's door events as a chart: one row per device, each kind of event (open, close, …) with its own
// symbol, a little above or below the row so that an open and a close of the same moment are both seen; the
// alarm's own moments (quiet since, threshold, raised, resolved) as dashed lines across.
(function () {
  var el = document.getElementById("timeline");
  var read = function (id) {
    var node = document.getElementById(id);
    return JSON.parse((node && node.textContent) || "[]");
  };
  var data = read("timeline-data");
  var marks = read("timeline-marks");
  if (!el || typeof echarts === "undefined") { return; }
  var devices = Array.from(new Set(data.map(function (e) { return e.device; })));
  var kinds = Array.from(new Set(data.map(function (e) { return e.kind; })));
  var label = function (kind) {
    var first = data.find(function (e) { return e.kind === kind; });
    return (first && first.label) || kind;
  };
  var symbols = ["circle", "triangle", "diamond", "rect", "pin", "roundRect"];
  var series = kinds.map(function (kind, i) {
    return {
      name: label(kind), type: "scatter", symbolSize: 9,
      symbol: symbols[i % symbols.length],
      symbolOffset: [0, (i - (kinds.length - 1) / 2) * 7],
      data: data.filter(function (e) { return e.kind === kind; }).map(function (e) { return [e.t, e.device]; })
    };
  });
  var positions = ["insideStartTop", "insideEndTop", "insideEndBottom", "insideStartBottom"];
  if (marks.length) {
    if (!series.length) { series.push({ name: "", type: "scatter", data: [] }); }  // the lines need a series
    series[0].markLine = {
      symbol: "none", silent: true, lineStyle: { type: "dashed", color: "#c0392b" },
      label: { formatter: "{b}", fontSize: 11 },
      // each label at its own height along its line: the alarm's moments are often minutes apart
      data: marks.map(function (m, i) {
        return { name: m.label, xAxis: m.t, label: { position: positions[i % positions.length] } };
      })
    };
  }
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) { return p.value[0] + "<br>" + p.seriesName; } },
    legend: { data: kinds.map(label) },
    grid: { left: 8, right: 16, containLabel: true },  // room for the devices' names, however long
    xAxis: { type: "time" },
    yAxis: { type: "category", data: devices.length ? devices : [""] },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.loaded = "1";
})();
