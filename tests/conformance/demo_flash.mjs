// The interim `make demo` (until jigd's own daemon can run it): start espsim
// racks of simulated ESP32 and ESP32-C3 boards, flash every board at once with
// Espressif's esptool-js through its flasher stub, show progress, then check
// each board's flash against the image and exit.
//
// Usage: node demo_flash.mjs ESPSIM_BINARY [BOARDS_PER_CHIP]

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EspsimRack } from "./espsim_rack.mjs";
import { CollectingTerminal, flashWithEsptoolJs, md5hex } from "./esptooljs_session.mjs";
import { makeTestImage } from "./test_image.mjs";

const [espsim, perChipArg] = process.argv.slice(2);
const PER_CHIP = Number(perChipArg || 2);
const ADDRESS = 0x10000;
const BAUD = 921600;
const tty = process.stdout.isTTY;

class ProgressBoard {
  constructor(rows) {
    this.rows = rows;
    this.drawn = false;
    this.lastLogged = rows.map(() => -1);
  }

  /** A new stage (or the end) is always shown; progress within a stage every 25 % off a terminal. */
  set(i, text, percent = null) {
    this.rows[i].text = text;
    if (percent !== null) this.rows[i].percent = percent;
    if (tty) return this.draw();
    const quarter = percent === null ? null : Math.floor(percent / 25);
    if (quarter !== null && quarter === this.lastLogged[i]) return;
    if (quarter !== null) this.lastLogged[i] = quarter;
    console.log(`  ${this.rows[i].label}: ${text}`);
  }

  draw() {
    if (this.drawn) process.stdout.write(`\x1b[${this.rows.length}A`);
    for (const row of this.rows) {
      const p = row.percent ?? 0;
      const bar = "#".repeat(Math.round(p / 4)).padEnd(25, ".");
      const line = `  ${row.label.padEnd(22)} [${bar}] ${String(p).padStart(3)}%  ${row.text}`;
      // A wrapped row would break the cursor-up redraw, so cut it to the width.
      process.stdout.write(`\x1b[2K${line.slice(0, (process.stdout.columns || 80) - 1)}\n`);
    }
    this.drawn = true;
  }
}

/** Turns esptool-js's own log lines into short stage names for the progress rows. */
function stageReporter(show) {
  const stages = [
    [/^Connecting/, "resetting into the ROM loader, syncing"],
    [/^Detecting chip type/, "identifying the chip"],
    [/^Uploading stub/, "uploading esptool-js's flasher stub"],
    [/^Stub running/, "stub running"],
    [/^Changing baudrate to (\d+)/, (m) => `switching to ${m[1]} baud`],
    [/^Compressed (\d+) bytes to (\d+)/, (m) => `writing ${m[1]} bytes as ${m[2]} compressed`],
    [/^Hash of data verified/, "MD5 verified by the board"],
  ];
  let line = "";
  return (text) => {
    line += text;
    let nl;
    while ((nl = line.indexOf("\n")) >= 0) {
      const one = line.slice(0, nl);
      line = line.slice(nl + 1);
      for (const [pattern, label] of stages) {
        const m = pattern.exec(one);
        if (m) show(typeof label === "function" ? label(m) : label);
      }
    }
  };
}

async function main() {
  if (!espsim) {
    console.error("usage: node demo_flash.mjs ESPSIM_BINARY [BOARDS_PER_CHIP]");
    process.exit(2);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jigd-demo-"));
  const image = makeTestImage(1 << 20);
  const racks = [];
  try {
    for (const [chip, name, mac] of [["esp32", "ESP32", "7c:df:a1:00:00:01"], ["esp32c3", "ESP32-C3", "7c:df:a1:00:01:01"]]) {
      console.log(`Starting espsim: ${PER_CHIP} simulated ${name} boards from MAC ${mac} ` +
        `(flash files in ${tmp}/${chip})`);
      racks.push(await EspsimRack.start({ espsim, chip, boards: PER_CHIP, flashDir: path.join(tmp, chip), mac }));
    }
    const jobs = [];
    for (const rack of racks)
      for (let b = 1; b <= rack.boards; b++) jobs.push({ rack, board: b, label: `${rack.chip} board ${b} :${rack.boardPort(b)}` });

    console.log(`\nFlashing a 1 MiB image at 0x${ADDRESS.toString(16)} onto ${jobs.length} boards at once ` +
      `with esptool-js (stub, compressed, ${BAUD} baud):\n`);
    const progress = new ProgressBoard(jobs.map((j) => ({ label: j.label, text: "connecting", percent: 0 })));
    if (tty) progress.draw();
    const started = Date.now();
    const results = await Promise.allSettled(jobs.map(async (job, i) => {
      const t0 = Date.now();
      const seen = await flashWithEsptoolJs({
        port: job.rack.boardPort(job.board), useStub: true, image, address: ADDRESS, baud: BAUD,
        terminal: new CollectingTerminal(stageReporter((text) => progress.set(i, text))),
        onProgress: (written, total) => progress.set(i, `writing ${Math.round(written / 1024)}/${Math.round(total / 1024)} KiB compressed`,
          Math.floor((100 * written) / total)),
      });
      const flash = fs.readFileSync(job.rack.flashFile(job.board)).subarray(ADDRESS, ADDRESS + image.length);
      const same = Buffer.compare(flash, Buffer.from(image)) === 0;
      progress.rows[i].percent = 100;
      progress.set(i, `done: ${seen.chipName}, MAC ${seen.mac}, MD5 ${seen.flashMd5 === md5hex(image) ? "verified" : "WRONG"}, ` +
        `flash file ${same ? "matches" : "DIFFERS"} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      if (!same) throw new Error("the flash file does not hold the image");
      return seen;
    }));
    const failed = results.filter((r) => r.status === "rejected");
    console.log(`\n${jobs.length - failed.length} of ${jobs.length} boards flashed and verified in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s.`);
    for (const [i, r] of results.entries())
      if (r.status === "rejected") console.log(`\n${jobs[i].label} failed: ${r.reason.message}`);
    process.exitCode = failed.length ? 1 : 0;
  } finally {
    for (const rack of racks) await rack.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`demo failed: ${error.message}`);
  process.exitCode = 1;
});
