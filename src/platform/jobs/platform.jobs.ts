import type { JobContribution } from './jobs.types.js';

/** The platform's own jobs (mail sending, session and job clean-up). */
export const platformJobs: JobContribution = {};
