// The line's USB barcode scanner: it types like a keyboard, a burst of
// keys ending in Enter, into whatever page has the focus. The dashboard
// takes such a burst as a scanned PCB label and sends it to jigd
// (POST /api/v1/board_codes), which keeps it for the slot's next board;
// a tile tapped first says which slot, else jigd picks the slot whose
// board waits for its label. A person typing is slower than a scanner:
// a burst with a long gap between keys is not a scan and is dropped, so
// stray keys never become a code. No field needs the focus first.
import { post } from "./api.js";

const MAX_GAP_MS = 100;         // scanners type a key every few ms; people take longer
const MIN_LENGTH = 3;

let chosenSlot = null;          // a tile tapped: the next scan is for it
let onChosen = () => {};

/** The tile tapped last (or none): the next scan goes to its slot. */
export function chooseSlot(slot) {
  chosenSlot = chosenSlot === slot ? null : slot;
  onChosen(chosenSlot);
}

function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

async function send(code, say) {
  const body = { code };
  if (chosenSlot !== null) body.slot = chosenSlot;
  say(`label ${code}: sent…`, "pending");
  try {
    const r = await post("/api/v1/board_codes", body);
    if (r.ok) {
      const unit = r.body.unit ? ` (unit ${r.body.unit})` : "";
      say(`label ${code} → slot ${r.body.slot}${unit}`, "ok");
      chooseSlot(null);
    } else {
      say(`label ${code} refused: ${r.body.error || `HTTP ${r.status}`}` +
          (r.body.hint ? ` — ${r.body.hint}` : ""), "refused");
    }
  } catch {
    say(`label ${code}: no answer from the station`, "refused");
  }
}

/** Listens for scans on the whole page. say(text, kind) shows the outcome;
 *  chosen(slot|null) is told when the tapped tile changes. */
export function listenForScans(say, chosen) {
  onChosen = chosen;
  let keys = "";
  let last = 0;
  document.addEventListener("keydown", (e) => {
    if (typing(e.target) || e.ctrlKey || e.altKey || e.metaKey) return;
    const now = performance.now();
    if (now - last > MAX_GAP_MS) keys = "";
    last = now;
    if (e.key === "Enter") {
      const code = keys.trim();
      keys = "";
      if (code.length >= MIN_LENGTH) {
        e.preventDefault();
        send(code, say);
      }
      return;
    }
    if (e.key.length === 1) keys += e.key;
  });
}
