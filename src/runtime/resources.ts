// Buffers, writes, submits and readbacks, each counted in `counters`; live buffers and bytes in `live`.
import { counters, live } from './counters.js';
import { assertAlive, type Gpu } from './device.js';
import { WeftError } from './errors.js';

export interface BufferOptions {
  /** Bytes; rounded up to a multiple of 16 (so any buffer can be viewed as vec4 words). */
  size: number;
  usage: GPUBufferUsageFlags;
  label?: string;
}

export function createBuffer(gpu: Gpu, options: BufferOptions): GPUBuffer {
  assertAlive(gpu);
  const size = Math.max(16, Math.ceil(options.size / 16) * 16);
  const maxBufferSize = gpu.limits.maxBufferSize;
  if (maxBufferSize !== undefined && size > maxBufferSize) {
    throw new WeftError(`buffer ${options.label ?? ''} of ${size} bytes exceeds this adapter's maxBufferSize ${maxBufferSize}`);
  }
  counters.bufferCreations++;
  const buffer = gpu.device.createBuffer({ size, usage: options.usage, ...(options.label !== undefined ? { label: options.label } : {}) });
  live.numBuffers++;
  live.numBytes += size;
  // Counted out once, on the first destroy (destroying twice, or on a lost device, is harmless).
  const destroy = buffer.destroy.bind(buffer);
  let alive = true;
  buffer.destroy = () => {
    if (alive) {
      alive = false;
      live.numBuffers--;
      live.numBytes -= size;
    }
    destroy();
  };
  return buffer;
}

/** queue.writeBuffer; data whose byte length is not a multiple of 4 is zero-padded. */
export function writeBuffer(gpu: Gpu, buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer): void {
  assertAlive(gpu);
  let bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (offset % 4 !== 0) throw new WeftError(`writeBuffer offset ${offset} is not a multiple of 4`);
  if (bytes.byteLength % 4 !== 0) {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    bytes = padded;
  }
  counters.writes++;
  gpu.device.queue.writeBuffer(buffer, offset, bytes as Uint8Array<ArrayBuffer>, 0, bytes.byteLength);
}

export function submit(gpu: Gpu, commandBuffers: GPUCommandBuffer[]): void {
  assertAlive(gpu);
  counters.submits++;
  gpu.device.queue.submit(commandBuffers);
}

/**
 * Copies `size` bytes at `offset` of `buffer` (which needs COPY_SRC) into a staging buffer and maps
 * it. Offset and size are widened to multiples of 4 internally; exactly `size` bytes come back.
 */
export async function readBuffer(gpu: Gpu, buffer: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
  assertAlive(gpu);
  if (size === 0) return new ArrayBuffer(0);
  const start = Math.floor(offset / 4) * 4;
  const end = Math.ceil((offset + size) / 4) * 4;
  const staging = createBuffer(gpu, { size: end - start, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'weft readback' });
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'weft readback' });
    encoder.copyBufferToBuffer(buffer, start, staging, 0, end - start);
    submit(gpu, [encoder.finish()]);
    counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, end - start);
    } catch (e) {
      assertAlive(gpu);
      throw new WeftError(`reading back ${size} bytes failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    const out = staging.getMappedRange(0, end - start).slice(offset - start, offset - start + size);
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}
