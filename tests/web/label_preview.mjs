// The label at pass, in a real browser: headless Chromium (playwright-core)
// against jigd with [label] sending to a raw-TCP label printer (a loopback
// listener here, port 9100's protocol: bytes in, nothing back) and one
// espsim board. Once the board passes, the listener holds a ZPL label with
// the unit's serial and its QR code, and the tile shows the label jigd drew:
// an SVG with the unit's serial and a QR code, put in the page as SVG
// elements (the page's CSP refuses blob: and data: images) with nothing
// that could run. A screenshot of the tile is kept with the test output.
//
// usage: node label_preview.mjs ESPSIM JIGD VECTORS_DIR STUB_DIR
// env:   JIGD_CHROMIUM (default /usr/bin/chromium),
//        JIGD_WEB_OUT  (screenshot and log; default ./web-label-out)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EspsimRack } from "../conformance/espsim_rack.mjs";
import { fail, freePort, Jigd, loadPlaywright, until } from "./web_rig.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const [espsim, jigd, vectors, stubDir] = process.argv.slice(2);
const chromiumPath = process.env.JIGD_CHROMIUM || "/usr/bin/chromium";
const out = path.resolve(process.env.JIGD_WEB_OUT || "web-label-out");

/** A raw-TCP label printer on loopback: every connection's bytes, as text. */
async function startPrinter() {
  const labels = [];
  const server = net.createServer((sock) => {
    let text = "";
    sock.on("data", (d) => { text += d.toString("latin1"); });
    sock.on("end", () => labels.push(text));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { labels, port: server.address().port, close: () => server.close() };
}

async function checkLabelPrinted(printer, serial) {
  await until("the label at the printer", 20, async () => printer.labels.length >= 1);
  const zpl = printer.labels[0];
  if (!zpl.startsWith("^XA") || !zpl.includes(`^FD${serial}^FS`) ||
      !zpl.includes(`^BQN,2,6^FH^FDQA,${serial}^FS`))
    fail(`the printer got a label without serial ${serial} or its QR code:\n${zpl}`);
  console.log(`ok: the printer on port 9100's protocol got the label of ${serial} (${zpl.length} bytes)`);
}

async function checkPreview(page, url) {
  await page.goto(url);
  await until("the tile", 10, async () => (await page.locator(".tile").count()) === 1);
  await page.click('.tile[data-slot="1"] .action-start');
  await until("slot 1 to pass", 60, async () =>
    (await page.getAttribute('.tile[data-slot="1"]', "data-state")) === "passed");
  const slot = await (await fetch(`${url}/api/v1/slots/1`)).json();
  if (!slot.serial || slot.label_serial !== slot.serial)
    fail(`slot 1's label_serial is ${slot.label_serial}, its serial ${slot.serial}`);
  const figure = '.tile[data-slot="1"] .label-preview';
  await until("the label preview", 10, async () => page.isVisible(`${figure} > svg`));
  const texts = await page.$$eval(`${figure} svg text`, (ts) => ts.map((t) => t.textContent));
  if (!texts.includes(slot.serial)) fail(`the preview's text is ${JSON.stringify(texts)}`);
  const modules = await page.getAttribute(`${figure} g.qr`, "data-modules");
  const rects = await page.locator(`${figure} g.qr rect`).count();
  if (!(Number(modules) >= 21) || rects < 21) fail(`the preview's QR code: ${modules} modules, ${rects} rects`);
  const caption = await page.textContent(`${figure} figcaption`);
  if (caption !== `label ${slot.serial}`) fail(`the preview's caption is '${caption}'`);
  const box = await page.locator(`${figure} > svg`).boundingBox();
  if (!box || box.width < 100 || box.height < 50) fail(`the preview is drawn ${JSON.stringify(box)}`);
  await page.locator('.tile[data-slot="1"]').screenshot({ path: path.join(out, "label-preview-tile.png") });
  console.log(`ok: slot 1 passed ${slot.serial}; its tile shows the label (${modules}x${modules} QR, ` +
              `${rects} rects); screenshot ${path.join(out, "label-preview-tile.png")}`);
  return slot.serial;
}

async function main() {
  const chromium = await loadPlaywright();
  if (!fs.existsSync(chromiumPath)) fail(`no Chromium at ${chromiumPath}: apt-get install chromium (or set JIGD_CHROMIUM)`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "jigd_label_web."));
  let rack, station, browser, printer;
  try {
    execFileSync("bash", [path.join(repo, "tests/jigd/make_bundle.sh"), vectors, `${work}/bundle1`, "64", "1"]);
    rack = await EspsimRack.start({ espsim, chip: "esp32", boards: 1, flashDir: `${work}/flash` });
    printer = await startPrinter();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    fs.writeFileSync(`${work}/jigd.conf`, `[station]\nname = label-line\nlisten = 127.0.0.1:${port}\n` +
      `api_trust_local = yes\ndata_dir = ${work}\nbundle = ${work}/bundle1\nstub_dir = ${stubDir}\n` +
      `boot_log_seconds = 1\n[label]\nprinter = tcp://127.0.0.1:${printer.port}\n` +
      `[slot 1]\nport = rfc2217://127.0.0.1:${rack.boardPort(1)}\ntrigger = manual\n`);
    station = new Jigd(jigd, `${work}/jigd.conf`, path.join(out, "jigd.log"), url);
    await station.start();
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
    const serial = await checkPreview(page, url);
    await checkLabelPrinted(printer, serial);
    if (errors.length) fail(`the page's console has errors:\n${errors.join("\n")}`);
    console.log("label preview test passed");
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (station) await station.stop().catch((e) => fail(e.message));
    if (printer) printer.close();
    if (rack) await rack.stop().catch((e) => { console.error(e.message); process.exitCode = 1; });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exitCode = 1;
});
