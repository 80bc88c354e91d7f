/**
 * The store port and the bundled adapters, re-exported by the package root.
 *
 * @module
 */

export type * from './port.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { KeyvStore, type KeyvLike, type KeyvStoreOptions } from './keyv.js';
export { createSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite.js';
