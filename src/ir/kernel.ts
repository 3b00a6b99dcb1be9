// Kernel descriptions: the contract between the compiler (src/ir) and code generation (src/wgsl).
// A compiled step is a list of KernelDesc over a set of named buffers; every operand is a View
// into one of them. Offsets, strides and sizes are compile-time constants (a plan is compiled per
// batch size), so the generated WGSL bakes them in; only per-step values come from the Step uniform.

import type { WindowGeometry } from './ops/window.js';

export type { WindowGeometry };
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
/** Activations that act element by element (softmax works on whole rows). */
export type ElementwiseActivation = Exclude<ActivationName, 'softmax'>;

/**
 * How a buffer's elements are stored. `u8` is packed four to a u32 word, little-endian; `f16` (the
 * arena under mixed precision, src/ir/precision.ts) needs the device's 'shader-f16' feature.
 */
export type ElementType = 'f32' | 'f16' | 'u32' | 'i32' | 'u8';

export interface BufferDecl {
  name: string;
  elementType: ElementType;
  /** Size in elements (for u8: bytes). */
  size: number;
  /** What the buffer holds, for dumps and error messages. */
  role: 'arena' | 'params' | 'weightsHalf' | 'grads' | 'optimizerState' | 'metrics' | 'indices' | 'dataset' | 'labels' | 'output';
}

/**
 * A 2-D window into a buffer: element (r, c) lives at
 *   offset + (rowBaseFromStep ? step.rowBase * (rowsPerSample ?? 1) : 0) * rowStride + r * rowStride + c.
 */
export interface View {
  buffer: string;
  offset: number;
  rowStride: number;
  rows: number;
  cols: number;
  /** Shift the view by the step's first sample (writing predictions for sample rowBase..). */
  rowBaseFromStep?: boolean;
  /** Rows per sample of a shifted view of a rank > 2 value (seen as [batch·t, f]: t); 1 when absent. */
  rowsPerSample?: number;
  /**
   * Rows read from a dataset through the step's sample indices instead of a gathered batch (plan
   * option `gatheredProducts`, plan/foldGather.ts): element (r, c) is
   *   scale × buffer[offset + indices[step.rowBase + r] · rowStride + c].
   * Only a matmul's `a` under the quadTiled variant reads such a view (wgsl/matmulQuad.ts).
   */
  gathered?: GatheredRows;
  /**
   * A row part's view (plan/rowParts.ts): the rows start partRows × the part's index rows further on
   * (rows read by index, as many sample indices further), the part's index being its workgroup's in
   * the row-parts dispatch (WGSL `row_part`, wgsl/group.ts generateRowParts).
   */
  partRows?: number;
}

/** How a view's rows come from a dataset: `indices` names the sample index buffer, `scale` multiplies every value (1/255 for u8 pixels). */
export interface GatheredRows {
  indices: string;
  scale: number;
}

/** Whether two views are the same elements read the same way (shift by the step, rows by index and all). */
export function sameView(a: View, b: View): boolean {
  return (
    a.buffer === b.buffer &&
    a.offset === b.offset &&
    a.rowStride === b.rowStride &&
    a.rows === b.rows &&
    a.cols === b.cols &&
    !!a.rowBaseFromStep === !!b.rowBaseFromStep &&
    (a.rowsPerSample ?? 1) === (b.rowsPerSample ?? 1) &&
    a.gathered?.indices === b.gathered?.indices &&
    a.gathered?.scale === b.gathered?.scale &&
    a.partRows === b.partRows
  );
}

/** Whether two products read the same op(A) over the same K: one view, transposed alike, the same rows of ones. */
export function sameOperandA(x: MatmulKernel, y: MatmulKernel): boolean {
  const rowsOfA = (d: MatmulKernel): number => (d.aOnesRow ? d.m - 1 : d.m);
  return x.transA === y.transA && x.k === y.k && rowsOfA(x) === rowsOfA(y) && sameView(x.a, y.a);
}

/**
 * Whether two kernels are products over the same rows read by index (View.gathered): one kernel can
 * compute both and load those rows once (src/wgsl/sharedOperand.ts), so the dispatch planner tries to put
 * them side by side (plan/dispatchGroups.ts sharingGroups).
 */
