// Products over one op(A) in one dispatch, generated as one kernel (matmulQuad.ts quadTiledSharingA):
// wide & deep's first layer X·W₁ and its output layer's input part X·W_a read the same batch rows from
// the dataset by index, and so do their weight gradients Xᵀ·dH₁ and Xᵀ·dZ. Side by side as two kernels
// each gathers and unpacks X; as one, X is loaded once for the columns of both (measured on SwiftShader,
// bench/shared-operand.mjs: the two weight gradients at b32 0.48 ms as one kernel against 0.71 as two; the
// forward products from level at b32 to 0.85× at b128; wide & deep b32 fit 1.14×, bench/README.md).
import { readSameRows, type BufferDecl, type KernelDesc, type MatmulKernel } from '../ir/kernel.js';
import { prepare } from './matmulCommon.js';
import { MAX_QUAD_COLUMN_GROUPS, columnGroups, quadTiledSharingA } from './matmulQuad.js';
import { BufferSet, KernelCodegenError, type GeneratedKernel } from './views.js';

/** What joins the names of products computed by one kernel (' | ' joins kernels side by side, ' → ' chained stages). */
export const SHARED_A_JOIN = ' & ';

/**
 * Splits the kernels of one dispatch (a horizontal group: they touch disjoint memory) into the sets
 * that one kernel computes: products whose op(A) is the same rows read by index (View.gathered, where
 * A's loads are what a product of a few columns pays for), as many as fit in one quad block's column
 * groups (MAX_QUAD_COLUMN_GROUPS), and every other kernel on its own. Indices into `kernels`, each set
 * in order, the sets in the order of their first kernel. Only the quadTiled variant reads gathered rows.
 */
export function productsSharingA(kernels: readonly KernelDesc[]): number[][] {
  const sets: { indices: number[]; groups: number }[] = [];
  kernels.forEach((k, index) => {
    if (k.kind !== 'matmul' || !k.a.gathered) {
      sets.push({ indices: [index], groups: Infinity });
      return;
    }
    const groups = columnGroups(k.n);
    const joins = sets.find((s) => {
      const lead = kernels[s.indices[0]!]!;
      return s.groups + groups <= MAX_QUAD_COLUMN_GROUPS && readSameRows(lead, k);
    });
    if (joins) {
      joins.indices.push(index);
      joins.groups += groups;
    } else sets.push({ indices: [index], groups });
  });
  return sets.map((s) => s.indices);
}

/**
 * One quadTiled kernel computing every product in `descs` (a set of two or more from productsSharingA);
 * `blockRowsFor`: the rows its block is chosen for, when not the products' own (a row part's).
 */
export function generateProductsSharingA(descs: readonly MatmulKernel[], decls: Record<string, BufferDecl>, blockRowsFor?: number): GeneratedKernel {
  const name = descs.map((d) => d.name).join(SHARED_A_JOIN);
  if (descs.length < 2) throw new KernelCodegenError(name, "products sharing op(A) are two or more (one product is generateKernel's)");
  const buffers = new BufferSet(name, decls);
  return quadTiledSharingA(
    descs.map((d) => prepare(d, decls, buffers)),
    name,
    blockRowsFor,
  );
}
