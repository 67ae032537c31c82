// The fanfare-mock dashboard: one more client of the control plane (/_mock/...), plain DOM, no build step.
"use strict";

const $ = (selector) => document.querySelector(selector);
const POLL_MS = 1500;  // each tick is five control-plane reads, journaled like any request

// ---- the credential: typed in, or from the URL fragment (#token=...), sent as a Bearer header ----------
function readFragmentToken() {
  const match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem("fanfare-mock-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("fanfare-mock-token") || "";
}

let token = readFragmentToken();

async function api(method, path, body, contentType) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = contentType || "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!response.ok) {
    const message = data && data.error ? data.error : response.status + " " + response.statusText;
    const details = data && data.details ? data.details.map((d) => d.field + ": " + d.message) : [];
    const error = new Error([message, ...details].join("\n"));
    error.status = response.status;
    throw error;
  }
  hideError();
  return data;
}

function showError(error) {
  const box = $("#error");
  box.textContent = error.status === 401 || error.status === 403
    ? error.message + " (type the control token at the top right, or open the page as /_mock/#token=...)"
    : error.message;
  box.hidden = false;
}
function hideError() { $("#error").hidden = true; }

// ---- tiny DOM builder ---------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const statusTag = (status) => h("span", { class: "status-" + status }, status);
const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "—");
const guarded = (fn) => async (...args) => { try { await fn(...args); } catch (e) { showError(e); } };

// ---- the clock ----------------------------------------------------------------------------------------
async function refreshClock() {
  const clock = await api("GET", "/_mock/clock");
  $("#clock-now").textContent = when(clock.now) + " UTC";
  $("#clock-mode").textContent = clock.running ? "running" : "frozen";
  return clock;
}
async function changeClock(body) {
  await api("POST", "/_mock/clock", body);
  await Promise.all([refreshClock(), refreshOrg()]);
}

// ---- organizations ------------------------------------------------------------------------------------
let selectedOrg = null;
let selectedAudience = null;

async function refreshOrgs() {
  const { organizations } = await api("GET", "/_mock/organizations");
  const list = $("#orgs");
  list.replaceChildren(...organizations.map((org) => h("li", {
    class: org.id === selectedOrg ? "selected" : "",
    "data-org": org.id,
    onclick: guarded(async () => { selectedOrg = org.id; selectedAudience = null; await refreshOrgs(); await refreshOrg(true); }),
  }, h("strong", {}, org.tenant), h("small", {}, org.id), h("small", {}, `${org.audiences} audiences · ${org.experiences} experiences`))));
  if (!organizations.length) list.append(h("li", { class: "hint" }, "No organization yet: send a request with Authorization: Bearer sk_test_..."));
  if (!selectedOrg && organizations.length) {
    selectedOrg = organizations[0].id;
    await refreshOrgs();
    await refreshOrg(true);
  }
  const seen = new Set(organizations.map((org) => org.tenant));
  const select = $("#f-tenant");
  for (const tenant of seen) {
    if (![...select.options].some((o) => o.value === tenant)) select.append(h("option", { value: tenant }, tenant));
  }
}

async function refreshOrg(rebuild) {
  if (!selectedOrg) return;
  const org = await api("GET", `/_mock/organizations/${encodeURIComponent(selectedOrg)}`);
  const root = $("#org");
  let members = root.querySelector("#members");
  if (rebuild || !members) {
    root.replaceChildren(
      h("h2", {}, "Organization ", h("code", {}, org.tenant), " ", h("small", { class: "hint" }, org.id)),
      h("section", { id: "audiences-box" }),
      h("section", { id: "members" }),
      h("section", { id: "jobs-box" }),
      h("section", { id: "experiences-box" }),
    );
    members = root.querySelector("#members");
    if (selectedAudience) browseMembers(selectedAudience);
  }
  renderAudiences(org);
  renderJobs(org);
  renderExperiences(org);
}

function renderAudiences(org) {
  const rows = org.audiences.map((a) => h("tr", {
    class: "clickable" + (selectedAudience && selectedAudience.id === a.id ? " selected" : ""),
    "data-audience": a.id,
    onclick: () => { selectedAudience = a; browseMembers(a); renderAudiences(org); },
  }, h("td", {}, a.name, a.groupId ? h("small", { class: "hint" }, " (tier)") : null), h("td", {}, a.type),
     h("td", { class: "num" }, a.count), h("td", {}, statusTag(a.status)), h("td", { class: "num" }, a.version)));
  $("#audiences-box").replaceChildren(
    h("h3", {}, `Audiences (${org.audiences.length})`),
    h("table", { id: "audiences" },
      h("thead", {}, h("tr", {}, ["name", "type", "count", "status", "version"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "hint" }, "No audiences")))),
  );
}

