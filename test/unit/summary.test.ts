// model.summary(): Keras's functional-model table for the article's four models.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { formatShape, summarize } from '../../src/api/summary.js';

// Explicit names, so the table does not depend on how many layers other tests made before.
function mlp() {
  const x = weft.input({ shape: [784], name: 'input_layer' });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense' }).apply(x);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_1' }).apply(h1);
  const out = weft.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2' }).apply(h2);
  return weft.model({ inputs: x, outputs: out, name: 'mlp' });
}

function wideDeep() {
  const x = weft.input({ shape: [784], name: 'input_layer' });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense' }).apply(x);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_1' }).apply(h1);
  const concat = weft.layers.concatenate({ name: 'concatenate' }).apply([x, h2]);
  const out = weft.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2' }).apply(concat);
  return weft.model({ inputs: x, outputs: out, name: 'wide_deep' });
}

function twoInputs(auxOutput: boolean) {
  const wide = weft.input({ shape: [392], name: 'wide_input' });
  const deep = weft.input({ shape: [392], name: 'deep_input' });
  const h1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense' }).apply(deep);
  const h2 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_1' }).apply(h1);
  const concat = weft.layers.concatenate({ name: 'concatenate' }).apply([wide, h2]);
  const main = weft.layers.dense({ units: 10, activation: 'softmax', name: 'main_output' }).apply(concat);
  if (!auxOutput) return weft.model({ inputs: [wide, deep], outputs: main, name: 'multi_input' });
  const aux = weft.layers.dense({ units: 10, activation: 'softmax', name: 'aux_output' }).apply(h2);
  return weft.model({ inputs: [wide, deep], outputs: [main, aux], name: 'multi_output' });
}

const rule = (c: string) => c.repeat(98);

describe('summary', () => {
  test('wide & deep: the exact Keras table', () => {
    const text = summarize(wideDeep());
    expect(text).toBe(
      [
        'Model: "wide_deep"',
        rule('_'),
        'Layer (type)                    Output Shape         Param #     Connected to',
        rule('='),
        'input_layer (InputLayer)        [(None, 784)]        0',
        rule('_'),
        'dense (Dense)                   (None, 30)           23550       input_layer[0][0]',
        rule('_'),
        'dense_1 (Dense)                 (None, 30)           930         dense[0][0]',
        rule('_'),
        'concatenate (Concatenate)       (None, 814)          0           input_layer[0][0]',
        '                                                                 dense_1[0][0]',
        rule('_'),
        'dense_2 (Dense)                 (None, 10)           8150        concatenate[0][0]',
        rule('='),
        'Total params: 32,630',
        'Trainable params: 32,630',
        'Non-trainable params: 0',
        rule('_'),
      ].join('\n'),
    );
  });

  test('MLP: rows in layer order, totals', () => {
    const lines = summarize(mlp()).split('\n');
    const rows = lines.filter((l) => /^\w+ \(\w+\)\s/.test(l) && !l.startsWith('Layer (type)'));
    expect(rows.map((r) => r.split(/\s{2,}/))).toEqual([
      ['input_layer (InputLayer)', '[(None, 784)]', '0'],
      ['dense (Dense)', '(None, 30)', '23550', 'input_layer[0][0]'],
      ['dense_1 (Dense)', '(None, 30)', '930', 'dense[0][0]'],
      ['dense_2 (Dense)', '(None, 10)', '310', 'dense_1[0][0]'],
    ]);
    expect(lines).toContain('Total params: 24,790');
    expect(lines).toContain('Trainable params: 24,790');
    expect(lines).toContain('Non-trainable params: 0');
  });

  test('two inputs: Keras order (by depth from the outputs), the concat lists both connections', () => {
    const text = summarize(twoInputs(false));
    const rows = text
      .split('\n')
      .filter((l) => /^\w+ \(\w+\)\s/.test(l) && !l.startsWith('Layer (type)'))
      .map((r) => r.split(/\s{2,}/));
    expect(rows).toEqual([
      ['deep_input (InputLayer)', '[(None, 392)]', '0'],
      ['dense (Dense)', '(None, 30)', '11790', 'deep_input[0][0]'],
      ['wide_input (InputLayer)', '[(None, 392)]', '0'],
      ['dense_1 (Dense)', '(None, 30)', '930', 'dense[0][0]'],
      ['concatenate (Concatenate)', '(None, 422)', '0', 'wide_input[0][0]'],
      ['main_output (Dense)', '(None, 10)', '4230', 'concatenate[0][0]'],
    ]);
    expect(text).toMatch(/\n {65}dense_1\[0\]\[0\]\n/);
    expect(text).toContain('Total params: 16,950');
  });

  test('multi-output: the aux output sits with the main one, both after their inputs', () => {
    const model = twoInputs(true);
    const rows = summarize(model)
      .split('\n')
      .filter((l) => /^\w+ \(\w+\)\s/.test(l) && !l.startsWith('Layer (type)'))
      .map((r) => r.split(/\s{2,}/)[0]);
    expect(rows).toEqual(model.layers.map((l) => `${l.name} (${l.className})`));
    expect(rows.indexOf('aux_output (Dense)')).toBeGreaterThan(rows.indexOf('dense_1 (Dense)'));
    expect(summarize(model)).toContain('aux_output (Dense)              (None, 10)           310         dense_1[0][0]');
    expect(summarize(model)).toContain('Total params: 17,260');
  });

  test('model.summary prints line by line and returns the table; lineLength and positions as in Keras', () => {
    const model = mlp();
    const printed: unknown[] = [];
    const text = model.summary(undefined, undefined, (line) => printed.push(line));
    expect(printed.join('\n')).toBe(text);
    expect(text).toBe(summarize(model));
    const narrow = model.summary(60, [0.4, 0.65, 0.8, 1], () => {});
    expect(narrow.split('\n')[1]).toBe('_'.repeat(60));
    expect(narrow).toContain('\ndense (Dense)           (None, 30)     23550    input_layer[\n');
    // Absolute positions; a cell longer than its column is cut and the next one starts after a space.
    expect(model.summary(40, [10, 20, 28, 40], () => {})).toContain('\ndense_2 ( (None, 10 310     dense_1[0][0\n');
    expect(() => model.summary(80, [0.5, 0.4, 0.7, 1], () => {})).toThrow(/increase/);
  });

  test('non-trainable layers count as non-trainable params', () => {
    const model = mlp();
    model.getLayer('dense').trainable = false;
    const text = summarize(model);
    expect(text).toContain('Total params: 24,790');
    expect(text).toContain('Trainable params: 1,240');
    expect(text).toContain('Non-trainable params: 23,550');
  });

  test('shapes print as Python tuples', () => {
    expect(formatShape([null, 784])).toBe('(None, 784)');
    expect(formatShape([null])).toBe('(None,)');
    expect(formatShape([null, 28, 28])).toBe('(None, 28, 28)');
  });
});
