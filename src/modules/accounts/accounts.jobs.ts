/**
 * The accounts jobs. The inactivity warning (P35) is enqueued by the retention run, in its
 * transaction, through the module's `warnBeforeErasure` hook; the job then writes the mail,
 * because only a job has the configuration (the site's address for the log-in link, the time
 * zone for the date). The payload carries the member's id and the date, never an address.
 */
import { addDuration } from '../../platform/datamap.js';
import type { DbExecutor } from '../../platform/db/database.js';
import { enqueueJob } from '../../platform/jobs/jobs.queue.js';
import { PermanentJobError, type JobHandler } from '../../platform/jobs/jobs.types.js';
import { queueInactivityWarningMail } from './accounts.mails.js';
import { findUserById } from './accounts.queries.js';

/** The inactivity rule's period, as declared in accounts.privacy.ts. */
export const INACTIVITY_PERIOD = 'P3Y';

export const INACTIVITY_WARNING_JOB = 'accounts.inactivity-warning';

export async function enqueueInactivityWarning(
  db: DbExecutor,
  userId: string,
  erasesAt: Date,
): Promise<void> {
  await enqueueJob(
    db,
    INACTIVITY_WARNING_JOB,
    { userId, erasesAt: erasesAt.toISOString() },
    {
      subjectId: userId,
      // One warning per member and erasure date, however often the retention run repeats.
      uniqueKey: `${INACTIVITY_WARNING_JOB}:${userId}:${erasesAt.toISOString()}`,
    },
  );
}

export const sendInactivityWarning: JobHandler = async (context, payload) => {
  const userId = payload.userId;
  const erasesAt = typeof payload.erasesAt === 'string' ? new Date(payload.erasesAt) : null;
  if (typeof userId !== 'string' || erasesAt === null || Number.isNaN(erasesAt.getTime())) {
    throw new PermanentJobError('inactivity warning: the payload needs userId and erasesAt');
  }
  await context.db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId);
    // Erased, or erasure requested meanwhile: nobody to warn.
    if (!user || user.status !== 'active') return;
    // The member came back since: their new activity restarts the clock, no warning applies.
    const basis = addDuration(erasesAt, INACTIVITY_PERIOD, -1);
    if (user.last_active_at !== null && new Date(user.last_active_at) > basis) return;
    await queueInactivityWarningMail(
      trx,
      { publicUrl: context.config.publicUrl, timezone: context.config.timezone },
      { id: user.id, email: user.email, firstName: user.first_name },
      erasesAt,
    );
  });
};
