// The shape of a quadTiled kernel (matmulQuad.ts; conv2dQuad.ts takes the block and workgroup size):
// plain types, apart from the generators, so that GenerateOptions (views.ts, which the generators
// import) can name them.

/** Rows R × column groups Cl of a quad's block (the quad covers R × 4·Cl outputs; see QuadLanes). */
export type QuadBlock = [number, number];

/** How a quad hands round the values it shares: quadBroadcast, or quad swaps (see matmulQuad.ts). */
export type QuadSharing = 'broadcast' | 'swap';

/**
 * 'columns': the quad's lanes own columns of the output and share op(A)'s rows (block R × Cl: R
 * rows × Cl groups of 4 columns); 'rows': they own rows and share op(B)'s columns (block R × Cl:
 * R groups of 4 rows × Cl columns) — for outputs a few columns wide, where groups of 4 columns
 * would compute columns that are not there.
 */
export type QuadLanes = 'columns' | 'rows';

/** A quadTiled kernel's shape: the block, invocations per workgroup, and (matmul) the sharing (default 'broadcast') and lanes (default 'columns'). */
export interface QuadChoice {
  block: QuadBlock;
  workgroupSize: number;
  sharing?: QuadSharing;
  /** Which of op(A)'s rows or op(B)'s columns each lane owns (default 'columns'). */
  lanes?: QuadLanes;
}
