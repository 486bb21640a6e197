import type { JobContribution } from '../platform/jobs/jobs.types.js';

/** The privacy core's jobs and schedules (retention). */
export const privacyJobs: JobContribution = {};