export function readSameRows(x: KernelDesc, y: KernelDesc): boolean {
  return x.kind === 'matmul' && y.kind === 'matmul' && !!x.a.gathered && sameOperandA(x, y);
}

/** Whether reading `view` needs the Step uniform (a rowBase shift or rows picked by the step's indices). */
export function viewUsesStep(view: View): boolean {
  return !!view.rowBaseFromStep || !!view.gathered;
}

/** The buffers reading `view` touches: its own, and the index buffer of gathered rows. */
export function viewBuffers(view: View): string[] {
  return view.gathered ? [view.buffer, view.gathered.indices] : [view.buffer];
}

/**
 * Per-step values, one 256-byte record per step in a uniform buffer bound with a dynamic offset. `rows`:
 * the samples in the step's batch — a pass's short last batch runs on the plan made for its full batches
 * (plan/paddedBatches.ts), and the loss heads (LossHeadKernel.maskRows) mask the rows past it.
 */
export const STEP_UNIFORM_FIELDS = ['rowBase', 't', 'learningRate', 'beta1Power', 'beta2Power', 'seed', 'rows'] as const;
export const STEP_RECORD_BYTES = 256;

export interface GatherSource {
  /** Dataset buffer holding `datasetRows × cols` samples, row-major. */
  dataset: string;
  elementType: 'f32' | 'u8';
  /** Multiplies every gathered value (1/255 for u8 pixels, 1 for f32). */
  scale: number;
  /** Destination; `out.cols` is the dataset's feature count, `out.rows` the batch size. */
  out: View;
}

/** out[r, :] = scale * dataset[indices[step.rowBase + r], :] for every source, in one dispatch. */
export interface GatherKernel {
  kind: 'gather';
  name: string;
  indices: string;
  rows: number;
  sources: GatherSource[];
  /** In a row part of this many rows (plan/rowParts.ts): row r's sample is indices[step.rowBase + part · partRows + r]. */
  partRows?: number;
}

/**
 * out = epilogue(op(A) · op(B)), op(A) is M×K and op(B) is K×N.
 * - transA: op(A)[m,k] = A[k,m] (A is K×M) else A[m,k] (A is M×K); likewise transB (B is N×K when set).
 * - aOnesRow: op(A) has one more row of ones at the bottom (M = A's M + 1), so the last output
 *   row is the column sum of op(B): this is how a bias gradient rides with its weight gradient.
 * Epilogue, in this order: + bias[0, n]; activation; × activation'(y[m, n]) written in terms of the
 * activation's output y (relu: y>0, sigmoid: y(1-y), tanh: 1-y²); then store or add into out.
 */
export interface MatmulKernel {
  kind: 'matmul';
  name: string;
  m: number;
  n: number;
  k: number;
  a: View;
  b: View;
  transA: boolean;
  transB: boolean;
  aOnesRow?: boolean;
  bias?: View;
  activation?: ElementwiseActivation;
  gradMask?: { activation: ElementwiseActivation; y: View };
  accumulate?: boolean;
  out: View;
  /**
   * The output is a weight gradient that is not stored: the epilogue applies the optimizer to the
   * parameter it belongs to instead (planner pass plan/fuseOptimizerUpdates.ts).
   */
  update?: FusedUpdate;
}

/**
 * The optimizer step applied in a weight-gradient kernel's epilogue, element by element: `out` is a
 * view of the gradient buffer, laid out like `params`, so output element e (out's element index) is
 * the gradient g of params[e]; the kernel updates params[e] and state[s · stateStride + e] as
 * OptimizerKernel does (penalty terms covering e add their gradient first) and writes no gradient.
 */
export interface FusedUpdate {
  algorithm: OptimizerAlgorithm;
  params: string;
  state?: string;
  stateStride: number;
  penalties?: PenaltyTerm[];
  /** Mixed precision: the f16 copy of `params` the kernels read, refreshed with each updated element. */
  halfCopy?: string;
}

