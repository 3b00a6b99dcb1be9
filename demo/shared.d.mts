// Types for demo/shared.mjs.
export type ModelKey = 'mlp' | 'wide_deep' | 'multi_input' | 'multi_output' | 'cnn';
export type Logs = Record<string, number>;

export declare const MODEL_KEYS: ModelKey[];
export declare const MODEL_INFO: Record<ModelKey, { title: string; description: string; article: Record<string, number> }>;

export declare function formatLogs(logs: Logs | undefined): string;
export declare function progressLine(args: { step: number; steps: number; elapsedMs: number; logs?: Logs; done?: boolean; width?: number }): string;
export declare function formatDuration(seconds: number): string;
export declare function thousands(n: number): string;

/** What resultRows / resultTable need of each model's result. */
export interface ModelScore {
  name: string;
  metricsNames: string[];
  evaluate: number[];
  trainSeconds: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
}

export interface ResultRow {
  name: string;
  title: string;
  first: boolean;
  span: number;
  metric: string;
  value: number;
  article: number | null;
  meets: boolean | null;
  trainSeconds: number;
  samplesPerSecond: number;
  dispatchesPerStep: number;
}
export declare function resultRows(models: ModelScore[]): ResultRow[];
export declare function resultTable(models: ModelScore[]): string[];
