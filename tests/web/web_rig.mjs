// What the browser tests share (dashboard.mjs, label_preview.mjs): a failure
// that marks the run failed and stops it, Playwright's Chromium (missing is
// a failure, never a skip), a free loopback port, and polling until a check
// holds.
import net from "node:net";

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

export async function loadPlaywright() {
  try {
    return (await import("playwright-core")).chromium;
  } catch (error) {
    fail(`playwright-core is not installed (${error.message}): run deploy/setup.sh (npm ci)`);
  }
}

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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` five times a second until it returns something true. */
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
  fail(`timed out after ${seconds} s waiting for ${what} (last: ${JSON.stringify(last)})`);
}
