/** Kysely types of the job queue's table (migration 20261129_0003_jobs_mail). */
export type JobStatus = 'queued' | 'running' | 'done' | 'dead';

export interface JobsTable {
  id: string;
  /** The handler's name, `<owner>.<job>` (`mail.send`, `privacy.retention`). */
  name: string;
  /** JSON object of ids, numbers and booleans (see validateJobPayload). */
  payload: string;
  /** The member the job is about, when the enqueuer says so (erasure clears it). */
  subject_id: string | null;
  status: JobStatus;
  /** Not before this time (ISO 8601 UTC); the next try's time after a failure. */
  run_at: string;
  /** Attempts started so far, counted when claimed, so a crashed attempt counts too. */
  attempts: number;
  max_attempts: number;
  /** The worker holding the job while it runs, and until when (renewed while it runs). */
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** The last failure's message, with email addresses redacted. */
  last_error: string | null;
  unique_key: string | null;
  created_at: string;
  updated_at: string;
  /** When it became done or dead: retention counts from here. */
  finished_at: string | null;
}

export interface JobsTables {
  jobs: JobsTable;
}
