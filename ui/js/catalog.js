// catalog.js: the registry pages every signed-in user may read: models,
// containers and datasets (public metadata and the statistics the data owner
// sent), and for the data owner, "My results" and each of their datasets'
// results (the API shows a hospital only its own results).
import { all, api, ApiError, memo } from "./api.js";
import { clear, dl, h, link, note, table, when } from "./dom.js";
import { extractMetrics, caseCount, fmt } from "./metrics.js";
import { latestPerPair } from "./associations.js";

const mine = (session, o) => o.owner === session.me.id;

function json(v) {
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

// A JSON object as a definition list, one line per key (nested values as compact JSON).
function objectFacts(o) {
  const keys = o && typeof o === "object" ? Object.keys(o) : [];
  return keys.length ? dl(keys.map((k) => [k, h("code", {}, json(o[k]))])) : note("None.");
}

function listPage(main, session, title, rows, headers, cells) {
  clear(main,
    h("h1", { tabindex: -1 }, title),
    rows.length
      ? table(`${rows.length} in all` + (rows.some((o) => mine(session, o))
        ? `, ${rows.filter((o) => mine(session, o)).length} yours` : ""), headers, rows.map(cells))
      : note("None yet."));
}

export async function modelList(main, session) {
  const rows = await all("/models/");
  listPage(main, session, "Models", rows, ["Name", "Type", "State", "Owner"], (m) => [
    link(`#/models/${m.id}`, m.name), m.type, m.state, mine(session, m) ? "you" : `user ${m.owner}`]);
}

export async function modelDetail(main, session, id) {
  const m = await api(`/models/${id}/`);
  const c = m.container;
  clear(main,
    h("p", { class: "crumbs" }, link("#/models", "Models"), " / ", m.name),
    h("h1", { tabindex: -1 }, m.name),
    dl([
      ["Id", String(m.id)], ["Type", m.type], ["State", m.state],
      ["Owner", mine(session, m) ? "you" : `user ${m.owner}`], ["Created", when(m.created_at)],
      ["Container", c ? link(`#/containers/${c.id}`, c.name) : null],
      ["Image", c && c.container_config ? c.container_config.image : null],
      ["Asset", m.asset ? `${m.asset.name} (${m.asset.asset_url})` : null],
    ]));
}

export async function containerList(main, session) {
  const rows = await all("/mlcubes/");
  listPage(main, session, "Containers", rows, ["Name", "Image", "State", "Owner"], (c) => [
    link(`#/containers/${c.id}`, c.name), c.container_config ? c.container_config.image : "",
    c.state, mine(session, c) ? "you" : `user ${c.owner}`]);
}

export async function containerDetail(main, session, id) {
  const c = await api(`/mlcubes/${id}/`);
  clear(main,
    h("p", { class: "crumbs" }, link("#/containers", "Containers"), " / ", c.name),
    h("h1", { tabindex: -1 }, c.name),
    dl([
      ["Id", String(c.id)], ["State", c.state],
      ["Owner", mine(session, c) ? "you" : `user ${c.owner}`], ["Created", when(c.created_at)],
      ["Image", c.container_config ? c.container_config.image : null],
      ["Image hash", c.image_hash ? h("code", {}, c.image_hash) : null],
      ["Additional files", c.additional_files_tarball_url || "none"],
    ]),
    h("h2", {}, "Parameters"),
    objectFacts(c.parameters_config));
}

export async function datasetList(main, session) {
  const rows = await all("/datasets/");
  listPage(main, session, "Datasets", rows, ["Name", "Description", "Location", "State", "Owner"], (d) => [
    link(`#/datasets/${d.id}`, d.name), d.description || "", d.location || "", d.state,
    mine(session, d) ? "you" : `user ${d.owner}`]);
}

// Results as a table: benchmark, model, status, and each metric's value [CI].
async function resultsTable(caption, results) {
  const get = memo();
  const names = new Map();
  await Promise.all(results.flatMap((r) => [
    get(`/benchmarks/${r.benchmark}/`).then((o) => names.set(`b${r.benchmark}`, o ? o.name : `benchmark ${r.benchmark}`)),
    get(`/models/${r.model}/`).then((o) => names.set(`m${r.model}`, o ? o.name : `model ${r.model}`)),
    get(`/datasets/${r.dataset}/`).then((o) => names.set(`d${r.dataset}`, o ? o.name : `dataset ${r.dataset}`)),
  ]));
  const rows = results.map((r) => {
    const ms = extractMetrics(r.results);
    const shown = Object.entries(ms).slice(0, 4).map(([k, v]) =>
      `${k} ${fmt(v.value)}${v.ci ? ` [${fmt(v.ci[0])}, ${fmt(v.ci[1])}]` : ""}`);
    const n = caseCount(r.results);
    return [
      link(`#/benchmarks/${r.benchmark}`, names.get(`b${r.benchmark}`)),
      names.get(`m${r.model}`),
      names.get(`d${r.dataset}`),
      r.finalized ? `submitted ${when(r.finalized_at)}` : "not submitted",
      shown.length ? h("ul", { class: "metrics" }, shown.map((t) => h("li", { class: "val" }, t)),
        n !== null ? h("li", { class: "n" }, `n=${n}`) : null) : "—",
    ];
  });
  return table(caption, ["Benchmark", "Model", "Dataset", "Status", "Metrics (first four)"], rows);
}

export async function datasetDetail(main, session, id) {
  const d = await api(`/datasets/${id}/`);
  const own = mine(session, d);
  let assocs = null;
  let results = [];
  if (own) {
    try {
      assocs = latestPerPair(await all(`/datasets/${id}/benchmarks/`), "dataset");
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    results = (await all("/me/results/")).filter((r) => r.dataset === id);
  }
  clear(main,
    h("p", { class: "crumbs" }, link("#/datasets", "Datasets"), " / ", d.name),
    h("h1", { tabindex: -1 }, d.name),
    d.description ? h("p", {}, d.description) : null,
    dl([
      ["Id", String(d.id)], ["State", d.state], ["Location", d.location],
      ["Owner", own ? "you" : `user ${d.owner}`], ["Created", when(d.created_at)],
      ["Preparation container", link(`#/containers/${d.data_preparation_mlcube}`, `container ${d.data_preparation_mlcube}`)],
      ["Prepared before submission", d.submitted_as_prepared ? "yes" : "no"],
    ]),
    h("h2", {}, "Statistics"),
    h("p", { class: "help" }, "What the data owner's statistics task computed and the owner agreed to send."),
    objectFacts(d.generated_metadata),
    own ? [
      h("h2", {}, "Benchmarks"),
      assocs && assocs.length
        ? table("The latest request to each benchmark", ["Benchmark", "Status", "Requested"], assocs.map((a) => [
          link(`#/benchmarks/${a.benchmark}`, `benchmark ${a.benchmark}`), a.approval_status, when(a.created_at)]))
        : note("This dataset has not asked to join a benchmark."),
      h("h2", {}, "Results on this dataset"),
      results.length ? await resultsTable("Your results on this dataset", results) : note("No results yet."),
    ] : null);
}

export async function myResultsPage(main, session) {
  const results = await all("/me/results/");
  clear(main,
    h("h1", { tabindex: -1 }, "My results"),
    h("p", { class: "help" }, "The results of runs on your datasets. Model owners do not see them; the benchmark's committee does once you submit them."),
    results.length ? await resultsTable(`${results.length} result${results.length === 1 ? "" : "s"}`, results)
      : note("No results yet."));
}
