/**
 * A real OpenID Connect provider on loopback (the `oidc-provider` package, the certified
 * implementation), for social log-in tests (DESIGN.md §7: real peers, not mocks).
 *
 * It registers one confidential client for Hearth's callback URL, requires PKCE with S256, and
 * keeps its accounts in memory. The provider's own development log-in pages are switched off:
 * its interaction step is answered here, programmatically, with `interactionFinished`, as the
 * test chose with `logInAs(subject)` or `denyNext()`, so a test drives the whole flow over HTTP
 * without a person at a keyboard.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The claims the provider holds for one of its accounts. */
export interface ProviderAccount {
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: the issuer identifier. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The OIDC_* configuration that points Hearth at this provider under `name`. */
  env(name: string, label?: string): Record<string, string>;
  /** Adds or replaces an account; returns its subject. */
  addAccount(subject: string, claims: ProviderAccount): string;
  /** The account the next interactions log in as (it also grants consent to Hearth). */
  logInAs(subject: string): void;
  /** The next interaction answers `access_denied`, as when a person clicks "Cancel". */
  denyNext(): void;
  /** How many log-in prompts the provider has shown (a re-authentication must show one). */
  loginPrompts(): number;
  close(): Promise<void>;
}

/** The parts of oidc-provider's API used here (the package ships no type declarations). */
interface Interaction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}
interface Grant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface Provider {
  callback(): (request: http.IncomingMessage, response: http.ServerResponse) => void;
  interactionDetails(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<Interaction>;
  interactionFinished(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (properties: { accountId: string; clientId: string }) => Grant;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => Provider;

/**
 * The package is imported through a specifier held in a variable: it ships no declarations and
 * `@types/oidc-provider` is not installed, so TypeScript would otherwise refuse the import; the
 * interfaces above describe what this file relies on.
 */
async function loadProvider(): Promise<ProviderConstructor> {
  const specifier = 'oidc-provider';
  const imported = (await import(specifier)) as { default: ProviderConstructor };
  return imported.default;
}

interface StoredModel {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/**
 * The provider's storage, in memory and private to one provider: its own default adapter is
 * the same thing but shared by the process and announced with a warning on every start.
 */
function memoryAdapter() {
  const models = new Map<string, StoredModel>();
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    private live(key: string) {
      const stored = models.get(key);
      if (!stored) return undefined;
      if (stored.expiresAt <= Date.now()) {
        models.delete(key);
        return undefined;
      }
      return stored.payload;
    }
    upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
      models.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
      return Promise.resolve();
    }
    find(id: string) {
      return Promise.resolve(this.live(this.key(id)));
    }
    findByUid(uid: string) {
      for (const key of models.keys()) {
        if (key.startsWith(`${this.model}:`) && this.live(key)?.uid === uid) {
          return Promise.resolve(this.live(key));
        }
      }
      return Promise.resolve(undefined);
    }
    findByUserCode(userCode: string) {
      for (const key of models.keys()) {
        if (key.startsWith(`${this.model}:`) && this.live(key)?.userCode === userCode) {
          return Promise.resolve(this.live(key));
        }
      }
      return Promise.resolve(undefined);
    }
    consume(id: string) {
      const payload = this.live(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    }
    destroy(id: string) {
      models.delete(this.key(id));
      return Promise.resolve();
    }
    revokeByGrantId(grantId: string) {
      for (const [key, stored] of models) {
        if (stored.payload.grantId === grantId) models.delete(key);
      }
      return Promise.resolve();
    }
  };
}

export interface StartOidcProviderOptions {
  /** Hearth's callback URL, registered for the client. */
  redirectUri: string;
  /**
   * Put the email and names in the ID token itself (as Google does). By default they come only
   * from the userinfo endpoint (the provider's default, as with many others).
   */
  claimsInIdToken?: boolean;
}

export async function startOidcProvider(
  options: StartOidcProviderOptions,
): Promise<TestOidcProvider> {
  const Provider = await loadProvider();
  const accounts = new Map<string, ProviderAccount>();
  let nextSubject: string | null = null;
  let denyNext = false;
  let loginPrompts = 0;

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'hearth-test-client';
  const clientSecret = randomBytes(24).toString('base64url');

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'jwk',
  });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    adapter: memoryAdapter(),
    // Explicit lifetimes (in seconds), short as a test needs.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    // Hearth must send an S256 code challenge: a request without one is refused.
    pkce: { methods: ['S256'], required: () => true },
    features: { devInteractions: { enabled: false } },
    conformIdTokenClaims: options.claimsInIdToken !== true,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
    },
    interactions: { url: (_context: unknown, interaction: Interaction) => `/i/${interaction.uid}` },
    findAccount: (_context: unknown, subject: string) => {
      const claims = accounts.get(subject);
      if (!claims) return undefined;
      return { accountId: subject, claims: () => ({ sub: subject, ...claims }) };
    },
  });
  // Keep expected refusals (a bad PKCE verifier in a test) out of the test output.
  provider.on('server_error', () => undefined);

  const handleInteraction = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> => {
    const interaction = await provider.interactionDetails(request, response);
    if (denyNext) {
      denyNext = false;
      await provider.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: 'The person declined.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (interaction.prompt.name === 'login') {
      loginPrompts += 1;
      if (nextSubject === null) throw new Error('the test provider was not told whom to log in');
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: nextSubject } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    // Consent: grant Hearth the scopes it asked for.
    const accountId = interaction.session?.accountId;
    if (accountId === undefined) throw new Error('consent without a logged-in account');
    const grant = new provider.Grant({ accountId, clientId });
    const scope = interaction.params.scope;
    grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };

  const providerCallback = provider.callback();
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (request.url?.startsWith('/i/')) {
      handleInteraction(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
      return;
    }
    providerCallback(request, response);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    env(name, label) {
      const prefix = `OIDC_${name.toUpperCase()}_`;
      return {
        OIDC_PROVIDERS: name,
        [`${prefix}ISSUER`]: issuer,
        [`${prefix}CLIENT_ID`]: clientId,
        [`${prefix}CLIENT_SECRET`]: clientSecret,
        ...(label ? { [`${prefix}LABEL`]: label } : {}),
      };
    },
    addAccount(subject, claims) {
      accounts.set(subject, claims);
      return subject;
    },
    logInAs(subject) {
      nextSubject = subject;
    },
    denyNext() {
      denyNext = true;
    },
    loginPrompts: () => loginPrompts,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * A minimal browser for flows that cross sites: a cookie jar per host name (as browsers keep
 * cookies per host, whatever the port), redirects followed by hand so every hop's cookies are
 * kept, and form posts.
 */
export class TestBrowser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every URL visited, in order (redirect hops included). */
  readonly visited: string[] = [];

  private cookiesFor(url: URL): Map<string, string> {
    let cookies = this.jar.get(url.hostname);
    if (!cookies) {
      cookies = new Map();
      this.jar.set(url.hostname, cookies);
    }
    return cookies;
  }

  cookie(url: string, name: string): string | undefined {
    return this.cookiesFor(new URL(url)).get(name);
  }

  setCookie(url: string, name: string, value: string | null): void {
    if (value === null) this.cookiesFor(new URL(url)).delete(name);
    else this.cookiesFor(new URL(url)).set(name, value);
  }

  /** Drops this host's cookies whose names match (e.g. the provider's session). */
  clearCookies(url: string, matches: (name: string) => boolean): void {
    const cookies = this.cookiesFor(new URL(url));
    for (const name of [...cookies.keys()]) if (matches(name)) cookies.delete(name);
  }

  private keep(url: URL, response: Response): void {
    const cookies = this.cookiesFor(url);
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', raw = ''] = attribute.split('=').map((part) => part.trim());
        if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
        return false;
      });
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }

  /** One request, no redirect followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const target = new URL(url);
    this.visited.push(target.href);
    const cookies = [...this.cookiesFor(target)].map(([name, value]) => `${name}=${value}`);
    const headers: Record<string, string> = {};
    if (cookies.length > 0) headers.cookie = cookies.join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = target.origin;
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.keep(target, response);
    return response;
  }

  /** A request, then every redirect (as GET) until a page answers; returns the last response. */
  async navigate(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ url: string; response: Response; body: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hop = 0; response.status >= 300 && response.status < 400; hop += 1) {
      if (hop > 20) throw new Error(`too many redirects from ${url}`);
      const location = response.headers.get('location');
      if (location === null) break;
      await response.body?.cancel();
      current = new URL(location, current).href;
      response = await this.request(current);
    }
    return { url: current, response, body: await response.text() };
  }

  /** Starts a navigation but stops at the first redirect to `host` (to tamper with it). */
  async navigateUntil(
    url: string,
    stop: (next: URL) => boolean,
  ): Promise<{ url: string; response: Response }> {
    let current = url;
    let response = await this.request(current);
    for (let hop = 0; response.status >= 300 && response.status < 400; hop += 1) {
      if (hop > 20) throw new Error(`too many redirects from ${url}`);
      const location = response.headers.get('location');
      if (location === null) break;
      const next = new URL(location, current);
      if (stop(next)) return { url: next.href, response };
      await response.body?.cancel();
      current = next.href;
      response = await this.request(current);
    }
    return { url: current, response };
  }
}

/** The value of a form's hidden CSRF field in a page. */
export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token in the page');
  return match[1];
}
