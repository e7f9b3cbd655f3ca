// One batch on a running jigd: start every slot through the REST API, follow
// the SSE stream, and measure what the station bench reports for jigd.
//
// Per slot, from the events' own timestamps (time_ms, stamped by jigd when
// each step starts):
//   window      first `write` step .. the `reset` step after the last verify
//   check_s     the rework checks inside that window (the flash job checks
//               region i+1's MD5 after writing region i): jigd's own feature,
//               esptool-js has none, so it is shown apart
//   achieved_s  window − check_s: the write and verify steps, the same work
//               esptool-js's writeFlash() does
// espsim's counters for the board are read as the window opens and closes
// (on the event's arrival: a few ms late, which only moves bytes out of the
// floor, so the figure errs against jigd). The checks' own bytes (~60 per
// region) stay in; their flash read time is in flash_s, which matters only if
// flash_s ever became the floor (at 921600 the wire is).
// `steps` lists every step of the window with its duration (the region in
// `what`), so a gap between floor and achieved can be put where it arises.
// The batch: from the first start request to the last slot's hard reset
// (jigd then listens to the boot log for boot_log_seconds; esptool-js does
// not, so that tail is left out of the comparison but given as wall_result_s).
// CPU: utime+stime of jigd and of espsim from /proc, and the whole machine's
// busy share from /proc/stat, over the same batch.
//
// usage: node station_jigd.mjs --api PORT --control-port C --slots N
//                              --jigd-pid P --espsim-pid Q [--baud B] [--timeout S]
// Prints one JSON object.

import http from "node:http";
import { boardStatus, floorBetween } from "./espsim_counters.mjs";
import { machineJiffies, processCpuSeconds, processStatusKiB } from "./proc_usage.mjs";
import { sseReader } from "./sse_reader.mjs";

function parseArgs(argv) {
  const a = { baud: 921600, timeout: 900 };
  const names = { "--api": "api", "--control-port": "controlPort", "--slots": "slots",
                  "--jigd-pid": "jigdPid", "--espsim-pid": "espsimPid", "--baud": "baud",
                  "--timeout": "timeout" };
  for (let i = 0; i < argv.length; i += 2) {
    if (!names[argv[i]] || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]}`);
    a[names[argv[i]]] = Number(argv[i + 1]);
  }
  for (const k of ["api", "controlPort", "slots", "jigdPid", "espsimPid"])
    if (!a[k]) throw new Error(`station_jigd.mjs: --${k} is missing`);
  return a;
}

function post(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", timeout: 10000,
                               headers: { "Content-Type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => res.statusCode < 300 ? resolve()
        : reject(new Error(`POST ${path} answered ${res.statusCode}: is the slot idle and the bundle loaded?`)));
    });
    req.on("timeout", () => req.destroy(new Error(`POST ${path}: no answer from jigd in 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** Calls onEvent(json) for every SSE event; resolves once the stream is open. */
function followEvents(port, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/api/v1/events" }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/events answered ${res.statusCode}`));
      res.setEncoding("utf8");
      res.on("data", sseReader(({ data }) => { if (data) onEvent(JSON.parse(data)); }));
      resolve(req);
    });
    req.on("error", reject);
  });
}

function newSlotRecord(n) {
  return { slot: n, write_ms: null, reset_ms: null, result_ms: null, result: null, error: null,
           phase: null, phase_ms: null, phase_what: null, check_ms: 0, steps: [],
           before: null, after: null };
}

