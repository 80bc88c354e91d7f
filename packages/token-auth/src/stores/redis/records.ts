/**
 * Conversions between the port's records and the strings Redis stores. A value that
 * cannot be parsed is an `Error` (the core reports it as a store failure), never "not found".
 *
 * @module
 */

import type { NewUserRecord, SessionRecord, SettingsChange, UserRecord } from '../port.js';
import { SESSION_FIELDS } from './scripts/sessions.js';

const USER_FIELDS = [
  'email',
  'emailKey',
  'username',
  'passwordHash',
  'isStaff',
  'isActive',
  'createdAt',
  'updatedAt',
] as const;

/** The given fields of a user as a flat field/value list (flags as `'1'`/`'0'`). */
export function userFields(user: Partial<NewUserRecord>): string[] {
  const out: string[] = [];
  for (const name of USER_FIELDS) {
    const value = user[name];
    if (value !== undefined) out.push(name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  return out;
}

/** A user from its hash (a flat field/value list or an object). */
export function parseUser(reply: unknown): UserRecord {
  const hash = Array.isArray(reply) ? pairsToObject(reply) : (reply as Record<string, string>);
  const text = (name: string): string => {
    const value = hash[name];
    if (typeof value !== 'string') throw new Error(`Corrupt user record in Redis: ${name} is missing`);
    return value;
  };
  const flag = (name: string): boolean => {
    const value = text(name);
    if (value !== '0' && value !== '1')
      throw new Error(`Corrupt user record in Redis: ${name} is not a flag`);
    return value === '1';
  };
  return {
    id: toInteger(text('id'), 'user id'),
    email: text('email'),
    emailKey: text('emailKey'),
    username: text('username'),
    passwordHash: text('passwordHash'),
    isStaff: flag('isStaff'),
    isActive: flag('isActive'),
    createdAt: toNumber(text('createdAt'), 'user createdAt'),
    updatedAt: toNumber(text('updatedAt'), 'user updatedAt'),
  };
}

/** A session's hash fields as a flat field/value list, in {@link SESSION_FIELDS} terms. */
export function sessionFields(session: Omit<SessionRecord, 'id'>): string[] {
  return SESSION_FIELDS.flatMap((name) => [name, String(session[name] ?? '')]);
}

/** A session from its id and its fields in {@link SESSION_FIELDS} order. */
export function parseSession(id: unknown, fields: readonly unknown[]): SessionRecord {
  const [userId, headHash, previousHash, rotatedAt, createdAt, lastUsedAt, expiresAt, userAgent] = fields;
  if (typeof id !== 'string' || typeof headHash !== 'string' || typeof userAgent !== 'string') {
    throw new Error('Corrupt session record in Redis: fields are missing');
  }
  return {
    id,
    userId: toInteger(userId, 'session userId'),
    headHash,
    previousHash: previousHash ? String(previousHash) : null,
    rotatedAt: rotatedAt ? toNumber(rotatedAt, 'session rotatedAt') : null,
    createdAt: toNumber(createdAt, 'session createdAt'),
    lastUsedAt: toNumber(lastUsedAt, 'session lastUsedAt'),
    expiresAt: toNumber(expiresAt, 'session expiresAt'),
    userAgent,
  };
}

const SETTING_KEYS: ReadonlySet<unknown> = new Set(['accessTokenTtlSeconds', 'refreshTokenTtlSeconds']);

/** A settings-history entry from its JSON. */
export function parseChange(json: string): SettingsChange {
  const entry = JSON.parse(json) as Partial<Record<keyof SettingsChange, unknown>> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    !SETTING_KEYS.has(entry.key) ||
    typeof entry.oldValue !== 'number' ||
    typeof entry.newValue !== 'number' ||
    typeof entry.changedAt !== 'number' ||
    !(entry.changedBy === null || typeof entry.changedBy === 'number')
  ) {
    throw new Error('Corrupt settings history entry in Redis: unexpected shape');
  }
  const { key, oldValue, newValue, changedAt, changedBy } = entry as SettingsChange;
  return { key, oldValue, newValue, changedAt, changedBy };
}

/** The reply of a script as an array, or an error naming what was expected. */
export function asArray(reply: unknown, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`Unexpected reply from Redis for ${what}`);
  return reply;
}

function pairsToObject(flat: readonly unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}

/** A finite number from a stored string, or an error naming the value. */
export function toNumber(value: unknown, what: string): number {
  const number = typeof value === 'string' && value !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new Error(`Corrupt value in Redis: ${what} is not a number`);
  return number;
}

/** A safe integer from a stored string (or a Redis integer reply), or an error naming the value. */
export function toInteger(value: unknown, what: string): number {
  const number = toNumber(typeof value === 'number' ? String(value) : value, what);
  if (!Number.isSafeInteger(number)) throw new Error(`Corrupt value in Redis: ${what} is not an integer`);
  return number;
}
