// report.js: the interactive charts of report.html (Descent), drawn from the JSON in
// <script id="report-data">. Hover a chart for the values at that step; drag across it to zoom
// into those steps (the y axis fits what is visible); double-click to zoom out; click a legend
// entry to hide or show a run. No network, no libraries: the report stays one offline file.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 300, R = 16, T = 30, B = 40;
  var hidden = {};

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v === null || !isFinite(v)) return "-";
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return String(+v.toPrecision(4));
  }
  // Nice ticks: steps of 1, 2 or 5 times a power of ten, about `n` of them. Values a few ulps
  // apart (learning rates one ulp apart, steps near 2^60) get their two ends: no step moves v.
  function ticks(lo, hi, n) {
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    var raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    var step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p, out = [];
    if (!(step > 0) || !isFinite(step) || lo + step === lo || hi - lo <= Math.abs(hi) * 1e-12) return [lo, hi];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && out.length <= 4 * n; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  // Text from the data (run names, setting names and values) only ever becomes text nodes:
  // a run directory named as an image tag with an onerror handler must stay a name.
  function swatch(parent, color) {
    var i = document.createElement("i");
    i.style.background = color;
    parent.appendChild(i);
  }
  // Log ticks: powers of ten, with 2 and 5 between them when there are few decades.
  function logTicks(lo, hi) {
    var out = [], a = Math.floor(lo), b = Math.ceil(hi), few = b - a <= 2;
    for (var d = a; d <= b; d++) [1, 2, 5].forEach(function (m) {
      if (m !== 1 && !few) return;
      var v = d + Math.log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) out.push(v);
    });
    return out.length >= 2 ? out : ticks(lo, hi, 4);
  }

  // A line (or point) chart: spec = {title, x, y, logX, logY, points, categories, series: [{name,
  // color, dash, width, opacity, x: [], y: [], hover, lo: [], hi: [] (a band: a setting's lowest
  // and highest seed), err: [] (error bars: half-widths of 95% intervals)}]}.
  function chart(host, spec) {
    var box = document.createElement("div");
    box.className = "chart";
    host.appendChild(box);
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": spec.title}, box);
    var tip = document.createElement("div");
    tip.className = "tip";
    box.appendChild(tip);
    var view = null;   // [x0, x1] when zoomed
    // Every chart has its log switch (the y axis; only positive values show on it).
    var logLabel = document.createElement("label");
    logLabel.className = "logy";
    var logBox = document.createElement("input");
    logBox.type = "checkbox";
    logBox.checked = !!spec.logY;
    logBox.onchange = function () { spec.logY = logBox.checked; draw(); };
    logLabel.appendChild(logBox);
    logLabel.appendChild(document.createTextNode(" log"));
    box.appendChild(logLabel);
    function tx(v) { return spec.logX ? (v > 0 ? Math.log10(v) : null) : v; }
    function ty(v) { return v === null || !isFinite(v) ? null : spec.logY ? (v > 0 ? Math.log10(v) : null) : v; }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var shown = spec.series.filter(function (s) { return !hidden[s.run]; });
      // A diverged run (loss 1e32) would flatten every other curve: the axes fit the others,
      // and the diverged one runs off the top, marked in the legend.
      var fitted = shown.filter(function (s) { return !s.diverged; });
      if (!fitted.length) fitted = shown;
      var xs = [], ys = [];
      fitted.forEach(function (s) {
        s.x.forEach(function (x, i) {
          var X = tx(x), Y = ty(s.y[i]);
          if (X === null || Y === null) return;
          if (view && (X < view[0] || X > view[1])) return;
          xs.push(X);
          if (s.off && s.off[i]) return;   // a diverged run's point: drawn at the top edge
          ys.push(Y);
          [s.lo && s.lo[i], s.hi && s.hi[i], s.err && s.err[i] !== null ? s.y[i] - s.err[i] : null,
           s.err && s.err[i] !== null ? s.y[i] + s.err[i] : null].forEach(function (v) { var E = ty(v); if (v !== null && v !== undefined && E !== null) ys.push(E); });
        });
      });
      el("text", {x: 52, y: 18, "class": "title"}, svg).textContent = spec.title;
      if (!xs.length) { el("text", {x: W / 2, y: H / 2, "class": "tick", "text-anchor": "middle"}, svg).textContent = "no data"; return; }
      var x0 = view ? view[0] : Math.min.apply(null, xs), x1 = view ? view[1] : Math.max.apply(null, xs);
      var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
      if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
      if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
      if (spec.logY) {
        // Log axes end on 1, 2 or 5 times a power of ten, so the largest value has a label.
        var nice = function (v, up) {
          var d = Math.floor(v), steps = [0, Math.log10(2), Math.log10(5), 1], best = up ? d + 1 : d;
          steps.forEach(function (f) { var c = d + f; if (up ? (c >= v - 1e-9 && c < best) : (c <= v + 1e-9 && c > best)) best = c; });
          return best;
        };
        y0 = nice(y0, false); y1 = nice(y1, true);
        if (y1 - y0 > 2) { y0 = Math.floor(y0 + 1e-9); y1 = Math.ceil(y1 - 1e-9); }
      } else {
        var pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
      }
      if (spec.categories) { x0 -= 0.5; x1 += 0.5; }
      else if (spec.points && !view) { var px5 = (x1 - x0) * 0.05; x0 -= px5; x1 += px5; }   // points off the frame
      var yt = spec.logY ? logTicks(y0, y1) : ticks(y0, y1, 5);
      var yLabels = yt.map(function (v) { return fmt(spec.logY ? Math.pow(10, v) : v); });
      // The left margin fits the widest tick label, so the axis title never overlaps one.
      var L = Math.max(52, 28 + 6.5 * Math.max.apply(null, yLabels.map(function (t) { return t.length; })));
      function px(v) { return L + (v - x0) / (x1 - x0) * (W - L - R); }
      function py(v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); }
      yt.forEach(function (v, i) {
        el("line", {x1: L, x2: W - R, y1: py(v), y2: py(v), "class": "grid"}, svg);
        el("text", {x: L - 5, y: py(v) + 4, "class": "tick", "text-anchor": "end"}, svg).textContent = yLabels[i];
      });
      var xt = spec.categories ? spec.categories.map(function (_, i) { return i; }) : spec.logX ? logTicks(x0, x1) : ticks(x0, x1, 6);
      xt.forEach(function (v) {
        var label = spec.categories ? spec.categories[v] : fmt(spec.logX ? Math.pow(10, v) : v);
        el("text", {x: px(v), y: H - B + 16, "class": "tick", "text-anchor": "middle"}, svg).textContent = label;
      });
      el("text", {x: (L + W - R) / 2, y: H - 6, "class": "tick", "text-anchor": "middle"}, svg).textContent = spec.x + (spec.logX ? " (log)" : "");
      el("text", {x: 14, y: H / 2, "class": "tick", "text-anchor": "middle", transform: "rotate(-90 14 " + H / 2 + ")"}, svg).textContent = spec.y + (spec.logY ? " (log)" : "");
      var clip = "clip" + Math.random().toString(36).slice(2);
      el("rect", {x: L, y: T, width: W - L - R, height: H - T - B}, el("clipPath", {id: clip}, svg));
      var plot = el("g", {"clip-path": "url(#" + clip + ")"}, svg);
      shown.forEach(function (s) {
        if (!s.lo || !s.hi) return;
        var upper = [], lower = [];
        s.x.forEach(function (x, i) {
          var X = tx(x), a = ty(s.lo[i]), b = ty(s.hi[i]);
          if (X === null || a === null || b === null) return;
          upper.push(px(X).toFixed(1) + "," + py(b).toFixed(1));
          lower.unshift(px(X).toFixed(1) + "," + py(a).toFixed(1));
        });
        if (upper.length) el("polygon", {points: upper.concat(lower).join(" "), fill: s.color, "fill-opacity": 0.13, stroke: "none"}, plot);
      });
      shown.forEach(function (s) {
        if (s.err) s.x.forEach(function (x, i) {
          var X = tx(x), Y = ty(s.y[i]);
          if (X === null || Y === null || s.err[i] === null) return;
          var a = ty(s.y[i] - s.err[i]), b = ty(s.y[i] + s.err[i]);
          if (a === null || b === null) return;
          el("line", {x1: px(X), x2: px(X), y1: py(a), y2: py(b), stroke: s.color, "stroke-width": 1.5, "class": "errorbar"}, plot);
          [a, b].forEach(function (v) { el("line", {x1: px(X) - 5, x2: px(X) + 5, y1: py(v), y2: py(v), stroke: s.color, "stroke-width": 1.5}, plot); });
        });
        var pts = [];
        s.x.forEach(function (x, i) {
          var X = tx(x), Y = ty(s.y[i]);
          if (X !== null && Y !== null) pts.push(px(X).toFixed(1) + "," + py(Y).toFixed(1));
        });
        if (spec.points) {
          s.x.forEach(function (x, i) {
            var X = tx(x), Y = ty(s.y[i]);
            if (X === null || Y === null) return;
            if (s.off && s.off[i] && py(Y) < T) {
              el("path", {d: "M" + px(X) + " " + (T + 2) + " l-6 10 h12 z", fill: s.color}, plot);   // diverged: off the top
            } else {
              el("circle", {cx: px(X), cy: py(Y), r: 4, fill: s.color}, plot);
            }
          });
          var distinct = s.x.every(function (x, i) { return i === 0 || x !== s.x[i - 1]; });
          if (!spec.categories && distinct && pts.length > 1) el("polyline", {points: pts.join(" "), fill: "none", stroke: s.color, "stroke-opacity": 0.5}, plot);
        } else if (pts.length) {
          el("polyline", {points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": s.width || 1.6,
                          "stroke-opacity": s.opacity || 1, "stroke-dasharray": s.dash || ""}, plot);
        }
      });
      var cursor = el("line", {y1: T, y2: H - B, "class": "cursor", visibility: "hidden"}, svg);
      var band = el("rect", {y: T, height: H - T - B, "class": "band", visibility: "hidden"}, svg);
      function toX(ev) {
        var r = svg.getBoundingClientRect();
        return x0 + ((ev.clientX - r.left) / r.width * W - L) / (W - L - R) * (x1 - x0);
      }
      var dragFrom = null;
      svg.onmousedown = function (ev) { if (!spec.categories) { dragFrom = toX(ev); ev.preventDefault(); } };
      svg.onmousemove = function (ev) {
        var x = toX(ev);
        if (dragFrom !== null) {
          band.setAttribute("x", px(Math.min(x, dragFrom))); band.setAttribute("width", Math.abs(px(x) - px(dragFrom)));
          band.setAttribute("visibility", "visible");
        }
        var lines = [], at = null;   // lines: [color or null, text]
        shown.forEach(function (s) {
          if (s.hover === false) return;
          var best = -1, dist = Infinity;
          s.x.forEach(function (sx, i) { var X = tx(sx); if (X !== null && Math.abs(X - x) < dist && ty(s.y[i]) !== null) { dist = Math.abs(X - x); best = i; } });
          if (best < 0) return;
          at = s.x[best];
          if (s.labels) {   // points: every run at that value
            s.x.forEach(function (sx, i) { if (sx === at && ty(s.y[i]) !== null) lines.push([null, s.labels[i] + ": " + fmt(s.y[i])]); });
          } else {
            lines.push([s.color, s.name + ": " + fmt(s.y[best])]);
          }
        });
        if (!lines.length) return;
        var X = tx(at);
        cursor.setAttribute("x1", px(X)); cursor.setAttribute("x2", px(X)); cursor.setAttribute("visibility", "visible");
        while (tip.firstChild) tip.removeChild(tip.firstChild);
        var head = document.createElement("b");
        head.textContent = spec.x + " " + (spec.categories ? spec.categories[at] : fmt(at));
        tip.appendChild(head);
        lines.forEach(function (line) {
          tip.appendChild(document.createElement("br"));
          if (line[0]) swatch(tip, line[0]);
          tip.appendChild(document.createTextNode(line[1]));
        });
        tip.style.display = "block";
      };
      svg.onmouseup = function (ev) {
        if (dragFrom === null) return;
        var a = Math.min(dragFrom, toX(ev)), b = Math.max(dragFrom, toX(ev));
        dragFrom = null;
        band.setAttribute("visibility", "hidden");
        if (b - a > (x1 - x0) / 100) { view = [a, b]; draw(); }
      };
      svg.onmouseleave = function () { tip.style.display = "none"; cursor.setAttribute("visibility", "hidden"); dragFrom = null; band.setAttribute("visibility", "hidden"); };
      svg.ondblclick = function () { view = null; draw(); };
    }
    // Point charts with one series per group of other settings say which colour is which.
    if (spec.points && spec.series.length > 1) {
      var key = document.createElement("div");
      key.className = "chart-key";
      spec.series.forEach(function (s) {
        var item = document.createElement("span");
        swatch(item, s.color);
        item.appendChild(document.createTextNode(s.name));
        key.appendChild(item);
      });
      box.appendChild(key);
    }
    box.redraw = draw;
    draw();
    return box;
  }

  function runSeries(pick, opts) {
    return data.runs.map(function (r) {
      var p = pick(r);
      return {run: r.name, name: r.name + (r.same ? " (= " + r.same + ")" : ""), color: r.color, dash: r.dash, diverged: r.diverged,
              x: p[0], y: p[1], lo: p[2], hi: p[3], width: (opts || {}).width, opacity: (opts || {}).opacity};
    });
  }
  var charts = [];
  function add(id, spec) { var host = document.getElementById(id); if (host) charts.push(chart(host, spec)); }

  var logLoss = false;
  function lossSpec() {
    var raw = runSeries(function (r) { return [r.steps, r.loss]; }, {width: 1, opacity: 0.22});
    raw.forEach(function (s) { s.hover = false; s.dash = ""; });
    var title = data.seeded ? "Training loss: mean of seeds (band: lowest to highest; faint: raw)"
                            : "Training loss (faint: raw; solid: smoothed, EMA 0.9)";
    return {title: title, x: "step", y: "loss", logY: logLoss,
            series: raw.concat(runSeries(function (r) { return [r.steps, r.smooth, r.smooth_lo, r.smooth_hi]; }))};
  }
  var lossBox = null;
  function addLoss() {
    var host = document.getElementById("loss");
    if (lossBox) host.removeChild(lossBox);
    lossBox = chart(host, lossSpec());
    host.insertBefore(lossBox, host.firstChild);
  }
  addLoss();
  charts.push({redraw: addLoss});
  var toggle = document.getElementById("log-loss");
  if (toggle) toggle.onchange = function () { logLoss = toggle.checked; addLoss(); };
  add("curves", {title: "Validation loss", x: "step", y: "val_loss", series: runSeries(function (r) { return [r.eval_steps, r.val_loss, r.val_loss_lo, r.val_loss_hi]; })});
  add("curves", {title: "Validation " + data.metric, x: "step", y: data.metric, series: runSeries(function (r) { return [r.eval_steps, r.metric, r.metric_lo, r.metric_hi]; })});
  add("curves", {title: "Learning rate", x: "step", y: "lr", series: runSeries(function (r) { return [r.steps, r.lr]; })});
  // One line per group of runs that share every other varied setting (the optimizer, say):
  // a line never joins runs that differ in something else.
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  data.sweeps.forEach(function (s) {
    var series = function (key) {
      return s.groups.map(function (g, i) {
        return {run: "", name: g.name || (key === "metric" ? "best " + data.metric : "final loss"), color: palette[i % palette.length],
                x: g.x, y: g[key], err: g[key + "_err"], labels: g.runs, off: g.diverged};
      });
    };
    add("sweeps", {title: "Best " + data.metric + " vs " + s.key, x: s.key, y: data.metric, points: true, logX: s.log, categories: s.categories, series: series("metric")});
    add("sweeps", {title: "Final loss vs " + s.key, x: s.key, y: "final loss", points: true, logX: s.log, categories: s.categories, series: series("final_loss")});
  });

  var legend = document.getElementById("legend");
  data.runs.forEach(function (r) {
    var k = document.createElement("span");
    k.className = "key";
    el("line", {x1: 0, x2: 28, y1: 5, y2: 5, stroke: r.color, "stroke-width": 2.5, "stroke-dasharray": r.dash || ""},
       el("svg", {width: 28, height: 10}, k));
    k.appendChild(document.createTextNode(r.name + (r.diverged ? " (diverged: off the top of the charts)" : "")));
    if (r.same) {
      var small = document.createElement("small");
      small.textContent = " (same curves as " + r.same + ")";
      k.appendChild(small);
    }
    k.onclick = function () { hidden[r.name] = !hidden[r.name]; k.classList.toggle("off"); charts.forEach(function (c) { c.redraw(); }); };
    legend.appendChild(k);
  });
  document.body.setAttribute("data-rendered", String(document.querySelectorAll(".chart svg").length));
  // tools/check-report opens the page as report.html#selftest: hover the middle of the first
  // curve chart and drag across half of it, and record what the read-out and the zoom showed.
  if (location.hash === "#selftest") {
    var svg = document.querySelector("#loss svg"), r = svg.getBoundingClientRect();
    // The largest y label of the loss chart (a diverged run must not set the scale), and what
    // the page drew for seeds: bands and error bars.
    var ymax = Math.max.apply(null, Array.prototype.map.call(svg.querySelectorAll('.tick[text-anchor="end"]'), function (t) { return parseFloat(t.textContent); }));
    var bands = document.querySelectorAll(".chart polygon").length, bars = document.querySelectorAll(".chart .errorbar").length;
    var at = function (type, fx) {
      svg.dispatchEvent(new MouseEvent(type, {clientX: r.left + r.width * fx, clientY: r.top + r.height / 2, bubbles: true}));
    };
    at("mousemove", 0.5);
    var tip = svg.parentNode.querySelector(".tip").textContent;
    at("mousedown", 0.3); at("mousemove", 0.7); at("mouseup", 0.7);
    var ticks = Array.prototype.map.call(document.querySelectorAll("#loss svg .tick"), function (t) { return t.textContent; }).join(" ");
    document.body.setAttribute("data-selftest", "tip=" + tip + " | ticks=" + ticks + " | ymax=" + ymax + " | bands=" + bands + " | errorbars=" + bars);
  }
})();
