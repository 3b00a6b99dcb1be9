// weft for Node (dist/weft.node.js, package.json `exports` condition "node"): the public API of
// src/index.ts, with WebGPU from Dawn (the `webgpu` package) where navigator.gpu is missing,
// file:// model IO (model.save('file://dir'), weft.loadLayersModel('file://dir/model.json')), and
// weft.datasets.loadFashionMnist reading Debian's files.
import './register.js';

export * from '../index.js';
// Shadows the browser's `datasets` of the line above (a module's own export wins over export *).
export * as datasets from './datasets.js';
export { saveModelToDirectory, loadLayersModelFromDirectory, fileSystem } from '../api/io/node.js';
