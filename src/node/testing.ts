// The GPU tests' internals for Node (dist/weft-testing.node.js): src/testing.ts with Dawn registered.
import './register.js';

export * from '../testing.js';
