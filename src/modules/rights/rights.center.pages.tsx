import type { FastifyPluginAsync } from 'fastify';

/** The privacy center at /account/privacy and the DPO's desk in /admin. */
export const centerPages: FastifyPluginAsync = async () => {};
