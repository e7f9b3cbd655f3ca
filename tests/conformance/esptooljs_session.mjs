// One esptool-js flashing session against one RFC 2217 board, in the two ways a
// board can be flashed: through the flasher stub that esptool-js carries, or
// straight through the ROM loader.
//
// The stub path is ESPLoader.main() followed by writeFlash(), as a web flasher
// calls them. Why the ROM path is driven call by call: esptool-js 0.7.0 has no "no stub"
// option. ESPLoader.main() always calls runStub() (it skips the stub only in
// Secure Download Mode or for chips without a stub), so the ROM path here uses
// esptool-js's own lower-level calls — detectChip, readMac, changeBaud,
// flashSpiAttach, writeFlash, flashMd5sum — in the order esptool (Python)
// uses for --no-stub, with two corrections where esptool-js's code would be
// wrong for a ROM and no real chip ever showed it, because main() never runs
// them without a stub:
//   - ESPLoader keeps FLASH_WRITE_SIZE at the stub's 0x4000; every ROM client
//     uses the chip's 0x400 blocks (rom-protocol.md §9.1), so we set it from
//     loader.chip.FLASH_WRITE_SIZE.
//   - flashMd5sum() hex-encodes the reply bytes; a ROM replies with 32 ASCII
//     hex characters (a stub with 16 raw bytes), so on the ROM path the
//     result is decoded once more before comparing. For the same reason
//     writeFlash's own MD5 check (calculateMD5Hash) is used on the stub path only.

import crypto from "node:crypto";
import { ESPLoader, Transport } from "esptool-js";
import { Rfc2217SerialPort } from "./webserial_rfc2217.mjs";

export const md5hex = (bytes) => crypto.createHash("md5").update(bytes).digest("hex");

/** esptool-js prints through an IEspLoaderTerminal; keep its lines for reports. */
export class CollectingTerminal {
  constructor(echo = null) {
    this.text = "";
    this.echo = echo;
  }
  clean() {}
  write(data) {
    this.text += data;
    if (this.echo) this.echo(data);
  }
  writeLine(data) {
    this.write(`${data}\n`);
  }
  get lines() {
    return this.text.split("\n");
  }
}

/**
 * Connects, identifies, optionally starts the stub, raises the baud rate,
 * writes `image` compressed at `address`, has the board hash it and, with the
 * stub, optionally reads the first `readBackBytes` back.
 * Returns what esptool-js saw; throws (with esptool-js's log attached) on failure.
 */
export async function flashWithEsptoolJs({ host = "127.0.0.1", port, useStub, image, address = 0x10000,
                                           baud = 921600, terminal = new CollectingTerminal(),
                                           onProgress = null, tracing = false, debugLogging = true,
                                           beforeLeaving = null, inPlaceBaudChange = true, readBackBytes = 0 }) {
  const serial = new Rfc2217SerialPort({ host, port, inPlaceBaudChange });
  const transport = new Transport(serial, tracing);
  // Transport prints a few "TRACE" lines (port done, readLoop exited) even with
  // tracing off; keep them in the session log instead of on stdout.
  if (!tracing) transport.trace = (message) => terminal.write(`TRACE ${message}\n`);
  const loader = new ESPLoader({ transport, baudrate: baud, romBaudrate: 115200, terminal, debugLogging });
  const seen = { log: terminal };
  try {
    if (useStub) {
      // Exactly what a web flasher runs: reset, sync, detect, describe (chip,
      // revision, features, crystal, MAC), upload the stub, change baud, read
      // the flash id.
      seen.description = await loader.main("default_reset");
      if (!loader.IS_STUB) throw new Error("esptool-js did not start its flasher stub (see its log)");
      seen.chipName = loader.chip.CHIP_NAME;
      seen.mac = await loader.chip.readMac(loader);
      seen.crystalMHz = Number(/Crystal is (\d+)MHz/.exec(terminal.text)?.[1]);
    } else {
      await loader.detectChip("default_reset");
      seen.chipName = loader.chip.CHIP_NAME;
      seen.description = await loader.chip.getChipDescription(loader);
      seen.mac = await loader.chip.readMac(loader);
      seen.crystalMHz = await loader.chip.getCrystalFreq(loader);
      loader.FLASH_WRITE_SIZE = loader.chip.FLASH_WRITE_SIZE;
      await loader.flashSpiAttach(0);
      await loader.changeBaud();
    }
    // changeBaud() swallows a failed switch: it reconnects at the ROM rate
    // (and starts the stub). Either would make this run prove less than it says.
    if (loader.baudrate !== baud || transport.baudrate !== baud)
      throw new Error(`esptool-js fell back to ${loader.baudrate} baud after asking for ${baud}`);
    if (loader.IS_STUB !== useStub) throw new Error("esptool-js changed between ROM and stub while changing baud");

    seen.flashSize = await loader.detectFlashSize();
    seen.imageMd5 = md5hex(image);
    await loader.writeFlash({
      fileArray: [{ data: image, address }],
      flashSize: "keep", flashMode: "keep", flashFreq: "keep",
      eraseAll: false, compress: true,
      calculateMD5Hash: useStub ? (bytes) => md5hex(bytes) : undefined,
      reportProgress: onProgress ? (_file, written, total) => onProgress(written, total) : undefined,
    });
    const reply = await loader.flashMd5sum(address, image.length);
    seen.flashMd5 = useStub ? reply : Buffer.from(reply, "hex").toString("latin1");
    seen.stubRan = loader.IS_STUB;
    // READ_FLASH exists only in the stub (rom-protocol.md §3.5): data frames,
    // each acknowledged by the host with the byte count so far.
    if (readBackBytes && loader.IS_STUB) seen.readBack = await loader.readFlash(address, readBackBytes);
    if (beforeLeaving) await beforeLeaving(seen);
    await loader.after("hard_reset");
    return seen;
  } catch (error) {
    error.message += `\n--- esptool-js log ---\n${terminal.text.slice(-4000)}`;
    throw error;
  } finally {
    await transport.disconnect().catch(() => {});
  }
}
