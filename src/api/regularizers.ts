// weft.regularizers with TensorFlow.js's names and defaults (l1, l2, l1l2). Layers refuse them: weft
// does not add weight penalties to the loss yet. They exist so that a TensorFlow.js program that
// builds one (kernelRegularizer: tf.regularizers.l2()) gets the layer's WeftError naming the option,
// not a TypeError on an undefined namespace.

export class Regularizer {
  constructor(
    readonly className: 'L1L2',
    readonly l1: number,
    readonly l2: number,
  ) {}
  getConfig(): { l1: number; l2: number } {
    return { l1: this.l1, l2: this.l2 };
  }
}

export const regularizers = {
  l1: (args: { l1?: number } = {}): Regularizer => new Regularizer('L1L2', args.l1 ?? 0.01, 0),
  l2: (args: { l2?: number } = {}): Regularizer => new Regularizer('L1L2', 0, args.l2 ?? 0.01),
  l1l2: (args: { l1?: number; l2?: number } = {}): Regularizer => new Regularizer('L1L2', args.l1 ?? 0.01, args.l2 ?? 0.01),
};
