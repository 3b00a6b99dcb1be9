// Callbacks and History, as in Keras / TensorFlow.js.

import { fail } from './errors.js';
import type { Tensor } from './tensor.js';

export type Logs = Record<string, number>;

export interface CallbackHooks {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs?: Logs) => void | Promise<void>;
  /** Delivered from asynchronous progress readbacks: `batch` is the last step the readback covers. */
  onBatchEnd?: (batch: number, logs?: Logs) => void | Promise<void>;
  /** TensorFlow.js's hook for giving the page a turn: called with each onBatchEnd delivery. */
  onYield?: (epoch: number, batch: number, logs?: Logs) => void | Promise<void>;
}

/** What a callback may do to the model it is given: stop training, read and replace its weights. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
}

/** A callback that is given the model it watches (earlyStopping, terminateOnNaN). */
export class Callback {
  model: CallbackModel | null = null;
  setModel(model: CallbackModel): void {
    this.model = model;
  }
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  private readonly minDelta: number;
  private readonly patience: number;
  private readonly better: (a: number, b: number) => boolean;
  readonly restoreBestWeights: boolean;
  private wait = 0;
  private best = Infinity;
  bestEpoch = -1;
  stoppedEpoch = -1;
  /** The best epoch's weights (restoreBestWeights); current on the host at every epoch end, so free to read. */
  private bestWeights: Tensor[] | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    const mode = args.mode ?? 'auto';
    const maximize = mode === 'max' || (mode === 'auto' && /acc|accuracy/.test(this.monitor));
    this.better = maximize ? (a, b) => a - this.minDelta > b : (a, b) => a + this.minDelta < b;
    this.best = maximize ? -Infinity : Infinity;
    if (args.baseline !== undefined) this.best = args.baseline;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const value = logs[this.monitor];
    if (value === undefined)
      fail(`earlyStopping: the monitored value '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')}); pass validationData for val_ values`);
    if (this.better(value, this.best)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights && this.model) {
        for (const t of this.bestWeights ?? []) t.dispose();
        this.bestWeights = await this.model.getWeights();
      }
      return;
    }
    this.wait++;
    if (this.wait > this.patience && this.model) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  async onTrainEnd(): Promise<void> {
    if (this.restoreBestWeights && this.bestEpoch >= 0 && this.stoppedEpoch >= 0 && this.bestWeights) this.model?.setWeights(this.bestWeights);
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }
}

export class TerminateOnNaN extends Callback {
  onBatchEnd(_batch: number, logs: Logs = {}): void {
    if (logs.loss !== undefined && !Number.isFinite(logs.loss) && this.model) this.model.stopTraining = true;
  }
  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    if (logs.loss !== undefined && !Number.isFinite(logs.loss) && this.model) this.model.stopTraining = true;
  }
}

export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args),
  terminateOnNaN: (): TerminateOnNaN => new TerminateOnNaN(),
};

export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  params: Record<string, unknown> = {};
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}
