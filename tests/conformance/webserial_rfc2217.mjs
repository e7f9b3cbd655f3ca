// An RFC 2217 client that looks like a Web Serial `SerialPort`, so that
// Espressif's browser flasher (esptool-js) can drive an espsim board from Node.
//
// esptool-js's Transport (lib/webserial.js) uses exactly this surface of a port:
//   open({baudRate, dataBits, stopBits, parity, bufferSize, flowControl})
//   readable / writable          Web Streams of Uint8Array, re-created on demand
//   setSignals({dataTerminalReady, requestToSend, break})
//   getInfo()                    USB ids; a remote port has none
//   close()
//   setBaudRate(baud)            optional extension: Transport.changeBaudrate()
//                                prefers it to closing and reopening the port
// Everything else about the wire (telnet negotiation, COM-PORT-OPTION, 0xFF
// escaping) is RFC 2217 as pySerial speaks it (rom-protocol.md §12).
//
// Web Serial semantics kept on purpose, because esptool-js depends on them:
// - `readable` returns a fresh stream after the previous one was cancelled
//   (disconnect() cancels the reader, then close() needs unlocked streams);
// - cancelling the readable discards data already received but not yet read;
// - close() rejects while a stream is locked (ReadableStream.cancel does).
// Departures: the receive buffer is unbounded (Web Serial drops data beyond
// `bufferSize`), and open() leaves DTR/RTS wherever the server has them.

import net from "node:net";

const IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, DONT = 254;
const OPT_BINARY = 0, OPT_SGA = 3, OPT_COM_PORT = 44;

// COM-PORT-OPTION subcommands (client → server; the server answers code + 100).
const SET_BAUDRATE = 1, SET_DATASIZE = 2, SET_PARITY = 3, SET_STOPSIZE = 4, SET_CONTROL = 5;
const NOTIFY_LINESTATE = 6, NOTIFY_MODEMSTATE = 7, PURGE_DATA = 12;
const SERVER_REPLY = 100;

const CONTROL = { breakOn: 5, breakOff: 6, dtrOn: 8, dtrOff: 9, rtsOn: 11, rtsOff: 12 };
const PARITY = { none: 1, odd: 2, even: 3 };
const STOPSIZE = { 1: 1, 2: 2 };

export class Rfc2217Error extends Error {}

/** Removes telnet commands from the byte stream and reports what they said. */
class TelnetDecoder {
  constructor(onData, onCommand, onSubnegotiation) {
    this.onData = onData;
    this.onCommand = onCommand;
    this.onSubnegotiation = onSubnegotiation;
    this.state = "data";
    this.verb = 0;
    this.sb = [];
  }

  push(chunk) {
    const data = [];
    for (const byte of chunk) {
      switch (this.state) {
        case "data":
          if (byte === IAC) this.state = "iac";
          else data.push(byte);
          break;
        case "iac":
          if (byte === IAC) { data.push(IAC); this.state = "data"; }
          else if (byte === SB) { this.sb = []; this.state = "sb"; }
          else if (byte >= WILL && byte <= DONT) { this.verb = byte; this.state = "option"; }
          else this.state = "data"; // NOP, GA, SE out of place: nothing to act on
          break;
        case "option":
          this.onCommand(this.verb, byte);
          this.state = "data";
          break;
        case "sb":
          if (byte === IAC) this.state = "sb-iac";
          else this.sb.push(byte);
          break;
        case "sb-iac":
          if (byte === IAC) { this.sb.push(IAC); this.state = "sb"; }
          else if (byte === SE) { this.onSubnegotiation(Uint8Array.from(this.sb)); this.state = "data"; }
          else { this.sb.push(byte); this.state = "sb"; } // tolerate a lone IAC inside SB
          break;
      }
    }
    if (data.length) this.onData(Uint8Array.from(data));
  }
}

function escapeIac(bytes) {
  let count = 0;
  for (const b of bytes) if (b === IAC) count++;
  if (!count) return bytes;
  const out = new Uint8Array(bytes.length + count);
  let j = 0;
  for (const b of bytes) {
    out[j++] = b;
    if (b === IAC) out[j++] = IAC;
  }
  return out;
}

