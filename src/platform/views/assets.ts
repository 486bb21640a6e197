/**
 * Hearth's own static assets (stylesheet, client bundle, icon), served from memory.
 *
 * The folder is small and fixed at deploy time, so every file is read once at boot, hashed and
 * pre-compressed. A request then never touches the file system (no path traversal to guard
 * against, no per-request I/O) and the URL a page links to carries the content hash
 * (`/assets/hearth.css?v=…`), which lets browsers keep it for a year: a new deploy changes the
 * hash, so a changed file is always fetched again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type { BuildOptions } from 'esbuild';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Text types gain from compression; images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.css', '.js', '.map', '.json', '.svg', '.txt']);

/** Below this size the compression framing costs more than it saves. */
const MIN_COMPRESS_BYTES = 512;

export type ContentEncoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  /** Path below /assets/, with forward slashes (`js/app.js`). */
  name: string;
  contentType: string;
  /** First 16 hex digits of the SHA-256 of the content: the fingerprint in `?v=`. */
  hash: string;
  body: Buffer;
  /** Pre-compressed copies, present only when smaller than the original. */
  encoded: Partial<Record<'br' | 'gzip', Buffer>>;
}

export class AssetCatalogue {
  private readonly assets: ReadonlyMap<string, Asset>;

  constructor(assets: Iterable<Asset>) {
    this.assets = new Map([...assets].map((asset) => [asset.name, asset]));
  }

  get(name: string): Asset | undefined {
    return this.assets.get(name);
  }

  names(): string[] {
    return [...this.assets.keys()].sort();
  }

  /**
   * The URL a page should link to: fingerprinted when the asset is known. An unknown name
   * still gets a URL (the request will 404 and the browser tests report it) rather than an
   * exception, because this runs while rendering error pages, where throwing would hide the
   * original error.
   */
  url(name: string): string {
    const asset = this.assets.get(name);
    return asset ? `/assets/${asset.name}?v=${asset.hash}` : `/assets/${name}`;
  }
}

export function contentTypeFor(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Builds one asset: fingerprint and compressed copies. */
export function makeAsset(name: string, body: Buffer): Asset {
  const extension = path.extname(name).toLowerCase();
  const encoded: Asset['encoded'] = {};
  if (COMPRESSIBLE.has(extension) && body.length >= MIN_COMPRESS_BYTES) {
    const brotli = zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
    const gzip = zlib.gzipSync(body, { level: zlib.constants.Z_BEST_COMPRESSION });
    if (brotli.length < body.length) encoded.br = brotli;
    if (gzip.length < body.length) encoded.gzip = gzip;
  }
  return {
    name,
    contentType: contentTypeFor(name),
    hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
    body,
    encoded,
  };
}

/** Every file under `folder`, named by its path relative to it. Dot-files are skipped. */
export function readAssetFolder(folder: string): Asset[] {
  const assets: Asset[] = [];
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const name = path.relative(folder, full).split(path.sep).join('/');
        assets.push(makeAsset(name, fs.readFileSync(full)));
      }
    }
  };
  if (fs.existsSync(folder)) walk(folder);
  return assets;
}

/** Where this file's sibling folders live: src/platform/views in source, dist/… when built. */
const VIEWS_FOLDER = path.dirname(fileURLToPath(import.meta.url));
export const ASSETS_FOLDER = path.join(VIEWS_FOLDER, 'assets');
export const CLIENT_ENTRIES_FOLDER = path.join(VIEWS_FOLDER, 'client', 'entries');

/**
 * In the source tree (dev, tests) the client bundle does not exist on disk: scripts/build.mjs
 * writes it into dist/ only. So when the client sources sit beside this file, they are bundled
 * in memory with the same esbuild settings, and `/assets/js/app.js` works the same in both.
 * The build does not copy client/ into dist/, so a built server never takes this path.
 */
async function bundleClientFromSource(): Promise<Asset[]> {
  if (!fs.existsSync(CLIENT_ENTRIES_FOLDER)) return [];
  const entryPoints = fs
    .readdirSync(CLIENT_ENTRIES_FOLDER)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(CLIENT_ENTRIES_FOLDER, file));
  if (entryPoints.length === 0) return [];
  const esbuild = await import('esbuild');
  const outdir = path.join(ASSETS_FOLDER, 'js');
  const result = await esbuild.build({
    ...CLIENT_BUILD_OPTIONS,
    entryPoints,
    outdir,
    write: false,
  });
  return result.outputFiles.map((file) =>
    makeAsset(
      path.relative(ASSETS_FOLDER, file.path).split(path.sep).join('/'),
      Buffer.from(file.contents),
    ),
  );
}

/**
 * The esbuild options for the browser bundle, shared with scripts/build.mjs (which imports them
 * from the compiled copy of this file), so dev and production bundles are built alike.
 */
export const CLIENT_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  sourcemap: true,
  logLevel: 'warning',
};

let loading: Promise<AssetCatalogue> | null = null;
let loaded: AssetCatalogue | null = null;

/**
 * The process's asset catalogue, loaded once (every app in a process serves the same files).
 * The views plugin awaits it at boot, so pages rendered afterwards link fingerprinted URLs.
 */
export function loadAssetCatalogue(): Promise<AssetCatalogue> {
  loading ??= (async () => {
    const fromDisk = readAssetFolder(ASSETS_FOLDER);
    const bundled = await bundleClientFromSource();
    const bundledNames = new Set(bundled.map((asset) => asset.name));
    loaded = new AssetCatalogue([
      ...fromDisk.filter((asset) => !bundledNames.has(asset.name)),
      ...bundled,
    ]);
    return loaded;
  })();
  loading.catch(() => {
    // A failed load (e.g. a syntax error in client code during development) may be retried.
    loading = null;
  });
  return loading;
}

/**
 * `/assets/<name>?v=<hash>` once the catalogue is loaded; the plain URL before (only possible
 * when a page is rendered outside an app, as unit tests do).
 */
export function assetUrl(name: string): string {
  return loaded ? loaded.url(name) : `/assets/${name}`;
}

/**
 * The best encoding the client accepts among those available (RFC 9110 §12.5.3): q-values
 * honoured, `q=0` refuses, `*` stands for any encoding not named.
 */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  available: readonly ('br' | 'gzip')[],
): ContentEncoding {
  if (!acceptEncoding || available.length === 0) return 'identity';
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [token = '', ...parameters] = part.trim().toLowerCase().split(';');
    if (token === '') continue;
    let quality = 1;
    for (const parameter of parameters) {
      const [key, value] = parameter.trim().split('=');
      if (key === 'q' && value !== undefined) {
        const parsed = Number(value);
        quality = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    weights.set(token, quality);
  }
  let best: ContentEncoding = 'identity';
  let bestQuality = 0;
  for (const encoding of available) {
    const quality = weights.get(encoding) ?? weights.get('*') ?? 0;
    // Ties go to the earlier entry of `available`, which lists the smaller encoding first.
    if (quality > bestQuality) {
      best = encoding;
      bestQuality = quality;
    }
  }
  return best;
}
