// What the browser tests share (dashboard.mjs, label_preview.mjs): a failure
// that marks the run failed and stops it, Playwright's Chromium (missing is
// a failure, never a skip), and, from tests/jigd/jigd_process.mjs, jigd as a
// child process, a free loopback port and polling until a check holds (here
// a timeout fails the run).
import { freePort, Jigd, sleep, until as untilOrThrow } from "../jigd/jigd_process.mjs";

export { freePort, Jigd, sleep };

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

/** Polls `check` five times a second until it returns something true. */
export async function until(what, seconds, check) {
  try {
    return await untilOrThrow(what, seconds, check);
  } catch (error) {
    return fail(error.message);
  }
}
