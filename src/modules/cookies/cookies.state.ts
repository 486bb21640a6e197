/**
 * The cookie state of one request: the choice in force (from the signed choice cookie) and
 * what it allows once Global Privacy Control is applied. Pages gate partner tags on it
 * (`mayRunPartner`), and the handlers that record a choice write the cookie back.
 *
 * Global Privacy Control (`Sec-GPC: 1`) switches the advertising purposes off unless the
 * person allowed them after the signal was honoured (`gpc: 'opt-in'`). A stored choice that
 * allows them meets the signal once: the refusal is recorded (method `gpc`) and the cookie
 * rewritten, so every later page agrees without recording again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReceiptIssuer } from '../../privacy/consent/index.js';
import { receiptIssuerFor } from '../../privacy/consent/index.js';
import {
  buildCookieCatalogue,
  GPC_PURPOSE_KEYS,
  type CookieCatalogue,
} from './cookies.catalogue.js';
import {
  CHOICE_COOKIE,
  CHOICE_LIFETIME_SECONDS,
  decodeChoice,
  deriveChoiceKey,
  encodeChoice,
  isChoiceExpired,
  newVisitorId,
  type StoredChoice,
} from './cookies.choice-cookie.js';
import { recordCookieChoice } from './cookies.service.js';
import type { GpcState } from './cookies.tables.js';

export interface CookieState {
  /** The choice in force; null before any choice, after 13 months or when the list changed. */
  choice: StoredChoice | null;
  /** What this request may do: the choice's purposes and partners after GPC. */
  purposes: ReadonlySet<string>;
  partners: ReadonlySet<string>;
  /** The request carries `Sec-GPC: 1`. */
  hasGpcSignal: boolean;
  /** GPC switched the advertising purposes off, on this request or on record. */
  isGpcHonoured: boolean;
}

/** A GPC signal on a request: `Sec-GPC: 1` (the only value the specification defines). */
export function hasGpcSignal(request: FastifyRequest): boolean {
  return request.headers['sec-gpc'] === '1';
}

/** True when the choice lets this partner's tags run for all of `purposes` (P28). */
export function mayRunPartner(
  state: CookieState,
  partnerId: string,
  purposes: readonly string[],
): boolean {
  return state.partners.has(partnerId) && purposes.every((purpose) => state.purposes.has(purpose));
}

export interface RecordChoiceOptions {
  purposes: readonly string[];
  partners: readonly string[];
  /** The person chose (cmp), or the GPC signal did by itself. */
  method: 'cmp' | 'gpc';
  /** Allowing advertising purposes despite a GPC signal was the person's explicit act. */
  isExplicitOptIn: boolean;
  /** The page script reported `navigator.globalPrivacyControl` with the choice. */
  hasClientSignal: boolean;
}

/** The module's per-app pieces: the signing key, the catalogue and the receipt issuer. */
export class CookieSettings {
  readonly key: Buffer;
  readonly catalogue: CookieCatalogue;
  readonly issuer: ReceiptIssuer;
  private readonly states = new WeakMap<FastifyRequest, CookieState>();
  /** Called after a choice is recorded (TCF sets its own cookie from it). */
  readonly afterRecord: ((choice: StoredChoice, reply: FastifyReply) => Promise<void>)[] = [];

  constructor(
    readonly app: FastifyInstance,
    catalogue: CookieCatalogue = buildCookieCatalogue(),
  ) {
    this.key = deriveChoiceKey(app.secretKey);
    this.catalogue = catalogue;
    this.issuer = receiptIssuerFor(app);
  }

  get cookieOptions() {
    return {
      path: '/',
      // The client script never reads it: it asks the API, so script injection cannot see it.
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.app.config.secureCookies,
      maxAge: CHOICE_LIFETIME_SECONDS,
    };
  }

  /** The request's state, worked out once. */
  stateOf(request: FastifyRequest): CookieState {
    let state = this.states.get(request);
    if (!state) {
      state = this.computeState(request, this.currentChoiceIn(request));
      this.states.set(request, state);
    }
    return state;
  }

