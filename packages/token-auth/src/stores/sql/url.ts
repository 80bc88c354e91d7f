/**
 * Database URLs of the SQL store: which dialect a URL names, and how to show it without its
 * credentials.
 *
 * @module
 */

import { ConfigError } from '../../errors.js';

/** A database URL, understood. */
export type DatabaseTarget =
  | { dialect: 'postgres'; connectionString: string }
  | { dialect: 'sqlite'; path: string };

/**
 * Reads a database URL: `postgres://…` or `postgresql://…` (passed to `pg` as is), or
 * `sqlite://<path>` (`sqlite://./data/auth.sqlite`, `sqlite:///var/lib/app/auth.sqlite`,
 * `sqlite://:memory:`).
 *
 * @param url - The URL.
 * @param who - The function or command reading it, for the message.
 * @returns The dialect and what its driver needs.
 * @throws {@link ConfigError} for any other URL; the message never repeats the URL, which
 *   may hold a password.
 */
export function parseDatabaseUrl(url: unknown, who: string): DatabaseTarget {
  if (typeof url !== 'string' || url === '') {
    throw new ConfigError(`${who}: the database URL must be a non-empty string`);
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', connectionString: url };
  if (/^sqlite:\/\//i.test(url)) {
    const path = url.slice('sqlite://'.length);
    if (path === '')
      throw new ConfigError(`${who}: a sqlite:// URL must name a file, e.g. sqlite://./data/auth.sqlite`);
    return { dialect: 'sqlite', path };
  }
  throw new ConfigError(`${who}: the database URL must start with postgres://, postgresql:// or sqlite://`);
}

/**
 * The URL without user name and password, to show where a command connects. Everything up to
 * the last `@` goes (a password may hold `/`, `?`, `#` or `@` unencoded, which a URL parser
 * would split elsewhere), and so do the query and the fragment.
 *
 * @param url - A database URL.
 * @returns `postgres://host:port/db`, or the `sqlite://` URL unchanged.
 */
export function redactDatabaseUrl(url: string): string {
  if (/^sqlite:\/\//i.test(url)) return url;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const location = rest.slice(rest.lastIndexOf('@') + 1);
  return `${scheme}${location.split(/[?#]/, 1)[0] ?? ''}`;
}

/**
 * The secrets a URL holds (its password, raw and decoded, and the whole URL), so that
 * messages printed next to it can be scrubbed of them.
 *
 * @param url - A database URL.
 * @returns The strings never to print.
 */
export function secretsOf(url: string): string[] {
  const secrets = [url];
  try {
    const { password, username } = new URL(url);
    if (password) secrets.push(password, decodeURIComponent(password));
    const query = new URL(url).searchParams.get('password');
    if (query) secrets.push(query);
    if (username && password) secrets.push(`${username}:${password}`);
  } catch {
    // An unparsable URL is scrubbed as a whole.
  }
  return secrets.filter((secret) => secret.length > 0);
}
