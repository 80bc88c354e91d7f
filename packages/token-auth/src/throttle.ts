/**
 * Login throttling: failed logins counted per account and per client in fixed windows.
 *
 * @module
 */

import { TooManyAttemptsError } from './errors.js';
import { integerOption } from './lib/options.js';
import type { TokenAuthStore } from './stores/port.js';
import type { ThrottleOptions } from './types.js';

/**
 * The throttling limits used when `throttle` is not given: 10 failures per account and 100
 * per client key in 15-minute windows.
 *
 * @example
 * ```ts
 * createTokenAuth({ store, secret, throttle: { ...DEFAULT_THROTTLE, maxFailuresPerAccount: 5 } });
 * ```
 */
export const DEFAULT_THROTTLE: Readonly<Required<ThrottleOptions>> = Object.freeze({
  maxFailuresPerAccount: 10,
  maxFailuresPerClient: 100,
  windowSeconds: 900,
});

/**
 * Login throttling over the store's atomic counters. Internal to `createTokenAuth`; used by
 * `login` and `changePassword`.
 *
 * Each attempt is counted (`hit`) before its password is verified, and refused when a counter
 * is then over its limit, so a throttled attempt costs no hashing and a parallel burst gets no
 * more password checks than the limit. The account counter is reset by a success, so it holds
 * the failures since the last success. The client counter counts attempts in aligned windows and
 * a success adds to a second counter of the same window; failures are the difference, so the
 * successful logins of many users behind one address never lock it.
 *
 * Decided: an attempt still in flight counts as a failure until it succeeds. More than
 * `maxFailuresPerClient` logins in flight at once from one client key are therefore refused,
 * even if all would succeed; that is the price of exact limits under bursts. A proxy or NAT
 * that funnels more concurrent logins than that through one address needs a higher limit (see
 * the token model guide).
 */
export class LoginThrottle {
  readonly #store: TokenAuthStore;
  readonly #now: () => number;
  readonly #limits: Readonly<Required<ThrottleOptions>>;

  /**
   * @param store - Where the counters live.
   * @param now - The clock, epoch ms.
   * @param options - Limits; see {@link ThrottleOptions}.
   * @throws {@link ConfigError} when a limit is not a positive integer.
   */
  constructor(store: TokenAuthStore, now: () => number, options: ThrottleOptions = {}) {
    this.#store = store;
    this.#now = now;
    this.#limits = {
      maxFailuresPerAccount: integerOption(
        'throttle.maxFailuresPerAccount',
        options.maxFailuresPerAccount,
        DEFAULT_THROTTLE.maxFailuresPerAccount,
        1,
        1_000_000,
      ),
      maxFailuresPerClient: integerOption(
        'throttle.maxFailuresPerClient',
        options.maxFailuresPerClient,
        DEFAULT_THROTTLE.maxFailuresPerClient,
        1,
        1_000_000,
      ),
      windowSeconds: integerOption(
        'throttle.windowSeconds',
        options.windowSeconds,
        DEFAULT_THROTTLE.windowSeconds,
        1,
        86_400,
      ),
    };
  }

  /**
   * Counts a login attempt before its password is verified, and refuses it when a counter is
   * over its limit. Counting first keeps the limits exact under concurrency: of any number of
   * parallel attempts, only as many as the limit allow get as far as a password check.
   *
   * The account counter counts every attempt and is reset by a success (so it holds the
   * failures since the last success). The client counter counts attempts and successes in
   * aligned windows; its failures are the difference, so the successful logins of many
   * users behind one address never lock that address.
   *
   * @param emailKey - The canonical email of the attempt.
   * @param clientKey - The client's key (e.g. its IP), or `undefined` when unknown.
   * @returns Once the attempt may go on.
   * @throws {@link TooManyAttemptsError} when the account or the client is over its limit.
   */
  async begin(emailKey: string, clientKey: string | undefined): Promise<void> {
    const now = this.#now();
    const windowMs = this.#limits.windowSeconds * 1000;
    const [account, client] = await Promise.all([
      this.#store.hit(accountKey(emailKey), windowMs, now),
      clientKey === undefined ? undefined : this.#countClientAttempt(clientKey, now),
    ]);
    const blocked: number[] = [];
    if (account.count > this.#limits.maxFailuresPerAccount) blocked.push(account.resetAt);
    if (client !== undefined && client.failures > this.#limits.maxFailuresPerClient)
      blocked.push(client.resetAt);
    if (blocked.length === 0) return;
    throw new TooManyAttemptsError(Math.max(1, Math.ceil((Math.max(...blocked) - now) / 1000)));
  }

  /**
   * Records a successful login: the account's failures are forgotten, and the client's
   * success offsets one of its counted attempts.
   *
   * @param emailKey - The canonical email that logged in.
   * @param clientKey - The client's key, or `undefined`.
   * @returns Once recorded.
   */
  async recordSuccess(emailKey: string, clientKey: string | undefined): Promise<void> {
    const now = this.#now();
    await Promise.all([
      this.#store.resetHits(accountKey(emailKey)),
      clientKey === undefined
        ? undefined
        : this.#store.hit(clientBucketKey(clientKey, 'successes', this.#bucket(now)), this.#windowMs(), now),
    ]);
  }

  /** Counts an attempt of `clientKey` and returns its failures in the current window. */
  async #countClientAttempt(clientKey: string, now: number): Promise<{ failures: number; resetAt: number }> {
    const bucket = this.#bucket(now);
    const windowMs = this.#windowMs();
    const attemptsKey = clientBucketKey(clientKey, 'attempts', bucket);
    const [attempts, successes] = await Promise.all([
      this.#store.hit(attemptsKey, windowMs, now),
      this.#store.peekHits(clientBucketKey(clientKey, 'successes', bucket), now),
    ]);
    return { failures: attempts.count - successes.count, resetAt: (bucket + 1) * windowMs };
  }

  #windowMs(): number {
    return this.#limits.windowSeconds * 1000;
  }

  /** The aligned window `now` falls in: attempts and successes share its key suffix. */
  #bucket(now: number): number {
    return Math.floor(now / this.#windowMs());
  }
}

function accountKey(emailKey: string): string {
  return `login:account:${emailKey}`;
}

function clientBucketKey(clientKey: string, kind: 'attempts' | 'successes', bucket: number): string {
  return `login:client:${clientKey}:${bucket}:${kind}`;
}
