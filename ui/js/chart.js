// chart.js: one SVG chart per metric: a dot per (model, site) with its
// confidence-interval whisker, and the pooled value as a diamond. Built with
// DOM calls and SVG attributes only (no inline styles: CSP).
import { fmt } from "./metrics.js";

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// The axis range: [0, 1] when every number fits, else the data's range padded.
function range(values) {
  const xs = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (xs.length === 0) return [0, 1];
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  if (lo >= 0 && hi <= 1) return [0, 1];
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

// g: grid() of metrics.js; names: {models: id->name, datasets: id->name}.
export function metricChart(g, metric, names) {
  const items = [];
  for (const m of g.models) {
    for (const d of g.datasets) {
      const c = g.cell(m, d, metric);
      if (c) items.push({ label: `${names.models(m)} · ${names.datasets(d)}`, c, pooled: false });
    }
    const p = g.pooled(m, metric);
    if (p !== null) items.push({ label: `${names.models(m)} · pooled`, c: { value: p, ci: null }, pooled: true });
  }
  const all = items.flatMap((i) => [i.c.value, ...(i.c.ci || [])]);
  const [lo, hi] = range(all);
  // room on the left for the longest label (about 6.5 px a character at 12 px)
  const longest = Math.max(10, ...items.map((i) => i.label.length));
  const width = 760, right = 20, top = 10, rowH = 24;
  const left = Math.min(width / 2, Math.ceil(16 + 6.5 * longest));
  const height = top + rowH * items.length + 30;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `${metric}: value per model and site, with confidence intervals` });
  svg.append(s("title", {}, `${metric} per model and site`));
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    svg.append(s("line", { x1: x(v), x2: x(v), y1: top, y2: height - 25, class: "grid" }));
    svg.append(s("text", { x: x(v), y: height - 8, "text-anchor": "middle", class: "tick" }, fmt(v, 2)));
  }
  items.forEach((it, i) => {
    const y = top + rowH * i + rowH / 2;
    const g1 = s("g", { class: it.pooled ? "pt pooled" : "pt" });
    g1.append(s("text", { x: left - 8, y: y + 4, "text-anchor": "end", class: "lbl" }, it.label));
    if (it.c.ci) {
      const [a, b] = it.c.ci;
      g1.append(s("line", { x1: x(a), x2: x(b), y1: y, y2: y, class: "whisker" }));
      g1.append(s("line", { x1: x(a), x2: x(a), y1: y - 5, y2: y + 5, class: "whisker" }));
      g1.append(s("line", { x1: x(b), x2: x(b), y1: y - 5, y2: y + 5, class: "whisker" }));
    }
    if (typeof it.c.value === "number") {
      const cx = x(it.c.value);
      g1.append(it.pooled
        ? s("path", { d: `M${cx} ${y - 6}L${cx + 6} ${y}L${cx} ${y + 6}L${cx - 6} ${y}Z`, class: "dot" })
        : s("circle", { cx, cy: y, r: 5, class: "dot" }));
      const ci = it.c.ci ? ` [${fmt(it.c.ci[0])}, ${fmt(it.c.ci[1])}]` : "";
      g1.append(s("title", {}, `${it.label}: ${fmt(it.c.value)}${ci}`));
    }
    svg.append(g1);
  });
  return svg;
}
