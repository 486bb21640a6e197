import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  AssetCatalogue,
  assetUrl,
  chooseEncoding,
  contentTypeFor,
  loadAssetCatalogue,
  makeAsset,
} from './assets.js';

describe('makeAsset', () => {
  it('fingerprints by content and keeps only compressed copies that are smaller', () => {
    const css = Buffer.from('body { color: black; }\n'.repeat(100));
    const asset = makeAsset('hearth.css', css);
    expect(asset.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(makeAsset('other-name.css', css).hash).toBe(asset.hash);
    expect(makeAsset('hearth.css', Buffer.concat([css, Buffer.from('x')])).hash).not.toBe(
      asset.hash,
    );
    expect(asset.contentType).toBe('text/css; charset=utf-8');
    expect(zlib.brotliDecompressSync(asset.encoded.br!)).toEqual(css);
    expect(zlib.gunzipSync(asset.encoded.gzip!)).toEqual(css);

    expect(makeAsset('tiny.css', Buffer.from('a{}')).encoded).toEqual({});
    expect(makeAsset('icon.png', Buffer.alloc(4096)).encoded).toEqual({});
  });

  it('names content types, with a safe default', () => {
    expect(contentTypeFor('js/app.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('favicon.svg')).toBe('image/svg+xml');
    expect(contentTypeFor('unknown.bin')).toBe('application/octet-stream');
  });
});

describe('chooseEncoding', () => {
  const both = ['br', 'gzip'] as const;

  it('prefers brotli, honours q-values and refusals', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd', both)).toBe('br');
    expect(chooseEncoding('gzip', both)).toBe('gzip');
    expect(chooseEncoding('br;q=0.5, gzip;q=0.8', both)).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0', both)).toBe('identity');
    expect(chooseEncoding('*', both)).toBe('br');
    expect(chooseEncoding('*;q=0.1, br;q=0', both)).toBe('gzip');
    expect(chooseEncoding('identity', both)).toBe('identity');
    expect(chooseEncoding(undefined, both)).toBe('identity');
    expect(chooseEncoding('br', [])).toBe('identity');
    expect(chooseEncoding('br;q=nonsense, gzip', both)).toBe('gzip');
  });
});

describe('the asset catalogue', () => {
  it('links known assets by fingerprint and unknown ones plainly', () => {
    const catalogue = new AssetCatalogue([makeAsset('a.css', Buffer.from('a'))]);
    expect(catalogue.url('a.css')).toMatch(/^\/assets\/a\.css\?v=[0-9a-f]{16}$/);
    expect(catalogue.url('missing.css')).toBe('/assets/missing.css');
  });

  it('holds the stylesheet, the icon and the client bundle built from source', async () => {
    const catalogue = await loadAssetCatalogue();
    expect(catalogue.names()).toEqual(
      expect.arrayContaining(['hearth.css', 'favicon.svg', 'js/app.js', 'js/app.js.map']),
    );
    const bundle = catalogue.get('js/app.js')!.body.toString('utf8');
    expect(bundle).toContain('js-enabled');
    // The bundle is self-contained: a nonced module may not import unnonced ones.
    expect(bundle).not.toMatch(/\bimport\s*[{("']/);
    expect(assetUrl('hearth.css')).toBe(catalogue.url('hearth.css'));
    expect(assetUrl('hearth.css')).toMatch(/\?v=[0-9a-f]{16}$/);
  });
});
