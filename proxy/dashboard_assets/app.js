// The security dashboard: polls /api/summary and /api/events and renders them, with a
// drill-down from the overview (a rule, client, JA4, route, stage or action) to the events and
// from an event to everything the proxy logged about it.
//
// Paths, User-Agents, matched data and most other strings shown here were chosen by whoever
// sent the request, so the page is built with createElement and textContent only, never from
// HTML text. The page runs under a CSP without 'unsafe-inline': no inline handlers or style
// attributes; widths are set through element.style, which the CSP allows.
"use strict";

const POLL_MS = 5000;
const TOP_ROWS = 10;
const EVENT_LIMIT = 200;
// The drill-down filters /api/events understands, in the order their chips are shown.
const FILTER_KEYS = ["rule", "client", "ja4", "route", "stage", "action"];

const STAGES = [
  ["waf", "WAF"], ["bots", "Bots"], ["ratelimit", "Rate limiter"], ["schema", "Schema"],
  ["access", "Access"], ["other", "Other"],
];
const ACTIONS = [
  ["block", "Block"], ["challenge", "Challenge"], ["rate_limit", "Rate limit"],
  ["detect", "Detect only"],
];
const BOT_CLASSES = [
  ["human", "Human"], ["verified_bot", "Verified bot"], ["automation", "Automation"],
  ["malicious", "Malicious"],
];

const state = {
  paused: false,
  timer: 0,
  summary: null,
  filters: new Map(),
  selectedId: "",  // request_id of the event in the detail panel
  eventsSeq: 0,    // an answer to an older filter must not overwrite a newer one
  errors: new Map(),  // endpoint -> why its last fetch failed
  renders: 0,
  summaryShown: false,
  eventsShown: false,
};

// ---- DOM helpers ------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

// The one way nodes are made: text goes in through textContent or text nodes (append()).
// `data` fills dataset (requestId -> data-request-id); other keys are fixed attribute names.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "title") node.title = value;
    else if (key === "data") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

