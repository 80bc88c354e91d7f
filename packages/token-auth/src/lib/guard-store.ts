/**
 * Wraps a store so that every failure surfaces as a token-auth error. This is the one place
 * store errors are wrapped: adapters throw their driver's errors as they come.
 *
 * @module
 */

import { ConfigError, isTokenAuthError, StoreError } from '../errors.js';
import type { TokenAuthStore } from '../stores/port.js';

const STORE_METHODS = [
  'createUser',
  'getUserById',
  'getUserByEmailKey',
  'updateUser',
  'startSession',
  'rotate',
  'endSession',
  'endUserSessions',
  'listSessions',
  'getSettings',
  'updateSettings',
  'listSettingsHistory',
  'hit',
  'peekHits',
  'resetHits',
  'close',
] as const satisfies readonly (keyof TokenAuthStore)[];

/**
 * Checks that `store` implements every method of the port and returns a wrapper whose
 * methods always return promises and turn a foreign error into a {@link StoreError} (with
 * the original as `cause`). Token-auth errors, such as `EmailTakenError`, pass through.
 *
 * @param store - The store given in the options.
 * @returns The guarded store.
 * @throws {@link ConfigError} when a method is missing.
 */
export function guardStore(store: unknown): TokenAuthStore {
  if (typeof store !== 'object' || store === null)
    throw new ConfigError('`store` is required: pass a TokenAuthStore');
  const guarded: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of STORE_METHODS) {
    const method: unknown = (store as Record<string, unknown>)[name];
    if (typeof method !== 'function') throw new ConfigError(`store.${name} must be a function`);
    guarded[name] = async (...args) => {
      try {
        return await method.apply(store, args);
      } catch (error) {
        if (isTokenAuthError(error)) throw error;
        throw new StoreError(`The store failed in ${name}`, { cause: error });
      }
    };
  }
  return guarded as unknown as TokenAuthStore;
}
