// The flows page kept current: each change on the exchange's stream refreshes the states,
// and the lags grow by themselves, so the page also refreshes every minute.
(function () {
  "use strict";
  const table = document.querySelector("table.flows");
  if (!table || !window.EventSource) {
    return;
  }
  const CHANGES = [
    "vn.gov.govops.exchange.delivery.stored",
    "vn.gov.govops.exchange.flow.late",
    "vn.gov.govops.exchange.flow.failing",
  ];
  let waiting = null;

  function setText(row, selector, text) {
    const cell = row.querySelector(selector);
    if (cell) {
      cell.textContent = text;
    }
  }

  function showLag(row, flow) {
    const cell = row.querySelector("td.lag");
    if (!cell) {
      return;
    }
    const lag = document.createElement(flow.overdue ? "strong" : "span");
    lag.textContent = flow.lag;
    cell.replaceChildren(lag, document.createTextNode(" / " + flow.freshness));
  }

  function showFlow(flow) {
    const row = table.querySelector('tr[data-flow="' + CSS.escape(flow.flow) + '"]');
    if (!row) {
      return;
    }
    row.dataset.state = flow.state;
    setText(row, "td.state", flow.state_label);
    setText(row, "td.last", flow.last_delivery);
    setText(row, "td.refused", flow.refused);
    setText(row, "td.count", String(flow.deliveries_30d));
    showLag(row, flow);
  }

  function show(data) {
    data.flows.forEach(showFlow);
    const count = document.querySelector(".live-two-way");
    if (count) {
      count.textContent = String(data.count.live_two_way);
    }
    const bar = document.querySelector(".programme .bar > span");
    if (bar) {
      bar.className = "bar-" + data.share;
    }
    Object.entries(data.by_state).forEach(function ([state, total]) {
      const card = document.querySelector('.state-count[data-state="' + state + '"] .value');
      if (card) {
        card.textContent = String(total);
      }
    });
  }

  function refresh() {
    waiting = null;
    fetch("/exchange/health.json", { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { /* the next change or minute tries again */ });
  }

  function soon() {
    if (waiting === null) {
      waiting = window.setTimeout(refresh, 300);
    }
  }

  const source = new EventSource("/exchange/live");
  CHANGES.forEach(function (type) { source.addEventListener(type, soon); });
  window.setInterval(soon, 60000);
})();
