// The history page: a unit's whole story by serial, MAC or board code, and the
// attempts by result, slot, work order and time, newest first, a page at
// a time, with the same rows as CSV. It reads GET /api/v1/units/{key} and
// GET /api/v1/attempts: the queries jigctl audit prints (docs/api.md).
import { ApiError, getJson, tokenQuery } from "./api.js";
import { el } from "./dom.js";
import { whoAmI } from "./login.js";

const $ = (id) => document.getElementById(id);
let cursor = null;

function say(text) {
  $("said").textContent = text;
}

/** The filters as a query string (empty fields left out). */
function filterQuery(extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData($("filters"))) if (v) q.set(k, v);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

function attemptRow(a) {
  const tr = el("tr", `result-${a.result}`);
  tr.dataset.attempt = a.attempt_id;
  const serial = el("td");
  if (a.serial) {
    const link = el("a", "serial-link", a.serial);
    link.href = "#";
    link.addEventListener("click", (e) => { e.preventDefault(); showUnit(a.serial); });
    serial.append(link);
  }
  const cell = (v) => el("td", null, v);
  tr.append(cell(a.attempt_id), cell(a.started_at), cell(a.slot), serial, cell(a.mac),
            cell(a.result), cell(a.failed_phase), cell(a.cause), cell(a.work_order),
            cell(a.board_code));
  return tr;
}

async function showAttempts(more) {
  const body = $("attempts").tBodies[0];
  if (!more) {
    body.replaceChildren();
    cursor = null;
  }
  const q = filterQuery(more && cursor ? { cursor } : {});
  const csv = filterQuery({ format: "csv", limit: "1000" });
  for (const [k, v] of tokenQuery()) csv.set(k, v);
  $("csv").href = `/api/v1/attempts?${csv}`;
  try {
    const page = await getJson(`/api/v1/attempts?${q}`);
    for (const a of page.attempts) body.append(attemptRow(a));
    cursor = page.next_cursor;
    $("more").hidden = cursor === null;
    say(`${body.rows.length} attempt${body.rows.length === 1 ? "" : "s"} shown, newest first` +
        (cursor === null ? "" : "; More shows older ones"));
  } catch (error) {
    say(error.message);
  }
}

function table(headers, rows) {
  const t = el("table", "records");
  const head = el("tr");
  for (const h of headers) head.append(el("th", null, h));
  t.append(head);
  for (const r of rows) {
    const tr = el("tr");
    for (const v of r) tr.append(el("td", null, v));
    t.append(tr);
  }
  return t;
}

function unitStory(h) {
  const u = h.unit;
  const box = el("article", "unit");
  box.dataset.serial = u.serial;
  box.append(el("h2", null, `${u.serial}${u.voided ? " (voided)" : ""}`));
  box.append(el("p", null, `MAC ${u.mac} · ${u.chip || "?"} ${u.revision || ""} · first seen ` +
                     `${u.first_seen} · last seen ${u.last_seen}` +
                     (u.voided ? ` · voided ${u.voided_at}: ${u.void_reason}` : "")));
  const codes = (h.board_codes || []).map((c) => c.code);
  const codeLine = el("p", "board-codes", `board code${codes.length === 1 ? "" : "s"}: ` +
                      (codes.length ? codes.join(", ") : "none scanned"));
  box.append(codeLine);
  box.append(el("h3", null, "Attempts"));
  box.append(table(["attempt", "started", "ended", "slot", "result", "phase", "cause", "phases (ms)"],
    h.attempts.map((a) => [a.id, a.started_at, a.ended_at, a.slot, a.result, a.failed_phase,
                           a.cause, (a.phases || []).map((p) => `${p.phase} ${p.duration_ms}`).join(", ")])));
  box.append(el("h3", null, "Certificates"));
  box.append(table(["SHA-256 fingerprint", "subject", "valid from", "valid to"],
    (h.certificates || []).map((c) => [c.fingerprint_sha256, c.subject, c.not_before, c.not_after])));
  box.append(el("h3", null, "Events"));
  box.append(table(["time", "actor", "action"], (h.events || []).map((e) => [e.at, e.actor, e.action])));
  return box;
}

async function showUnit(key) {
  const story = $("story");
  story.hidden = false;
  try {
    const { units } = await getJson(`/api/v1/units/${encodeURIComponent(key)}`);
    story.replaceChildren(...units.map(unitStory));
  } catch (error) {
    story.replaceChildren(el("p", "said", error instanceof ApiError ? error.body.error : error.message));
  }
}

async function begin() {
  await whoAmI();
  $("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = new FormData($("search")).get("key").trim();
    if (key) showUnit(key);
  });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); showAttempts(false); });
  $("more").addEventListener("click", () => showAttempts(true));
  showAttempts(false);
}
begin();
