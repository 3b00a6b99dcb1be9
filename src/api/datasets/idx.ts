// IDX file format (the MNIST / Fashion-MNIST container), already decompressed.
//
//   bytes 0-1  0x00 0x00
//   byte  2    element type (0x08 = unsigned byte; the only type MNIST-style files use)
//   byte  3    number of dimensions d
//   then d big-endian uint32 sizes, then the elements, row-major.
//
// Pure: no I/O, works in node and in the browser.

export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28] for an image file, [60000] for a label file. */
  dims: number[];
  /** The elements, row-major. A view into the input buffer (no copy). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/**
 * Parses an uncompressed IDX buffer of unsigned bytes.
 * `name` only labels error messages (e.g. 'train-images-idx3-ubyte').
 * Throws on a bad magic number, an unsupported element type, or a size that does not match the header.
 */
export function parseIdx(buffer: ArrayBuffer | Uint8Array, name = 'IDX data'): IdxArray {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new Error(`${name}: this is gzip data; decompress it before parseIdx`);
  }
  if (bytes.length < 4) {
    throw new Error(`${name}: ${bytes.length} bytes is too short for an IDX header (needs at least 4)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${name}: bad IDX magic number (${magic}); expected 00 00 <type> <ndims>`);
  }
  const type = bytes[2]!;
  if (type !== 0x08) {
    const typeName = TYPE_NAMES[type] ?? 'unknown';
    throw new Error(`${name}: IDX element type 0x${type.toString(16).padStart(2, '0')} (${typeName}) is not supported; only 0x08 (unsigned byte)`);
  }
  const ndims = bytes[3]!;
  if (ndims === 0) throw new Error(`${name}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${name}: truncated IDX header: ${ndims} dimensions need ${headerBytes} header bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const dataBytes = bytes.length - headerBytes;
  if (dataBytes !== count) {
    const shape = `[${dims.join(', ')}]`;
    const what = dataBytes < count ? 'truncated' : 'has trailing bytes';
    throw new Error(`${name}: IDX data ${what}: shape ${shape} needs ${count} bytes after the ${headerBytes}-byte header, got ${dataBytes}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Builds an IDX buffer of unsigned bytes (the inverse of parseIdx; used by tests and tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`encodeIdx: shape [${dims.join(', ')}] needs ${count} bytes, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
