/**
 * The purpose catalogue (DESIGN.md §5.2): every reason Hearth processes personal data, with its
 * Art. 6 legal basis and, where special-category data is involved, its Art. 9 condition. The
 * published notice, the consent screens, the record of processing and every processing check
 * (`can()`, `filterAllowed()`) read this one list, so a purpose cannot say one thing in the
 * notice and do another in code.
 *
 * Recipients are not listed here: they come from the partner registry (partners.ts), where each
 * partner declares the purposes it receives data for. `recipientsNote` only says, in words, what
 * kind of recipient a purpose may involve.
 */
import type { LegalBasis } from '../platform/datamap.js';
import { AppError } from '../platform/http/errors.js';

/** The six Art. 6(1) bases, with the letter the notice cites. */
export const LEGAL_BASES: Readonly<Record<LegalBasis, { article: string; title: string }>> = {
  consent: { article: 'Art. 6(1)(a)', title: 'Consent' },
  contract: { article: 'Art. 6(1)(b)', title: 'Contract' },
  'legal-obligation': { article: 'Art. 6(1)(c)', title: 'Legal obligation' },
  'vital-interests': { article: 'Art. 6(1)(d)', title: 'Vital interests' },
  'public-task': { article: 'Art. 6(1)(e)', title: 'Public task' },
  'legitimate-interests': { article: 'Art. 6(1)(f)', title: 'Legitimate interests' },
};

/**
 * Kantara consent-receipt purpose categories (Consent Receipt Specification v1.1, appendix),
 * used in the `purposeCategory` of each receipt.
 */
export type ReceiptPurposeCategory =
  | 'Core Function'
  | 'Contracted Service'
  | 'Delivery'
  | 'Contact Requested'
  | 'Personalized Experience'
  | 'Marketing'
  | 'Marketing Third Parties'
  | 'Sharing for Delivery'
  | 'Sharing for Marketing'
  | '3rd Party Sharing for Core Function'
  | '3rd Party Sharing for ...'
  | 'Legally Required Data Retention'
  | 'Required by Law Enforcement or Government'
  | 'Protecting Your Health'
  | 'Protecting Our Interests'
  | 'Improve Performance';

interface PurposeEntry {
  title: string;
  /** What the processing is, in plain words for the notice and consent screens. */
  description: string;
  basis: LegalBasis;
  /** Why this basis fits, for the notice and the record of processing. */
  basisReason: string;
  /** Art. 9 special-category data: the condition relied on, and which kinds of data. */
  special?: { condition: string; categories: readonly string[] };
  /**
   * Art. 18(2): restricted data may still be processed to protect another person's rights or
   * for legal claims. Purposes that exist for exactly that keep running under a restriction;
   * the sentence says why.
   */
  restrictionExemption?: string;
  /** What kind of recipient, if any, may receive data for this purpose (the partner registry names them). */
  recipientsNote: string;
  /** Consent purposes: how the person withdraws, shown on screens and in each receipt. */
  withdrawal?: string;
  receiptCategory: ReceiptPurposeCategory;
}

const WITHDRAW_IN_SETTINGS =
  'Withdraw at any time in your privacy settings (/account/privacy); it takes effect at once.';

