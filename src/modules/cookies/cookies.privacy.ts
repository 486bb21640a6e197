/**
 * The cookie module's data map. A choice is the evidence for every cookie and partner tag the
 * visitor allowed (Art. 7(1)): it is kept like the consent ledger's visitor events, 13 months
 * while it is the choice in force and six years beyond for legal claims, and an erased member's
 * rows are retained for the same reason.
 */
import type { DataMap } from '../../platform/datamap.js';

export const cookiesDataMap: DataMap = {
  cookies_choices: {
    description:
      'Each choice made in the cookie banner or settings: the purposes and partners allowed, under a pseudonymous visitor id, and the member when logged in.',
    subjects: [
      { column: 'visitor_id', role: 'visitor' },
      { column: 'member_id', role: 'member' },
    ],
    purpose: 'legal-obligation',
    source: 'member',
    columns: {
      id: 'system.id',
      visitor_id: {
        category: 'user.device.cookie',
        description: 'A random id kept in the cookie-choices cookie, set only after a choice.',
      },
      member_id: 'user.id',
      purposes: 'user.preference',
      partners: 'user.preference',
      catalogue_version: 'system.state',
      method: 'system.operational',
      gpc: 'user.preference',
      at: 'system.time',
    },
    erasure: {
      retain: {
        basis: 'legal-obligation',
        reason:
          'Art. 7(1) UK GDPR: we must be able to show which cookies a person allowed and when; kept six years for legal claims.',
        for: 'P6Y',
      },
    },
    retention: [
      {
        after: 'P7Y1M',
        from: 'at',
        action: 'delete',
        reason: 'A cookie choice lapses after 13 months; evidence kept six years beyond.',
      },
    ],
  },
};
