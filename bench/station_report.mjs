// The station bench's report: reads one JSON object per batch (what
// station_jigd.mjs / station_esptooljs.mjs print, tagged by station.sh with
// tool and bundle size) on stdin; prints a table, or with --json the same
// figures as JSON, with the targets judged and every batch where the
// machine, not the tool, was the limit called out.

const MACHINE_BOUND_PCT = 85;   // all cores this busy: everyone waits for CPU

const TARGETS = {
  efficiency8: 0.97,    // per slot, 8 slots
  wallRatio8: 1.05,     // 8-slot batch / 1-slot batch
  cpuPct8: 10,          // jigd, % of one core, 8 slots
  rssMiB8: 32,          // jigd peak RSS, 8 slots
};

const json = process.argv.includes("--json");

function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => { text += d; });
    process.stdin.on("end", () => resolve(text));
  });
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** One batch boiled down to the figures the table shows. */
function summarise(run, all) {
  const ok = run.per_slot.filter((s) => s.ok);
  const eff = ok.map((s) => s.efficiency);
  const one = all.find((r) => r.tool === run.tool && r.bundle_kib === run.bundle_kib && r.slots === 1);
  return {
    tool: run.tool, bundle_kib: run.bundle_kib, bundle_bytes: run.bundle_bytes, slots: run.slots,
    passed: ok.length,
    efficiency_min: eff.length ? Math.min(...eff) : null,
    efficiency_mean: eff.length ? mean(eff) : null,
    achieved_s_mean: ok.length ? mean(ok.map((s) => s.achieved_s)) : null,
    floor_s_mean: ok.length ? mean(ok.map((s) => s.floor_s)) : null,
    check_s_mean: ok.length && ok[0].check_s !== undefined ? mean(ok.map((s) => s.check_s)) : null,
    wall_s: run.wall_s,
    wall_vs_1: one && run.slots !== 1 ? run.wall_s / one.wall_s : null,
    cpu_s: run.cpu_s, cpu_pct: run.cpu_pct,
    peak_rss_mib: run.peak_rss_kib / 1024,
    espsim_cpu_pct: run.espsim_cpu_pct,
    machine_busy_pct: run.machine_busy_pct,
    machine_bound: run.machine_busy_pct >= MACHINE_BOUND_PCT,
    fsync: run.fsync ?? null,
    per_slot: run.per_slot,
  };
}

function judge(rows) {
  const verdicts = [];
  const add = (what, measured, target, met, note) => verdicts.push({ what, measured, target, met, note });
  const bound = (r) => r.machine_bound ? ` (machine ${r.machine_busy_pct.toFixed(0)}% busy)` : "";
  for (const r of rows.filter((x) => x.tool === "jigd" && x.slots === 8)) {
    const size = `${r.bundle_kib} KiB`;
    add(`jigd efficiency per slot, 8 slots, ${size} (worst slot)`, r.efficiency_min, `>= ${TARGETS.efficiency8}`,
        r.efficiency_min >= TARGETS.efficiency8, bound(r));
    if (r.wall_vs_1 !== null)
      add(`jigd wall time 8 vs 1 slot, ${size}`, r.wall_vs_1, `<= ${TARGETS.wallRatio8}`,
          r.wall_vs_1 <= TARGETS.wallRatio8, bound(r));
    add(`jigd CPU, 8 slots, ${size} (% of one core)`, r.cpu_pct, `< ${TARGETS.cpuPct8}`,
        r.cpu_pct < TARGETS.cpuPct8, "");
    add(`jigd peak RSS, 8 slots, ${size} (MiB)`, r.peak_rss_mib, `< ${TARGETS.rssMiB8}`,
        r.peak_rss_mib < TARGETS.rssMiB8, "");
  }
  for (const r of rows.filter((x) => x.tool === "jigd")) {
    const e = rows.find((x) => x.tool === "esptool-js" && x.slots === r.slots && x.bundle_kib === r.bundle_kib);
    if (!e || r.achieved_s_mean === null || e.achieved_s_mean === null) continue;
    add(`jigd ahead of esptool-js per slot, ${r.slots} slots, ${r.bundle_kib} KiB (write s, jigd / esptool-js)`,
        r.achieved_s_mean / e.achieved_s_mean, "< 1", r.achieved_s_mean < e.achieved_s_mean, bound(e));
  }
  return verdicts;
}

