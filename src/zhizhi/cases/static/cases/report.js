/* The report page: quick category chips, a Leaflet map of the street's grids where a tap places the pin
 * (WGS84, as browsers' geolocation gives it), and a look-up of open cases of the same category nearby that
 * the resident can follow instead of reporting again. No tile server unless data-tile-url is set. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var select = document.getElementById("category");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var info = document.getElementById("pin-info");
  var nearbyBox = document.getElementById("nearby");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  Array.prototype.forEach.call(document.querySelectorAll("#quick-categories button"), function (chip) {
    chip.addEventListener("click", function () {
      select.value = chip.dataset.code;
      Array.prototype.forEach.call(chip.parentNode.children, function (c) { c.classList.toggle("on", c === chip); });
      lookNearby();
    });
  });
  select.addEventListener("change", lookNearby);

  function showNearby(items) {
    nearbyBox.textContent = "";
    if (!items.length) { nearbyBox.hidden = true; return; }
    var title = document.createElement("strong");
    title.textContent = form.dataset.labelNearby;
    nearbyBox.appendChild(title);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.dataset.testid = "nearby-case";
      li.setAttribute("data-testid", "nearby-case");
      li.appendChild(document.createTextNode(item.number + " " + item.title + " · " + item.status_label + " "));
      var follow = document.createElement("form");
      follow.method = "post";
      follow.action = form.dataset.followUrl.replace("/0/", "/" + item.id + "/");
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = csrf;
      var button = document.createElement("button");
      button.type = "submit"; button.textContent = form.dataset.labelFollow;
      follow.appendChild(token); follow.appendChild(button);
      li.appendChild(follow);
      list.appendChild(li);
    });
    nearbyBox.appendChild(list);
    nearbyBox.hidden = false;
  }

  function lookNearby() {
    if (!select.value || !lat.value || !lon.value) { return; }
    var url = form.dataset.nearbyUrl + "?category=" + encodeURIComponent(select.value) +
      "&lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(showNearby)
      .catch(function () { nearbyBox.hidden = true; });
  }

  var el = document.getElementById("pinmap");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el).setView([30.27, 120.17], 14);
  window.zhizhiPinMap = map; // for browser tests and the console
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var grids = JSON.parse(document.getElementById("grid-map").textContent);
  var layer = L.geoJSON(grids, { style: { color: "#b3261e", weight: 1, fillOpacity: 0.05 } }).addTo(map);
  if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
  var marker = null;

  function place(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    info.textContent = lat.value + ", " + lon.value;
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    el.dataset.pinned = "1";
    lookNearby();
  }
  if (lat.value && lon.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
  map.on("click", function (e) { place(e.latlng); });
  layer.on("click", function (e) { place(e.latlng); });
  el.dataset.loaded = "1";

  var locate = document.getElementById("locate-me");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        map.setView(here, 17);
        place(here);
      });
    });
  }
}());
