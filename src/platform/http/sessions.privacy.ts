/** The data map of the HTTP platform's own table: log-in sessions. */
import type { DataMap } from '../datamap.js';

export const sessionsDataMap: DataMap = {
  sessions: {
    subjects: [{ column: 'user_id', role: 'member' }],
    purpose: 'security',
    description: 'Keeps a member logged in on a device or app until they log out or it expires.',
    source: 'system',
    columns: {
      id: {
        category: 'system.id',
        description: 'SHA-256 of the session token; the token itself is never stored.',
      },
      user_id: 'user.id',
      kind: 'system.state',
      data: {
        category: 'user.authentication',
        description: 'Log-in state, such as a pending second factor or a recent password check.',
      },
      created_at: 'system.time',
      last_seen_at: {
        category: 'user.behaviour',
        description:
          'When the session was last used, to the hour; shown in the member’s list of sessions.',
      },
      expires_at: 'system.time',
    },
    erasure: 'delete',
    retention: [
      {
        after: 'P0D',
        from: 'expires_at',
        action: 'delete',
        reason: 'An expired session can no longer be used and is kept for nothing.',
      },
    ],
  },
};
