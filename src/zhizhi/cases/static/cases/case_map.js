/* The case page's small map: the case's grid (when it has a boundary) and a marker at the reported point. */
(function () {
  "use strict";
  var el = document.getElementById("casemap");
  if (!el || typeof L === "undefined") { return; }
  var here = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lon));
  var map = L.map(el).setView(here, 17);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var grid = document.getElementById("case-grid");
  var boundary = grid ? JSON.parse(grid.textContent) : null;
  if (boundary) {
    var layer = L.geoJSON(boundary, { style: { color: "#b3261e", weight: 1, fillOpacity: 0.05 } }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  }
  L.marker(here).addTo(map);
  el.dataset.loaded = "1";
}());
