// CPU time and memory of processes, and the machine's busy share, from
// /proc: what the station bench charges to jigd, espsim and esptool-js.

import fs from "node:fs";

const CLK_TCK = 100;    // Linux USER_HZ: /proc/<pid>/stat counts in 1/100 s

/** utime + stime of a process, in seconds. */
export function processCpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which sits in parentheses and may hold spaces.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** A field of /proc/<pid>/status in KiB (VmHWM, VmRSS). */
export function processStatusKiB(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : null;
}

/** All CPUs' busy and total jiffies from /proc/stat. */
export function machineJiffies() {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((s, x) => s + x, 0);
  const idle = f[3] + f[4];     // idle + iowait
  return { busy: total - idle, total };
}
