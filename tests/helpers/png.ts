/**
 * A tiny rasteriser for the QR SVGs of `src/oidc/qr.ts`, to PNG, so an independent decoder
 * (zbarimg) can read what a browser would draw. It reads the SVG itself (the `viewBox` and the
 * `M x y h n v1 h-n z` runs of its one path), never the encoder's module list, so a mistake in
 * the SVG writer shows up as an unreadable image.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Rasterise a QR SVG at `scale` pixels per unit into an 8-bit greyscale PNG. */
export async function qrSvgToPng(svg: string, scale = 4): Promise<Uint8Array> {
  const vb = svg.match(/viewBox="0 0 (\d+) (\d+)"/);
  if (vb === null) throw new Error("no viewBox");
  const units = Number(vb[1]);
  const size = units * scale;
  const px = new Uint8Array(size * size).fill(255);
  const d = svg.match(/<path[^>]* d="([^"]*)"/)?.[1] ?? "";
  if (!/^(M\d+ \d+h\d+v1h-\d+z)*$/.test(d)) throw new Error("unexpected path commands");
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, len] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let dy = 0; dy < scale; dy++) {
      const row = (y * scale + dy) * size;
      px.fill(0, row + x * scale, row + (x + len) * scale);
    }
  }
  const raw = new Uint8Array(size * (size + 1));
  for (let r = 0; r < size; r++) {
    raw[r * (size + 1)] = 0; // filter type None
    raw.set(px.subarray(r * size, (r + 1) * size), r * (size + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, size);
  v.setUint32(4, size);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter method, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", await zlib(raw)),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
