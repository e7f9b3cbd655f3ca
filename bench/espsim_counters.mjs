// espsim's per-board counters, read over its control socket, and the floor
// they imply: the least time a write could have taken on that wire and that
// flash, the same definition as bench_write.c uses.
//
//   wire  = (rx_bytes + tx_bytes) × 10 bit times / baud   (8N1, both directions)
//   flash = flash_busy_us                                  (erase + program + read)
//   floor = max(wire, flash)      the stub overlaps the two, so neither adds

import net from "node:net";

/** `status BOARD` → espsim's JSON for that board; rejects after `timeoutMs`. */
export function boardStatus(controlPort, board, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port: controlPort });
    let text = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`espsim's control port ${controlPort} did not answer "status ${board}" ` +
        `within ${timeoutMs} ms: is espsim still running?`));
    }, timeoutMs);
    sock.on("connect", () => sock.write(`status ${board}\n`));
    sock.on("data", (chunk) => {
      text += chunk.toString("latin1");
      const nl = text.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      const line = text.slice(0, nl);
      if (!line.startsWith("ok ")) return reject(new Error(`espsim refused "status ${board}": ${line}`));
      resolve(JSON.parse(line.slice(3)));
    });
    sock.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach espsim's control port ${controlPort}: ${error.message}`));
    });
  });
}

/** The floor between two status snapshots of one board, in seconds. */
export function floorBetween(before, after, baud) {
  const wireBytes = after.rx_bytes - before.rx_bytes + (after.tx_bytes - before.tx_bytes);
  const wireS = (wireBytes * 10) / baud;
  const flashS = (after.flash_busy_us - before.flash_busy_us) / 1e6;
  return { wireBytes, wireS, flashS, floorS: Math.max(wireS, flashS) };
}
