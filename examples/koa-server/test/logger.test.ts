import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.js';

const LOGGER = pathToFileURL(fileURLToPath(new URL('../src/logger.ts', import.meta.url))).href;
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Runs `body` in a child process with `logger` (`createLogger({ level: 'info' })`, on its real
 * stdout) in scope; resolves with the lines it wrote, parsed, once `ready` (when given) is
 * among them, the child then killed with SIGKILL, or else once it exits.
 */
function childStdout(
  body: string,
  ready?: string,
): Promise<{ lines: Record<string, unknown>[]; code: number | null }> {
  const source = `import { createLogger } from ${JSON.stringify(LOGGER)};\nconst logger = createLogger({ level: 'info' });\n${body}`;
  const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (ready !== undefined && out.includes(ready)) child.kill('SIGKILL');
    });
    // A child that never shows `ready` (or never exits) fails the test instead of outliving it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ lines: lines(), code });
    });
  });
}

afterEach(() => {
  vi.useRealTimers();
});

/** A logger writing into an array, one parsed line per entry. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('stamps each line with the current time in ISO 8601, to the millisecond', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { logger, lines } = capturingLogger();
    const start = Date.UTC(2026, 11, 2, 3, 4, 5, 678);
    vi.setSystemTime(start);
    logger.info('one');
    logger.info('two');
    vi.setSystemTime(start + 1);
    logger.info('three');
    vi.setSystemTime(start + 60_000);
    logger.info('four');
    expect(lines.map((line) => line.time)).toEqual([
      '2026-12-02T03:04:05.678Z',
      '2026-12-02T03:04:05.678Z',
      '2026-12-02T03:04:05.679Z',
      '2026-12-02T03:05:05.678Z',
    ]);
  });

  it('redacts secrets and writes the service name', () => {
    const { logger, lines } = capturingLogger();
    logger.info({ password: 'hunter2', nested: { refresh_token: 'abc' } }, 'login');
    expect(lines[0]).toMatchObject({ service: 'koa-server', msg: 'login', password: '[redacted]' });
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|abc/);
  });

  it('writes every pending line to stdout when the process exits', async () => {
    const { lines, code } = await childStdout(
      "for (let i = 0; i < 1000; i++) logger.info({ i }, 'line');\nprocess.exit(3);",
    );
    expect(code).toBe(3);
    expect(lines.map((line) => line.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('writes at exit, in order, lines gathered after an earlier batch was written', async () => {
    // The first line goes out with the periodic flush (no write is in flight by the second);
    // the second waits in the batch when the process exits.
    const { lines, code } = await childStdout(
      "logger.info('first');\nsetTimeout(() => { logger.info('second'); process.exit(0); }, 500);",
    );
    expect(code).toBe(0);
    expect(lines.map((line) => line.msg)).toEqual(['first', 'second']);
  });

  it('writes at a natural exit (the event loop empty) the lines still in the batch', async () => {
    const { lines, code } = await childStdout("logger.info('last');");
    expect(code).toBe(0);
    expect(lines.map((line) => line.msg)).toEqual(['last']);
  });

  it('writes a line that waits for its batch within the flush interval, without an exit', async () => {
    // The child logs one line (far below a batch) and then stays up; it is killed as soon as
    // the line shows on its stdout, so only the periodic flush can have written it.
    const { lines } = await childStdout(
      "logger.info('alone');\nsetInterval(() => {}, 1000);",
      '"msg":"alone"',
    );
    expect(lines.map((line) => line.msg)).toEqual(['alone']);
  });
});
