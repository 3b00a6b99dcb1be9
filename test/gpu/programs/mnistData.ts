// Synthetic stand-ins for tfjs-examples/mnist/data.js's MnistData: small one-channel images, ten
// classes, each a fixed random stroke pattern plus noise, labels one-hot (as getTrainData gives).
import { gaussian, seededRandom, type Tf } from './support.js';

export interface Digits {
  xs: Tf;
  labels: Tf;
}

export function syntheticDigits(tf: Tf, size: number, count: number, seed: number): Digits {
  const patterns = seededRandom(1234);
  const prototypes = Array.from({ length: 10 }, () => Array.from({ length: size * size }, () => (patterns() < 0.3 ? 1 : 0)));
  const random = seededRandom(seed);
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels.push(label);
    for (const p of prototypes[label]!) pixels.push(Math.min(1, Math.max(0, p + 0.2 * gaussian(random))));
  }
  return { xs: tf.tensor4d(pixels, [count, size, size, 1]), labels: tf.oneHot(tf.tensor1d(labels, 'int32'), 10) };
}
