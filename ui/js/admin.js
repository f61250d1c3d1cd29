// admin.js: for admins, the benchmarks waiting for approval, with Approve /
// Reject (PUT /benchmarks/{id}/ {"approval_status": ...}).
import { all, api } from "./api.js";
import { clear, h, link, note, table, when } from "./dom.js";

export async function pendingBenchmarksPage(main, session, say) {
  if (!session.roles.admin) {
    clear(main, h("h1", { tabindex: -1 }, "Pending benchmarks"), note("Only admins approve benchmarks.", "error"));
    return;
  }
  const rows = await all("/benchmarks/?approval_status=PENDING");
  const decide = async (b, status) => {
    let text;
    let kind = "info";
    try {
      await api(`/benchmarks/${b.id}/`, { method: "PUT", body: { approval_status: status } });
      text = `${status === "APPROVED" ? "Approved" : "Rejected"} benchmark ${b.name}.`;
    } catch (e) {
      text = `Could not decide benchmark ${b.name}: ${e.message}`;
      kind = "error";
    }
    // the page shows the change first, then the status line says what happened
    await pendingBenchmarksPage(main, session, say);
    say(text, kind);
    const h1 = main.querySelector("h1");
    if (h1) h1.focus();
  };
  const body = rows.map((b) => [
    link(`#/benchmarks/${b.id}`, b.name),
    b.description || "",
    `user ${b.owner}`,
    when(b.created_at),
    h("span", { class: "actions" },
      h("button", { type: "button", "aria-label": `Approve benchmark ${b.name}`, onclick: () => decide(b, "APPROVED") }, "Approve"),
      h("button", { type: "button", class: "secondary", "aria-label": `Reject benchmark ${b.name}`, onclick: () => decide(b, "REJECTED") }, "Reject")),
  ]);
  clear(main,
    h("h1", { tabindex: -1 }, "Pending benchmarks"),
    rows.length ? table(`${rows.length} waiting`, ["Benchmark", "Description", "Owner", "Submitted", "Decision"], body)
      : note("No benchmark is waiting for approval."));
}
