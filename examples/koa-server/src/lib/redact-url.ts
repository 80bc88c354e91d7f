/**
 * Database URLs as they may be logged: without credentials, query or fragment.
 *
 * @module
 */

/**
 * The database URL as it may be logged. Everything between `//` and the LAST `@` is masked,
 * because a password may itself hold `@`, `/`, `?` or `#` (a URL parser then ends the
 * authority early and reads part of the password as the host or the path); then the query
 * and the fragment, which may carry credentials too, are dropped. A `sqlite://` or
 * `memory://` URL names a file, never credentials, and is kept as it is.
 *
 * @param databaseUrl - `DATABASE_URL` as configured, e.g. `redis://:secret@host:6379/0`.
 * @returns The URL without credentials, e.g. `redis://***@host:6379/0`.
 * @example
 * ```ts
 * redactDatabaseUrl('postgres://app:p/w?x#y@db.internal:5432/auth'); // 'postgres://***@db.internal:5432/auth'
 * redactDatabaseUrl('redis://10.0.0.5:6379/0?password=secret'); // 'redis://10.0.0.5:6379/0'
 * ```
 */
export function redactDatabaseUrl(databaseUrl: string): string {
  if (/^(sqlite|memory):/i.test(databaseUrl)) return databaseUrl;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(databaseUrl)?.[0] ?? '';
  const rest = databaseUrl.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const location = at === -1 ? rest : rest.slice(at + 1);
  const withoutQuery = location.split(/[?#]/, 1)[0] ?? '';
  return `${scheme}${at === -1 ? '' : '***@'}${withoutQuery}`;
}
