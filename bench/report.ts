/**
 * What the benchmarks share: medians, numbers as the reports print them, the machine section and
 * writing a results file formatted as the repository's own checks expect (`prettier --check .`
 * covers Markdown).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

export const BENCH_FOLDER = path.dirname(fileURLToPath(import.meta.url));

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function format(value: number, digits = 0): string {
  return value.toLocaleString('en-GB', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** The report's last section: what ran it, and how busy the shared machine was. */
export function machineSection(loadBefore: readonly number[], loadAfter: readonly number[]) {
  const cpus = os.cpus();
  const load = (values: readonly number[]) => values.map((value) => format(value, 2)).join(', ');
  return [
    '## Machine',
    '',
    `- CPUs: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `- Node.js ${process.version}, ${os.platform()} ${os.release()}`,
    `- Load average (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(loadAfter)}`,
    '- The machine is shared with other work: compare ratios between runs, not absolute numbers.',
    '',
  ];
}

/** Writes `bench/<name>` and prints it. */
export async function writeResults(name: string, lines: readonly string[]): Promise<void> {
  const resultsFile = path.join(BENCH_FOLDER, name);
  const report = await prettier.format(lines.join('\n'), {
    ...(await prettier.resolveConfig(resultsFile)),
    filepath: resultsFile,
  });
  fs.writeFileSync(resultsFile, report);
  process.stdout.write(report);
}
