// daemon/api/openapi.json against jigd itself (issue 10):
//   1. the document and the route tables agree, route by route and role by
//      role (the tables are read from daemon/'s C source), and the checks
//      that say so are shown to fail on spoilt copies;
//   2. it is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)
//      and every schema in it compiles under ajv's strict mode (2020-12);
//   3. a real jigd flashing an espsim rack (units with serials, keys,
//      certificates, a scanned label, a failure, an alarm, work orders)
//      answers every route, and each answer's body matches the document's
//      schema for its status, with no field the document does not name;
//      refusals (400, 401, 403, 404, 409, 415) match the Error object.
// Every documented operation must have been answered with success by the
// end: a route the test does not call fails it, so a new route needs a
// block in openapi.json and a call here (see ROUTE CALLS below).
//
// usage: node openapi.mjs ESPSIM JIGD JIGCTL VECTORS_DIR STUB_DIR
// env:   UNIT_DB_TOOL (tests/jigd/unit_db_tool), OPENAPI_OUT (jigd's log;
//        default ./openapi-out)
// A missing npm package is a failure with what to install, never a skip.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EspsimRack } from "../conformance/espsim_rack.mjs";
import { freePort, Jigd, until } from "../jigd/jigd_process.mjs";
import { closed, documentProblems, linked, operations, resolve, routeTables, SCHEMA_URN,
         tableProblems } from "./openapi_contract.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const docPath = path.join(repo, "daemon/api/openapi.json");
const [espsim, jigd, jigctl, vectors, stubDir] = process.argv.slice(2);
const out = path.resolve(process.env.OPENAPI_OUT || "openapi-out");
const WORK_ORDER = "WO-OA";
const BROKEN = 3;                       // espsim --board 3:strap=broken: fails in connect
const NO_PORT = 4;                      // a slot whose port does not exist: an alarm
const LABEL = "PCB-OA-0001";

let failures = 0;
function fail(message) {
  console.error(`FAIL: ${message}`);
  failures++;
}
/** A failure after which the test cannot go on. */
function fatal(message) {
  fail(message);
  throw Object.assign(new Error(message), { counted: true });
}

async function need(pkg, what) {
  try {
    return await import(pkg);
  } catch (error) {
    fatal(`${pkg} is not installed (${error.message}): it is in package.json for ${what}; ` +
          "run deploy/setup.sh (npm ci)");
  }
}

// ---- 1 and 2: the document on its own -------------------------------------

function checkTables(doc) {
  const routes = routeTables(path.join(repo, "daemon"));
  const problems = [...tableProblems(routes, doc), ...documentProblems(doc)];
  problems.forEach(fail);
  if (!problems.length)
    console.log(`ok: ${routes.length} routes in daemon/'s tables, ${operations(doc).length} ` +
                "operations in openapi.json: the same, with the same roles");
  return routes;
}

/** Each rule, given a spoilt copy, must say so: a check that cannot fail
 *  proves nothing. */
function selfCheck(doc, routes) {
  const copy = () => JSON.parse(JSON.stringify(doc));
  const spoilt = [
    ["a route the document lacks", () => { const d = copy(); delete d.paths["/api/v1/bundle"].get; return tableProblems(routes, d); }],
    ["a role that differs", () => { const d = copy(); d.paths["/api/v1/bundle/load"].post["x-jigd-role"] = "operator"; return tableProblems(routes, d); }],
    ["a documented path with no route", () => { const d = copy(); d.paths["/api/v1/nothing"] = { get: d.paths["/api/v1/station"].get }; return tableProblems(routes, d); }],
    ["a route added to a table", () => tableProblems([...routes, { method: "GET", path: "/api/v1/new", handler: "get_new", role: "viewer", file: "x.c" }], doc)],
    ["a 4xx body that is not Error", () => { const d = copy(); d.paths["/api/v1/bundle"].get.responses["404"].content["application/json"].schema = { type: "object" }; return documentProblems(d); }],
    ["an undeclared path parameter", () => { const d = copy(); delete d.paths["/api/v1/units/{key}"].parameters; return documentProblems(d); }],
    ["a POST without 415", () => { const d = copy(); delete d.paths["/api/v1/tokens"].post.responses["415"]; return documentProblems(d); }],
  ];
  for (const [what, run] of spoilt) {
    if (run().length) console.log(`ok: self-check: ${what} is caught`);
    else fail(`self-check: ${what} is not caught`);
  }
}

