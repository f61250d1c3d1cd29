// browser.mjs: the browser half of tests/ui/test_browser.py: playwright-core
// drives Debian's chromium headless through the web UI of a real server and
// prints what it saw as one JSON object; the Python side decides pass or fail.
//
//   node browser.mjs < config.json
//   config: {url, chromium, shots (folder for screenshots), benchmark and dataset (ids),
//            tokens: {name: token}, bad_tokens: [..], decide: {...}}
import { chromium } from "playwright-core";

const cfg = JSON.parse(await new Promise((resolve) => {
  let s = "";
  process.stdin.on("data", (d) => { s += d; });
  process.stdin.on("end", () => resolve(s));
}));

const out = { csp: [], errors: [], roles: {}, bad_tokens: [], leaderboard: null, decisions: {},
  a11y: [], keyboard: null };
const browser = await chromium.launch({ executablePath: cfg.chromium, headless: true,
  args: ["--no-sandbox", "--disable-gpu"] });

async function newPage(viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  const page = await ctx.newPage();
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) out.csp.push(m.text());
    else if (m.type() === "error" && !/status of 40[134]/.test(m.text())) out.errors.push(m.text());
  });
  page.on("pageerror", (e) => out.errors.push(String(e)));
  return page;
}

async function signIn(page, token) {
  await page.goto(`${cfg.url}/ui/`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function shot(page, name) {
  if (cfg.shots) await page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });
}

async function texts(page, selector) {
  return page.locator(selector).allInnerTexts();
}

// What a screen reader would miss on the page shown: controls without a name,
// tables without a caption, charts without a label. Pushed to out.a11y.
async function a11y(page, where) {
  const problems = await page.evaluate(() => {
    const bad = [];
    const name = (el) => (el.getAttribute("aria-label") || el.innerText || "").trim();
    document.querySelectorAll("button, a[href]").forEach((el) => {
      if (!name(el)) bad.push(`${el.tagName} without a name`);
    });
    document.querySelectorAll("input, select, textarea").forEach((el) => {
      if (!el.labels || el.labels.length === 0) bad.push(`${el.tagName}#${el.id} without a label`);
    });
    document.querySelectorAll("main table").forEach((t) => {
      if (!t.caption || !t.caption.innerText.trim()) bad.push("table without a caption");
    });
    document.querySelectorAll("svg").forEach((g) => {
      if (g.getAttribute("role") !== "img" || !g.getAttribute("aria-label")) bad.push("svg without role and label");
    });
    if (document.querySelectorAll("main h1").length !== 1) bad.push("not exactly one h1");
    return bad;
  });
  for (const p of problems) out.a11y.push(`${where}: ${p}`);
}

// A bad token: the message shown, and that nothing was kept.
for (const tok of cfg.bad_tokens) {
  const page = await newPage();
  await signIn(page, tok);
  const err = page.locator("#signin-error .note");
  await err.waitFor();
  out.bad_tokens.push({ message: await err.innerText(),
    stored: await page.evaluate(() => sessionStorage.length),
    cookies: (await page.context().cookies()).length });
  await page.context().close();
}

