// weft.plotModel(model, { showShapes, showLayerNames, rankdir }): the model's graph as an SVG
// document, like Keras's plot_model: one box per layer ("dense: Dense", and with showShapes the
// input and output shapes below it), one arrow per connection. The layout (ranks, order, edge
// routes around boxes) is dagre's; this file only measures boxes and draws.

import dagre from '@dagrejs/dagre';
import type { Layer } from '../layers/layer.js';
import type { LayerNode } from '../symbolic.js';
import { formatShape } from '../summary.js';
import { esc, FONT_FAMILY, idPart, num, textWidth } from './svg.js';

export interface PlotModelOptions {
  /** Show each layer's input and output shapes (default false, as in Keras). */
  showShapes?: boolean;
  /** Show layer names before the class names (default true, as in Keras). */
  showLayerNames?: boolean;
  /** 'TB' (top to bottom, default) or 'LR' (left to right). */
  rankdir?: 'TB' | 'LR';
}

/** What plotModel needs of a model (a LayersModel has all of it). */
export interface PlottableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly topology?: { readonly nodes: readonly LayerNode[] };
}

export interface LaidOutBox {
  layer: string;
  className: string;
  /** Top-left corner and size, in SVG user units. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The cells of the box: [name] or [name, 'input:', input shape, 'output:', output shape]. */
  cells: { text: string; x: number; y: number; width: number; height: number }[];
}

export interface LaidOutEdge {
  from: string;
  to: string;
  /** The route from the source box's border to the target box's border. */
  points: { x: number; y: number }[];
}

export interface ModelLayout {
  width: number;
  height: number;
  boxes: LaidOutBox[];
  edges: LaidOutEdge[];
}

const FONT_SIZE = 13;
const ROW_HEIGHT = 20;
const NAME_HEIGHT = 26;
const PAD_X = 9;
const MARGIN = 12;

/** The shape text Keras's plot_model shows: a list for input layers and layers with several inputs. */
function inputShapeText(layer: Layer, nodes: LayerNode[]): string {
  if (nodes.length === 0) return '?';
  const texts = nodes.map((n) =>
    layer.className === 'InputLayer'
      ? `[${formatShape(n.output.shape)}]`
      : n.inputs.length === 1
        ? formatShape(n.inputs[0]!.shape)
        : `[${n.inputs.map((t) => formatShape(t.shape)).join(', ')}]`,
  );
  return new Set(texts).size === 1 ? texts[0]! : 'multiple';
}

function outputShapeText(layer: Layer, nodes: LayerNode[]): string {
  if (nodes.length === 0) return '?';
  const texts = nodes.map((n) => (layer.className === 'InputLayer' ? `[${formatShape(n.output.shape)}]` : formatShape(n.output.shape)));
  return new Set(texts).size === 1 ? texts[0]! : 'multiple';
}

