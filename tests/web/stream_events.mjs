// web-ui/stream.js without a browser: a stand-in EventSource (an EventTarget
// whose onopen/onerror are event handlers, as in a browser) and a stand-in
// document. Proves the page tells jigd's own `event: error` (a slot's
// failure, docs/api.md) from the stream's loss: EventSource hands both to
// onerror, and taking the first for the second showed "connection lost"
// for good on the first failed board (the stream was fine; no reconnect
// ever came to clear the banner).
//
// usage: node stream_events.mjs
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

class FakeEventSource extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static all = [];

  constructor(url) {
    super();
    this.url = url;
    this.readyState = FakeEventSource.CONNECTING;
    this.handlers = {};
    FakeEventSource.all.push(this);
  }

  handler(type, fn) {
    if (this.handlers[type]) this.removeEventListener(type, this.handlers[type]);
    this.handlers[type] = fn;
    if (fn) this.addEventListener(type, fn);
  }

  set onopen(fn) { this.handler("open", fn); }
  set onerror(fn) { this.handler("error", fn); }

  open() {
    this.readyState = FakeEventSource.OPEN;
    this.dispatchEvent(new Event("open"));
  }

  /** One SSE message as a browser dispatches it: a MessageEvent named by
   *  its `event:` line. */
  message(type, id, data) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) }));
  }

  /** The connection is lost: the browser reconnects (CONNECTING) or gives
   *  up (CLOSED), and says so with a plain Event named "error". */
  lose(state) {
    this.readyState = state;
    this.dispatchEvent(new Event("error"));
  }
}

globalThis.EventSource = FakeEventSource;
globalThis.location = { search: "" };
globalThis.document = { body: { dataset: {} } };

const { openStream } = await import(pathToFileURL(path.join(here, "../../web-ui/stream.js")).href);

const seen = [];
let ups = 0;
let downs = 0;
openStream({
  onEvent: (kind, data) => seen.push([kind, data]),
  onUp: () => ups++,
  onDown: () => downs++,
});
const dataset = globalThis.document.body.dataset;
const es = FakeEventSource.all[0];
assert.equal(es.url, "/api/v1/events");
assert.equal(dataset.stream, "connecting");
es.open();
assert.equal(dataset.stream, "open");
assert.equal(ups, 1);

// A slot's progress, then its failure: jigd's `event: error`.
es.message("progress", 41, { kind: "progress", slot: 3 });
es.message("error", 42, { kind: "error", slot: 3, state: "failed",
                          error: { phase: "connect", cause: "no answer", advice: "check EN" } });
assert.deepEqual(seen.map(([kind]) => kind), ["progress", "error"]);
assert.equal(seen[1][1].error.cause, "no answer");
assert.equal(downs, 0, "a slot's `event: error` was taken for a lost connection");
assert.equal(dataset.stream, "open", "a slot's `event: error` marked the stream as lost");

// A real loss the browser retries by itself: said, and no second source.
es.lose(FakeEventSource.CONNECTING);
assert.equal(downs, 1);
assert.equal(dataset.stream, "connecting");
assert.equal(FakeEventSource.all.length, 1);
es.open();
assert.equal(dataset.stream, "open");
assert.equal(ups, 2);

// The browser gives up (an answer that is not a stream): the page opens a
// new source itself, resuming after the last id it saw.
es.lose(FakeEventSource.CLOSED);
assert.equal(downs, 2);
assert.equal(dataset.stream, "closed");
await new Promise((r) => setTimeout(r, 2200));
assert.equal(FakeEventSource.all.length, 2);
assert.equal(FakeEventSource.all[1].url, "/api/v1/events?last_event_id=42");
console.log("ok: stream.js tells a slot's `event: error` from a lost stream; reconnects resume at 42");
