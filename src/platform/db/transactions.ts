/**
 * `inTransaction`, and group commit for SQLite: transactions that arrive while one is running wait, then run one
 * after another inside a single SQLite transaction, each in its own savepoint.
 *
 * SQLite has one connection and one writer. A transaction's commit writes every page it touched
 * to the write-ahead log (a reply to a thread touches a dozen: the post, its indexes, the thread
 * row and the full-text index's new segment), and the log is copied back to the database and
 * synced every thousand pages. Fifty members replying at once would pay that fifty times; in
 * one transaction the shared pages (the newest posts, the search index) are written once.
 *
 * Each piece of work keeps its own all-or-nothing outcome: when it throws, its savepoint is
 * rolled back and only its caller sees the error; the others commit. A caller's promise settles
 * after the commit, so nothing is reported done before it is durable; when the commit itself
 * fails, every caller of the group gets that error. Work runs strictly one at a time, in
 * arrival order, so each sees the writes of those before it exactly as it would have after
 * their commits.
 *
 * PostgreSQL runs transactions side by side on its pool: work there gets its own transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { dialectOf, type DbExecutor } from './database.js';

/** Enough to share the commit; small enough that the first caller does not wait long. */
const MAX_GROUP = 64;

interface Pending<T> {
  work: (trx: Transaction<T>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

class GroupCommitter<T> {
  readonly #db: Kysely<T>;
  readonly #queue: Pending<T>[] = [];
  #draining = false;

  constructor(db: Kysely<T>) {
    this.#db = db;
  }

  run<R>(work: (trx: Transaction<T>) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // better-sqlite3 answers at once, so a transaction runs start to commit without letting
        // any other request in; waiting for the end of this turn of the event loop lets the
        // requests that arrived with this one join it.
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, MAX_GROUP);
        await this.#commit(group);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #commit(group: Pending<T>[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (group.length === 1) {
          // Alone: the transaction is the work's own, as without grouping.
          outcomes.push({ ok: true, value: await (group[0] as Pending<T>).work(trx) });
          return;
        }
        for (const pending of group) {
          await sql`savepoint hearth_group_member`.execute(trx);
          try {
            const value = await pending.work(trx);
            await sql`release hearth_group_member`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to hearth_group_member`.execute(trx);
            await sql`release hearth_group_member`.execute(trx);
            outcomes.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      // The commit failed (or the lone work threw): nobody's work was kept.
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, index) => {
      const outcome = outcomes[index] as Outcome;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.value);
    });
  }
}

const committers = new WeakMap<object, GroupCommitter<unknown>>();

function inGroupCommit<T, R>(db: Kysely<T>, work: (trx: Transaction<T>) => Promise<R>): Promise<R> {
  let committer = committers.get(db) as GroupCommitter<T> | undefined;
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer as GroupCommitter<unknown>);
  }
  return committer.run(work);
}

/**
 * Runs `work` in the caller's transaction when `db` is one, otherwise in a new one (shared with
 * others arriving at the same time on SQLite, see above). Services that must commit together
 * with their audit entry call this; so should any write that can come from many requests at once
 * (`db.transaction()` directly gets a transaction of its own, never shared).
 */
export async function inTransaction<T>(
  db: DbExecutor,
  work: (trx: DbExecutor) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db);
  if (dialectOf(db) === 'sqlite') return inGroupCommit(db, work);
  return db.transaction().execute((trx) => work(trx));
}
