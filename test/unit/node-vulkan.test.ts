// Which Vulkan driver weft's Node entry gives Dawn (src/node/vulkan.ts), decided without a GPU.
import { expect, test } from 'vitest';
import { chooseDriver, findSystemLoader, SWIFTSHADER_ICDS } from '../../src/node/vulkan.js';

const none = () => [] as string[];
const nothing = () => false;
const swiftshader = (p: string) => p === SWIFTSHADER_ICDS[0];

test('WEFT_VK_ICD wins over the loader variables and the system', () => {
  const env = { WEFT_VK_ICD: '/a.json', VK_ICD_FILENAMES: '/b.json' };
  expect(chooseDriver(env, () => ['/usr/share/vulkan/icd.d/nvidia_icd.json'], swiftshader)).toEqual({
    kind: 'named',
    variable: 'WEFT_VK_ICD',
    files: '/a.json',
  });
});

test('VK_DRIVER_FILES / VK_ICD_FILENAMES are kept as given', () => {
  expect(chooseDriver({ VK_ICD_FILENAMES: '/b.json' }, none, swiftshader)).toEqual({ kind: 'named', variable: 'VK_ICD_FILENAMES', files: '/b.json' });
  expect(chooseDriver({ VK_DRIVER_FILES: '/c.json' }, none, swiftshader)).toMatchObject({ variable: 'VK_DRIVER_FILES' });
});

test("the system's manifests (a real GPU's driver) come before SwiftShader", () => {
  const list = (d: string) => (d === '/usr/share/vulkan/icd.d' ? ['/usr/share/vulkan/icd.d/nvidia_icd.json'] : []);
  expect(chooseDriver({}, list, swiftshader)).toEqual({ kind: 'system', manifests: ['/usr/share/vulkan/icd.d/nvidia_icd.json'] });
});

test("without any, Chromium's SwiftShader; without that, none", () => {
  expect(chooseDriver({}, none, swiftshader)).toEqual({ kind: 'swiftshader', icd: SWIFTSHADER_ICDS[0] });
  expect(chooseDriver({}, none, nothing)).toEqual({ kind: 'none' });
});

test('the loader is looked for in LD_LIBRARY_PATH first', () => {
  const exists = (p: string) => p === '/opt/vk/libvulkan.so.1' || p === '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
  expect(findSystemLoader({ LD_LIBRARY_PATH: '/opt/vk' }, exists)).toBe('/opt/vk/libvulkan.so.1');
  expect(findSystemLoader({}, exists)).toBe('/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
  expect(findSystemLoader({}, nothing)).toBeNull();
});