function u32be(value) {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/**
 * A remote serial port at host:port, presented as a Web Serial SerialPort.
 * options.inPlaceBaudChange (default true) exposes setBaudRate(); set it to
 * false to make esptool-js close and reopen the port the way it must in a
 * browser, which here means a new TCP connection.
 */
export class Rfc2217SerialPort {
  constructor({ host = "127.0.0.1", port, connectTimeoutMs = 5000, ackTimeoutMs = 3000,
                inPlaceBaudChange = true, onEvent = null } = {}) {
    if (!Number.isInteger(port)) throw new TypeError("Rfc2217SerialPort needs a TCP port number");
    this.host = host;
    this.port = port;
    this.connectTimeoutMs = connectTimeoutMs;
    this.ackTimeoutMs = ackTimeoutMs;
    this.onEvent = onEvent; // optional trace hook: (kind, detail) => void
    if (!inPlaceBaudChange) this.setBaudRate = undefined;
    this.socket = null;
    this.state = "closed";
    this._readable = null;
    this._readController = null;
    this._writable = null;
    this.pendingRx = [];       // bytes that arrived while no readable stream existed
    this.waiters = new Map();  // reply code → [{resolve, reject, timer}]
    this.agreed = new Set();   // "do:44", "will:44", … options the server accepted
    this.modemState = 0;
    this.lineState = 0;
    this.baudRate = 0;
  }

  getInfo() {
    return {}; // a TCP port has no USB vendor/product id
  }

  get readable() {
    if (this.state !== "opened") return null;
    if (!this._readable) this._readable = this._makeReadable();
    return this._readable;
  }

  get writable() {
    if (this.state !== "opened") return null;
    if (!this._writable) this._writable = this._makeWritable();
    return this._writable;
  }

  async open({ baudRate, dataBits = 8, stopBits = 1, parity = "none", flowControl = "none" } = {}) {
    if (this.state !== "closed") throw new DOMException("The port is already open.", "InvalidStateError");
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new TypeError("open() needs a positive baudRate");
    if (!(parity in PARITY)) throw new TypeError(`parity ${parity} is not supported`);
    if (!(stopBits in STOPSIZE)) throw new TypeError(`stopBits ${stopBits} is not supported`);
    this.state = "opening";
    try {
      await this._connect();
      await this._negotiate();
      await Promise.all([
        this._subnegotiate(SET_BAUDRATE, u32be(baudRate)),
        this._subnegotiate(SET_DATASIZE, [dataBits]),
        this._subnegotiate(SET_PARITY, [PARITY[parity]]),
        this._subnegotiate(SET_STOPSIZE, [STOPSIZE[stopBits]]),
        this._subnegotiate(SET_CONTROL, [flowControl === "hardware" ? 3 : 1]),
      ]);
      this.baudRate = baudRate;
      this.state = "opened";
    } catch (error) {
      this._teardown(error);
      this.state = "closed";
      throw error;
    }
  }

  /**
   * Web Serial sets all lines in one request (one USB SET_CONTROL_LINE_STATE on
   * a real adapter), so no in-between state reaches the board. RFC 2217 has one
   * SET-CONTROL per line; we send them back to back, DTR first, and only then
   * wait for the answers, so the in-between state lasts microseconds rather than
   * a network round trip (which could outlast the board's EN RC delay and boot
   * it with IO0 high, rom-protocol.md §4.1, §12.2).
   */
  async setSignals({ dataTerminalReady, requestToSend, break: breakSignal } = {}) {
    this._requireOpen("setSignals");
    const changes = [];
    if (dataTerminalReady !== undefined) changes.push(dataTerminalReady ? CONTROL.dtrOn : CONTROL.dtrOff);
    if (requestToSend !== undefined) changes.push(requestToSend ? CONTROL.rtsOn : CONTROL.rtsOff);
    if (breakSignal !== undefined) changes.push(breakSignal ? CONTROL.breakOn : CONTROL.breakOff);
    await Promise.all(changes.map((value) => this._control(value)));
  }

  async getSignals() {
    this._requireOpen("getSignals");
    const m = this.modemState;
    return { dataCarrierDetect: !!(m & 0x80), ringIndicator: !!(m & 0x40),
             dataSetReady: !!(m & 0x20), clearToSend: !!(m & 0x10) };
  }

  async setBaudRate(baudRate) {
    this._requireOpen("setBaudRate");
    await this._subnegotiate(SET_BAUDRATE, u32be(baudRate));
    this.baudRate = baudRate;
  }

  /** Asks the server to drop what it holds for us (1 = its receive side, 2 = transmit, 3 = both). */
  async purge(which = 3) {
    this._requireOpen("purge");
    await this._subnegotiate(PURGE_DATA, [which]);
  }

  async close() {
    if (this.state !== "opened") throw new DOMException("The port is already closed.", "InvalidStateError");
    // Like Web Serial: cancelling/aborting a locked stream rejects, so a
    // caller that still holds a reader learns it here.
    if (this._readable) await this._readable.cancel();
    if (this._writable) await this._writable.abort();
    this.state = "closing";
    await this._disconnect();
    this.state = "closed";
  }

  // ---- TCP and telnet -------------------------------------------------

  _connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Rfc2217Error(`no TCP connection to ${this.host}:${this.port} within ` +
          `${this.connectTimeoutMs} ms: is the RFC 2217 server (espsim) running and listening there?`));
      }, this.connectTimeoutMs);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new Rfc2217Error(`cannot connect to ${this.host}:${this.port}: ${error.message}`));
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.removeAllListeners("error");
        this._attach(socket);
        resolve();
      });
    });
  }

  _attach(socket) {
    this.socket = socket;
    const decoder = new TelnetDecoder(
      (data) => this._received(data),
      (verb, option) => this._onTelnetCommand(verb, option),
      (payload) => this._onSubnegotiation(payload));
    socket.on("data", (chunk) => decoder.push(chunk));
    socket.on("error", (error) => this._teardown(new Rfc2217Error(`connection to ${this.host}:${this.port} failed: ${error.message}`)));
    socket.on("close", () => this._teardown(new Rfc2217Error(`the server at ${this.host}:${this.port} closed the connection`)));
  }

  _disconnect() {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => { socket.destroy(); }, 1000);
      socket.once("close", () => { clearTimeout(timer); resolve(); });
      socket.end();
    });
  }

  _teardown(error) {
    for (const [, list] of this.waiters) for (const w of list) { clearTimeout(w.timer); w.reject(error); }
    this.waiters.clear();
    if (this._readController) {
      try { this._readController.error(error); } catch { /* already closed */ }
    }
    this._readable = null;
    this._readController = null;
    this._writable = null;
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    this.socket = null;
    if (this.state === "opened") this.state = "closed";
  }

  _send(bytes) {
    if (!this.socket || this.socket.destroyed)
      return Promise.reject(new Rfc2217Error(`not connected to ${this.host}:${this.port}`));
    return new Promise((resolve, reject) => {
      this.socket.write(Buffer.from(bytes), (error) => (error ? reject(error) : resolve()));
    });
  }

  _event(kind, detail) {
    if (this.onEvent) this.onEvent(kind, detail);
  }

  async _negotiate() {
    // BINARY both ways so 0x0D/0x00 pass untouched; SGA as pySerial does; and
    // COM-PORT-OPTION, without which there is no baud or DTR/RTS.
    const agreed = this._waitFor("agree", "the COM-PORT-OPTION negotiation");
    await this._send([IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY, IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA,
                      IAC, WILL, OPT_COM_PORT]);
    if (this.agreed.has(`do:${OPT_COM_PORT}`) || this.agreed.has(`will:${OPT_COM_PORT}`)) this._settle("agree", null);
    await agreed;
  }

  _onTelnetCommand(verb, option) {
    this._event("telnet", { verb, option });
    const wanted = option === OPT_BINARY || option === OPT_SGA || option === OPT_COM_PORT;
    if (verb === DO || verb === WILL) {
      const key = `${verb === DO ? "do" : "will"}:${option}`;
      if (!this.agreed.has(key)) {
        this.agreed.add(key);
        // Answer only requests we did not make ourselves (those are answers).
        const ours = (verb === DO && [OPT_BINARY, OPT_SGA, OPT_COM_PORT].includes(option)) ||
                     (verb === WILL && [OPT_BINARY, OPT_SGA].includes(option));
        if (!ours) this._send([IAC, wanted ? (verb === DO ? WILL : DO) : (verb === DO ? WONT : DONT), option]).catch(() => {});
      }
      if (option === OPT_COM_PORT) this._settle("agree", null);
    } else if (option === OPT_COM_PORT && verb === DONT) {
      this._fail("agree", new Rfc2217Error(`${this.host}:${this.port} refused COM-PORT-OPTION: ` +
        "the server is a plain telnet/TCP server, not RFC 2217"));
    }
  }

  _onSubnegotiation(payload) {
    if (payload[0] !== OPT_COM_PORT || payload.length < 2) return;
    const code = payload[1];
    const value = payload.subarray(2);
    this._event("reply", { code, value: Array.from(value) });
    if (code === SERVER_REPLY + NOTIFY_MODEMSTATE) { this.modemState = value[0] ?? 0; return; }
    if (code === SERVER_REPLY + NOTIFY_LINESTATE) { this.lineState = value[0] ?? 0; return; }
    this._settle(`reply:${code - SERVER_REPLY}`, value);
  }

  // ---- acknowledged COM-PORT-OPTION commands ---------------------------

  async _subnegotiate(code, value) {
    const names = { 1: "SET-BAUDRATE", 2: "SET-DATASIZE", 3: "SET-PARITY", 4: "SET-STOPSIZE",
                    5: "SET-CONTROL", 12: "PURGE-DATA" };
    const reply = this._waitFor(`reply:${code}`, names[code] ?? `subcommand ${code}`);
    const frame = [IAC, SB, OPT_COM_PORT, code, ...escapeIac(Uint8Array.from(value)), IAC, SE];
    this._event("send", { code, value: Array.from(value) });
    await this._send(frame);
    const answer = await reply;
    if (code === SET_BAUDRATE) {
      const asked = Buffer.from(value).readUInt32BE(0);
      const got = answer.length >= 4 ? Buffer.from(answer).readUInt32BE(0) : -1;
      if (got !== asked)
        throw new Rfc2217Error(`${this.host}:${this.port} answered SET-BAUDRATE ${asked} with ${got}`);
    }
    return answer;
  }

  async _control(value) {
    const answer = await this._subnegotiate(SET_CONTROL, [value]);
    // RFC 2217: the server answers with the state it now has; anything else
    // means the line did not move.
    if (answer[0] !== value)
      throw new Rfc2217Error(`${this.host}:${this.port} answered SET-CONTROL ${value} with ${answer[0]}`);
  }

  _waitFor(key, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._remove(key, entry);
        reject(new Rfc2217Error(`${this.host}:${this.port} did not answer ${what} within ` +
          `${this.ackTimeoutMs} ms: is it an RFC 2217 server, and is it alive?`));
      }, this.ackTimeoutMs);
      const entry = { resolve, reject, timer };
      if (!this.waiters.has(key)) this.waiters.set(key, []);
      this.waiters.get(key).push(entry);
    });
  }

  _remove(key, entry) {
    const list = this.waiters.get(key);
    if (!list) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }

  _settle(key, value) {
    const list = this.waiters.get(key);
    if (!list || !list.length) return;
    const entry = list.shift(); // replies come back in request order
    clearTimeout(entry.timer);
    entry.resolve(value);
  }

  _fail(key, error) {
    const list = this.waiters.get(key);
    if (!list) return;
    for (const entry of list.splice(0)) { clearTimeout(entry.timer); entry.reject(error); }
  }

  // ---- data streams ---------------------------------------------------

  _received(data) {
    if (this._readController) this._readController.enqueue(data);
    else this.pendingRx.push(data);
  }

  _makeReadable() {
    return new ReadableStream({
      start: (controller) => {
        this._readController = controller;
        for (const chunk of this.pendingRx.splice(0)) controller.enqueue(chunk);
      },
      cancel: () => {
        // Web Serial discards the receive buffers on cancel.
        this._readController = null;
        this._readable = null;
        this.pendingRx = [];
      },
    });
  }

  _makeWritable() {
    return new WritableStream({
      write: (chunk) => this._send(escapeIac(chunk)),
      close: () => { this._writable = null; },
      abort: () => { this._writable = null; },
    });
  }

  _requireOpen(what) {
    if (this.state !== "opened")
      throw new DOMException(`${what}: the port is not open.`, "InvalidStateError");
  }
}
