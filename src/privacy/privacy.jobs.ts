/**
 * The privacy core's jobs and schedules: the retention run (DESIGN.md §5.6, P33), every day at
 * 03:30 in the configured TIMEZONE, when the site is quietest.
 */
import type { JobContribution, JobHandler } from '../platform/jobs/jobs.types.js';
import type { PrivacyRegistry } from './registry.js';
import { runRetention } from './retention/retention.engine.js';

export const RETENTION_JOB = 'privacy.retention';
export const RETENTION_SCHEDULE = 'privacy.retention.daily';
export const RETENTION_CRON = '30 3 * * *';

/**
 * The retention job: runs every rule as of now, logs the counts of each rule that did
 * anything, and fails (so the queue retries and, at last, keeps it as dead for the operator)
 * when a rule failed. Running twice is harmless: what was deleted is gone, and warnings are
 * claimed once.
 */
export function createRetentionJob(registry: PrivacyRegistry): JobHandler {
  return async (context) => {
    const report = await runRetention(context.db, registry, {
      asOf: new Date(),
      dryRun: false,
      onRule: (rule) => {
        if (rule.error) {
          context.log.error(
            { table: rule.table, rule: rule.ruleIndex, action: rule.action, error: rule.error },
            'retention rule failed',
          );
        } else if (rule.matched > 0) {
          context.log.info(
            {
              table: rule.table,
              rule: rule.ruleIndex,
              action: rule.action,
              matched: rule.matched,
              applied: rule.applied,
              skippedForHold: rule.skippedForHold,
              warned: rule.warned,
              waiting: rule.waiting,
            },
            'retention rule applied',
          );
        }
      },
    });
    const applied = report.rules.reduce((sum, rule) => sum + rule.applied, 0);
    context.log.info(
      { asOf: report.asOf, rules: report.rules.length, applied },
      'retention run finished',
    );
    if (report.failed) {
      const failed = report.rules.filter((rule) => rule.error !== undefined);
      throw new Error(
        `retention failed for ${failed.map((rule) => `${rule.table}#${rule.ruleIndex}`).join(', ')}`,
      );
    }
  };
}

/** The privacy core's jobs, bound to the application's registry (app.ts builds it first). */
export function createPrivacyJobs(registry: PrivacyRegistry): JobContribution {
  return {
    jobs: { [RETENTION_JOB]: createRetentionJob(registry) },
    schedules: [{ name: RETENTION_SCHEDULE, cron: RETENTION_CRON, job: RETENTION_JOB }],
  };
}
