/* govops pages: charts, the map and wall mode. Everything else works without script. */
"use strict";

(function () {
  var PLOT_CONFIG = {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    showEditInChartStudio: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "sendDataToCloud"]
  };

  function readSpec(element, name) {
    return JSON.parse(element.getAttribute(name));
  }

  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var spec = readSpec(element, "data-chart");
      window.Plotly.newPlot(element, spec.data, spec.layout, PLOT_CONFIG);
    });
  }

  // Boundaries come with the page's data; plotly.js must not fetch its world map from its
  // CDN (the policy forbids it, and it is not needed), so it is given an empty one.
  function withoutWorldMap() {
    var empty = { type: "Topology", arcs: [], objects: {} };
    ["land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits"].forEach(function (name) {
      empty.objects[name] = { type: "GeometryCollection", geometries: [] };
    });
    window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
    window.PlotlyGeoAssets.topojson.world_110m = empty;
  }

  function drawMaps() {
    if (!window.Plotly) { return; }
    withoutWorldMap();
    document.querySelectorAll("[data-map]").forEach(function (element) {
      var spec = readSpec(element, "data-map");
      fetch(spec.geojson, { credentials: "same-origin" })
        .then(function (answer) { return answer.json(); })
        .then(function (geojson) {
          spec.data[0].geojson = geojson;
          return window.Plotly.newPlot(element, spec.data, spec.layout, PLOT_CONFIG);
        })
        .then(function () {
          element.setAttribute("data-ready", "true");
          element.on("plotly_click", function (event) {
            var point = event.points && event.points[0];
            if (point && point.location) {
              window.location.href = spec.profile + point.location + spec.profileQuery;
            }
          });
        });
    });
  }

  function startWall() {
    var wall = document.querySelector("[data-wall]");
    if (!wall) { return; }
    var rotate = Number(wall.getAttribute("data-rotate")) * 1000;
    var refresh = Number(wall.getAttribute("data-refresh")) * 1000;
    var source = wall.getAttribute("data-source");
    var panels = Array.prototype.slice.call(wall.querySelectorAll(".panel"));
    var shown = 0;
    var status = document.querySelector(".wall-status");

    function show(index) {
      panels.forEach(function (panel, i) { panel.hidden = i !== index; });
      shown = index;
      window.dispatchEvent(new Event("resize"));
    }

    function update(answer) {
      Object.keys(answer.fields).forEach(function (key) {
        document.querySelectorAll('[data-field="' + key + '"]').forEach(function (element) {
          element.textContent = answer.fields[key];
        });
      });
      if (status) { status.textContent = answer.updated; }
      wall.setAttribute("data-refreshed", String(Number(wall.getAttribute("data-refreshed") || 0) + 1));
    }

    function reload() {
      fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          if (answer.status === 401 || answer.redirected) { window.location.reload(); }
          return answer.json();
        })
        .then(update)
        .catch(function () { if (status) { status.textContent = status.getAttribute("data-offline"); } });
    }

    show(0);
    if (panels.length > 1 && rotate > 0) {
      window.setInterval(function () { show((shown + 1) % panels.length); }, rotate);
    }
    if (refresh > 0) { window.setInterval(reload, refresh); }
    document.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight") { show((shown + 1) % panels.length); }
      if (event.key === "ArrowLeft") { show((shown + panels.length - 1) % panels.length); }
    });
  }

  function start() {
    drawCharts();
    drawMaps();
    startWall();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
