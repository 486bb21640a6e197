import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ErrorResponseBody } from '../../../src/platform/http/errors.js';
import { buildTestApp } from '../../helpers/app.js';
import { describeEachDialect } from '../../helpers/dialects.js';
import { fixtureModule, logIn } from './fixture-module.js';

const CLIENT_IP = '203.0.113.77';

interface LogLine {
  msg?: string;
  reqId?: string;
  req?: Record<string, unknown>;
  error?: { message?: string; stack?: string };
}

function capture() {
  const lines: string[] = [];
  return {
    lines,
    stream: { write: (line: string) => void lines.push(line) },
    parsed: () => lines.map((line) => JSON.parse(line) as LogLine),
  };
}

describeEachDialect('request logs', (current) => {
  const quiet = capture();
  const withIp = capture();
  let app: FastifyInstance;
  let ipApp: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { LOG_LEVEL: 'info' },
      logStream: quiet.stream,
    });
    ipApp = await buildTestApp(current(), {
      modules: [fixtureModule],
      env: { LOG_LEVEL: 'info', LOG_IP: 'true' },
      logStream: withIp.stream,
    });
  });
  afterAll(async () => {
    await app.close();
    await ipApp.close();
  });

  it('carry no bodies, no emails, no query strings, no cookies and no IP by default', async () => {
    const { cookie } = await logIn(app, 'member-for-logs');
    const requests = [
      // An email in the query string and in the body.
      app.inject({
        method: 'POST',
        url: '/api/v1/fixture/echo?email=query-parent@example.com',
        remoteAddress: CLIENT_IP,
        headers: { cookie, origin: 'http://127.0.0.1:3000' },
        payload: { name: 'Body-Only-Name', email: 'body-parent@example.com' },
      }),
      // Malformed JSON: the parser's own message would quote the body.
      app.inject({
        method: 'POST',
        url: '/api/v1/fixture/echo',
        remoteAddress: CLIENT_IP,
        headers: { 'content-type': 'application/json' },
        payload: '{"email": broken-parent@example.com',
      }),
      // Validation fails on the email itself.
      app.inject({
        method: 'POST',
        url: '/api/v1/fixture/echo',
        remoteAddress: CLIENT_IP,
        payload: { name: 'Body-Only-Name', email: 'invalid-parent@example' },
      }),
    ];
    const responses = await Promise.all(requests);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 400, 400]);

    const log = quiet.lines.join('\n');
    expect(log).toContain('"url":"/api/v1/fixture/echo"');
    expect(log).not.toMatch(/parent@example/);
    expect(log).not.toContain('Body-Only-Name');
    expect(log).not.toContain('?email');
    expect(log).not.toContain(CLIENT_IP);
    expect(log).not.toContain(cookie.split('=')[1]);
    const incoming = quiet.parsed().filter((line) => line.msg === 'incoming request');
    expect(incoming.length).toBeGreaterThanOrEqual(3);
    for (const line of incoming)
      expect(Object.keys(line.req ?? {}).sort()).toEqual(['method', 'url']);
  });

  it('log a 5xx with the request id and a scrubbed message, and answer with that id', async () => {
    const response = await app.inject({ url: '/api/v1/fixture/boom', remoteAddress: CLIENT_IP });
    const requestId = response.json<ErrorResponseBody>().error.requestId;
    const failure = quiet
      .parsed()
      .find((line) => line.msg === 'request failed' && line.reqId === requestId);
    expect(failure?.error?.message).toBe('database exploded for [email]');
    expect(failure?.error?.stack).toContain('fixture-module');
    expect(JSON.stringify(failure)).not.toContain('parent@example.com');
  });

  it('carry the client IP only when LOG_IP=true', async () => {
    await ipApp.inject({
      url: '/api/v1/fixture/me?email=query-parent@example.com',
      remoteAddress: CLIENT_IP,
    });
    const incoming = withIp.parsed().find((line) => line.msg === 'incoming request');
    expect(incoming?.req).toEqual({ method: 'GET', url: '/api/v1/fixture/me', ip: CLIENT_IP });
    expect(withIp.lines.join('\n')).not.toMatch(/parent@example/);
  });
});
