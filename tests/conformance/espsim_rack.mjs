// Starts an espsim rack for a test or the demo, and talks to its control socket.
// espsim is the fixture under test here: everything we learn about a board
// comes either from esptool-js or from espsim's own control socket, and the
// test compares the two.

import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { LineProcess } from "./child_process_lines.mjs";

const READY_TIMEOUT_MS = 15000;
const CONTROL_TIMEOUT_MS = 3000;

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A run of `count` consecutive TCP ports that are free right now. */
async function findFreePorts(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portIsFree(p);
    if (ok) return base;
  }
  throw new Error(`could not find ${count} consecutive free TCP ports on 127.0.0.1`);
}

export class EspsimRack {
  /** Use EspsimRack.start(); the constructor only records what was started. */
  constructor(process_, { boards, basePort, controlPort, flashDir, chip }) {
    this.process = process_;
    this.boards = boards;
    this.basePort = basePort;
    this.controlPort = controlPort;
    this.flashDir = flashDir;
    this.chip = chip;
  }

  static async start({ espsim, chip, boards, flashDir, latencyMs = 2, flashSize = "4MB", mac = null,
                       extraArgs = [], echo = false }) {
    if (!espsim || !fs.existsSync(espsim))
      throw new Error(`espsim binary not found at '${espsim}': build it (cmake --build BUILD --target espsim) ` +
        "and pass its path in JIGD_ESPSIM");
    fs.mkdirSync(flashDir, { recursive: true });
    let lastError;
    for (let attempt = 0; attempt < 3; attempt++) {
      const basePort = await findFreePorts(boards + 1);
      const controlPort = basePort + boards;
      const args = ["--boards", String(boards), "--chip", chip, "--base-port", String(basePort),
        "--flash-dir", flashDir, "--control-port", String(controlPort),
        "--latency-ms", String(latencyMs), "--flash-size", flashSize,
        ...(mac ? ["--mac", mac] : []), ...extraArgs];
      const child = new LineProcess(espsim, args, { name: `espsim(${chip})`, echo });
      try {
        await child.waitForLine(/^espsim: ready (\d+) boards/, READY_TIMEOUT_MS, "'espsim: ready N boards'");
        return new EspsimRack(child, { boards, basePort, controlPort, flashDir, chip });
      } catch (error) {
        lastError = error;
        await child.stop();
        // Someone may have taken one of our ports between probe and bind: retry.
        if (!/in use|EADDRINUSE|bind/i.test(child.stderr + child.lines.join("\n"))) break;
      }
    }
    throw lastError;
  }

  /** TCP port of board i (1-based). */
  boardPort(i) {
    return this.basePort + i - 1;
  }

  flashFile(i) {
    return path.join(this.flashDir, `board${i}.bin`);
  }

  /** Sends one control line and returns the parsed JSON of its `ok {...}`
   *  answer, or {text} for an `ok` followed by words. */
  control(line) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: "127.0.0.1", port: this.controlPort });
      let answer = "";
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`espsim control port ${this.controlPort} did not answer '${line}' within ${CONTROL_TIMEOUT_MS} ms`));
      }, CONTROL_TIMEOUT_MS);
      sock.on("connect", () => sock.write(`${line}\n`));
      sock.setEncoding("utf8");
      sock.on("data", (text) => {
        answer += text;
        const nl = answer.indexOf("\n");
        if (nl < 0) return;
        clearTimeout(timer);
        sock.end();
        const first = answer.slice(0, nl).trim();
        const m = /^ok\s*(.*)$/.exec(first);
        if (!m) return reject(new Error(`espsim control '${line}' answered: ${first}`));
        // `status` and `gpio` answer JSON; `insert`, `fault`, ... a sentence.
        if (!m[1].startsWith("{")) return resolve({ text: m[1] });
        try {
          resolve(JSON.parse(m[1]));
        } catch (error) {
          reject(new Error(`espsim control '${line}' answered unparsable JSON: ${m[1]}`));
        }
      });
      sock.on("error", (error) => {
        clearTimeout(timer);
        reject(new Error(`espsim control port ${this.controlPort}: ${error.message}`));
      });
    });
  }

  status(i) {
    return this.control(`status ${i}`);
  }

  /** Stops espsim; throws if it reported a sanitizer error (the test build runs it under ASan/UBSan). */
  async stop() {
    const exit = await this.process.stop();
    const output = `${this.process.stderr}\n${this.process.lines.join("\n")}`;
    const report = /(ERROR: (Address|Leak)Sanitizer|runtime error:)[\s\S]{0,3000}/.exec(output);
    if (report) throw new Error(`espsim (${this.chip}) reported a sanitizer error:\n${report[0]}`);
    return exit;
  }
}
