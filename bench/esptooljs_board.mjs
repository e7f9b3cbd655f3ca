// One board flashed by Espressif's esptool-js 0.7.0, as a web flasher would
// do it (ESPLoader.main(): reset, sync, identify, stub, baud up; then
// writeFlash of every bundle part, compressed, with its MD5 check), in its
// own Node process so that N of them in parallel are N independent clients
// — what "one browser tab per board" costs a station.
//
// The timed window is writeFlash() alone: from just before the first
// FLASH_DEFL_BEGIN to the last part's MD5 verdict. Connect, stub upload and
// the baud change are outside it, as they are for jigd's figure. Inside it
// is everything esptool-js does to write: its level-9 deflate of each part
// (it compresses per board, on the spot), the blocks, and the per-part MD5.
// espsim's counters are read just outside the window, so the floor covers
// exactly the bytes the window moved.
//
// usage: node esptooljs_board.mjs --port P --control-port C --board I
//                                 --bundle DIR [--baud 921600] [--flash-size 8MB]
// Prints one line of JSON: ok, write_s, floor (wire/flash), cpu_s, peak_rss_kib,
// or ok: false and the error.

import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { ESPLoader, Transport } from "esptool-js";
import { Rfc2217SerialPort } from "../tests/conformance/webserial_rfc2217.mjs";
import { CollectingTerminal } from "../tests/conformance/esptooljs_session.mjs";
import { boardStatus, floorBetween } from "./espsim_counters.mjs";

const WHOLE_RUN_LIMIT_MS = 600_000;   // a stuck board must not hang the bench

function parseArgs(argv) {
  const a = { baud: 921600, flashSize: "8MB" };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === "--port") a.port = Number(v);
    else if (k === "--control-port") a.controlPort = Number(v);
    else if (k === "--board") a.board = Number(v);
    else if (k === "--bundle") a.bundle = v;
    else if (k === "--baud") a.baud = Number(v);
    else if (k === "--flash-size") a.flashSize = v;
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.port || !a.controlPort || !a.board || !a.bundle)
    throw new Error("usage: esptooljs_board.mjs --port P --control-port C --board I --bundle DIR");
  return a;
}

/** The bundle's parts as esptool-js wants them: {data, address}. */
function bundleParts(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  return manifest.parts.map((p) => ({
    address: Number(p.offset),
    data: new Uint8Array(fs.readFileSync(path.join(dir, p.file))),
  }));
}

async function flashOneBoard(a) {
  const parts = bundleParts(a.bundle);
  const serial = new Rfc2217SerialPort({ host: "127.0.0.1", port: a.port });
  const transport = new Transport(serial, false);
  const terminal = new CollectingTerminal();
  transport.trace = (message) => terminal.write(`TRACE ${message}\n`);
  const loader = new ESPLoader({ transport, baudrate: a.baud, romBaudrate: 115200, terminal,
                                 debugLogging: false });
  try {
    await loader.main("default_reset");
    if (!loader.IS_STUB) throw new Error("esptool-js did not start its flasher stub");
    if (loader.baudrate !== a.baud) throw new Error(`esptool-js fell back to ${loader.baudrate} baud`);
    const before = await boardStatus(a.controlPort, a.board);
    const t0 = performance.now();
    await loader.writeFlash({
      fileArray: parts, flashSize: a.flashSize, flashMode: "keep", flashFreq: "keep",
      eraseAll: false, compress: true,
      calculateMD5Hash: (bytes) => crypto.createHash("md5").update(bytes).digest("hex"),
    });
    const t1 = performance.now();
    const after = await boardStatus(a.controlPort, a.board);
    await loader.after("hard_reset");
    const floor = floorBetween(before, after, a.baud);
    const writeS = (t1 - t0) / 1000;
    return { ok: true, board: a.board, bytes: parts.reduce((n, p) => n + p.data.length, 0),
             write_s: writeS, wire_bytes: floor.wireBytes, wire_s: floor.wireS,
             flash_s: floor.flashS, floor_s: floor.floorS, efficiency: floor.floorS / writeS };
  } catch (error) {
    error.message += `\n--- esptool-js log (tail) ---\n${terminal.text.slice(-1500)}`;
    throw error;
  } finally {
    await transport.disconnect().catch(() => {});
  }
}

/** This whole process's CPU seconds (Node start-up included) and peak RSS. */
function usage() {
  const u = process.resourceUsage();
  return { cpu_s: (u.userCPUTime + u.systemCPUTime) / 1e6, peak_rss_kib: u.maxRSS };
}

const limit = setTimeout(() => {
  console.log(JSON.stringify({ ok: false, error: `no result after ${WHOLE_RUN_LIMIT_MS / 1000} s`,
                               ...usage() }));
  process.exit(1);
}, WHOLE_RUN_LIMIT_MS);

try {
  const result = await flashOneBoard(parseArgs(process.argv.slice(2)));
  clearTimeout(limit);
  console.log(JSON.stringify({ ...result, ...usage() }));
  process.exit(0);
} catch (error) {
  clearTimeout(limit);
  console.log(JSON.stringify({ ok: false, error: error.message, ...usage() }));
  process.exit(1);
}
