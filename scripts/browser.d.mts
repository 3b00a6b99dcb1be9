// Types for scripts/browser.mjs (plain JS so that .mjs runners can use it too).
import type { Browser, Page } from 'puppeteer';

export declare const DATASET_DIR: string;
export declare const DEFAULT_BROWSER: string;
export declare function browserExecutable(env?: NodeJS.ProcessEnv): string;
export declare function wantsRealGpu(env?: NodeJS.ProcessEnv): boolean;
export declare function chromiumArgs(env?: NodeJS.ProcessEnv): string[];

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  baseUrl: string;
  close(): Promise<void>;
}
export declare function startServer(options: { repoRoot: string; indexHtml: string; datasetDir?: string; port?: number; host?: string }): Promise<StaticServer>;

export interface LaunchedBrowser {
  browser: Browser;
  executablePath: string;
  args: string[];
  close(): Promise<void>;
}
export declare function launchBrowser(options?: { headless?: boolean; protocolTimeout?: number }): Promise<LaunchedBrowser>;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  isFallback: boolean;
}
export declare function describeAdapter(page: Page): Promise<AdapterDescription>;
export declare function adapterLine(info: AdapterDescription): string;
