import { MAIL_SEND_JOB } from '../mail/mail.outbox.js';
import { sendOutboxMail } from '../mail/mail.send.js';
import type { JobContribution } from './jobs.types.js';

/**
 * The platform's own jobs. Finished jobs, sent mail and caught mail are removed by the
 * retention rules of their data maps (jobs.privacy.ts, mail.privacy.ts), which the privacy
 * core's retention job applies, so no clean-up job of their own is needed here.
 */
export const platformJobs: JobContribution = {
  jobs: { [MAIL_SEND_JOB]: sendOutboxMail },
};