const CATALOGUE = {
  account: {
    title: 'Running your account',
    description:
      'Creating and running your account: signing in, your username, your chosen location and your newsletter choices.',
    basis: 'contract',
    basisReason: 'You asked us to provide a member account; we cannot run it without this data.',
    recipientsNote: 'Our hosting and email delivery processors, acting on our instructions.',
    receiptCategory: 'Core Function',
  },
  community: {
    title: 'The forum and private messages',
    description:
      'Publishing your forum posts, delivering your private messages and the Parent Supporter service.',
    basis: 'contract',
    basisReason: 'Taking part in the community is the service you signed up for.',
    recipientsNote: 'Other members see what you post publicly; nobody outside Hearth receives it.',
    receiptCategory: 'Core Function',
  },
  newsletter: {
    title: 'Newsletters',
    description: 'Sending you the newsletters you chose, addressed by your name and email.',
    basis: 'consent',
    basisReason: 'You opt in to each newsletter and can opt out whenever you like.',
    recipientsNote: 'Our email delivery processor sends them for us.',
    withdrawal: `${WITHDRAW_IN_SETTINGS} Every newsletter also carries a one-click unsubscribe link.`,
    receiptCategory: 'Marketing',
  },
  'newsletter-health': {
    title: 'Pregnancy and baby newsletters',
    description:
      'Keeping your due date (Pregnancy Weekly) or your baby’s date of birth (Baby Monthly) so each edition matches your stage.',
    basis: 'consent',
    basisReason:
      'You choose these letters and give the dates for them; unsubscribing removes the date.',
    special: {
      condition:
        'Art. 9(2)(a) explicit consent: a pregnancy due date is health data, asked only for Pregnancy Weekly.',
      categories: ['health'],
    },
    recipientsNote: 'Our email delivery processor sends them for us; the dates are never shared.',
    withdrawal: `${WITHDRAW_IN_SETTINGS} Unsubscribing from the letter deletes the date.`,
    receiptCategory: 'Personalized Experience',
  },
  competition: {
    title: 'Competitions',
    description:
      'Entering you into a competition under its own terms, contacting winners and sending prizes.',
    basis: 'consent',
    basisReason: 'You choose to enter each competition and can withdraw your entry at any time.',
    recipientsNote:
      'The competition sponsor receives your details only if you opt in to that, separately.',
    withdrawal: `${WITHDRAW_IN_SETTINGS} Withdrawing removes your entry.`,
    receiptCategory: 'Contracted Service',
  },
  trial: {
    title: 'Product trials',
    description: 'Running a product trial you joined, under the terms shown when you joined it.',
    basis: 'consent',
    basisReason: 'You choose to join each trial and can leave it at any time.',
    recipientsNote: 'The brand running the trial receives your details only if you opt in to that.',
    withdrawal: WITHDRAW_IN_SETTINGS,
    receiptCategory: 'Contracted Service',
  },
  survey: {
    title: 'Surveys and polls',
    description:
      'Collecting your survey and poll answers with your name and contact details, to improve services and products; education research says so when you sign up.',
    basis: 'consent',
    basisReason: 'Answering is your choice, and each survey asks before it starts.',
    recipientsNote:
      'Our survey platform processes answers for us; a partner or educator receives your data only if you opt in.',
    withdrawal: WITHDRAW_IN_SETTINGS,
    receiptCategory: 'Improve Performance',
  },
  'research-panel': {
    title: 'Research panels',
    description:
      'Market research through polls and panels you join; partners receive aggregate results.',
    basis: 'consent',
    basisReason: 'You join a panel by choice and can leave it at any time.',
    recipientsNote:
      'Partners receive aggregate results; personal data only with a specific consent for that partner.',
    withdrawal: WITHDRAW_IN_SETTINGS,
    receiptCategory: 'Improve Performance',
  },
  listing: {
    title: 'Local listings and events',
    description:
      'Publishing the listings and What’s-on events you create, with the contact details you chose to show.',
    basis: 'contract',
    basisReason: 'Publishing your listing is the service you asked for.',
    recipientsNote: 'Visitors see what you publish; nobody else receives it.',
    receiptCategory: 'Contracted Service',
  },
  'listing-offers': {
    title: 'Updates and offers for listing owners',
    description: 'Emailing listing owners about updates and offers, only if they opted in.',
    basis: 'consent',
    basisReason: 'You opt in when you create or edit a listing.',
    recipientsNote: 'Our email delivery processor sends them for us.',
    withdrawal: WITHDRAW_IN_SETTINGS,
    receiptCategory: 'Marketing',
  },
  helpdesk: {
    title: 'Help desk',
    description:
      'Answering your questions and complaints, and keeping them while a dispute may arise.',
    basis: 'legitimate-interests',
    basisReason:
      'Answering the people who write to us, and being able to show how we handled a complaint.',
    recipientsNote: 'Our help-desk software processes tickets for us.',
    receiptCategory: 'Contact Requested',
  },
  'helpdesk-special': {
    title: 'Sensitive details in help-desk requests',
    description:
      'Using health, religious, ethnic, political or sex-life details you choose to put in a help-desk request, only to answer it.',
    basis: 'consent',
    basisReason: 'We accept such details only after you have explicitly agreed.',
    special: {
      condition: 'Art. 9(2)(a) explicit consent, asked before the request is sent.',
      categories: ['health', 'religion', 'ethnicity', 'politics', 'sex life'],
    },
    recipientsNote: 'Our help-desk software processes tickets for us.',
    withdrawal: `${WITHDRAW_IN_SETTINGS} Closing the request ends its use.`,
    receiptCategory: 'Contact Requested',
  },
  safeguarding: {
    title: 'Safeguarding',
    description:
      'Keeping exchanges with Parent Supporters and reports about risk so that children and adults at risk can be protected.',
    basis: 'legitimate-interests',
    basisReason: 'Protecting members and their families from harm.',
    special: {
      condition:
        'Art. 9(2)(g) substantial public interest, DPA 2018 Sch. 1 para 18 (safeguarding of children and of individuals at risk).',
      categories: ['health', 'sex life'],
    },
    restrictionExemption:
      'Art. 18(2): processing to protect the rights of another person continues while processing is restricted.',
    recipientsNote:
      'Authorities only when the law or a risk to someone’s life requires it; every release is logged.',
    receiptCategory: 'Protecting Your Health',
  },
  analytics: {
    title: 'Analytics',
    description:
      'Counting visits and page views to understand which sections help people; reports cannot single anyone out.',
    basis: 'consent',
    basisReason: 'Analytics cookies are set only after you agree to them.',
    recipientsNote: 'Our analytics provider, under the consent you give in the cookie settings.',
    withdrawal: 'Change your choice at any time in the cookie settings (/cookies).',
    receiptCategory: 'Improve Performance',
  },
  'audience-measurement': {
    title: 'Counting visits',
    description:
      'Counting page views, and visitors once a day, without cookies: only the counts are kept.',
    basis: 'legitimate-interests',
    basisReason:
      'Knowing which pages help people keeps the service useful; nothing is stored on your device, nothing links one day to the next, and refusing analytics in the cookie settings or sending Global Privacy Control keeps you out of the visitor count.',
    recipientsNote:
      'No one; advertisers see only page-view counts by section in which no small group can be found.',
    receiptCategory: 'Improve Performance',
  },
  advertising: {
    title: 'Advertising',
    description:
      'Showing adverts that Hearth chooses from the page you are reading, not from who you are, with no cookies, and measuring them in aggregate.',
    basis: 'legitimate-interests',
    basisReason: 'Advertising pays for the free service; these adverts use no profile of you.',
    recipientsNote: 'Advertisers receive aggregate figures that identify no one.',
    receiptCategory: 'Marketing Third Parties',
  },
  // Separate from `advertising`: a partner's tag stores and reads cookies on the device, which
  // needs consent (PECR reg. 6) whatever the adverts are chosen from.
  'advertising-cookies': {
    title: 'Advertising partners',
    description:
      'Letting the advertising partners you allow show and measure adverts on our pages, which stores and reads cookies on your device. The adverts are not chosen from a profile of you.',
    basis: 'consent',
    basisReason:
      'Partners’ tags store and read cookies on your device, which needs your agreement; without it adverts still show, chosen by the page, from Hearth itself.',
    recipientsNote: 'The advertising partners you allow in the cookie settings.',
    withdrawal: 'Change your choice at any time in the cookie settings (/cookies).',
    receiptCategory: 'Marketing Third Parties',
  },
  'personalised-advertising': {
    title: 'Personalised advertising',
    description:
      'Choosing adverts from your interests and browsing, through advertising partners you allow.',
    basis: 'consent',
    basisReason:
      'Only with your consent to each purpose and partner; without it adverts are not personalised.',
    recipientsNote: 'The advertising partners you allow in the cookie settings.',
    withdrawal: 'Change your choice at any time in the cookie settings (/cookies).',
    receiptCategory: 'Sharing for Marketing',
  },
  'location-precise': {
    title: 'Precise location',
    description: 'Using your device’s precise location (GPS) to show what is near you.',
    basis: 'consent',
    basisReason: 'Your device asks you, and we use it only when you agree.',
    recipientsNote: 'Nobody outside Hearth receives it.',
    withdrawal: WITHDRAW_IN_SETTINGS,
    receiptCategory: 'Personalized Experience',
  },
  security: {
    title: 'Keeping Hearth secure',
    description:
      'Protecting accounts and the service from abuse, fraud and attacks: sessions, rate limits and security logs.',
    basis: 'legitimate-interests',
    basisReason: 'Keeping members’ accounts and data safe (Recital 49).',
    recipientsNote: 'Our hosting processor.',
    receiptCategory: 'Protecting Our Interests',
  },
  'legal-obligation': {
    title: 'Meeting our legal obligations',
    description:
      'Records the law requires: evidence of consent, the handling of your rights requests, and releases to authorities required by law.',
    basis: 'legal-obligation',
    basisReason: 'The UK GDPR and other laws oblige us to keep these records.',
    restrictionExemption:
      'Art. 18(2): processing for legal claims and for reasons of important public interest continues while processing is restricted.',
    recipientsNote: 'Authorities, only when the law requires it; every release is logged.',
    receiptCategory: 'Legally Required Data Retention',
  },
} as const satisfies Record<string, PurposeEntry>;

