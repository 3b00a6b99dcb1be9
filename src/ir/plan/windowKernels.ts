// Kernel rules of the windowed ops: convolutions become implicit-GEMM conv2d kernels (their epilogue
// as matmul's), pooling and its gradient pool2d kernels.

import type { IrGraph, MatmulEpilogue, NodeOf, ValueId } from '../graph.js';
import type { Conv2dKernel, KernelDesc, View } from '../kernel.js';
import { imageGeometry } from '../ops/windowOps.js';
import { colsOf } from '../shape.js';

type WindowNode = NodeOf<'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad' | 'pool2d' | 'pool2dGrad'>;

function epilogueFields(e: MatmulEpilogue | undefined, view: (id: ValueId) => View): Partial<Conv2dKernel> {
  if (!e) return {};
  return {
    ...(e.aOnesRow ? { aOnesRow: true } : {}),
    ...(e.bias !== undefined ? { bias: view(e.bias) } : {}),
    ...(e.activation ? { activation: e.activation } : {}),
    ...(e.gradMask ? { gradMask: { activation: e.gradMask.activation, y: view(e.gradMask.y) } } : {}),
    ...(e.accumulate !== undefined ? { accumulate: true } : {}),
  };
}

export function windowKernelFor(node: WindowNode, name: string, view: (id: ValueId) => View, graph: IrGraph): KernelDesc {
  const shapeOf = (id: ValueId): number[] => graph.nodes[id]!.shape;
  switch (node.op) {
    case 'conv2d': {
      const x = shapeOf(node.x);
      const geometry = imageGeometry(node.op, node.window, x);
      return {
        kind: 'conv2d',
        name,
        pass: 'forward',
        geometry,
        inC: colsOf(x),
        outC: colsOf(node.shape),
        a: view(node.x),
        b: view(node.filter),
        ...epilogueFields(node.epilogue, view),
        out: view(node.id),
      };
    }
    case 'conv2dInputGrad': {
      const geometry = imageGeometry(node.op, node.window, node.inputShape);
      return {
        kind: 'conv2d',
        name,
        pass: 'inputGrad',
        geometry,
        inC: colsOf(node.inputShape),
        outC: colsOf(shapeOf(node.dy)),
        a: view(node.dy),
        b: view(node.filter),
        ...epilogueFields(node.epilogue, view),
        out: view(node.id),
      };
    }
    case 'conv2dFilterGrad': {
      const x = shapeOf(node.x);
      const geometry = imageGeometry(node.op, node.window, x);
      return {
        kind: 'conv2d',
        name,
        pass: 'filterGrad',
        geometry,
        inC: colsOf(x),
        outC: colsOf(node.shape),
        a: view(node.x),
        b: view(node.dy),
        ...epilogueFields(node.epilogue, view),
        out: view(node.id),
      };
    }
    case 'pool2d':
    case 'pool2dGrad': {
      // One kernel kind for both: the gradient reads dy as well.
      const x = shapeOf(node.x);
      return {
        kind: 'pool2d',
        name,
        mode: node.mode,
        geometry: imageGeometry(node.op, node.window, x),
        channels: colsOf(x),
        x: view(node.x),
        ...(node.op === 'pool2dGrad' ? { dy: view(node.dy) } : {}),
        ...(node.op === 'pool2dGrad' && node.gradMask ? { gradMask: { activation: node.gradMask.activation, y: view(node.gradMask.y) } } : {}),
        out: view(node.id),
      };
    }
    default:
      return node satisfies never;
  }
}
