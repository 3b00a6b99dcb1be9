// weft.plotHistory(history, { width, height, title }): learning curves as an SVG document, like the
// article's `pd.DataFrame(history.history).plot(); plt.gca().set_ylim(0, 1)`: every logged series
// (loss, accuracy, val_loss, val_accuracy, and per output for multi-output models) against the
// epoch, on one chart with axes, ticks, a grid and a legend. A training series and its val_
// counterpart share a colour; the validation one is dashed.

import { esc, FONT_FAMILY, num, textWidth } from './svg.js';

export interface PlotHistoryOptions {
  /** Width of the whole SVG in px (default 640). */
  width?: number;
  /** Height of the whole SVG in px (default 400). */
  height?: number;
  /** A title above the chart (default none). */
  title?: string;
}

/** A History from fit, its `.history` record, or any { name: values per epoch } record. */
export type HistoryLike = { history: Record<string, readonly number[]>; epoch?: readonly number[] } | Record<string, readonly number[]>;

// matplotlib's tab10, the colours of a pandas plot.
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT_SIZE = 12;

function seriesOf(history: HistoryLike): { series: [string, readonly number[]][]; epochs: number[] | null } {
  if (!history || typeof history !== 'object') throw new Error('plotHistory takes the History that fit returned (or its .history record)');
  const h = history as { history?: unknown; epoch?: unknown };
  const record = (h.history && typeof h.history === 'object' && !Array.isArray(h.history) ? h.history : history) as Record<string, unknown>;
  const series: [string, readonly number[]][] = [];
  for (const [name, values] of Object.entries(record)) {
    if (!Array.isArray(values) && !ArrayBuffer.isView(values)) continue;
    // TensorFlow.js's 'acc' beside Keras's 'accuracy' is the same curve: drawn once.
    if (/(^|_)acc$/.test(name) && `${name}uracy` in record) continue;
    series.push([name, Array.from(values as ArrayLike<number>, Number)]);
  }
  const epochs = Array.isArray(h.epoch) && record !== history ? (h.epoch as number[]).map((e) => e + 1) : null;
  return { series, epochs };
}

