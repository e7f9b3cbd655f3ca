// jigd as a child process for the JavaScript tests (the dashboard in a
// browser, the OpenAPI document against real answers): started on a
// jigd.conf and waited for until its API answers with a bundle; stopped
// with SIGTERM, and then its exit status and its log (the test build runs
// it under ASan/UBSan) must be clean. Every wait has a deadline.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Calls `check` until it returns something true (that is the result), at
 *  most `seconds`; throws naming `what` and the last answer or error. */
export async function until(what, seconds, check) {
  const end = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error.message;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export class Jigd {
  /** `token`: what to ask with while waiting for the API (none on a
   *  station in trusted-local mode). */
  constructor(binary, conf, logFile, url, { token = null } = {}) {
    this.binary = binary;
    this.conf = conf;
    this.logFile = logFile;
    this.url = url;
    this.token = token;
  }

  async start() {
    const log = fs.openSync(this.logFile, "a");
    this.child = spawn(this.binary, ["-c", this.conf], { stdio: ["ignore", "ignore", log] });
    fs.closeSync(log);
    this.exit = new Promise((resolve) => this.child.on("exit", (code, sig) => resolve({ code, sig })));
    const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    await until("jigd's API and its bundle", 30, async () => {
      const r = await fetch(`${this.url}/api/v1/station`, { headers });
      return r.ok && (await r.json()).bundle;
    });
  }

  /** Throws if jigd did not exit 0 or its log has a sanitizer report. */
  async stop() {
    if (!this.child) return;
    this.child.kill("SIGTERM");
    const { code } = await this.exit;
    this.child = null;
    if (code !== 0) throw new Error(`jigd exited with ${code} after SIGTERM (log: ${this.logFile})`);
    const text = fs.readFileSync(this.logFile, "utf8");
    if (/AddressSanitizer|LeakSanitizer|runtime error/.test(text))
      throw new Error(`sanitizer report in jigd's log ${this.logFile}`);
  }
}
