import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('has working defaults: 127.0.0.1:3000 on SQLite under ./data', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.database).toMatchObject({ dialect: 'sqlite' });
    expect(config.database.dialect === 'sqlite' && config.database.file).toMatch(
      /data\/hearth\.sqlite$/,
    );
    expect(config.timezone).toBe('Europe/London');
    expect(config.secureCookies).toBe(false);
    expect(config.logIp).toBe(false);
    expect(config.secretKey).toBeNull();
  });

  it('reads PostgreSQL, SMTP, Redis and https settings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://hearth@db.internal:5432/hearth',
      SMTP_URL: 'smtp://relay.internal:587',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PUBLIC_URL: 'https://community.example/',
      TRUST_PROXY: 'true',
      LOG_IP: 'true',
    });
    expect(config.database).toEqual({
      dialect: 'postgres',
      url: 'postgres://hearth@db.internal:5432/hearth',
      poolSize: 10,
    });
    expect(config.publicUrl).toBe('https://community.example');
    expect(config.secureCookies).toBe(true);
    expect(config.trustProxy).toBe(true);
    expect(config.logIp).toBe(true);
  });

  it.each([
    ['PORT', 'abc', /PORT: expected a whole number/],
    ['PORT', '70000', /PORT: expected a number from 0 to 65535/],
    ['PUBLIC_URL', 'not a url', /PUBLIC_URL: "not a url" is not a URL/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: expected a postgres: or postgresql: URL/],
    ['SMTP_URL', 'http://x', /SMTP_URL/],
    ['TIMEZONE', 'Mars/Olympus', /TIMEZONE: unknown time zone/],
    ['SECRET_KEY', 'short', /SECRET_KEY: must be at least 32 characters/],
    ['TRUST_PROXY', 'maybe', /TRUST_PROXY: expected true or false/],
    ['DEMO_ADS', 'on', /DEMO_ADS: expected true or false/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['REDIS_URL', 'tcp://x', /REDIS_URL/],
  ])('refuses an invalid %s with a message naming the key', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
  });

  it('P28 keeps the demo ad partner off unless DEMO_ADS switches it on', () => {
    expect(loadConfig({}).demoAds).toBe(false);
    expect(loadConfig({ DEMO_ADS: '' }).demoAds).toBe(false);
    expect(loadConfig({ DEMO_ADS: 'true' }).demoAds).toBe(true);
    expect(loadConfig({ DEMO_ADS: 'false' }).demoAds).toBe(false);
  });

  it('needs all three DKIM settings or none', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.org' })).toThrow(/DKIM_DOMAIN/);
    const config = loadConfig({
      DKIM_DOMAIN: 'example.org',
      DKIM_SELECTOR: 'hearth',
      DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    });
    expect(config.dkim).toMatchObject({ domainName: 'example.org', keySelector: 'hearth' });
  });

  describe('social log-in providers', () => {
    const facebook = {
      OIDC_PROVIDERS: 'facebook, Google',
      OIDC_FACEBOOK_ISSUER: 'https://www.facebook.com',
      OIDC_FACEBOOK_CLIENT_ID: 'fb-client',
      OIDC_FACEBOOK_CLIENT_SECRET: 'fb-secret',
      OIDC_FACEBOOK_LABEL: 'Facebook Connect',
      OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_CLIENT_ID: 'google-client',
    };

    it('has none unless OIDC_PROVIDERS lists them', () => {
      expect(loadConfig({}).oidcProviders).toEqual([]);
    });

    it('reads each listed provider from its OIDC_<NAME>_* keys', () => {
      expect(loadConfig(facebook).oidcProviders).toEqual([
        {
          name: 'facebook',
          issuer: 'https://www.facebook.com',
          clientId: 'fb-client',
          clientSecret: 'fb-secret',
          label: 'Facebook Connect',
        },
        {
          name: 'google',
          issuer: 'https://accounts.google.com',
          clientId: 'google-client',
          clientSecret: null,
          label: 'Google',
        },
      ]);
    });

    it.each([
      [{ OIDC_FACEBOOK_ISSUER: '' }, /OIDC_FACEBOOK_ISSUER: is required because OIDC_PROVIDERS/],
      [{ OIDC_GOOGLE_CLIENT_ID: '' }, /OIDC_GOOGLE_CLIENT_ID: is required/],
      [{ OIDC_FACEBOOK_ISSUER: 'facebook' }, /OIDC_FACEBOOK_ISSUER: "facebook" is not a URL/],
      [{ OIDC_FACEBOOK_ISSUER: 'http://idp.example' }, /OIDC_FACEBOOK_ISSUER: must be https/],
      [{ OIDC_PROVIDERS: 'face-book' }, /OIDC_PROVIDERS: "face-book" is not a provider name/],
      [{ OIDC_PROVIDERS: 'google,google' }, /OIDC_PROVIDERS: "google" is listed twice/],
      [{ OIDC_PROVIDERS: 'link' }, /OIDC_PROVIDERS: "link" is reserved/],
    ])('refuses %o with a message naming the key', (change, message) => {
      expect(() => loadConfig({ ...facebook, ...change })).toThrow(ConfigError);
      expect(() => loadConfig({ ...facebook, ...change })).toThrow(message);
    });

    it('accepts a plain http issuer on loopback only (development and tests)', () => {
      const config = loadConfig({ ...facebook, OIDC_FACEBOOK_ISSUER: 'http://127.0.0.1:4000' });
      expect(config.oidcProviders[0]?.issuer).toBe('http://127.0.0.1:4000');
    });
  });

  describe('IAB TCF', () => {
    const tcf = {
      TCF_CMP_ID: '300',
      TCF_PURPOSE_MAP:
        ' advertising-cookies:1,2,7 ; personalised-advertising:4,3;analytics:1,8,9,10',
      TCF_GVL_URL: 'https://vendor-list.example/v3/vendor-list.json',
    };

    it('P49 is off without TCF_CMP_ID', () => {
      expect(loadConfig({}).tcf).toBeNull();
      expect(loadConfig({ ...tcf, TCF_CMP_ID: '' }).tcf).toBeNull();
    });

    it('P49 reads the CMP, the purpose map, the vendor list URL and the publisher country', () => {
      expect(loadConfig(tcf).tcf).toEqual({
        cmpId: 300,
        cmpVersion: 1,
        purposeMap: {
          'advertising-cookies': [1, 2, 7],
          'personalised-advertising': [3, 4],
          analytics: [1, 8, 9, 10],
        },
        gvlUrl: 'https://vendor-list.example/v3/vendor-list.json',
        gvlRefreshMs: 24 * 3_600_000,
        publisherCountryCode: 'GB',
      });
      const custom = loadConfig({
        ...tcf,
        TCF_CMP_VERSION: '12',
        TCF_GVL_URL: '/srv/gvl/vendor-list.json',
        TCF_GVL_REFRESH_HOURS: '168',
        TCF_PUBLISHER_CC: 'ie',
      }).tcf;
      expect(custom).toMatchObject({
        cmpVersion: 12,
        gvlUrl: 'file:///srv/gvl/vendor-list.json',
        gvlRefreshMs: 168 * 3_600_000,
        publisherCountryCode: 'IE',
      });
    });

    it.each([
      [{ TCF_CMP_ID: '1' }, /TCF_CMP_ID: expected a number from 2 to 4095/],
      [{ TCF_CMP_ID: 'abc' }, /TCF_CMP_ID: expected a whole number/],
      [{ TCF_CMP_VERSION: '0' }, /TCF_CMP_VERSION/],
      [{ TCF_PURPOSE_MAP: '' }, /TCF_PURPOSE_MAP: is required because TCF_CMP_ID is set/],
      [{ TCF_PURPOSE_MAP: 'advertising=1' }, /TCF_PURPOSE_MAP: "advertising=1" is not/],
      [{ TCF_PURPOSE_MAP: 'adverts:1' }, /TCF_PURPOSE_MAP: "adverts" is not a Hearth purpose/],
      // Contextual adverts rest on legitimate interests: no choice could ever set their bits.
      [
        { TCF_PURPOSE_MAP: 'advertising:1,2,7' },
        /TCF_PURPOSE_MAP: "advertising" does not rest on consent/,
      ],
      [{ TCF_PURPOSE_MAP: 'analytics:1,12' }, /TCF_PURPOSE_MAP: "analytics" maps to 12/],
      [{ TCF_PURPOSE_MAP: 'analytics:0' }, /TCF_PURPOSE_MAP: "analytics" maps to 0/],
      [
        { TCF_PURPOSE_MAP: 'analytics:1;analytics:8' },
        /TCF_PURPOSE_MAP: "analytics" is listed twice/,
      ],
      [{ TCF_GVL_URL: '' }, /TCF_GVL_URL: is required because TCF_CMP_ID is set/],
      [{ TCF_GVL_URL: 'http://vendor-list.example/x.json' }, /TCF_GVL_URL: must be https/],
      [
        { TCF_GVL_URL: 'ftp://x/list.json' },
        /TCF_GVL_URL: expected a https: or http: or file: URL/,
      ],
      [{ TCF_GVL_REFRESH_HOURS: '0' }, /TCF_GVL_REFRESH_HOURS/],
      [{ TCF_PUBLISHER_CC: 'GBR' }, /TCF_PUBLISHER_CC: expected a two-letter country code/],
    ])('refuses %o with a message naming the key', (change, message) => {
      expect(() => loadConfig({ ...tcf, ...change })).toThrow(ConfigError);
      expect(() => loadConfig({ ...tcf, ...change })).toThrow(message);
    });

    it('checks the TCF keys even while TCF is off', () => {
      expect(() => loadConfig({ TCF_PURPOSE_MAP: 'adverts:1' })).toThrow(/TCF_PURPOSE_MAP/);
    });

    it('accepts http for a vendor list mirror on loopback', () => {
      const config = loadConfig({ ...tcf, TCF_GVL_URL: 'http://127.0.0.1:8080/vendor-list.json' });
      expect(config.tcf?.gvlUrl).toBe('http://127.0.0.1:8080/vendor-list.json');
    });
  });
});
