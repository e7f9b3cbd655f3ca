// The station's REST API as the page uses it (docs/api.md). The page may be
// opened as /?access_token=TOKEN on a station with an API token: the token
// then goes with every request (a header for fetch; the query for the event
// stream, since EventSource cannot send headers).
const token = new URLSearchParams(location.search).get("access_token");

function headers(extra = {}) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

/** GET a JSON document; throws an Error with jigd's own words on a refusal. */
export async function getJson(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ? `${body.error} (${body.hint || ""})` : `HTTP ${r.status}`);
  return body;
}

/** POST an action. State changes must say application/json (docs/api.md,
 *  Security rule 6). Resolves to {ok, status, body}; never throws for a
 *  refusal, so the button can show jigd's words. */
export async function post(path) {
  const r = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: "{}",
  });
  const body = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, body };
}

/** The event stream's URL, with the token and where to resume. */
export function eventsUrl(lastId) {
  const q = new URLSearchParams();
  if (token) q.set("access_token", token);
  if (lastId) q.set("last_event_id", String(lastId));
  const s = q.toString();
  return s ? `/api/v1/events?${s}` : "/api/v1/events";
}
