// A child process whose stdout we wait on line by line, always with a deadline,
// so a silent or crashed fixture ends a test with a clear error, not a hang.

import { spawn } from "node:child_process";

export class LineProcess {
  constructor(command, args, { name = command, env = process.env, echo = false } = {}) {
    this.name = name;
    this.lines = [];
    this.stderr = "";
    this.waiters = [];
    this.exited = null;
    this.child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let partial = "";
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (text) => {
      partial += text;
      let nl;
      while ((nl = partial.indexOf("\n")) >= 0) {
        const line = partial.slice(0, nl).replace(/\r$/, "");
        partial = partial.slice(nl + 1);
        if (echo) process.stdout.write(`[${this.name}] ${line}\n`);
        this.lines.push(line);
        this._check();
      }
    });
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (text) => {
      this.stderr += text;
      if (echo) process.stderr.write(text);
    });
    this.child.on("error", (error) => {
      this.exited = { error };
      this._check();
    });
    this.child.on("exit", (code, signal) => {
      this.exited = { code, signal };
      this._check();
    });
  }

  /** Resolves with the first line (seen so far or later) that matches `pattern`. */
  waitForLine(pattern, timeoutMs, what = String(pattern), from = 0) {
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve, reject, what, from };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no line matching ${what} within ${timeoutMs} ms. ` +
          `Output so far:\n${this.lines.slice(-20).join("\n")}\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this._check();
    });
  }

  /** Like waitForLine, but only lines printed after this call count. */
  waitForNewLine(pattern, timeoutMs, what = String(pattern)) {
    return this.waitForLine(pattern, timeoutMs, what, this.lines.length);
  }

  _check() {
    for (const waiter of [...this.waiters]) {
      const line = this.lines.slice(waiter.from).find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        clearTimeout(waiter.timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line.match(waiter.pattern));
      } else if (this.exited) {
        clearTimeout(waiter.timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const how = this.exited.error ? `could not start: ${this.exited.error.message}`
          : `exited (code ${this.exited.code}, signal ${this.exited.signal})`;
        waiter.reject(new Error(`${this.name} ${how} before printing a line matching ${waiter.what}.\n` +
          `${this.lines.slice(-20).join("\n")}\n${this.stderr.slice(-2000)}`));
      }
    }
  }

  /** Ends the child: closes stdin, then SIGTERM, then SIGKILL, each after a grace period. */
  async stop(graceMs = 3000) {
    if (this.exited) return this.exited;
    const gone = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    this.child.stdin.end();
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const result = await gone;
    clearTimeout(timer);
    return result;
  }
}
