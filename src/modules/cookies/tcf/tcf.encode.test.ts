import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TCString } from '@iabtcf/core';
import { describe, expect, it } from 'vitest';
import { loadConfig, type TcfConfig } from '../../../config/config.js';
import type { Partner } from '../../../privacy/partners.js';
import { describeTcString, encodeWithGvl, narrowedGvl } from './tcf.encode.js';
import { parseVendorList } from './tcf.gvl.js';
import { buildTcfSettings, TcfSettingsError } from './tcf.settings.js';

const FIXTURE = fileURLToPath(
  new URL('../../../../test/fixtures/tcf/vendor-list.json', import.meta.url),
);

function partner(id: string, purposes: string[], gvlVendorId?: number): Partner {
  return {
    id,
    name: `Partner ${id}`,
    role: 'independent',
    purposes,
    categories: ['user.device.cookie'],
    country: 'GB',
    safeguard: null,
    description: 'A test partner.',
    runsInBrowser: true,
    ...(gvlVendorId === undefined ? {} : { gvlVendorId }),
  };
}

/** Vendors 12, 45 and 91 are in the fixture list; 300 is deleted there; 777 is unknown to it. */
const PARTNERS = [
  partner('ad-exchange', ['advertising-cookies', 'personalised-advertising'], 12),
  partner('audience', ['analytics'], 45),
  partner('limited-ads', ['advertising-cookies'], 91),
  partner('retired', ['advertising-cookies'], 300),
  partner('unlisted', ['advertising-cookies'], 777),
  partner('no-tcf', ['analytics']),
];

function tcfConfig(env: Record<string, string> = {}): TcfConfig {
  const config = loadConfig({
    TCF_CMP_ID: '300',
    TCF_CMP_VERSION: '7',
    TCF_PURPOSE_MAP: 'advertising-cookies:1,2,7;personalised-advertising:3,4;analytics:1,8,9,10',
    TCF_GVL_URL: FIXTURE,
    ...env,
  });
  if (!config.tcf) throw new Error('TCF should be on');
  return config.tcf;
}

const settings = buildTcfSettings(tcfConfig(), '/tmp/unused', PARTNERS);
const gvl = narrowedGvl(parseVendorList(fs.readFileSync(FIXTURE, 'utf8'), FIXTURE), settings);
const AT = new Date('2026-11-20T15:42:10Z');

function encode(purposes: string[], partners: string[]) {
  const tcString = encodeWithGvl(gvl, settings, { purposes, partners, at: AT });
  return { tcString, decoded: describeTcString(tcString) };
}

describe('TCF: the TC string the server encodes', () => {
  it('P49 all allowed: every mapped purpose, every listed vendor, nothing under legitimate interest', () => {
    const { decoded } = encode(
      ['analytics', 'advertising-cookies', 'personalised-advertising'],
      PARTNERS.map((each) => each.id),
    );
    expect(decoded.purposeConsents).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(decoded.vendorConsents).toEqual([12, 45, 91]);
    expect(decoded.vendorsDisclosed).toEqual([12, 45, 91]);
    expect(decoded.purposeLegitimateInterests).toEqual([]);
    expect(decoded.vendorLegitimateInterests).toEqual([]);
    expect(decoded.specialFeatureOptins).toEqual([]);
  });

  it('P49 all refused: no purpose, no vendor, but every configured vendor is disclosed', () => {
    const { decoded } = encode([], []);
    expect(decoded.purposeConsents).toEqual([]);
    expect(decoded.vendorConsents).toEqual([]);
    expect(decoded.vendorsDisclosed).toEqual([12, 45, 91]);
    expect(decoded.purposeLegitimateInterests).toEqual([]);
  });

  it('P49 advertising without any partner: its purposes, and no vendor', () => {
    const { decoded } = encode(['advertising-cookies'], []);
    expect(decoded.purposeConsents).toEqual([1, 2, 7]);
    expect(decoded.vendorConsents).toEqual([]);
  });

  it('P49 partners without any purpose: no vendor gets a consent bit', () => {
    const { decoded } = encode([], ['ad-exchange', 'audience', 'limited-ads']);
    expect(decoded.purposeConsents).toEqual([]);
    expect(decoded.vendorConsents).toEqual([]);
  });

  it('P49 each vendor is blocked or allowed on its own', () => {
    // Analytics with both analytics and advertising partners: only the analytics vendor.
    expect(encode(['analytics'], ['audience', 'ad-exchange']).decoded.vendorConsents).toEqual([45]);
    // Advertising with one of two advertising partners: only that one.
    const advertising = encode(['advertising-cookies'], ['limited-ads']).decoded;
    expect(advertising.purposeConsents).toEqual([1, 2, 7]);
    expect(advertising.vendorConsents).toEqual([91]);
    // A partner whose vendor the list deleted, or never had, gets no bit and is not disclosed.
    const gone = encode(['advertising-cookies'], ['retired', 'unlisted']).decoded;
    expect(gone.vendorConsents).toEqual([]);
    expect(gone.vendorsDisclosed).toEqual([12, 45, 91]);
  });

  it('P49 purposes 3 to 6 never carry legitimate interest, whatever the choice', () => {
    const combinations: [string[], string[]][] = [
      [
        ['analytics', 'advertising-cookies', 'personalised-advertising'],
        ['ad-exchange', 'limited-ads'],
      ],
      [['advertising-cookies'], ['limited-ads']],
      [['personalised-advertising'], []],
      [[], []],
    ];
    for (const [purposes, partners] of combinations) {
      const { tcString } = encode(purposes, partners);
      const model = TCString.decode(tcString);
      for (const id of [3, 4, 5, 6]) expect(model.purposeLegitimateInterests.has(id)).toBe(false);
      expect(model.purposeLegitimateInterests.size).toBe(0);
      expect(model.vendorLegitimateInterests.size).toBe(0);
    }
  });

  it('P49 carries the 2.2 policy version, the CMP, the list version and the publisher', () => {
    const { tcString, decoded } = encode(['analytics'], ['audience']);
    expect(tcString.split('.')).toHaveLength(2);
    expect(decoded).toMatchObject({
      cmpId: 300,
      cmpVersion: 7,
      consentScreen: 1,
      consentLanguage: 'EN',
      vendorListVersion: 87,
      tcfPolicyVersion: 4,
      isServiceSpecific: true,
      useNonStandardTexts: false,
      purposeOneTreatment: false,
      publisherCountryCode: 'GB',
    });
    // The day of the choice, no finer.
    expect(decoded.created.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(decoded.lastUpdated.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    // The second segment is the disclosed-vendors one (segment type 1 in its first 3 bits).
    expect(tcString.split('.')[1]?.charAt(0)).toMatch(/^[I-P]$/);
  });

  it('uses the configured publisher country', () => {
    const french = buildTcfSettings(tcfConfig({ TCF_PUBLISHER_CC: 'fr' }), '/tmp', PARTNERS);
    const tcString = encodeWithGvl(gvl, french, { purposes: [], partners: [], at: AT });
    expect(describeTcString(tcString).publisherCountryCode).toBe('FR');
  });

  it('refuses two partners claiming one vendor id', () => {
    expect(() =>
      buildTcfSettings(tcfConfig(), '/tmp', [
        partner('a', ['analytics'], 45),
        partner('b', ['analytics'], 45),
      ]),
    ).toThrow(TcfSettingsError);
  });

  it('keeps the data file path under DATA_DIR', () => {
    expect(buildTcfSettings(tcfConfig(), '/srv/hearth', []).gvlCacheFile).toBe(
      path.join('/srv/hearth', 'tcf', 'vendor-list.json'),
    );
  });
});
