/* The register of vulnerable people on a Leaflet map: one circle per building from /api/welfare/casefiles/map
 * (same filters and scope as the list), sized by how many people live there and coloured by the highest risk
 * among them; the popup links to the list filtered to that building. Grid outlines from /api/areas/grids give
 * the place when there are no tiles (no tile server unless settings.MAP_TILE_URL is set).
 * When drawn, #register-map gets data-loaded="1" and data-points="<number of buildings drawn>". */
(function () {
  "use strict";
  var el = document.getElementById("register-map");
  if (!el || typeof L === "undefined") { return; }
  var label = el.dataset;
  var info = document.getElementById("register-map-info");
  var map = L.map(el).setView([35.0, 105.0], 4);
  if (label.tileUrl) { L.tileLayer(label.tileUrl, { maxZoom: 19 }).addTo(map); }
  var box = el.closest("details");
  if (box) { box.addEventListener("toggle", function () { if (box.open) { map.invalidateSize(); } }); }
  var COLOURS = { high: "#b3261e", medium: "#e37400", low: "#188038" };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name;
    box.appendChild(title);
    var counts = document.createElement("div");
    counts.textContent = p.people + " " + label.labelPeople + " · " + label.labelHigh + " " + p.high + " · " +
      label.labelMedium + " " + p.medium + " · " + label.labelLow + " " + p.low;
    box.appendChild(counts);
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = label.labelList;
    a.setAttribute("data-testid", "map-list-link");
    box.appendChild(a);
    return box;
  }

  function level(p) { return p.high ? "high" : p.medium ? "medium" : "low"; }

  var grids = getJSON(label.gridsUrl).then(function (data) {
    return L.geoJSON(data, { style: { color: "#666", weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(map);
  }).catch(function () { return null; });  // context only: the people still show without it

  Promise.all([getJSON(label.url), grids]).then(function (results) {
    var data = results[0];
    var layer = L.featureGroup();
    data.points.forEach(function (p) {
      var colour = COLOURS[level(p)];
      L.circleMarker([p.lat, p.lon], {
        radius: Math.min(24, 5 + 3 * Math.sqrt(p.people)), color: colour, weight: 1, fillColor: colour, fillOpacity: 0.6
      }).bindPopup(popup(p)).bindTooltip(p.name + " · " + p.people).addTo(layer);
    });
    layer.addTo(map);
    var bounds = layer.getBounds();
    if (!bounds.isValid() && results[1]) { bounds = results[1].getBounds(); }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 }); }
    var parts = [fill(label.labelSummary, { people: data.shown_people, buildings: data.points.length })];
    if (data.unlocated) { parts.push(fill(label.labelUnlocated, { n: data.unlocated })); }
    if (data.capped) { parts.push(fill(label.labelCapped, { n: data.points.length })); }
    info.textContent = "· " + parts.join(" · ");
    el.dataset.points = String(data.points.length);
    el.dataset.loaded = "1";
  }).catch(function (err) {
    el.dataset.loaded = "error";
    info.textContent = "· " + label.labelError;
    if (window.console) { window.console.error(err); }
  });
}());
