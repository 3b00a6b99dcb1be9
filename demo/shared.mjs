// Shared by the demo page (demo/app.ts, bundled into dist/demo.js) and the terminal runner
// (demo/run.mjs): the article's figures, Keras-style progress lines, and the results table rows.
// Plain JavaScript so node runs it as is; types in shared.d.mts.

/** The article's four experiments, in its order, then a convolutional network beyond the article. */
export const MODEL_KEYS = ['mlp', 'wide_deep', 'multi_input', 'multi_output', 'cnn'];

export const MODEL_INFO = {
  mlp: {
    title: 'MLP',
    description: '784 → Dense 30 relu → Dense 30 relu → Dense 10 softmax',
    article: { accuracy: 0.867 },
  },
  wide_deep: {
    title: 'Wide & deep',
    description: 'input → Dense 30 relu → Dense 30 relu; concatenate(input, hidden2) → Dense 10 softmax',
    article: { accuracy: 0.859 },
  },
  multi_input: {
    title: 'Wide & deep, two inputs',
    description: 'pixels 0–391 go the wide way, pixels 392–783 the deep way',
    article: {},
  },
  multi_output: {
    title: 'Wide & deep, two inputs, auxiliary output',
    description: 'the same with an auxiliary Dense 10 softmax on hidden2; loss weights 0.7 (main) / 0.3 (aux)',
    article: { loss: 0.4938, main_output_loss: 0.4289, aux_output_loss: 0.6451, main_output_accuracy: 0.8497, aux_output_accuracy: 0.7645 },
  },
  cnn: {
    title: 'CNN',
    description:
      '28×28×1 → Conv 16 3×3 same relu → MaxPool 2 → Conv 32 3×3 same relu → MaxPool 2 → Flatten → Dense 128 relu → Dropout 0.3 → Dense 10 softmax (beyond the article)',
    article: {},
  },
};

/** ' - loss: 0.5123 - accuracy: 0.8214' as Keras prints logs. */
export function formatLogs(logs) {
  // weft's logs carry TensorFlow.js's 'acc' beside Keras's 'accuracy': shown once, as Keras.
  return Object.entries(logs ?? {})
    .filter(([k]) => !(/(^|_)acc$/.test(k) && `${k}uracy` in (logs ?? {})))
    .map(([k, v]) => ` - ${k}: ${Number.isFinite(v) && (Math.abs(v) >= 1e-3 || v === 0) ? v.toFixed(4) : Number(v).toExponential(4)}`)
    .join('');
}

/** Keras's ETA: '2s', '1:05', '1:02:03'. */
function formatEta(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${s}s`;
}

/** Keras's time per step: '1s/step', '12ms/step', '850us/step'. */
function formatPerStep(seconds) {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

/**
 * One Keras progress line: `1719/1719 [==============================] - 3s 1ms/step - loss: …`
 * when `done`, else `1031/1719 [=================>............] - ETA: 2s - loss: …`.
 */
export function progressLine({ step, steps, elapsedMs, logs, done = false, width = 30 }) {
  const digits = String(steps).length;
  const filled = steps > 0 ? Math.floor((width * Math.min(step, steps)) / steps) : width;
  let bar = `${String(step).padStart(digits)}/${steps} [`;
  if (filled > 0) bar += '='.repeat(filled - 1) + (step < steps ? '>' : '=');
  bar += '.'.repeat(width - filled) + ']';
  const seconds = elapsedMs / 1000;
  if (done) return `${bar} - ${Math.round(seconds)}s ${formatPerStep(seconds / Math.max(1, steps))}${formatLogs(logs)}`;
  const eta = step > 0 ? (seconds / step) * (steps - step) : 0;
  return `${bar} - ETA: ${formatEta(eta)}${formatLogs(logs)}`;
}

/** '47s', '3m 05s', '1h 02m'. */
export function formatDuration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 12345 → '12,345'. */
export function thousands(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The results table as rows: one per evaluate number (loss and accuracy; five for the multi-output
 * model), with the article's figure beside it and whether weft matches or beats it (accuracy at
 * least as high, loss at most as high).
 */
export function resultRows(models) {
  const rows = [];
  for (const m of models) {
    const info = MODEL_INFO[m.name] ?? { title: m.name, article: {} };
    m.metricsNames.forEach((metric, i) => {
      const value = m.evaluate[i];
      const article = info.article[metric];
      const better = metric.includes('acc') ? (a, b) => a >= b : (a, b) => a <= b;
      rows.push({
        name: m.name,
        title: info.title,
        first: i === 0,
        span: m.metricsNames.length,
        metric,
        value,
        article: article ?? null,
        meets: article === undefined ? null : better(value, article),
        trainSeconds: m.trainSeconds,
        samplesPerSecond: m.samplesPerSecond,
        dispatchesPerStep: m.dispatchesPerStep,
      });
    });
  }
  return rows;
}

/** The results table as monospaced text lines (for the terminal). */
export function resultTable(models) {
  const header = ['Model', 'Metric', 'weft', 'Article', '', 'Train time', 'Samples/s', 'Dispatches/step'];
  const body = resultRows(models).map((r) => [
    r.first ? r.name : '',
    r.metric,
    r.value.toFixed(4),
    r.article === null ? '—' : r.metric.includes('acc') && r.name !== 'multi_output' ? `${(r.article * 100).toFixed(1)}%` : r.article.toFixed(4),
    r.meets === null ? '' : r.meets ? '✓' : '✗',
    r.first ? formatDuration(r.trainSeconds) : '',
    r.first ? thousands(r.samplesPerSecond) : '',
    r.first ? String(r.dispatchesPerStep) : '',
  ]);
  const rows = [header, ...body];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  const right = new Set([2, 3, 5, 6, 7]);
  const line = (r) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
}
