/**
 * The home page: what Hearth is, what members can do today, and what is on its way. A feature
 * is linked only once the app serves its page; until then it is marked as coming, so the page
 * never promises what is not there.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ButtonLink } from '../../platform/views/forms.js';

export interface Feature {
  title: string;
  description: string;
  /** Where the feature's page will live; linked once the app serves it. */
  path: string;
}

/** Hearth's features in the order a new parent meets them (DESIGN.md §4, the modules). */
export const FEATURES: readonly Feature[] = [
  {
    title: 'The Coffeehouse',
    description:
      'A forum to talk with other parents about pregnancy, babies, toddlers and everything after, with private messages and trained Parent Supporters.',
    path: '/forum',
  },
  {
    title: 'Newsletters',
    description:
      'Pregnancy Weekly, Baby Monthly and a general letter, each sent only if you ask for it and stopped with one click.',
    path: '/newsletters',
  },
  {
    title: 'Competitions and product trials',
    description:
      'Win prizes and try products before you buy, each under its own terms shown before you enter.',
    path: '/competitions',
  },
  {
    title: 'Surveys, polls and research',
    description:
      'Say what you think and help research on parenting; your answers reach a partner only if you agree.',
    path: '/surveys',
  },
  {
    title: "Local listings and What's on",
    description:
      'Groups, classes and places near you, and events for families, kept up to date by the people who run them.',
    path: '/listings',
  },
  {
    title: 'Reviews',
    description: 'Honest reviews of places, products and recipes from other parents.',
    path: '/reviews',
  },
  {
    title: 'Help desk',
    description: 'Ask us anything about Hearth, or raise a concern, and follow your request.',
    path: '/help',
  },
];

export interface FeatureStatus extends Feature {
  isOpen: boolean;
}

/** What the home page shows, worked out from the pages the app serves. */
export interface HomeView {
  features: readonly FeatureStatus[];
  canRegister: boolean;
  canLogIn: boolean;
  hasPrivacyNotice: boolean;
  hasCookieSettings: boolean;
}

export function buildHomeView(hasPage: (path: string) => boolean): HomeView {
  return {
    features: FEATURES.map((feature) => ({ ...feature, isOpen: hasPage(feature.path) })),
    canRegister: hasPage('/register'),
    canLogIn: hasPage('/login'),
    hasPrivacyNotice: hasPage('/privacy'),
    hasCookieSettings: hasPage('/cookies'),
  };
}

export const HOME_TITLE = 'A home for parents';
export const HOME_DESCRIPTION =
  'Hearth is a friendly community for parents and parents-to-be: talk, share and find what is on near you, with your privacy built in.';

function FeatureCard(props: { feature: FeatureStatus }) {
  const { feature } = props;
  const headingId = `feature-${feature.path.slice(1)}`;
  return (
    <li class="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {feature.isOpen ? <a href={feature.path}>{feature.title}</a> : feature.title}
      </h3>
      {feature.isOpen ? null : <p class="status-tag">Coming soon</p>}
      <p>{feature.description}</p>
    </li>
  );
}

function Membership(props: { view: HomeView }) {
  const { canRegister, canLogIn } = props.view;
  if (!canRegister && !canLogIn) {
    return (
      <p>
        Membership opens soon. Until then you can read about Hearth here and in our privacy notice.
      </p>
    );
  }
  return (
    <div class="actions">
      {canRegister ? <ButtonLink href="/register">Join Hearth</ButtonLink> : null}
      {canLogIn ? (
        <ButtonLink href="/login" variant="secondary">
          Log in
        </ButtonLink>
      ) : null}
    </div>
  );
}

export function HomePage(props: { view: HomeView }) {
  const { view } = props;
  const openCount = view.features.filter((feature) => feature.isOpen).length;
  return (
    <>
      <section class="hero" aria-labelledby="home-title">
        <h1 id="home-title">Welcome to Hearth</h1>
        <p class="lead">
          A warm, friendly community for parents and parents-to-be. Share the ups and downs, ask the
          questions you cannot ask anyone else, and find what is on for families near you.
        </p>
        <Membership view={view} />
      </section>

      <section aria-labelledby="features-title">
        <h2 id="features-title">What you will find here</h2>
        <p>
          {openCount === 0
            ? 'Hearth is being built in the open. These are the parts on their way:'
            : openCount === view.features.length
              ? 'Everything Hearth offers:'
              : 'Some parts are open now; the rest are on their way:'}
        </p>
        <ul class="card-list">
          {view.features.map((feature) => (
            <FeatureCard key={feature.path} feature={feature} />
          ))}
        </ul>
      </section>

      <section class="panel" aria-labelledby="privacy-title">
        <h2 id="privacy-title">Your privacy, built in</h2>
        <p>
          Parents share things that matter: a due date, a baby&rsquo;s birthday, a worry at 3am.
          Hearth&rsquo;s privacy notice is not just words. Every piece of personal data we keep is
          declared in our code with why we keep it and for how long, and that declaration drives
          what you can see, download and delete.
        </p>
        <ul>
          <li>Nothing leaves Hearth for a partner without your consent or a legal reason.</li>
          <li>You can download your data or delete your account yourself, at any time.</li>
          <li>Only essential cookies are set until you choose otherwise.</li>
        </ul>
        {view.hasPrivacyNotice || view.hasCookieSettings ? (
          <p>
            {view.hasPrivacyNotice ? <a href="/privacy">Read our privacy notice</a> : null}
            {view.hasPrivacyNotice && view.hasCookieSettings ? ' or ' : null}
            {view.hasCookieSettings ? <a href="/cookies">choose your cookie settings</a> : null}.
          </p>
        ) : null}
      </section>
    </>
  );
}

/** Serves the home page at `/`. */
export const homePages: FastifyPluginAsync = (app: FastifyInstance) => {
  // The routes are final once the app serves requests, so the view is worked out once.
  let view: HomeView | undefined;
  app.get('/', (_request, reply) => {
    view ??= buildHomeView((path) => app.hasPage(path));
    return reply.page(HOME_TITLE, <HomePage view={view} />, { description: HOME_DESCRIPTION });
  });
  // Registering routes is synchronous; the contract asks for a promise.
  return Promise.resolve();
};
