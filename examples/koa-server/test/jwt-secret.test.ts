import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigEnvError } from '../src/config.js';
import { resolveJwtSecret, SECRET_FILE_NAME } from '../src/jwt-secret.js';
import { makeTempDir } from './helpers/test-server.js';

let temp = makeTempDir();
afterEach(() => {
  temp.remove();
  temp = makeTempDir();
});

describe('resolveJwtSecret', () => {
  it('uses JWT_SECRET when it is set', () => {
    const resolved = resolveJwtSecret({ configured: 'x'.repeat(40), dataDir: temp.dir });
    expect(resolved).toEqual({ secret: 'x'.repeat(40), source: 'env' });
  });

  it('generates 48 random bytes into a 0600 file beside the database on first start', () => {
    const resolved = resolveJwtSecret({ configured: undefined, dataDir: join(temp.dir, 'data') });
    expect(resolved.source).toBe('generated');
    const file = join(temp.dir, 'data', SECRET_FILE_NAME);
    expect(resolved.file).toBe(file);
    expect(Buffer.from(resolved.secret, 'base64url')).toHaveLength(48);
    expect(readFileSync(file, 'utf8').trim()).toBe(resolved.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reuses the kept secret on the next start', () => {
    const first = resolveJwtSecret({ configured: undefined, dataDir: temp.dir });
    const second = resolveJwtSecret({ configured: undefined, dataDir: temp.dir });
    expect(second).toEqual({ secret: first.secret, source: 'file', file: first.file });
  });

  it('rejects a kept secret that is too short, naming JWT_SECRET', () => {
    writeFileSync(join(temp.dir, SECRET_FILE_NAME), 'short\n', { mode: 0o600 });
    expect(() => resolveJwtSecret({ configured: undefined, dataDir: temp.dir })).toThrow(ConfigEnvError);
  });

  it('uses a secret for this process only when there is no data folder', () => {
    const resolved = resolveJwtSecret({ configured: undefined, dataDir: undefined });
    expect(resolved.source).toBe('ephemeral');
    expect(resolved.secret.length).toBeGreaterThanOrEqual(64);
  });
});