// ---- the members browser: keyset paging (a stack of cursors for "previous") and search -------------------
let memberCursors = [];
let memberSearch = "";

function browseMembers(audience) {
  memberCursors = [null];
  memberSearch = "";
  loadMembers(audience).catch(showError);
}

async function loadMembers(audience) {
  const params = new URLSearchParams({ first: "10" });
  const after = memberCursors[memberCursors.length - 1];
  if (after) params.set("after", after);
  if (memberSearch) params.set("search", memberSearch);
  const page = await api("GET", `/_mock/organizations/${encodeURIComponent(selectedOrg)}/audiences/${encodeURIComponent(audience.id)}/members?${params}`);
  const search = h("input", { id: "member-search", placeholder: "search email, phone or name", value: memberSearch, size: 30 });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { memberSearch = search.value; memberCursors = [null]; loadMembers(audience).catch(showError); }
  });
  const previous = h("button", { id: "members-prev", disabled: memberCursors.length <= 1, onclick: () => { memberCursors.pop(); loadMembers(audience).catch(showError); } }, "‹ previous");
  const next = h("button", { id: "members-next", disabled: !page.pageInfo.hasNextPage, onclick: () => { memberCursors.push(page.pageInfo.endCursor); loadMembers(audience).catch(showError); } }, "next ›");
  const rows = page.data.map((m) => h("tr", {}, h("td", {}, m.email || "—"), h("td", {}, m.phone || "—"), h("td", {}, m.fullName || "—"), h("td", {}, m.externalId || "—"), h("td", { class: "num" }, m.totalOrders ?? "—")));
  $("#members").replaceChildren(
    h("h3", {}, `Members of ${audience.name}`, page.total !== null && page.total !== undefined ? ` (${page.total})` : ""),
    h("div", { class: "pager" }, search, previous, h("span", { class: "hint", id: "members-page" }, `page ${memberCursors.length}`), next),
    h("table", { id: "members-table" },
      h("thead", {}, h("tr", {}, ["email", "phone", "name", "externalId", "orders"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "hint" }, "No members")))),
  );
}

// ---- imports and syncs, with the buttons that force the next outcome -------------------------------------
function renderJobs(org) {
  const force = (kind, outcome) => guarded(async () => {
    const body = outcome === "fail"
      ? { outcome, reason: kind === "sync" ? "Forced from the dashboard: the ESP is down" : "Forced from the dashboard" }
      : { outcome, rowErrors: [{ row: 2, issues: ["forced from the dashboard"] }] };
    await api("POST", `/_mock/organizations/${encodeURIComponent(org.id)}/jobs/${kind}/outcomes`, body);
    await refreshOrg();
  });
  const queued = (kind) => (org.forced && org.forced[kind] ? h("span", { class: "forced" }, ` ${org.forced[kind]} forced outcome(s) queued`) : null);
  const progression = (p) => p.mode + (p.mode === "afterReads" ? ` ${p.reads}` : p.mode === "afterSeconds" ? ` ${p.seconds}s` : "");
  const audienceName = (id) => (org.audiences.find((a) => a.id === id) || { name: id || "—" }).name;
  const importRows = org.imports.map((i) => h("tr", { "data-import": i.id },
    h("td", {}, audienceName(i.audienceId)), h("td", {}, statusTag(i.status)),
    h("td", { class: "num" }, `${i.processedConsumers} / ${i.totalConsumers ?? "—"}`),
    h("td", {}, i.reason || "", i.errors.length ? h("ul", { class: "row-errors" }, i.errors.slice(0, 20).map((e) => h("li", {}, `row ${e.row}: ${e.issues.join("; ")}`))) : null)));
  const syncRows = org.syncs.map((s) => h("tr", { "data-sync": s.id },
    h("td", {}, audienceName(s.audienceId)), h("td", {}, s.vendor), h("td", {}, h("code", {}, s.listId)),
    h("td", {}, statusTag(s.status)), h("td", {}, s.error || ""), h("td", {}, when(s.lastSyncedAt))));
  $("#jobs-box").replaceChildren(
    h("h3", {}, "CSV imports ", h("small", { class: "hint" }, "progression: " + progression(org.progression.import)), queued("import")),
    h("div", { class: "pager" },
      h("button", { id: "force-import-fail", class: "danger", onclick: force("import", "fail") }, "next import fails"),
      h("button", { id: "force-import-partial", onclick: force("import", "partial") }, "next import: row 2 rejected")),
    h("table", { id: "imports" }, h("thead", {}, h("tr", {}, ["audience", "status", "processed / total", "errors"].map((c) => h("th", {}, c)))),
      h("tbody", {}, importRows.length ? importRows : h("tr", {}, h("td", { colspan: 4, class: "hint" }, "No imports")))),
    h("h3", {}, "List syncs ", h("small", { class: "hint" }, "progression: " + progression(org.progression.sync)), queued("sync")),
    h("div", { class: "pager" },
      h("button", { id: "force-sync-fail", class: "danger", onclick: force("sync", "fail") }, "next sync fails")),
    h("table", { id: "syncs" }, h("thead", {}, h("tr", {}, ["audience", "vendor", "list", "status", "error", "last synced"].map((c) => h("th", {}, c)))),
      h("tbody", {}, syncRows.length ? syncRows : h("tr", {}, h("td", { colspan: 6, class: "hint" }, "No synced lists")))),
  );
}

