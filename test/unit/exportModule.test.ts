// weft.exportModule in node (no GPU needed: the module is text): it is a self-contained ES module
// that parses and exports load/inputs/outputs, carries the predict plan and both matmul variants,
// stays small, and the weights are the model's in getWeights order. The module is run in a page
// without weft in test/gpu/export.test.ts.
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { minifyWgsl, predictProgram } from '../../src/api/export/predictProgram.js';
import * as weft from '../../src/index.js';
import { ARTICLE_MODELS } from '../reference/articleModels.js';
import { buildModel } from '../reference/randomGraphs.js';

const importText = (code: string) => import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);

describe('exportModule', () => {
  test('the article models: a module with no imports that parses, ≤ 12 KB gzipped; weights in getWeights order', async () => {
    for (const [name, spec] of Object.entries(ARTICLE_MODELS)) {
      const model = buildModel<weft.LayersModel>(weft, spec, 3, name);
      const { code, weights } = await weft.exportModule(model);
      expect(code).not.toMatch(/^\s*import\b|\bimport\s*\(/m);
      const mod = await importText(code);
      expect(Object.keys(mod).sort()).toEqual(['inputs', 'load', 'outputs']);
      expect(mod.inputs).toEqual(spec.inputs.map((i) => ({ name: i.name, cols: i.units })));
      expect(mod.outputs.map((o: { cols: number }) => o.cols)).toEqual(spec.outputs.map(() => 10));
      expect(gzipSync(code, { level: 9 }).length, name).toBeLessThanOrEqual(12 * 1024);
      const flat = (await model.getWeights()).flatMap((t) => Array.from(t.dataSync()));
      expect(Array.from(new Float32Array(weights))).toEqual(flat);
    }
  });

  test('the plan as data: buffers sized per batch or per row, shaders shared, no training buffers', () => {
    const model = buildModel<weft.LayersModel>(weft, ARTICLE_MODELS.wide_deep_aux, 3, 'plan');
    const program = predictProgram(model, { batchSize: 16, matmul: 'registerTiled', maxStorageBuffers: 8 });
    expect(program.batchSize).toBe(16);
    expect(program.paramCount).toBe(model.countParams());
    expect(program.buffers.map((b) => b.holds.kind).sort()).toEqual(['indices', 'input', 'input', 'output', 'output', 'params', 'scratch', 'scratch']);
    expect(
      program.buffers
        .filter((b) => b.perRow > 0)
        .map((b) => b.perRow)
        .sort((a, b) => a - b),
    ).toEqual([1, 10, 10, 392, 392]);
    for (const d of program.dispatches) {
      expect(program.shaders[d.shader]).toBeDefined();
      for (const [, buffer] of d.bindings) expect(program.buffers[buffer]).toBeDefined();
    }
    expect(program.shaders.join('\n')).not.toMatch(/\/\//);
  });

  test('minifyWgsl drops comments, indentation and blank lines only', () => {
    expect(minifyWgsl('// a kernel\nfn f() {\n\n    let x = 1; // why\n}\n')).toBe('fn f() {\nlet x = 1;\n}');
  });

  test('options are checked', async () => {
    const model = buildModel<weft.LayersModel>(weft, ARTICLE_MODELS.mlp, 3, 'options');
    await expect(weft.exportModule(model, { batchSize: 0 })).rejects.toThrow(/batchSize must be a whole number from 1 to 65536, got 0/);
    await expect(weft.exportModule(model, { matmul: 'fast' as never })).rejects.toThrow(/matmul must be 'auto', 'workgroupTiled' or 'registerTiled'/);
    await expect(weft.exportModule({} as never)).rejects.toThrow(/expected a model made by weft.model/);
    const single = await weft.exportModule(model, { matmul: 'registerTiled' });
    expect(single.code).toMatch(/const DC = DG;/);
  });
});
