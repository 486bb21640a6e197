/**
 * `hearth audit verify`: recomputes the audit log's hash chain (DESIGN.md §5.7) and says
 * whether it is whole. Exit 0 when it is, 1 when it is broken, naming the first entry that
 * does not verify; progress goes to stderr so a long chain is seen moving.
 */
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../platform/db/database.js';
import { verifyAuditChain } from '../privacy/audit/audit.service.js';
import { UsageError, progressReporter, type CliCommand } from './command.js';

export const auditCommand: CliCommand = {
  name: ['audit', 'verify'],
  summary: 'Check that the audit log’s hash chain is whole',
  usage: [
    'hearth audit verify   recompute every entry of the audit chain; exit 0 when it is whole,',
    '                      1 when it is broken (the first broken entry is named)',
  ].join('\n'),
  async run({ positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected "${positionals.join(' ')}"`);
    const config = loadConfig(io.env);
    const handle = openDatabase(config.database);
    try {
      let progress: ReturnType<typeof progressReporter> | undefined;
      let reported = 0;
      const result = await verifyAuditChain(handle.db, {
        onProgress(checked, total) {
          progress ??= progressReporter(io, 'audit entries checked', total);
          progress.advance(checked - reported);
          reported = checked;
        },
      });
      progress?.finish();
      if (result.ok) {
        io.out(`The audit chain is whole: ${result.checked} entries verified.`);
        return 0;
      }
      io.out(
        `The audit chain is broken at entry ${result.firstBrokenSeq ?? '?'}: ${result.reason ?? 'unknown'} (${result.checked} entries verified before it).`,
      );
      return 1;
    } finally {
      await handle.destroy();
    }
  },
};
