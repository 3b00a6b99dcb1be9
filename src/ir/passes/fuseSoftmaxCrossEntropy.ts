// crossEntropy(softmax(z)) → softmaxCrossEntropy(z): the loss is computed from the logits with
// log-sum-exp, which stays finite for any logits, and its gradient is softmax(z) − t.

import { copyNode, rebuild } from '../builder.js';
import type { IrGraph } from '../graph.js';

export function fuseSoftmaxCrossEntropy(graph: IrGraph): IrGraph {
  return rebuild(graph, (node, builder) => {
    if (node.op === 'crossEntropy') {
      const probs = builder.nodes[node.probs]!;
      if (probs.op === 'activation' && probs.activation === 'softmax')
        return builder.add({ op: 'softmaxCrossEntropy', logits: probs.x, target: node.target, sparse: node.sparse }, node.label);
    }
    return copyNode(node, builder);
  });
}
