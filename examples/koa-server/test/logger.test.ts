import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../src/logger.js';

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
});
