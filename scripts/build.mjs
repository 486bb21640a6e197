// Builds dist/: compiles the server with tsc, bundles the browser code with esbuild, and copies
// the non-code files (stylesheets, shipped data, default notice prose) beside the compiled code.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const started = Date.now();

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

// Non-code files under src/ (css, json data, markdown, text lists) go beside the compiled code.
const COPY = new Set(['.css', '.json', '.md', '.txt', '.csv', '.svg', '.png', '.ico', '.woff2']);
function copyAssets(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'client') continue;
      copyAssets(source, target);
    } else if (COPY.has(path.extname(entry.name))) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}
copyAssets(path.join(root, 'src'), dist);

// Browser code: every entry under src/platform/views/client/entries becomes one bundle in
// dist/platform/views/assets/js, served by the views plugin under /assets/js/. The options come
// from the compiled views code, so the served bundle is built the same way as the in-memory one
// the views plugin makes when running from source.
const clientEntries = path.join(root, 'src/platform/views/client/entries');
if (fs.existsSync(clientEntries)) {
  const { CLIENT_BUILD_OPTIONS } = await import(
    pathToFileURL(path.join(dist, 'platform/views/assets.js')).href
  );
  const entryPoints = fs
    .readdirSync(clientEntries)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(clientEntries, file));
  await esbuild.build({
    ...CLIENT_BUILD_OPTIONS,
    entryPoints,
    outdir: path.join(dist, 'platform/views/assets/js'),
  });
}

process.stderr.write(`Built dist/ in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
