import { collectOwners } from '../app.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../platform/db/database.js';
import { loadNoticeProse } from '../privacy/notice/notice.prose.js';
import { MAX_SUMMARY_LENGTH, publishNotice } from '../privacy/notice/notice.service.js';
import { createPrivacyRegistry } from '../privacy/registry.js';
import { partnersInUse } from '../privacy/partners.js';
import { buildRopa, ropaToCsv, ropaToJson } from '../privacy/ropa.js';
import { UsageError, type CliCommand } from './command.js';

export const privacyPublishCommand: CliCommand = {
  name: ['privacy', 'publish'],
  summary: 'Publish a new version of the privacy notice',
  usage: [
    'hearth privacy publish --summary TEXT [--material]',
    '',
    'Snapshots the notice from the prose (DATA_DIR/notice/ overrides the shipped text), the data',
    'map, the purposes and the partner registry, as the next version. --summary says what',
    'changed (shown on /privacy/changes). --material marks a change members must be shown on',
    'their next visit, with consent asked again where a purpose changed.',
  ].join('\n'),
  options: { summary: { type: 'string' }, material: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const summary = typeof values.summary === 'string' ? values.summary.trim() : '';
    if (summary === '') throw new UsageError('--summary TEXT is required: say what changed');
    if (summary.length > MAX_SUMMARY_LENGTH) {
      throw new UsageError(`--summary is longer than ${MAX_SUMMARY_LENGTH} characters`);
    }
    const config = loadConfig(io.env);
    // Read and check the prose and the registry before touching the database.
    const prose = loadNoticeProse(config.dataDir);
    const registry = createPrivacyRegistry(collectOwners());
    const handle = openDatabase(config.database);
    try {
      const published = await publishNotice(handle.db, registry, {
        summary,
        material: values.material === true,
        prose,
        partners: partnersInUse(config),
      });
      io.out(
        `Published version ${published.version} of the privacy notice${published.material ? ' (material change)' : ''}.`,
      );
      return 0;
    } finally {
      await handle.destroy();
    }
  },
};

export const privacyRopaCommand: CliCommand = {
  name: ['privacy', 'ropa'],
  summary: 'Print the record of processing activities (Art. 30)',
  usage: [
    'hearth privacy ropa [--format csv|json]   (csv by default)',
    '',
    'Generated from the data map, the purposes and the partner registry; redirect it to a file.',
  ].join('\n'),
  options: { format: { type: 'string' } },
  run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const format = typeof values.format === 'string' ? values.format : 'csv';
    if (format !== 'csv' && format !== 'json') {
      throw new UsageError(`--format takes csv or json, got "${format}"`);
    }
    const config = loadConfig(io.env);
    const ropa = buildRopa(createPrivacyRegistry(collectOwners()), {
      facts: loadNoticeProse(config.dataDir).facts,
      partners: partnersInUse(config),
    });
    const text = format === 'csv' ? ropaToCsv(ropa) : ropaToJson(ropa);
    // `out` adds "\n" of its own: dropping only the last "\n" keeps the CSV's final "\r\n".
    io.out(text.replace(/\n$/, ''));
    return Promise.resolve(0);
  },
};
