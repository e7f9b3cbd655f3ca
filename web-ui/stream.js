// The live event stream with its reconnection. EventSource retries by
// itself after a dropped connection (sending Last-Event-ID), but gives up
// for good when an answer is not a stream (a 503, a proxy's error page):
// then a new one is opened after a pause, resuming from the last id seen,
// so no event is lost while the ring still holds it.
import { eventsUrl } from "./api.js";

const KINDS = ["station", "slot", "progress", "result", "error", "bundle", "resync", "overflow"];
const REOPEN_MS = 2000;

/** Calls onEvent(kind, data) for each event, onUp() when the stream is
 *  (re)opened and onDown() when it drops. */
export function openStream({ onEvent, onUp, onDown }) {
  let lastId = 0;
  let source = null;

  function open() {
    source = new EventSource(eventsUrl(lastId));
    document.body.dataset.stream = "connecting";
    source.onopen = () => {
      document.body.dataset.stream = "open";
      onUp();
    };
    source.onerror = (e) => {
      // jigd's own `event: error` (a slot's failure) is dispatched as a
      // MessageEvent named "error", and so reaches onerror too: that is
      // news for the tiles (the listener below), not a lost stream.
      if (e instanceof MessageEvent) return;
      // Said on the page, so a test (or a person with devtools) can tell.
      document.body.dataset.stream = source.readyState === EventSource.CLOSED ? "closed" : "connecting";
      onDown();
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(open, REOPEN_MS);
      }
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (e) => {
        if (e.lastEventId) lastId = Number(e.lastEventId) || lastId;
        let data = {};
        try { data = JSON.parse(e.data); } catch { /* shown as it is */ }
        onEvent(kind, data);
      });
    }
  }
  open();
}
