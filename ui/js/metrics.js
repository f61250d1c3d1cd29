// metrics.js: reading metrics out of a result's `results` object (what the
// evaluator wrote), and the leaderboard's pooled column. Pure functions with
// no DOM, so that node can test them (tests/ui/test_metrics_js.py).
//
// Recognised shapes:
//   medperf-metrics classification: metrics.<name>.value (and .ci [lo, hi]), cases
//   medperf-metrics segmentation:   summary.<label>.<metric>.mean, n_cases
//   flat:                           <name>: number  (e.g. {"AUC": 0.84})

const num = (v) => typeof v === "number" && Number.isFinite(v);

function ciOf(v) {
  return Array.isArray(v) && v.length === 2 && num(v[0]) && num(v[1]) ? [v[0], v[1]] : null;
}

// {name: {value, ci}} of one results object (value null when undefined).
export function extractMetrics(results) {
  const out = {};
  if (!results || typeof results !== "object") return out;
  const m = results.metrics;
  if (m && typeof m === "object" && !Array.isArray(m)) {
    for (const [name, v] of Object.entries(m)) {
      if (v && typeof v === "object" && "value" in v) {
        out[name] = { value: num(v.value) ? v.value : null, ci: ciOf(v.ci) };
      } else if (num(v)) {
        out[name] = { value: v, ci: null };
      }
    }
  }
  const s = results.summary;
  if (s && typeof s === "object" && !Array.isArray(s)) {
    for (const [label, per] of Object.entries(s)) {
      if (!per || typeof per !== "object") continue;
      for (const [metric, stats] of Object.entries(per)) {
        if (stats && typeof stats === "object" && "mean" in stats) {
          out[`${label} ${metric}`] = { value: num(stats.mean) ? stats.mean : null, ci: null };
        }
      }
    }
  }
  for (const [name, v] of Object.entries(results)) {
    if (num(v) && !["cases", "n_cases", "ci_level", "threshold", "tolerance_mm"].includes(name)) {
      out[name] = { value: v, ci: null };
    }
  }
  return out;
}

// The number of cases a result was computed on, or null.
export function caseCount(results) {
  if (!results || typeof results !== "object") return null;
  for (const key of ["cases", "n_cases"]) {
    const v = results[key];
    if (Number.isInteger(v) && v >= 0) return v;
  }
  return null;
}

// Case-weighted mean of [{value, cases}] or null when a value or a count is missing.
export function pooled(cells) {
  let sum = 0;
  let n = 0;
  for (const c of cells) {
    if (!c || !num(c.value) || !Number.isInteger(c.cases) || c.cases <= 0) return null;
    sum += c.value * c.cases;
    n += c.cases;
  }
  return n > 0 ? sum / n : null;
}

// The leaderboard's rows ({model, dataset, result, results, ...}) as a grid:
// models, datasets and metric names in first-seen order, and cell lookups.
export function grid(rows) {
  const models = [];
  const datasets = [];
  const metrics = [];
  const cells = new Map();
  for (const r of rows) {
    if (!models.includes(r.model)) models.push(r.model);
    if (!datasets.includes(r.dataset)) datasets.push(r.dataset);
    const ms = extractMetrics(r.results);
    const cases = caseCount(r.results);
    for (const [name, v] of Object.entries(ms)) {
      if (!metrics.includes(name)) metrics.push(name);
      cells.set(`${r.model}|${r.dataset}|${name}`, { ...v, cases, result: r.result });
    }
  }
  const cell = (m, d, name) => cells.get(`${m}|${d}|${name}`) || null;
  const pooledOf = (m, name) => {
    const cs = datasets.map((d) => cell(m, d, name)).filter(Boolean);
    return cs.length ? pooled(cs) : null;
  };
  return { models, datasets, metrics, cell, pooled: pooledOf };
}

export function fmt(v, digits = 3) {
  return num(v) ? v.toFixed(digits) : "—";
}