async function checkValidator(doc) {
  const { Validator } = await need("@seriousme/openapi-schema-validator", "the OpenAPI validator");
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(JSON.stringify(doc)));
  if (!result.valid || validator.version !== "3.1")
    fail(`openapi.json is not a valid OpenAPI 3.1 document (${validator.version}):\n` +
         JSON.stringify(result.errors, null, 1).slice(0, 4000));
  else console.log("ok: openapi.json is a valid OpenAPI 3.1 document");
}

/** ajv (JSON Schema 2020-12, strict) with the document's schemas loaded,
 *  closed; and a way to compile any schema of the document against them. */
async function schemaChecker(doc) {
  const Ajv2020 = (await need("ajv/dist/2020.js", "checking answers against the document")).default;
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema({ ...linked(closed(schema)), $id: SCHEMA_URN + name });
  const cache = new Map();
  const compile = (schema) => {
    const key = JSON.stringify(schema);
    if (!cache.has(key)) cache.set(key, ajv.compile(linked(closed(schema))));
    return cache.get(key);
  };
  // Every schema the document holds, compiled now: a typo in a keyword
  // or a reference to nothing fails here, not when an answer first uses it.
  let n = 0;
  const each = (content) => Object.values(content || {}).forEach((m) => m.schema && (compile(m.schema), n++));
  try {
    for (const name of Object.keys(doc.components.schemas)) ajv.getSchema(SCHEMA_URN + name) && n++;
    for (const { op, item } of operations(doc)) {
      for (const r of Object.values(op.responses)) each(resolve(doc, r).content);
      if (op.requestBody) each(resolve(doc, op.requestBody).content);
      for (const p of [...(item.parameters || []), ...(op.parameters || [])])
        if (resolve(doc, p).schema) compile(resolve(doc, p).schema), n++;
    }
    console.log(`ok: ajv (2020-12, strict) compiles all ${n} schemas of the document`);
  } catch (error) {
    fatal(`a schema of openapi.json does not compile: ${error.message}`);
  }
  return { compile, errors: (v) => ajv.errorsText(v.errors, { separator: "\n    " }) };
}

// ---- 3: real answers --------------------------------------------------------

/** The station's API as the document describes it: each call names the
 *  documented path template, and its answer is held to that operation.
 *  A body the test sends is checked against the request schema too, but
 *  for one marked `invalid` (a refusal the test provokes). */
class Api {
  constructor(doc, checker, url) {
    this.doc = doc;
    this.checker = checker;
    this.url = url;
    this.succeeded = new Set();          // "GET /api/v1/x" answered 2xx, checked
    this.statuses = new Map();           // "GET /api/v1/x" -> statuses seen
  }