const fmt = (x, d = 2) => (x === null || x === undefined ? "-" : x.toFixed(d));

function printTable(rows, verdicts) {
  const baud = rows[0]?.baud ?? 921600;
  console.log(`Station bench: espsim ESP32 boards, ${baud} baud, stub, compressed writes, random (incompressible) data.`);
  console.log("eff = floor / achieved per slot (floor = max(wire, flash) from espsim's counters of the write+verify window)");
  console.log("");
  const head = ["tool", "bundle", "slots", "ok", "eff min", "eff mean", "write s", "floor s", "wall s",
                "vs 1", "cpu s", "cpu %", "rss MiB", "espsim %", "machine %"];
  const lines = rows.map((r) => [r.tool, `${r.bundle_kib} KiB`, r.slots, `${r.passed}/${r.slots}`,
    fmt(r.efficiency_min, 3), fmt(r.efficiency_mean, 3), fmt(r.achieved_s_mean), fmt(r.floor_s_mean),
    fmt(r.wall_s), fmt(r.wall_vs_1, 3), fmt(r.cpu_s), fmt(r.cpu_pct, 1), fmt(r.peak_rss_mib, 1),
    fmt(r.espsim_cpu_pct, 1), fmt(r.machine_busy_pct, 0) + (r.machine_bound ? "*" : "")].map(String));
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(width[i]) : c.padStart(width[i]))).join("  ");
  console.log(row(head));
  for (const l of lines) console.log(row(l));
  console.log("");
  console.log("cpu % = the tool's CPU (jigd: its one process; esptool-js: all its Node processes) over the batch's");
  console.log("wall time, in % of one core; machine % = share of all cores busy (* = machine-bound: figures there");
  console.log("measure the 2-core machine as much as the tool). jigd's wall runs to the last hard reset (its 1 s");
  console.log("boot-log listen after that is left out); its rework checks (MD5 of each region before writing it)");
  console.log(`are excluded from 'write s' and shown in the JSON as check_s.`);
  const bound = rows.filter((r) => r.machine_bound);
  if (bound.length) {
    console.log("");
    console.log(`machine-bound (all cores >= ${MACHINE_BOUND_PCT}% busy; the 2-core machine, not the tool, set the pace):`);
    for (const r of bound)
      console.log(`  ${r.tool}, ${r.slots} slots, ${r.bundle_kib} KiB: machine ${fmt(r.machine_busy_pct, 0)}%, ` +
                  `${r.tool} ${fmt(r.cpu_pct, 0)}% of a core, espsim ${fmt(r.espsim_cpu_pct, 0)}%`);
  }
  const slowed = rows.filter((r) => r.fsync);
  if (slowed.length) {
    console.log("");
    console.log("jigd's fsyncs over its whole run, start-up included (bench/slow_fsync.c added the stated ms");
    console.log("to each, as an SD card would; they run on jigd's one loop, so every slot waits while one commits):");
    for (const r of slowed)
      console.log(`  ${r.slots} slots, ${r.bundle_kib} KiB: ${r.fsync.calls} fsyncs, ` +
                  `${fmt(r.fsync.s)} s in all, +${r.fsync.added_ms} ms each`);
  }
  const failed = rows.flatMap((r) => r.per_slot.filter((s) => !s.ok)
    .map((s) => `  ${r.tool}, ${r.slots} slots, ${r.bundle_kib} KiB: slot ${s.slot}: ${(s.error ?? "?").split("\n")[0]}`));
  if (failed.length) {
    console.log("");
    console.log("failed slots (their figures are left out of eff and write s):");
    for (const f of failed) console.log(f);
  }
  if (verdicts.length) {
    console.log("");
    console.log("targets:");
    for (const v of verdicts)
      console.log(`  ${v.met ? "met   " : "MISSED"}  ${v.what}: ${fmt(v.measured, 3)} (target ${v.target})${v.note}`);
  }
}

const runs = (await readStdin()).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
const rows = runs.map((r) => summarise(r, runs));
const verdicts = judge(rows);
if (json) {
  console.log(JSON.stringify({ baud: runs[0]?.baud ?? null, targets: TARGETS,
                               machine_bound_pct: MACHINE_BOUND_PCT, batches: rows, verdicts }, null, 2));
} else {
  printTable(rows, verdicts);
}
