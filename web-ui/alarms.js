// The alarms that need a person (GET /api/v1/alarms): each stands out
// across the top of the screen until someone acknowledges it, then stays,
// quieter, while its cause lasts. Acknowledging is an operator's; a
// viewer sees them without the button.
import { getJson, post } from "./api.js";
import { el } from "./dom.js";

const panel = () => document.getElementById("alarms");

function row(a, reread) {
  const r = el("div", `alarm ${a.acknowledged ? "alarm-seen" : "alarm-new"}`);
  r.dataset.alarm = String(a.id);
  r.dataset.kind = a.kind;
  const where = a.slot ? `slot ${a.slot}` : "station";
  r.append(el("span", "alarm-where", where));
  const words = el("span", "alarm-words");
  words.append(el("span", "alarm-cause", a.cause));
  words.append(el("span", "alarm-advice", `→ ${a.advice}`));
  r.append(words);
  if (a.acknowledged) {
    r.append(el("span", "alarm-by", `seen by ${a.acknowledged_by}${a.active ? "" : " · over"}`));
    return r;
  }
  const b = el("button", "action action-ack", "Acknowledge");
  b.type = "button";
  b.addEventListener("click", async () => {
    b.disabled = true;
    b.textContent = "Acknowledging…";
    const answer = await post(`/api/v1/alarms/${a.id}/ack`).catch(() => null);
    if (!answer || !answer.ok)
      b.textContent = answer ? `Refused: ${answer.body.error || answer.status}` : "No answer";
    reread();
  });
  r.append(b);
  return r;
}

/** Reads the alarms and draws them, the unacknowledged first. */
export async function readAlarms() {
  const { alarms } = await getJson("/api/v1/alarms");
  panel().replaceChildren(...alarms.map((a) => row(a, () => readAlarms().catch(() => {}))));
  panel().hidden = alarms.length === 0;
}
