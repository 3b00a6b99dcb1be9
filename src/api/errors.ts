// Errors meant for people: each names the layer, input or output at fault and says what to do.
// One error class for the whole library (defined with the runtime, which api imports).

import { WeftError } from '../runtime/errors.js';

export { WeftError };

export function fail(message: string): never {
  throw new WeftError(message);
}
