/**
 * The job queue's data map. A job's payload carries ids only (validateJobPayload refuses
 * emails and free text), but an id can be a member's, so the table is declared personal:
 * `subject_id` names the member when the enqueuer says whom the job is about, and finished
 * jobs are deleted on a schedule.
 */
import type { DataMap } from '../datamap.js';

export const jobsDataMap: DataMap = {
  jobs: {
    subjects: [{ column: 'subject_id', role: 'member' }],
    purpose: 'account',
    source: 'system',
    description:
      'Background work the service has queued (sending a message, running retention), named by ids.',
    columns: {
      id: 'system.id',
      name: 'system.operational',
      payload: {
        category: 'user.id',
        description:
          'Ids of the rows the job works on (a member, a message), never names, addresses or text.',
      },
      subject_id: 'user.id',
      status: 'system.state',
      run_at: 'system.time',
      attempts: 'system.operational',
      max_attempts: 'system.config',
      lease_owner: {
        category: 'system.operational',
        description: 'Which worker process holds the job: host name and process id.',
      },
      lease_expires_at: 'system.time',
      last_error: {
        category: 'system.operational',
        description: 'Why the last attempt failed; email addresses are removed before it is kept.',
      },
      unique_key: 'system.operational',
      created_at: 'system.time',
      updated_at: 'system.time',
      finished_at: 'system.time',
    },
    // Clearing the link (rather than deleting) lets a job already running for the member, such
    // as their erasure, record its outcome; its payload then names rows that no longer exist.
    erasure: { anonymise: { subject_id: null } },
    retention: [
      {
        after: 'P7D',
        from: 'finished_at',
        action: 'delete',
        where: { status: 'done' },
        reason: 'A finished job is kept a week for troubleshooting.',
      },
      {
        after: 'P30D',
        from: 'finished_at',
        action: 'delete',
        where: { status: 'dead' },
        reason: 'A failed job is kept a month so the operator can see and fix the cause.',
      },
    ],
  },
};
