/**
 * One browser and one real built server per journey file: started before its tests, stopped
 * after. Tests read `journey.server.url` and open pages with `journey.browser.newPage()`.
 */
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, type BrowserSession } from './browser.js';
import { startBuiltServer, type StartServerOptions, type StartedServer } from './server.js';

export interface Journey {
  readonly server: StartedServer;
  readonly browser: BrowserSession;
}

export function useJourney(options: StartServerOptions = {}): Journey {
  let server: StartedServer | undefined;
  let browser: BrowserSession | undefined;
  beforeAll(async () => {
    server = await startBuiltServer(options);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('the journey server is not started');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the journey browser is not launched');
      return browser;
    },
  };
}
