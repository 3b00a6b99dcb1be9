// Testing switch: run mixed_float16 plans on a device without 'shader-f16' by emulating f16
// storage in f32 (src/wgsl/precision.ts). Off by default; weftTesting turns it on for GPU tests
// and the bench's precision check on SwiftShader. Not part of the public API.

let emulate = false;

export function setF16Emulation(on: boolean): void {
  emulate = on;
}

export function f16Emulation(): boolean {
  return emulate;
}
