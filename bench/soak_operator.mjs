// The soak's operator: keeps every slot of a running jigd busy until N units
// have a result, and measures jigd on the way (bench/soak.sh runs it).
//
// As soon as a slot reports a result (the `result` event on /api/v1/events)
// the operator takes the board out and puts a new one from the reel in its
// place through espsim's control socket (`remove I`, `insert I blank
// mac=...`: erased flash, a MAC never seen), then POSTs the slot's start.
// The slots are `manual`, so nothing waits for a presence probe: the time
// between units is the operator's turnaround alone.
//
// Faults: unit k with k % fault_every == 0 goes into a board with one of
// espsim's fault knobs set, in turn corrupt, drop, silent, brownout (the
// values the jigd fault tests use); the board that replaces it is healthy.
//
// Samples of jigd (VmRSS, open fds, station.db + -wal bytes) are taken once
// the first `slots` units, a quarter, half, three quarters and all of the
// units have a result. RSS and fds depend on what is in flight (a running
// unit holds buffers and a port), so the operator hands out no unit beyond
// a sample point until every slot has ended its unit, then samples the
// idle station, then carries on: every sample sees the same station, and
// the operator's own connections (this event stream, one kept-alive HTTP
// connection) are the same in each. Each of these drains costs about one
// unit's time of partly idle slots (drain_s in the output). Between them a
// trace of RSS and fds is read without draining, every 1/50 of the run: a
// little noisier (units in flight), but enough to tell a heap that warms up
// and levels off from one that keeps growing; rss_slope fits a line to its
// second half.
//
// usage: node soak_operator.mjs --api PORT --control-port C --slots S
//            --units N --jigd-pid P --data-dir D [--fault-every F]
//            [--units-log FILE] [--stall-s T]
// Prints one JSON object; exits 1 with a sentence if the run cannot go on.

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { sseReader } from "./sse_reader.mjs";

function parseArgs(argv) {
  const a = { faultEvery: 200, stallS: 180, unitsLog: null, dataDir: null };
  const names = { "--api": "api", "--control-port": "controlPort", "--slots": "slots",
                  "--units": "units", "--jigd-pid": "jigdPid", "--data-dir": "dataDir",
                  "--fault-every": "faultEvery", "--units-log": "unitsLog", "--stall-s": "stallS" };
  const text = new Set(["dataDir", "unitsLog"]);
  for (let i = 0; i < argv.length; i += 2) {
    const k = names[argv[i]];
    if (!k || argv[i + 1] === undefined) throw new Error(`soak_operator.mjs: bad option ${argv[i]}`);
    a[k] = text.has(k) ? argv[i + 1] : Number(argv[i + 1]);
  }
  for (const k of ["api", "controlPort", "slots", "units", "jigdPid", "dataDir"])
    if (!a[k]) throw new Error(`soak_operator.mjs: --${k} is missing`);
  if (a.units < 3 * a.slots)
    throw new Error(`soak_operator.mjs: --units must be at least 3 × slots (${3 * a.slots}) ` +
                    "so that start, middle and end are different moments");
  return a;
}

// ---- espsim's control socket: one connection, one reply line per command ----

function controlClient(port) {
  const sock = net.connect({ host: "127.0.0.1", port });
  const waiting = [];                  // replies come back in order
  let buf = "";
  sock.setNoDelay(true);
  sock.on("data", (chunk) => {
    buf += chunk.toString("latin1");
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w.resolve(line);
    }
  });
  const failAll = (why) => { while (waiting.length) waiting.shift().reject(new Error(why)); };
  sock.on("error", (e) => failAll(`espsim's control socket: ${e.message}: is espsim still running?`));
  sock.on("close", () => failAll("espsim closed its control socket: is espsim still running?"));
  return {
    /** Sends one command; resolves with the reply, rejects on `err ...`. */
    command(line) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve: (r) => r.startsWith("ok") ? resolve(r)
                         : reject(new Error(`espsim refused "${line}": ${r}`)), reject });
        sock.write(`${line}\n`);
      });
    },
    close() { sock.destroy(); },
  };
}

