// One batch done by esptool-js: N Node processes at once, one per board
// (esptooljs_board.mjs), against the same espsim rack the bench gives jigd.
//
// The batch runs from spawning the first process to the last one's exit:
// Node start-up, connect, stub and the hard reset are in it, as connect,
// stub and reset are in jigd's batch. CPU: each process reports its own
// (start-up included); espsim's and the machine's come from /proc over the
// batch.
//
// usage: node station_esptooljs.mjs --base-port P --control-port C --slots N
//                                   --espsim-pid Q --bundle DIR [--baud B]
// Prints one JSON object.

import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { machineJiffies, processCpuSeconds } from "./proc_usage.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { baud: 921600 };
  const names = { "--base-port": "basePort", "--control-port": "controlPort", "--slots": "slots",
                  "--espsim-pid": "espsimPid", "--bundle": "bundle", "--baud": "baud" };
  for (let i = 0; i < argv.length; i += 2) {
    if (!names[argv[i]] || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]}`);
    a[names[argv[i]]] = argv[i] === "--bundle" ? argv[i + 1] : Number(argv[i + 1]);
  }
  for (const k of ["basePort", "controlPort", "slots", "espsimPid", "bundle"])
    if (!a[k]) throw new Error(`station_esptooljs.mjs: --${k} is missing`);
  return a;
}

/** Runs one board's process; resolves with its JSON line (or a failure). */
function flashBoard(a, board) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, "esptooljs_board.mjs"),
      "--port", String(a.basePort + board - 1), "--control-port", String(a.controlPort),
      "--board", String(board), "--bundle", a.bundle, "--baud", String(a.baud)],
      { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; });
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop();
      try {
        resolve({ board, ...JSON.parse(line), end_ms: Date.now() });
      } catch {
        resolve({ board, ok: false, error: `process exited ${code} without a result: ${err.slice(-500)}`,
                  end_ms: Date.now() });
      }
    });
  });
}

async function runBatch(a) {
  const cpu0 = { espsim: processCpuSeconds(a.espsimPid), machine: machineJiffies() };
  const startMs = Date.now();
  const boards = Array.from({ length: a.slots }, (_, i) => i + 1);
  const results = await Promise.all(boards.map((b) => flashBoard(a, b)));
  const wallS = (Math.max(...results.map((r) => r.end_ms)) - startMs) / 1000;
  const cpu1 = { espsim: processCpuSeconds(a.espsimPid), machine: machineJiffies() };
  const nodeCpu = results.reduce((s, r) => s + (r.cpu_s ?? 0), 0);
  const machine = (cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total);
  return {
    slots: a.slots, wall_s: wallS, cpu_s: nodeCpu, cpu_pct: (100 * nodeCpu) / wallS,
    peak_rss_kib: Math.max(...results.map((r) => r.peak_rss_kib ?? 0)),
    espsim_cpu_s: cpu1.espsim - cpu0.espsim, espsim_cpu_pct: (100 * (cpu1.espsim - cpu0.espsim)) / wallS,
    machine_busy_pct: 100 * machine,
    per_slot: results.map(({ board, ok, error, write_s, wire_bytes, wire_s, flash_s, floor_s, efficiency }) =>
      ({ slot: board, ok, error: error ?? null, achieved_s: write_s, wire_bytes, wire_s, flash_s, floor_s,
         efficiency })),
  };
}

try {
  console.log(JSON.stringify(await runBatch(parseArgs(process.argv.slice(2)))));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: error.message }));
  process.exit(1);
}
