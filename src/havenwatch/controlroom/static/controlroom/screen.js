/* havenwatch control room: the operator's screen and the wall screen.
 *
 * The map: havenwatch/map.js draws the port's boundary and the facilities (from the JSON named by
 * data-map-source); this script takes that same Leaflet map (an init hook, registered before map.js
 * runs) and draws on it the devices (fences as lines, cameras with their fields of view, silent ones
 * grey) and the open alarms (coloured by priority, blinking while new). Its data is the JSON named by
 * data-map-data, then what data-map-url answers.
 *
 * Live: like havenwatch/live.js it follows /api/v1/stream (server-sent events); on an alarm event
 * (controlroom.alarm.*) it fetches the map's data and the queue again, and the open panel when it
 * is that alarm's and holds nothing typed. A poll every 30 s is the safety net (and ages the queue).
 *
 * No inline script: the CSP forbids them. Every word shown comes from the server, translated. */
(function () {
  "use strict";

  var COLOURS = { 1: "#d32f2f", 2: "#f2b200", 3: "#0b6fa4", 4: "#5f7d95", 5: "#9aa6b2" };
  var LEVELS = { 1: "#1f8a4c", 2: "#e0a100", 3: "#d32f2f" };  // as map.js colours security levels
  var DEVICE = "#16324a";
  var SILENT = "#9aa6b2";
  var FOV = "#0b6fa4";
  var POLL_MS = 30000;
  var DEBOUNCE_MS = 120;

  var captured = null;
  if (typeof L !== "undefined" && L.Map && L.Map.addInitHook) {
    L.Map.addInitHook(function () {
      var container = this.getContainer && this.getContainer();
      if (container && container.id === "screen-map") captured = this;
    });
  }

  function readJson(id) {
    var el = id && document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function start() {
    var root = document.querySelector("[data-mode='screen'], [data-mode='wall']");
    var mapEl = document.getElementById("screen-map");
    if (!root || !mapEl) return;
    var mode = root.getAttribute("data-mode");
    var mapUrl = mapEl.getAttribute("data-map-url");
    var queueUrl = root.getAttribute("data-queue-url");
    var selected = null;
    var knownAlarms = null;

    // --- the map ------------------------------------------------------------------------------
    var map = captured;
    if (!map && typeof L !== "undefined") {
      map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
      map.setView([51.25, 4.35], 10);
      mapEl.classList.add("map-empty");
    }
    var outlineless = mapEl.classList.contains("map-empty");
    var portLayer = map ? L.layerGroup().addTo(map) : null;
    var deviceLayer = map ? L.layerGroup().addTo(map) : null;
    var alarmLayer = map ? L.layerGroup().addTo(map) : null;
    if (map) map.scrollWheelZoom.enable();
    var fitted = false;

    function deviceStyle(feature) {
      var p = feature.properties || {};
      var silent = !!p.silent;
      if (p.layer === "field_of_view") {
        return { color: silent ? SILENT : FOV, weight: 1, opacity: 0.7, fillColor: silent ? SILENT : FOV,
                 fillOpacity: 0.12, className: "device-fov" + (silent ? " silent" : "") };
      }
      return { color: silent ? SILENT : DEVICE, weight: p.shape === "fence" ? 4 : 2,
               dashArray: silent ? "5 6" : null, opacity: 0.9,
               className: "device device-" + p.shape + (silent ? " silent" : "") };
    }

    function drawPorts(ports) {
      if (!portLayer) return;
      portLayer.clearLayers();
      (ports || []).forEach(function (port) {
        if (!port.geometry) return;
        L.geoJSON(port.geometry, {
          style: function () {
            return { color: LEVELS[port.level] || "#6b7a89", weight: 3, dashArray: "8 6", fillOpacity: 0.04 };
          }
        }).bindTooltip(port.name + " · " + (port.label || port.level), { sticky: true }).addTo(portLayer);
      });
    }

    function drawDevices(collection) {
      if (!deviceLayer) return;
      deviceLayer.clearLayers();
      var features = ((collection && collection.features) || []).slice();
      // fields of view under the devices
      features.sort(function (a, b) {
        return (a.properties.layer === "field_of_view" ? 0 : 1) - (b.properties.layer === "field_of_view" ? 0 : 1);
      });
      L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: deviceStyle,
        pointToLayer: function (feature, latlng) {
          var style = deviceStyle(feature);
          style.radius = 5;
          style.fillColor = style.color;
          style.fillOpacity = 0.9;
          return L.circleMarker(latlng, style);
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          if (p.layer === "field_of_view") return;
          layer.bindTooltip(p.label + " · " + p.kind_label + (p.status ? " · " + p.status : ""), { sticky: true });
          layer.on("add", function () {
            var el = layer.getElement && layer.getElement();
            if (el) {
              el.setAttribute("data-device", String(p.id));
              el.setAttribute("data-testid", "map-device");
              if (p.silent) el.setAttribute("data-silent", "1");
            }
          });
        }
      }).addTo(deviceLayer);
    }

    function drawAlarms(collection) {
      if (!alarmLayer) return;
      alarmLayer.clearLayers();
      var features = ((collection && collection.features) || []).slice();
      features.sort(function (a, b) { return b.properties.priority - a.properties.priority; }); // P1 on top
      features.forEach(function (feature) {
        var p = feature.properties;
        var c = feature.geometry && feature.geometry.coordinates;
        if (!c || c.length < 2) return;
        var marker = L.circleMarker([c[1], c[0]], {
          radius: 12 - Math.min(Math.max(p.priority, 1), 5), color: "#ffffff", weight: 2,
          fillColor: COLOURS[p.priority] || COLOURS[5], fillOpacity: 1,
          className: "alarm-marker alarm-p" + p.priority + (p.state === "new" ? " alarm-new" : "")
        });
        marker.bindTooltip(p.label + " · " + p.state_label, { sticky: true });
        marker.on("add", function () {
          var el = marker.getElement && marker.getElement();
          if (el) {
            el.setAttribute("data-alarm", String(p.id));
            el.setAttribute("data-testid", "map-alarm");
            el.setAttribute("data-state", p.state);
          }
        });
        marker.on("click", function () { openAlarm(p); });
        marker.addTo(alarmLayer);
      });
    }

    function fit() {
      if (!map || fitted || !outlineless) return;
      var bounds = L.latLngBounds([]);
      [portLayer, deviceLayer, alarmLayer].forEach(function (group) {
        group.eachLayer(function (layer) {
          if (layer.getBounds) bounds.extend(layer.getBounds());
          else if (layer.getLatLng) bounds.extend(layer.getLatLng());
        });
      });
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [32, 32], maxZoom: 17 });
        fitted = true;
      }
    }

    function updateCounts(counts) {
      if (!counts) return;
      document.querySelectorAll("[data-count]").forEach(function (el) {
        var value = counts;
        el.getAttribute("data-count").split(".").forEach(function (key) { value = value == null ? null : value[key]; });
        if (value == null) return;
        el.textContent = String(value);
        var tile = el.closest(".wall-count");
        if (tile && !tile.classList.contains("wall-total")) tile.classList.toggle("has-alarms", Number(value) > 0);
      });
    }

    function drawAll(data) {
      if (!data) return;
      drawPorts(data.ports);
      drawDevices(data.devices);
      drawAlarms(data.alarms);
      updateCounts(data.counts);
      fit();
    }

    // --- the queue and the panel (the screen only) -----------------------------------------------
    function panel() { return document.getElementById("alarm-panel"); }

    function markSelected() {
      document.querySelectorAll("#alarm-queue .queue-row").forEach(function (row) {
        row.classList.toggle("selected", row.getAttribute("data-alarm") === selected);
      });
    }

    function queueIds() {
      var ids = {};
      document.querySelectorAll("#alarm-queue .queue-row").forEach(function (row) {
        ids[row.getAttribute("data-alarm")] = true;
      });
      return ids;
    }

    function loadPanel(url) {
      var target = panel();
      if (!target || !url) return;
      if (window.htmx) {
        window.htmx.ajax("GET", url, { target: "#alarm-panel", swap: "outerHTML" });
      } else {
        window.location.href = url.replace(/panel\/$/, "");
      }
    }

    function openAlarm(p) {
      if (mode !== "screen" || !panel()) {
        window.location.href = p.url;
        return;
      }
      selected = String(p.id);
      markSelected();
      loadPanel(p.panel_url);
    }

    // The operator is not busy in the panel: no request under way, nothing typed, no field in use.
    function panelIsQuiet() {
      var el = panel();
      if (!el || el.classList.contains("htmx-request") || el.querySelector(".htmx-request")) return false;
      var typed = false;
      el.querySelectorAll("textarea, input[type='text']").forEach(function (field) {
        if (field.value.trim()) typed = true;
      });
      if (typed) return false;
      return !(document.activeElement && el.contains(document.activeElement) &&
               /^(TEXTAREA|INPUT)$/.test(document.activeElement.tagName));
    }

    if (mode === "screen") {
      knownAlarms = queueIds();
      var first = panel();
      if (first && first.getAttribute("data-alarm")) selected = first.getAttribute("data-alarm");
      document.addEventListener("click", function (event) {
        var link = event.target.closest ? event.target.closest("#alarm-queue .queue-open") : null;
        if (!link) return;
        var row = link.closest(".queue-row");
        if (row) {
          selected = row.getAttribute("data-alarm");
          markSelected();
        }
      });
      document.body.addEventListener("htmx:afterSettle", function (event) {
        var el = panel();
        if (!el || !(event.target === el || el.contains(event.target))) return;
        if (el.getAttribute("data-alarm")) {
          selected = el.getAttribute("data-alarm");
          markSelected();
        }
        if (el.hasAttribute("data-changed")) {
          el.removeAttribute("data-changed");
          refresh();
        }
      });
    }

    // --- fetching again -------------------------------------------------------------------------
    var timer = null;
    var running = false;
    var again = false;

    function get(url, kind) {
      return fetch(url, { credentials: "same-origin", headers: { "Accept": kind, "HX-Request": "true" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return kind === "application/json" ? response.json() : response.text();
        });
    }

    function swapQueue(html) {
      var old = document.getElementById("alarm-queue");
      if (!old) return;
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#alarm-queue");
      if (!fresh) return;
      var before = knownAlarms || {};
      fresh.querySelectorAll(".queue-row").forEach(function (row) {
        if (!before[row.getAttribute("data-alarm")]) row.classList.add("fresh");
      });
      old.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      knownAlarms = queueIds();
      markSelected();
    }

    function run() {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      var jobs = [get(mapUrl, "application/json").then(drawAll)];
      if (mode === "screen" && queueUrl) {
        var url = queueUrl + (selected ? "?selected=" + encodeURIComponent(selected) : "");
        jobs.push(get(url, "text/html").then(swapQueue));
      }
      Promise.all(jobs).catch(function () { /* the next event or the poll tries again */ }).then(function () {
        running = false;
        if (again) { again = false; refresh(); }
      });
    }

    function refresh() {
      if (timer) return;
      timer = setTimeout(run, DEBOUNCE_MS);
    }

    // Someone else acted on the alarm in the panel: show it, unless this operator is busy there.
    // A panel that is already up to date (this operator's own act) is left as it is.
    function refreshPanel(alarmId) {
      var el = panel();
      if (mode !== "screen" || !el || el.getAttribute("data-alarm") !== String(alarmId)) return;
      get(el.getAttribute("data-panel-url"), "text/html").then(function (html) {
        var current = panel();
        if (!current || current.getAttribute("data-alarm") !== String(alarmId) || !panelIsQuiet()) return;
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#alarm-panel");
        if (!fresh || fresh.getAttribute("data-version") === current.getAttribute("data-version")) return;
        current.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
      }).catch(function () { /* the next event tries again */ });
    }

    drawAll(readJson(mapEl.getAttribute("data-map-data")));
    window.setInterval(refresh, POLL_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });

    // --- the live stream ---------------------------------------------------------------------
    var status = document.getElementById("live-status");
    function setStatus(state) {
      if (!status) return;
      status.textContent = status.getAttribute("data-" + state) || state;
      status.className = "live-status " + state;
      status.setAttribute("data-state", state);
    }
    var streamUrl = root.getAttribute("data-stream");
    if (!streamUrl || typeof EventSource === "undefined") return;
    var types = readJson("alarm-types") || [];
    var seen = {};
    var source = new EventSource(streamUrl);
    setStatus("connecting");
    source.onopen = function () { setStatus("live"); };
    source.onerror = function () { setStatus("offline"); };
    function handle(message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (!event || typeof event.type !== "string" || event.type.indexOf("controlroom.alarm.") !== 0) return;
      if (seen[event.sequence]) return;
      seen[event.sequence] = true;
      refresh();
      if (event.payload && event.payload.alarm != null) refreshPanel(event.payload.alarm);
    }
    source.onmessage = handle;
    types.forEach(function (type) { source.addEventListener(type, handle); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    window.setTimeout(start, 0);
  }
})();
