// Public API of weft (see DESIGN.md, "Public API").
export {};
export * as datasets from './api/datasets/index.js';
