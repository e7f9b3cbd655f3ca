// jigd's event stream (Server-Sent Events, docs/api.md) as the bench's Node
// clients read it: fed the response's text chunks, it calls
// onBlock({kind, id, data}) for each complete event (kind and id null when
// the event has none; data the `data:` lines joined by newlines, "" for a
// comment such as the heartbeat). One reader for the soak and the station
// bench, so they cannot read the stream two ways.
export function sseReader(onBlock) {
  let buf = "";
  return (chunk) => {
    buf += chunk;
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let kind = null, id = null;
      const data = [];
      for (const l of block.split("\n")) {
        if (l.startsWith("event: ")) kind = l.slice(7);
        else if (l.startsWith("data: ")) data.push(l.slice(6));
        else if (l.startsWith("id: ")) id = Number(l.slice(4));
      }
      onBlock({ kind, id, data: data.join("\n") });
    }
  };
}
