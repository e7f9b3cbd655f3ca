// The live event log, newest first and bounded, in words: progress events
// are left out (the tiles show them), everything else is one line.
import { clock } from "./format.js";

const MAX_LINES = 200;

function describe(kind, e) {
  const where = e.slot ? `slot ${e.slot}` : "station";
  switch (kind) {
  case "slot": return `${where}: ${e.state || ""}${e.phase ? ` (${e.phase})` : ""}` +
                      `${e.message ? ` — ${e.message}` : ""}`;
  case "result": return `${where}: ${String(e.result || "").toUpperCase()}` +
                        `${e.serial ? ` ${e.serial}` : ""}${e.mac ? ` ${e.mac}` : ""}`;
  case "error": {
    const x = e.error || {};
    return `${where}: ${x.phase ? `${x.phase}: ` : ""}${x.cause || ""}${x.advice ? ` — ${x.advice}` : ""}`;
  }
  case "resync": return `events were lost (${e.missed || "?"}); the slots were read again`;
  case "note": return e.message;
  case "overflow": return "the page fell behind the station; reconnecting";
  default: return `${where}: ${kind}${e.message ? ` ${e.message}` : ""}`;
  }
}

export class EventLog {
  constructor(list) {
    this.list = list;
  }

  add(kind, e) {
    if (kind === "progress") return;
    const li = document.createElement("li");
    li.className = `log-${kind}`;
    const time = document.createElement("time");
    time.textContent = clock(e.time_ms);
    li.append(time, document.createTextNode(` ${describe(kind, e)}`));
    this.list.prepend(li);
    while (this.list.children.length > MAX_LINES) this.list.lastChild.remove();
  }

  note(text) {
    this.add("note", { message: text, slot: 0 });
  }
}
