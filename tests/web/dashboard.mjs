// The operator dashboard in a real browser: headless Chromium driven by
// playwright-core, against a real jigd flashing an espsim rack of 8 ESP32
// boards (board 3 with a broken auto-reset circuit, board 5 pulled in the
// middle of its write), all started here, plus a ninth slot whose port does
// not exist (a typo in jigd.conf). The units count against a work order;
// two boards get a PCB label typed into the page as a scanner types it.
//
// usage: node dashboard.mjs ESPSIM JIGD VECTORS_DIR STUB_DIR
// env:   JIGCTL, UNIT_DB_TOOL (tests/jigd/unit_db_tool: makes the work order),
//        JIGD_CHROMIUM (default /usr/bin/chromium),
//        JIGD_WEB_OUT  (screenshots and logs; default ./web-dashboard-out)
//
// Missing Chromium or playwright-core is a failure, never a skip: this test
// is the only proof that the page works.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EspsimRack } from "../conformance/espsim_rack.mjs";
import { fail, freePort, Jigd, loadPlaywright, sleep, until } from "./web_rig.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const [espsim, jigd, vectors, stubDir] = process.argv.slice(2);
const chromiumPath = process.env.JIGD_CHROMIUM || "/usr/bin/chromium";
const out = path.resolve(process.env.JIGD_WEB_OUT || "web-dashboard-out");
const BOARDS = 8;
const BROKEN = 3;                       // espsim --board 3:strap=broken
const PULLED = 5;                       // silent after 60000 bytes: fails in write, a unit
const FAILING = new Set([BROKEN, PULLED]);
const WORK_ORDER = "WO-WEB";
const WO_QUANTITY = 10;
const NO_PORT = BOARDS + 1;             // a slot whose by-id name is a typo

async function slotJson(url, n) {
  return (await fetch(`${url}/api/v1/slots/${n}`)).json();
}

async function tileState(page, n) {
  return page.getAttribute(`.tile[data-slot="${n}"]`, "data-state");
}

/** The production figures: 8 boards, of which 7 became units (board 3
 *  never got past the ROM loader), 6 of those passed their first attempt. */
async function checkProduction(page, url, work) {
  const p = (await (await fetch(`${url}/api/v1/station`)).json()).production;
  if (!p) fail("GET /api/v1/station has no production figures");
  const { shift, work_order: wo } = p;
  if (shift.units !== 7 || shift.first_pass !== 6 || p.units_per_hour !== 7)
    fail(`production: ${JSON.stringify(p)}, expected 7 units, 6 first-pass, 7 units/h`);
  if (Math.abs(shift.first_pass_yield - 600 / 7) > 1e-9) fail(`first-pass yield ${shift.first_pass_yield}`);
  if (!wo || wo.id !== WORK_ORDER || wo.quantity !== WO_QUANTITY || wo.done !== 6 || wo.failed < 1 || wo.complete)
    fail(`work order: ${JSON.stringify(wo)}`);
  // The same figure from jigctl audit, offline, over the same time.
  const audit = JSON.parse(execFileSync(process.env.JIGCTL, ["audit", "yield", "--db", `${work}/station.db`,
    "--from", shift.since, "--format", "json"], { encoding: "utf8" }));
  if (audit.units !== shift.units || audit.first_pass !== shift.first_pass)
    fail(`jigctl audit yield says ${audit.units} units, ${audit.first_pass} first-pass; the API ${JSON.stringify(shift)}`);
  await until("the header's work order", 10, async () =>
    (await page.textContent("#work-order")) === `order ${WORK_ORDER}: 6 / ${WO_QUANTITY} done · ${wo.failed} failed`);
  await until("the header's shift figures", 10, async () =>
    / · 7 units · first pass 85\.7 % · 7 units\/h$/.test(await page.textContent("#shift")));
  console.log(`ok: header '${await page.textContent("#work-order")}' '${await page.textContent("#shift")}'`);
}

