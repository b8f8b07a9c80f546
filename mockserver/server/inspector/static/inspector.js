// mockserver inspector: plain JavaScript, no build step, no library.
//
// The page is a client of the admin JSON API (requests, scripts, reset, replay) plus the live
// feed at `events` (server-sent events from the shared journal). Everything a delivery carries
// came from a sender and is shown with textContent, never parsed as HTML.
"use strict";

(() => {
  const base = document.body.dataset.base;
  const commandParameter = document.body.dataset.commandParameter;
  const LIMIT = 500;
  const records = new Map(); // id -> record (the admin API's Delivery shape)
  let selected = null;
  let source = null;

  const $ = (id) => document.getElementById(id);
  const list = $("list");
  const detail = $("detail");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  async function api(path, options) {
    const response = await fetch(base + path, { credentials: "same-origin", ...(options || {}) });
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, data };
  }

  function problemText(data) {
    if (data && typeof data === "object") {
      const said = data.detail || data.title || JSON.stringify(data);
      const where = data.field && !said.includes(data.field) ? `${data.field}: ` : "";
      return `${where}${said}`;
    }
    return String(data);
  }

  // ------------------------------------------------------------------ filters
  const fCommand = $("f-command");
  const fVerdict = $("f-verdict");
  const fSince = $("f-since");

  function filters() {
    const out = {};
    if (fCommand.value) out.command = fCommand.value;
    if (fVerdict.value) out.verdict = fVerdict.value;
    if (fSince.value) {
      const when = new Date(fSince.value).getTime();
      if (!Number.isNaN(when)) out.since = String(when / 1000);
    }
    return out;
  }

  function matches(record, f) {
    if (f.command && record.command !== f.command) return false;
    if (f.verdict && record.verdict !== f.verdict) return false;
    if (f.since && record.received < Number(f.since)) return false;
    return true;
  }

  function query(f) {
    const params = new URLSearchParams(f);
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  let reloads = 0;

  async function reload() {
    const f = filters();
    const mine = ++reloads;
    $("download").href = `${base}/export${query(f)}`;
    const { ok, data } = await api(`/requests${query({ ...f, limit: String(LIMIT) })}`);
    if (mine !== reloads) return; // the filters changed again while this answer was on its way
    if (!ok) {
      $("count").textContent = `cannot read the journal: ${problemText(data)}`;
      return;
    }
    // Deliveries the live feed added while this answer was on its way stay (if they match).
    const live = [...records.values()].filter((record) => matches(record, filters()));
    records.clear();
    for (const record of [...data.requests, ...live]) records.set(record.id, record);
    render();
  }

  // --------------------------------------------------------------------- list
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

  function clock(seconds) {
    const date = new Date(seconds * 1000);
    return `${timeFormat.format(date)}.${String(date.getMilliseconds()).padStart(3, "0")}`;
  }

  // A refused delivery is journaled without a command: show the one its query names.
  function title(record) {
    return record.command || record.query[commandParameter] || `${record.method} ${record.path}`;
  }

  function row(record) {
    const status = record.status === null ? (record.fault || "no answer") : record.status;
    const item = el(
      "li",
      {
        id: `delivery-${record.id}`,
        role: "option",
        tabindex: "-1",
        "aria-selected": record.id === selected ? "true" : "false",
        "data-id": record.id,
        onclick: () => select(record.id, true),
      },
      el("span", { class: "time" }, clock(record.received)),
      el("span", { class: "command" }, title(record)),
      el("span", { class: `badge ${record.verdict}` }, record.verdict),
      el(
        "span",
        { class: "meta" },
        `#${record.id} · ${status} · ${record.latency_ms.toFixed(1)} ms`,
        record.signature ? ` · signature ${record.signature}` : "",
        record.errors.length ? ` · ${record.errors[0].field}` : "",
      ),
    );
    return item;
  }

  // Newest first by arrival: with several workers, journal ids follow commit order, not arrival.
  const newer = (a, b) => b.received - a.received || b.id - a.id;

  function ordered() {
    return [...records.values()].sort(newer);
  }

  function render() {
    const rows = ordered();
    while (rows.length > LIMIT) records.delete(rows.pop().id);
    list.replaceChildren(...rows.map(row));
    $("empty").hidden = rows.length > 0;
    $("count").textContent = `${rows.length} shown`;
    const current = selected !== null && $(`delivery-${selected}`);
    const focusable = current || list.firstElementChild;
    if (focusable) focusable.tabIndex = 0;
  }

  function add(record) {
    if (!matches(record, filters()) || records.has(record.id)) return;
    records.set(record.id, record);
    const item = row(record);
    const first = list.firstElementChild;
    if (first && newer(record, records.get(Number(first.dataset.id))) > 0) {
      render();
      return;
    }
    list.prepend(item);
    if (!list.querySelector('[tabindex="0"]')) item.tabIndex = 0;
    while (list.children.length > LIMIT) {
      const last = list.lastElementChild;
      records.delete(Number(last.dataset.id));
      last.remove();
    }
    $("empty").hidden = true;
    $("count").textContent = `${records.size} shown`;
  }

  function select(id, focus) {
    selected = id;
    for (const item of list.children) {
      const on = Number(item.dataset.id) === id;
      item.setAttribute("aria-selected", on ? "true" : "false");
      item.tabIndex = on ? 0 : -1;
      if (on && focus) item.focus();
    }
    const record = records.get(id);
    if (record) show(record);
  }

  list.addEventListener("keydown", (event) => {
    const items = [...list.children];
    if (!items.length) return;
    const at = items.indexOf(document.activeElement);
    let next = null;
    if (event.key === "ArrowDown" || event.key === "j") next = Math.min(items.length - 1, at + 1);
    else if (event.key === "ArrowUp" || event.key === "k") next = Math.max(0, at - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = items.length - 1;
    else if (event.key === "Enter" || event.key === " ") {
      if (at >= 0) {
        select(Number(items[at].dataset.id), true);
        detail.focus();
      }
      event.preventDefault();
      return;
    }
    if (next === null) return;
    event.preventDefault();
    select(Number(items[next].dataset.id), true);
  });

  // ------------------------------------------------------------------- detail
  function facts(pairs) {
    const dl = el("dl", { class: "facts" });
    for (const [name, value] of pairs) dl.append(el("dt", {}, name), el("dd", {}, value));
    return dl;
  }

  function table(object, root, label) {
    const names = Object.keys(object);
    if (!names.length) return el("p", { class: "hint" }, "none");
    const body = el("tbody");
    for (const name of names) {
      body.append(el("tr", { "data-path": `${root}.${name}` }, el("th", { scope: "row" }, name), el("td", { class: "mono" }, object[name])));
    }
    return el("table", { class: "kv", "aria-label": label }, body);
  }

  // The body as indented JSON where every value is a node carrying its field path, in the
  // spelling the kit's violations use: body.A[0].B.
  function jsonTree(value, path, depth) {
    const pad = "  ".repeat(depth);
    const node = el("span", { class: "node", "data-path": path });
    if (Array.isArray(value) || (value !== null && typeof value === "object")) {
      const isArray = Array.isArray(value);
      const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
      node.append(el("span", { class: "open" }, isArray ? "[" : "{"));
      if (!entries.length) {
        node.append(isArray ? "]" : "}");
        return node;
      }
      node.append("\n");
      entries.forEach(([key, child], index) => {
        node.append(pad, "  ");
        if (!isArray) node.append(el("span", { class: "key" }, JSON.stringify(key)), ": ");
        node.append(jsonTree(child, isArray ? `${path}[${key}]` : `${path}.${key}`, depth + 1));
        node.append(index < entries.length - 1 ? ",\n" : "\n");
      });
      node.append(pad, isArray ? "]" : "}");
      return node;
    }
    const kind = typeof value === "string" ? "str" : typeof value === "number" ? "num" : "lit";
    node.append(el("span", { class: `open ${kind}` }, JSON.stringify(value)));
    return node;
  }

  function pretty(text, root) {
    try {
      return el("pre", { class: "json", "data-root": root }, jsonTree(JSON.parse(text), root, 0));
    } catch (error) {
      return el("pre", { class: "raw", "data-root": root }, el("span", { class: "node", "data-path": root }, el("span", { class: "open" }, text || "(empty)")));
    }
  }

  // Mark each violation at its field; a field that is absent (a missing property) is marked
  // at the nearest enclosing value that exists, and the note says which field is meant.
  function mark(container, violations) {
    const nodes = new Map();
    for (const node of container.querySelectorAll("[data-path]")) nodes.set(node.dataset.path, node);
    violations.forEach((violation, index) => {
      let path = violation.field;
      while (path && !nodes.has(path)) {
        const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
        path = cut > 0 ? path.slice(0, cut) : "";
      }
      if (!path) return;
      const node = nodes.get(path);
      node.classList.add("violation");
      if (!node.dataset.violation) node.dataset.violation = String(index);
      const text = path === violation.field ? `  ⚠ ${violation.reason}` : `  ⚠ ${violation.field}: ${violation.reason}`;
      const note = el("span", { class: "violation-note", "data-field": violation.field }, text);
      const anchor = node.tagName === "TR" ? node.lastElementChild : node.querySelector(".open") || node;
      anchor.append(note);
    });
  }

  function show(record) {
    const violations = record.errors.map((v) => ({ ...v }));
    const status = record.status === null ? `no HTTP answer (${record.fault || "dropped"})` : String(record.status);
    const answerType = Object.entries(record.response_headers).find(([k]) => k.toLowerCase() === "content-type");
    const replayUrl = el("input", { id: "replay-url", type: "url", placeholder: "http://127.0.0.1:8000/webhook", "aria-label": "Replay to URL" });
    replayUrl.value = localStorage.getItem("mockserver.replay.url") || "";
    const replayToken = el("input", { id: "replay-token", type: "password", placeholder: "token to re-sign with (optional)", "aria-label": "Token to re-sign with", autocomplete: "off" });
    const replayResult = el("div", { id: "replay-result", class: "result", role: "status" });
    const curl = el("pre", { id: "curl", class: "mono" }, "…");
    const copied = el("span", { role: "status", class: "status" });

    function answeredBy(r) {
      if (r.rule) return `script rule ${r.rule}`;
      if (r.forward) return `the backend at ${r.forward.url} (--forward-to)`;
      return r.verdict === "valid" ? "the contract's default answer" : "the mock's refusal";
    }
    function forwardSummary(f) {
      const took = `${Number(f.latency_ms).toFixed(1)} ms`;
      if (f.delivered) return `${f.status} in ${took}: conforms; vendor ${f.outcome}`;
      const why = f.error || (f.violations.length ? `${f.violations[0].field}: ${f.violations[0].reason}` : `HTTP ${f.status}`);
      return `failed after ${took}: ${why}; vendor ${f.outcome}`;
    }

    const sections = [
      el("h2", { id: "detail-title" }, `#${record.id} ${title(record)}`),
      facts([
        ["verdict", el("span", { class: `badge ${record.verdict}` }, record.verdict)],
        ["received", `${new Date(record.received * 1000).toISOString()} (worker ${record.worker})`],
        ["status", status],
        ["latency", `${record.latency_ms.toFixed(1)} ms`],
        ["signature", record.signature || "not checked (the mock has no --token)"],
        ["answered by", answeredBy(record)],
        ...(record.forward ? [["backend", forwardSummary(record.forward)]] : []),
        ...(record.fault ? [["fault", record.fault]] : []),
        ["request", `${record.method} ${record.path}`],
      ]),
    ];
    if (violations.length) {
      sections.push(
        el("h3", {}, `Violations (${violations.length})`),
        el("ul", { class: "violations", id: "violations" }, ...violations.map((v, i) => el("li", {},
          el("a", { href: `#violation-${i}`, onclick: (event) => jump(event, i) }, el("code", {}, v.field)), `: ${v.reason}`))),
      );
    }
    const queryTable = table(record.query, "query", "Query parameters");
    const headerTable = table(record.headers, "header", "Request headers");
    const body = pretty(record.body, "body");
    sections.push(
      el("h3", {}, "Query"), queryTable,
      el("h3", {}, "Headers"), headerTable,
      el("h3", {}, "Body"), body,
      el("h3", {}, "Answer ", el("small", {}, `${status}${answerType ? ` · ${answerType[1]}` : ""}`)),
      pretty(record.response_body, "answer"),
      el("h3", {}, "Answer headers"), table(record.response_headers, "answer-header", "Answer headers"),
      el("h3", {}, "Copy as curl"),
      curl,
      el("div", { class: "row" }, el("button", { id: "copy-curl", type: "button", onclick: () => copy(curl.textContent, copied) }, "Copy as curl"), copied),
      el("h3", {}, "Replay"),
      el("div", { class: "row" }, replayUrl, replayToken,
        el("button", { id: "replay", type: "button", onclick: () => replay(record, replayUrl, replayToken, replayResult) }, "Replay")),
      replayResult,
    );
    detail.replaceChildren(...sections);
    mark(detail, violations);
    loadCurl(record, curl);
  }

  function jump(event, index) {
    const target = document.querySelector(`[data-violation="${index}"]`);
    if (!target) return;
    event.preventDefault();
    target.scrollIntoView({ block: "center" });
  }

  async function loadCurl(record, target) {
    const url = `${location.origin}${record.path}`;
    const { ok, data } = await api("/replay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ids: [record.id], url, dry_run: true }),
    });
    target.textContent = ok && data.results.length ? data.results[0].curl : `cannot build the command: ${problemText(data)}`;
  }

  async function copy(text, status) {
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "copied";
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents($("curl"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      status.textContent = "selected: press Ctrl+C to copy";
    }
  }

  async function replay(record, urlInput, tokenInput, result) {
    const url = urlInput.value.trim();
    if (!url) {
      result.className = "result error";
      result.textContent = "Enter the URL to replay to.";
      urlInput.focus();
      return;
    }
    localStorage.setItem("mockserver.replay.url", url);
    result.className = "result";
    result.textContent = "sending…";
    const request = { ids: [record.id], url };
    if (tokenInput.value) request.token = tokenInput.value;
    const { ok, data } = await api("/replay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request),
    });
    if (!ok) {
      result.className = "result error";
      result.textContent = problemText(data);
      return;
    }
    const line = data.results[0];
    result.className = line.delivered ? "result status" : "result error";
    result.textContent = line.line;
  }

  // ------------------------------------------------------------------- script
  async function showScript() {
    const { ok, data } = await api("/scripts");
    if (!ok) {
      $("script-error").textContent = problemText(data);
      return;
    }
    $("script-version").textContent = String(data.version);
    $("script-text").value = JSON.stringify({ rules: data.rules }, null, 2);
  }

  async function loadScript() {
    $("script-error").textContent = "";
    $("script-status").textContent = "";
    const { ok, data } = await api("/scripts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: $("script-text").value,
    });
    if (!ok) {
      $("script-error").textContent = `Not loaded: ${problemText(data)}`;
      return;
    }
    $("script-version").textContent = String(data.version);
    $("script-status").textContent = `Loaded: version ${data.version}, ${data.rules.length} rule(s).`;
  }

  $("script-load").addEventListener("click", loadScript);
  $("script-show").addEventListener("click", showScript);

  $("reset").addEventListener("click", async () => {
    const { ok, data } = await api("/reset", { method: "POST" });
    if (!ok) {
      $("count").textContent = problemText(data);
      return;
    }
    records.clear();
    selected = null;
    render();
    detail.replaceChildren(el("h2", { id: "detail-title" }, "Delivery"), el("p", { class: "hint" }, `Reset: ${data.deleted} deliveries deleted, script emptied.`));
    showScript();
  });

  // ---------------------------------------------------------------- live feed
  function connect() {
    source = new EventSource(`${base}/events`);
    source.addEventListener("ready", () => {
      $("live").textContent = "live";
      $("live").classList.add("on");
      reload();
    });
    source.addEventListener("delivery", (event) => add(JSON.parse(event.data)));
    source.addEventListener("error", () => {
      $("live").textContent = "reconnecting…";
      $("live").classList.remove("on");
    });
  }

  for (const control of [fCommand, fVerdict, fSince]) control.addEventListener("change", reload);
  $("filters").addEventListener("reset", () => setTimeout(reload, 0));
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  addEventListener("pagehide", () => source && source.close());

  connect();
  showScript();
})();