/**
 * A convolution as an implicit GEMM (no im2col buffer), channels last, over `geometry`:
 * - forward: out[(b,oy,ox), co] = epilogue(Σ_{ky,kx,ci} a[(b,iy,ix), ci] · b[(ky,kx,ci), co]),
 *   iy = oy·strideH + ky − padTop, ix likewise, taps outside the input skipped; a = x, b = filter.
 * - inputGrad: out[(b,iy,ix), ci] = epilogue(Σ over the taps reaching (iy, ix) of a[(b,oy,ox), co] · b[(ky,kx,ci), co]); a = dy, b = filter.
 * - filterGrad: out[(ky,kx,ci), co] = epilogue(Σ_{b,oy,ox} a[(b,iy,ix), ci] · b[(b,oy,ox), co]); a = x, b = dy;
 *   with aOnesRow one more row out[kh·kw·inC, co] = Σ b[·, co] (the bias gradient riding along).
 * Rows of image views are (b, y, x) pixels, columns channels. The epilogue is matmul's: + bias[0, n],
 * activation, × activation'(gradMask.y[m, n]), then store or add into out.
 */
export interface Conv2dKernel {
  kind: 'conv2d';
  name: string;
  pass: 'forward' | 'inputGrad' | 'filterGrad';
  geometry: WindowGeometry;
  inC: number;
  outC: number;
  a: View;
  b: View;
  aOnesRow?: boolean;
  bias?: View;
  activation?: ElementwiseActivation;
  gradMask?: { activation: ElementwiseActivation; y: View };
  accumulate?: boolean;
  out: View;
}

/**
 * Pooling over `geometry`, channel by channel, views as for conv2d:
 * - forward (no dy): out[(b,oy,ox), c] = max, or mean over the taps inside the input, of the window.
 * - gradient (dy given): out[(b,iy,ix), c] = Σ over the windows containing (iy, ix) of dy[(b,oy,ox), c]
 *   / taps (avg), or of dy where (iy, ix) is the window's first maximum in row-major scan order (max).
 */
export interface Pool2dKernel {
  kind: 'pool2d';
  name: string;
  mode: 'max' | 'avg';
  geometry: WindowGeometry;
  channels: number;
  x: View;
  dy?: View;
  /** Gradient only: × activation'(y) element by element (matmul's gradMask). */
  gradMask?: { activation: ElementwiseActivation; y: View };
  accumulate?: boolean;
  out: View;
}

export type ElementwiseExpr =
  | { op: 'read'; view: View; broadcastRows?: boolean }
  | { op: 'const'; value: number }
  | { op: 'add' | 'sub' | 'mul'; a: ElementwiseExpr; b: ElementwiseExpr }
  | { op: 'activation'; activation: ElementwiseActivation; x: ElementwiseExpr }
  /** dy × activation'(y), with y the activation's output. */
  | { op: 'activationGrad'; activation: ElementwiseActivation; y: ElementwiseExpr; dy: ElementwiseExpr }
  /**
   * x × (kept ? 1/(1−rate) : 0), kept when hash32(step.seed ^ hash32(salt + (r·cols + c)·0x9e3779b9))
   * ≥ floor(rate·2³²) (u32 arithmetic, wrapping; hash32 and the threshold as in src/ir/dropoutMask.ts;
   * cols = the kernel's cols). Reads the Step uniform.
   */
  | { op: 'dropout'; x: ElementwiseExpr; rate: number; salt: number }
  /** 1 / sqrt(x + epsilon). */
  | { op: 'rsqrt'; x: ElementwiseExpr; epsilon: number };

/** out[r, c] (+)= expr(r, c) for r < rows, c < cols. */
export interface ElementwiseKernel {
  kind: 'elementwise';
  name: string;
  rows: number;
  cols: number;
  expr: ElementwiseExpr;
  accumulate?: boolean;
  out: View;
  /**
   * In a row part of this many rows (plan/rowParts.ts): dropout draws by the element's index in the
   * whole batch, part · partRows · cols further on, so the mask is the unsplit kernel's.
   */
  partRows?: number;
}

