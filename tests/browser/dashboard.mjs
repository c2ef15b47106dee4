// Drives the admin dashboard in headless Chromium for the end-to-end test:
//   node dashboard.mjs --url http://127.0.0.1:PORT/ [--token TOKEN] --screenshot OUT.png
//                      [--expect-rule ID]
// Signs in when given a token, waits for the first render, reads what the overview shows,
// drills down from a top rule to its events and from the first of them to its detail, and takes
// a full-page screenshot. Prints one JSON object on stdout with what it read; the C++ test makes
// the assertions. Exits 1 with a message on stderr when a step cannot be done (a timeout, a
// missing element, bad arguments).
//
// It uses the system's Chromium (CHROMIUM, else /usr/bin/chromium) through playwright-core,
// which never downloads a browser.
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const STEP_TIMEOUT_MS = 15000;
// Everything together; a hung browser must not hang the test that runs this (which gives it
// 90 s: this reports first).
const RUN_TIMEOUT_MS = 75000;

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      screenshot: { type: "string" },
      "expect-rule": { type: "string" },
    },
  }).values;
  if (!args.url || !args.screenshot) throw new Error("--url and --screenshot are required");
} catch (e) {
  process.stderr.write(`dashboard.mjs: ${e.message}\n` +
    "usage: node dashboard.mjs --url URL [--token TOKEN] --screenshot OUT.png [--expect-rule ID]\n");
  process.exit(1);
}

const result = {
  load_ms: null,
  login_status: null,
  requests_total: null,
  refused_total: null,
  stages: {},
  top_rules: [],
  top_clients: [],
  upstreams: [],
  config_generation: null,
  reload_result: null,
  filtered: null,
  detail: null,
  console_errors: [],
  csp_violations: [],
  responses: [],
};

function fail(message) {
  throw new Error(message);
}

// Reads the overview in one evaluation, so all values come from the same render.
function readOverview() {
  const text = (testid) => document.querySelector(`[data-testid="${testid}"]`)?.textContent.trim() ?? null;
  const integer = (testid) => {
    const value = text(testid);
    return value === null || value === "" ? null : Number(value);
  };
  const rows = (testid) => [...document.querySelectorAll(`tr[data-testid="${testid}"]`)];
  return {
    requests_total: integer("requests-total"),
    refused_total: integer("refused-total"),
    stages: Object.fromEntries(["waf", "ratelimit", "bots", "schema", "access"].map(
      (stage) => [stage, integer(`stage-count-${stage}`)])),
    top_rules: rows("top-rule").map((r) => ({ id: r.dataset.rule, count: Number(r.dataset.count) })),
    top_clients: rows("top-client").map((r) => ({ client: r.dataset.client, count: Number(r.dataset.count) })),
    top_user_agents: rows("top-user-agent").map((r) => r.querySelector("td")?.textContent ?? ""),
    upstreams: rows("upstream").map((r) => ({ name: r.dataset.name, health: r.dataset.health })),
    config_generation: integer("config-generation"),
    reload_result: text("reload-result"),
  };
}

// True once the events table shows the answer to a query with only `key`=`value` in it.
function filteredOnlyBy([key, value]) {
  const chips = [...document.querySelectorAll('[data-testid="filter-chip"]')];
  const table = document.querySelector('[data-testid="events-table"]');
  if (!table || chips.length !== 1 || chips[0].dataset.key !== key) return false;
  const query = new URLSearchParams(table.dataset.query ?? "");
  return [...query.keys()].length === 1 && query.get(key) === value;
}

// True once the events table shows the answer to a query with `rule` and every row has it.
function filteredByRule(rule) {
  const chip = [...document.querySelectorAll('[data-testid="filter-chip"][data-key="rule"]')]
    .some((c) => c.dataset.value === rule);
  const table = document.querySelector('[data-testid="events-table"]');
  if (!chip || !table || new URLSearchParams(table.dataset.query ?? "").get("rule") !== rule) return false;
  const rows = [...table.querySelectorAll('tr[data-testid="event"]')];
  return rows.every((r) => (r.dataset.rules ?? r.dataset.rule ?? "").split(/\s+/).includes(rule));
}

