/** Kysely table types of the erasure engine's bookkeeping (migration 20261129_0011). */

/** `running` until every owner is done (or after an interruption); `refused` under a hold. */
export type ErasureRunStatus = 'running' | 'completed' | 'refused';

export interface ErasureRunsTable {
  id: string;
  subject_id: string;
  status: ErasureRunStatus;
  /** The subject while the run is open, null after: a unique index allows one open run each. */
  open_subject_id: string | null;
  actor_id: string | null;
  reason: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
  removed: number | string;
  /** JSON: the run's final report (removed and retained per table). */
  report: string | null;
}

/** One owner's part of a run, written in the same transaction as that owner's changes. */
export interface ErasureStepsTable {
  run_id: string;
  owner: string;
  finished_at: string;
  removed: number | string;
  /** JSON: what this owner removed and retained. */
  report: string;
}

export interface ErasureTables {
  privacy_erasure_runs: ErasureRunsTable;
  privacy_erasure_steps: ErasureStepsTable;
}
