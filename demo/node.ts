// The demo in Node (dist/demo.node.js, `npm start -- --node`): demo/app.ts's runDemo and
// renderReport with weft's Node entry (Dawn) and a Node host: Fashion-MNIST from Debian's files,
// sample images as PNGs encoded here (no canvas).
import { deflateSync } from 'node:zlib';
import * as weft from '../src/node/index.js';
import type { DemoHost } from './app.js';

export { runDemo, renderReport, normalizeOptions, DEFAULT_OPTIONS, type DemoEvent, type DemoResults } from './app.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** An 8-bit grayscale PNG (colour type 0), rows unfiltered. */
export function grayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  const raw = Buffer.alloc((width + 1) * height); // each row: filter byte 0, then the row
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Where the demo runs in Node: the dataset folder instead of a URL. */
export function nodeHost(datasetDir?: string): DemoHost {
  return {
    loadFashionMnist: ({ trainLimit }) => weft.datasets.loadFashionMnist({ ...(datasetDir ? { dir: datasetDir } : {}), ...(trainLimit ? { trainLimit } : {}) }),
    grayPngDataUrl: (pixels) => `data:image/png;base64,${grayPng(pixels, 28, 28).toString('base64')}`,
    userAgent: `Node ${process.version}, Dawn (webgpu package)`,
  };
}

export const { getGpu, resetGpu } = weft;
