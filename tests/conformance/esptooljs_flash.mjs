// espsim judged by Espressif's own client: esptool-js 0.7.0 connects to
// simulated ESP32 and ESP32-C3 boards over RFC 2217, identifies them, reads
// their MAC, and writes a 1 MiB image compressed at 921600 baud — once through
// its flasher stub and once through the ROM loader. esptool-js's MD5 check
// must pass, and the board's flash file must then hold the image byte for byte
// with its neighbourhood untouched.
//
// Run: JIGD_ESPSIM=build/x/fixtures/espsim/espsim node --test tests/conformance/esptooljs_flash.mjs
// Env: JIGD_TEST_TMP (where flash files go; default the OS temp dir),
//      JIGD_TRACE=1 (esptool-js packet trace on stdout, for bug reports).

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EspsimRack } from "./espsim_rack.mjs";
import { flashWithEsptoolJs, md5hex } from "./esptooljs_session.mjs";
import { makeTestImage } from "./test_image.mjs";

const ESPSIM = process.env.JIGD_ESPSIM;
const TMP = fs.mkdtempSync(path.join(process.env.JIGD_TEST_TMP || os.tmpdir(), "esptooljs-flash-"));
const ADDRESS = 0x10000;
const GUARD = 0x1000; // bytes checked on either side of the written region
const READ_BACK = 0x8800; // read back through the stub's READ_FLASH: 8 full frames and a part
const IMAGE = makeTestImage(1 << 20);
let failures = 0;

after(() => {
  if (failures) console.log(`# flash files kept for inspection in ${TMP}`);
  else fs.rmSync(TMP, { recursive: true, force: true });
});

// The base MAC espsim is told; board i has base + i - 1 (espsim --mac).
// The last three bytes carry 0xFF, 0xC0 and 0xDB once the board number is added,
// so the MAC registers travel through every escaping path on their way out.
const CHIPS = [
  { chip: "esp32", name: "ESP32", baseMac: "24:0a:c4:fe:c0:da" },
  { chip: "esp32c3", name: "ESP32-C3", baseMac: "58:cf:79:db:ff:bf" },
];
// A browser cannot change a Web Serial port's rate in place: esptool-js closes
// and reopens the port, i.e. a new RFC 2217 connection (lines drop, HUPCL)
// while the stub keeps running. The third board is flashed that way.
const PATHS = [
  { board: 1, useStub: false, reopen: false, label: "ROM loader" },
  { board: 2, useStub: true, reopen: false, label: "esptool-js flasher stub" },
  { board: 3, useStub: true, reopen: true, label: "flasher stub, port reopened for the baud change as in a browser" },
];

/** The flash file before the run: a pattern that is neither erased (0xFF) nor the image. */
function seedFlashFile(file, size) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + 0x11) & 0x7f;
  fs.writeFileSync(file, bytes);
  return bytes;
}

/** base + n on the NIC-specific half (last three bytes), in esptool-js's "aa:bb:…" form. */
function macPlus(base, n) {
  const bytes = base.split(":").map((h) => parseInt(h, 16));
  let nic = ((bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) + n;
  for (let i = 5; i >= 3; i--, nic >>>= 8) bytes[i] = nic & 0xff;
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

async function countFailure(body) {
  try {
    await body();
  } catch (error) {
    failures++;
    throw error;
  }
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

for (const { chip, name, baseMac } of CHIPS) {
  describe(`esptool-js flashes a simulated ${name}`, () => {
    let rack;
    const seeds = {};

    before(async () => {
      const flashDir = path.join(TMP, chip);
      fs.mkdirSync(flashDir, { recursive: true });
      for (const { board } of PATHS)
        seeds[board] = seedFlashFile(path.join(flashDir, `board${board}.bin`), 4 << 20);
      rack = await EspsimRack.start({ espsim: ESPSIM, chip, boards: PATHS.length, flashDir, mac: baseMac });
    });

    after(async () => {
      if (rack) await rack.stop();
    });

    for (const { board, useStub, reopen, label } of PATHS) {
      test(`${name} through the ${label}`, () => countFailure(async () => {
        const expectedMac = macPlus(baseMac, board - 1);
        assert.equal((await rack.status(board)).mac, expectedMac, "espsim's own idea of the MAC it was given");
        let boardWhileFlashed;
        const seen = await flashWithEsptoolJs({
          port: rack.boardPort(board), useStub, image: IMAGE, address: ADDRESS,
          inPlaceBaudChange: !reopen, readBackBytes: useStub ? READ_BACK : 0, tracing: process.env.JIGD_TRACE === "1",
          beforeLeaving: async () => { boardWhileFlashed = await rack.status(board); },
        });
        const log = seen.log.text;

        assert.equal(seen.chipName, name, "chip detected by esptool-js");
        assert.equal(seen.mac, expectedMac, "MAC read by esptool-js vs the MAC espsim was given");
        assert.equal(seen.flashSize, "4MB", "flash size esptool-js read from the JEDEC id");
        // ESP32: estimated from UART_CLKDIV at 115200 (espsim must fill it as the ROM does); C3: fixed.
        assert.equal(seen.crystalMHz, 40, "crystal frequency esptool-js worked out");
        assert.equal(seen.stubRan, useStub, "esptool-js ran the path this test asked for");
        assert.equal(seen.flashMd5, md5hex(IMAGE), "MD5 the board computed over the written region");
        if (useStub)
          assert.ok(Buffer.from(seen.readBack).equals(Buffer.from(IMAGE.subarray(0, READ_BACK))),
            "flash read back with esptool-js readFlash (stub READ_FLASH) differs from the image");
        // esptool-js hides some trouble behind retries and fallbacks; a conforming
        // board needs none of them.
        assert.doesNotMatch(log, /retrying|Autodetection failed|Continuing at|stopped responding/,
          "esptool-js had to retry or fall back");
        assert.equal(boardWhileFlashed.mode, useStub ? "stub" : "rom", "espsim's view of who was running");
        assert.equal(boardWhileFlashed.baud, 921600, "espsim's UART rate after CHANGE_BAUDRATE");
        assert.equal(boardWhileFlashed.host_baud, 921600, "host rate espsim got over RFC 2217");

        const flash = fs.readFileSync(rack.flashFile(board));
        const written = flash.subarray(ADDRESS, ADDRESS + IMAGE.length);
        const at = firstDifference(written, IMAGE);
        assert.equal(at, -1, `flash file differs from the image at offset 0x${(ADDRESS + at).toString(16)}`);
        const seed = seeds[board];
        for (const [from, to] of [[ADDRESS - GUARD, ADDRESS], [ADDRESS + IMAGE.length, ADDRESS + IMAGE.length + GUARD]]) {
          const d = firstDifference(flash.subarray(from, to), seed.subarray(from, to));
          assert.equal(d, -1, `flash outside the written region changed at 0x${(from + d).toString(16)}`);
        }
      }));
    }
  });
}
