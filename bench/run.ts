/**
 * `npm run bench`: throughput and latency of Hearth's home page against two references measured
 * in the same run (DESIGN.md §8), because the machine is shared and noisy: absolute numbers
 * move with the neighbours, ratios much less. Rounds are interleaved (each round runs every
 * scenario, in a rotating order) so that a burst of outside load hits all scenarios alike, and
 * medians of the rounds are reported. Writes bench/RESULTS.md and prints it.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { BENCH_FOLDER, format, machineSection, median, writeResults } from './report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 2;
const CONNECTIONS = 10;

type ScenarioKey = 'json' | 'page' | 'hearth';

const SCENARIOS: readonly { key: ScenarioKey; title: string }[] = [
  { key: 'json', title: '(a) bare Fastify, JSON route' },
  { key: 'page', title: '(b) bare Fastify, static Preact page like the home page' },
  { key: 'hearth', title: "(c) Hearth's home page (buildApp, SQLite)" },
];

interface Round {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
}

async function startTargets(): Promise<{
  ports: Record<ScenarioKey, number>;
  stop(): Promise<void>;
}> {
  // The same loader that runs this file (tsx) runs the targets, in their own process.
  const child = spawn(
    process.execPath,
    [...process.execArgv, path.join(BENCH_FOLDER, 'targets.tsx')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench targets exited early (${code})`)));
  });
  const ports = JSON.parse(first) as Record<ScenarioKey, number>;
  return {
    ports,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function measure(url: string, seconds: number): Promise<Round> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `${url}: ${result.errors} errors and ${result.non2xx} non-2xx responses: the numbers would not be of the page`,
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerResponse:
      result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
  };
}

/** The size of the response body; for the pages, also checks that it is the home page. */
async function fetchBodyBytes(url: string, isHomePage: boolean): Promise<number> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || (isHomePage && !body.includes('Welcome to Hearth'))) {
    throw new Error(`${url} did not serve the expected page (status ${response.status})`);
  }
  return Buffer.byteLength(body);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const targets = await startTargets();
  const urls = Object.fromEntries(
    SCENARIOS.map(({ key }) => [key, `http://127.0.0.1:${targets.ports[key]}/`]),
  ) as Record<ScenarioKey, string>;
  const rounds: Record<ScenarioKey, Round[]> = { json: [], page: [], hearth: [] };
  const bodyBytes: Record<ScenarioKey, number> = { json: 0, page: 0, hearth: 0 };
  try {
    for (const { key } of SCENARIOS) {
      bodyBytes[key] = await fetchBodyBytes(urls[key], key !== 'json');
    }
    for (const { key } of SCENARIOS) await measure(urls[key], WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = SCENARIOS.map((_, index) => SCENARIOS[(index + round) % SCENARIOS.length]!);
      for (const { key } of order) {
        const result = await measure(urls[key], SECONDS);
        rounds[key].push(result);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${key.padEnd(6)} ${format(result.requestsPerSecond)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms\n`,
        );
      }
    }
  } finally {
    await targets.stop();
  }
  const loadAfter = os.loadavg();

  const summary = Object.fromEntries(
    SCENARIOS.map(({ key }) => [
      key,
      {
        requestsPerSecond: median(rounds[key].map((round) => round.requestsPerSecond)),
        p50: median(rounds[key].map((round) => round.p50)),
        p99: median(rounds[key].map((round) => round.p99)),
        bytesPerResponse: median(rounds[key].map((round) => round.bytesPerResponse)),
        spread: rounds[key].map((round) => format(round.requestsPerSecond)).join(', '),
      },
    ]),
  ) as Record<ScenarioKey, Round & { spread: string }>;

  const ratioToJson = summary.hearth.requestsPerSecond / summary.json.requestsPerSecond;
  const ratioToPage = summary.hearth.requestsPerSecond / summary.page.requestsPerSecond;
  const lines = [
    '# Benchmark results',
    '',
    `Run ${startedAt.toISOString()} by \`npm run bench\` (bench/run.ts): autocannon on loopback, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per scenario after a ${WARMUP_SECONDS} s warm-up; medians of the rounds. The servers run in one child process, the load generator in this one.`,
    '',
    '## Home page throughput',
    '',
    '| scenario | req/s (median) | p50 ms | p99 ms | body bytes | bytes with headers | req/s per round |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...SCENARIOS.map(({ key, title }) => {
      const row = summary[key];
      return `| ${title} | ${format(row.requestsPerSecond)} | ${format(row.p50)} | ${format(row.p99)} | ${format(bodyBytes[key])} | ${format(row.bytesPerResponse)} | ${row.spread} |`;
    }),
    '',
    '## Ratios (throughput of (c) to the references)',
    '',
    `- (c) / (a) bare JSON route: **${format(ratioToJson, 2)}**`,
    `- (c) / (b) bare route rendering the same page: **${format(ratioToPage, 2)}**`,
    '',
    '(c) / (b) is the cost of the platform itself (security headers and nonce, session lookup, rate limiting, request logging, error handling hooks) on a page that reads nothing from the database; (c) / (a) adds the cost of rendering the page.',
    '',
    ...machineSection(loadBefore, loadAfter),
  ];
  await writeResults('RESULTS.md', lines);
}

await main();
