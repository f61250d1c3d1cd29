// leaderboard.js: a benchmark's leaderboard page (GET /benchmarks/{id}/leaderboard/):
// per metric, a table of models by sites (value and confidence interval) with
// a pooled column (case-weighted mean of the sites' values, when every site
// gives its case count), and a chart of the same numbers; one metric at a time.
import { api, ApiError, memo } from "./api.js";
import { clear, h, link, note, table, when } from "./dom.js";
import { fmt, grid } from "./metrics.js";
import { metricChart } from "./chart.js";

function cellText(c) {
  if (!c) return h("span", { class: "none", "aria-label": "no result" }, "—");
  const ci = c.ci ? h("span", { class: "ci" }, ` [${fmt(c.ci[0])}, ${fmt(c.ci[1])}]`) : null;
  const n = Number.isInteger(c.cases) ? h("span", { class: "n" }, ` n=${c.cases}`) : null;
  return h("span", { class: "val" }, fmt(c.value), ci, n);
}

export async function leaderboardPage(main, session, id) {
  let b;
  let lb;
  try {
    b = await api(`/benchmarks/${id}/`);
    lb = await api(`/benchmarks/${id}/leaderboard/`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      clear(main, h("h1", { tabindex: -1 }, "Leaderboard"),
        note(e.status === 403
          ? "Only the benchmark's committee (its owner) and admins may see its results."
          : "There is no such benchmark.", "error"));
      return;
    }
    throw e;
  }
  const get = memo();
  const g = grid(lb.rows);
  const modelName = new Map();
  const dataName = new Map();
  await Promise.all([
    ...g.models.map(async (m) => {
      const o = await get(`/models/${m}/`);
      modelName.set(m, o ? `${o.name}${m === b.reference_model ? " (reference)" : ""}` : `model ${m}`);
    }),
    ...g.datasets.map(async (d) => {
      const o = await get(`/datasets/${d}/`);
      dataName.set(d, o ? o.name : `dataset ${d}`);
    }),
  ]);
  const names = { models: (m) => modelName.get(m), datasets: (d) => dataName.get(d) };
  const sections = g.metrics.map((metric) => {
    const headers = ["Model", ...g.datasets.map((d) => names.datasets(d)), "Pooled (case-weighted)"];
    const rows = g.models.map((m) => [
      names.models(m),
      ...g.datasets.map((d) => cellText(g.cell(m, d, metric))),
      h("span", { class: "val pooled" }, fmt(g.pooled(m, metric))),
    ]);
    const slug = `metric-${g.metrics.indexOf(metric)}`;
    return h("section", { class: "metric", "aria-labelledby": slug },
      h("h2", { id: slug }, metric),
      table(`${metric}: models by site, with confidence intervals where the evaluator gave them`, headers, rows),
      h("figure", {}, metricChart(g, metric, names),
        h("figcaption", {}, `${metric}: dots are sites, diamonds the pooled value; lines are confidence intervals.`)));
  });
  // one metric at a time (the first by default), or all of them
  const picker = h("select", { id: "metric", name: "metric" },
    g.metrics.map((m, i) => h("option", { value: String(i) }, m)),
    h("option", { value: "all" }, "All metrics"));
  const show = () => sections.forEach((sec, i) => {
    sec.hidden = !(picker.value === "all" || picker.value === String(i));
  });
  picker.addEventListener("change", show);
  show();
  const latest = lb.rows.map((r) => r.finalized_at).sort().pop();
  clear(main,
    h("p", { class: "crumbs" }, link("#/benchmarks", "Benchmarks"), " / ",
      link(`#/benchmarks/${b.id}`, b.name), " / Leaderboard"),
    h("h1", { tabindex: -1 }, `Leaderboard: ${b.name}`),
    h("p", { class: "help" },
      `The latest finalized result of each model on each site (${lb.rows.length} result${lb.rows.length === 1 ? "" : "s"}` +
      (latest ? `, the newest finalized ${when(latest)}` : "") + "). " +
      "The pooled column weighs each site's value by its number of cases; it is empty when a site did not report its case count."),
    lb.rows.some((r) => r.partial) ? note("Some results are partial: the model failed on some cases.", "warn") : null,
    lb.rows.length === 0 ? note("No finalized results yet.") : null,
    lb.rows.length && !g.metrics.length ? note("The results hold no metric this page can read.") : null,
    g.metrics.length > 1 ? h("p", { class: "picker" }, h("label", { for: "metric" }, "Metric "), picker) : null,
    sections);
}
