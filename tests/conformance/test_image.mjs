// A deterministic 1 MiB "firmware-like" image: stretches of noise (which do
// not compress and carry every byte value, SLIP's 0xC0/0xDB and telnet's 0xFF
// included), repeated text, and 0xFF padding, so a compressed write is about a
// quarter of the raw size and still exercises every escaping path.

export function makeTestImage(size = 1 << 20, seed = 0x5eed) {
  const image = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: reproducible from the seed, good enough to defeat deflate
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const text = new TextEncoder().encode("jigd conformance image: esptool-js writes this, espsim must keep it. ");
  for (let off = 0; off < size; off += 4096) {
    const kind = next() % 4;
    const end = Math.min(off + 4096, size);
    for (let i = off; i < end; i++) {
      if (kind === 0) image[i] = next() & 0xff;
      else if (kind <= 2) image[i] = text[(i - off) % text.length];
      else image[i] = 0xff;
    }
  }
  return image;
}
