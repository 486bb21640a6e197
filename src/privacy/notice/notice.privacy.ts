/** The published notice's data map: versions of the notice hold no personal data. */
import type { DataMap } from '../../platform/datamap.js';

export const noticeDataMap: DataMap = {
  privacy_notice_versions: {
    personal: false,
    description: 'Each published version of the privacy notice, kept so that changes stay visible.',
    columns: {
      version: 'system.id',
      published_at: 'system.time',
      summary: 'system.config',
      material: 'system.state',
      content: 'system.config',
    },
  },
};