  private currentChoiceIn(request: FastifyRequest): StoredChoice | null {
    const stored = decodeChoice(this.key, request.cookies[CHOICE_COOKIE]);
    if (!stored) return null;
    if (isChoiceExpired(stored) || stored.catalogueVersion !== this.catalogue.version) return null;
    return stored;
  }

  private computeState(request: FastifyRequest, choice: StoredChoice | null): CookieState {
    const signal = hasGpcSignal(request);
    const overridesGpc = choice?.gpc === 'opt-in';
    const purposes = new Set(
      (choice?.purposes ?? []).filter(
        (key) => !(signal && !overridesGpc && GPC_PURPOSE_KEYS.includes(key as never)),
      ),
    );
    return {
      choice,
      purposes,
      partners: new Set(choice?.partners ?? []),
      hasGpcSignal: signal,
      isGpcHonoured: (signal && !overridesGpc) || choice?.gpc === 'honoured',
    };
  }

  /**
   * Records a GPC refusal when the stored choice allows what the signal refuses (once: the
   * rewritten cookie says it was honoured). Returns the state the page should use.
   */
  async applyGpc(request: FastifyRequest, reply: FastifyReply): Promise<CookieState> {
    const state = this.stateOf(request);
    const choice = state.choice;
    if (!choice || !state.hasGpcSignal || choice.gpc === 'opt-in') return state;
    if (!choice.purposes.some((key) => GPC_PURPOSE_KEYS.includes(key as never))) return state;
    return this.record(request, reply, {
      purposes: choice.purposes.filter((key) => !GPC_PURPOSE_KEYS.includes(key as never)),
      partners: choice.partners,
      method: 'gpc',
      isExplicitOptIn: false,
      hasClientSignal: false,
    });
  }

  /** Records a choice, sets the choice cookie, and expires the cookies of partners now refused. */
  async record(
    request: FastifyRequest,
    reply: FastifyReply,
    options: RecordChoiceOptions,
  ): Promise<CookieState> {
    const previous = this.stateOf(request);
    const signal =
      hasGpcSignal(request) || options.hasClientSignal || previous.choice?.gpc === 'honoured';
    const allowsGpcPurposes = options.purposes.some((key) =>
      GPC_PURPOSE_KEYS.includes(key as never),
    );
    let purposes = options.purposes;
    let gpc: GpcState = '';
    if (signal || options.method === 'gpc') {
      if (allowsGpcPurposes && options.isExplicitOptIn) gpc = 'opt-in';
      else {
        gpc = 'honoured';
        purposes = purposes.filter((key) => !GPC_PURPOSE_KEYS.includes(key as never));
      }
    }
    // A visitor keeps one pseudonymous id across choices, even after the list changed.
    const visitorId =
      decodeChoice(this.key, request.cookies[CHOICE_COOKIE])?.visitorId ?? newVisitorId();
    const choice = await recordCookieChoice(this.app.db, this.issuer, this.catalogue, {
      visitorId,
      memberId: request.session?.userId ?? null,
      purposes,
      partners: options.partners,
      gpc,
      method: options.method,
    });
    reply.setCookie(CHOICE_COOKIE, encodeChoice(this.key, choice), this.cookieOptions);
    this.expireRefusedPartnerCookies(request, reply, choice);
    for (const hook of this.afterRecord) await hook(choice, reply);
    const state = this.computeState(request, choice);
    this.states.set(request, state);
    return state;
  }

  /**
   * Withdrawing consent deletes what the partner's tags stored (P27): every cookie a partner
   * declares is expired when the browser presents it and the new choice no longer allows the
   * partner with every consent purpose it declares.
   */
  private expireRefusedPartnerCookies(
    request: FastifyRequest,
    reply: FastifyReply,
    choice: StoredChoice,
  ): void {
    for (const partner of this.catalogue.partners) {
      const consentPurposes = this.catalogue.purposes.filter(
        (purpose) => purpose.isConsentBased && partner.purposes.includes(purpose.key),
      );
      const isAllowed =
        choice.partners.includes(partner.id) &&
        consentPurposes.every((purpose) => choice.purposes.includes(purpose.key));
      if (isAllowed) continue;
      for (const cookie of partner.cookies ?? []) {
        if (request.cookies[cookie.name] !== undefined)
          reply.clearCookie(cookie.name, { path: '/' });
      }
    }
  }
}