async function run(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // "Failed to load resource" does not say which; the location does.
    const where = message.location()?.url;
    result.console_errors.push(where ? `${message.text()} (${where})` : message.text());
  });
  page.on("pageerror", (error) => result.console_errors.push(`uncaught: ${error.message}`));
  page.on("response", (response) => {
    const url = new URL(response.url());
    result.responses.push({ method: response.request().method(), path: url.pathname + url.search,
                            status: response.status() });
  });
  page.on("requestfailed", (request) => {
    const url = new URL(request.url());
    result.responses.push({ method: request.method(), path: url.pathname + url.search, status: 0,
                            error: request.failure()?.errorText ?? "failed" });
  });
  // CSP violations are reported to the page as events; the binding carries them out. The load
  // time is taken in the page, from its navigation's start (a sign-in's redirect included) to
  // the moment data-loaded is set, so that it leaves out the driver's own round trips. Both
  // are installed by the browser, outside the page's policy.
  await page.exposeFunction("reportCspViolation", (v) => result.csp_violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                                `(${e.sourceFile || "?"}:${e.lineNumber})`);
    });
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.loaded !== "1") return;
      window.dashboardLoadedMs = Math.round(performance.now());
      observer.disconnect();
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-loaded"] });
  });

  const dashboard = new URL(args.url);
  if (args.token !== undefined) {
    await page.goto(new URL("/login", dashboard).href);
    await page.fill("input[name=token]", args.token);
    const login = page.waitForResponse((r) => new URL(r.url()).pathname === "/login" &&
                                              r.request().method() === "POST");
    await page.press("input[name=token]", "Enter");
    result.login_status = (await login).status();
    if (result.login_status >= 400) fail(`POST /login answered ${result.login_status}`);
    await page.waitForURL((url) => url.pathname === "/", { waitUntil: "commit" })
      .catch(() => fail(`sign-in did not land on / (at ${page.url()}, POST /login answered ` +
                        `${result.login_status})`));
  } else {
    await page.goto(dashboard.href, { waitUntil: "commit" });
  }
  await page.waitForSelector('body[data-loaded="1"]', { state: "attached" })
    .catch(() => fail(`the dashboard did not finish loading within ${STEP_TIMEOUT_MS} ms ` +
                      `(at ${page.url()})`));
  result.load_ms = await page.evaluate(() => window.dashboardLoadedMs ?? null);

  Object.assign(result, await page.evaluate(readOverview));

  if (result.top_rules.length === 0) fail("no top-rule rows to click");
  const rule = args["expect-rule"] ?? result.top_rules[0].id;
  const row = page.locator(`tr[data-testid="top-rule"][data-rule=${JSON.stringify(rule)}]`);
  if ((await row.count()) === 0) {
    fail(`no top-rule row for rule ${rule} (rows: ${result.top_rules.map((r) => r.id).join(", ")})`);
  }
  await row.first().click();
  await page.waitForFunction(filteredByRule, rule)
    .catch(() => fail(`the events table was not filtered by rule ${rule}`));
  const events = await page.$$eval('tr[data-testid="event"]', (rows, wanted) => rows.map((r) => ({
    request_id: r.dataset.requestId,
    matches: (r.dataset.rules ?? r.dataset.rule ?? "").split(/\s+/).includes(wanted),
  })), rule);
  result.filtered = {
    rule,
    count: events.length,
    all_match: events.every((e) => e.matches),
    request_ids: events.map((e) => e.request_id),
  };

  if (events.length === 0) fail(`no event rows for rule ${rule} to open`);
  await page.locator('tr[data-testid="event"]').first().click();
  const detail = page.locator('[data-testid="event-detail"]');
  await detail.waitFor({ state: "visible" }).catch(() => fail("the event detail did not open"));
  result.detail = {
    request_id: (await detail.locator('[data-testid="detail-request-id"]').textContent())?.trim(),
    rules: await detail.locator('[data-testid="detail-rule"]')
      .evaluateAll((items) => items.map((item) => item.dataset.rule)),
  };

  // A fingerprint next: clear the rule, click the most frequent JA4, and read what is left.
  const ja4Rows = page.locator('tr[data-testid="top-ja4"]');
  if ((await ja4Rows.count()) > 0) {
    await page.locator("#filters-clear").click();
    const ja4 = await ja4Rows.first().getAttribute("data-ja4");
    await ja4Rows.first().click();
    await page.waitForFunction(filteredOnlyBy, ["ja4", ja4])
      .catch(() => fail(`the events table was not filtered by JA4 ${ja4}`));
    result.filtered_ja4 = {
      ja4,
      request_ids: await page.$$eval('tr[data-testid="event"]',
                                     (rows) => rows.map((r) => r.dataset.requestId)),
    };
    // Back to the rule's events for the screenshot, with the event still open.
    await page.locator("#filters-clear").click();
    await row.first().click();
    await page.waitForFunction(filteredByRule, rule)
      .catch(() => fail(`the events table was not filtered by rule ${rule} again`));
  }

  await page.screenshot({ path: args.screenshot, fullPage: true });

  // Signing out: back at the form, and the APIs refuse this browser again.
  if (args.token !== undefined) {
    await page.locator("form.signout button").click();
    await page.waitForURL((url) => url.pathname === "/login")
      .catch(() => fail(`signing out did not lead to /login (at ${page.url()})`));
    result.signed_out = {
      path: new URL(page.url()).pathname,
      // With the browser context's cookies (the sign-in page's policy allows no fetch).
      summary_status: (await page.request.get(new URL("/api/summary", dashboard).href)).status(),
    };
  }
  await context.close();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
}).catch((e) => {
  process.stderr.write(`dashboard.mjs: cannot launch Chromium: ${e.message}\n`);
  process.exit(1);
});

const watchdog = setTimeout(() => {
  process.stderr.write(`dashboard.mjs: gave up after ${RUN_TIMEOUT_MS} ms\n`);
  process.exit(1);
}, RUN_TIMEOUT_MS);

let status = 0;
try {
  await run(browser);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  // Playwright's messages carry terminal colours; the test log should not.
  process.stderr.write(`dashboard.mjs: ${e.message.replace(/\x1b\[[0-9;]*m/g, "")}\n`);
  process.stderr.write(`dashboard.mjs: read so far: ${JSON.stringify(result)}\n`);
  status = 1;
} finally {
  clearTimeout(watchdog);
  await browser.close().catch(() => {});
}
process.exit(status);