/** Row-wise softmax (grad: false) or its vector-Jacobian product dx = y ⊙ (dy − Σ dy⊙y) (grad: true). */
export interface SoftmaxRowsKernel {
  kind: 'softmaxRows';
  name: string;
  x: View;
  dy?: View;
  out: View;
  accumulate?: boolean;
}

/** out[0, c] (+)= Σ_r x[r, c]. */
export interface ColumnSumKernel {
  kind: 'columnSum';
  name: string;
  x: View;
  out: View;
  accumulate?: boolean;
}

/** Losses that are a mean over the last axis of an element-wise function of prediction and target. */
export type PointwiseLossKind = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossEntropy';
export type LossKind = 'softmaxCrossEntropy' | 'sigmoidCrossEntropy' | PointwiseLossKind;
export type MetricKind = 'sparseCategoricalAccuracy' | 'categoricalAccuracy' | 'binaryAccuracy' | 'meanSquaredError' | 'meanAbsoluteError';

/**
 * One output head in one single-workgroup dispatch: per-row loss, its gradient, and metrics.
 * - input: logits for softmaxCrossEntropy (prediction p = softmax(input)) and sigmoidCrossEntropy
 *   (p = sigmoid(input)), else the prediction p.
 * - target: sparse class ids read as labels[indices[step.rowBase + r]], or a dense view.
 * - per-row loss L_r: softmaxCrossEntropy: logsumexp(z) − Σ_j t_j z_j (t one-hot when sparse);
 *   sigmoidCrossEntropy: mean_j max(z,0) − z t + log(1 + e^−|z|);
 *   binaryCrossEntropy: mean_j −(t log q + (1−t) log(1−q)), q = clamp(p, 1e-7, 1 − 1e-7);
 *   meanSquaredError: mean_j (p−t)²; meanAbsoluteError: mean_j |p−t|.
 * - metrics[lossSlot] += Σ_r L_r; metrics[m.slot] += Σ_r metricValue_r for each metric, where the
 *   metric value is computed on p: accuracy = 1/0 (argmax, first index on ties; binary: mean_j of
 *   (p>0.5)==(t>0.5)), mse/mae as above.
 * - gradOut (training only): dL_r/dinput × gradScale (gradScale = lossWeight / batch).
 *   softmaxCrossEntropy: (softmax(z) − t) × gradScale; sigmoidCrossEntropy: (sigmoid(z) − t)/cols ×
 *   gradScale; binaryCrossEntropy: (q − t)/(q(1−q))/cols × gradScale where p lies in [1e-7, 1 − 1e-7],
 *   else 0; mse: 2(p−t)/cols × gradScale; mae: sign(p−t)/cols × gradScale.
 * - predictionOut (optional): p written per row (predict and evaluate).
 */
/** A weight penalty over params[offset, offset + count): Σ l1·|w| + l2·w². */
export interface PenaltyTerm {
  offset: number;
  count: number;
  l1: number;
  l2: number;
}

export interface LossHeadKernel {
  kind: 'lossHead';
  name: string;
  loss: LossKind;
  rows: number;
  cols: number;
  input: View;
  target: { sparse: true; labels: string; indices: string } | { sparse: false; view: View };
  gradOut?: View;
  gradScale: number;
  /**
   * Per-sample weights (classWeight) read as weights[indices[step.rowBase + r]]: the loss slot sums
   * w_r L_r and the gradient is w_r × dL_r/dinput × gradScale; metrics stay unweighted (TensorFlow.js).
   */
  sampleWeights?: { weights: string; indices: string };
  metricsBuffer: string;
  /**
   * In a row part (plan/rowParts.ts): row r's sample index is indices[step.rowBase + part · rows + r]
   * (sparse labels, sample weights) and the sums go to slots + part · slots (the part's copy).
   */
  rowPart?: { rows: number; slots: number };
  /**
   * Training with regularized weights: metrics[slot] += rows × Σ_terms Σ_i l1·|w_i| + l2·w_i² over
   * `params` (one head per plan carries it; the weights are those before this step's update).
   */
  penalty?: { slot: number; params: string; terms: PenaltyTerm[] };
  /**
   * Rows from step.rows on (in samples; in a row part counted from the batch's first row) are padding:
   * a short batch run on a plan made for `batch` samples. Their loss and metrics are left out, their
   * gradient rows are zero, and the live rows' gradient is scaled for step.rows samples instead of
   * `batch` (gradScale × batch ÷ step.rows: Keras's mean over the short batch).
   */
  maskRows?: { batch: number };
  lossSlot: number;
  metrics: { kind: MetricKind; slot: number }[];
  predictionOut?: View;
}

