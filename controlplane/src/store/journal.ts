// What makes a store durable: every change goes to a journal before the store applies it and
// answers, and a store opened again starts from what the journal kept. The in-memory store stays
// the one that serves reads and watches; a durable backend (SQLite) is a journal behind it, so
// both behave the same in every respect but surviving a restart.

import type { KObject } from '@kip/shared';
import type { StoreEvent } from './store.js';

export interface JournalChange {
  type: StoreEvent['type'];
  /** The object as stored (ADDED, MODIFIED) or at the version of its deletion (DELETED). */
  object: KObject;
}

export interface StoreJournal {
  /**
   * Makes one change durable before it is acknowledged. Throws when it cannot, and the store then
   * changes nothing: a write is either all there after a crash or not at all.
   */
  append(change: JournalChange, rv: number): void;
  close(): void;
}

/** What a journal hands back when a store is opened again. */
export interface JournalState {
  /** Every stored object. */
  objects: KObject[];
  /** The latest changes, oldest first, so that watches can resume from a version before the restart. */
  history: { rv: number; change: JournalChange }[];
  /** The resourceVersion of the last change. */
  rv: number;
}
