// The station's REST API as the page uses it (docs/api.md). On a station
// with API tokens the page asks for one once (login.js) and keeps it for
// the browser tab's session (sessionStorage: gone when the tab closes); it
// may also be opened as /?access_token=TOKEN. The token goes with every
// request (a header for fetch; the query for the event stream, since
// EventSource cannot send headers).
const SESSION_KEY = "jigd-token";

/** The tab's session store, or null where there is none (storage turned
 *  off, or no browser at all: tests/web/stream_events.mjs). */
function session() {
  try {
    return globalThis.sessionStorage || null;
  } catch {
    return null;
  }
}

let token = new URLSearchParams(location.search).get("access_token") ||
  session()?.getItem(SESSION_KEY) || null;

/** Uses `t` from now on, for this tab's session. */
export function setToken(t) {
  token = t || null;
  try {
    if (token) session()?.setItem(SESSION_KEY, token);
    else session()?.removeItem(SESSION_KEY);
  } catch {
    /* kept for this page only */
  }
}

/** A refusal with jigd's words and its HTTP status (401: no or a wrong token). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.error ? `${body.error} (${body.hint || ""})` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function headers(extra = {}) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** GET a document as text (the label preview's SVG); throws an ApiError on
 *  a refusal. */
export async function getText(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => ({})));
  return r.text();
}

/** GET a JSON document; throws an Error with jigd's own words on a refusal. */
export async function getJson(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

/** POST an action. State changes must say application/json (docs/api.md,
 *  Security rule 6). Resolves to {ok, status, body}; never throws for a
 *  refusal, so the button can show jigd's words. */
export async function post(path, request = {}) {
  const r = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(request),
  });
  const body = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, body };
}

/** The token as query parameters, for a link the browser follows itself
 *  (a CSV download cannot carry a header). */
export function tokenQuery() {
  return token ? [["access_token", token]] : [];
}

/** The event stream's URL, with the token and where to resume. */
export function eventsUrl(lastId) {
  const q = new URLSearchParams();
  if (token) q.set("access_token", token);
  if (lastId) q.set("last_event_id", String(lastId));
  const s = q.toString();
  return s ? `/api/v1/events?${s}` : "/api/v1/events";
}
