// Finding a Vulkan loader and driver for Dawn on Linux, before the `webgpu` package makes its
// instance. Dawn dlopens "libvulkan.so.1" and the loader reads VK_ICD_FILENAMES / VK_DRIVER_FILES
// when the instance is made, so both can be arranged from inside this process:
//   - driver: WEFT_VK_ICD, else VK_ICD_FILENAMES / VK_DRIVER_FILES as given, else the system's
//     manifests (icd.d folders: a real GPU's driver, or Mesa's lavapipe), else Chromium's SwiftShader;
//   - loader: the system's libvulkan.so.1 (Debian: libvulkan1), else the copy Chromium ships beside
//     its SwiftShader, preloaded so Dawn's dlopen by name finds it already in the process.
import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

/** Chromium's SwiftShader Vulkan driver manifest (Debian's chromium package; others as they ship it). */
export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/** Where the Vulkan loader looks for driver manifests when no variable names one. */
export const SYSTEM_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib'];

export type DriverChoice =
  | { kind: 'named'; variable: string; files: string }
  | { kind: 'system'; manifests: string[] }
  | { kind: 'swiftshader'; icd: string }
  | { kind: 'none' };

type Env = Record<string, string | undefined>;

function manifestsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The SwiftShader manifest on this machine, or null. */
export function findSwiftShader(exists: (p: string) => boolean = existsSync): string | null {
  return SWIFTSHADER_ICDS.find((p) => exists(p)) ?? null;
}

/** Which Vulkan driver the loader should use (nothing is changed here). */
export function chooseDriver(
  env: Env = process.env,
  listDir: (d: string) => string[] = manifestsIn,
  exists: (p: string) => boolean = existsSync,
): DriverChoice {
  if (env.WEFT_VK_ICD) return { kind: 'named', variable: 'WEFT_VK_ICD', files: env.WEFT_VK_ICD };
  for (const variable of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']) {
    const files = env[variable];
    if (files) return { kind: 'named', variable, files };
  }
  const manifests = SYSTEM_ICD_DIRS.flatMap(listDir);
  if (manifests.length > 0) return { kind: 'system', manifests };
  const icd = findSwiftShader(exists);
  return icd ? { kind: 'swiftshader', icd } : { kind: 'none' };
}

/** Points the loader at `files` (both the current and the older variable name). */
export function useDriverFiles(files: string, env: Env = process.env): void {
  env.VK_DRIVER_FILES = files;
  env.VK_ICD_FILENAMES = files;
}

/** The system's libvulkan.so.1, or null (LD_LIBRARY_PATH folders first, as the dynamic linker). */
export function findSystemLoader(env: Env = process.env, exists: (p: string) => boolean = existsSync): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LOADER_DIRS];
  for (const d of dirs) if (exists(join(d, 'libvulkan.so.1'))) return join(d, 'libvulkan.so.1');
  return null;
}

/**
 * Makes sure Dawn's dlopen("libvulkan.so.1") succeeds: nothing to do when the system has the loader;
 * otherwise loads Chromium's copy (beside its SwiftShader) into the process for good (RTLD_NODELETE),
 * so the dynamic linker finds it by its soname. Returns the loader's path, or null when there is none.
 */
export function ensureVulkanLoader(env: Env = process.env): string | null {
  const system = findSystemLoader(env);
  if (system) return system;
  const icd = findSwiftShader();
  const bundled = icd ? join(dirname(icd), 'libvulkan.so.1') : null;
  if (!bundled || !existsSync(bundled)) return null;
  const RTLD_NODELETE = 0x1000; // glibc's value; node does not name it
  const flags = constants.dlopen.RTLD_NOW! | constants.dlopen.RTLD_GLOBAL! | RTLD_NODELETE;
  try {
    process.dlopen({ exports: {} } as NodeModule, bundled, flags);
  } catch (e) {
    // Expected: a plain shared library is no node addon ("did not self-register"); it stays loaded.
    if (!/self-register/.test(String((e as Error)?.message))) return null;
  }
  return bundled;
}
