// file:// URLs for save and loadLayersModel. Only a host with a file system handles them: the Node
// entry registers src/api/io/node.ts's fileSystem handler; in a browser there is none.
import type { IOHandler } from './types.js';

let makeHandler: ((path: string) => IOHandler) | null = null;

/** Registers how file:// paths become IOHandlers (called by the Node entry). */
export function setFileSystemHandler(make: ((path: string) => IOHandler) | null): void {
  makeHandler = make;
}

/**
 * The IOHandler for a file:// URL ('file://dir' is relative to the working directory,
 * 'file:///abs/dir' absolute, as TensorFlow.js's tfjs-node), or null without a file system.
 */
export function fileSchemeHandler(url: string): IOHandler | null {
  if (!makeHandler) return null;
  return makeHandler(decodeURI(url.slice('file://'.length)));
}
