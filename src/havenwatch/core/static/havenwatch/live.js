/* havenwatch: the live event feed. Connects to /api/v1/stream (server-sent events) and
 * prepends each event the user may see. No inline script: the CSP forbids them. */
(function () {
  "use strict";
  var feed = document.getElementById("live-feed");
  var rows = document.getElementById("event-rows");
  var status = document.getElementById("live-status");
  if (!feed || !rows || typeof EventSource === "undefined") return;

  var labels = {};
  var labelData = document.getElementById("event-labels");
  if (labelData) {
    try { labels = JSON.parse(labelData.textContent); } catch (e) { labels = {}; }
  }
  var timeZone = feed.getAttribute("data-time-zone") || undefined;
  var MAX_ROWS = 200;

  function setStatus(state) {
    if (!status) return;
    status.textContent = status.getAttribute("data-" + state) || state;
    status.className = "live-status " + state;
  }

  // The same shape as the server renders: 2026-03-29 14:05:09 CEST, in the port's zone.
  function formatTime(iso) {
    var date = new Date(iso);
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", {
        timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short"
      }).formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
      return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + ":" +
        parts.second + " " + (parts.timeZoneName || "");
    } catch (e) {
      return date.toISOString();
    }
  }

  function summary(payload) {
    var parts = [];
    Object.keys(payload || {}).forEach(function (key) {
      var value = payload[key];
      if (key === "audit_sequence" || value === null || typeof value === "object") return;
      var text = String(value);
      if (text.length > 60) text = text.slice(0, 57) + "…";
      parts.push(key + ": " + text);
    });
    return parts.join(" · ");
  }

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function addEvent(event) {
    var empty = rows.querySelector(".empty-row");
    if (empty) empty.remove();
    var tr = document.createElement("tr");
    var priority = Number(event.priority) || 3;
    tr.className = "prio-" + priority + " fresh";
    tr.appendChild(cell(String(event.sequence), "num"));
    tr.appendChild(cell(formatTime(event.time), "nowrap"));
    var prio = document.createElement("td");
    var badge = document.createElement("span");
    badge.className = "prio prio-" + priority;
    badge.textContent = "P" + priority;
    prio.appendChild(badge);
    tr.appendChild(prio);
    var label = cell(labels[event.type] || event.type);
    var code = document.createElement("div");
    code.className = "muted small mono";
    code.textContent = event.type;
    label.appendChild(code);
    tr.appendChild(label);
    tr.appendChild(cell(summary(event.payload), "summary"));
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastChild);
  }

  var seen = {};
  var source = new EventSource(feed.getAttribute("data-stream"));
  setStatus("connecting");
  source.onopen = function () { setStatus("live"); };
  source.onerror = function () { setStatus("offline"); };
  // Frames carry the event type as their name; listen to every frame through onmessage and each type.
  function handle(message) {
    var event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    if (seen[event.sequence]) return;
    seen[event.sequence] = true;
    addEvent(event);
  }
  source.onmessage = handle;
  Object.keys(labels).forEach(function (type) { source.addEventListener(type, handle); });
})();
