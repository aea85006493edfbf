/* The optional "point" of a report: a place picked on a Leaflet map, sent as the hidden
   input point = "lat,lon". Without JavaScript the map stays hidden and the field absent:
   "where" is then the reporter's own words. No tiles are loaded (nothing external): the
   map shows the outlines of the channel's ports, from <script type="application/json">. */
(function () {
  'use strict';
  if (typeof L === 'undefined') return;

  function ports(id) {
    var source = id && document.getElementById(id);
    if (!source) return [];
    try { return JSON.parse(source.textContent) || []; } catch (e) { return []; }
  }

  function setUp(picker) {
    var form = picker.closest('form');
    if (!form) return;
    var input = form.querySelector('input[name="point"]');
    if (!input) {
      input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'point';
      input.value = '';
      picker.parentNode.insertBefore(input, picker);
    }
    var status = picker.querySelector('[data-place-status]');
    var mapEl = picker.querySelector('.report-map');
    picker.hidden = false;

    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
    var bounds = L.latLngBounds([]);
    ports(picker.getAttribute('data-place-ports')).forEach(function (port) {
      try {
        var layer = L.geoJSON(port.boundary, {
          style: function () { return { color: '#0b6fa4', weight: 2, dashArray: '6 4', fillOpacity: 0.05 }; },
          interactive: false
        }).addTo(map);
        layer.bindTooltip(port.name);
        bounds.extend(layer.getBounds());
      } catch (e) { /* a boundary Leaflet cannot draw: the map works without it */ }
    });

    var marker = null;
    var clear = document.createElement('button');
    clear.type = 'button';
    clear.className = 'button small';
    clear.textContent = picker.getAttribute('data-clear-text') || 'Remove';
    clear.hidden = true;
    picker.appendChild(clear);

    function say() {
      if (status) status.textContent = picker.getAttribute(marker ? 'data-picked-text' : 'data-pick-text') || '';
      clear.hidden = !marker;
    }

    function place(latlng) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, { radius: 9, color: '#b3261e', weight: 3, fillOpacity: 0.6 }).addTo(map);
      input.value = latlng.lat.toFixed(6) + ',' + latlng.lng.toFixed(6);
      say();
    }

    map.on('click', function (event) { place(event.latlng); });
    clear.addEventListener('click', function () {
      if (marker) map.removeLayer(marker);
      marker = null;
      input.value = '';
      say();
    });

    var start = input.value.split(',');
    var lat = parseFloat(start[0]), lon = parseFloat(start[1]);
    if (start.length === 2 && isFinite(lat) && isFinite(lon)) {
      place(L.latLng(lat, lon));
      map.setView([lat, lon], 15);
    } else if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12] });
    } else {
      map.setView([51.25, 4.35], 10);
    }
    say();
  }

  document.querySelectorAll('[data-place-picker]').forEach(setUp);
})();
