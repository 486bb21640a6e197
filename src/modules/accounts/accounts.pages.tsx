import type { FastifyPluginAsync } from 'fastify';

/** The accounts pages: /register, /login, /account, … */
export const accountsPages: FastifyPluginAsync = async () => {};
