/**
 * The store port and the in-memory adapter, re-exported by the package root. The other
 * adapters live behind their own subpaths (`token-auth/keyv`, `token-auth/redis`,
 * `token-auth/sql`) so that the root imports no database driver.
 *
 * @module
 */

export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export type * from './port.js';
