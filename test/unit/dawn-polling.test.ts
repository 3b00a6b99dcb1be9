// Dawn's Node binding re-queues its event processing with setImmediate (a busy loop while a GPU promise is
// pending); on a software adapter weft sends those callbacks, and only those, through a 1 ms timer.
import { afterEach, expect, test, vi } from 'vitest';
import { throttleDawnPolling } from '../../src/node/dawnPolling.js';

afterEach(() => vi.restoreAllMocks());

test('a nameless native callback (what the binding queues) goes through setTimeout; JS and bound callbacks stay immediate', async () => {
  throttleDawnPolling();
  throttleDawnPolling(); // twice is once
  const timeout = vi.spyOn(globalThis, 'setTimeout');
  // Function.prototype is a native function without a name, like the binding's Napi callback.
  setImmediate(Function.prototype as () => void);
  expect(timeout).toHaveBeenCalledTimes(1);
  expect(timeout.mock.calls[0]![0]).toBe(Function.prototype);

  const order: string[] = [];
  const ran = new Promise<void>((resolve) => {
    setImmediate((tag: string) => {
      order.push(tag);
      resolve();
    }, 'js');
  });
  setImmediate(function named() {}.bind(null));
  await ran;
  expect(order).toEqual(['js']);
  expect(timeout).toHaveBeenCalledTimes(1);
});