export type PurposeKey = keyof typeof CATALOGUE;

export interface Purpose extends PurposeEntry {
  key: PurposeKey;
  /** Changes go through the consent ledger (recordConsent); processing needs a current grant. */
  isConsentBased: boolean;
  /** Art. 21(1): the person may object (legitimate interests or public task). */
  canObject: boolean;
}

function definePurpose(key: PurposeKey, entry: PurposeEntry): Purpose {
  // Derived from the basis, never typed by hand, so a purpose cannot claim one basis and be
  // checked under another.
  return {
    ...entry,
    key,
    isConsentBased: entry.basis === 'consent',
    canObject: entry.basis === 'legitimate-interests' || entry.basis === 'public-task',
  };
}

export const PURPOSE_KEYS = Object.freeze(Object.keys(CATALOGUE) as PurposeKey[]);

export const PURPOSES: Readonly<Record<PurposeKey, Purpose>> = Object.freeze(
  Object.fromEntries(
    PURPOSE_KEYS.map((key) => [key, Object.freeze(definePurpose(key, CATALOGUE[key]))]),
  ) as Record<PurposeKey, Purpose>,
);

/** A purpose key that is not in the catalogue: a 400 when it comes from a request. */
export class UnknownPurposeError extends AppError {
  constructor(readonly purpose: string) {
    const message = `Unknown purpose "${purpose}"; known purposes: ${PURPOSE_KEYS.join(', ')}`;
    super('validation_failed', message, { fields: { purpose: message } });
    this.name = 'UnknownPurposeError';
  }
}

export function isPurposeKey(key: string): key is PurposeKey {
  return Object.hasOwn(CATALOGUE, key);
}

export function getPurpose(key: string): Purpose {
  if (!isPurposeKey(key)) throw new UnknownPurposeError(key);
  return PURPOSES[key];
}