function renderExperiences(org) {
  const rows = org.experiences.map((e) => h("tr", { "data-experience": e.id },
    h("td", {}, e.name), h("td", {}, h("code", {}, e.slug)), h("td", {}, statusTag(e.status)),
    h("td", {}, when(e.openAt)), h("td", {}, when(e.closeAt))));
  $("#experiences-box").replaceChildren(
    h("h3", {}, `Experiences (${org.experiences.length}) `, h("small", { class: "hint" }, "status against the clock: " + when(org.now))),
    h("table", { id: "experiences" }, h("thead", {}, h("tr", {}, ["name", "slug", "status", "opens", "closes"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5, class: "hint" }, "No experiences")))),
  );
}

// ---- fault rules -------------------------------------------------------------------------------------
async function refreshFaults() {
  const { faults } = await api("GET", "/_mock/faults");
  $("#faults tbody").replaceChildren(...(faults.length ? faults.map((f) => h("tr", { "data-fault": f.id },
    h("td", {}, f.id), h("td", {}, f.operationId || "every operation"), h("td", {}, f.tenant || "every tenant"),
    h("td", {}, f.example ? `${f.status} (${f.example})` : f.status ?? "—"), h("td", {}, f.latencyMs ? f.latencyMs + " ms" : "—"),
    h("td", {}, f.remaining ?? "until removed"), h("td", {}, f.hits),
    h("td", {}, h("button", { class: "danger", onclick: guarded(async () => { await api("DELETE", `/_mock/faults/${f.id}`); await refreshFaults(); }) }, "remove")))) :
    [h("tr", {}, h("td", { colspan: 8, class: "hint" }, "No fault rules: every call is served normally"))]));
}

async function addFault(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {};
  for (const [name, value] of form.entries()) {
    const text = String(value).trim();
    if (!text) continue;
    body[name] = ["status", "latencyMs", "times"].includes(name) ? Number(text) : text;
  }
  await api("POST", "/_mock/faults", body);
  event.target.reset();
  await refreshFaults();
}

// ---- the journal, live ----------------------------------------------------------------------------------
let journalAfter = 0;
const JOURNAL_ROWS = 200;

function journalQuery(after) {
  const params = new URLSearchParams({ limit: String(JOURNAL_ROWS) });
  const operation = $("#f-operation").value.trim();
  const status = $("#f-status").value.trim();
  if (operation) params.set("operationId", operation);
  if (status) params.set("status", status);
  if (after) params.set("after", String(after));
  return "/_mock/journal?" + params;
}