// Rows and bars that act on click also act on Enter and Space, for keyboard users.
function activatable(node, action) {
  node.tabIndex = 0;
  node.classList.add("clickable");
  node.addEventListener("click", action);
  node.addEventListener("keydown", (e) => {
    if (e.target !== node || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    action();
  });
}

function emptyRow(columns, text) {
  return el("tr", { class: "empty" }, el("td", { colspan: columns, text }));
}

function badge(kind, value, text = value) {
  return el("span", { class: `badge ${kind}-${value || "none"}`, text: text || "–" });
}

// ---- formatting -------------------------------------------------------------------------------

const pad = (n, width = 2) => String(n).padStart(width, "0");

function clock(date, withSeconds = true) {
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(date.getSeconds())}` : hm;
}

const clockOfUnix = (seconds, withSeconds) => clock(new Date(seconds * 1000), withSeconds);

function duration(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function rate(perSecond) {
  if (!Number.isFinite(perSecond)) return "–";
  if (perSecond >= 100) return perSecond.toFixed(0);
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

// IPv6 addresses are bracketed before a port, as in a URL.
const hostPort = (ip, port) => (String(ip).includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

const milliseconds = (ms) => (ms === null || ms === undefined ? "–" : ms.toFixed(ms < 10 ? 2 : 1));

// Top-K counts come from a Space-Saving sketch and may overstate by up to `error`.
function countCell(row, max) {
  const meter = el("span", { class: "meter" }, el("span", { class: "meter-fill" }));
  meter.firstChild.style.width = `${max > 0 ? (100 * row.count) / max : 0}%`;
  const text = row.error > 0 ? `≈${row.count}` : String(row.count);
  const title = row.error > 0 ? `may overstate by up to ${row.error}` : null;
  return el("td", { class: "num" }, el("div", { class: "count" }, meter, el("span", { text, title })));
}

// ---- fetching ---------------------------------------------------------------------------------

class Unauthorized extends Error {}

async function getJson(url) {
  const endpoint = url.split("?")[0];
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  } catch (e) {
    throw new Error(`${endpoint}: ${e.message}`);
  }
  if (response.status === 401) {
    location.href = "/login";
    throw new Unauthorized("not signed in");
  }
  if (!response.ok) throw new Error(`${endpoint}: HTTP ${response.status}`);
  return response.json();
}

async function loadSummary() {
  try {
    const summary = await getJson("/api/summary");
    state.summary = summary;
    state.errors.delete("summary");
    renderSummary(summary);
    state.summaryShown = true;
    rendered();
  } catch (e) {
    if (!(e instanceof Unauthorized)) state.errors.set("summary", e.message);
    throw e;
  }
}

function eventsQuery() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filters.has(key)) params.set(key, state.filters.get(key));
  return params.toString();
}

async function loadEvents() {
  const seq = ++state.eventsSeq;
  const query = eventsQuery();
  try {
    const answer = await getJson(`/api/events?limit=${EVENT_LIMIT}${query ? `&${query}` : ""}`);
    if (seq !== state.eventsSeq) return;
    state.errors.delete("events");
    renderEvents(Array.isArray(answer.events) ? answer.events : [], query);
    state.eventsShown = true;
    rendered();
  } catch (e) {
    if (!(e instanceof Unauthorized) && seq === state.eventsSeq) state.errors.set("events", e.message);
    throw e;
  }
}

// At most one timer is pending: every refresh replaces it when it ends, so pausing, resuming
// and changing filters never start a second polling loop.
function schedule(delayMs) {
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, delayMs);
}

async function refresh() {
  const results = await Promise.allSettled([loadSummary(), loadEvents()]);
  if (results.some((r) => r.reason instanceof Unauthorized)) return;
  showStatus();
  if (!state.paused) schedule(POLL_MS);
}

function rendered() {
  state.renders += 1;
  document.body.dataset.updated = String(state.renders);
  if (state.summaryShown && state.eventsShown) document.body.dataset.loaded = "1";
}

// The banner and the live indicator. A failed fetch keeps what was shown before.
function showStatus() {
  const banner = $("banner");
  if (state.errors.size > 0) {
    const asOf = state.summary ? ` Showing data as of ${clockOfUnix(state.summary.now)}.` : "";
    banner.textContent = `Could not update: ${[...state.errors.values()].join("; ")}.${asOf}`;
  }
  banner.hidden = state.errors.size === 0;

  const live = $("live");
  const updated = state.summary ? `updated ${clockOfUnix(state.summary.now)}` : "no data yet";
  if (state.paused) {
    live.dataset.state = "paused";
    $("live-text").textContent = `paused · ${updated}`;
  } else if (state.errors.size > 0) {
    live.dataset.state = "stale";
    $("live-text").textContent = `stale · ${updated}`;
  } else {
    live.dataset.state = "live";
    $("live-text").textContent = `live · ${updated}`;
  }
  $("pause").textContent = state.paused ? "Resume" : "Pause";
}

// ---- summary ----------------------------------------------------------------------------------

// The newest bucket is still filling: it has covered (now mod width) + 1 seconds, not `width`.
// Dividing it by the full width would show a dip at the right edge of every chart.
function bucketSeconds(summary, index, length) {
  const width = summary.bucket_seconds || 5;
  return index === length - 1 ? Math.min(width, (summary.now % width) + 1) : width;
}

function perSecond(summary, series) {
  return series.map((n, i) => n / bucketSeconds(summary, i, series.length));
}

// Mean over the last minute: the last 60 s worth of buckets, the partial one included.
function lastMinuteRate(summary, series) {
  const count = Math.max(1, Math.round(60 / (summary.bucket_seconds || 5)));
  const start = Math.max(0, series.length - count);
  let total = 0;
  let seconds = 0;
  for (let i = start; i < series.length; i++) {
    total += series[i];
    seconds += bucketSeconds(summary, i, series.length);
  }
  return seconds > 0 ? total / seconds : NaN;
}

function renderSummary(s) {
  const totals = s.totals ?? {};
  const requests = s.requests ?? [];
  const refused = s.refused ?? [];
  for (const label of document.querySelectorAll(".window-label")) {
    label.textContent = `last ${duration(s.window_seconds ?? 600)}`;
  }
  $("rate-requests").textContent = rate(lastMinuteRate(s, requests));
  $("rate-refused").textContent = rate(lastMinuteRate(s, refused));
  $("requests-total").textContent = String(totals.requests ?? 0);
  $("refused-total").textContent = String(totals.refused ?? 0);
  $("flagged-total").textContent = String(totals.flagged ?? 0);
  $("refusal-rate").textContent =
    totals.requests > 0 ? `${((100 * totals.refused) / totals.requests).toFixed(1)}%` : "–";

  chart.update(s, perSecond(s, requests), perSecond(s, refused));

  renderBars($("stages"), STAGES, s.refused_by_stage ?? {}, { testid: "stage-count-", filter: "stage" });
  renderBars($("actions"), ACTIONS, s.actions ?? {}, { filter: "action" });
  renderBars($("bot-classes"), BOT_CLASSES, s.bot_classes ?? {}, {});

  const windowText = `nothing in the last ${duration(s.window_seconds ?? 600)}`;
  renderTop($("top-rules"), s.top_rules, windowText, (r) => ({
    testid: "top-rule", data: { rule: r.id, stage: r.stage }, filter: ["rule", r.id],
    cells: [
      el("td", { class: "mono", text: r.id, title: r.id }),
      el("td", {}, badge("stage", r.stage)),
      el("td", { class: "ellipsis", text: r.message, title: r.message }),
    ],
  }));
  renderTop($("top-clients"), s.top_clients, windowText, (r) => ({
    testid: "top-client", data: { client: r.client }, filter: ["client", r.client],
    cells: [el("td", { class: "mono ellipsis", text: r.client, title: r.client })],
  }));
  renderTop($("top-ja4"), s.top_ja4, windowText, (r) => ({
    testid: "top-ja4", data: { ja4: r.ja4 }, filter: ["ja4", r.ja4],
    cells: [el("td", { class: "mono ellipsis", text: r.ja4, title: r.ja4 })],
  }));
  renderTop($("top-user-agents"), s.top_user_agents, windowText, (r) => ({
    testid: "top-user-agent", data: {},
    cells: [el("td", { class: "ellipsis", text: r.user_agent || "(none)", title: r.user_agent })],
  }));
  renderTop($("top-routes"), s.top_routes, windowText, (r) => ({
    testid: "top-route", data: { route: r.route }, filter: ["route", r.route],
    cells: [el("td", { class: "ellipsis", text: r.route, title: r.route })],
  }));
  renderTop($("limited-keys"), s.rate_limited_keys, windowText, (r) => ({
    testid: "limited-key", data: { key: r.key },
    cells: [el("td", { class: "mono ellipsis", text: r.key, title: r.key })],
  }));
  renderUpstreams(s.upstreams ?? []);
  renderConfig(s.config ?? {});
  markActiveFilters();
}

// A compact bar list; the bars show each entry's share of the list's total.
function renderBars(list, entries, counts, { testid, filter }) {
  const total = entries.reduce((sum, [key]) => sum + (counts[key] ?? 0), 0);
  list.replaceChildren(...entries.map(([key, label]) => {
    const count = counts[key] ?? 0;
    const fill = el("span", { class: "bar-fill" });
    fill.style.width = `${total > 0 ? (100 * count) / total : 0}%`;
    const item = el("li", { data: { kind: key } },
      el("span", { class: "bar-label", text: label }),
      el("span", { class: "bar-track" }, fill),
      el("span", { class: "bar-count", text: String(count), data: testid ? { testid: testid + key } : {} }));
    if (filter && key !== "other") {
      Object.assign(item.dataset, { filterKey: filter, filterValue: key });
      item.title = `show only events with ${filter} ${key}`;
      activatable(item, () => setFilter(filter, key));
    }
    return item;
  }));
}

// `describe` gives a row's test id, data attributes, leading cells and optional [key, value]
// drill-down filter; the count cell is added here.
function renderTop(tbody, rows, emptyText, describe) {
  rows = (rows ?? []).slice(0, TOP_ROWS);
  const columns = tbody.closest("table").querySelectorAll("thead th").length;
  if (rows.length === 0) {
    tbody.replaceChildren(emptyRow(columns, emptyText));
    return;
  }
  const max = Math.max(...rows.map((r) => r.count));
  tbody.replaceChildren(...rows.map((row) => {
    const { testid, data, filter, cells } = describe(row);
    const tr = el("tr", { data: { testid, ...data, count: String(row.count) } }, ...cells, countCell(row, max));
    const [key, value] = filter ?? [];
    if (value) {
      Object.assign(tr.dataset, { filterKey: key, filterValue: value });
      activatable(tr, () => setFilter(key, value));
    }
    return tr;
  }));
}

function renderUpstreams(upstreams) {
  const tbody = $("upstreams");
  if (upstreams.length === 0) {
    tbody.replaceChildren(emptyRow(10, "no upstreams configured"));
    return;
  }
  tbody.replaceChildren(...upstreams.map((u) => {
    const kinds = Object.entries(u.error_kinds ?? {}).filter(([, n]) => n > 0);
    const errors = el("td", { class: u.errors > 0 ? "num bad" : "num", text: String(u.errors ?? 0) });
    if (kinds.length > 0) {
      errors.append(el("span", { class: "kinds", text: kinds.map(([k, n]) => `${k} ${n}`).join(", ") }));
    }
    return el("tr", { data: { testid: "upstream", name: u.name, health: u.health } },
      el("td", { class: "ellipsis", text: u.name, title: u.name }),
      el("td", {}, badge("health", u.health)),
      el("td", { class: "num", text: String(u.requests ?? 0) }),
      errors,
      el("td", { class: "num", text: milliseconds(u.p50_ms) }),
      el("td", { class: "num", text: milliseconds(u.p90_ms) }),
      el("td", { class: "num", text: milliseconds(u.p99_ms) }),
      el("td", { class: "num", text: u.concurrency_limit > 0 ? String(u.concurrency_limit) : "none" }),
      el("td", { class: u.shed > 0 ? "num bad" : "num", text: String(u.shed ?? 0) }),
      el("td", { class: "num muted", text: u.window_seconds ? duration(u.window_seconds) : "–" }));
  }));
}

function renderConfig(config) {
  $("config-generation").textContent = String(config.generation ?? "–");
  const hash = $("config-hash");
  hash.textContent = (config.hash ?? "").slice(0, 8);
  hash.title = [config.hash, config.source].filter(Boolean).join("\n");

  const reload = config.last_reload ?? {};
  const failed = reload.result === "failure";
  $("reload").classList.toggle("failed", failed);
  $("reload-result").textContent = reload.result ?? "none";
  const detail = [reload.trigger];
  if (reload.time) detail.push(clockOfUnix(reload.time));
  if (reload.result === "success" && reload.changed === false) detail.push("unchanged");
  const warnings = reload.warnings ?? [];
  if (warnings.length > 0) detail.push(`${warnings.length} warning${warnings.length > 1 ? "s" : ""}`);
  $("reload-detail").textContent = detail.filter(Boolean).join(" · ");
  $("reload-detail").title = warnings.join("\n");
  const error = $("reload-error");
  error.hidden = !failed;
  error.textContent = failed ? reload.error ?? "" : "";
  error.title = error.textContent;
}

// ---- chart ------------------------------------------------------------------------------------

// A line chart of two per-second series over the summary's buckets, drawn as SVG sized to its
// container (so text is never stretched) and redrawn when the container is resized. The SVG is
// positioned out of the flow (app.css) so that it never holds its container at an old size.
const chart = {
  minHeight: 220,
  margin: { top: 12, right: 14, bottom: 24, left: 46 },
  data: null,

  update(summary, requests, refused) {
    const width = summary.bucket_seconds || 5;
    const newest = Math.floor(summary.now / width) * width;
    const times = requests.map((_, i) => newest - (requests.length - 1 - i) * width);
    this.data = { times, width, series: [["requests", requests], ["refused", refused]] };
    this.draw();
  },

  draw() {
    const box = $("chart");
    if (!this.data || this.data.times.length < 2) return;
    const { times, series } = this.data;
    const m = this.margin;
    const width = Math.max(320, box.clientWidth);
    const height = Math.max(this.minHeight, box.clientHeight);
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    const peak = Math.max(0, ...series.flatMap(([, values]) => values));
    const step = niceStep(peak > 0 ? peak : 1, 4);
    const yMax = Math.max(step, Math.ceil(peak / step) * step);
    const x = (i) => m.left + (i * plotW) / (times.length - 1);
    const y = (v) => m.top + plotH - (v / yMax) * plotH;

    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`,
                              role: "img", "aria-label": "requests and refusals per second" });
    for (let k = 0; k <= Math.round(yMax / step); k++) {
      const v = k * step;
      root.append(svg("line", { class: "grid", x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
      const label = svg("text", { class: "axis", x: m.left - 6, y: y(v) + 4, "text-anchor": "end" });
      label.textContent = String(Number(v.toPrecision(6)));  // 0.30000000000000004 -> 0.3
      root.append(label);
    }
    // Time labels on round clock times, as dense as the width allows (~90 px apart).
    const span = times[times.length - 1] - times[0];
    const every = [60, 120, 300, 600].find((s) => (plotW * s) / span >= 90) ?? 600;
    times.forEach((t, i) => {
      if (t % every !== 0) return;
      root.append(svg("line", { class: "tick", x1: x(i), x2: x(i), y1: m.top + plotH, y2: m.top + plotH + 4 }));
      const label = svg("text", { class: "axis", x: x(i), y: height - 6, "text-anchor": "middle" });
      label.textContent = clockOfUnix(t, false);
      root.append(label);
    });
    for (const [name, values] of series) {
      const line = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join("");
      const area = `${line}L${x(values.length - 1).toFixed(1)},${y(0)}L${x(0)},${y(0)}Z`;
      root.append(svg("path", { class: `area ${name}`, d: area }), svg("path", { class: `line ${name}`, d: line }));
    }
    const guide = svg("line", { class: "guide", y1: m.top, y2: m.top + plotH, visibility: "hidden" });
    const overlay = svg("rect", { class: "overlay", x: m.left, y: m.top, width: plotW, height: plotH });
    overlay.addEventListener("mousemove", (e) => {
      const rect = root.getBoundingClientRect();
      const i = Math.round(((e.clientX - rect.left - m.left) / plotW) * (times.length - 1));
      const at = Math.min(times.length - 1, Math.max(0, i));
      guide.setAttribute("x1", x(at));
      guide.setAttribute("x2", x(at));
      guide.setAttribute("visibility", "visible");
      const [[, req], [, ref]] = series;
      $("chart-readout").textContent =
        `${clockOfUnix(times[at])}: ${rate(req[at])} requests/s, ${rate(ref[at])} refused/s`;
    });
    overlay.addEventListener("mouseleave", () => {
      guide.setAttribute("visibility", "hidden");
      $("chart-readout").textContent = "";
    });
    root.append(guide, overlay);
    box.replaceChildren(root);
  },
};

// The step of 1, 2 or 5 times a power of ten that divides [0, max] into about `count` parts.
function niceStep(max, count) {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  return (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
}

// ---- events and filters -----------------------------------------------------------------------

function renderEvents(events, query) {
  const tbody = $("events");
  tbody.dataset.query = query;
  $("events-count").textContent = events.length ? `${events.length}, newest first` : "";
  if (events.length === 0) {
    tbody.replaceChildren(emptyRow(8, query ? "no recent event matches the filters" : "no security events yet"));
    return;
  }
  tbody.replaceChildren(...events.slice().reverse().map(eventRow));
}

function ruleIds(event) {
  return (event.rules ?? []).map((r) => r.id ?? "").filter(Boolean);
}

function eventRow(event) {
  const rules = event.rules ?? [];
  const ids = ruleIds(event);
  const time = new Date(event.time);
  const request = `${event.method} ${event.host ?? ""}${event.path ?? ""}`;
  const first = rules[0];
  const tr = el("tr", {
    data: {
      testid: "event", requestId: event.request_id ?? "", rule: first?.id ?? "",
      rules: ids.join(" "), client: event.client_ip ?? "",
    },
  },
    el("td", { class: "mono", text: Number.isNaN(time.getTime()) ? "–" : clock(time), title: event.time }),
    el("td", { class: "mono ellipsis", text: event.client_ip, title: hostPort(event.client_ip, event.client_port) }),
    el("td", { class: "ellipsis", title: request },
      el("span", { class: "method", text: event.method }), " ", event.path ?? ""),
    el("td", { class: "ellipsis", text: event.route, title: `${event.route} (policy ${event.policy})` }),
    el("td", {}, badge("stage", event.stage)),
    el("td", {}, badge("action", event.action),
      event.action !== event.would && event.would ? el("span", { class: "would", text: `→${event.would}` }) : null),
    el("td", { class: "num", text: String(event.status ?? "") }),
    el("td", { class: "ellipsis", title: rules.map((r) => `${r.id ?? "-"} ${r.message ?? ""}`).join("\n") },
      first ? el("span", { class: "mono rule-id", text: first.id ?? "–" }) : "–",
      first ? ` ${first.message ?? ""}` : "",
      rules.length > 1 ? el("span", { class: "more", text: ` +${rules.length - 1}` }) : null));
  if (event.request_id === state.selectedId) tr.classList.add("selected");
  activatable(tr, () => showDetail(event));
  return tr;
}

function filterButton(key, value) {
  if (!value) return null;
  const button = el("button", { type: "button", class: "link", text: "filter", title: `show only events with ${key} ${value}` });
  button.addEventListener("click", () => setFilter(key, value));
  return button;
}

function field(label, ...value) {
  return [el("dt", { text: label }), el("dd", {}, ...value)];
}

function showDetail(event) {
  state.selectedId = event.request_id ?? "";
  const rules = event.rules ?? [];
  const fingerprints = Object.entries(event.fingerprints ?? {});
  const signals = (event.bot_signals ?? "").split(",").filter(Boolean);
  const summary = el("dl", { class: "fields" },
    ...field("time", event.time ?? "–"),
    ...field("request id", el("span", { class: "mono", text: event.request_id, data: { testid: "detail-request-id" } })),
    ...field("client", el("span", { class: "mono", text: hostPort(event.client_ip, event.client_port) }), " ",
      filterButton("client", event.client_ip)),
    ...field("host", el("span", { class: "mono", text: event.host })),
    ...field("route", `${event.route} · policy ${event.policy}`, " ", filterButton("route", event.route)),
    ...field("decision", badge("stage", event.stage), " ", badge("action", event.action),
      ` would ${event.would ?? "–"}, status ${event.status ?? "–"}`),
    ...field("anomaly score", String(event.anomaly_score ?? 0)),
    ...field("bot score", `${event.bot_score ?? 0}`, event.bot_class ? " " : "",
      event.bot_class ? badge("bot", event.bot_class) : null),
    ...field("bot signals", signals.length ? el("span", { class: "mono", text: signals.join(", ") }) : "none"),
    ...field("limiter key", el("span", { class: "mono", text: event.limiter_key || "none" })));

  const ruleList = el("ol", { class: "rules" }, ...rules.map((r) => el("li", { data: { testid: "detail-rule", rule: r.id ?? "" } },
    el("div", { class: "rule-head" },
      el("span", { class: "mono rule-id", text: r.id ?? "(no id)" }),
      r.severity ? badge("severity", r.severity.toLowerCase(), r.severity) : null,
      r.stage ? badge("stage", r.stage) : null,
      r.phase !== undefined ? el("span", { class: "muted", text: `phase ${r.phase}` }) : null,
      filterButton("rule", r.id)),
    el("div", { class: "rule-message", text: r.message ?? "" }),
    r.variable ? el("div", { class: "rule-variable" }, el("span", { class: "muted", text: "variable " }), el("code", { text: r.variable })) : null,
    r.data ? el("pre", { class: "rule-data", text: r.data }) : null)));

  const prints = fingerprints.length === 0 ? el("p", { class: "muted", text: "none (plain HTTP/1.1, or no ClientHello read)" })
    : el("dl", { class: "fields" }, ...fingerprints.flatMap(([name, value]) =>
      field(name, el("span", { class: "mono wrap", text: value }), " ", name === "ja4" ? filterButton("ja4", value) : null)));

  const raw = el("details", { class: "raw" }, el("summary", { text: "Raw JSON" }),
    el("pre", { text: JSON.stringify(event, null, 2) }));

  $("detail-body").replaceChildren(
    el("div", { class: "request-line" }, el("span", { class: "method", text: event.method }), " ",
      el("span", { class: "path", text: event.path }), " ", el("span", { class: "muted", text: event.protocol }),
      event.tls ? badge("tls", "yes", "TLS") : null),
    summary,
    el("h3", { text: `Matched rules (${rules.length})` }), rules.length ? ruleList : el("p", { class: "muted", text: "none" }),
    el("h3", { text: "Fingerprints" }), prints,
    raw);
  $("detail").hidden = false;
  for (const row of $("events").querySelectorAll("tr.selected")) row.classList.remove("selected");
  for (const row of $("events").querySelectorAll("tr[data-testid=event]")) {
    if (row.dataset.requestId === state.selectedId) row.classList.add("selected");
  }
}

function closeDetail() {
  state.selectedId = "";
  $("detail").hidden = true;
  for (const row of $("events").querySelectorAll("tr.selected")) row.classList.remove("selected");
}

function setFilter(key, value) {
  state.filters.set(key, value);
  filtersChanged();
}

function removeFilter(key) {
  state.filters.delete(key);
  filtersChanged();
}

// The filters live in the URL fragment too, so a drill-down can be bookmarked or shared.
function filtersChanged() {
  const query = eventsQuery();
  history.replaceState(null, "", query ? `#${query}` : location.pathname + location.search);
  renderChips();
  markActiveFilters();
  loadEvents().catch(() => {}).finally(showStatus);
}

function renderChips() {
  const chips = FILTER_KEYS.filter((key) => state.filters.has(key)).map((key) => {
    const value = state.filters.get(key);
    const remove = el("button", { type: "button", class: "chip-remove", text: "✕", "aria-label": `remove filter ${key}` });
    remove.addEventListener("click", () => removeFilter(key));
    return el("span", { class: "chip", data: { testid: "filter-chip", key, value } },
      el("span", { class: "chip-key", text: key }), el("span", { class: "chip-value", text: value, title: value }), remove);
  });
  $("filter-chips").replaceChildren(...chips);
  $("filters-none").hidden = chips.length > 0;
  $("filters-clear").hidden = chips.length === 0;
}

function markActiveFilters() {
  for (const node of document.querySelectorAll("[data-filter-key]")) {
    node.classList.toggle("active", state.filters.get(node.dataset.filterKey) === node.dataset.filterValue);
  }
}

// ---- start ------------------------------------------------------------------------------------

function start() {
  const fromUrl = new URLSearchParams(location.hash.slice(1));
  for (const key of FILTER_KEYS) if (fromUrl.get(key)) state.filters.set(key, fromUrl.get(key));
  renderChips();

  $("pause").addEventListener("click", () => {
    state.paused = !state.paused;
    if (state.paused) clearTimeout(state.timer);
    else schedule(0);
    showStatus();
  });
  $("filters-clear").addEventListener("click", () => {
    state.filters.clear();
    filtersChanged();
  });
  $("detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("detail").hidden) closeDetail();
  });
  let pending = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => chart.draw());
  }).observe($("chart"));
  refresh();
}

start();
