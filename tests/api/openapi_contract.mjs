// The rules that hold daemon/api/openapi.json to jigd's code, as pure
// functions over the document and the route tables (no jigd, no network):
// tests/api/openapi.mjs runs them, and runs them again on spoilt copies to
// show each one can fail.
import fs from "node:fs";
import path from "node:path";

export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
export const ROLES = ["viewer", "operator", "mes", "admin", "public"];

// The dashboard's own files: public, no station data, described in
// docs/api.md and left out of the document (its description says so).
export const LEFT_OUT = new Set(["GET /", "HEAD /", "GET /ui/{file}", "HEAD /ui/{file}"]);

// One entry of a route table: {"GET", "/api/v1/x/{id}", handler, .role = HTTP_ROLE_VIEWER}
// (designated fields in any order; .public_file = true marks a public route).
const ROUTE = /\{\s*"([A-Z]+)"\s*,\s*"(\/[^"]*)"\s*,\s*(\w+)\s*((?:,\s*\.\w+\s*=\s*\w+\s*)*)\}/g;

function cFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...cFiles(full));
    else if (entry.name.endsWith(".c")) found.push(full);
  }
  return found;
}

/** Every route of every table in the C source under `dir`, with its role
 *  as the document names it ("public" for a route with no role). */
export function routeTables(dir) {
  const routes = [];
  for (const file of cFiles(dir).sort()) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(ROUTE)) {
      const role = /\.role\s*=\s*HTTP_ROLE_(\w+)/.exec(m[4]);
      routes.push({ method: m[1], path: m[2], handler: m[3],
                    role: role && role[1] !== "NONE" ? role[1].toLowerCase() : "public",
                    file: path.relative(path.dirname(dir), file) });
    }
  }
  return routes;
}

/** Every operation of the document: {method: "GET", path, op}. */
export function operations(doc) {
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths || {}))
    for (const method of METHODS)
      if (item[method]) ops.push({ method: method.toUpperCase(), path: p, op: item[method], item });
  return ops;
}

/** The route tables and the document, each against the other. */
export function tableProblems(routes, doc) {
  const problems = [];
  const seen = new Set();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) problems.push(`${key} is in the route tables twice (${r.file})`);
    seen.add(key);
    if (LEFT_OUT.has(key)) continue;
    const op = doc.paths?.[r.path]?.[r.method.toLowerCase()];
    if (!op) {
      problems.push(`${key} is a route (${r.file}, ${r.handler}) that openapi.json lacks: ` +
                    "add its block to daemon/api/openapi.json");
    } else if (op["x-jigd-role"] !== r.role) {
      problems.push(`${key}: openapi.json says x-jigd-role '${op["x-jigd-role"]}', ` +
                    `the route table (${r.file}) '${r.role}'`);
    }
  }
  for (const { method, path: p } of operations(doc))
    if (!seen.has(`${method} ${p}`))
      problems.push(`openapi.json documents ${method} ${p}, which no route table has`);
  for (const key of LEFT_OUT)
    if (!seen.has(key)) problems.push(`the dashboard's route ${key} is gone: update LEFT_OUT here`);
  return problems;
}

/** A local "#/components/..." reference, followed. */
export function resolve(doc, node) {
  let n = node;
  for (let hops = 0; n && n.$ref && hops < 8; hops++) {
    if (!n.$ref.startsWith("#/")) return undefined;
    n = n.$ref.slice(2).split("/").reduce((o, k) => o?.[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  }
  return n;
}

const ERROR_REF = "#/components/schemas/Error";

/** What the OpenAPI schema cannot say but this API promises: a role on
 *  every operation, path parameters declared, 401/403 where a token is
 *  needed, 415 on every POST, and the Error object for every 4xx. */
export function documentProblems(doc) {
  const problems = [];
  const ids = new Set();
  for (const { method, path: p, op, item } of operations(doc)) {
    const where = `${method} ${p}`;
    const role = op["x-jigd-role"];
    if (!ROLES.includes(role)) problems.push(`${where}: x-jigd-role '${role}' is not one of ${ROLES.join(", ")}`);
    if (!op.operationId) problems.push(`${where} has no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    const declared = [...(item.parameters || []), ...(op.parameters || [])]
      .map((x) => resolve(doc, x)).filter((x) => x?.in === "path").map((x) => x.name);
    const templated = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const name of templated)
      if (!declared.includes(name)) problems.push(`${where}: path parameter {${name}} is not declared`);
    for (const name of declared)
      if (!templated.includes(name)) problems.push(`${where}: parameter '${name}' is not in the path`);
    const codes = Object.keys(op.responses || {});
    if (!codes.some((c) => /^2\d\d$/.test(c))) problems.push(`${where} documents no success`);
    const needs = role === "public" ? [] : ["401", "403"];
    if (method === "POST") needs.push("415");
    for (const c of needs)
      if (!codes.includes(c)) problems.push(`${where} does not document ${c}`);
    for (const c of codes.filter((x) => /^4/.test(x))) {
      const schema = resolve(doc, op.responses[c])?.content?.["application/json"]?.schema;
      if (schema?.$ref !== ERROR_REF) problems.push(`${where} ${c}: the body is not the Error object`);
    }
  }
  return problems;
}

/** A copy of a schema that refuses what it does not name: every object
 *  schema with properties gets unevaluatedProperties: false unless it says
 *  otherwise. The document itself stays open (clients must tolerate new
 *  fields); the test is strict, so a field jigd adds without documenting
 *  it fails here. */
export function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== "object") return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === "properties"
      ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, closed(s)]))
      : closed(v);
  if (out.properties && !("additionalProperties" in out) && !("unevaluatedProperties" in out))
    out.unevaluatedProperties = false;
  return out;
}

export const SCHEMA_URN = "urn:jigd:openapi:";

/** References into components/schemas made into ajv schema ids. */
export function linked(schema) {
  return JSON.parse(JSON.stringify(schema), (k, v) =>
    k === "$ref" && typeof v === "string" && v.startsWith("#/components/schemas/")
      ? SCHEMA_URN + v.slice("#/components/schemas/".length) : v);
}