async function scanLabels(page, url) {
  const scan = async (code, delay) => {
    await page.keyboard.type(code, { delay });
    await page.keyboard.press("Enter");
  };
  await scan("PCB-WEB-0001", 0);
  await until("the first scan's answer", 10, async () =>
    (await page.textContent("#scan")) === "label PCB-WEB-0001 → slot 1");
  await page.click('.tile[data-slot="2"] .slot-number');
  await until("tile 2 chosen", 5, async () =>
    (await page.getAttribute('.tile[data-slot="2"]', "class")).includes("chosen"));
  await scan("PCB-WEB-0002", 0);
  await until("the second scan's answer", 10, async () =>
    (await page.textContent("#scan")) === "label PCB-WEB-0002 → slot 2");
  await until("tile 1's waiting label", 10, async () =>
    (await page.textContent('.tile[data-slot="1"] .scan-prompt')) === "label PCB-WEB-0001 scanned: next board");
  await scan("SLOW1", 300);           // a person at the keyboard
  await sleep(1000);
  if ((await page.textContent("#scan")) !== "label PCB-WEB-0002 → slot 2")
    fail(`slow typing was taken as a scan: '${await page.textContent("#scan")}'`);
  for (let n = 3; n <= BOARDS; n++)
    if ((await slotJson(url, n)).scan.pending !== null) fail(`slot ${n} got a label nobody scanned for it`);
  await page.screenshot({ path: path.join(out, "dashboard-scanned.png"), fullPage: true });
  console.log("ok: two labels scanned into the page, one to the first ready slot, one to the tile tapped; " +
              "slow typing ignored");
}

