// Where weft.data's datasets come from, as tf.data: a generator function (sync or async, called
// afresh for each iteration), an array of elements, or several datasets zipped together.

import { fail } from '../errors.js';
import { Dataset, type ElementStream } from './dataset.js';

/** Elements from a generator function (`function*` or `async function*`), called again for each iteration. */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T> | Promise<Iterator<T> | AsyncIterator<T>>): Dataset<T> {
  if (typeof make !== 'function') fail('weft.data.generator: pass a generator function, e.g. function* () { yield { xs, ys }; }');
  return new Dataset<T>(async () => {
    const it = await make();
    if (!it || typeof (it as Iterator<T>).next !== 'function')
      fail('weft.data.generator: the function must return an iterator (use function* or async function*)');
    return {
      next: async () => (it as AsyncIterator<T>).next(),
      return: async (value?: unknown) => ((it as AsyncIterator<T>).return ? (it as AsyncIterator<T>).return!(value) : { done: true, value }),
    } as ElementStream<T>;
  });
}

/** The items of an array, in order. */
export function array<T>(items: T[]): Dataset<T> {
  if (!Array.isArray(items)) fail('weft.data.array: pass an array of elements');
  return new Dataset<T>(() =>
    (async function* () {
      yield* items;
    })(),
  );
}

/** Elements of several datasets side by side (an array or object of them), until the shortest ends. */
export function zip(datasets: Dataset[] | Record<string, Dataset>): Dataset<unknown> {
  const entries = Array.isArray(datasets) ? datasets.map((d, i) => [String(i), d] as const) : Object.entries(datasets ?? {});
  if (entries.length === 0 || !entries.every(([, d]) => d instanceof Dataset)) fail('weft.data.zip: pass an array or an object of datasets');
  return new Dataset<unknown>(() =>
    (async function* () {
      const streams = await Promise.all(entries.map(([, d]) => d.iterator()));
      for (;;) {
        const results = await Promise.all(streams.map((s) => s.next()));
        if (results.some((r) => r.done)) {
          await Promise.all(streams.map((s) => s.return?.()));
          return;
        }
        const values = results.map((r) => r.value);
        yield Array.isArray(datasets) ? values : Object.fromEntries(entries.map(([k], i) => [k, values[i]]));
      }
    })(),
  );
}
