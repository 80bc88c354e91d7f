import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateDatabaseFile } from '../../src/lib/private-files.js';
import { makeTempDir } from '../helpers/test-server.js';

const temp = makeTempDir();
afterAll(() => temp.remove());

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('ensurePrivateDatabaseFile', () => {
  it('creates the missing folders 0700 and an empty database file 0600', () => {
    const file = join(temp.dir, 'a', 'b', 'auth.sqlite');
    ensurePrivateDatabaseFile(file);
    expect([modeOf(join(temp.dir, 'a')), modeOf(join(temp.dir, 'a', 'b')), modeOf(file)]).toEqual([
      '700',
      '700',
      '600',
    ]);
    expect(statSync(file).size).toBe(0);
  });

  it('leaves an existing database file and its content as they are', () => {
    mkdirSync(join(temp.dir, 'kept'));
    const file = join(temp.dir, 'kept', 'auth.sqlite');
    writeFileSync(file, 'content');
    chmodSync(file, 0o640);
    ensurePrivateDatabaseFile(file);
    expect([modeOf(file), statSync(file).size]).toEqual(['640', 7]);
  });

  it('throws the fs error when a part of the path is a file', () => {
    writeFileSync(join(temp.dir, 'plain'), '');
    expect(() => ensurePrivateDatabaseFile(join(temp.dir, 'plain', 'auth.sqlite'))).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/) }),
    );
  });
});
