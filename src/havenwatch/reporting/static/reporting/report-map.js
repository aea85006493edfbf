/* havenwatch reporting: the place a reporter picked, on a small map of the report's page.
 * No tile server (the platform loads nothing remote): the port's boundary is drawn dashed when it is
 * known, and the point as a red dot over it, as the control room's maps do.
 * <div class="map" data-report-map="ID"> reads <script type="application/json" id="ID">
 * {"point": [lat, lon], "outline": GeoJSON geometry or null, "port": name}. No inline script (CSP). */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var POINT = "#d32f2f";
  var OUTLINE = "#0b6fa4";

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-report-map"));
    if (!source) return;
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    if (!data || !data.point || data.point.length !== 2) return;
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
    var latlng = L.latLng(data.point[0], data.point[1]);
    var bounds = L.latLngBounds([latlng, latlng]);
    var outline = null;
    if (data.outline) {
      try {
        outline = L.geoJSON(data.outline, {
          style: function () { return { color: OUTLINE, weight: 2, dashArray: "8 6", fillOpacity: 0.04 }; }
        });
        if (data.port) outline.bindTooltip(data.port, { sticky: true });
        bounds.extend(outline.getBounds());
      } catch (e) { outline = null; /* an outline Leaflet cannot read is left out */ }
    }
    // The view first: a circle in metres is placed by the map's projection.
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.setView(latlng, 14);
    } else {
      map.fitBounds(bounds.pad(0.2), { maxZoom: 15 });
    }
    if (outline) outline.addTo(map);
    // A ring around the point (some 250 m), so the place reads even without an outline to see it in.
    L.circle(latlng, { radius: 250, color: POINT, weight: 1, fill: false, dashArray: "3 4" }).addTo(map);
    var dot = L.circleMarker(latlng, { radius: 8, color: POINT, weight: 2, fillColor: POINT, fillOpacity: 0.85 });
    dot.addTo(map);
    var element = dot.getElement && dot.getElement();
    if (element) element.setAttribute("data-testid", "report-map-point");
    el.setAttribute("data-drawn", "1");
  }

  document.querySelectorAll(".map[data-report-map]").forEach(draw);
})();
