// weft.datasets in Node: the browser's, except that loadFashionMnist reads files (Debian's
// dataset-fashion-mnist by default) unless given an http(s) baseUrl.
import { loadFashionMnist as fetchFashionMnist, type FashionMnist, type LoadFashionMnistOptions } from '../api/datasets/fashionMnist.js';
import { FASHION_MNIST_DEFAULT_DIR, loadFashionMnistFromDir } from '../api/datasets/fashionMnistNode.js';
import { WeftError } from '../api/errors.js';

export * from '../api/datasets/index.js';
export { FASHION_MNIST_DEFAULT_DIR, loadFashionMnistFromDir };

export interface LoadFashionMnistNodeOptions extends LoadFashionMnistOptions {
  /** Folder of the four .gz files; default /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). */
  dir?: string;
  /** An http(s) URL of that folder instead (fetched, as in the browser); a path is taken as `dir`. */
  baseUrl?: string;
}

/** Loads Fashion-MNIST from a folder (or an http(s) URL), split 55,000 / 5,000 / 10,000. */
export async function loadFashionMnist(options: LoadFashionMnistNodeOptions = {}): Promise<FashionMnist> {
  const { dir, baseUrl, ...rest } = options;
  if (baseUrl && /^https?:\/\//i.test(baseUrl)) return fetchFashionMnist({ ...rest, baseUrl });
  try {
    return await loadFashionMnistFromDir(dir ?? baseUrl ?? FASHION_MNIST_DEFAULT_DIR, rest);
  } catch (e) {
    throw new WeftError((e as Error).message, { cause: e });
  }
}