async function runBatch(a) {
  const slots = new Map();
  for (let n = 1; n <= a.slots; n++) slots.set(n, newSlotRecord(n));
  const pending = [];            // counter snapshots in flight
  let finished = 0, onAllDone;
  const allDone = new Promise((resolve) => { onAllDone = resolve; });

  const onEvent = (ev) => {
    const s = slots.get(ev.slot);
    if (!s || s.result) return;
    // Every step announces itself (the region in its message); identify also
    // sends a second event for the same step, which must not split it.
    if (ev.kind === "slot" && ev.phase && (ev.phase !== s.phase || ev.message !== s.phase_what)
        && !(ev.phase === s.phase && ev.mac)) {
      // A step ends where the next begins: add up the checks inside the window.
      if (s.write_ms !== null && s.reset_ms === null) {
        if (s.phase === "check") s.check_ms += ev.time_ms - s.phase_ms;
        s.steps.push({ phase: s.phase, what: s.phase_what, s: (ev.time_ms - s.phase_ms) / 1000 });
      }
      s.phase = ev.phase;
      s.phase_ms = ev.time_ms;
      s.phase_what = ev.message ?? null;
      if (ev.phase === "write" && s.write_ms === null) {
        s.write_ms = ev.time_ms;
        pending.push(boardStatus(a.controlPort, ev.slot).then((st) => { s.before = st; }));
      } else if (ev.phase === "reset" && s.write_ms !== null && s.reset_ms === null) {
        s.reset_ms = ev.time_ms;
        pending.push(boardStatus(a.controlPort, ev.slot).then((st) => { s.after = st; }));
      }
    }
    if (ev.kind === "result") {
      s.result = ev.result;
      s.result_ms = ev.time_ms;
      if (ev.error) s.error = `${ev.error.phase}: ${ev.error.cause}`;
      if (++finished === a.slots) onAllDone();
    }
  };
  const stream = await followEvents(a.api, onEvent);

  const cpu0 = { jigd: processCpuSeconds(a.jigdPid), espsim: processCpuSeconds(a.espsimPid),
                 machine: machineJiffies() };
  const startMs = Date.now();
  for (let n = 1; n <= a.slots; n++) await post(a.api, `/api/v1/slots/${n}/start`);
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${finished} of ${a.slots} slots finished within ` +
      `${a.timeout} s: see jigd's log`)), a.timeout * 1000);
  });
  await Promise.race([allDone, timedOut]);
  clearTimeout(timer);
  const resetEnd = Math.max(...[...slots.values()].map((s) => s.reset_ms ?? s.result_ms));
  const resultEnd = Math.max(...[...slots.values()].map((s) => s.result_ms));
  const cpu1 = { jigd: processCpuSeconds(a.jigdPid), espsim: processCpuSeconds(a.espsimPid),
                 machine: machineJiffies() };
  stream.destroy();
  await Promise.all(pending);

  const wallS = (resetEnd - startMs) / 1000;
  const perSlot = [...slots.values()].map((s) => {
    const out = { slot: s.slot, ok: s.result === "pass", error: s.error };
    if (!out.ok || !s.before || !s.after) return out;
    const windowS = (s.reset_ms - s.write_ms) / 1000;
    const achievedS = windowS - s.check_ms / 1000;
    const f = floorBetween(s.before, s.after, a.baud);
    return { ...out, window_s: windowS, check_s: s.check_ms / 1000, achieved_s: achievedS,
             wire_bytes: f.wireBytes, wire_s: f.wireS, flash_s: f.flashS, floor_s: f.floorS,
             efficiency: f.floorS / achievedS, unit_s: (s.result_ms - startMs) / 1000,
             steps: s.steps };
  });
  const machine = (cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total);
  return {
    slots: a.slots, wall_s: wallS, wall_result_s: (resultEnd - startMs) / 1000,
    cpu_s: cpu1.jigd - cpu0.jigd, cpu_pct: (100 * (cpu1.jigd - cpu0.jigd)) / wallS,
    peak_rss_kib: processStatusKiB(a.jigdPid, "VmHWM"), rss_kib: processStatusKiB(a.jigdPid, "VmRSS"),
    espsim_cpu_s: cpu1.espsim - cpu0.espsim, espsim_cpu_pct: (100 * (cpu1.espsim - cpu0.espsim)) / wallS,
    machine_busy_pct: 100 * machine, per_slot: perSlot,
  };
}

try {
  console.log(JSON.stringify(await runBatch(parseArgs(process.argv.slice(2)))));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: error.message }));
  process.exit(1);
}
