/**
 * The per-process buffer between page requests and the database. A page view costs a map
 * update in memory (and, for the first view of a day, one read of the day's salt); the buffer
 * is written in one transaction every `FLUSH_INTERVAL_MS` and when the app closes. A crash
 * loses at most one interval of counts, which analytics can afford; no request ever waits on
 * an analytics write.
 */
import type { Database } from '../../platform/db/database.js';
import {
  daySalt,
  isDayOpenForHashes,
  visitorHash,
  writeCounts,
  type VisitorSignals,
} from './analytics.counting.js';
import { dayIn } from './analytics.time.js';

export const FLUSH_INTERVAL_MS = 10_000;

/** Hashes kept in memory per day at most; beyond this the buffer is flushed early. */
const MAX_BUFFERED_HASHES = 50_000;

export interface PageView {
  /** The route pattern. */
  path: string;
  at: Date;
  /** Absent when the visitor must not be counted among unique visitors (GPC, refusal). */
  visitor?: VisitorSignals;
}

export interface RecorderOptions {
  timezone: string;
  /** The clock; tests move it across midnight. */
  now?: () => Date;
  /** Where failures are reported; analytics never fails a request. */
  onError?: (error: unknown) => void;
}

export class AnalyticsRecorder {
  private readonly db: Database;
  private readonly timezone: string;
  private readonly now: () => Date;
  private readonly onError: (error: unknown) => void;
  /** `day\npath` → views. */
  private views = new Map<string, number>();
  /** day → hashes. */
  private hashes = new Map<string, Set<string>>();
  private hashCount = 0;
  /** The current day's salt, held only while that day lasts. */
  private salt: { day: string; key: Promise<Buffer> } | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Views still waiting for their day's salt: closing waits for them before the last flush. */
  private readonly pending = new Set<Promise<void>>();

  constructor(db: Database, options: RecorderOptions) {
    this.db = db;
    this.timezone = options.timezone;
    this.now = options.now ?? (() => new Date());
    this.onError = options.onError ?? (() => {});
  }

  /** Counts one page view (and its visitor, when given). */
  record(view: PageView): Promise<void> {
    const recording = this.count(view);
    this.pending.add(recording);
    const settle = () => this.pending.delete(recording);
    recording.then(settle, settle);
    return recording;
  }

  private async count(view: PageView): Promise<void> {
    const day = dayIn(view.at, this.timezone);
    const key = `${day}\n${view.path}`;
    this.views.set(key, (this.views.get(key) ?? 0) + 1);
    if (!view.visitor) return;
    const salt = await this.saltFor(day, view.at);
    let seen = this.hashes.get(day);
    if (!seen) {
      seen = new Set();
      this.hashes.set(day, seen);
    }
    const before = seen.size;
    seen.add(visitorHash(salt, view.visitor));
    this.hashCount += seen.size - before;
    if (this.hashCount >= MAX_BUFFERED_HASHES) void this.flush();
  }

  private saltFor(day: string, at: Date): Promise<Buffer> {
    if (this.salt?.day !== day) {
      const key = daySalt(this.db, day, at);
      this.salt = { day, key };
      // A failed read is not kept: the next view tries again.
      key.catch(() => {
        if (this.salt?.key === key) this.salt = null;
      });
    }
    return this.salt.key;
  }

  /**
   * Forgets the salt of a day that is over, even when no request came since midnight: the
   * periodic flush calls this, so a salt outlives its day in memory by one interval at most.
   */
  forgetFinishedDay(now: Date = this.now()): void {
    if (this.salt && this.salt.day !== dayIn(now, this.timezone)) this.salt = null;
  }

  /** Waits for views still being counted, then writes the buffer: the last act at shutdown. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.flush();
  }

  /** Writes the buffer; flushes run one after another. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.writeBuffer());
    this.flushing = next.catch(() => {});
    return next;
  }

  private async writeBuffer(): Promise<void> {
    const now = this.now();
    this.forgetFinishedDay(now);
    const views = this.views;
    const hashes = this.hashes;
    this.views = new Map();
    this.hashes = new Map();
    this.hashCount = 0;
    const batch = {
      views: [...views].map(([key, count]) => {
        const [day = '', path = ''] = key.split('\n');
        return { day, path, views: count };
      }),
      hashes: [...hashes]
        // A day already counted must not gain hashes: they would be counted a second time.
        .filter(([day]) => isDayOpenForHashes(day, now, this.timezone))
        .flatMap(([day, set]) => [...set].map((hash) => ({ day, hash }))),
    };
    try {
      await writeCounts(this.db, batch);
    } catch (error) {
      // Put the counts back for the next flush rather than lose them.
      for (const [key, count] of views) this.views.set(key, (this.views.get(key) ?? 0) + count);
      for (const [day, set] of hashes) {
        const current = this.hashes.get(day) ?? new Set<string>();
        for (const hash of set) current.add(hash);
        this.hashes.set(day, current);
        this.hashCount += set.size;
      }
      this.onError(error);
    }
  }
}
