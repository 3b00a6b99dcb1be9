// weft.plotModel and weft.plotHistory: well-formed SVG, every layer and series present, boxes that
// do not overlap, edges that follow the connections and pass through no other box.
import { describe, expect, test } from 'vitest';
import * as weft from '../../src/index.js';
import { layoutModel, type ModelLayout } from '../../src/api/plots/plotModel.js';
import { niceTicks } from '../../src/api/plots/plotHistory.js';

/** A small XML well-formedness check: balanced tags, quoted attributes, known entities, one root. */
function checkXml(text: string): void {
  const stack: string[] = [];
  let roots = 0;
  const tokens = text.split(/(<[^>]*>)/);
  for (const token of tokens) {
    if (token.startsWith('<')) {
      if (token.startsWith('<!--')) continue;
      const m = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
      if (!m) throw new Error(`malformed tag: ${token.slice(0, 120)}`);
      const [, close, name, attrs, selfClose] = m;
      const seen = new Set<string>();
      for (const a of attrs!.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
        if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} in ${token}`);
        seen.add(a[1]!);
        checkEntities(a[2]!);
      }
      if (close) {
        if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      } else if (!selfClose) {
        if (stack.length === 0) roots++;
        stack.push(name!);
      } else if (stack.length === 0) roots++;
    } else {
      if (token.includes('>') && stack.length === 0 && token.trim()) throw new Error(`text outside the root: ${token}`);
      checkEntities(token);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

function checkEntities(text: string): void {
  for (const m of text.matchAll(/&([^;\s]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);$/i.test(m[0])) throw new Error(`bad entity ${m[0]}`);
}

function article() {
  const x = weft.input({ shape: [784], name: 'input_layer' });
  const d1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense' }).apply(x);
  const d2 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_1' }).apply(d1);
  const mlp = weft.model({ inputs: x, outputs: weft.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2' }).apply(d2), name: 'mlp' });

  const xw = weft.input({ shape: [784], name: 'input_layer_1' });
  const w1 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_3' }).apply(xw);
  const w2 = weft.layers.dense({ units: 30, activation: 'relu', name: 'dense_4' }).apply(w1);
  const wc = weft.layers.concatenate({ name: 'concatenate' }).apply([xw, w2]);
  const wideDeep = weft.model({ inputs: xw, outputs: weft.layers.dense({ units: 10, activation: 'softmax', name: 'dense_5' }).apply(wc), name: 'wide_deep' });

  const twoInput = (aux: boolean, tag: string) => {
    const wide = weft.input({ shape: [392], name: `wide_input${tag}` });
    const deep = weft.input({ shape: [392], name: `deep_input${tag}` });
    const h1 = weft.layers.dense({ units: 30, activation: 'relu', name: `hidden1${tag}` }).apply(deep);
    const h2 = weft.layers.dense({ units: 30, activation: 'relu', name: `hidden2${tag}` }).apply(h1);
    const c = weft.layers.concatenate({ name: `concat${tag}` }).apply([wide, h2]);
    const main = weft.layers.dense({ units: 10, activation: 'softmax', name: `main_output${tag}` }).apply(c);
    const outputs = aux ? [main, weft.layers.dense({ units: 10, activation: 'softmax', name: `aux_output${tag}` }).apply(h2)] : [main];
    return weft.model({ inputs: [wide, deep], outputs, name: aux ? 'multi_output' : 'multi_input' });
  };
  return [mlp, wideDeep, twoInput(false, '_a'), twoInput(true, '_b')];
}

const models = article();

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Does segment p→q pass through the interior of box b (shrunk by 1 px)? Liang–Barsky clipping. */
function segmentHitsBox(p: { x: number; y: number }, q: { x: number; y: number }, b: Box): boolean {
  const x0 = b.x + 1,
    x1 = b.x + b.width - 1,
    y0 = b.y + 1,
    y1 = b.y + b.height - 1;
  let t0 = 0,
    t1 = 1;
  const dx = q.x - p.x,
    dy = q.y - p.y;
  for (const [pp, qq] of [
    [-dx, p.x - x0],
    [dx, x1 - p.x],
    [-dy, p.y - y0],
    [dy, y1 - p.y],
  ] as [number, number][]) {
    if (pp === 0) {
      if (qq < 0) return false;
    } else {
      const r = qq / pp;
      if (pp < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
      if (t0 > t1) return false;
    }
  }
  return true;
}

function onBorder(p: { x: number; y: number }, b: Box): boolean {
  const eps = 1.5;
  const inX = p.x >= b.x - eps && p.x <= b.x + b.width + eps;
  const inY = p.y >= b.y - eps && p.y <= b.y + b.height + eps;
  const nearX = Math.abs(p.x - b.x) < eps || Math.abs(p.x - b.x - b.width) < eps;
  const nearY = Math.abs(p.y - b.y) < eps || Math.abs(p.y - b.y - b.height) < eps;
  return (inX && nearY) || (inY && nearX);
}

function checkLayout(model: weft.LayersModel, layout: ModelLayout): void {
  expect(layout.boxes.map((b) => b.layer)).toEqual(model.layers.map((l) => l.name));
  for (const b of layout.boxes) {
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.y).toBeGreaterThanOrEqual(0);
    expect(b.x + b.width).toBeLessThanOrEqual(layout.width + 0.5);
    expect(b.y + b.height).toBeLessThanOrEqual(layout.height + 0.5);
  }
  for (let i = 0; i < layout.boxes.length; i++)
    for (let j = i + 1; j < layout.boxes.length; j++)
      expect(overlaps(layout.boxes[i]!, layout.boxes[j]!), `${layout.boxes[i]!.layer} overlaps ${layout.boxes[j]!.layer}`).toBe(false);
  const expected = model.layers.flatMap((l) => l.nodes.flatMap((n) => n.inputs.map((t) => `${t.sourceLayer.name}->${l.name}`)));
  expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(expected.sort());
  const box = (name: string) => layout.boxes.find((b) => b.layer === name)!;
  for (const e of layout.edges) {
    expect(e.points.length).toBeGreaterThanOrEqual(2);
    expect(onBorder(e.points[0]!, box(e.from)), `${e.from}->${e.to} starts on ${e.from}'s border`).toBe(true);
    expect(onBorder(e.points[e.points.length - 1]!, box(e.to)), `${e.from}->${e.to} ends on ${e.to}'s border`).toBe(true);
    for (let k = 1; k < e.points.length; k++)
      for (const b of layout.boxes) {
        if (b.layer === e.from || b.layer === e.to) continue;
        expect(segmentHitsBox(e.points[k - 1]!, e.points[k]!, b), `edge ${e.from}->${e.to} crosses ${b.layer}`).toBe(false);
      }
  }
}

describe('plotModel', () => {
  for (const rankdir of ['TB', 'LR'] as const)
    for (const showShapes of [true, false])
      test(`the article's models, rankdir ${rankdir}, showShapes ${showShapes}: boxes apart, edges along connections and around boxes`, () => {
        for (const model of models) checkLayout(model, layoutModel(model, { rankdir, showShapes }));
      });

  test('well-formed SVG with one group per layer, names, classes and shapes', () => {
    for (const model of models) {
      const svg = weft.plotModel(model, { showShapes: true });
      checkXml(svg);
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect([...svg.matchAll(/<g class="layer" data-layer="([^"]+)"/g)].map((m) => m[1])).toEqual(model.layers.map((l) => l.name));
      for (const l of model.layers) expect(svg).toContain(`>${l.name}: ${l.className}</text>`);
      const edges = model.layers.reduce((n, l) => n + l.nodes.reduce((k, node) => k + node.inputs.length, 0), 0);
      expect(svg.match(/<path class="edge"/g)?.length ?? 0).toBe(edges);
      expect(svg).toContain('>output:</text>');
    }
    const wideDeep = weft.plotModel(models[1]!, { showShapes: true });
    expect(wideDeep).toContain('>[(None, 784)]</text>'); // the input layer
    expect(wideDeep).toContain('>[(None, 784), (None, 30)]</text>'); // the concat's inputs
    expect(wideDeep).toContain('>(None, 814)</text>');
  });

  test('showLayerNames false shows classes only; without showShapes no shapes', () => {
    const svg = weft.plotModel(models[0]!, { showLayerNames: false });
    checkXml(svg);
    expect(svg).toContain('>Dense</text>');
    expect(svg).not.toContain('dense: Dense');
    expect(svg).not.toContain('(None');
  });

  test('names that need escaping stay well-formed', () => {
    const x = weft.input({ shape: [3], name: 'a<b>&"c"' });
    const m = weft.model({ inputs: x, outputs: weft.layers.dense({ units: 2, name: "d'1" }).apply(x), name: 'm&m' });
    const svg = weft.plotModel(m, { showShapes: true });
    checkXml(svg);
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;: InputLayer');
  });

  test('rejects an unknown rankdir', () => {
    expect(() => weft.plotModel(models[0]!, { rankdir: 'BT' as 'TB' })).toThrow(/rankdir/);
  });
});

describe('plotHistory', () => {
  const multi = {
    loss: [0.9, 0.6, 0.5],
    main_output_loss: [0.8, 0.55, 0.45],
    aux_output_loss: [1.1, 0.7, 0.6],
    main_output_accuracy: [0.7, 0.8, 0.84],
    aux_output_accuracy: [0.6, 0.72, 0.76],
  } as Record<string, number[]>;
  for (const k of Object.keys(multi)) multi[`val_${k}`] = multi[k]!.map((v) => v * 1.02);

  test('every series is drawn and in the legend; val_ dashed in its training colour', () => {
    const svg = weft.plotHistory({ history: multi, epoch: [0, 1, 2] }, { title: 'multi-output' });
    checkXml(svg);
    const curves = [...svg.matchAll(/<g class="curve" data-series="([^"]+)" stroke="([^"]+)"/g)];
    expect(curves.map((m) => m[1])).toEqual(Object.keys(multi));
    const color = Object.fromEntries(curves.map((m) => [m[1], m[2]]));
    expect(color.val_loss).toBe(color.loss);
    expect(color.val_aux_output_accuracy).toBe(color.aux_output_accuracy);
    expect(new Set(Object.values(color)).size).toBe(5);
    for (const k of Object.keys(multi)) expect(svg).toContain(`>${k}</text>`);
    expect(svg.match(/<polyline [^>]*stroke-dasharray/g)?.length).toBe(5);
    expect(svg).toContain('>multi-output</text>');
    // x ticks are epochs 1..3; loss 1.1 > 1 so y goes past 1.
    expect([...svg.matchAll(/class="xtick"[^>]*>(\d+)</g)].map((m) => m[1])).toEqual(['1', '2', '3']);
    const yTicks = [...svg.matchAll(/class="ytick"[^>]*>([\d.]+)</g)].map((m) => Number(m[1]));
    expect(yTicks[0]).toBe(0);
    expect(yTicks[yTicks.length - 1]).toBeGreaterThanOrEqual(1.1);
  });

  test('y from 0 to 1 when every value fits, as the article; width and height honoured', () => {
    const h = { loss: [0.7, 0.5, 0.4, 0.35], accuracy: [0.75, 0.82, 0.85, 0.87], val_loss: [0.55, 0.45, 0.42, 0.4], val_accuracy: [0.8, 0.84, 0.85, 0.86] };
    const svg = weft.plotHistory(h, { width: 500, height: 300 });
    checkXml(svg);
    expect(svg).toMatch(/^<svg [^>]*width="500" height="300"/);
    expect([...svg.matchAll(/class="ytick"[^>]*>([\d.]+)</g)].map((m) => m[1])).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(svg.match(/<circle /g)?.length).toBe(16);
  });

  test('one epoch: points, not lines; a NaN breaks a line', () => {
    const one = weft.plotHistory({ loss: [1.3], accuracy: [0.6] });
    checkXml(one);
    expect(one).not.toContain('<polyline');
    expect(one.match(/<circle /g)?.length).toBe(2);
    const broken = weft.plotHistory({ loss: [0.9, 0.8, Number.NaN, 0.6, 0.5] });
    checkXml(broken);
    expect(broken.match(/<polyline /g)?.length).toBe(2);
  });

  test('niceTicks', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 20, 11, true)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(niceTicks(0, 2, 3, true)).toEqual([0, 1, 2]);
  });
});
