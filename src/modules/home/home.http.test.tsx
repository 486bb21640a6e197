import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.js';
import { describeEachDialect } from '../../../test/helpers/dialects.js';
import type { HearthModule } from '../../platform/module.js';
import { FEATURES } from './home.pages.js';
import { home } from './index.js';

/** Stands in for modules that will serve these pages: the home page must link them then. */
const laterPages: HearthModule = {
  name: 'later-pages',
  dataMap: {},
  plugin: (app) => {
    for (const path of ['/forum', '/register', '/login']) {
      app.get(path, (_request, reply) => reply.page(path, <h1>{path}</h1>));
    }
    return Promise.resolve();
  },
};

function textOf(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describeEachDialect('home page', (current) => {
  describe('with no feature open yet', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await buildTestApp(current(), { modules: [home] });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('welcomes visitors in the layout', async () => {
      const response = await app.inject({ url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<h1 id="home-title">Welcome to Hearth</h1>');
      expect(response.body).toContain('<title>A home for parents · Hearth</title>');
      expect(response.body).toContain('<meta name="description"');
      expect(response.body).toContain('<a href="/" aria-current="page">Home</a>');
    });

    it('names every feature to come honestly, without dead links', async () => {
      const response = await app.inject({ url: '/' });
      const text = textOf(response.body);
      for (const feature of FEATURES) {
        expect(text).toContain(feature.title);
        if (!app.hasPage(feature.path)) {
          expect(response.body).not.toContain(`href="${feature.path}"`);
        }
      }
      expect(text).toContain('Coming soon');
      expect(response.body).not.toContain('href="/register"');
      expect(response.body).not.toContain('href="/login"');
      expect(text).toContain('Membership opens soon');
    });

    it('links the privacy notice and cookie settings from the body only once they exist', async () => {
      const response = await app.inject({ url: '/' });
      const body = response.body.split('<footer')[0] ?? '';
      expect(body.includes('href="/privacy"')).toBe(app.hasPage('/privacy'));
      expect(body.includes('href="/cookies"')).toBe(app.hasPage('/cookies'));
    });
  });

  describe('once other modules serve their pages', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await buildTestApp(current(), { modules: [home, laterPages] });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('links the open features and offers to join or log in', async () => {
      const response = await app.inject({ url: '/' });
      expect(response.body).toContain('<a href="/forum">The Coffeehouse</a>');
      expect(response.body).toContain(
        '<a href="/register" class="button button--primary">Join Hearth</a>',
      );
      expect(response.body).toContain(
        '<a href="/login" class="button button--secondary">Log in</a>',
      );
      expect(textOf(response.body)).toContain('Some parts are open now');
      expect(textOf(response.body)).not.toContain('Membership opens soon');
    });
  });
});