function bodyView(title, part) {
  const body = part.body;
  let text = "—";
  if (body) text = body.summary || (typeof body.content === "string" ? body.content : JSON.stringify(body.content, null, 2));
  return h("div", {}, h("strong", {}, title), h("pre", {}, Object.entries(part.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n")), h("pre", { class: "body" }, text));
}

function journalRow(entry) {
  const row = h("tr", { class: "clickable", "data-seq": entry.seq, "data-tenant": entry.tenant || "" },
    h("td", { class: "num" }, entry.seq), h("td", {}, when(entry.at)), h("td", {}, entry.method),
    h("td", {}, entry.path + (entry.query ? "?" + entry.query : "")), h("td", {}, entry.operationId || "—"),
    h("td", {}, entry.tenant || "—"), h("td", { class: "s" + String(entry.status)[0] }, entry.status),
    h("td", {}, entry.outcome, entry.forced ? h("span", { class: "forced" }, entry.forced.by === "fault" ? ` fault #${entry.forced.ruleId}` : ` prefer ${entry.forced.preference}`) : null),
    h("td", { class: "num" }, entry.durationMs.toFixed(1)));
  row.addEventListener("click", () => {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); return; }
    row.after(h("tr", { class: "detail" }, h("td", { colspan: 9 }, h("div", { class: "bodies" }, bodyView("request", entry.request), bodyView("response", entry.response)))));
  });
  return row;
}

function tenantVisible(entry) {
  const tenant = $("#f-tenant").value;
  return !tenant || entry.tenant === tenant;
}

async function refreshJournal(restart) {
  const tbody = $("#journal tbody");
  if (restart) { journalAfter = 0; tbody.replaceChildren(); }
  const page = await api("GET", journalQuery(journalAfter));
  // Our own polling is journaled too: leave the dashboard's control-plane reads out of the view.
  const entries = page.entries.filter((e) => !(e.family === "mock" && e.method === "GET") && tenantVisible(e));
  for (const entry of entries) tbody.prepend(journalRow(entry));
  while (tbody.children.length > JOURNAL_ROWS * 2) tbody.lastElementChild.remove();
  journalAfter = Math.max(journalAfter, page.latestSeq);
}

// ---- scenarios ----------------------------------------------------------------------------------------
async function loadScenario() {
  const text = $("#scenario-text").value;
  const result = await api("POST", "/_mock/scenario", text, "application/yaml");
  $("#scenario-result").textContent = `loaded: ${result.organizations} organization(s), ${result.audiences} audiences, ${result.experiences} experiences, ${result.faults} fault rule(s)`;
  selectedOrg = null;
  await Promise.all([refreshClock(), refreshOrgs(), refreshFaults()]);
  await refreshOrg(true);
}

// ---- wiring -----------------------------------------------------------------------------------------------
function wire() {
  const tokenInput = $("#token");
  tokenInput.value = token;
  tokenInput.addEventListener("change", () => { token = tokenInput.value.trim(); sessionStorage.setItem("fanfare-mock-token", token); tick(true); });
  $("#clock-set-btn").addEventListener("click", guarded(() => changeClock({ now: $("#clock-set").value.trim() })));
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", guarded(() => changeClock({ advanceSeconds: Number(button.dataset.advance) })));
  }
  $("#clock-run").addEventListener("click", guarded(() => changeClock({ running: true })));
  $("#clock-freeze").addEventListener("click", guarded(() => changeClock({ running: false })));
  $("#fault-form").addEventListener("submit", guarded(addFault));
  $("#scenario-load").addEventListener("click", guarded(loadScenario));
  $("#journal-clear").addEventListener("click", guarded(async () => { await api("DELETE", "/_mock/journal"); await refreshJournal(true); }));
  for (const id of ["#f-tenant", "#f-operation", "#f-status"]) $(id).addEventListener("change", guarded(() => refreshJournal(true)));
  $("#export-link").addEventListener("click", guarded(async (event) => {
    event.preventDefault();
    const response = await fetch("/_mock/scenario?format=yaml", { headers: token ? { Authorization: "Bearer " + token } : {} });
    if (!response.ok) throw Object.assign(new Error("export: " + response.status), { status: response.status });
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: "scenario.yaml" });
    link.click();
  }));
}

let ticking = false;
async function tick(full) {
  if (ticking) return;
  ticking = true;
  try {
    await refreshClock();
    await refreshOrgs();
    await Promise.all([refreshOrg(full), refreshFaults(), refreshJournal(full)]);
  } catch (error) {
    showError(error);
  } finally {
    ticking = false;
  }
}

wire();
tick(true).then(() => setInterval(() => tick(false), POLL_MS));
