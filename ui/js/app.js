// app.js: the UI's entry point: sign in with a token, who the user is and
// which roles they hold (for the navigation), the hash router, sign out.
import { api, ApiError, clearToken, getToken, setToken, setUnauthorizedHandler } from "./api.js";
import { clear, h, note } from "./dom.js";
import { benchmarkDetail, benchmarkList } from "./benchmarks.js";
import { leaderboardPage } from "./leaderboard.js";
import { associationsPage } from "./associations.js";
import { pendingBenchmarksPage } from "./admin.js";
import { containerDetail, containerList, datasetDetail, datasetList, modelDetail, modelList,
  myResultsPage } from "./catalog.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const status = document.getElementById("status");

// The signed-in session: {me, roles: {admin, benchmarkOwner, datasetOwner, modelOwner}}.
let session = null;
// A message for the status line once the next page is shown.
let nextStatus = null;

export function say(text, kind = "info") {
  clear(status, text ? note(text, kind) : null);
}

// The claims of a JWT (no verification: only to explain an expired token).
function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch (e) {
    return null;
  }
}

function tokenProblem(token, err) {
  const c = claims(token);
  if (!c) return "This is not a token: paste the whole access token (three parts separated by dots).";
  if (typeof c.exp === "number" && c.exp * 1000 < Date.now()) {
    return `This token expired on ${new Date(c.exp * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC. Ask for a new one.`;
  }
  return `The server refused this token: ${err.detail}`;
}

async function count(path, token) {
  try {
    return (await api(`${path}?limit=1`, { token })).count;
  } catch (e) {
    return 0;
  }
}

async function loadSession(token) {
  const me = await api("/me/", { token });
  const admin = await api("/users/?limit=1", { token }).then(() => true, () => false);
  const [b, d, m] = await Promise.all([count("/me/benchmarks/", token),
    count("/me/datasets/", token), count("/me/models/", token)]);
  return { me, roles: { admin, benchmarkOwner: b > 0, datasetOwner: d > 0, modelOwner: m > 0 } };
}

function renderNav() {
  if (!session) {
    clear(nav);
    return;
  }
  const r = session.roles;
  const items = [["#/benchmarks", "Benchmarks"], ["#/models", "Models"], ["#/containers", "Containers"],
    ["#/datasets", "Datasets"]];
  if (r.datasetOwner) items.push(["#/results", "My results"]);
  if (r.benchmarkOwner || r.datasetOwner || r.modelOwner || r.admin) items.push(["#/associations", "My associations"]);
  if (r.admin) items.push(["#/admin/benchmarks", "Pending benchmarks"]);
  const here = location.hash || "#/benchmarks";
  const roleText = [r.admin && "admin", r.benchmarkOwner && "benchmark owner",
    r.datasetOwner && "data owner", r.modelOwner && "model owner"].filter(Boolean).join(", ");
  clear(nav,
    h("ul", {}, items.map(([href, text]) => h("li", {},
      h("a", { href, "aria-current": here.startsWith(href) ? "page" : null }, text)))),
    h("span", { class: "who" }, session.me.email || session.me.username,
      roleText ? h("span", { class: "roles" }, ` (${roleText})`) : null),
    h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"));
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;   // the hashchange event routes
}

function signOut() {
  clearToken();
  session = null;
  nextStatus = "You are signed out. The token was removed from this tab.";
  go("#/signin");
}

function signInPage(message) {
  const input = h("textarea", { id: "token", name: "token", rows: 4, required: true,
    autocomplete: "off", spellcheck: "false", "aria-describedby": "token-help" });
  const err = h("div", { id: "signin-error", "aria-live": "assertive" });
  const form = h("form", { class: "card signin", novalidate: true },
    h("h1", { tabindex: -1 }, "Sign in"),
    h("label", { for: "token" }, "Access token"),
    input,
    h("p", { id: "token-help", class: "help" },
      "Paste the token you were given (for example by `medperf-server token create`). ",
      "It is kept only in this tab and forgotten when the tab closes."),
    err,
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) {
      clear(err, note("Paste a token first.", "error"));
      input.focus();
      return;
    }
    try {
      session = await loadSession(token);
    } catch (e) {
      const text = e instanceof ApiError && e.status === 401 ? tokenProblem(token, e) : e.message;
      clear(err, note(text, "error"));
      input.focus();
      return;
    }
    setToken(token);
    go(location.hash && location.hash !== "#/signin" ? location.hash : "#/benchmarks");
  });
  current++;              // a page still loading must not replace the form
  clear(main, form);
  if (message) clear(err, note(message, "error"));
  input.focus();
}

const routes = [
  [/^#\/benchmarks\/(\d+)\/leaderboard$/, (m, view) => leaderboardPage(view, session, Number(m[1]))],
  [/^#\/benchmarks\/(\d+)$/, (m, view) => benchmarkDetail(view, session, Number(m[1]))],
  [/^#\/(benchmarks|signin)?$/, (m, view) => benchmarkList(view, session)],
  [/^#\/models\/(\d+)$/, (m, view) => modelDetail(view, session, Number(m[1]))],
  [/^#\/models$/, (m, view) => modelList(view, session)],
  [/^#\/containers\/(\d+)$/, (m, view) => containerDetail(view, session, Number(m[1]))],
  [/^#\/containers$/, (m, view) => containerList(view, session)],
  [/^#\/datasets\/(\d+)$/, (m, view) => datasetDetail(view, session, Number(m[1]))],
  [/^#\/datasets$/, (m, view) => datasetList(view, session)],
  [/^#\/results$/, (m, view) => myResultsPage(view, session)],
  [/^#\/associations$/, (m, view) => associationsPage(view, session, say)],
  [/^#\/admin\/benchmarks$/, (m, view) => pendingBenchmarksPage(view, session, say)],
];

// Each page renders into a view of its own inside main: when the user moves
// on before a page has loaded, the late page writes into its detached view
// and never over the newer one.
let current = 0;

async function route() {
  const my = ++current;
  const hash = location.hash || "#/benchmarks";
  say(nextStatus || "");
  nextStatus = null;
  if (!session) {
    signInPage();
    renderNav();
    return;
  }
  renderNav();
  const view = h("div", { class: "view" }, h("p", { class: "loading" }, "Loading…"));
  clear(main, view);
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      try {
        await fn(m, view);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) {
          clear(view, h("h1", { tabindex: -1 }, "Something went wrong"), note(e.message, "error"));
        }
      }
      const h1 = view.querySelector("h1");
      if (h1 && my === current) h1.focus();
      return;
    }
  }
  clear(view, h("h1", { tabindex: -1 }, "Not found"), note("There is no such page here."));
}

setUnauthorizedHandler((detail) => {
  clearToken();
  session = null;
  renderNav();
  signInPage(`You were signed out: the server no longer accepts your token (${detail}).`);
});

async function start() {
  const token = getToken();
  if (token) {
    try {
      session = await loadSession(token);
    } catch (e) {
      clearToken();
      session = null;
      window.addEventListener("hashchange", route);
      signInPage(e instanceof ApiError && e.status === 401 ? tokenProblem(token, e) : e.message);
      return;
    }
  }
  window.addEventListener("hashchange", route);
  route();
}

start();
