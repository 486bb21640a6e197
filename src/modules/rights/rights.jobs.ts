import type { JobHandler } from '../../platform/jobs/jobs.types.js';

/** The rights module's jobs (the erasure run behind an erasure request). */
export const rightsJobs: Readonly<Record<string, JobHandler>> = {};
