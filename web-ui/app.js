// The operator's main screen: the header, one tile per slot, the event
// log, all kept live by the event stream. Everything it shows comes from
// the REST API (docs/api.md); it decides nothing itself.
import { ApiError, getJson } from "./api.js";
import { whoAmI } from "./login.js";
import { readAlarms } from "./alarms.js";
import { openStream } from "./stream.js";
import { Tile } from "./tile.js";
import { EventLog } from "./event_log.js";
import { showProduction } from "./production.js";
import { chooseSlot, listenForScans } from "./scanner.js";

const tiles = new Map();
const log = new EventLog(document.getElementById("log"));
const banner = document.getElementById("banner");
const pending = new Set();          // slots to read again, batched per frame

async function readStation() {
  const st = await getJson("/api/v1/station");
  document.getElementById("station-name").textContent = st.name;
  document.title = `${st.name} — jigd`;
  const b = st.bundle;
  document.getElementById("bundle").textContent =
    b ? `bundle ${b.name} ${b.version}` : (st.bundle_loading ? "bundle loading…" : "no bundle loaded");
  document.getElementById("version").textContent = `jigd ${st.version}`;
  showProduction(st.production);
}

let stationPending = false;         // one read of the header per frame
function readStationSoon() {
  if (stationPending) return;
  stationPending = true;
  requestAnimationFrame(() => {
    stationPending = false;
    readStation().catch(() => {});
  });
}

function tileFor(slot) {
  let t = tiles.get(slot);
  if (!t) {
    t = new Tile(slot, readSlotSoon, chooseSlot);
    tiles.set(slot, t);
    const area = document.getElementById("slots");
    const after = [...tiles.keys()].filter((n) => n > slot).sort((a, b) => a - b)[0];
    if (after !== undefined) area.insertBefore(t.root, tiles.get(after).root);
    else area.append(t.root);
  }
  return t;
}

async function readSlots() {
  const { slots } = await getJson("/api/v1/slots");
  for (const s of slots) tileFor(s.slot).update(s);
}

async function readSlot(slot) {
  try {
    tileFor(slot).update(await getJson(`/api/v1/slots/${slot}`));
  } catch {
    /* the stream's banner says when the station is away */
  }
}

function readSlotSoon(slot) {
  if (pending.has(slot)) return;
  pending.add(slot);
  requestAnimationFrame(() => {
    pending.delete(slot);
    readSlot(slot);
  });
}

async function readAll() {
  try {
    await Promise.all([readStation(), readSlots(), readAlarms()]);
  } catch (error) {
    // A token revoked under the page: ask for another, then read again.
    if (error instanceof ApiError && error.status === 401) {
      await whoAmI();
      readAll();
    }
    /* otherwise reconnecting; the banner is up */
  }
}

function onEvent(kind, e) {
  log.add(kind, e);
  if (kind === "progress" && e.slot) {
    tileFor(e.slot).progressEvent(e);
    return;
  }
  if (kind === "resync" || kind === "station" || kind === "bundle") {
    readAll();
    return;
  }
  if (kind === "result" || kind === "error") readStationSoon();   // the header's counts
  if (e.slot) readSlotSoon(e.slot);
}

/** What came of a scan, across the top until the next one. */
function sayScan(text, kind) {
  const s = document.getElementById("scan");
  s.textContent = text;
  s.className = `scan scan-${kind}`;
  s.hidden = false;
}

function showChosen(slot) {
  for (const [n, t] of tiles) t.root.classList.toggle("chosen", n === slot);
}

let wasDown = false;
async function begin() {
  await whoAmI();
  listenForScans(sayScan, showChosen);
  openStream({
    onEvent,
    onUp: () => {
      banner.hidden = true;
      document.body.classList.remove("offline");
      if (wasDown) log.note("connection to the station is back");
      wasDown = false;
      readAll();          // what changed while the stream was away
    },
    onDown: () => {
      banner.hidden = false;
      document.body.classList.add("offline");
      if (!wasDown) log.note("connection to the station lost; reconnecting");
      wasDown = true;
    },
  });
  readAll();
}
begin().catch(() => {
  // jigd away at the first read: the page comes back with it.
  banner.hidden = false;
  setTimeout(() => location.reload(), 2000);
});
