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
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['REDIS_URL', 'tcp://x', /REDIS_URL/],
  ])('refuses an invalid %s with a message naming the key', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
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
});
