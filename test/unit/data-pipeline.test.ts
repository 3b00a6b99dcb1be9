// weft.data without a GPU: sources, transformations and batching in tf.data's shape.
import { expect, test } from 'vitest';
import * as data from '../../src/api/dataset/index.js';
import { Tensor } from '../../src/api/tensor.js';

test('array → map → batch stacks { xs, ys } leaves along a new first axis; the last batch may be smaller', async () => {
  const items = Array.from({ length: 5 }, (_, i) => ({ xs: [i, i + 0.5], ys: i % 2 }));
  const batches = (await data.array(items).batch(2).toArray()) as { xs: Tensor; ys: Tensor }[];
  expect(batches.map((b) => b.xs.shape)).toEqual([
    [2, 2],
    [2, 2],
    [1, 2],
  ]);
  expect(Array.from(batches[1]!.xs.dataSync())).toEqual([2, 2.5, 3, 3.5]);
  expect(Array.from(batches[2]!.ys.dataSync())).toEqual([0]);
  expect((await data.array(items).batch(2, false).toArray()).length).toBe(2);
});

test('batch keeps tensor dtypes and refuses mixed shapes, naming the element', async () => {
  const t = (v: number[]) => new Tensor(Int32Array.from(v), [v.length], 'int32');
  const [b] = (await data
    .array([t([1, 2]), t([3, 4])])
    .batch(2)
    .toArray()) as Tensor[];
  expect(b!.dtype).toBe('int32');
  expect(b!.shape).toEqual([2, 2]);
  await expect(
    data
      .array([[1, 2], [3]])
      .batch(2)
      .toArray(),
  ).rejects.toThrow(/element 1 has shape \[1\], but element 0's has \[2\]/);
});

test('shuffle with a seed is repeatable and a permutation; reshuffled each iteration', async () => {
  const ds = data.array(Array.from({ length: 20 }, (_, i) => i)).shuffle(8, 42);
  const first = (await ds.toArray()) as number[];
  const second = (await ds.toArray()) as number[];
  expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(first).not.toEqual(second);
  expect(
    await data
      .array(Array.from({ length: 20 }, (_, i) => i))
      .shuffle(8, 42)
      .toArray(),
  ).toEqual(first);
});

test('generator (sync and async), repeat, skip, take, zip', async () => {
  const sync = data.generator(function* () {
    yield 1;
    yield 2;
  });
  const asyncGen = data.generator(async function* () {
    yield 'a';
    yield 'b';
    yield 'c';
  });
  expect(await sync.repeat(3).skip(1).take(4).toArray()).toEqual([2, 1, 2, 1]);
  expect(await data.zip([sync, asyncGen]).toArray()).toEqual([
    [1, 'a'],
    [2, 'b'],
  ]);
  expect(await data.zip({ n: sync, s: asyncGen }).toArray()).toEqual([
    { n: 1, s: 'a' },
    { n: 2, s: 'b' },
  ]);
  expect(await data.array([]).repeat().toArray()).toEqual([]);
});
