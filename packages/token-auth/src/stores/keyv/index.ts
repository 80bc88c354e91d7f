/**
 * `token-auth/keyv`: the store over any Keyv backend, and its SQLite file factory.
 * Needs the optional peer `keyv` (and `@keyv/sqlite` for {@link createKeyvSqliteStore}).
 *
 * @module token-auth/keyv
 */

export {
  createKeyvSqliteStore,
  KeyvSqliteStore,
  type KeyvSqliteStoreOptions,
} from './sqlite.js';
export { KeyvStore, type KeyvStoreOptions } from './store.js';
