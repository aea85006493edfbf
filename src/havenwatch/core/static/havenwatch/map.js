/* havenwatch: port and facility maps drawn from GeoJSON, with no tile server (control rooms are air-gapped).
 * Each <div class="map" data-map-source="ID"> reads <script type="application/json" id="ID">
 * {"port": {name, level, geometry, url}, "facilities": [{name, level, geometry, url}]}. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var COLOURS = { 1: "#1f8a4c", 2: "#e0a100", 3: "#d32f2f" };

  function colour(level) { return COLOURS[level] || "#6b7a89"; }

  function layerFor(item, isPort) {
    return L.geoJSON(item.geometry, {
      style: function () {
        return isPort
          ? { color: colour(item.level), weight: 3, dashArray: "8 6", fillColor: colour(item.level), fillOpacity: 0.06 }
          : { color: colour(item.level), weight: 2, fillColor: colour(item.level), fillOpacity: 0.45 };
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: colour(item.level), fillOpacity: 0.8 });
      }
    });
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-map-source"));
    if (!source) return;
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
    var bounds = L.latLngBounds([]);
    var add = function (item, isPort) {
      if (!item || !item.geometry) return;
      var layer = layerFor(item, isPort).addTo(map);
      layer.bindTooltip(item.name + " · " + (item.label || item.level), { sticky: true });
      if (item.url) {
        layer.on("click", function () { window.location.href = item.url; });
      }
      bounds.extend(layer.getBounds());
    };
    add(data.port, true);
    (data.facilities || []).forEach(function (f) { add(f, false); });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
    } else {
      map.setView([51.25, 4.35], 10);
      el.classList.add("map-empty");
    }
  }

  document.querySelectorAll(".map[data-map-source]").forEach(draw);
})();