// Each role: navigation, benchmarks, the leaderboard link and page.
for (const [name, token] of Object.entries(cfg.tokens)) {
  const page = await newPage();
  await signIn(page, token);
  await page.locator("#nav .who").waitFor();
  await page.locator("main h1", { hasText: "Benchmarks" }).waitFor();
  const r = { nav: await texts(page, "#nav ul a"), who: await page.locator("#nav .who").innerText(),
    benchmarks: await texts(page, "main tbody th a"),
    token_in: await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length,
      cookie: document.cookie })) };
  await shot(page, `${name}-benchmarks`);
  await a11y(page, `${name} benchmarks`);
  await page.goto(`${cfg.url}/ui/#/benchmarks/${cfg.benchmark}`);
  await page.locator("main h2", { hasText: "Containers" }).waitFor();
  r.detail_cards = await texts(page, "main .card h3");
  r.leaderboard_link = await page.getByRole("link", { name: "Leaderboard" }).count();
  await shot(page, `${name}-benchmark`);
  await page.goto(`${cfg.url}/ui/#/benchmarks/${cfg.benchmark}/leaderboard`);
  await page.locator("main h1", { hasText: "Leaderboard" }).waitFor();
  await page.locator("main .loading").waitFor({ state: "detached" });
  r.leaderboard_tables = await page.locator("main table").count();
  r.leaderboard_note = await texts(page, "main .note.error");
  await a11y(page, `${name} leaderboard`);
  out.roles[name] = r;
  if (name === cfg.committee) {
    // one metric shown at first; then all of them, table by table, cell by cell, and the charts
    out.leaderboard_first = { visible: await page.locator("main section.metric:visible").count(),
      picked: await page.getByLabel("Metric").inputValue() };
    await page.getByLabel("Metric").selectOption("all");
    const sections = page.locator("main section.metric");
    out.leaderboard = { metrics: await texts(page, "main section.metric h2"),
      charts: await page.locator("main section.metric svg.chart").count(), tables: [] };
    for (let i = 0; i < await sections.count(); i++) {
      const t = sections.nth(i).locator("table");
      out.leaderboard.tables.push({ head: await t.locator("thead th").allInnerTexts(),
        rows: await t.locator("tbody tr").evaluateAll((trs) =>
          trs.map((tr) => [...tr.children].map((c) => c.innerText.trim()))) });
    }
    await shot(page, "committee-leaderboard");
    const tablet = await newPage({ width: 820, height: 1180 });
    await signIn(tablet, token);
    await tablet.locator("#nav .who").waitFor();
    await tablet.goto(`${cfg.url}/ui/#/benchmarks/${cfg.benchmark}/leaderboard`);
    await tablet.locator("main section.metric").first().waitFor();
    out.tablet_overflow = await tablet.evaluate(() =>
      document.documentElement.scrollWidth > document.documentElement.clientWidth);
    await shot(tablet, "committee-leaderboard-tablet");
    await tablet.context().close();
  }
  // the registry pages, and a hospital's dataset page with its own results
  await page.goto(`${cfg.url}/ui/#/models`);
  await page.locator("main h1", { hasText: "Models" }).waitFor();
  r.models = await texts(page, "main tbody th a");
  await page.goto(`${cfg.url}/ui/#/datasets/${cfg.dataset}`);
  await page.locator("main h2", { hasText: "Statistics" }).waitFor();
  r.dataset_h2 = await texts(page, "main h2");
  await a11y(page, `${name} dataset`);
  r.dataset_results = await page.locator("main table", { has: page.locator("caption",
    { hasText: "Your results on this dataset" }) }).locator("tbody tr").count();
  if (r.nav.includes("My results")) {
    await page.goto(`${cfg.url}/ui/#/results`);
    await page.locator("main h1", { hasText: "My results" }).waitFor();
    await page.locator("main .loading").waitFor({ state: "detached" });
    r.my_results = await page.locator("main tbody tr").count();
    await shot(page, `${name}-results`);
  }
  // sign out: the token is gone and the sign-in form is back
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Access token").waitFor();
  r.after_sign_out = await page.evaluate(() => sessionStorage.length);
  await page.context().close();
}

// Deciding: the committee approves one association and rejects another, the
// admin approves one benchmark and rejects another; the keyboard is enough.
async function decide(token, hash, label, verb) {
  const page = await newPage();
  await signIn(page, token);
  await page.locator("#nav .who").waitFor();
  await page.goto(`${cfg.url}/ui/${hash}`);
  await page.locator("main h1").waitFor();
  const button = page.getByRole("button", { name: `${verb} ${label}` });
  await button.waitFor();
  await button.focus();
  await page.keyboard.press("Enter");
  await page.locator("#status .note", { hasText: label }).waitFor();
  const status = await page.locator("#status .note").innerText();
  const left = await page.getByRole("button", { name: `${verb} ${label}` }).count();
  await shot(page, `decide-${verb}-${label.replace(/[^A-Za-z0-9]+/g, "-")}`);
  await a11y(page, `${hash} after ${verb}`);
  await page.context().close();
  return { status, left };
}

// The keyboard alone: sign in, reach the navigation, open a benchmark.
{
  const page = await newPage();
  await page.goto(`${cfg.url}/ui/`);
  await page.getByLabel("Access token").waitFor();
  const k = { start: await page.evaluate(() => document.activeElement.id) };
  await page.keyboard.insertText(cfg.tokens[cfg.committee]);
  await page.keyboard.press("Tab");
  k.tab_to = await page.evaluate(() => document.activeElement.innerText);
  await page.keyboard.press("Enter");
  await page.locator("main h1", { hasText: "Benchmarks" }).waitFor();
  k.focus_after = await page.evaluate(() => document.activeElement.tagName);
  await page.keyboard.press("Shift+Tab");
  k.back_to = await page.evaluate(() => document.activeElement.innerText);
  await page.keyboard.press("Tab");
  k.first_link = await page.evaluate(() => document.activeElement.innerText);
  await page.keyboard.press("Enter");
  await page.locator("main h2", { hasText: "Containers" }).waitFor();
  k.opened = await page.locator("main h1").innerText();
  k.focus_opened = await page.evaluate(() => document.activeElement.tagName);
  out.keyboard = k;
  await page.context().close();
}

for (const d of cfg.decide) {
  out.decisions[`${d.verb} ${d.label}`] = await decide(cfg.tokens[d.who], d.hash, d.label, d.verb);
}

await browser.close();
console.log(JSON.stringify(out));
