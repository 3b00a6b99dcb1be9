// The bench's run order (bench/cases.ts planTasks): what issue 14's item 2 divides (the 1024³ matmul by the
// peak of the same repeat) runs back to back, not a whole shape's worth of products apart.
import { describe, expect, test } from 'vitest';
import { defaultOptions, planTasks } from '../../bench/cases.js';

describe('bench planTasks', () => {
  test("each repeat's peak runs right before its 1024³ products, weft's quadTiled first among them", () => {
    const tasks = planTasks(defaultOptions({ repeats: 2, kinds: ['peak', 'matmul'], libs: ['weft', 'tfjs-webgpu'] }));
    const peaks = tasks.flatMap((t, i) => (t.kind === 'peak' ? [i] : []));
    expect(peaks).toHaveLength(2);
    peaks.forEach((i, rep) => {
      expect(tasks[i]).toMatchObject({ kind: 'peak', rep });
      expect(tasks[i + 1]).toMatchObject({ kind: 'matmul', shape: '1024', lib: 'weft-quadTiled', rep });
    });
    // every shape still runs every library once per repeat
    const matmuls = tasks.filter((t) => t.kind === 'matmul');
    const shapes = new Set(matmuls.map((t) => (t.kind === 'matmul' ? t.shape : '')));
    expect(matmuls).toHaveLength(2 * shapes.size * 6);
  });

  test('without the 1024³ shape the peak runs before the first product; without matmuls it still runs', () => {
    const some = planTasks(defaultOptions({ repeats: 1, kinds: ['peak', 'matmul'], libs: ['weft'], matmulShapes: ['256'] }));
    expect(some.map((t) => t.kind)).toEqual(['peak', 'matmul', 'matmul', 'matmul', 'matmul', 'matmul']);
    const alone = planTasks(defaultOptions({ repeats: 1, kinds: ['peak'], libs: ['weft'] }));
    expect(alone).toEqual([{ kind: 'peak', seconds: expect.any(Number), rep: 0 }]);
  });
});
