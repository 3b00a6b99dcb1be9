// Headless Chromium with WebGPU, and the small static server its pages load weft from.
// Shared by the GPU test setup (test/gpu/setup/globalSetup.ts) and usable by the demo and bench runners.
//
// Server routes (GET/HEAD only, 127.0.0.1, random free port):
//   /                      the page given as `indexHtml`
//   /dist/...              <repo>/dist/ (the esbuild bundles)
//   /data/fashion-mnist/...  the dataset directory (raw .gz files, application/octet-stream)
//   /repo/...              any file of the repository, read-only (fixtures)
//
// Environment:
//   WEFT_BROWSER / PUPPETEER_EXECUTABLE_PATH  browser executable (default /usr/bin/chromium)
//   WEFT_GPU=real          do not force SwiftShader: let Chromium pick the real GPU (and fail if it picks SwiftShader)
//   WEFT_CHROMIUM_FLAGS    extra flags, space-separated; a flag named like a default one replaces it
//                          (e.g. WEFT_GPU=real WEFT_CHROMIUM_FLAGS='--use-angle=vulkan --enable-features=Vulkan,VulkanFromANGLE')
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';

export const DATASET_DIR = '/usr/share/datasets/fashion-mnist';
export const DEFAULT_BROWSER = '/usr/bin/chromium';

export function browserExecutable(env = process.env) {
  return env.WEFT_BROWSER || env.PUPPETEER_EXECUTABLE_PATH || DEFAULT_BROWSER;
}

export function wantsRealGpu(env = process.env) {
  return env.WEFT_GPU === 'real';
}

const flagName = (flag) => flag.split('=')[0];

export function chromiumArgs(env = process.env) {
  const args = [
    '--enable-unsafe-webgpu',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--enable-features=Vulkan',
  ];
  if (!wantsRealGpu(env)) args.splice(1, 0, '--use-webgpu-adapter=swiftshader');
  const extra = (env.WEFT_CHROMIUM_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const replaced = new Set(extra.map(flagName));
  return [...args.filter((a) => !replaced.has(flagName(a))), ...extra];
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
};

/** Maps a URL path below `prefix` to a file below `dir`, or null when it would leave `dir`. */
function below(dir, rest) {
  let decoded;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  const root = resolve(dir);
  const file = resolve(root, '.' + sep + decoded);
  return file === root || file.startsWith(root + sep) ? file : null;
}

/**
 * Starts the static server. `repoRoot` is the repository root, `indexHtml` the file served at `/`;
 * `port` (default 0: a free one) and `host` (default 127.0.0.1) say where it listens.
 * Returns { baseUrl (no trailing slash), close() }.
 */
export async function startServer({ repoRoot, indexHtml, datasetDir = DATASET_DIR, port: wantedPort = 0, host = '127.0.0.1' }) {
  const routes = [
    ['/dist/', join(repoRoot, 'dist'), null],
    ['/data/fashion-mnist/', datasetDir, 'application/octet-stream'],
    ['/repo/', repoRoot, null],
  ];
  const server = createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'read-only server\n');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file = null;
    let type = null;
    if (path === '/' || path === '/index.html') file = indexHtml;
    else if (path === '/favicon.ico') return send(204, '');
    else {
      for (const [prefix, dir, forcedType] of routes) {
        if (path.startsWith(prefix)) {
          file = below(dir, path.slice(prefix.length));
          type = forcedType;
          if (!file) return send(403, `forbidden: ${path}\n`);
          break;
        }
      }
    }
    if (!file) return send(404, `not found: ${path}\n`);
    let info;
    try {
      info = await stat(file);
    } catch {
      return send(404, `not found: ${path}\n`);
    }
    if (!info.isFile()) return send(404, `not a file: ${path}\n`);
    res.writeHead(200, {
      'content-type': type ?? CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
      // Cross-origin isolation: precise performance.now() and SharedArrayBuffer in the page.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(wantedPort, host, () => ok(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok(undefined));
      }),
  };
}

/**
 * Launches one headless Chromium with WebGPU enabled and a fresh temporary profile.
 * Returns { browser, executablePath, args, close() }; close() also removes the profile.
 */
export async function launchBrowser({ headless = true, protocolTimeout = 600_000 } = {}) {
  const executablePath = browserExecutable();
  const args = chromiumArgs();
  const userDataDir = await mkdtemp(join(tmpdir(), 'weft-chromium-'));
  let browser;
  try {
    // Loaded here, not at the top: the Node-only paths (bench --node on a bare GPU machine) have no puppeteer.
    const { default: puppeteer } = await import('puppeteer');
    browser = await puppeteer.launch({ executablePath, headless, args, userDataDir, protocolTimeout });
  } catch (e) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(`could not launch ${executablePath} (${e instanceof Error ? e.message : e}); run node scripts/ensure-deps.mjs, or set WEFT_BROWSER`);
  }
  return {
    browser,
    executablePath,
    args,
    close: async () => {
      await browser.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * Asks the page for its WebGPU adapter. Throws when navigator.gpu or the adapter is missing,
 * and when WEFT_GPU=real got SwiftShader. Returns { vendor, architecture, description, device, isFallback }.
 */
export async function describeAdapter(page) {
  const info = await page.evaluate(async () => {
    if (!('gpu' in navigator) || !navigator.gpu) return { error: `navigator.gpu is missing (secure context: ${isSecureContext})` };
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { error: 'navigator.gpu.requestAdapter() returned null' };
    const i = adapter.info;
    return {
      vendor: i.vendor,
      architecture: i.architecture,
      description: i.description,
      device: i.device,
      isFallback: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter),
    };
  });
  if ('error' in info) throw new Error(`WebGPU unavailable in Chromium: ${info.error}; flags: ${chromiumArgs().join(' ')}`);
  if (wantsRealGpu() && /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`)) {
    throw new Error(`WEFT_GPU=real but Chromium chose SwiftShader (${adapterLine(info)}); try WEFT_CHROMIUM_FLAGS (e.g. --use-angle=vulkan)`);
  }
  return info;
}

export function adapterLine(info) {
  const parts = [`vendor=${info.vendor || '?'}`, `architecture=${info.architecture || '?'}`];
  if (info.description) parts.push(`description="${info.description}"`);
  if (info.device) parts.push(`device=${info.device}`);
  if (info.isFallback) parts.push('fallback');
  return parts.join(' ');
}
