// benchmarks.js: the benchmarks list and a benchmark's detail: its three
// containers (preparation, reference model, evaluator), demo data and
// association policy, with a link to the leaderboard for those who may see it.
import { all, api, ApiError } from "./api.js";
import { clear, dl, h, link, note, table, when } from "./dom.js";

function statusBadge(b) {
  return h("span", { class: `badge ${String(b.approval_status).toLowerCase()}` }, b.approval_status);
}

export async function benchmarkList(main, session) {
  const rows = await all("/benchmarks/");
  const mine = rows.filter((b) => b.owner === session.me.id);
  const body = rows.map((b) => [
    link(`#/benchmarks/${b.id}`, b.name),
    b.description || "",
    b.state,
    statusBadge(b),
    b.owner === session.me.id ? "you" : "",
  ]);
  clear(main,
    h("h1", { tabindex: -1 }, "Benchmarks"),
    rows.length ? table(`${rows.length} benchmark${rows.length === 1 ? "" : "s"}` +
      (mine.length ? `, ${mine.length} yours` : ""),
    ["Name", "Description", "State", "Approval", "Owner"], body)
      : note("No benchmarks yet."));
}

async function component(path) {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}

function containerFacts(title, c) {
  if (!c) return h("section", { class: "card" }, h("h3", {}, title), note("Not available."));
  return h("section", { class: "card" }, h("h3", {}, title), dl([
    ["Name", c.name],
    ["Id", String(c.id)],
    ["State", c.state],
    ["Image", c.container_config && c.container_config.image],
    ["Image hash", c.image_hash ? h("code", {}, c.image_hash) : null],
    ["Additional files", c.additional_files_tarball_url || "none"],
  ]));
}

function modelFacts(title, m) {
  if (!m) return h("section", { class: "card" }, h("h3", {}, title), note("Not available."));
  const c = m.container;
  return h("section", { class: "card" }, h("h3", {}, title), dl([
    ["Name", m.name],
    ["Id", String(m.id)],
    ["Type", m.type],
    ["State", m.state],
    ["Image", c && c.container_config && c.container_config.image],
    ["Asset", m.asset ? m.asset.asset_url : null],
  ]));
}

function policy(b) {
  const list = (l) => (Array.isArray(l) && l.length ? l.join(", ") : null);
  const pairs = [
    ["Datasets", b.dataset_auto_approval_mode],
    ["Models", b.model_auto_approval_mode],
  ];
  if ("dataset_auto_approval_allow_list" in b) pairs.push(["Dataset allow list", list(b.dataset_auto_approval_allow_list) || "empty"]);
  if ("model_auto_approval_allow_list" in b) pairs.push(["Model allow list", list(b.model_auto_approval_allow_list) || "empty"]);
  return dl(pairs);
}

export async function benchmarkDetail(main, session, id) {
  const b = await api(`/benchmarks/${id}/`);
  const [prep, ref, evaluator] = await Promise.all([
    component(`/mlcubes/${b.data_preparation_mlcube}/`),
    component(`/models/${b.reference_model}/`),
    component(`/mlcubes/${b.data_evaluator_mlcube}/`),
  ]);
  const mayLead = session.roles.admin || b.owner === session.me.id;
  clear(main,
    h("p", { class: "crumbs" }, link("#/benchmarks", "Benchmarks"), " / ", b.name),
    h("h1", { tabindex: -1 }, b.name, " ", statusBadge(b)),
    b.description ? h("p", {}, b.description) : null,
    mayLead ? h("p", {}, h("a", { href: `#/benchmarks/${b.id}/leaderboard`, class: "button" }, "Leaderboard")) : null,
    dl([
      ["Id", String(b.id)],
      ["State", b.state],
      ["Owner", b.owner === session.me.id ? "you" : `user ${b.owner}`],
      ["Documentation", /^https?:\/\//i.test(b.docs_url || "")
        ? h("a", { href: b.docs_url, rel: "noopener noreferrer" }, b.docs_url) : b.docs_url || null],
      ["Approved", when(b.approved_at)],
      ["Created", when(b.created_at)],
    ]),
    h("h2", {}, "Containers"),
    h("div", { class: "cards" },
      containerFacts("Data preparation", prep),
      modelFacts("Reference model", ref),
      containerFacts("Evaluator", evaluator)),
    h("h2", {}, "Demo data"),
    dl([
      ["Tarball", b.demo_dataset_tarball_url],
      ["Hash", h("code", {}, b.demo_dataset_tarball_hash)],
      ["Generated UID", h("code", {}, b.demo_dataset_generated_uid)],
    ]),
    h("h2", {}, "Association policy"),
    h("p", { class: "help" }, "How requests to join are decided: NEVER (the committee decides each), ALWAYS, or ALLOWLIST (automatic for the listed emails)."),
    policy(b));
}
