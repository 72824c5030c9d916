// The durable store, as k3s keeps its state by default: an embedded SQLite database in the data
// dir (<data-dir>/state.db). Reads and watches are served from memory (store/memory.ts); every
// change is committed to SQLite before the store applies it, so an acknowledged write survives a
// kill -9 at any moment and an unacknowledged one is all there or not at all (one transaction).
//
// Two tables: `changes` holds every change by resourceVersion, the object as JSON, so that a watch
// can resume after a restart (`?resourceVersion=N` gets the changes since N, or 410 Gone once N
// has been compacted away); `objects` names the change that holds each live object's latest
// version, so an object is written once per change, not twice. Compaction drops old changes that
// no live object points at. WAL with synchronous=NORMAL: a
// commit is in the log file before it returns, which a crashed process cannot undo (only a crash
// of the machine itself could lose the last commits). The database is opened in exclusive locking
// mode, so a second control plane on the same data dir is refused instead of corrupting the first.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { KObject } from '@kip/shared';
import type { JournalChange, JournalState, StoreJournal } from './journal.js';
import { MemoryStore, type MemoryStoreOptions } from './memory.js';
import { StoreError } from './store.js';

/** The layout of state.db; a database made by another layout is refused rather than misread. */
const SCHEMA_VERSION = 1;

/** How many changes the database keeps beyond the in-memory history's size before compacting. */
const COMPACT_EVERY = 1000;

export interface SqliteStoreOptions extends MemoryStoreOptions {
  /** The database file, created if missing. */
  file: string;
}

class SqliteJournal implements StoreJournal {
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly record: Database.Statement;
  private readonly compact: Database.Statement;
  private readonly write: (change: JournalChange, rv: number, text: string) => void;
  private sinceCompaction = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly historySize: number,
  ) {
    this.upsert = db.prepare(
      'INSERT INTO objects (kind, namespace, name, rv) VALUES (?, ?, ?, ?) ON CONFLICT (kind, namespace, name) DO UPDATE SET rv = excluded.rv',
    );
    this.remove = db.prepare('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?');
    this.record = db.prepare('INSERT INTO changes (rv, type, object) VALUES (?, ?, ?)');
    this.compact = db.prepare('DELETE FROM changes WHERE rv <= ? AND rv NOT IN (SELECT rv FROM objects)');
    this.write = db.transaction((change: JournalChange, rv: number, text: string) => {
      const m = change.object.metadata;
      this.record.run(rv, change.type, text);
      if (change.type === 'DELETED') this.remove.run(change.object.kind, m.namespace ?? '', m.name);
      else this.upsert.run(change.object.kind, m.namespace ?? '', m.name, rv);
    });
  }

  append(change: JournalChange, rv: number): void {
    this.write(change, rv, JSON.stringify(change.object));
    // History older than what watches can resume from is dropped now and then, not on every write.
    if (++this.sinceCompaction >= COMPACT_EVERY) {
      this.sinceCompaction = 0;
      this.compact.run(rv - this.historySize);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function openDatabase(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 1000 });
  } catch (err) {
    throw new StoreError('Invalid', `cannot open the state database ${file}: ${(err as Error).message}`);
  }
  try {
    // Exclusive locking must be set before WAL for WAL to work without shared memory, and the
    // first write takes the lock for as long as this process has the database open.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== 0 && version !== SCHEMA_VERSION) throw new Error(`it has layout version ${version}; this kip reads version ${SCHEMA_VERSION}`);
    db.exec(`BEGIN EXCLUSIVE;
      CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS objects_rv ON objects (rv);
      CREATE TABLE IF NOT EXISTS changes (rv INTEGER PRIMARY KEY, type TEXT NOT NULL, object TEXT NOT NULL);
      PRAGMA user_version = ${SCHEMA_VERSION};
      COMMIT;`);
    return db;
  } catch (err) {
    db.close();
    const busy = (err as { code?: string }).code === 'SQLITE_BUSY';
    throw new StoreError(
      'Invalid',
      busy ? `the state database ${file} is in use by another control plane` : `cannot use the state database ${file}: ${(err as Error).message}`,
    );
  }
}

function readState(db: Database.Database, historySize: number): JournalState {
  const objects = (db.prepare('SELECT c.object FROM objects o JOIN changes c ON c.rv = o.rv').all() as { object: string }[]).map(
    (r) => JSON.parse(r.object) as KObject,
  );
  const rv = (db.prepare('SELECT max(rv) AS rv FROM changes').get() as { rv: number | null }).rv ?? 0;
  // Only the last historySize versions are whole: before them, compaction kept just the changes
  // that live objects point at, and a watch cannot resume across the gaps.
  const rows = db.prepare('SELECT rv, type, object FROM changes WHERE rv > ? ORDER BY rv').all(rv - historySize) as {
    rv: number;
    type: JournalChange['type'];
    object: string;
  }[];
  const history = rows.map((r) => ({ rv: r.rv, change: { type: r.type, object: JSON.parse(r.object) as KObject } }));
  return { objects, history, rv };
}

/** A store whose state lives in a SQLite database and comes back when it is opened again. */
export function openSqliteStore(opts: SqliteStoreOptions): MemoryStore {
  const historySize = opts.historySize ?? 20_000;
  const db = openDatabase(opts.file);
  const restore = readState(db, historySize);
  return new MemoryStore({ ...opts, historySize, restore, journal: new SqliteJournal(db, historySize) });
}
