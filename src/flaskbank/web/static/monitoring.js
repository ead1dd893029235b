/* The analysts' workspace, kept current without a reload.
 *
 * Polling, not a held-open stream: each poll is one short request that, past the session
 * check, reads one key (the live board), so an open dashboard never ties up a server worker;
 * a poll only starts when the previous one has answered. Pages work without this script: the server renders
 * the first snapshot. Everything is drawn with textContent and DOM calls, never as HTML, so
 * nothing from the bank's data is ever read as markup; no inline script (the CSP forbids it).
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var MINUTES = 30;
  var KINDS = { transaction_posted: "Posted", hold_placed: "Held for review", posting_blocked: "Blocked" };

  function el(name, attrs, text) {
    var node = name.indexOf("svg:") === 0
      ? document.createElementNS(SVG, name.slice(4))
      : document.createElement(name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function replaceChildren(parent, children) {
    while (parent.firstChild) { parent.removeChild(parent.firstChild); }
    children.forEach(function (child) { parent.appendChild(child); });
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  /* The last MINUTES minutes up to as_of, quiet ones as zeros (as the server's chart()). */
  function perMinute(snapshot) {
    var counts = {};
    snapshot.minutes.forEach(function (m) { counts[m.minute] = m; });
    var end = Date.UTC(
      +snapshot.as_of.slice(0, 4), +snapshot.as_of.slice(5, 7) - 1, +snapshot.as_of.slice(8, 10),
      +snapshot.as_of.slice(11, 13), +snapshot.as_of.slice(14, 16)
    );
    var out = [];
    for (var back = MINUTES - 1; back >= 0; back--) {
      var d = new Date(end - back * 60000);
      var key = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
        "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
      var seen = counts[key] || {};
      out.push({ minute: key, postings: seen.postings || 0, alerts: seen.alerts || 0 });
    }
    return out;
  }

  function round1(x) { return Math.round(x * 10) / 10; }

  function drawChart(minutes) {
    var top = Math.max(1, Math.max.apply(null, minutes.map(function (m) { return m.postings; })));
    var postings = 0, alerts = 0;
    minutes.forEach(function (m) { postings += m.postings; alerts += m.alerts; });
    var svg = el("svg:svg", {
      "class": "live-chart", viewBox: "0 0 600 180", role: "img",
      "aria-labelledby": "live-chart-title", preserveAspectRatio: "none"
    });
    svg.appendChild(el("svg:title", { id: "live-chart-title" },
      postings + " postings and " + alerts + " alerts in the last " + minutes.length + " minutes"));
    svg.appendChild(el("svg:line", { "class": "axis", x1: 0, y1: 150, x2: 600, y2: 150 }));
    svg.appendChild(el("svg:text", { "class": "tick", x: 2, y: 12 }, top + "/min"));
    minutes.forEach(function (m, i) {
      var x = i * 20, hp = round1(m.postings / top * 130), ha = round1(m.alerts / top * 130);
      var label = m.minute.slice(11);
      var bar = el("svg:rect", { "class": "bar-postings", x: x + 2, y: 150 - hp, width: 16, height: hp });
      bar.appendChild(el("svg:title", {}, label + ": " + m.postings + " postings"));
      svg.appendChild(bar);
      bar = el("svg:rect", { "class": "bar-alerts", x: x + 6, y: 150 - ha, width: 8, height: ha });
      bar.appendChild(el("svg:title", {}, label + ": " + m.alerts + " alerts"));
      svg.appendChild(bar);
      if (i % 5 === 0 || i === minutes.length - 1) {
        var anchor = i === 0 ? "start" : i === minutes.length - 1 ? "end" : "middle";
        svg.appendChild(el("svg:text", { "class": "tick", x: x + 10, y: 170, "text-anchor": anchor }, label));
      }
    });
    replaceChildren(document.getElementById("live-chart"), [svg]);
    var rate = postings ? (100 * alerts / postings).toFixed(1) : "0.0";
    document.getElementById("live-rate").textContent =
      postings + " postings, " + alerts + " alerts (" + rate + "% alert rate)";
  }

  function drawRules(rules) {
    var items = rules.map(function (r) {
      var li = el("li");
      li.appendChild(el("span", { "class": "rule-name" }, r.rule));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "count" }, String(r.hits)));
      return li;
    });
    if (!items.length) { items = [el("li", { "class": "muted" }, "No rule fired in this time.")]; }
    replaceChildren(document.getElementById("live-rules"), items);
  }

  function cell(label, text, cls) {
    var td = el("td", { "data-label": label }, text);
    if (cls) { td.setAttribute("class", cls); }
    return td;
  }

  function drawLatest(latest) {
    var rows = latest.map(function (p) {
      var tr = el("tr", { "class": "decision-" + p.decision });
      var time = el("td", { "data-label": "Time" });
      time.appendChild(el("time", { datetime: p.at }, p.at.slice(11, 19)));
      tr.appendChild(time);
      tr.appendChild(cell("What", (KINDS[p.kind] || p.kind) + (p.type ? " " + p.type : "")));
      tr.appendChild(cell("Amount", p.amount + " " + p.currency, "num"));
      var account = el("td", { "data-label": "Account" });
      account.appendChild(el("code", {}, (p.account_id || "").slice(0, 8)));
      tr.appendChild(account);
      var decision = el("td", { "data-label": "Decision" });
      decision.appendChild(el("span", { "class": "decision" }, p.decision));
      tr.appendChild(decision);
      tr.appendChild(cell("Score", String(p.score), "num"));
      var rules = cell("Rules", p.rules.join(", "));
      if (p.alert_url) {
        rules.appendChild(document.createTextNode(" "));
        rules.appendChild(el("a", { href: p.alert_url }, "alert"));
      }
      tr.appendChild(rules);
      return tr;
    });
    if (!rows.length) {
      var empty = el("tr");
      empty.appendChild(el("td", { colspan: 7, "class": "muted" }, "Nothing screened yet."));
      rows = [empty];
    }
    replaceChildren(document.getElementById("live-latest"), rows);
  }

  function draw(snapshot) {
    drawChart(perMinute(snapshot));
    drawRules(snapshot.top_rules);
    drawLatest(snapshot.latest);
    var asOf = document.getElementById("live-as-of");
    asOf.setAttribute("datetime", snapshot.as_of);
    asOf.textContent = snapshot.as_of.slice(0, 19).replace("T", " ") + " UTC";
  }

  /* Ask `url` every `seconds`, one request at a time, and hand each answer to `use`;
   * `use` returns false to stop. A hidden tab skips its turn. */
  function poll(url, seconds, use, state) {
    function again() { window.setTimeout(tick, seconds * 1000); }
    function tick() {
      if (document.hidden) { again(); return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (!response.ok || !json) { throw new Error("signed out or refused"); }
          return response.json();
        })
        .then(function (data) {
          if (state) { state.textContent = "updating every " + seconds + " s"; }
          if (use(data) !== false) { again(); }
        })
        .catch(function () {
          if (state) { state.textContent = "updates stopped: reload the page"; }
        });
    }
    tick();
  }

  var board = document.getElementById("live");
  if (board) {
    poll(board.getAttribute("data-source"), 1, function (snapshot) { draw(snapshot); },
      document.getElementById("live-state"));
  }

  var backtest = document.getElementById("backtest");
  if (backtest && /^(queued|running)$/.test(backtest.getAttribute("data-status"))) {
    poll(backtest.getAttribute("data-source"), 2, function (found) {
      if (found.status !== "queued" && found.status !== "running") {
        window.location.reload();  // the server renders the figures
        return false;
      }
      document.getElementById("backtest-status").textContent = found.status;
      document.getElementById("backtest-progress").textContent = String(found.progress);
      return true;
    }, document.getElementById("backtest-state"));
  }
})();
