// Thin wrappers over the vendored Chart.js (serving/static/vendor/chartjs, MIT).
import { h } from "./ui.js";

const PALETTE = ["#38bdf8", "#f59e0b", "#4ade80", "#f472b6", "#a78bfa", "#fb7185", "#2dd4bf", "#facc15", "#94a3b8", "#60a5fa"];
const live = new Set();

export function destroyAll() { for (const c of live) c.destroy(); live.clear() }

function make(config, cls = "chart") {
  const canvas = h("canvas", { role: "img", "aria-label": config.label ?? "chart" });
  const box = h("div", { class: cls }, canvas);
  // Chart.js needs the canvas in the document to size it: build on the next frame.
  requestAnimationFrame(() => {
    if (!canvas.isConnected || !window.Chart) return;
    const Chart = window.Chart;
    Chart.defaults.color = "#cbd5e1";
    Chart.defaults.borderColor = "#334155";
    live.add(new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } }));
  });
  return box;
}

const dayTick = (v) => new Date(v).toISOString().slice(0, 10);

/** series: [{label, points: [[timeMs, y], ...]}] */
export function lineChart(series, { label, yFormat = (v) => v, xFormat = dayTick, fill = false, cls } = {}) {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  return make({
    type: "line", label,
    data: { datasets: series.map((s, i) => ({
      label: s.label, data: s.points.map(([x, y]) => ({ x, y })), borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length] + "33", fill, pointRadius: 0, borderWidth: 2, spanGaps: false,
    })) },
    options: {
      parsing: false, interaction: { mode: "index", intersect: false },
      scales: { x: { type: "linear", min: Math.min(...xs), max: Math.max(...xs), ticks: { callback: xFormat, maxTicksLimit: 6 } },
        y: { ticks: { callback: yFormat } } },
      plugins: { tooltip: { callbacks: { title: (items) => items.length ? xFormat(items[0].parsed.x) : "",
        label: (c) => `${c.dataset.label}: ${yFormat(c.parsed.y)}` } } },
    },
  }, cls);
}

export function barChart(labels, values, { label, yFormat = (v) => v, horizontal = false } = {}) {
  return make({
    type: "bar", label,
    data: { labels, datasets: [{ label, data: values, backgroundColor: values.map((v) => v < 0 ? "#f87171" : "#38bdf8") }] },
    options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false },
      tooltip: { callbacks: { label: (c) => yFormat(horizontal ? c.parsed.x : c.parsed.y) } } },
      scales: { [horizontal ? "x" : "y"]: { ticks: { callback: yFormat } } } },
  });
}

export function doughnut(labels, values, { label } = {}) {
  return make({
    type: "doughnut", label,
    data: { labels, datasets: [{ data: values, backgroundColor: labels.map((_, i) => PALETTE[i % PALETTE.length]), borderWidth: 0 }] },
    options: { plugins: { legend: { position: "right" } } },
  }, "chart small");
}
