import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { argon2idHasher } from '../../src/passwords/argon2id-hasher.js';

// The real default parameters (19 MiB, t = 2): each hash takes tens of milliseconds.
const hasher = argon2idHasher();
const hash = await hasher.hash('correct horse battery');

describe('argon2idHasher', () => {
  it('produces a PHC string with the OWASP parameters', () => {
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('verifies the right password', async () => {
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    await expect(hasher.verify(hash, 'correct horse battery!')).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    await expect(hasher.hash('correct horse battery')).resolves.not.toBe(hash);
  });

  it('answers false, not a throw, for a malformed hash', async () => {
    await expect(hasher.verify('$argon2id$garbage', 'correct horse battery')).resolves.toBe(false);
  });

  it('does not ask to rehash a hash made with its own parameters', () => {
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('asks to rehash a hash made with other parameters', () => {
    expect(argon2idHasher({ timeCost: 3 }).needsRehash(hash)).toBe(true);
    expect(argon2idHasher({ memoryCost: 47_104, timeCost: 1 }).needsRehash(hash)).toBe(true);
  });

  it('asks to rehash a hash it cannot parse', () => {
    expect(hasher.needsRehash('$scrypt$ln=17,r=8,p=1$abc$def')).toBe(true);
  });

  it('verifies a hash made with other parameters', async () => {
    const cheap = argon2idHasher({ memoryCost: 1024, timeCost: 1 });
    await expect(hasher.verify(await cheap.hash('pass phrase'), 'pass phrase')).resolves.toBe(true);
  });

  it.each([
    ['memoryCost', { memoryCost: 4 }],
    ['timeCost', { timeCost: 0 }],
    ['parallelism', { parallelism: 1.5 }],
    ['outputLength', { outputLength: 8 }],
  ])('refuses an out-of-range %s', (_name, options) => {
    expect(() => argon2idHasher(options)).toThrow(ConfigError);
  });
});
