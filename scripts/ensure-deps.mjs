#!/usr/bin/env node
// Makes sure everything `npm start` / `npm test` need is present, installing only what is missing:
//   - a Chromium (WEFT_BROWSER, PUPPETEER_EXECUTABLE_PATH, or /usr/bin/chromium; Debian package `chromium`),
//   - Fashion-MNIST under /usr/share/datasets/fashion-mnist/ (Debian package `dataset-fashion-mnist`),
//   - the Vulkan loader libvulkan.so.1 (Debian package `libvulkan1`), which Dawn (weft in Node) loads;
//     with Chromium's SwiftShader it gives Node a WebGPU adapter on a machine without a GPU,
//   - node_modules matching package-lock.json (`npm ci`).
// Runs before `npm ci`, so it uses node builtins only. Silent and fast (well under a second) when all is there.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_BROWSER = '/usr/bin/chromium';
const DATASET_FILE = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
const VULKAN_LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];
const STAMP = join(root, 'node_modules', '.weft-deps-stamp');

function fail(message) {
  console.error(`ensure-deps: ${message}`);
  process.exit(1);
}

function run(cmd, args, extraEnv = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...extraEnv } });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));
}

// ---- system packages (one apt-get install for all that are missing) ----
const packages = [];
const browserEnv = process.env.WEFT_BROWSER ? 'WEFT_BROWSER' : process.env.PUPPETEER_EXECUTABLE_PATH ? 'PUPPETEER_EXECUTABLE_PATH' : null;
const browser = (browserEnv && process.env[browserEnv]) || DEFAULT_BROWSER;
if (!existsSync(browser)) {
  if (browserEnv) fail(`${browserEnv}=${browser} does not exist (unset it to use ${DEFAULT_BROWSER})`);
  console.log(`ensure-deps: ${browser} missing, installing chromium`);
  packages.push('chromium');
}
if (!existsSync(DATASET_FILE)) {
  console.log(`ensure-deps: ${DATASET_FILE} missing, installing dataset-fashion-mnist`);
  packages.push('dataset-fashion-mnist');
}
if (process.platform === 'linux' && !VULKAN_LOADER_DIRS.some((d) => existsSync(join(d, 'libvulkan.so.1')))) {
  console.log('ensure-deps: libvulkan.so.1 missing, installing libvulkan1');
  packages.push('libvulkan1');
}
if (packages.length > 0) {
  const manual = `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`;
  if (!onPath('apt-get')) fail(`apt-get not found; install ${packages.join(' ')} yourself (Debian/Ubuntu: ${manual})`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let prefix = [];
  if (!isRoot) {
    if (!onPath('sudo')) fail(`not root and sudo not found; as root run: apt-get update && apt-get install -y ${packages.join(' ')}`);
    prefix = ['sudo', '--preserve-env=DEBIAN_FRONTEND'];
  }
  const apt = (args) =>
    prefix.length
      ? run(prefix[0], [...prefix.slice(1), 'apt-get', ...args], { DEBIAN_FRONTEND: 'noninteractive' })
      : run('apt-get', args, { DEBIAN_FRONTEND: 'noninteractive' });
  apt(['update']);
  apt(['install', '-y', ...packages]);
  if (!existsSync(browser)) fail(`installed chromium but ${browser} is still missing`);
  if (!existsSync(DATASET_FILE)) fail(`installed dataset-fashion-mnist but ${DATASET_FILE} is still missing`);
  // libvulkan1 is not checked again: weft in Node also finds the loader Chromium ships.
}

// ---- node_modules ----
const lockPath = join(root, 'package-lock.json');
if (!existsSync(lockPath)) fail('package-lock.json is missing');
const lockText = readFileSync(lockPath, 'utf8');
const lockHash = createHash('sha256').update(lockText).digest('hex');
const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : null;

// node_modules installed by a plain `npm ci`/`npm install` (no stamp yet) is adopted when npm's own
// record of it (node_modules/.package-lock.json) has every package of the lockfile at the same version.
function hiddenLockMatches() {
  const hidden = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return false;
  try {
    const want = JSON.parse(lockText).packages ?? {};
    const have = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
    for (const [key, meta] of Object.entries(want)) {
      if (key === '' || meta.optional || meta.peer) continue;
      const got = have[key];
      if (!got || got.version !== meta.version || !existsSync(join(root, key))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

// `npm ci`, or, when npm ci refuses the lockfile as out of sync with package.json (it does when the
// registry cannot serve an optional, other-platform dependency, e.g. vite's Windows-only
// napi-windows-process-start-time, so the lockfile lacks it), `npm install --no-save` from the same lockfile.
function installModules(why) {
  console.log(`ensure-deps: ${why}, running npm ci`);
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['inherit', 'inherit', 'pipe'], encoding: 'utf8' });
  if (ci.error) fail(`could not run npm: ${ci.error.message}`);
  if (ci.status !== 0) {
    const lines = (ci.stderr ?? '').split('\n');
    if (!lines.some((l) => /EUSAGE|in sync/.test(l))) {
      process.stderr.write(ci.stderr ?? '');
      fail(`\`npm ci\` failed (exit ${ci.status ?? ci.signal})`);
    }
    const missing = lines.filter((l) => /Missing: |Invalid: /.test(l)).map((l) => l.replace(/^npm error\s*/, '').trim());
    console.log(`ensure-deps: npm ci refused package-lock.json${missing.length ? ` (${missing.join('; ')})` : ''}; running npm install --no-save`);
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund']);
  } else if (ci.stderr) {
    process.stderr.write(ci.stderr);
  }
  writeFileSync(STAMP, lockHash + '\n');
}

if (!existsSync(join(root, 'node_modules'))) {
  installModules('node_modules missing');
} else if (stamp !== lockHash) {
  if (stamp === null && hiddenLockMatches()) {
    writeFileSync(STAMP, lockHash + '\n');
  } else {
    installModules('node_modules out of date with package-lock.json');
  }
}