  async call(method, template, { params = {}, query = {}, body, token, headers = {},
                                 expect = null, invalid = false } = {}) {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    const key = `${method} ${template}`;
    if (!op) fatal(`the test calls ${key}, which openapi.json does not document`);
    // jigd takes the path as sent, never percent-decoded: only what a
    // path segment cannot hold is encoded (a MAC's colons are not).
    let target = template.replace(/\{(\w+)\}/g, (_, name) =>
      String(params[name]).replace(/[^\w.~:@!$&'()*+,;=-]/g, encodeURIComponent));
    const q = new URLSearchParams(query).toString();
    if (q) target += `?${q}`;
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (method === "POST" && !("Content-Type" in h)) h["Content-Type"] = "application/json";
    const raw = Buffer.isBuffer(body);     // an upload's archive, not JSON
    if (body !== undefined && op.requestBody && !invalid && !raw) this.check(key, "request body",
      resolve(this.doc, op.requestBody).content["application/json"].schema, body);
    const res = await fetch(this.url + target, { method, headers: h,
      body: body === undefined ? undefined : raw || typeof body === "string" ? body : JSON.stringify(body) });
    const text = await res.text();
    const where = `${method} ${target} -> ${res.status}`;
    if (!this.statuses.has(key)) this.statuses.set(key, new Set());
    this.statuses.get(key).add(res.status);
    const wanted = expect === null ? null : [].concat(expect);
    if (wanted && !wanted.includes(res.status))
      fatal(`${where}, expected ${wanted.join(" or ")}: ${text.slice(0, 600)}`);
    const documented = op.responses[String(res.status)];
    if (!documented) {
      fail(`${where}: openapi.json does not document status ${res.status} for ${key}`);
      return { status: res.status, text, body: null, headers: res.headers };
    }
    const response = resolve(this.doc, documented);
    const type = (res.headers.get("content-type") || "").split(";")[0].trim();
    const media = response.content?.[type];
    if (!media) {
      fail(`${where}: Content-Type '${type}' is not one openapi.json names (` +
           `${Object.keys(response.content || {}).join(", ")})`);
      return { status: res.status, text, body: null, headers: res.headers };
    }
    let parsed = text;
    if (type === "application/json") {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        fail(`${where}: the body is not JSON: ${text.slice(0, 200)}`);
        return { status: res.status, text, body: null, headers: res.headers };
      }
    }
    const ok = this.check(key, `${res.status} ${type}`, media.schema, parsed);
    if (ok && res.status >= 200 && res.status < 300) this.succeeded.add(key);
    return { status: res.status, text, body: parsed, headers: res.headers };
  }

  check(key, what, schema, value) {
    const validate = this.checker.compile(schema);
    if (validate(value)) return true;
    fail(`${key} ${what} does not match openapi.json:\n    ${this.checker.errors(validate)}\n` +
         `    ${JSON.stringify(value).slice(0, 800)}`);
    return false;
  }
}

function tokenAdd(work, name, role) {
  return execFileSync(jigctl, ["token", "add", name, "--role", role, "--db", `${work}/station.db`],
                      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

/** A bundle with room for the per-unit partitions, its NVS template and
 *  the [identity]/[unit] lines (tests/jigd/identity_bundle.sh). */
function identityBundle(dir, seed, unitLines = "") {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("bash", ["-c", 'source "$0" && identity_bundle "$1" "$2" 16 "$3" && ' +
    'identity_conf_lines "$4" > "$1/identity.conf"',
    path.join(repo, "tests/jigd/identity_bundle.sh"), dir, vectors, String(seed), unitLines]);
  return { bundle: `${dir}/bundle1`, conf: fs.readFileSync(`${dir}/identity.conf`, "utf8") };
}

/** The first events of the stream (replayed from the start), each checked
 *  against the Event schema (a resync against Resync). */
async function readEvents(api, token, count) {
  const res = await fetch(`${api.url}/api/v1/events?access_token=${encodeURIComponent(token)}`,
                          { headers: { "Last-Event-ID": "0" } });
  const key = "GET /api/v1/events";
  const type = res.headers.get("content-type");
  if (res.status !== 200 || type !== "text/event-stream")
    fatal(`${key} -> ${res.status} ${type}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "", seen = 0;
  const deadline = setTimeout(() => reader.cancel(), 10000);
  try {
    while (seen < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end;
      while ((end = text.indexOf("\n\n")) >= 0 && seen < count) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (!data) continue;
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const schema = { $ref: `#/components/schemas/${name === "resync" ? "Resync" : "Event"}` };
        if (api.check(key, `event '${name}'`, schema, JSON.parse(data[1]))) seen++;
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
  if (seen < count) fatal(`${key}: ${seen} events read, ${count} wanted`);
  api.succeeded.add(key);
  console.log(`ok: ${seen} events of the stream match Event`);
}

/** The schemas as the test applies them must refuse a real answer with a
 *  field added, a field taken away, or a field of the wrong type. */
function strictnessSelfCheck(api, slot) {
  const validate = api.checker.compile({ $ref: "#/components/schemas/Slot" });
  const { serial, ...withoutSerial } = slot;
  const spoilt = [["a field the document does not name", { ...slot, surprise: 1 }],
                  ["a required field left out", withoutSerial],
                  ["a field of the wrong type", { ...slot, passed: "one" }],
                  ["an unknown state", { ...slot, state: "asleep" }],
                  ["an unknown field in a nested object", { ...slot, scan: { ...slot.scan, extra: true } }]];
  if (!validate(slot)) fail("self-check: the real slot does not pass");
  for (const [what, body] of spoilt) {
    if (validate(body)) fail(`self-check: a slot with ${what} (${serial}) passes the schema`);
    else console.log(`ok: self-check: a slot with ${what} is refused`);
  }
}

// ---- ROUTE CALLS: every route, with success and with refusals ---------------
// A new route: its call goes here, with the token of its role.

async function exercise(api, t, work, bundle2) {
  const { admin, viewer, operator } = t;
  const doc = await api.call("GET", "/api/v1/openapi.json", { token: viewer, expect: 200 });
  if (doc.text !== fs.readFileSync(docPath, "utf8"))
    fail("GET /api/v1/openapi.json is not daemon/api/openapi.json byte for byte: rebuild jigd");
  await api.call("GET", "/api/v1/station", { token: viewer, expect: 200 });
  const who = await api.call("GET", "/api/v1/whoami", { token: viewer, expect: 200 });
  if (who.body.actor !== "oa-viewer" || who.body.role !== "viewer") fail(`whoami: ${who.text}`);
  await api.call("GET", "/api/v1/slots", { token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/bundle", { token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/alarms", { token: viewer, expect: 200 });

  // A label for slot 1, then three boards: 1 and 2 pass, 3 is aborted.
  await api.call("POST", "/api/v1/board_codes", { token: operator, body: { code: LABEL, slot: 1 }, expect: 200 });
  for (const slot of [1, 2, BROKEN])
    await api.call("POST", "/api/v1/slots/{slot}/start", { params: { slot }, token: operator, body: {}, expect: 202 });
  await api.call("POST", "/api/v1/slots/{slot}/abort", { params: { slot: BROKEN }, token: operator, expect: 202 });
  const slots = {};
  for (const slot of [1, 2, BROKEN]) {
    slots[slot] = await until(`slot ${slot} to end its unit`, 120, async () => {
      const s = (await api.call("GET", "/api/v1/slots/{slot}", { params: { slot }, token: viewer, expect: 200 })).body;
      return s.state !== "running" && s.last_result !== null && s;
    });
  }
  if (slots[1].state !== "passed" || slots[2].state !== "passed" || slots[BROKEN].state !== "failed")
    fatal(`slot states ${slots[1].state}, ${slots[2].state}, ${slots[BROKEN].state}: expected passed, passed, failed`);
  if (slots[1].board_code !== LABEL) fail(`slot 1's board code is ${slots[1].board_code}`);
  strictnessSelfCheck(api, slots[1]);
  await api.call("POST", "/api/v1/slots/{slot}/identify", { params: { slot: 1 }, token: operator, expect: 202 });
  // The label of slot 1's unit ([label] writes to a folder): its preview, a reprint.
  await api.call("GET", "/api/v1/slots/{slot}/label", { params: { slot: 1 }, token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/slots/{slot}/label", { params: { slot: BROKEN }, token: viewer, expect: 404 });
  await api.call("POST", "/api/v1/units/{serial}/label", { params: { serial: slots[1].serial }, token: operator, body: {}, expect: 202 });
  await api.call("POST", "/api/v1/units/{serial}/label", { params: { serial: "NO-SUCH-UNIT" }, token: operator, body: {}, expect: 404 });
  await api.call("POST", "/api/v1/slots/{slot}/abort", { params: { slot: 2 }, token: operator, expect: 409 });
  await api.call("GET", "/api/v1/slots", { token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/station", { token: viewer, expect: 200 });
  console.log(`ok: slots 1 and 2 passed (${slots[1].serial}, ${slots[2].serial}), slot ${BROKEN} aborted`);

  await readEvents(api, viewer, 12);

  const alarms = (await api.call("GET", "/api/v1/alarms", { token: viewer, expect: 200 })).body.alarms;
  const noPort = alarms.find((a) => a.kind === "slot" && a.slot === NO_PORT);
  if (!noPort) fatal(`no alarm for slot ${NO_PORT}'s missing port: ${JSON.stringify(alarms)}`);
  await api.call("POST", "/api/v1/alarms/{id}/ack", { params: { id: noPort.id }, token: operator, expect: 200 });
  await api.call("POST", "/api/v1/alarms/{id}/ack", { params: { id: noPort.id }, token: operator, expect: 409 });
  await api.call("POST", "/api/v1/alarms/{id}/ack", { params: { id: 999999 }, token: operator, expect: 404 });

  // The records.
  await api.call("GET", "/api/v1/attempts", { token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/attempts", { token: viewer, query: { result: "failed", slot: BROKEN, limit: 1 }, expect: 200 });
  await api.call("GET", "/api/v1/attempts", { token: viewer, query: { format: "csv" }, expect: 200 });
  await api.call("GET", "/api/v1/attempts", { token: viewer, query: { limit: 0 }, expect: 400 });
  await api.call("GET", "/api/v1/attempts", { token: viewer, query: { from: "yesterday" }, expect: 400 });
  await api.call("GET", "/api/v1/units", { token: viewer, query: { work_order: WORK_ORDER }, expect: 200 });
  await api.call("GET", "/api/v1/units", { token: viewer, query: { format: "csv", order: "oldest" }, expect: 200 });
  await api.call("GET", "/api/v1/units", { token: viewer, query: { state: "lost" }, expect: 400 });
  for (const key of [slots[1].serial, LABEL, slots[2].mac])
    await api.call("GET", "/api/v1/units/{key}", { params: { key }, token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/units/{key}", { params: { key: "NO-SUCH-UNIT" }, token: viewer, expect: 404 });
  for (const [name, query] of [["yield", {}], ["pareto", {}], ["pareto", { by: "phase" }], ["rate", {}],
    ["duplicates", {}], ["rate", { format: "csv" }]])
    await api.call("GET", "/api/v1/reports/{name}", { params: { name }, query, token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/reports/{name}", { params: { name: "yield" }, query: { format: "csv" }, token: viewer, expect: 400 });
  await api.call("GET", "/api/v1/reports/{name}", { params: { name: "nope" }, token: viewer, expect: 404 });
  await api.call("GET", "/api/v1/audit/verify", { token: admin, expect: 200 });
  await api.call("GET", "/metrics", { token: viewer, expect: 200 });
  await api.call("GET", "/api/v1/audit/verify", { token: viewer, expect: 403 });

  // Work orders: the one the station flashes against, and one made and closed here.
  const active = (await api.call("GET", "/api/v1/work-orders/{id}", { params: { id: WORK_ORDER }, token: viewer, expect: 200 })).body;
  if (!active.active || active.done !== 2) fail(`${WORK_ORDER}: ${JSON.stringify(active)}`);
  await api.call("GET", "/api/v1/work-orders/{id}", { params: { id: "WO-NONE" }, token: viewer, expect: 404 });
  await api.call("POST", "/api/v1/work-orders", { token: t.mes, body: { id: "WO-OA-2", quantity: 5 }, expect: 201 });
  await api.call("POST", "/api/v1/work-orders", { token: t.mes, body: { id: "WO-OA-2", quantity: 5 }, expect: 409 });
  await api.call("POST", "/api/v1/work-orders", { token: t.mes, body: { id: "WO-OA-3" }, invalid: true, expect: 400 });
  await api.call("GET", "/api/v1/work-orders", { token: viewer, expect: 200 });
  await api.call("POST", "/api/v1/work-orders/{id}/close", { params: { id: "WO-OA-2" }, token: t.mes, body: { reason: "test" }, expect: 200 });
  await api.call("POST", "/api/v1/work-orders/{id}/close", { params: { id: "WO-OA-2" }, token: t.mes, body: { reason: "again" }, expect: 409 });
  await api.call("POST", "/api/v1/work-orders/{id}/close", { params: { id: "WO-NONE" }, token: t.mes, body: { reason: "x" }, expect: 404 });

  // A serial voided (slot 2's board), twice; one never allocated; no reason.
  const serial = { params: { serial: slots[2].serial }, token: t.mes };
  await api.call("POST", "/api/v1/serials/{serial}/void", { ...serial, body: { reason: "label misprinted" }, expect: 200 });
  await api.call("POST", "/api/v1/serials/{serial}/void", { ...serial, body: { reason: "again" }, expect: 409 });
  await api.call("POST", "/api/v1/serials/{serial}/void", { ...serial, body: {}, invalid: true, expect: 400 });
  await api.call("POST", "/api/v1/serials/{serial}/void", { params: { serial: "NOPE-1" }, token: t.mes, body: { reason: "x" }, expect: 404 });

  // Tokens: made, used, revoked.
  await api.call("GET", "/api/v1/tokens", { token: admin, expect: 200 });
  const made = (await api.call("POST", "/api/v1/tokens", { token: admin, body: { name: "oa-mes-2", role: "mes" }, expect: 201 })).body;
  await api.call("POST", "/api/v1/tokens", { token: admin, body: { name: "oa-mes-2", role: "mes" }, expect: 409 });
  await api.call("POST", "/api/v1/tokens", { token: admin, body: { name: "bad name", role: "boss" }, invalid: true, expect: 400 });
  await api.call("POST", "/api/v1/bundle/load", { token: made.token, body: { path: bundle2 }, expect: [200, 202] });
  await api.call("POST", "/api/v1/bundle/load", { token: made.token, body: { path: `${work}/no-such-bundle` }, expect: 404 });
  await api.call("POST", "/api/v1/bundle/load", { token: made.token, body: { path: "" }, invalid: true, expect: 400 });
  await api.call("POST", "/api/v1/tokens/{name}/revoke", { params: { name: "oa-mes-2" }, token: admin, expect: 200 });
  await api.call("POST", "/api/v1/tokens/{name}/revoke", { params: { name: "oa-mes-2" }, token: admin, expect: 404 });
  await until("the second bundle", 30, async () =>
    (await api.call("GET", "/api/v1/bundle", { token: viewer, expect: 200 })).body.dir === bundle2);

  // The bundle store: the second bundle uploaded as a tar, listed and
  // activated; a work order with it and a serial format of its own,
  // activated between boards.
  const tar = execFileSync("tar", ["-C", bundle2, "-cf", "-", "."]);
  const archive = { "Content-Type": "application/x-tar" };
  const up = (await api.call("POST", "/api/v1/bundles", { token: t.mes, body: tar, headers: archive, expect: 200 })).body;
  await api.call("POST", "/api/v1/bundles", { token: t.mes, body: Buffer.from("no archive ".repeat(100)), headers: archive, expect: 422 });
  await api.call("POST", "/api/v1/bundles", { token: t.mes, body: { path: bundle2 }, invalid: true, expect: 415 });
  await api.call("GET", "/api/v1/bundles", { token: viewer, expect: 200 });
  await api.call("POST", "/api/v1/bundles/{id}/activate", { params: { id: up.bundle.id.slice(0, 12) }, token: t.mes, expect: 202 });
  await api.call("POST", "/api/v1/bundles/{id}/activate", { params: { id: "00000000" }, token: t.mes, expect: 404 });
  await api.call("POST", "/api/v1/work-orders", { token: t.mes, body: { id: "WO-OA-4", quantity: 3, bundle: up.bundle.id, serial_format: "OA-{seq:03}" }, expect: 201 });
  await api.call("POST", "/api/v1/work-orders", { token: t.mes, body: { id: "WO-OA-5", quantity: 3, bundle: "0123456789abcdef" }, expect: 422 });
  const wo = (await api.call("POST", "/api/v1/work-orders/{id}/activate", { params: { id: "WO-OA-4" }, token: t.mes, expect: 200 })).body;
  if (!wo.active || wo.serial_format !== "OA-{seq:03}") fail(`WO-OA-4 activated: ${JSON.stringify(wo)}`);
  await api.call("POST", "/api/v1/work-orders/{id}/activate", { params: { id: "WO-OA-2" }, token: t.mes, expect: 409 });
  await api.call("POST", "/api/v1/work-orders/{id}/activate", { params: { id: "WO-NONE" }, token: t.mes, expect: 404 });

  // Refusals of the front door and the routes, each an Error.
  await api.call("GET", "/api/v1/slots/{slot}", { params: { slot: 99 }, token: viewer, expect: 404 });
  await api.call("GET", "/api/v1/slots/{slot}", { params: { slot: "abc" }, token: viewer, expect: 404 });
  await api.call("POST", "/api/v1/slots/{slot}/start", { params: { slot: 1 }, token: viewer, expect: 403 });
  await api.call("GET", "/api/v1/station", { expect: 401 });
  await api.call("POST", "/api/v1/slots/{slot}/start", { params: { slot: 1 }, token: operator,
                                                       headers: { "Content-Type": "text/plain" }, expect: 415 });
  await api.call("POST", "/api/v1/board_codes", { token: operator, body: "not json", invalid: true, expect: 400 });
  await api.call("POST", "/api/v1/board_codes", { token: operator, body: { code: "PCB-OA-9", slot: 99 }, expect: 404 });
  await api.call("POST", "/api/v1/tokens", { token: operator, body: { name: "x", role: "viewer" }, expect: 403 });
}

async function live(doc, checker) {
  for (const [what, file] of [["espsim", espsim], ["jigd", jigd], ["jigctl", jigctl],
    ["UNIT_DB_TOOL", process.env.UNIT_DB_TOOL]])
    if (!file || !fs.existsSync(file)) fatal(`${what} not found at '${file}'`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const logFile = path.join(out, "jigd.log");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "jigd_openapi."));
  let rack, station;
  try {
    const first = identityBundle(`${work}/b1`, 1, `work_order = ${WORK_ORDER}`);
    const second = identityBundle(`${work}/b2`, 2);
    fs.copyFileSync(`${work}/b1/unit.csv`, `${work}/unit.csv`);
    rack = await EspsimRack.start({ espsim, chip: "esp32", boards: 3, flashDir: `${work}/flash`,
                                    extraArgs: ["--board", `${BROKEN}:strap=broken`] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const slots = [1, 2, BROKEN].map((i) =>
      `[slot ${i}]\nport = rfc2217://127.0.0.1:${rack.boardPort(i)}\ntrigger = manual\n`).join("") +
      `[slot ${NO_PORT}]\nport = /dev/serial/by-id/usb-jigd-openapi-typo-if00-port0\n`;
    fs.writeFileSync(`${work}/jigd.conf`, `[station]\nname = openapi-line\nlisten = 127.0.0.1:${port}\n` +
      `data_dir = ${work}\nbundle = ${first.bundle}\nstub_dir = ${stubDir}\nboot_log_seconds = 1\n` +
      `led_gpio = 2\nboard_code = optional\n${slots}[label]\nfolder = ${work}/labels\n${first.conf}`);
    fs.mkdirSync(`${work}/labels`);
    execFileSync(process.env.UNIT_DB_TOOL, ["work-order", `${work}/station.db`, WORK_ORDER, "10"]);
    const t = { admin: tokenAdd(work, "oa-admin", "admin"), viewer: tokenAdd(work, "oa-viewer", "viewer"),
                operator: tokenAdd(work, "oa-operator", "operator"), mes: tokenAdd(work, "oa-mes", "mes") };
    station = new Jigd(jigd, `${work}/jigd.conf`, logFile, url, { token: t.admin });
    await station.start();
    const api = new Api(doc, checker, url);
    await exercise(api, t, work, second.bundle);
    const missed = operations(doc).map(({ method, path: p }) => `${method} ${p}`)
      .filter((k) => !api.succeeded.has(k));
    for (const k of missed) fail(`${k} was never answered with a success this test checked: add its call to exercise()`);
    if (!missed.length) console.log(`ok: all ${operations(doc).length} documented operations answered ` +
                                    "with success, every answer matching its schema");
    const tally = [...api.statuses].map(([k, s]) => `${k} ${[...s].sort().join("/")}`);
    console.log(`statuses seen:\n  ${tally.join("\n  ")}`);
  } finally {
    if (station) await station.stop().catch((e) => fail(e.message));
    if (rack) await rack.stop().catch((e) => fail(e.message));
    if (!failures) fs.rmSync(work, { recursive: true, force: true });
    else console.error(`the station's files are kept in ${work}; jigd's log is ${logFile}`);
  }
}

async function main() {
  const doc = JSON.parse(fs.readFileSync(docPath, "utf8"));
  const routes = checkTables(doc);
  selfCheck(doc, routes);
  await checkValidator(doc);
  const checker = await schemaChecker(doc);
  await live(doc, checker);
}

main().catch((error) => {
  if (!error.counted) fail(error.stack || String(error));
}).finally(() => {
  console.log(failures ? `openapi test: ${failures} failed` : "openapi test passed");
  process.exitCode = failures ? 1 : 0;
});
