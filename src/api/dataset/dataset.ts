// weft.data's Dataset, in TensorFlow.js's shape (tf.data): a recipe for an asynchronous stream of
// elements, started afresh by each iterator() (each epoch of fitDataset), with the chainable
// transformations batch, shuffle, map, take, skip and repeat.

import { fail } from '../errors.js';
import { createRandom, nextSeed } from '../random.js';
import { stackElements } from './stack.js';

export type ElementStream<T> = AsyncIterator<T, unknown, undefined>;

export class Dataset<T = unknown> {
  /** @param start makes a fresh stream of the elements (called once per iteration). */
  constructor(private readonly start: () => ElementStream<T> | Promise<ElementStream<T>>) {}

  /** A new stream over the elements, from the first. */
  async iterator(): Promise<ElementStream<T>> {
    return this.start();
  }

  /** Groups `batchSize` consecutive elements into one, stacking their tensors (the last group may be smaller). */
  batch(batchSize: number, smallLastBatch = true): Dataset<unknown> {
    if (!Number.isInteger(batchSize) || batchSize <= 0) fail(`batch: batchSize must be a positive integer, got ${batchSize}`);
    return this.derive(async function* (source) {
      let group: T[] = [];
      for await (const element of source) {
        group.push(element);
        if (group.length === batchSize) {
          yield stackElements(group, 'the element');
          group = [];
        }
      }
      if (group.length > 0 && smallLastBatch) yield stackElements(group, 'the element');
    });
  }

  /** Elements in a random order drawn from a window of `bufferSize` (reshuffled each iteration; `seed` makes it repeatable). */
  shuffle(bufferSize: number, seed?: number, reshuffleEachIteration = true): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize <= 0) fail(`shuffle: bufferSize must be a positive integer, got ${bufferSize}`);
    const base = seed ?? nextSeed();
    let iteration = 0;
    return this.derive(async function* (source) {
      const random = createRandom(reshuffleEachIteration ? base + iteration++ : base);
      const buffer: T[] = [];
      for await (const element of source) {
        if (buffer.length < bufferSize) {
          buffer.push(element);
          continue;
        }
        const i = Math.floor(random() * bufferSize);
        yield buffer[i]!;
        buffer[i] = element;
      }
      while (buffer.length > 0) {
        const i = Math.floor(random() * buffer.length);
        yield buffer[i]!;
        buffer[i] = buffer[buffer.length - 1]!;
        buffer.pop();
      }
    });
  }

  map<U>(transform: (element: T) => U | Promise<U>): Dataset<U> {
    if (typeof transform !== 'function') fail('map: pass a function of one element');
    return this.derive(async function* (source) {
      for await (const element of source) yield await transform(element);
    });
  }

  /** The first `count` elements (all when count < 0). */
  take(count: number): Dataset<T> {
    return this.derive(async function* (source) {
      if (count < 0) {
        yield* source;
        return;
      }
      let n = 0;
      if (n >= count) return;
      for await (const element of source) {
        yield element;
        if (++n >= count) return;
      }
    });
  }

  skip(count: number): Dataset<T> {
    return this.derive(async function* (source) {
      let n = 0;
      for await (const element of source) if (n++ >= count) yield element;
    });
  }

  /** The elements `count` times over (forever when left out), each pass a fresh iteration. */
  repeat(count?: number): Dataset<T> {
    const self = this;
    return new Dataset<T>(() =>
      (async function* () {
        for (let pass = 0; count === undefined || count < 0 || pass < count; pass++) {
          let any = false;
          for await (const element of iterable(await self.iterator())) {
            any = true;
            yield element;
          }
          if (!any) return; // an empty dataset repeated is empty, not an endless loop
        }
      })(),
    );
  }

  async forEachAsync(f: (element: T) => void | Promise<void>): Promise<void> {
    for await (const element of iterable(await this.iterator())) await f(element);
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    await this.forEachAsync((e) => void out.push(e));
    return out;
  }

  private derive<U>(step: (source: AsyncIterable<T>) => AsyncGenerator<U>): Dataset<U> {
    return new Dataset<U>(async () => step(iterable(await this.iterator())));
  }
}

/** An iterator as something `for await` takes. */
export function iterable<T>(iterator: ElementStream<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => iterator };
}
