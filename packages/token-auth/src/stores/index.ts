/**
 * The store port and the bundled adapters, re-exported by the package root.
 *
 * @module
 */

export { type KeyvLike, KeyvStore, type KeyvStoreOptions } from './keyv.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export type * from './port.js';
export { createSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite.js';
