// Sliding windows over the two spatial axes of channels-last [n, h, w, c] values: the geometry that
// convolutions and pooling share, with TensorFlow's padding rules ('same': out = ceil(in / stride),
// the padding split with the smaller half on top/left; 'valid': the window stays inside).

export type Padding = 'valid' | 'same';

/** A window (a convolution's kernel, a pooling window) as an op carries it. */
export interface Window2d {
  size: [height: number, width: number];
  strides: [height: number, width: number];
  padding: Padding;
}

/** Everything a kernel needs to walk a window over a batch of images. */
export interface WindowGeometry {
  batch: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

function outputExtent(input: number, size: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - size) / stride) + 1;
}

function padBefore(input: number, output: number, size: number, stride: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  return Math.floor(Math.max((output - 1) * stride + size - input, 0) / 2);
}

/** The geometry of `window` over an [n, h, w, c] shape; null when the window does not fit. */
export function windowGeometry(window: Window2d, shape: readonly number[]): WindowGeometry | null {
  const [batch, inH, inW] = shape as [number, number, number];
  const [kernelH, kernelW] = window.size;
  const [strideH, strideW] = window.strides;
  const outH = outputExtent(inH, kernelH, strideH, window.padding);
  const outW = outputExtent(inW, kernelW, strideW, window.padding);
  if (!(outH > 0 && outW > 0)) return null;
  return {
    batch,
    inH,
    inW,
    outH,
    outW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padTop: padBefore(inH, outH, kernelH, strideH, window.padding),
    padLeft: padBefore(inW, outW, kernelW, strideW, window.padding),
  };
}

export function describeWindow(w: Window2d): string {
  return `${w.size[0]}×${w.size[1]} stride ${w.strides[0]}×${w.strides[1]} ${w.padding}`;
}

export function validWindow(w: Window2d): boolean {
  return [...w.size, ...w.strides].every((d) => Number.isInteger(d) && d > 0) && (w.padding === 'valid' || w.padding === 'same');
}
