// Checks the Web Serial ↔ RFC 2217 adapter against an RFC 2217 server that is
// not ours (pySerial's PortManager over an echoing loop:// port), so that the
// espsim conformance test rests on an adapter with a second opinion behind it.
//
// Run: node --test tests/conformance/webserial_rfc2217.test.mjs
// Env: JIGD_PYTHON = a python3 that can `import serial` (default python3).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Transport } from "esptool-js";
import { Rfc2217SerialPort } from "./webserial_rfc2217.mjs";
import { LineProcess } from "./child_process_lines.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
let server;
let serverPort;

before(async () => {
  server = new LineProcess(process.env.JIGD_PYTHON || "python3",
    [path.join(here, "pyserial_loopback_server.py")], { name: "pyserial loopback server" });
  const [, port] = await server.waitForLine(/^listening (\d+)$/, 10000, "'listening PORT'");
  serverPort = Number(port);
});

after(async () => {
  if (server) await server.stop();
});

async function readExactly(port, count, timeoutMs = 3000) {
  const reader = port.readable.getReader();
  const parts = [];
  let have = 0;
  const timer = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    while (have < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`read ended after ${have} of ${count} bytes (deadline ${timeoutMs} ms)`);
      parts.push(value);
      have += value.length;
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return Buffer.concat(parts);
}

/** Closes our side and waits until the server saw the connection end. */
async function closeAndWaitForServer(closeIt) {
  const gone = server.waitForNewLine(/^disconnected$/, 3000, "'disconnected'");
  await closeIt();
  await gone;
}

async function write(port, bytes) {
  const writer = port.writable.getWriter();
  await writer.write(bytes);
  writer.releaseLock();
}

test("open applies the baud rate, and setBaudRate changes it in place", async () => {
  const port = new Rfc2217SerialPort({ port: serverPort });
  const opened = server.waitForNewLine(/^baudrate 115200$/, 3000);
  await port.open({ baudRate: 115200 });
  await opened;
  const changed = server.waitForNewLine(/^baudrate 921600$/, 3000);
  await port.setBaudRate(921600);
  await changed;
  await closeAndWaitForServer(() => port.close());
});

test("setSignals moves DTR and RTS on the server, DTR first", async () => {
  const port = new Rfc2217SerialPort({ port: serverPort });
  await port.open({ baudRate: 115200 });
  const start = server.lines.length;
  await port.setSignals({ dataTerminalReady: true, requestToSend: false });
  await port.setSignals({ dataTerminalReady: false, requestToSend: true });
  await closeAndWaitForServer(() => port.close());
  const lines = server.lines.slice(start).filter((l) => /^(dtr|rts) /.test(l));
  assert.deepEqual(lines, ["dtr True", "rts False", "dtr False", "rts True"]);
});

test("every byte value, 0xFF included, survives the trip both ways", async () => {
  const port = new Rfc2217SerialPort({ port: serverPort });
  await port.open({ baudRate: 921600 });
  const payload = new Uint8Array(4096);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 7 === 0 ? 0xff : (i * 37) & 0xff;
  await write(port, payload);
  const echoed = await readExactly(port, payload.length);
  assert.ok(Buffer.from(payload).equals(echoed), "echoed bytes differ from the bytes sent");
  await closeAndWaitForServer(() => port.close());
});

test("esptool-js Transport reads its own SLIP frame back through the adapter", async () => {
  const port = new Rfc2217SerialPort({ port: serverPort });
  const transport = new Transport(port);
  await transport.connect(115200);
  transport.readLoop();
  const packet = Uint8Array.from([0x01, 0x08, 0x04, 0x00, 0xc0, 0xdb, 0xff, 0x20, 0, 0, 0, 0]);
  await transport.write(packet);
  const echoed = await transport.read(3000);
  assert.deepEqual(Array.from(echoed), Array.from(packet));
  await transport.setRTS(true);
  await transport.setDTR(false);
  await closeAndWaitForServer(() => transport.disconnect());
  assert.equal(port.readable, null, "a closed port has no readable stream");
});

test("a port nobody listens on fails open() with a message that says where", async () => {
  const unused = await new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const port = new Rfc2217SerialPort({ port: unused });
  await assert.rejects(port.open({ baudRate: 115200 }), new RegExp(`127\\.0\\.0\\.1:${unused}`));
});

test("a server that never answers the negotiation fails open() within the deadline", async () => {
  const silent = net.createServer((sock) => sock.on("data", () => {}));
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const port = new Rfc2217SerialPort({ port: silent.address().port, ackTimeoutMs: 300 });
    await assert.rejects(port.open({ baudRate: 115200 }), /did not answer the COM-PORT-OPTION negotiation/);
  } finally {
    silent.close();
    for (const s of await new Promise((r) => silent.getConnections(() => r([])))) s.destroy();
  }
});
