/**
 * `analytics.close-days`: at midnight (in TIMEZONE) it deletes the finished day's salt; at five
 * past each hour it also counts every finished day's hashes and deletes them (the hourly run
 * catches up after a worker was down at midnight).
 */
import type { JobHandler, ScheduleDefinition } from '../../platform/jobs/jobs.types.js';
import { closeDays } from './analytics.counting.js';

export const CLOSE_DAYS_JOB = 'analytics.close-days';

export const closeDaysJob: JobHandler = async (context) => {
  // The real time, not the tick: a late run must not act on a day that has not ended.
  const report = await closeDays(context.db, {
    timezone: context.config.timezone,
    now: new Date(),
  });
  context.log.info(report, 'analytics days closed');
};

export const ANALYTICS_SCHEDULES: readonly ScheduleDefinition[] = [
  { name: `${CLOSE_DAYS_JOB}.midnight`, cron: '0 0 * * *', job: CLOSE_DAYS_JOB },
  { name: `${CLOSE_DAYS_JOB}.hourly`, cron: '5 * * * *', job: CLOSE_DAYS_JOB },
];