async function checkHistory(browser, url, work) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${url}/ui/history.html`);
  // Every attempt of the round, newest first.
  await until("the attempts table", 10, async () => (await page.locator("#attempts tbody tr").count()) >= 8);
  const slot1 = await slotJson(url, 1);
  await page.fill("#search input", slot1.serial);
  await page.click("#search button");
  const story = `#story article.unit[data-serial="${slot1.serial}"]`;
  await until(`${slot1.serial}'s story`, 10, async () => page.isVisible(story));
  const text = await page.textContent(story);
  const cells = await page.$$eval(`${story} td`, (tds) => tds.map((t) => t.textContent));
  if (!cells.includes(slot1.cert_fingerprint) || !text.includes(slot1.mac) || !cells.includes("ok"))
    fail(`${slot1.serial}'s story lacks its MAC, certificate or result: ${cells.join(" | ")}`);
  // The scanned label finds the same unit, and its story shows the label
  // (the serial's story cleared first, so only the new search can show it).
  await page.evaluate(() => document.getElementById("story").replaceChildren());
  await page.fill("#search input", "PCB-WEB-0001");
  await page.click("#search button");
  await until("the story found by board code", 10, async () =>
    (await page.isVisible(story)) && (await page.textContent(`${story} .board-codes`)) === "board code: PCB-WEB-0001");
  // Failed attempts only: boards 3 and 5.
  await page.selectOption('#filters select[name="result"]', "failed");
  await page.click("#filters button");
  await until("the failed attempts", 10, async () => {
    const rows = await page.locator("#attempts tbody tr").all();
    if (rows.length !== 2) return false;
    for (const r of rows) if ((await r.getAttribute("class")) !== "result-failed") return false;
    return true;
  });
  const shownSlots = (await page.$$eval("#attempts tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent)))
    .sort().join(",");
  if (shownSlots !== `${BROKEN},${PULLED}`) fail(`the failed attempts are on slots ${shownSlots}`);
  await page.screenshot({ path: path.join(out, "history.png"), fullPage: true });
  // The page's CSV link, oldest first, is jigctl audit's CSV without its audit-head line.
  const href = await page.getAttribute("#csv", "href");
  const csv = await (await fetch(`${url}${href}&order=oldest`)).text();
  const audit = execFileSync(process.env.JIGCTL, ["audit", "attempts", "--db", `${work}/station.db`,
    "--result", "failed", "--format", "csv"], { encoding: "utf8" });
  // Both RFC 4180 (CRLF); jigctl's ends with its audit-head record.
  const auditRows = audit.split("\r\n").filter((l) => !l.startsWith("audit_head,")).join("\r\n");
  if (!csv.endsWith("\r\n") || csv !== auditRows)
    fail(`the page's CSV differs from jigctl audit's:\n${csv}\n---\n${auditRows}`);
  if (errors.length) fail(`the history page's console has errors:\n${errors.join("\n")}`);
  await page.close();
  // The reports over HTTP give jigctl audit's numbers, report by report.
  for (const [name, args, query] of [["yield", [], ""], ["pareto", [], ""],
    ["pareto", ["--by-phase"], "?by=phase"], ["rate", [], ""], ["duplicates", [], ""]]) {
    const api = await (await fetch(`${url}/api/v1/reports/${name}${query}`)).json();
    const audit = JSON.parse(execFileSync(process.env.JIGCTL, ["audit", name, ...args, "--db",
      `${work}/station.db`, "--format", "json"], { encoding: "utf8" }));
    delete audit.audit_head;
    if (JSON.stringify(api) !== JSON.stringify(audit))
      fail(`report ${name}${query}: the API says ${JSON.stringify(api)}, jigctl audit ${JSON.stringify(audit)}`);
  }
  console.log(`ok: history: ${slot1.serial}'s story, the 2 failed attempts, CSV = jigctl audit's; ` +
              "the reports over HTTP = jigctl audit's");
}

async function alarmRow(page, kind, slot) {
  for (const r of await page.locator(`#alarms .alarm[data-kind="${kind}"]`).all())
    if ((await r.textContent()).includes(`slot ${slot}`)) return r;
  return null;
}

async function checkAlarms(page, url, work) {
  await until("slot 9's alarm at the top", 10, async () => {
    const r = await alarmRow(page, "slot", NO_PORT);
    return r && (await r.getAttribute("class")).includes("alarm-new") &&
      (await r.textContent()).includes("usb-jigd-typo");
  });
  // Two more boards fail on slot 3: the third in a row is an alarm.
  for (let i = 0; i < 2; i++) {
    const before = (await slotJson(url, BROKEN)).failed;
    await page.click(`.tile[data-slot="${BROKEN}"] .action-start`);
    await until(`slot ${BROKEN}'s failure ${before + 1}`, 60, async () =>
      (await slotJson(url, BROKEN)).failed === before + 1);
  }
  await until("the failing alarm", 10, async () => {
    const r = await alarmRow(page, "failing", BROKEN);
    return r && (await r.textContent()).includes(`slot ${BROKEN} failed 3 units in a row`);
  });
  await page.screenshot({ path: path.join(out, "dashboard-alarms.png"), fullPage: true });
  await (await alarmRow(page, "failing", BROKEN)).locator(".action-ack").click();
  await until("the failing alarm, seen", 10, async () => {
    const r = await alarmRow(page, "failing", BROKEN);
    return r && (await r.getAttribute("class")).includes("alarm-seen") &&
      (await r.textContent()).includes("seen by local");
  });
  const { alarms } = await (await fetch(`${url}/api/v1/alarms`)).json();
  const failing = alarms.find((a) => a.kind === "failing");
  if (!failing || !failing.acknowledged || failing.acknowledged_by !== "local" || !failing.active)
    fail(`the failing alarm in the API: ${JSON.stringify(failing)}`);
  const acks = execFileSync("sqlite3", [`${work}/station.db`,
    "SELECT count(*) FROM audit_events WHERE action = 'alarm.ack' AND actor = 'local'"],
    { encoding: "utf8" }).trim();
  if (acks !== "1") fail(`${acks} alarm.ack rows by 'local' in the audit log`);
  console.log(`ok: alarms for slot ${NO_PORT} (no adapter) and slot ${BROKEN} (3 failures in a row); ` +
              "acknowledged on the page, on record");
}

/** A token made by jigctl on the station database (printed once). */
function tokenAdd(work, name, role) {
  const token = execFileSync(process.env.JIGCTL, ["token", "add", name, "--role", role,
    "--db", `${work}/station.db`], { encoding: "utf8" }).trim();
  if (!/^jigd_[0-9a-f]{64}$/.test(token)) fail(`jigctl token add printed '${token}'`);
  return token;
}

/** A fresh browser tab that gives `token` when the page asks for one. */
async function loggedIn(browser, url, token, errors) {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // The page's first read without a token is refused (401), by design.
    if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  await until("the token form", 10, async () => page.isVisible("#login"));
  await page.fill("#login input", token);
  await page.click("#login button");
  await until("the tiles after the token", 10, async () =>
    !(await page.isVisible("#login")) && (await page.locator(".tile").count()) === NO_PORT);
  return page;
}

async function checkRoles(browser, url, work, tokenless) {
  const tv = tokenAdd(work, "line-tv", "viewer");
  const op = tokenAdd(work, "shift-a", "operator");
  // jigd reads the tokens again within a second; from then on a request
  // without one is refused.
  await until("jigd to ask for a token", 10, async () =>
    (await fetch(`${url}/api/v1/station`)).status === 401);
  // The tab that was open without a token loses its stream and asks.
  await until("the tab without a token to ask for one", 15, async () => tokenless.isVisible("#login"));
  const errors = [];
  const viewer = await loggedIn(browser, url, tv, errors);
  if ((await viewer.textContent("#who")) !== "line-tv (viewer)")
    fail(`the viewer's page says '${await viewer.textContent("#who")}'`);
  for (const action of ["start", "abort", "identify"])
    if (await viewer.isVisible(`.tile[data-slot="1"] .action-${action}`))
      fail(`a viewer's tile shows the ${action} button`);
  const refused = await fetch(`${url}/api/v1/slots/1/start`, { method: "POST",
    headers: { Authorization: `Bearer ${tv}`, "Content-Type": "application/json" } });
  const why = await refused.json();
  if (refused.status !== 403 || !/needs role operator; 'line-tv' is viewer/.test(why.error))
    fail(`a viewer's start: ${refused.status} ${JSON.stringify(why)}`);
  await viewer.screenshot({ path: path.join(out, "dashboard-viewer.png"), fullPage: true });
  await viewer.close();

  const operator = await loggedIn(browser, url, op, errors);
  if ((await operator.textContent("#who")) !== "shift-a (operator)")
    fail(`the operator's page says '${await operator.textContent("#who")}'`);
  await operator.click('.tile[data-slot="2"] .action-identify');
  await until("the operator's Identify answer", 10, async () =>
    /^Identify: (done|accepted)$/.test(await operator.textContent('.tile[data-slot="2"] .answer')));
  const actor = execFileSync("sqlite3", [`${work}/station.db`,
    "SELECT actor FROM audit_events WHERE action = 'slot.identify' ORDER BY id DESC LIMIT 1"],
    { encoding: "utf8" }).trim();
  if (actor !== "shift-a") fail(`the audit log names '${actor}' for the operator's Identify`);
  await operator.close();
  if (errors.length) fail(`the token pages' console has errors:\n${errors.join("\n")}`);
  console.log("ok: the open tab asks for a token once tokens exist; a viewer has no buttons " +
              "and is refused (403); " +
              "an operator's Identify is on record as shift-a");
}

async function main() {
  const chromium = await loadPlaywright();
  if (!fs.existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath}: apt-get install chromium (or set JIGD_CHROMIUM)`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  console.log(`dashboard test: screenshots and logs in ${out}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "jigd_web."));
  let rack, station, browser;
  try {
    execFileSync("bash", [path.join(repo, "tests/jigd/make_bundle.sh"), vectors, `${work}/bundle1`, "256", "1"]);
    rack = await EspsimRack.start({ espsim, chip: "esp32", boards: BOARDS, flashDir: `${work}/flash`,
                                    extraArgs: ["--board", `${BROKEN}:strap=broken`,
                                                "--board", `${PULLED}:silent-after=60000`] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const slots = [...Array(BOARDS).keys()].map((i) =>
      `[slot ${i + 1}]\nport = rfc2217://127.0.0.1:${rack.boardPort(i + 1)}\ntrigger = manual\n`).join("") +
      `[slot ${NO_PORT}]\nport = /dev/serial/by-id/usb-jigd-typo-if00-port0\n`;
    fs.writeFileSync(`${work}/jigd.conf`, `[station]\nname = web-test-line\nlisten = 127.0.0.1:${port}\n` +
      `api_trust_local = yes\ndata_dir = ${work}\nbundle = ${work}/bundle1\nstub_dir = ${stubDir}\n` +
      `boot_log_seconds = 1\nled_gpio = 2\nboard_code = optional\n[unit]\nwork_order = ${WORK_ORDER}\n${slots}`);
    execFileSync(process.env.UNIT_DB_TOOL, ["work-order", `${work}/station.db`, WORK_ORDER, String(WO_QUANTITY)]);
    station = new Jigd(jigd, `${work}/jigd.conf`, path.join(out, "jigd.log"), url);
    await station.start();

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
                                      args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const consoleErrors = [];
    let outage = false;
    let refusalExpected = false;
    let tokensMade = false;     // from then on this tab, without a token, is refused
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      // The browser reports a refused request too: only the one the test
      // provokes (a second Identify, 409) is expected.
      if (refusalExpected && /status of 409/.test(m.text())) return;
      if (tokensMade && /status of 401/.test(m.text())) return;
      // While jigd is deliberately down the browser itself reports the
      // refused connections; anything else is the page's fault.
      if (outage && /ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(m.text())) return;
      consoleErrors.push(m.text());
    });
    if (process.env.JIGD_WEB_VERBOSE) {
      page.on("console", (m) => console.log(`[page ${m.type()}] ${m.text()}`));
      page.on("requestfailed", (r) => console.log(`[failed] ${r.url()} ${r.failure()?.errorText}`));
      page.on("response", (r) => r.url().includes("events") && console.log(`[resp] ${r.url()} ${r.status()}`));
    }
    if (process.env.JIGD_WEB_VERBOSE)
      setInterval(() => page.evaluate(() => document.body.dataset.stream)
        .then((st) => console.log(`[stream ${new Date().toISOString()}] ${st}`)).catch(() => {}), 1000).unref();
    page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));

    // 1. A tile per slot, each saying its state in a word.
    await page.goto(url);
    await until(`${NO_PORT} tiles`, 10, async () => (await page.locator(".tile").count()) === NO_PORT);
    await until("the header", 10, async () =>
      (await page.textContent("#station-name")) === "web-test-line" &&
      /bundle .+ .+/.test(await page.textContent("#bundle")));
    console.log(`ok: ${NO_PORT} tiles and the header`);

    // 1b. What blocks a slot at start is on its tile, in jigd's words.
    const typo = `.tile[data-slot="${NO_PORT}"]`;
    await until(`tile ${NO_PORT} to say NO ADAPTER`, 10, async () =>
      (await tileState(page, NO_PORT)) === "no-port" &&
      (await page.textContent(`${typo} .state-word`)) === "NO ADAPTER");
    const blocked = (await slotJson(url, NO_PORT)).alarm;
    if (!blocked || !blocked.cause.includes("usb-jigd-typo") || !blocked.advice)
      fail(`slot ${NO_PORT}'s alarm in the API: ${JSON.stringify(blocked)}`);
    if (!(await page.isVisible(`${typo} .problem-alarm`))) fail(`tile ${NO_PORT} shows no alarm`);
    const tileCause = await page.textContent(`${typo} .cause`);
    const tileAdvice = await page.textContent(`${typo} .advice`);
    if (tileCause !== blocked.cause || !tileAdvice.includes(blocked.advice))
      fail(`tile ${NO_PORT} shows '${tileCause}' / '${tileAdvice}', jigd says ` +
           `'${blocked.cause}' / '${blocked.advice}'`);
    console.log(`ok: tile ${NO_PORT} says NO ADAPTER: '${tileCause}' ${tileAdvice}`);

    // 1c. The label scanner types a burst ending in Enter: it goes to the
    //     first ready slot, or to the tile tapped first; slow typing is no scan.
    await scanLabels(page, url);

    // 2. Start on every tile: progress moves, 6 pass, boards 3 and 5 fail;
    //    board 3's tile gives the cause and advice.
    for (let n = 1; n <= BOARDS; n++) await page.click(`.tile[data-slot="${n}"] .action-start`);
    await until("a progress bar to move", 30, async () =>
      (await page.$$eval(".bar-fill", (bars) => bars.some((b) => parseFloat(b.style.width) > 0))));
    await until("every slot to finish", 90, async () => {
      for (let n = 1; n <= BOARDS; n++) {
        const s = await tileState(page, n);
        if (s !== "passed" && s !== "failed") return false;
      }
      return true;
    });
    for (let n = 1; n <= BOARDS; n++) {
      const want = FAILING.has(n) ? "failed" : "passed";
      const got = await tileState(page, n);
      if (got !== want) fail(`tile ${n} is ${got}, expected ${want}`);
      const word = await page.textContent(`.tile[data-slot="${n}"] .state-word`);
      if (word !== (FAILING.has(n) ? "FAIL" : "PASS")) fail(`tile ${n} says '${word}'`);
    }
    const api3 = await slotJson(url, BROKEN);
    const advice = await page.textContent(`.tile[data-slot="${BROKEN}"] .advice`);
    if (!api3.error || !advice.includes(api3.error.advice))
      fail(`tile ${BROKEN} shows '${advice}', the station's advice is '${api3.error?.advice}'`);
    const cause = await page.textContent(`.tile[data-slot="${BROKEN}"] .cause`);
    if (!cause.includes(api3.error.cause)) fail(`tile ${BROKEN} shows cause '${cause}'`);
    const serial1 = (await slotJson(url, 1)).serial;
    if (!serial1 || !(await page.textContent('.tile[data-slot="1"]')).includes(serial1))
      fail(`tile 1 does not show its serial ${serial1}`);
    for (const [n, code] of [[1, "PCB-WEB-0001"], [2, "PCB-WEB-0002"]]) {
      const s = await slotJson(url, n);
      if (s.board_code !== code || !(await page.textContent(`.tile[data-slot="${n}"]`)).includes(code))
        fail(`slot ${n}'s board code is '${s.board_code}', scanned ${code}`);
    }
    const logLines = await page.locator("#log li").count();
    if (logLines < BOARDS) fail(`the event log has ${logLines} lines`);
    // The stream stayed up (or came back by itself) while the boards ran.
    await until("no connection-lost banner while jigd runs", 10, async () =>
      !(await page.isVisible("#banner")));
    await page.screenshot({ path: path.join(out, "dashboard-one-failing.png"), fullPage: true });
    console.log(`ok: 6 tiles PASS, tiles ${BROKEN} and ${PULLED} FAIL, ${BROKEN} with '${advice}'`);

    // 2b. The header: the work order's progress and the shift's figures,
    //     as the API gives them and as jigctl audit finds them in station.db.
    await checkProduction(page, url, work);

    // 2b'. The history page: a unit's story, the failed attempts, and
    //      their CSV the same as jigctl audit's.
    await checkHistory(browser, url, work);

    // 2c. Alarms that need a person: slot 9's missing adapter from the start,
    //     and slot 3 failing three units in a row; each loud until acknowledged.
    await checkAlarms(page, url, work);

    // 2d. Boards 3 and 5 mended (the strap fixed, the pulled board back in):
    //     every slot with a board passes, and slot 3's failing alarm, seen
    //     and now over, goes.
    await rack.control(`fault ${BROKEN} strap=auto`);
    await rack.control(`fault ${PULLED} silent-after=-1`);
    await rack.control(`insert ${PULLED}`);
    for (const n of [BROKEN, PULLED]) {
      const before = (await slotJson(url, n)).passed;
      await page.click(`.tile[data-slot="${n}"] .action-start`);
      await until(`slot ${n} to pass once mended`, 60, async () =>
        (await slotJson(url, n)).passed === before + 1 && (await tileState(page, n)) === "passed");
    }
    for (let n = 1; n <= BOARDS; n++)
      if ((await tileState(page, n)) !== "passed") fail(`tile ${n} is ${await tileState(page, n)} after the mend`);
    await until("the failing alarm, seen and over, to go", 10, async () => !(await alarmRow(page, "failing", BROKEN)));
    await page.screenshot({ path: path.join(out, "dashboard-all-passing.png"), fullPage: true });
    console.log("ok: boards 3 and 5 mended: 8 tiles PASS; the failing alarm went once over");

    // 3. Identify: the button says it was heard and done; espsim's LED blinks.
    await page.click('.tile[data-slot="1"] .action-identify');
    await until("the Identify answer", 10, async () =>
      /^Identify: (done|accepted)$/.test(await page.textContent('.tile[data-slot="1"] .answer')));
    const seen = new Set();
    await until("board 1's LED to blink (espsim status)", 10, async () => {
      seen.add((await rack.status(1)).led);
      return seen.has(true) && seen.has(false);
    });
    refusalExpected = true;
    await page.click('.tile[data-slot="1"] .action-identify');
    await until("the second Identify's answer", 10, async () =>
      /refused/.test(await page.textContent('.tile[data-slot="1"] .answer')));
    const again = await page.textContent('.tile[data-slot="1"] .answer');
    refusalExpected = false;
    console.log(`ok: Identify blinks board 1's LED; pressed again: '${again}'`);

    // 4. jigd restarted under the page: the banner says so, then the page
    //    recovers and follows the new jigd.
    outage = true;
    await station.stop();
    await until("the connection-lost banner", 10, async () => page.isVisible("#banner"));
    await page.screenshot({ path: path.join(out, "dashboard-reconnecting.png"), fullPage: true });
    await sleep(1000);
    await station.start();
    await until("the banner to go", 20, async () => !(await page.isVisible("#banner")));
    outage = false;
    await page.click('.tile[data-slot="2"] .action-start');
    await until("slot 2 to run again under the new jigd", 30, async () =>
      (await slotJson(url, 2)).passed === 1 && (await tileState(page, 2)) === "passed" &&
      (await slotJson(url, 2)).state === "passed");
    await until("tile 2 to show the new unit", 10, async () =>
      (await page.textContent('.tile[data-slot="2"] .answer')).includes("Start: accepted"));
    await page.screenshot({ path: path.join(out, "dashboard-after-restart.png"), fullPage: true });
    console.log("ok: banner while jigd was away, live again after its restart");

    // 5. Named tokens: the page asks for one; a viewer sees the tiles and
    //    no button, and the API refuses it; an operator's Identify is on
    //    record under the token's name.
    tokensMade = true;
    await checkRoles(browser, url, work, page);

    // 6. The page's own console.
    if (consoleErrors.length) fail(`the page's console has errors:\n${consoleErrors.join("\n")}`);
    console.log("ok: no console errors");
    console.log(`dashboard test passed; screenshots in ${out}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (station) await station.stop().catch((e) => { console.error(`FAIL: ${e.message}`); process.exitCode = 1; });
    if (rack) await rack.stop().catch((e) => { console.error(e.message); process.exitCode = 1; });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exitCode = 1;
});