/** Round steps (1, 2, 2.5, 5 × 10^k) giving about `count` ticks over [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999)!;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)) || 0);
  return ticks;
}

function tickLabel(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
  return v.toFixed(decimals);
}

/** The learning curves as an SVG document (a string; no DOM needed). */
export function plotHistory(history: HistoryLike, options: PlotHistoryOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  if (!(width >= 200 && height >= 150)) throw new Error(`plotHistory: width and height must be at least 200 × 150, got ${width} × ${height}`);
  const { series, epochs: epochNumbers } = seriesOf(history);
  const n = Math.max(0, ...series.map(([, v]) => v.length));
  const epochs = epochNumbers && epochNumbers.length === n ? epochNumbers : Array.from({ length: n }, (_, i) => i + 1);

  // Colours: one per series name without its val_ prefix, in order of appearance.
  const base = (name: string) => name.replace(/^val_/, '');
  const colorOf = new Map<string, string>();
  for (const [name] of series) if (!colorOf.has(base(name))) colorOf.set(base(name), COLORS[colorOf.size % COLORS.length]!);

  // y range: 0..1 when every value fits (as the article), else from min(0, lowest) to a round top.
  const values = series.flatMap(([, v]) => v.filter(Number.isFinite));
  const lowest = values.length ? Math.min(...values) : 0;
  const highest = values.length ? Math.max(...values) : 1;
  let yLo = 0;
  let yHi = 1;
  if (lowest < 0 || highest > 1) {
    const probe = niceTicks(Math.min(0, lowest), highest, 6);
    const step = probe.length > 1 ? probe[1]! - probe[0]! : 1;
    yLo = Math.min(0, Math.floor(lowest / step) * step);
    yHi = Math.ceil(highest / step) * step;
    if (yHi <= yLo) yHi = yLo + step;
  }
  const yTicks = niceTicks(yLo, yHi, 6);
  const yStep = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 1;
  const xLo = n <= 1 ? 0 : epochs[0]!;
  const xHi = n <= 1 ? 2 : epochs[n - 1]!;
  const xTicks = niceTicks(xLo, xHi, Math.min(11, Math.max(3, n)), true).filter((t) => t >= xLo && t <= xHi);

  // Layout: title on top, y labels left, x labels and axis title below, legend right.
  const legendRow = 18;
  const legendWidth = series.length ? Math.ceil(Math.max(...series.map(([name]) => textWidth(name, FONT_SIZE))) + 26 + 22) : 0;
  const yLabelWidth = Math.ceil(Math.max(...yTicks.map((t) => textWidth(tickLabel(t, yStep), FONT_SIZE)))) + 12;
  const top = options.title ? 34 : 14;
  const left = yLabelWidth + 8;
  const right = width - legendWidth - 14;
  const bottom = height - 42;
  if (right - left < 60) throw new Error(`plotHistory: width ${width} leaves no room for the plot beside the legend; make it wider`);
  const px = (x: number) => left + ((x - xLo) / (xHi - xLo)) * (right - left);
  const py = (y: number) => bottom - ((y - yLo) / (yHi - yLo)) * (bottom - top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="weft-history-plot" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${esc(FONT_FAMILY)}" font-size="${FONT_SIZE}">`,
    `<title>${esc(options.title ?? 'learning curves')}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  );
  if (options.title)
    out.push(`<text x="${num((left + right) / 2)}" y="21" text-anchor="middle" font-size="14" font-weight="bold" fill="#111">${esc(options.title)}</text>`);
  // Grid and ticks.
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${num(left)}" x2="${num(right)}" y1="${num(py(t))}" y2="${num(py(t))}"/>`);
  for (const t of xTicks) out.push(`<line x1="${num(px(t))}" x2="${num(px(t))}" y1="${num(top)}" y2="${num(bottom)}"/>`);
  out.push('</g>');
  out.push('<g class="axes" fill="#222">');
  out.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(right - left)}" height="${num(bottom - top)}" fill="none" stroke="#222" stroke-width="1"/>`);
  for (const t of yTicks) {
    out.push(`<line x1="${num(left - 4)}" x2="${num(left)}" y1="${num(py(t))}" y2="${num(py(t))}" stroke="#222"/>`);
    out.push(`<text class="ytick" x="${num(left - 7)}" y="${num(py(t))}" text-anchor="end" dominant-baseline="central">${tickLabel(t, yStep)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${num(px(t))}" x2="${num(px(t))}" y1="${num(bottom)}" y2="${num(bottom + 4)}" stroke="#222"/>`);
    out.push(`<text class="xtick" x="${num(px(t))}" y="${num(bottom + 17)}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${num((left + right) / 2)}" y="${num(height - 8)}" text-anchor="middle">epoch</text>`);
  out.push('</g>');
  // Curves, clipped to the plot area.
  const clip = `weft-clip-${Math.round(left)}-${Math.round(top)}-${Math.round(right)}-${Math.round(bottom)}`;
  out.push(
    `<defs><clipPath id="${clip}"><rect x="${num(left - 4)}" y="${num(top - 4)}" width="${num(right - left + 8)}" height="${num(bottom - top + 8)}"/></clipPath></defs>`,
  );
  out.push(`<g class="series" fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" clip-path="url(#${clip})">`);
  const markers = n <= 40;
  for (const [name, v] of series) {
    const color = colorOf.get(base(name))!;
    const dash = name.startsWith('val_') ? ' stroke-dasharray="6 4"' : '';
    // Break the line at non-finite values.
    const runs: string[] = [];
    let run: string[] = [];
    v.forEach((y, i) => {
      if (Number.isFinite(y)) run.push(`${num(px(epochs[i]!))},${num(py(y))}`);
      else if (run.length) runs.push(run.join(' ')), (run = []);
    });
    if (run.length) runs.push(run.join(' '));
    out.push(`<g class="curve" data-series="${esc(name)}" stroke="${color}">`);
    for (const r of runs) if (r.includes(' ')) out.push(`<polyline points="${r}"${dash}/>`);
    if (markers || runs.some((r) => !r.includes(' ')))
      v.forEach((y, i) => {
        if (Number.isFinite(y)) out.push(`<circle cx="${num(px(epochs[i]!))}" cy="${num(py(y))}" r="2.6" fill="${color}" stroke="none"/>`);
      });
    out.push('</g>');
  }
  out.push('</g>');
  // Legend, right of the plot.
  out.push(`<g class="legend" transform="translate(${num(right + 14)},${num(top)})">`);
  out.push(`<rect x="0" y="0" width="${legendWidth}" height="${series.length * legendRow + 10}" fill="#fff" stroke="#ccc" rx="3"/>`);
  series.forEach(([name], i) => {
    const y = 5 + i * legendRow + legendRow / 2;
    const color = colorOf.get(base(name))!;
    const dash = name.startsWith('val_') ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line x1="8" x2="30" y1="${num(y)}" y2="${num(y)}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="36" y="${num(y)}" dominant-baseline="central" fill="#222">${esc(name)}</text>`);
  });
  out.push('</g>', '</svg>');
  return out.join('\n');
}