export type OptimizerAlgorithm =
  | { kind: 'sgd' }
  | { kind: 'momentum'; momentum: number; nesterov: boolean }
  | { kind: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { kind: 'rmsprop'; decay: number; momentum: number; epsilon: number; centered: boolean }
  | { kind: 'adagrad'; epsilon: number };

/** Dropout: elements whose 32-bit draw is below this threshold are dropped. */
export function dropoutThreshold(rate: number): number {
  return Math.min(4294967295, Math.floor(rate * 4294967296));
}

/** Number of optimizer state arrays (each `count` long: Adam's m and v, …) an algorithm keeps. */
export function optimizerStateArrays(algorithm: OptimizerAlgorithm): number {
  switch (algorithm.kind) {
    case 'sgd':
      return 0;
    case 'momentum':
      return 1;
    case 'adam':
      return 2;
    case 'rmsprop':
      return algorithm.centered ? 3 : 2;
    case 'adagrad':
      return 1;
    default:
      return algorithm satisfies never;
  }
}

/**
 * Elements a training plan gives the parameters, their gradients and each optimizer state array: the
 * parameter count rounded up to a multiple of 4 (zeros past the last parameter), so that the
 * optimizer updates four parameters per vec4 load and store.
 */
export function paddedParamCount(count: number): number {
  return Math.ceil(Math.max(1, count) / 4) * 4;
}

/**
 * Updates every parameter in one dispatch (TensorFlow.js semantics), g = grads[i], p = params[i],
 * state array s of element i at state[s * stateStride + i], lr = step.learningRate:
 * - sgd: p −= lr g
 * - momentum: a = momentum a + g; p −= lr (nesterov ? g + momentum a : a)
 * - adam: m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
 *   p −= lr (m / (1 − step.beta1Power)) / (sqrt(v / (1 − step.beta2Power)) + ε)
 * - rmsprop (not centered): ms = decay ms + (1−decay) g²; mom = momentum mom + lr g / sqrt(ms + ε); p −= mom
 *   centered: mg = decay mg + (1−decay) g; mom = momentum mom + lr g / sqrt(ms − mg² + ε); p −= mom
 *   (state arrays: ms, mom, mg)
 * - adagrad: acc += g²; p −= lr g / sqrt(acc + ε)  (state initialised by the runtime)
 * Updating four at a time, the last vec4 takes g = 0 past `count`: every rule then leaves the padding (zeros
 * in the parameters and the state, as plans create it) as it is.
 */
export interface OptimizerKernel {
  kind: 'optimizer';
  name: string;
  algorithm: OptimizerAlgorithm;
  count: number;
  params: string;
  grads: string;
  /** Buffer of the optimizer's state arrays (none for plain sgd). */
  state?: string;
  /** Elements from one state array to the next (default `count`; plans use paddedParamCount(count)). */
  stateStride?: number;
  /** Mixed precision: an f16 buffer laid out like `params` that receives f16(param) after each update (the kernels' weights). */
  halfCopy?: string;
  /**
   * Regularized (trainable) weights: g += 2·l2·p + l1·(p > 0 ? 1 : −1) over each term's range before the
   * update (TensorFlow.js's gradient of abs, −1 at 0 included).
   */
  penalties?: PenaltyTerm[];
}

/**
 * What code generation knows about a kernel's generated code that decides whether it can share a
 * module (src/wgsl fills these in; src/ir/plan/dispatchGroups.ts decides).
 */
export interface DispatchTraits {
  /** A 1-D workgroup size, or null when the code cannot be combined (no module pieces, 3-D size). */
  workgroupSize: number | null;
  /** Whether the code synchronises its workgroup (it then cannot run in a wider workgroup). */
  usesBarrier: boolean;
  workgroups: [number, number, number];
  /** Storage buffers the module declares. */
  buffers: { name: string; ident: string; vec4: boolean; readWrite: boolean }[];
}

export type KernelDesc =
  | GatherKernel
  | MatmulKernel
  | ElementwiseKernel
  | SoftmaxRowsKernel
  | ColumnSumKernel
  | LossHeadKernel
  | OptimizerKernel
  | Conv2dKernel
  | Pool2dKernel;

/** What a kernel reads from the Step uniform, so the runtime knows whether to bind it. */
export function kernelUsesStep(kernel: KernelDesc): boolean {
  switch (kernel.kind) {
    case 'gather':
    case 'optimizer':
      return true;
    case 'lossHead':
      return (
        kernel.target.sparse || !!kernel.sampleWeights || !!kernel.maskRows || !!kernel.predictionOut?.rowBaseFromStep || viewsOf(kernel).some(viewUsesStep)
      );
    case 'elementwise':
      return viewsOf(kernel).some(viewUsesStep) || expressionUsesDropout(kernel.expr);
    case 'matmul':
      return !!kernel.update || viewsOf(kernel).some(viewUsesStep);
    case 'softmaxRows':
    case 'columnSum':
    case 'conv2d':
    case 'pool2d':
      return viewsOf(kernel).some(viewUsesStep);
    default:
      return kernel satisfies never;
  }
}

/** Every view a kernel touches (reads and writes). */
export function viewsOf(kernel: KernelDesc): View[] {
  switch (kernel.kind) {
    case 'gather':
      return kernel.sources.map((s) => s.out);
    case 'matmul':
      return [kernel.a, kernel.b, kernel.out, ...(kernel.bias ? [kernel.bias] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])];
    case 'elementwise': {
      const views: View[] = [kernel.out];
      const visit = (e: ElementwiseExpr): void => {
        switch (e.op) {
          case 'read':
            views.push(e.view);
            return;
          case 'const':
            return;
          case 'add':
          case 'sub':
          case 'mul':
            visit(e.a);
            visit(e.b);
            return;
          case 'activation':
          case 'dropout':
          case 'rsqrt':
            visit(e.x);
            return;
          case 'activationGrad':
            visit(e.y);
            visit(e.dy);
            return;
          default:
            return e satisfies never;
        }
      };
      visit(kernel.expr);
      return views;
    }
    case 'softmaxRows':
      return [kernel.x, kernel.out, ...(kernel.dy ? [kernel.dy] : [])];
    case 'columnSum':
      return [kernel.x, kernel.out];
    case 'lossHead':
      return [
        kernel.input,
        ...(kernel.target.sparse ? [] : [kernel.target.view]),
        ...(kernel.gradOut ? [kernel.gradOut] : []),
        ...(kernel.predictionOut ? [kernel.predictionOut] : []),
      ];
    case 'optimizer':
      return [];
    case 'conv2d':
      return [kernel.a, kernel.b, kernel.out, ...(kernel.bias ? [kernel.bias] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])];
    case 'pool2d':
      return [kernel.x, kernel.out, ...(kernel.dy ? [kernel.dy] : []), ...(kernel.gradMask ? [kernel.gradMask.y] : [])];
    default:
      return kernel satisfies never;
  }
}

/** Whether an elementwise expression draws a dropout mask (by element index and the step's seed). */
export function expressionUsesDropout(e: ElementwiseExpr): boolean {
  switch (e.op) {
    case 'dropout':
      return true;
    case 'read':
    case 'const':
      return false;
    case 'add':
    case 'sub':
    case 'mul':
      return expressionUsesDropout(e.a) || expressionUsesDropout(e.b);
    case 'activation':
    case 'rsqrt':
      return expressionUsesDropout(e.x);
    case 'activationGrad':
      return expressionUsesDropout(e.y) || expressionUsesDropout(e.dy);
    default:
      return e satisfies never;
  }
}
