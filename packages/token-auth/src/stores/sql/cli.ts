/**
 * The `token-auth` command: `token-auth migrate up|status [--url URL]`, for the SQL store's
 * schema. Written against injected streams and environment so that it runs in tests as in
 * the bin.
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { getSqlSchemaStatus, migrateSqlSchema } from './create.js';
import type { SqlSchemaStatus } from './migrate.js';
import { parseDatabaseUrl, redactDatabaseUrl, secretsOf } from './url.js';

/** Where the command reads and writes. */
export interface CliIo {
  /** The environment (`DATABASE_URL`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Normal output. */
  stdout: { write(text: string): unknown };
  /** Errors and usage. */
  stderr: { write(text: string): unknown };
}

/** The exit statuses of the command. */
export const EXIT = {
  /** Done; the schema is at the version this release needs. */
  ok: 0,
  /** Failed: connection, SQL, or a schema newer than this release. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** `migrate status`: migrations are pending. */
  pending: 3,
} as const;

const HELP = `Usage: token-auth migrate <up|status> [--url URL]

Applies or reports the schema migrations of the token-auth SQL store (token-auth/sql).

Commands:
  migrate up       Apply every pending migration. Running it twice, or from several
                   processes at once, applies each migration once.
  migrate status   Print the schema version and the pending migrations; change nothing.

Options:
  --url URL        The database: postgres://user:password@host:port/database
                   (or postgresql://…), or sqlite://path/to/file.sqlite.
                   Default: the DATABASE_URL environment variable.
  -h, --help       Print this help.

Exit status: 0 done and up to date; 1 failure (or a schema newer than this release);
2 bad command line; 3 (status) migrations pending.
Credentials in the URL are never printed.
`;

/**
 * Runs the command.
 *
 * @param argv - The arguments after the program name.
 * @param io - Environment and output streams.
 * @returns The exit status (see {@link EXIT}).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { url?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.stderr.write(`token-auth: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  const [group, command, ...rest] = positionals;
  if (group !== 'migrate' || (command !== 'up' && command !== 'status') || rest.length > 0) {
    const what =
      positionals.length === 0 ? 'a command is required' : `unknown command "${positionals.join(' ')}"`;
    io.stderr.write(`token-auth: ${what}\n\n${HELP}`);
    return EXIT.usage;
  }
  const url = values.url ?? io.env.DATABASE_URL;
  if (url === undefined || url === '') {
    io.stderr.write('token-auth: no database: pass --url URL or set DATABASE_URL\n');
    return EXIT.usage;
  }

  try {
    parseDatabaseUrl(url, 'token-auth');
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return EXIT.usage;
  }

  const secrets = secretsOf(url);
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  io.stdout.write(`database: ${redactDatabaseUrl(url)}\n`);
  try {
    if (command === 'status') {
      const status = await getSqlSchemaStatus({ url });
      io.stdout.write(describe(status));
      if (status.current > status.required) return EXIT.failed;
      return status.pending.length > 0 ? EXIT.pending : EXIT.ok;
    }
    const { applied, status } = await migrateSqlSchema({ url });
    if (applied.length === 0) io.stdout.write('nothing to apply\n');
    for (const migration of applied) io.stdout.write(`applied ${migration.version}: ${migration.name}\n`);
    io.stdout.write(describe(status));
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(`token-auth: ${scrub(explain(error))}\n`);
    return EXIT.failed;
  }
}

function describe(status: SqlSchemaStatus): string {
  const lines = [`schema version: ${status.current} (this token-auth needs ${status.required})`];
  if (status.current > status.required)
    lines.push('the database is newer than this release: upgrade token-auth');
  if (status.pending.length > 0) {
    lines.push('pending migrations:');
    for (const migration of status.pending) lines.push(`  ${migration.version}: ${migration.name}`);
    lines.push('apply them with: token-auth migrate up');
  } else if (status.current === status.required) {
    lines.push('up to date');
  }
  return `${lines.join('\n')}\n`;
}

/** The error's message followed by its causes'. */
function explain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}