/** Measures every box and lets dagre place boxes and route edges. Exported for tests. */
export function layoutModel(model: PlottableModel, options: PlotModelOptions = {}): ModelLayout {
  const showShapes = options.showShapes ?? false;
  const showNames = options.showLayerNames ?? true;
  const rankdir = options.rankdir ?? 'TB';
  if (rankdir !== 'TB' && rankdir !== 'LR') throw new Error(`plotModel: rankdir must be 'TB' or 'LR', got '${rankdir}'`);
  const modelNodes = model.topology ? new Set(model.topology.nodes) : null;
  const nodesOf = (layer: Layer) => layer.nodes.filter((n) => !modelNodes || modelNodes.has(n));

  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir, nodesep: 28, ranksep: 34, edgesep: 14, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));

  const sizes = new Map<string, { nameWidth: number; keyWidth: number; shapeWidth: number; shapes: [string, string] | null; title: string }>();
  for (const layer of model.layers) {
    const title = showNames ? `${layer.name}: ${layer.className}` : layer.className;
    const nameWidth = Math.ceil(textWidth(title, FONT_SIZE, { bold: true }) + 2 * PAD_X);
    let keyWidth = 0;
    let shapeWidth = 0;
    let shapes: [string, string] | null = null;
    if (showShapes) {
      const nodes = nodesOf(layer);
      shapes = [inputShapeText(layer, nodes), outputShapeText(layer, nodes)];
      keyWidth = Math.ceil(textWidth('output:', FONT_SIZE) + 2 * PAD_X);
      shapeWidth = Math.ceil(Math.max(...shapes.map((s) => textWidth(s, FONT_SIZE))) + 2 * PAD_X);
    }
    // With shapes, the name row sits above two rows "input: shape" and "output: shape" (narrower than
    // Keras's side-by-side record, so two branches fit beside a chart); the shape cells take the rest.
    if (showShapes) shapeWidth = Math.max(shapeWidth, nameWidth - keyWidth);
    sizes.set(layer.name, { nameWidth, keyWidth, shapeWidth, shapes, title });
    g.setNode(layer.name, { width: showShapes ? keyWidth + shapeWidth : nameWidth, height: showShapes ? NAME_HEIGHT + 2 * ROW_HEIGHT : NAME_HEIGHT + 4 });
  }
  const edgeList: { from: string; to: string; name: string }[] = [];
  for (const layer of model.layers)
    for (const node of nodesOf(layer))
      node.inputs.forEach((t, i) => {
        const from = t.sourceLayer.name;
        if (!g.hasNode(from)) return;
        const name = `${from}->${layer.name}#${edgeList.length}:${i}`;
        edgeList.push({ from, to: layer.name, name });
        g.setEdge(from, layer.name, {}, name);
      });

  dagre.layout(g);

  const boxes: LaidOutBox[] = model.layers.map((layer) => {
    const n = g.node(layer.name) as { x: number; y: number; width: number; height: number };
    const s = sizes.get(layer.name)!;
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    const cells: LaidOutBox['cells'] = [{ text: s.title, x, y, width: n.width, height: s.shapes ? NAME_HEIGHT : n.height }];
    if (s.shapes) {
      const sx = x + s.keyWidth;
      const y1 = y + NAME_HEIGHT;
      const y2 = y1 + ROW_HEIGHT;
      cells.push(
        { text: 'input:', x, y: y1, width: s.keyWidth, height: ROW_HEIGHT },
        { text: s.shapes[0], x: sx, y: y1, width: s.shapeWidth, height: ROW_HEIGHT },
        { text: 'output:', x, y: y2, width: s.keyWidth, height: ROW_HEIGHT },
        { text: s.shapes[1], x: sx, y: y2, width: s.shapeWidth, height: ROW_HEIGHT },
      );
    }
    return { layer: layer.name, className: layer.className, x, y, width: n.width, height: n.height, cells };
  });
  const boxOf = new Map(boxes.map((b) => [b.layer, b]));
  const routes = edgeList.map((e) => {
    const label = g.edge({ v: e.from, w: e.to, name: e.name }) as { points?: { x: number; y: number }[] };
    return { from: e.from, to: e.to, dagre: (label.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const edges: LaidOutEdge[] = orthogonalRoutes(routes, boxOf, rankdir);
  const graph = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), boxes, edges };
}

type Point = { x: number; y: number };

/**
 * Turns dagre's routes into orthogonal ones that leave a box from the side facing the next rank and
 * enter the next box from the side facing the previous rank. Dagre doubles the ranks, so a route's
 * inner points alternate: a point in the gap between two rows of boxes, then (for an edge spanning
 * rows) a point in a row, in the free lane dagre kept for the edge, then a gap point again. The new
 * route runs along the rank axis through those lanes and changes lanes only inside gaps, where no
 * box is; so it passes through no box. Where the pattern is not there, dagre's route is kept.
 */
function orthogonalRoutes(routes: { from: string; to: string; dagre: Point[] }[], boxOf: Map<string, LaidOutBox>, rankdir: 'TB' | 'LR'): LaidOutEdge[] {
  // (main, cross): main runs along the ranks (y for TB, x for LR).
  const main = (p: Point) => (rankdir === 'TB' ? p.y : p.x);
  const cross = (p: Point) => (rankdir === 'TB' ? p.x : p.y);
  const point = (m: number, c: number): Point => (rankdir === 'TB' ? { x: c, y: m } : { x: m, y: c });
  const span = (b: LaidOutBox) =>
    rankdir === 'TB'
      ? { mainLo: b.y, mainHi: b.y + b.height, crossLo: b.x, crossHi: b.x + b.width }
      : { mainLo: b.x, mainHi: b.x + b.width, crossLo: b.y, crossHi: b.y + b.height };
  const clampInto = (v: number, lo: number, hi: number) => {
    const pad = Math.min(14, (hi - lo) / 2);
    return Math.min(hi - pad, Math.max(lo + pad, v));
  };
  const inside = (b: LaidOutBox, m: number) => {
    const s = span(b);
    return m > s.mainLo + 0.5 && m < s.mainHi - 0.5;
  };
  const allBoxes = [...boxOf.values()];
  const plans = routes.map((r) => {
    const src = boxOf.get(r.from)!;
    const dst = boxOf.get(r.to)!;
    const inner = r.dagre.slice(1, -1);
    // A point is in a row when some box spans its main coordinate; otherwise it is in a gap.
    const kinds = inner.map((p) => (allBoxes.some((b) => inside(b, main(p))) ? 'lane' : 'gap'));
    const ok =
      r.dagre.length >= 3 &&
      kinds.length % 2 === 1 &&
      kinds.every((k, i) => k === (i % 2 === 0 ? 'gap' : 'lane')) &&
      main(r.dagre[r.dagre.length - 1]!) > main(r.dagre[0]!);
    const lanes = inner.filter((_, i) => kinds[i] === 'lane').map(cross);
    const gaps = inner.filter((_, i) => kinds[i] === 'gap').map(main);
    const s = span(src);
    const d = span(dst);
    const exit = clampInto(lanes[0] ?? (d.crossLo + d.crossHi) / 2, s.crossLo, s.crossHi);
    const entry = clampInto(lanes.length ? lanes[lanes.length - 1]! : exit, d.crossLo, d.crossHi);
    return { r, ok, lanes, gaps, exit, entry, s, d };
  });
  // Several edges leaving (or entering) one box at nearly the same place are spread apart.
  const spread = (
    key: 'exit' | 'entry',
    boxName: (p: (typeof plans)[number]) => string,
    range: (p: (typeof plans)[number]) => { crossLo: number; crossHi: number },
  ) => {
    const groups = new Map<string, (typeof plans)[number][]>();
    for (const p of plans) if (p.ok) groups.set(boxName(p), [...(groups.get(boxName(p)) ?? []), p]);
    for (const group of groups.values()) {
      group.sort((a, b) => a[key] - b[key]);
      for (let i = 1; i < group.length; i++) {
        const { crossLo, crossHi } = range(group[i]!);
        if (group[i]![key] - group[i - 1]![key] < 12) group[i]![key] = Math.min(crossHi - 4, group[i - 1]![key] + 12);
        group[i]![key] = Math.max(crossLo + 4, group[i]![key]);
      }
    }
  };
  spread(
    'exit',
    (p) => p.r.from,
    (p) => p.s,
  );
  for (const p of plans) if (p.ok && p.lanes.length === 0) p.entry = clampInto(p.exit, p.d.crossLo, p.d.crossHi);
  spread(
    'entry',
    (p) => p.r.to,
    (p) => p.d,
  );
  return plans.map(({ r, ok, lanes, gaps, exit, entry, s, d }) => {
    if (!ok) return { from: r.from, to: r.to, points: r.dagre };
    const crosses = [exit, ...lanes, entry];
    const pts: Point[] = [point(s.mainHi, exit)];
    gaps.forEach((gm, i) => {
      pts.push(point(gm, crosses[i]!));
      if (Math.abs(crosses[i + 1]! - crosses[i]!) > 0.01) pts.push(point(gm, crosses[i + 1]!));
    });
    pts.push(point(d.mainLo, entry));
    return { from: r.from, to: r.to, points: pts };
  });
}

/** The name cell's tint, by layer class. */
function tint(className: string): string {
  switch (className) {
    case 'InputLayer':
      return '#e3eefa';
    case 'Dense':
      return '#fdf0dc';
    case 'Concatenate':
      return '#e4f4e4';
    case 'Activation':
      return '#f3e6f5';
    default:
      return '#eeeeee';
  }
}

/** A path through the points, its bends rounded (radius ≤ 8, and never more than half a segment). */
function roundedPath(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  let d = `M${num(points[0]!.x)},${num(points[0]!.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i - 1]!;
    const c = points[i]!;
    const n = points[i + 1]!;
    const l1 = Math.hypot(c.x - p.x, c.y - p.y);
    const l2 = Math.hypot(n.x - c.x, n.y - c.y);
    const r = Math.min(8, l1 / 2, l2 / 2);
    if (r < 0.5 || l1 === 0 || l2 === 0) {
      d += ` L${num(c.x)},${num(c.y)}`;
      continue;
    }
    const a = { x: c.x - ((c.x - p.x) / l1) * r, y: c.y - ((c.y - p.y) / l1) * r };
    const b = { x: c.x + ((n.x - c.x) / l2) * r, y: c.y + ((n.y - c.y) / l2) * r };
    d += ` L${num(a.x)},${num(a.y)} Q${num(c.x)},${num(c.y)} ${num(b.x)},${num(b.y)}`;
  }
  const last = points[points.length - 1]!;
  if (points.length > 1) d += ` L${num(last.x)},${num(last.y)}`;
  return d;
}

/**
 * The model's diagram as an SVG document (a string; no DOM needed). Layers appear in model.layers
 * order in the document, each as `<g class="layer" data-layer="name">`.
 */
export function plotModel(model: PlottableModel, options: PlotModelOptions = {}): string {
  if (!model || !Array.isArray(model.layers)) throw new Error('plotModel takes a model made by weft.model({ inputs, outputs })');
  const layout = layoutModel(model, options);
  const arrow = `weft-arrow-${idPart(model.name)}`;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="weft-model-plot" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="${esc(FONT_FAMILY)}" font-size="${FONT_SIZE}">`,
    `<title>${esc(`Model "${model.name}"`)}</title>`,
    `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    '<g class="edges" fill="none" stroke="#444" stroke-width="1.3">',
  );
  for (const e of layout.edges)
    out.push(`<path class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}" d="${roundedPath(e.points)}" marker-end="url(#${arrow})"/>`);
  out.push('</g>', '<g class="layers">');
  for (const b of layout.boxes) {
    out.push(`<g class="layer" data-layer="${esc(b.layer)}" data-class="${esc(b.className)}">`);
    out.push(`<rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}" fill="#fff"/>`);
    const [name, ...rest] = b.cells;
    out.push(`<rect x="${num(name!.x)}" y="${num(name!.y)}" width="${num(name!.width)}" height="${num(name!.height)}" fill="${tint(b.className)}"/>`);
    for (const c of rest)
      out.push(`<rect x="${num(c.x)}" y="${num(c.y)}" width="${num(c.width)}" height="${num(c.height)}" fill="none" stroke="#666" stroke-width="0.8"/>`);
    out.push(`<rect x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}" fill="none" stroke="#333" stroke-width="1.2"/>`);
    out.push(
      `<text x="${num(name!.x + name!.width / 2)}" y="${num(name!.y + name!.height / 2)}" text-anchor="middle" dominant-baseline="central" font-weight="bold" fill="#111">${esc(name!.text)}</text>`,
    );
    for (const c of rest)
      out.push(
        `<text x="${num(c.x + c.width / 2)}" y="${num(c.y + c.height / 2)}" text-anchor="middle" dominant-baseline="central" fill="#222">${esc(c.text)}</text>`,
      );
    out.push('</g>');
  }
  out.push('</g>', '</svg>');
  return out.join('\n');
}
