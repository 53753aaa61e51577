/* The street map: grid polygons and buildings from /api/areas/ drawn with Leaflet.
 * No tile server unless the page sets data-tile-url (settings.MAP_TILE_URL). When everything is drawn, #map gets
 * data-loaded="1" and data-grids="<number of grid features>" (browser tests wait for that). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var label = el.dataset;
  var info = document.getElementById("map-info");
  var map = L.map(el).setView([35.0, 105.0], 4);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function popup(lines, link) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;
      box.appendChild(p);
    });
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = label.labelOpen;
      box.appendChild(a);
    }
    return box;
  }

  function showGrid(props) {
    info.textContent = label.labelGrid + ": " + props.name + " · " + label.labelCode + ": " + props.code;
    info.dataset.code = props.code;
  }

  function drawGrids(data) {
    return L.geoJSON(data, {
      style: { color: "#b3261e", weight: 2, fillColor: "#b3261e", fillOpacity: 0.08 },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        layer.bindPopup(popup([p.name, label.labelCode + ": " + p.code, label.labelCommunity + ": " + p.community_name]));
        layer.on("click", function () { showGrid(p); });
      }
    }).addTo(map);
  }

  function drawBuildings(data) {
    var byCode = {};
    var layer = L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 5, color: "#0b57d0", weight: 1, fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties;
        marker.bindPopup(popup(
          [p.estate + " " + p.number, label.labelCode + ": " + p.code, label.labelFloors + ": " + p.floors],
          label.buildingUrl.replace("__code__", encodeURIComponent(p.code))
        ));
        byCode[p.code] = marker;
      }
    }).addTo(map);
    return { layer: layer, byCode: byCode };
  }

  Promise.all([getJSON(label.gridsUrl), getJSON(label.buildingsUrl)]).then(function (results) {
    var grids = drawGrids(results[0]);
    var buildings = drawBuildings(results[1]);
    var bounds = grids.getBounds();
    if (!bounds.isValid()) { bounds = buildings.layer.getBounds(); }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 }); }
    var wanted = buildings.byCode[decodeURIComponent(window.location.hash.slice(1))];
    if (wanted) { map.setView(wanted.getLatLng(), 18); wanted.openPopup(); }
    el.dataset.grids = String(results[0].features.length);
    el.dataset.buildings = String(results[1].features.length);
    el.dataset.loaded = "1";
  }).catch(function (err) {
    el.dataset.loaded = "error";
    info.textContent = label.labelError;
    if (window.console) { window.console.error(err); }
  });
}());
