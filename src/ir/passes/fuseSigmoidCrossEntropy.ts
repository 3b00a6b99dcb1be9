// binaryCrossEntropy(sigmoid(z)) → sigmoidCrossEntropy(z): the loss is computed from the logits as
// max(z, 0) − z·t + log(1 + e^−|z|), finite for any logit, and its gradient is (sigmoid(z) − t)/cols.

import { copyNode, rebuild } from '../builder.js';
import type { IrGraph } from '../graph.js';

export function fuseSigmoidCrossEntropy(graph: IrGraph): IrGraph {
  return rebuild(graph, (node, builder) => {
    if (node.op === 'pointwiseLoss' && node.loss === 'binaryCrossEntropy') {
      const probs = builder.nodes[node.pred]!;
      if (probs.op === 'activation' && probs.activation === 'sigmoid')
        return builder.add({ op: 'sigmoidCrossEntropy', logits: probs.x, target: node.target }, node.label);
    }
    return copyNode(node, builder);
  });
}
