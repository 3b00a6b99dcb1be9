// fit's callbacks as one list: each hook called on every callback in order. Epoch and train hooks
// run at a safe point (no pass on the GPU), where a callback may read and replace the weights.

import { Callback, type CallbackHooks, type CallbackModel, type Logs } from './callbacks.js';

export class CallbackList {
  private readonly hooks: CallbackHooks[];

  constructor(
    list: (CallbackHooks | Callback)[],
    model: CallbackModel,
    /** Runs `body` with the model open to getWeights/setWeights (fit is between passes). */
    private readonly atSafePoint: (body: () => Promise<void>) => Promise<void>,
  ) {
    for (const c of list) if (c instanceof Callback) c.setModel(model);
    this.hooks = list as CallbackHooks[];
  }

  private epoch = 0;

  get wantsBatchEnd(): boolean {
    return this.hooks.some((h) => h.onBatchEnd || h.onYield);
  }

  trainBegin(): Promise<void> {
    return this.atSafePoint(async () => {
      for (const h of this.hooks) await h.onTrainBegin?.();
    });
  }

  epochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    return this.atSafePoint(async () => {
      for (const h of this.hooks) await h.onEpochBegin?.(epoch);
    });
  }

  epochEnd(epoch: number, logs: Logs): Promise<void> {
    return this.atSafePoint(async () => {
      for (const h of this.hooks) await h.onEpochEnd?.(epoch, logs);
    });
  }

  trainEnd(): Promise<void> {
    return this.atSafePoint(async () => {
      for (const h of this.hooks) await h.onTrainEnd?.();
    });
  }

  /**
   * Delivered from asynchronous progress readbacks while steps run, so hooks are called at once and
   * not awaited (a throwing hook fails the pass, as before).
   */
  batchEnd(batch: number, logs: Logs): Promise<unknown> {
    return Promise.all(this.hooks.flatMap((h) => [h.onBatchEnd?.(batch, logs), h.onYield?.(this.epoch, batch, logs)]));
  }
}
