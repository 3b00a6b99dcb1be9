// Arguments the convolution and pooling layers share, checked as TensorFlow.js takes them (a number
// or a pair; padding 'valid' | 'same'; channels last only), with errors that name the layer and the fix.

import type { Padding } from '../../ir/ops/window.js';
import { windowGeometry } from '../../ir/ops/window.js';
import { fail } from '../errors.js';
import { shapeToString, type Shape } from './layer.js';

export type { Padding };

/** A number or a pair of positive integers, as [height, width]. */
export function pairOf(value: number | number[] | undefined, fallback: [number, number], what: string, where: string): [number, number] {
  const pair = value === undefined ? fallback : typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d > 0))
    fail(`${where}: ${what} must be a positive integer or a pair of them [height, width], got ${JSON.stringify(value)}`);
  return [pair[0]!, pair[1]!];
}

export function paddingOf(value: string | undefined, where: string): Padding {
  const padding = value ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') fail(`${where}: padding must be 'valid' or 'same', got ${JSON.stringify(value)}`);
  return padding;
}

export function checkChannelsLast(dataFormat: string | undefined, where: string): void {
  if (dataFormat !== undefined && dataFormat !== 'channelsLast' && dataFormat !== 'channels_last')
    fail(
      `${where}: only dataFormat 'channelsLast' ([batch, height, width, channels]) is supported, got ${JSON.stringify(dataFormat)}; transpose the images to channels last`,
    );
}

/** The input must be images [batch, h, w, c]. */
export function checkImage(shape: Shape, where: string): [number, number, number] {
  if (shape.length !== 4)
    fail(
      `${where}: expects images [batch, height, width, channels], got ${shapeToString(shape)}; give weft.input a shape [height, width, channels] (a reshape layer turns flat rows into images)`,
    );
  return shape.slice(1) as [number, number, number];
}

/** The output [h, w] of a window over an image; an error naming the layer when it does not fit. */
export function windowOutput(
  size: [number, number],
  strides: [number, number],
  padding: Padding,
  image: [number, number, number],
  where: string,
  what: string,
): [number, number] {
  const g = windowGeometry({ size, strides, padding }, [1, ...image]);
  if (!g)
    fail(`${where}: a ${size.join('×')} ${what} with padding 'valid' does not fit its ${image[0]}×${image[1]} input; use padding: 'same' or a smaller ${what}`);
  return [g.outH, g.outW];
}
