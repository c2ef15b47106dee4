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

// [key in the summary, label]
const STAGES = [["waf", "WAF"], ["bots", "Bots"], ["ratelimit", "Rate limiter"],
                ["schema", "Schema"], ["access", "Access"], ["other", "Other"]];
const ACTIONS = [["block", "Block"], ["challenge", "Challenge"], ["rate_limit", "Rate limit"],
                 ["detect", "Detect only"]];
const BOT_CLASSES = [["human", "Human"], ["verified_bot", "Verified bot"],
                     ["automation", "Automation"], ["malicious", "Malicious"]];

const state = {
  paused: false,
  timer: 0,
  summary: null,
  filters: new Map(),
  selectedId: "",  // request_id of the event in the detail panel
  eventsSeq: 0,  // an answer to an older filter must not overwrite a newer one
  errors: new Map(),  // endpoint -> why its last fetch failed
  renders: 0,
  shown: new Set(),  // the endpoints rendered at least once
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
    else if (key === "data") setData(node, value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function setData(node, values) {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) node.dataset[key] = String(value);
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
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

const mono = (text, extra = "") => el("span", { class: `mono ${extra}`.trim(), text });

// ---- formatting -------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");

function clock(date, withSeconds = true) {
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(date.getSeconds())}` : hm;
}

const clockOfUnix = (seconds, withSeconds) => clock(new Date(seconds * 1000), withSeconds);

// A span for a label, in whole hours, minutes or seconds, rounded down: the live window is ten
// whole minutes plus the part of the current one gone by, and should read "10 min" throughout.
function duration(seconds) {
  if (seconds >= 7200) return `${Math.floor(seconds / 3600)} h`;
  if (seconds >= 120) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds)} s`;
}

function rate(perSecond) {
  if (!Number.isFinite(perSecond)) return "–";
  if (perSecond >= 100) return perSecond.toFixed(0);
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

const milliseconds = (ms) => (ms == null ? "–" : ms.toFixed(ms < 10 ? 2 : 1));

// IPv6 addresses are bracketed before a port, as in a URL.
const hostPort = (ip, port) => (String(ip).includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

// Top-K counts come from a Space-Saving sketch and may overstate by up to `error`.
function countCell(row, max) {
  const fill = el("span", { class: "meter-fill" });
  fill.style.width = `${max > 0 ? (100 * row.count) / max : 0}%`;
  const text = row.error > 0 ? `≈${row.count}` : String(row.count);
  const title = row.error > 0 ? `may overstate by up to ${row.error}` : null;
  const meter = el("span", { class: "meter" }, fill);
  return el("td", { class: "num" },
    el("div", { class: "count" }, meter, el("span", { text, title })));
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
  return readable(await response.json());
}

// The proxy writes each byte of what clients sent from 0x80 up as its own \u00XX (what was
// received is not always UTF-8). Strings made only of such bytes that form valid UTF-8 are shown
// decoded ("Grüße", not "GrÃ¼Ãe"); others as they are. A filter taken from a decoded string
// goes back as UTF-8 in the query, which the proxy matches against the same bytes.
const utf8 = new TextDecoder("utf-8", { fatal: true });
function readable(value) {
  if (typeof value === "string") {
    if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value;
    try {
      return utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map(readable);
  if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) value[key] = readable(value[key]);
  }
  return value;
}

// Fetches one endpoint and renders its answer, or remembers why it failed (for the banner).
// `current` says whether the answer is still wanted: a newer request for the endpoint wins.
async function load(name, url, render, current = () => true) {
  try {
    const answer = await getJson(url);
    if (!current()) return;
    state.errors.delete(name);
    render(answer);
    rendered(name);
  } catch (e) {
    if (!(e instanceof Unauthorized) && current()) state.errors.set(name, e.message);
    throw e;
  }
}

function loadSummary() {
  return load("summary", "/api/summary", (summary) => {
    state.summary = summary;
    renderSummary(summary);
  });
}

function eventsQuery() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    if (state.filters.has(key)) params.set(key, state.filters.get(key));
  }
  return params.toString();
}

function loadEvents() {
  const seq = ++state.eventsSeq;
  const query = eventsQuery();
  return load("events", `/api/events?limit=${EVENT_LIMIT}${query ? `&${query}` : ""}`,
              (answer) => renderEvents(Array.isArray(answer.events) ? answer.events : [], query),
              () => seq === state.eventsSeq);
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

// The hooks the browser test waits on: data-loaded once both endpoints have been shown,
// data-updated counting every render.
function rendered(name) {
  state.shown.add(name);
  state.renders += 1;
  document.body.dataset.updated = String(state.renders);
  if (state.shown.size === 2) document.body.dataset.loaded = "1";
}

// The banner and the live indicator. A failed fetch keeps what was shown before.
function showStatus() {
  const asOf = state.summary ? clockOfUnix(state.summary.now) : "";
  const banner = $("banner");
  banner.hidden = state.errors.size === 0;
  const kept = asOf ? ` Showing data as of ${asOf}.` : "";
  const why = [...state.errors.values()].join("; ");
  banner.textContent = banner.hidden ? "" : `Could not update: ${why}.${kept}`;

  const mode = state.paused ? "paused" : state.errors.size > 0 ? "stale" : "live";
  $("live").dataset.state = mode;
  $("live-text").textContent = `${mode} · ${asOf ? `updated ${asOf}` : "no data yet"}`;
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
  let total = 0;
  let seconds = 0;
  for (let i = Math.max(0, series.length - count); i < series.length; i++) {
    total += series[i];
    seconds += bucketSeconds(summary, i, series.length);
  }
  return seconds > 0 ? total / seconds : NaN;
}

function renderSummary(summary) {
  const totals = summary.totals ?? {};
  const requests = summary.requests ?? [];
  const refused = summary.refused ?? [];
  const span = duration(summary.window_seconds ?? 600);
  for (const label of document.querySelectorAll(".window-label")) {
    label.textContent = `last ${span}`;
    if (summary.since) label.title = `since ${clockOfUnix(summary.since)}`;
  }
  $("rate-requests").textContent = rate(lastMinuteRate(summary, requests));
  $("rate-refused").textContent = rate(lastMinuteRate(summary, refused));
  $("requests-total").textContent = String(totals.requests ?? 0);
  $("refused-total").textContent = String(totals.refused ?? 0);
  $("flagged-total").textContent = String(totals.flagged ?? 0);
  $("refusal-rate").textContent =
    totals.requests > 0 ? `${((100 * totals.refused) / totals.requests).toFixed(1)}%` : "–";

  chart.update(summary, perSecond(summary, requests), perSecond(summary, refused));

  const stages = summary.refused_by_stage ?? {};
  renderBars($("stages"), STAGES, stages, { testid: "stage-count-", filter: "stage" });
  renderBars($("actions"), ACTIONS, summary.actions ?? {}, { filter: "action" });
  renderBars($("bot-classes"), BOT_CLASSES, summary.bot_classes ?? {}, {});

  const nothing = `nothing in the last ${span}`;
  renderTop($("top-rules"), summary.top_rules, nothing, (r) => ({
    testid: "top-rule", data: { rule: r.id, stage: r.stage }, filter: ["rule", r.id],
    cells: [
      el("td", { class: "mono ellipsis", text: r.id, title: r.id }),
      el("td", {}, badge("stage", r.stage)),
      el("td", { class: "ellipsis", text: r.message, title: r.message }),
    ],
  }));
  renderTop($("top-clients"), summary.top_clients, nothing, (r) => ({
    testid: "top-client", data: { client: r.client }, filter: ["client", r.client],
    cells: [el("td", { class: "mono ellipsis", text: r.client, title: r.client })],
  }));
  renderTop($("top-ja4"), summary.top_ja4, nothing, (r) => ({
    testid: "top-ja4", data: { ja4: r.ja4 }, filter: ["ja4", r.ja4],
    cells: [el("td", { class: "mono ellipsis", text: r.ja4, title: r.ja4 })],
  }));
  renderTop($("top-user-agents"), summary.top_user_agents, nothing, (r) => ({
    testid: "top-user-agent", data: { userAgent: r.user_agent },
    cells: [el("td", { class: "ellipsis", text: r.user_agent || "(none)", title: r.user_agent })],
  }));
  renderTop($("top-routes"), summary.top_routes, nothing, (r) => ({
    testid: "top-route", data: { route: r.route }, filter: ["route", r.route],
    cells: [el("td", { class: "ellipsis", text: r.route, title: r.route })],
  }));
  renderTop($("limited-keys"), summary.rate_limited_keys, nothing, (r) => ({
    testid: "limited-key", data: { key: r.key },
    cells: [el("td", { class: "mono ellipsis", text: r.key, title: r.key })],
  }));
  renderUpstreams(summary.upstreams ?? []);
  renderConfig(summary.config ?? {});
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
      el("span", { class: "bar-count", text: String(count),
                   data: { testid: testid && testid + key } }));
    if (filter && key !== "other") {
      setData(item, { filterKey: filter, filterValue: key });
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
  if (rows.length === 0) {
    const columns = tbody.closest("table").querySelectorAll("thead th").length;
    tbody.replaceChildren(emptyRow(columns, emptyText));
    return;
  }
  const max = Math.max(...rows.map((r) => r.count));
  tbody.replaceChildren(...rows.map((row) => {
    const { testid, data, filter, cells } = describe(row);
    const tr = el("tr", { data: { testid, ...data, count: row.count } },
      ...cells, countCell(row, max));
    const [key, value] = filter ?? [];
    if (value) {
      setData(tr, { filterKey: key, filterValue: value });
      tr.title = `show only events with ${key} ${value}`;
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
  const number = (value, bad = false) => el("td", { class: bad ? "num bad" : "num", text: value });
  tbody.replaceChildren(...upstreams.map((u) => {
    const errors = number(String(u.errors ?? 0), u.errors > 0);
    const kinds = Object.entries(u.error_kinds ?? {}).filter(([, n]) => n > 0);
    if (kinds.length > 0) {
      const text = kinds.map(([kind, n]) => `${kind} ${n}`).join(", ");
      errors.append(el("span", { class: "kinds", text }));
    }
    return el("tr", { data: { testid: "upstream", name: u.name, health: u.health } },
      el("td", { class: "ellipsis", text: u.name, title: u.name }),
      el("td", {}, badge("health", u.health)),
      number(String(u.requests ?? 0)),
      errors,
      number(milliseconds(u.p50_ms)),
      number(milliseconds(u.p90_ms)),
      number(milliseconds(u.p99_ms)),
      number(u.concurrency_limit > 0 ? String(u.concurrency_limit) : "none"),
      number(String(u.shed ?? 0), u.shed > 0),
      number(u.window_seconds ? duration(u.window_seconds) : "–"));
  }));
}

function renderConfig(config) {
  $("config-generation").textContent = String(config.generation ?? "–");
  const hash = $("config-hash");
  hash.textContent = (config.hash ?? "").slice(0, 8);
  hash.title = [config.hash, config.source].filter(Boolean).join("\n");

  const reload = config.last_reload ?? {};
  const failed = reload.result === "failure";
  const warnings = reload.warnings ?? [];
  const detail = [reload.trigger];
  if (reload.time) detail.push(clockOfUnix(reload.time));
  if (reload.result === "success" && reload.changed === false) detail.push("unchanged");
  if (warnings.length === 1) detail.push("1 warning");
  if (warnings.length > 1) detail.push(`${warnings.length} warnings`);
  $("reload").classList.toggle("failed", failed);
  $("reload-result").textContent = reload.result ?? "none";
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
  data: null,

  update(summary, requests, refused) {
    const width = summary.bucket_seconds || 5;
    const newest = Math.floor(summary.now / width) * width;
    const times = requests.map((_, i) => newest - (requests.length - 1 - i) * width);
    this.data = { times, requests, refused };
    this.draw();
  },

  draw() {
    const box = $("chart");
    if (!this.data || this.data.times.length < 2) return;
    const { times, requests, refused } = this.data;
    const width = Math.max(320, box.clientWidth);
    const height = Math.max(220, box.clientHeight);
    const [left, right, top, bottom] = [46, width - 14, 12, height - 24];
    const last = times.length - 1;
    const peak = Math.max(0, ...requests, ...refused);
    const step = niceStep(peak > 0 ? peak : 1, 4);
    const yMax = Math.max(step, Math.ceil(peak / step) * step);
    const x = (i) => left + (i * (right - left)) / last;
    const y = (v) => bottom - (v / yMax) * (bottom - top);

    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                              "aria-label": "requests and refusals per second" });
    for (let k = 0; k <= Math.round(yMax / step); k++) {
      const v = k * step;
      root.append(svg("line", { class: "grid", x1: left, x2: right, y1: y(v), y2: y(v) }),
                  // toPrecision: 0.30000000000000004 -> 0.3
                  svg("text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" },
                      String(Number(v.toPrecision(6)))));
    }
    // Time labels on round clock times, as dense as the width allows (~90 px apart).
    const pixelsPerSecond = (right - left) / (times[last] - times[0]);
    const every = [60, 120, 300, 600].find((s) => s * pixelsPerSecond >= 90) ?? 600;
    times.forEach((t, i) => {
      if (t % every !== 0) return;
      root.append(svg("line", { class: "tick", x1: x(i), x2: x(i), y1: bottom, y2: bottom + 4 }),
                  svg("text", { class: "axis", x: x(i), y: height - 6, "text-anchor": "middle" },
                      clockOfUnix(t, false)));
    });
    for (const [name, values] of [["requests", requests], ["refused", refused]]) {
      const line = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const area = `${line.join("")}L${x(last).toFixed(1)},${bottom}L${left},${bottom}Z`;
      root.append(svg("path", { class: `area ${name}`, d: area }),
                  svg("path", { class: `line ${name}`, d: line.join("") }));
    }
    // A column per bucket, highlighted under the pointer, whose tooltip gives its values.
    const column = (right - left) / last;
    times.forEach((t, i) => {
      const values = `${rate(requests[i])} requests/s, ${rate(refused[i])} refused/s`;
      const hit = svg("rect", { class: "hit", x: x(i) - column / 2, y: top, width: column,
                                height: bottom - top });
      hit.append(svg("title", {}, `${clockOfUnix(t)}: ${values}`));
      root.append(hit);
    });
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

// ---- events -----------------------------------------------------------------------------------

function renderEvents(events, query) {
  const tbody = $("events");
  tbody.dataset.query = query;
  $("events-count").textContent = events.length ? `${events.length}, newest first` : "";
  if (events.length === 0) {
    const why = query ? "no recent event matches the filters" : "no security events yet";
    tbody.replaceChildren(emptyRow(8, why));
    return;
  }
  tbody.replaceChildren(...events.slice().reverse().map(eventRow));
}

function eventRow(event) {
  const rules = event.rules ?? [];
  const first = rules[0];
  const time = new Date(event.time);
  const request = `${event.method} ${event.host ?? ""}${event.path ?? ""}`;
  const tr = el("tr", {
    data: {
      testid: "event", requestId: event.request_id ?? "", client: event.client_ip ?? "",
      rule: first?.id ?? "", rules: rules.map((r) => r.id).filter(Boolean).join(" "),
    },
  },
    el("td", { class: "mono", title: event.time,
               text: Number.isNaN(time.getTime()) ? "–" : clock(time) }),
    el("td", { class: "mono ellipsis", text: event.client_ip,
               title: hostPort(event.client_ip, event.client_port) }),
    el("td", { class: "ellipsis", title: request },
      el("span", { class: "method", text: event.method }), " ", event.path ?? ""),
    el("td", { class: "ellipsis", text: event.route,
               title: `${event.route} (policy ${event.policy})` }),
    el("td", {}, badge("stage", event.stage)),
    el("td", {}, badge("action", event.action),
      event.would && event.would !== event.action
        ? el("span", { class: "would", text: `→${event.would}` }) : null),
    el("td", { class: "num", text: String(event.status ?? "") }),
    el("td", { class: "ellipsis",
               title: rules.map((r) => `${r.id ?? "-"} ${r.message ?? ""}`).join("\n") },
      first ? mono(first.id ?? "–", "rule-id") : "–",
      first ? ` ${first.message ?? ""}` : "",
      rules.length > 1 ? el("span", { class: "more", text: ` +${rules.length - 1}` }) : null));
  if (event.request_id === state.selectedId) tr.classList.add("selected");
  activatable(tr, () => showDetail(event));
  return tr;
}

// ---- event detail -----------------------------------------------------------------------------

function filterButton(key, value) {
  if (!value) return null;
  const button = el("button", {
    type: "button", class: "link", text: "filter", title: `show only events with ${key} ${value}`,
  });
  button.addEventListener("click", () => setFilter(key, value));
  return button;
}

function field(label, ...value) {
  return [el("dt", { text: label }), el("dd", {}, ...value)];
}

function detailFields(event) {
  const signals = (event.bot_signals ?? "").split(",").filter(Boolean);
  return el("dl", { class: "fields" },
    ...field("time", event.time ?? "–"),
    ...field("request id",
      el("span", { class: "mono", text: event.request_id, data: { testid: "detail-request-id" } })),
    ...field("client", mono(hostPort(event.client_ip, event.client_port)), " ",
      filterButton("client", event.client_ip)),
    ...field("host", mono(event.host)),
    ...field("route", `${event.route} · policy ${event.policy}`, " ",
      filterButton("route", event.route)),
    ...field("decision", badge("stage", event.stage), " ", badge("action", event.action),
      ` would ${event.would ?? "–"}, status ${event.status ?? "–"}`),
    ...field("anomaly score", String(event.anomaly_score ?? 0)),
    ...field("bot score", String(event.bot_score ?? 0), " ",
      event.bot_class ? badge("bot", event.bot_class) : null),
    ...field("bot signals", signals.length ? mono(signals.join(", ")) : "none"),
    ...field("limiter key", mono(event.limiter_key || "none")));
}

// WAF rules carry data, variable, severity and phase; the other stages' only id and message.
function ruleItem(rule) {
  return el("li", { data: { testid: "detail-rule", rule: rule.id ?? "" } },
    el("div", { class: "rule-head" },
      mono(rule.id ?? "(no id)", "rule-id"),
      rule.severity ? badge("severity", rule.severity.toLowerCase(), rule.severity) : null,
      rule.stage ? badge("stage", rule.stage) : null,
      rule.phase !== undefined ? el("span", { class: "muted", text: `phase ${rule.phase}` }) : null,
      filterButton("rule", rule.id)),
    el("div", { class: "rule-message", text: rule.message ?? "" }),
    rule.variable ? el("div", { class: "rule-variable" },
      el("span", { class: "muted", text: "variable " }),
      el("code", { text: rule.variable })) : null,
    rule.data ? el("pre", { class: "rule-data", text: rule.data }) : null);
}

function fingerprintList(fingerprints) {
  const entries = Object.entries(fingerprints ?? {});
  if (entries.length === 0) {
    return el("p", { class: "muted", text: "none (plain HTTP/1.1, or no ClientHello read)" });
  }
  return el("dl", { class: "fields" }, ...entries.flatMap(([name, value]) =>
    field(name, mono(value, "wrap"), " ", name === "ja4" ? filterButton("ja4", value) : null)));
}

function showDetail(event) {
  const rules = event.rules ?? [];
  state.selectedId = event.request_id ?? "";
  $("detail-body").replaceChildren(
    el("div", { class: "request-line" },
      el("span", { class: "method", text: event.method }), " ", event.path ?? "", " ",
      el("span", { class: "muted", text: event.protocol }),
      event.tls ? badge("tls", "yes", "TLS") : null),
    detailFields(event),
    el("h3", { text: `Matched rules (${rules.length})` }),
    rules.length ? el("ol", { class: "rules" }, ...rules.map(ruleItem))
      : el("p", { class: "muted", text: "none" }),
    el("h3", { text: "Fingerprints" }),
    fingerprintList(event.fingerprints),
    el("details", { class: "raw" },
      el("summary", { text: "Raw JSON" }), el("pre", { text: JSON.stringify(event, null, 2) })));
  $("detail").hidden = false;
  // Where the detail sits above the table (narrow screens), bring it into view.
  $("detail").scrollIntoView({ block: "nearest" });
  for (const row of $("events").querySelectorAll("tr[data-testid=event]")) {
    row.classList.toggle("selected", row.dataset.requestId === state.selectedId);
  }
}

function closeDetail() {
  state.selectedId = "";
  $("detail").hidden = true;
  for (const row of $("events").querySelectorAll("tr.selected")) row.classList.remove("selected");
}

// ---- filters ----------------------------------------------------------------------------------

function setFilter(key, value) {
  state.filters.set(key, value);
  filtersChanged();
}

function filtersChanged() {
  renderChips();
  markActiveFilters();
  loadEvents().catch(() => {}).finally(showStatus);
}

function renderChips() {
  const chips = FILTER_KEYS.filter((key) => state.filters.has(key)).map((key) => {
    const value = state.filters.get(key);
    const remove = el("button", {
      type: "button", class: "chip-remove", text: "✕", "aria-label": `remove filter ${key}`,
    });
    remove.addEventListener("click", () => {
      state.filters.delete(key);
      filtersChanged();
    });
    return el("span", { class: "chip", data: { testid: "filter-chip", key, value } },
      el("span", { class: "chip-key", text: key }),
      el("span", { class: "chip-value", text: value, title: value }),
      remove);
  });
  $("filter-chips").replaceChildren(...chips);
  $("filters-none").hidden = chips.length > 0;
  $("filters-clear").hidden = chips.length === 0;
}

function markActiveFilters() {
  for (const node of document.querySelectorAll("[data-filter-key]")) {
    const active = state.filters.get(node.dataset.filterKey) === node.dataset.filterValue;
    node.classList.toggle("active", active);
  }
}

// ---- start ------------------------------------------------------------------------------------

function start() {
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
