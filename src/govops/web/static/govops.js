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

  function drawCharts(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
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

  // A wall redraws its map at every refresh; the boundaries are fetched once.
  var boundaries = {};

  function boundariesAt(address) {
    if (!boundaries[address]) {
      boundaries[address] = fetch(address, { credentials: "same-origin" })
        .then(function (answer) { return answer.json(); });
    }
    return boundaries[address];
  }

  // On a phone the legend goes under the map, which keeps the screen's whole width.
  var NARROW = 600;

  function legendBelow(spec) {
    var bar = spec.data[0].colorbar;
    bar.orientation = "h";
    bar.y = 0;
    bar.yanchor = "top";
    bar.thickness = 14;
    bar.title.side = "top";
    spec.layout.margin.b = 80;
  }

  function drawMaps(root) {
    if (!window.Plotly) { return; }
    withoutWorldMap();
    root.querySelectorAll("[data-map]").forEach(function (element) {
      var spec = readSpec(element, "data-map");
      boundariesAt(spec.geojson)
        .then(function (geojson) {
          spec.data[0].geojson = geojson;
          if (element.clientWidth < NARROW) { legendBelow(spec); }
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
    var panels = Array.prototype.slice.call(wall.querySelectorAll("[data-panel]"));
    var received = {};
    var shown = 0;
    var status = document.querySelector(".wall-status");

    function show(index) {
      panels.forEach(function (panel, i) { panel.hidden = i !== index; });
      shown = index;
      // A plot drawn while its panel was hidden takes its size when the panel shows.
      if (window.Plotly) {
        panels[index].querySelectorAll(".js-plotly-plot").forEach(function (plot) {
          window.Plotly.Plots.resize(plot);
        });
      }
    }

    function update(answer) {
      panels.forEach(function (panel) {
        var name = panel.getAttribute("data-panel");
        var html = answer.panels[name];
        if (typeof html !== "string" || html === received[name]) { return; }
        received[name] = html;
        panel.innerHTML = html;
        drawCharts(panel);
        drawMaps(panel);
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
      if (event.target.closest && event.target.closest("form")) { return; }
      if (event.key === "ArrowRight") { show((shown + 1) % panels.length); }
      if (event.key === "ArrowLeft") { show((shown + panels.length - 1) % panels.length); }
    });
    document.querySelectorAll("[data-fullscreen]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else { document.documentElement.requestFullscreen(); }
      });
    });
  }

  function start() {
    drawCharts(document);
    drawMaps(document);
    startWall();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
