/**
 * buildApp(config) builds the whole application without starting it (STYLE.md point 2): the
 * platform first, then the privacy core, then every module of the typed list. server.ts
 * listens; worker.ts runs jobs; tests call buildApp and app.inject.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { MODULES } from './modules/index.js';
import { openDatabase, type Database, type DatabaseHandle } from './platform/db/database.js';
import type { HearthModule } from './platform/module.js';
import { platformDataMap } from './platform/platform.privacy.js';
import { handleFrameworkError } from './platform/http/error-handler.js';
import { platformPlugin } from './platform/http/platform.plugin.js';
import { jobsPlugin } from './platform/jobs/jobs.plugin.js';
import { collectJobs, type JobRegistry } from './platform/jobs/jobs.types.js';
import { platformJobs } from './platform/jobs/platform.jobs.js';
import { resolveSecretKey } from './platform/secrets.js';
import { viewsPlugin } from './platform/views/views.plugin.js';
import { createPrivacyJobs } from './privacy/privacy.jobs.js';
import { privacyPlugin } from './privacy/privacy.plugin.js';
import {
  createPrivacyRegistry,
  type PrivacyOwner,
  type PrivacyRegistry,
} from './privacy/registry.js';
import { privacyOwner } from './privacy/privacy.privacy.js';

export interface BuildOptions {
  /** An open database; when absent one is opened from config and closed with the app. */
  database?: DatabaseHandle;
  /** Modules to mount; the application's own list by default. */
  modules?: readonly HearthModule[];
  /** Extra owners (tests declare fixture owners this way). */
  extraOwners?: readonly PrivacyOwner[];
  /** Run the job worker inside this process (serve does; tests and CLI commands do not). */
  startWorker?: boolean;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: { write(line: string): void };
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    dialect: DatabaseHandle['dialect'];
    secretKey: string;
    privacyRegistry: PrivacyRegistry;
    modules: readonly HearthModule[];
    jobRegistry: JobRegistry;
    /** Whether this process runs the job worker and schedules (BuildOptions.startWorker). */
    runsWorker: boolean;
  }
}

/** Every owner's data map: the platform, the privacy core, then each module. */
export function collectOwners(
  modules: readonly HearthModule[] = MODULES,
  extraOwners: readonly PrivacyOwner[] = [],
): PrivacyOwner[] {
  const core: PrivacyOwner[] = [platformDataMap, privacyOwner];
  return [
    ...core,
    ...modules.map((module) => ({
      owner: module.name,
      tables: module.dataMap,
      ...(module.privacy ? { hooks: module.privacy } : {}),
    })),
    ...extraOwners,
  ];
}

export async function buildApp(
  config: Config,
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const ownsDatabase = options.database === undefined;
  const handle = options.database ?? openDatabase(config.database);
  const modules = options.modules ?? MODULES;

  const app = Fastify({
    trustProxy: config.trustProxy,
    logger: {
      ...createLoggerOptions(config),
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // Undecodable URLs and bad content types get Hearth's error shape and security headers.
    frameworkErrors: handleFrameworkError,
    // Report every invalid field at once, not only the first.
    ajv: { customOptions: { allErrors: true } },
  });

  app.decorate('config', config);
  app.decorate('db', handle.db);
  app.decorate('dialect', handle.dialect);
  app.decorate('secretKey', await resolveSecretKey(handle.db, config));
  const privacyRegistry = createPrivacyRegistry(collectOwners(modules, options.extraOwners));
  app.decorate('privacyRegistry', privacyRegistry);
  app.decorate('modules', modules);
  app.decorate(
    'jobRegistry',
    collectJobs([platformJobs, createPrivacyJobs(privacyRegistry), ...modules]),
  );
  app.decorate('runsWorker', options.startWorker === true);
  if (ownsDatabase) app.addHook('onClose', async () => handle.destroy());

  await app.register(platformPlugin);
  await app.register(viewsPlugin);
  await app.register(jobsPlugin);
  await app.register(privacyPlugin);
  for (const module of modules) {
    if (module.plugin) await app.register(module.plugin);
  }
  return app;
}

/**
 * Request logs carry no bodies and no emails (Fastify logs neither by default: only method,
 * url, status and timing); the client address appears only when LOG_IP=true.
 */
function createLoggerOptions(config: Config) {
  return {
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
    serializers: {
      req(request: { method: string; url: string; ip?: string; id?: string }) {
        return {
          method: request.method,
          url: request.url.split('?')[0],
          ...(config.logIp && request.ip ? { ip: request.ip } : {}),
        };
      },
    },
  };
}