// ---- jigd's API --------------------------------------------------------------

// One kept-alive connection for the starts and reads, so the fd count of jigd
// does not move with how many requests happen to be in flight.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(port, method, path) {
  return new Promise((resolve, reject) => {
    // A state change must say it is JSON (jigd refuses anything else, so a
    // web page's form post cannot drive the station).
    const headers = method === "POST" ? { "Content-Type": "application/json" } : {};
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent, timeout: 15000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer from jigd in 15 s`)));
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Follows /api/v1/events, reconnecting with Last-Event-ID if dropped. */
function followEvents(port, onEvent, onResync) {
  let lastId = 0, req = null, stopped = false;
  const open = () => new Promise((resolve, reject) => {
    const headers = lastId ? { "Last-Event-ID": String(lastId) } : {};
    req = http.get({ host: "127.0.0.1", port, path: "/api/v1/events", headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/events answered ${res.statusCode}`));
      res.setEncoding("utf8");
      res.on("data", sseReader(({ kind, id, data }) => {
        if (id !== null) lastId = id;
        if (!data) return;
        if (kind === "resync") onResync(JSON.parse(data));
        else if (kind !== "overflow") onEvent(JSON.parse(data));
      }));
      // An overflow (this client fell behind) or any other close: catch up
      // from the ring; a gap the ring no longer holds arrives as `resync`.
      res.on("end", () => { if (!stopped) sleep(200).then(open).catch(() => {}); });
      resolve();
    });
    req.on("error", (e) => { if (!stopped) reject(e); });
  });
  return open().then(() => ({ stop() { stopped = true; req.destroy(); } }));
}

// ---- what the soak samples ---------------------------------------------------

function statusKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : null;
}

function fileBytes(path) {
  try { return fs.statSync(path).size; } catch { return 0; }
}

