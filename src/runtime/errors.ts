// The one error class the runtime throws for conditions a user can act on (no WebGPU, device lost,
// a kernel that does not compile...). `kernel` names the kernel involved, when there is one.
export class WeftError extends Error {
  readonly kernel: string | undefined;
  constructor(message: string, options: { kernel?: string; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'WeftError';
    this.kernel = options.kernel;
  }
}
