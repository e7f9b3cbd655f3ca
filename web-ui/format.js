// Numbers as an operator reads them at a glance.

export function bytes(n) {
  if (!Number.isFinite(n)) return "–";
  if (n >= 1048576) return `${(n / 1048576).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

export function rate(bytesPerSecond) {
  return bytesPerSecond > 0 ? `${bytes(bytesPerSecond)}/s` : "";
}

/** Time left at the current rate, or "" when it cannot be told. */
export function timeLeft(done, total, bytesPerSecond) {
  if (!(bytesPerSecond > 0) || !(total > done)) return "";
  const s = Math.ceil((total - done) / bytesPerSecond);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s left` : `${s} s left`;
}

export function clock(timeMs) {
  const d = timeMs ? new Date(timeMs) : new Date();
  return d.toLocaleTimeString([], { hour12: false });
}