// What jigd's fds are, counted by kind ("socket", "pipe", "anon_inode:[eventfd]")
// or file path, so that a count that moves says what moved.
function fdKinds(pid) {
  const kinds = {};
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    // A file by its name alone: the work folder differs from run to run.
    const kind = target.startsWith("/") ? target.slice(target.lastIndexOf("/") + 1)
                                        : target.replace(/:\[\d+\]$/, "");
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

function sample(a, unitsDone, t0) {
  const kinds = fdKinds(a.jigdPid);
  return {
    units: unitsDone,
    t_s: (Date.now() - t0) / 1000,
    rss_kib: statusKiB(a.jigdPid, "VmRSS"),
    fds: Object.values(kinds).reduce((n, x) => n + x, 0),
    fd_kinds: kinds,
    db_bytes: fileBytes(`${a.dataDir}/station.db`) + fileBytes(`${a.dataDir}/station.db-wal`),
  };
}

// ---- the run -----------------------------------------------------------------

// The knobs and values of tests/jigd/jigd_espsim.sh's fault cases: what a
// fault does to a unit there is known, so here only its aftermath is new.
const FAULTS = [
  { name: "corrupt", knob: "corrupt=3000" },
  { name: "drop", knob: "drop=3000" },
  { name: "silent", knob: "silent-after=40000" },
  { name: "brownout", knob: "brownout-after=30000" },
];
const HEALTHY = "corrupt=0,drop=0,silent-after=-1,brownout-after=-1";

function macOf(k) {      // a MAC no earlier board had (espsim's own start at :00:00:01)
  const n = 0x100000 + k;
  return `7c:df:a1:${[n >> 16, n >> 8, n].map((b) => (b & 255).toString(16).padStart(2, "0")).join(":")}`;
}

function faultFor(a, k) {
  if (!a.faultEvery || k % a.faultEvery) return null;
  return FAULTS[(k / a.faultEvery - 1) % FAULTS.length];
}

async function run(a) {
  const ctl = controlClient(a.controlPort);
  const log = a.unitsLog ? fs.openSync(a.unitsLog, "w") : null;
  const slots = new Map();        // slot → { unit, handed, faulted }
  const units = [];               // finished units
  let handed = 0, done = 0, t0 = 0, lastResultAt = Date.now();
  const samples = [];
  const points = [...new Set([a.slots, Math.round(a.units / 4), Math.floor(a.units / 2),
                              Math.round((3 * a.units) / 4), a.units])]
    .filter((p) => p >= a.slots).sort((x, y) => x - y);
  let hold = points.shift();      // no unit beyond this one until it is sampled
  const waiting = [];             // slots idle until the sample is taken
  let drainFrom = null, drainS = 0;
  const trace = [], traceEvery = Math.max(1, Math.round(a.units / 50));
  let finish, abort;
  const finished = new Promise((resolve, reject) => { finish = resolve; abort = reject; });

  // Hands unit k to slot i: a new board (unless the jig's first boards are
  // still unused), its fault if it is due one, then the start request.
  async function handOut(i, first) {
    const k = ++handed;
    const s = slots.get(i) ?? { handed: 0 };
    const fault = faultFor(a, k);
    const mac = first ? null : macOf(k);
    if (!first) {
      await ctl.command(`remove ${i}`);
      if (s.faulted) await ctl.command(`fault ${i} ${HEALTHY}`);
      await ctl.command(`insert ${i} blank mac=${mac}`);
    }
    if (fault) await ctl.command(`fault ${i} ${fault.knob}`);
    Object.assign(s, { unit: { n: k, slot: i, mac, fault: fault?.name ?? null, start_ms: Date.now() },
                       handed: s.handed + 1, faulted: !!fault });
    slots.set(i, s);
    // A slot that lost its port after a fault comes back by itself (polled
    // every second): a refused start is tried again for a while.
    for (let tries = 0; ; tries++) {
      const r = await request(a.api, "POST", `/api/v1/slots/${i}/start`);
      if (r.status < 300) break;
      if (tries >= 60) throw new Error(`slot ${i} refused its start for a minute: ${r.status} ${r.body}`);
      await sleep(1000);
    }
  }

  function unitEnded(i, result, ev) {
    const s = slots.get(i);
    if (!s?.unit) return;               // not a unit of ours (or already counted)
    const u = s.unit;
    s.unit = null;
    Object.assign(u, { result, end_ms: Date.now(), serial: ev.serial ?? null,
                       mac: ev.mac ?? u.mac, phase: ev.error?.phase ?? null,
                       cause: ev.error?.cause ?? null });
    u.seconds = (u.end_ms - u.start_ms) / 1000;
    units.push(u);
    if (log) fs.writeSync(log, `${JSON.stringify(u)}\n`);
    done++;
    lastResultAt = Date.now();
    if (done % traceEvery === 0)
      trace.push([done, statusKiB(a.jigdPid, "VmRSS"), fs.readdirSync(`/proc/${a.jigdPid}/fd`).length]);
    if (handed < hold) {
      handOut(i, false).catch(abort);
      return;
    }
    if (done < hold) {            // draining: this slot waits for the others
      waiting.push(i);
      drainFrom ??= Date.now();
      return;
    }
    // Every unit handed out has ended: the station is idle.
    samples.push(sample(a, done, t0));
    if (drainFrom !== null) drainS += (Date.now() - drainFrom) / 1000;
    drainFrom = null;
    if (done === a.units) return finish();
    hold = points.shift();
    waiting.push(i);
    while (handed < hold && waiting.length) handOut(waiting.shift(), false).catch(abort);
  }

  // A gap the event ring no longer held: the slots' own counters say which
  // units ended meanwhile (each slot counts passed + failed).
  async function reconcile() {
    const r = await request(a.api, "GET", "/api/v1/slots");
    for (const st of JSON.parse(r.body).slots) {
      const s = slots.get(st.slot);
      if (s?.unit && st.state !== "running" && st.passed + st.failed >= s.handed)
        unitEnded(st.slot, st.last_result, { error: st.error, serial: st.serial, mac: st.mac });
    }
  }

  const stream = await followEvents(a.api, (ev) => {
    if (ev.kind === "result") unitEnded(ev.slot, ev.result, ev);
  }, () => { reconcile().catch(abort); });

  const watchdog = setInterval(() => {
    if (Date.now() - lastResultAt > a.stallS * 1000)
      abort(new Error(`no unit ended for ${a.stallS} s (${done} of ${a.units} done): see jigd's log`));
  }, 1000);

  t0 = Date.now();
  for (let i = 1; i <= a.slots; i++) await handOut(i, true);
  try {
    await finished;
  } finally {
    clearInterval(watchdog);
    stream.stop();
    ctl.close();
    agent.destroy();
    if (log) fs.closeSync(log);
  }
  const wallS = (Date.now() - t0) / 1000;
  const end = samples[samples.length - 1];
  const slotsNow = JSON.parse((await request(a.api, "GET", "/api/v1/slots")).body).slots;
  return summarise(a, units, samples, wallS, slotsNow, statusKiB(a.jigdPid, "VmHWM"), end, drainS, trace);
}

/** Least-squares slope of y over x, per 1000 x. */
function slopePer1000(points) {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((t, [x]) => t + x, 0) / n, my = points.reduce((t, [, y]) => t + y, 0) / n;
  const sxy = points.reduce((t, [x, y]) => t + (x - mx) * (y - my), 0);
  const sxx = points.reduce((t, [x]) => t + (x - mx) ** 2, 0);
  return sxx ? (sxy / sxx) * 1000 : null;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
}

function summarise(a, units, samples, wallS, slotsNow, hwmKiB, end, drainS, trace) {
  const byName = (n) => samples.find((s) => s.units === n);
  const start = byName(a.slots), middle = byName(Math.floor(a.units / 2));
  const secs = units.map((u) => u.seconds).sort((x, y) => x - y);
  const faults = {};
  for (const f of FAULTS) {
    const hit = units.filter((u) => u.fault === f.name);
    faults[f.name] = { units: hit.length, passed: hit.filter((u) => u.result === "pass").length };
  }
  const healthyFailed = units.filter((u) => !u.fault && u.result !== "pass");
  const steadyS = end.t_s - start.t_s;
  return {
    slots: a.slots,
    units: units.length,
    passed: units.filter((u) => u.result === "pass").length,
    failed: units.filter((u) => u.result !== "pass").length,
    faults,
    healthy_failed: healthyFailed.length,
    // The first few failures of boards nobody set a fault on, to look into.
    healthy_failures: healthyFailed.slice(0, 5).map((u) => ({ n: u.n, slot: u.slot, phase: u.phase,
                                                               cause: u.cause })),
    wall_s: wallS,
    drain_s: drainS,
    units_per_hour: (units.length / wallS) * 3600,
    // From the start sample on: every slot busy, bundle and key pool warm.
    steady_units_per_hour: ((end.units - start.units) / steadyS) * 3600,
    unit_s: { p50: percentile(secs, 0.5), p99: percentile(secs, 0.99), max: secs[secs.length - 1] },
    samples: { start, middle, end },
    series: samples,
    trace,                        // [units, VmRSS KiB, fds], not drained
    rss_slope_kib_per_1000_units: slopePer1000(trace.filter(([n]) => n >= a.units / 2)),
    fd_slope_per_1000_units: slopePer1000(trace.filter(([n]) => n >= a.units / 2).map(([n, , f]) => [n, f])),
    rss_hwm_kib: hwmKiB,
    db_bytes_per_unit: end.db_bytes / end.units,
    db_bytes_per_unit_steady: (end.db_bytes - start.db_bytes) / (end.units - start.units),
    slot_baud: slotsNow.map((s) => s.baud),
  };
}

try {
  const a = parseArgs(process.argv.slice(2));
  process.stdout.write(`${JSON.stringify(await run(a))}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: e.message })}\n`);
  process.exit(1);
}
