// The Listening page's charts: volume by sentiment (stacked bars), net sentiment, spikes
// marked on both (click one to drill down), and share of voice. Data comes from the JSON
// API; everything the page needs is in data-* attributes (no inline script, see the CSP).
(function () {
  "use strict";

  var COLORS = { negative: "#c0392b", neutral: "#9aa5b5", positive: "#1e7d4f", net: "#2d5bd7" };
  var VOICE = ["#2d5bd7", "#e67e22", "#8e44ad", "#16a085", "#c0392b", "#7f8c8d", "#d4a017", "#2c3e50"];
  var SPIKE = "#e5484d";
  var charts = [];

  function $(id) { return document.getElementById(id); }

  function fmt(n) { return n === null || n === undefined ? "–" : n.toLocaleString("en-US"); }

  function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }

  function signed(x) { return x === null || x === undefined ? "–" : (x > 0 ? "+" : "") + x.toFixed(2); }

  function iso(seconds) { return new Date(seconds * 1000).toISOString().replace(".000Z", "Z"); }

  function epoch(text) { return Math.round(Date.parse(text) / 1000); }

  function utc(ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // 24-hour UTC ticks; midnight (and every tick of a daily axis) shows the date.
  function timeTicks(u, splits, axisIdx, space, incr) {
    return splits.map(function (ts) {
      var d = new Date(ts * 1000);
      var day = MONTHS[d.getUTCMonth()] + " " + d.getUTCDate();
      var hm = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
      return incr >= 86400 || hm === "00:00" ? day : hm;
    });
  }

  function legendTime(u, ts) {
    return ts === null || ts === undefined ? "–" : new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  function width(el) { return Math.max(320, el.clientWidth || 600); }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) {
            var why = body && body.errors && body.errors[0] ? body.errors[0].reason : body.detail;
            throw new Error(why || "HTTP " + r.status);
          }
          return body;
        });
      });
  }

  function range(root) {
    // One range per page view: the series and share of voice must count the same minutes.
    if (root.gsRange) return root.gsRange;
    if (root.dataset.start && root.dataset.end) {
      root.gsRange = { start: root.dataset.start, end: root.dataset.end };
      return root.gsRange;
    }
    // Up to the last whole minute: the one in progress is still being counted, and the
    // two requests, a moment apart, read it at different counts (802 against 803 posts).
    var seconds = parseInt(root.dataset.rangeSeconds, 10);
    var now = Math.floor(Date.now() / 60000) * 60;
    root.gsRange = { start: iso(now - seconds), end: iso(now) };
    return root.gsRange;
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === null || v === undefined || v === "") return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(x));
      });
    });
    return parts.join("&");
  }

  function drilldownUrl(subjectId, minute, step) {
    var half = Math.max(step, 600) / 2;
    var start = step >= 3600 ? minute - (minute % step) : minute - half;
    var end = step >= 3600 ? start + step : minute + half;
    var params = { start: iso(start), end: iso(end) };
    if (subjectId > 0) params.subject_id = subjectId;
    return "/drilldown?" + query(params);
  }

  // Spikes are drawn as a red band over their bucket with a marker on top.
  function spikePlugin(spikes, step, onClick) {
    function draw(u) {
      var ctx = u.ctx;
      ctx.save();
      spikes.forEach(function (s) {
        var b = s.bucket;
        var x0 = u.valToPos(b, "x", true);
        var x1 = u.valToPos(b + step, "x", true);
        if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) return;
        ctx.fillStyle = "rgba(229, 72, 77, 0.13)";
        ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
        var cx = (x0 + x1) / 2;
        var r = 5 * devicePixelRatio;
        ctx.fillStyle = SPIKE;
        ctx.beginPath();
        ctx.moveTo(cx - r, u.bbox.top);
        ctx.lineTo(cx + r, u.bbox.top);
        ctx.lineTo(cx, u.bbox.top + r * 1.6);
        ctx.closePath();
        ctx.fill();
      });
      ctx.restore();
    }
    function ready(u) {
      u.over.addEventListener("click", function () {
        var idx = u.cursor.idx;
        if (idx === null || idx === undefined) return;
        var t = u.data[0][idx];
        var hit = spikes.filter(function (s) { return s.bucket === t; })[0];
        if (hit) onClick(hit);
      });
      u.over.addEventListener("mousemove", function () {
        var idx = u.cursor.idx;
        var t = idx === null || idx === undefined ? null : u.data[0][idx];
        var hit = spikes.some(function (s) { return s.bucket === t; });
        u.over.style.cursor = hit ? "pointer" : "";
      });
    }
    return { hooks: { draw: [draw], ready: [ready] } };
  }

  // Buckets in which nothing at all was stored while the store is usually busy (the
  // system was down or loading): shaded and left blank, never drawn as a drop to zero.
  function gapPlugin(gaps, step) {
    function draw(u) {
      if (!gaps || !gaps.length) return;
      var ctx = u.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(120, 130, 150, 0.16)";
      var t = u.data[0];
      for (var i = 0; i < gaps.length; i++) {
        if (!gaps[i]) continue;
        var j = i;
        while (j + 1 < gaps.length && gaps[j + 1]) j++;
        var x0 = u.valToPos(t[i], "x", true);
        var x1 = u.valToPos(t[j] + step, "x", true);
        ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
        i = j;
      }
      ctx.restore();
    }
    return { hooks: { drawClear: [draw] } };
  }

  function blankGaps(values, gaps) {
    if (!gaps || !gaps.length) return values;
    return values.map(function (v, i) { return gaps[i] ? null : v; });
  }

  function bars(size) {
    return uPlot.paths.bars({ size: [size, 60], gap: 1 });
  }

  function volumeChart(el, series, spikes, step, onSpike) {
    var n = series.t.length;
    var t = series.t.map(epoch);
    var negNeu = new Array(n);
    var all = new Array(n);
    for (var i = 0; i < n; i++) {
      negNeu[i] = series.negative[i] + series.neutral[i];
      all[i] = negNeu[i] + series.positive[i];
    }
    var raw = [null, series.positive, series.neutral, series.negative];
    var gaps = series.gaps || [];
    var barSize = n > 400 ? 1 : 0.85;
    function value(u, v, si, idx) {
      if (idx === null) return "–";
      return gaps[idx] ? "no data" : fmt(raw[si][idx]);
    }
    var opts = {
      width: width(el),
      height: 260,
      tzDate: utc,
      plugins: [gapPlugin(gaps, step), spikePlugin(spikes, step, onSpike)],
      cursor: { points: { show: false } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(4, max * 1.1)]; } } },
      axes: [{ values: timeTicks }, { label: "posts", size: 50 }],
      series: [
        { value: legendTime },
        { label: "positive", fill: COLORS.positive, stroke: COLORS.positive, width: 0, paths: bars(barSize), value: value, points: { show: false } },
        { label: "neutral", fill: COLORS.neutral, stroke: COLORS.neutral, width: 0, paths: bars(barSize), value: value, points: { show: false } },
        { label: "negative", fill: COLORS.negative, stroke: COLORS.negative, width: 0, paths: bars(barSize), value: value, points: { show: false } }
      ]
    };
    return new uPlot(opts, [t, blankGaps(all, gaps), blankGaps(negNeu, gaps), blankGaps(series.negative, gaps)], el);
  }

  function netChart(el, series, spikes, step, onSpike) {
    var t = series.t.map(epoch);
    var opts = {
      width: width(el),
      height: 150,
      tzDate: utc,
      plugins: [gapPlugin(series.gaps, step), spikePlugin(spikes, step, onSpike)],
      scales: { x: { time: true }, y: { range: [-1, 1] } },
      axes: [{ values: timeTicks }, { size: 50, values: function (u, vals) { return vals.map(function (v) { return v.toFixed(1); }); } }],
      series: [
        { value: legendTime },
        {
          label: "net sentiment",
          stroke: COLORS.net,
          width: 1.5,
          spanGaps: false,
          points: { show: t.length < 120 },
          value: function (u, v) { return signed(v); }
        }
      ],
      hooks: {
        drawAxes: [function (u) {
          var y = u.valToPos(0, "y", true);
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#b9c2d3";
          ctx.setLineDash([4, 4]);
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
          ctx.restore();
        }]
      }
    };
    return new uPlot(opts, [t, blankGaps(series.net_sentiment, series.gaps)], el);
  }

  function totals(el, series) {
    var tot = series.totals;
    var items = [
      ["Posts", fmt(tot.volume)],
      ["Negative", fmt(tot.negative)],
      ["Neutral", fmt(tot.neutral)],
      ["Positive", fmt(tot.positive)],
      ["Net sentiment", signed(tot.net_sentiment)],
      ["Spikes", fmt(series.spikes.length)]
    ];
    el.textContent = "";
    items.forEach(function (item) {
      var box = document.createElement("div");
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = item[0];
      dd.textContent = item[1];
      box.appendChild(dt);
      box.appendChild(dd);
      el.appendChild(box);
    });
  }

  function spikeTable(subjectId, spikes, step) {
    var body = $("spike-rows");
    body.textContent = "";
    $("spikes").hidden = spikes.length === 0;
    spikes.forEach(function (s) {
      var tr = document.createElement("tr");
      [s.minute.replace("T", " ").slice(0, 16), s.metric.replace("_", " "),
       s.expected.toFixed(1), s.observed.toFixed(1), String(s.severity)].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i >= 2) td.className = "num";
        tr.appendChild(td);
      });
      var link = document.createElement("a");
      link.href = drilldownUrl(subjectId, epoch(s.minute), step);
      link.textContent = "Drill down →";
      link.className = "drill";
      var cell = document.createElement("td");
      cell.appendChild(link);
      tr.appendChild(cell);
      body.appendChild(tr);
    });
  }

  function drawSeries(root) {
    var subjectId = parseInt(root.dataset.subjectId, 10);
    var r = range(root);
    var url = (subjectId > 0 ? "/api/v1/subjects/" + subjectId + "/series" : "/api/v1/series/all") +
      "?" + query({ start: r.start, end: r.end, resolution: root.dataset.resolution, channel: root.dataset.channel });
    var status = $("series-status");
    return getJSON(url).then(function (series) {
      var step = series.step_seconds;
      var spikes = series.spikes.map(function (s) {
        var m = epoch(s.minute);
        return { bucket: m - (m % step), minute: m, raw: s };
      });
      function open(hit) { window.location.assign(drilldownUrl(subjectId, hit.minute, step)); }
      totals($("series-totals"), series);
      charts.push(volumeChart($("volume-chart"), series, spikes, step, open));
      charts.push(netChart($("net-chart"), series, spikes, step, open));
      spikeTable(subjectId, series.spikes, step);
      if (series.t.length) {
        root.dataset.first = series.t[0];
        root.dataset.last = series.t[series.t.length - 1];
      }
      if (series.totals.volume === 0) {
        status.textContent = "No posts in this range yet.";
      } else {
        status.remove();
      }
      root.classList.add("loaded");
    }).catch(function (err) {
      status.textContent = "Could not load the series: " + err.message;
      status.className = "error";
    });
  }

  function drawVoice(root) {
    var r = range(root);
    var seconds = parseInt(root.dataset.rangeSeconds, 10);
    var res = seconds <= 6 * 3600 ? "5m" : seconds <= 86400 ? "1h" : "1d";
    var url = "/api/v1/share-of-voice?" + query({ start: r.start, end: r.end, resolution: res, channel: root.dataset.channel });
    var status = $("sov-status");
    return getJSON(url).then(function (sov) {
      var list = $("sov-bars");
      list.textContent = "";
      if (!sov.subjects.length) {
        status.textContent = "Add brand and competitor subjects to compare them.";
        return;
      }
      sov.subjects.forEach(function (s, i) {
        var row = document.createElement("div");
        row.className = "sov-row kind-" + s.kind;
        var name = document.createElement("span");
        name.className = "sov-name";
        name.textContent = s.name;
        var kind = document.createElement("span");
        kind.className = "badge kind-" + s.kind;
        kind.textContent = s.kind;
        name.appendChild(document.createTextNode(" "));
        name.appendChild(kind);
        var track = document.createElement("span");
        track.className = "sov-track";
        var bar = document.createElement("span");
        bar.className = "sov-bar";
        bar.style.width = ((s.share || 0) * 100).toFixed(1) + "%";
        bar.style.background = VOICE[i % VOICE.length];
        track.appendChild(bar);
        var value = document.createElement("span");
        value.className = "sov-value";
        value.textContent = pct(s.share) + " · " + fmt(s.volume);
        row.appendChild(name);
        row.appendChild(track);
        row.appendChild(value);
        list.appendChild(row);
      });
      var t = sov.buckets.map(epoch);
      var sums = t.map(function (_, j) {
        return sov.subjects.reduce(function (acc, s) { return acc + s.volumes[j]; }, 0);
      });
      var data = [t];
      var series = [{ value: legendTime }];
      sov.subjects.forEach(function (s, i) {
        data.push(s.volumes.map(function (v, j) { return sums[j] ? (100 * v) / sums[j] : null; }));
        series.push({
          label: s.name,
          stroke: VOICE[i % VOICE.length],
          width: s.kind === "brand" ? 2.5 : 1.5,
          dash: s.kind === "brand" ? undefined : [6, 3],
          points: { show: t.length < 60 },
          value: function (u, v) { return v === null ? "–" : v.toFixed(1) + "%"; }
        });
      });
      var el = $("sov-chart");
      charts.push(new uPlot({
        width: width(el),
        height: 220,
        tzDate: utc,
        scales: { x: { time: true }, y: { range: [0, 100] } },
        axes: [{ values: timeTicks }, { size: 50, values: function (u, vals) { return vals.map(function (v) { return v + "%"; }); } }],
        series: series
      }, data, el));
      status.remove();
    }).catch(function (err) {
      status.textContent = "Could not load share of voice: " + err.message;
      status.className = "error";
    });
  }

  function resize() {
    charts.forEach(function (u) {
      var el = u.root.parentNode;
      u.setSize({ width: width(el), height: u.height });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = $("listening");
    if (!root || typeof uPlot === "undefined") return;
    drawSeries(root);
    drawVoice(root);
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(resize, 150);
    });
  });
})();
