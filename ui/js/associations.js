// associations.js: "My associations": the latest request of every dataset-
// and model-benchmark pair where I own the dataset, the model or the
// benchmark, with Approve / Reject where I am the deciding party (the
// request is pending and I did not make it).
import { all, api, memo } from "./api.js";
import { clear, h, link, note, table, when } from "./dom.js";

// The latest row of each (component, benchmark) pair: greatest created_at, then id.
export function latestPerPair(rows, comp) {
  const best = new Map();
  for (const r of rows) {
    const k = `${r[comp]}|${r.benchmark}`;
    const o = best.get(k);
    if (!o || r.created_at > o.created_at || (r.created_at === o.created_at && r.id > o.id)) best.set(k, r);
  }
  return [...best.values()].sort((a, b) => (a.benchmark - b.benchmark) || (a[comp] - b[comp]));
}

function kindSection(title, kind, rows, session, names, decide) {
  const comp = kind === "datasets" ? "dataset" : "model";
  const body = rows.map((r) => {
    const deciding = r.approval_status === "PENDING" && r.initiated_by !== session.me.id;
    const label = `${names.comp(comp, r[comp])} in ${names.bench(r.benchmark)}`;
    const actions = deciding
      ? h("span", { class: "actions" },
        h("button", { type: "button", "aria-label": `Approve ${label}`,
          onclick: () => decide(kind, r, "APPROVED", label) }, "Approve"),
        h("button", { type: "button", class: "secondary", "aria-label": `Reject ${label}`,
          onclick: () => decide(kind, r, "REJECTED", label) }, "Reject"))
      : r.approval_status === "PENDING" ? "waiting for the other party" : "";
    return [
      names.comp(comp, r[comp]),
      link(`#/benchmarks/${r.benchmark}`, names.bench(r.benchmark)),
      h("span", { class: `badge ${String(r.approval_status).toLowerCase()}` }, r.approval_status),
      r.initiated_by === session.me.id ? "you" : `user ${r.initiated_by}`,
      when(r.created_at),
      actions,
    ];
  });
  return h("section", {},
    h("h2", {}, title),
    rows.length
      ? table(title, [comp === "dataset" ? "Dataset" : "Model", "Benchmark", "Status", "Requested by", "Requested", "Decision"], body)
      : note("None."));
}

export async function associationsPage(main, session, say) {
  const [ds, ms] = await Promise.all([all("/me/datasets/associations/"), all("/me/models/associations/")]);
  const get = memo();
  const dsRows = latestPerPair(ds, "dataset");
  const msRows = latestPerPair(ms, "model");
  const benchName = new Map();
  const compName = new Map();
  const ids = (rows, f) => [...new Set(rows.map((r) => r[f]))];
  await Promise.all([
    ...ids([...dsRows, ...msRows], "benchmark").map(async (b) => {
      const o = await get(`/benchmarks/${b}/`);
      benchName.set(b, o ? o.name : `benchmark ${b}`);
    }),
    ...ids(dsRows, "dataset").map(async (d) => {
      const o = await get(`/datasets/${d}/`);
      compName.set(`dataset|${d}`, o ? o.name : `dataset ${d}`);
    }),
    ...ids(msRows, "model").map(async (m) => {
      const o = await get(`/models/${m}/`);
      compName.set(`model|${m}`, o ? o.name : `model ${m}`);
    }),
  ]);
  const names = {
    bench: (b) => benchName.get(b),
    comp: (kind, id) => compName.get(`${kind}|${id}`),
  };
  const decide = async (kind, r, status, label) => {
    const comp = kind === "datasets" ? r.dataset : r.model;
    let text;
    let tone = "info";
    try {
      await api(`/${kind}/${comp}/benchmarks/${r.benchmark}/`, { method: "PUT", body: { approval_status: status } });
      text = `${status === "APPROVED" ? "Approved" : "Rejected"}: ${label}.`;
    } catch (e) {
      text = `Could not decide ${label}: ${e.message}`;
      tone = "error";
    }
    // the page shows the change first, then the status line says what happened
    await associationsPage(main, session, say);
    say(text, tone);
    const h1 = main.querySelector("h1");
    if (h1) h1.focus();
  };
  clear(main,
    h("h1", { tabindex: -1 }, "My associations"),
    h("p", { class: "help" }, "The latest request of each pair where you own the dataset, the model or the benchmark. You may approve or reject a pending request that someone else made."),
    kindSection("Datasets in benchmarks", "datasets", dsRows, session, names, decide),
    kindSection("Models in benchmarks", "models", msRows, session, names, decide));
}
