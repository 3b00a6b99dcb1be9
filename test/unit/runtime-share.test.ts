// test/gpu/runtimeShare.ts: the split of a case list between the two GPU projects must run every
// case exactly once, give each runtime a share of every list of two or more (Chromium one in twelve), and
// not depend on order.
import { describe, expect, test } from 'vitest';
import { shareFor } from '../gpu/runtimeShare.js';

const labels = (n: number, prefix = 'case') => Array.from({ length: n }, (_, i) => `${prefix} ${i}×${(i * 7) % 5}`);

describe('shareFor', () => {
  test('the two shares are disjoint, cover the list, keep its order; Chromium gets one in twelve', () => {
    for (const n of [2, 3, 7, 40, 231]) {
      const items = labels(n);
      const chromium = shareFor(items, (l) => l, 'chromium');
      const node = shareFor(items, (l) => l, 'node');
      expect(chromium.length, `n=${n}`).toBeGreaterThan(0);
      expect(node.length, `n=${n}`).toBeGreaterThan(0);
      expect(chromium.length, `n=${n}`).toBe(Math.floor((n + 10) / 12));
      expect(new Set([...chromium, ...node]).size).toBe(n);
      expect(chromium.filter((c) => node.includes(c))).toEqual([]);
      expect(chromium).toEqual(items.filter((l) => chromium.includes(l)));
    }
  });

  test('a case lands in the same runtime whatever the order of the list', () => {
    const items = labels(50);
    const reversed = [...items].reverse();
    expect(new Set(shareFor(reversed, (l) => l, 'node'))).toEqual(new Set(shareFor(items, (l) => l, 'node')));
  });

  test('not a fixed alternation: neighbours in the list can land together', () => {
    const items = labels(40);
    const chromium = new Set(shareFor(items, (l) => l, 'chromium'));
    const together = items.slice(1).filter((l, i) => chromium.has(l) === chromium.has(items[i]!)).length;
    expect(together).toBeGreaterThan(0);
  });

  test('a list of one runs in both runtimes', () => {
    expect(shareFor(['only'], (l) => l, 'chromium')).toEqual(['only']);
    expect(shareFor(['only'], (l) => l, 'node')).toEqual(['only']);
  });

  test('two cases with one label are refused (the label picks the runtime)', () => {
    expect(() => shareFor(['a', 'b', 'a'], (l) => l, 'node')).toThrow(/two cases are labelled "a"/);
  });
});
