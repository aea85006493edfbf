/* havenwatch control room: the device form's map preview. No tiles (control rooms are air-gapped).
 * <div class="map" data-device-preview="PLACES_ID" data-geometry-input="ID" data-longitude-input="ID"
 *      data-latitude-input="ID" data-fov-input="ID"> draws, over the outlines in
 * <script type="application/json" id="PLACES_ID">[{name, geometry, level, port}]</script>, the position
 * (GeoJSON text, or longitude and latitude) and the field of view as they are typed. Clicking the map fills the
 * longitude and latitude when no GeoJSON text is given. The form works without this script. */
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var LEVELS = { 1: "#1f8a4c", 2: "#e0a100", 3: "#d32f2f" };
  var DEVICE = "#0b6fa4";

  function byId(id) { return id ? document.getElementById(id) : null; }

  function parse(text) {
    text = (text || "").trim();
    if (!text) return { empty: true };
    try { return { value: JSON.parse(text) }; } catch (e) { return { invalid: true }; }
  }

  function number(input) {
    if (!input || input.value.trim() === "") return null;
    var value = Number(input.value);
    return isFinite(value) ? value : null;
  }

  function setup(el) {
    var source = byId(el.getAttribute("data-device-preview"));
    var inputs = {
      geometry: byId(el.getAttribute("data-geometry-input")),
      lon: byId(el.getAttribute("data-longitude-input")),
      lat: byId(el.getAttribute("data-latitude-input")),
      fov: byId(el.getAttribute("data-fov-input"))
    };
    var status = el.closest(".card") ? el.closest(".card").querySelector("[data-preview-status]") : null;
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
    var context = L.latLngBounds([]);
    var places = [];
    try { places = JSON.parse(source ? source.textContent : "[]") || []; } catch (e) { places = []; }
    places.forEach(function (place) {
      if (!place.geometry) return;
      var colour = LEVELS[place.level] || "#6b7a89";
      try {
        var layer = L.geoJSON(place.geometry, {
          style: function () {
            return place.port
              ? { color: colour, weight: 2, dashArray: "8 6", fillOpacity: 0.04 }
              : { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.25 };
          }
        }).addTo(map);
        layer.bindTooltip(place.name, { sticky: true });
        context.extend(layer.getBounds());
      } catch (e) { /* an outline Leaflet cannot read is left out */ }
    });
    var preview = L.layerGroup().addTo(map);

    function say(key) {
      if (!status) return;
      status.textContent = key ? (status.getAttribute("data-" + key) || "") : "";
    }

    function draw(fit) {
      preview.clearLayers();
      var bounds = L.latLngBounds([]);
      var invalid = false;
      var shapes = [];
      var geometry = inputs.geometry ? parse(inputs.geometry.value) : { empty: true };
      if (geometry.invalid) invalid = true;
      else if (geometry.value) shapes.push({ value: geometry.value, fill: false });
      else {
        var lon = number(inputs.lon), lat = number(inputs.lat);
        if (lon !== null && lat !== null) shapes.push({ value: { type: "Point", coordinates: [lon, lat] }, fill: false });
      }
      var fov = inputs.fov ? parse(inputs.fov.value) : { empty: true };
      if (fov.invalid) invalid = true;
      else if (fov.value) shapes.unshift({ value: fov.value, fill: true });
      shapes.forEach(function (shape) {
        try {
          var layer = L.geoJSON(shape.value, {
            style: function () { return { color: DEVICE, weight: 3, fillColor: DEVICE, fillOpacity: shape.fill ? 0.2 : 0.6 }; },
            pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: 8, color: DEVICE, fillOpacity: 0.8 }); }
          });
          layer.addTo(preview);
          bounds.extend(layer.getBounds());
        } catch (e) { invalid = true; }
      });
      say(invalid ? "invalid" : (shapes.length ? "" : "empty"));
      if (!fit) return;
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 17 });
      else if (context.isValid()) map.fitBounds(context, { padding: [16, 16] });
      else map.setView([51.25, 4.35], 10);
    }

    var timer = null;
    Object.keys(inputs).forEach(function (key) {
      if (!inputs[key]) return;
      inputs[key].addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { draw(true); }, 300);
      });
    });

    map.on("click", function (event) {
      if (!inputs.lon || !inputs.lat) return;
      if (inputs.geometry && inputs.geometry.value.trim() !== "") return;
      inputs.lon.value = event.latlng.lng.toFixed(6);
      inputs.lat.value = event.latlng.lat.toFixed(6);
      draw(false);
    });

    draw(true);
  }

  document.querySelectorAll(".map[data-device-preview]").forEach(setup);
})();
