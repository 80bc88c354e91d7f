import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { scryptHasher } from '../../src/passwords/scrypt-hasher.js';

// The real default parameters (N = 2^17, r = 8: 128 MiB per hash), hashed once.
const hasher = scryptHasher();
const hash = await hasher.hash('correct horse battery');
const cheap = scryptHasher({ cost: 1024, blockSize: 1 });

describe('scryptHasher', () => {
  it('produces a PHC-style string with the OWASP parameters', () => {
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('verifies the right password', async () => {
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    await expect(hasher.verify(hash, 'correct horse batterz')).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    await expect(cheap.hash('pass phrase')).resolves.not.toBe(await cheap.hash('pass phrase'));
  });

  it('verifies with the parameters written in the hash', async () => {
    await expect(hasher.verify(await cheap.hash('pass phrase'), 'pass phrase')).resolves.toBe(true);
  });

  it.each([
    ['a non-scrypt hash', '$argon2id$v=19$m=19456,t=2,p=1$abc$def'],
    ['a truncated hash', hash.slice(0, 30)],
    ['an empty string', ''],
    [
      'a hash asking for 16 GiB',
      '$scrypt$ln=24,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
  ])('answers false, not a throw, for %s', async (_name, stored) => {
    await expect(hasher.verify(stored, 'correct horse battery')).resolves.toBe(false);
  });

  it('does not ask to rehash a hash made with its own parameters', () => {
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('asks to rehash a hash made with other parameters', () => {
    expect(scryptHasher({ cost: 2 ** 18 }).needsRehash(hash)).toBe(true);
    expect(scryptHasher({ keyLength: 64 }).needsRehash(hash)).toBe(true);
  });

  it('asks to rehash a hash it cannot parse', () => {
    expect(hasher.needsRehash('plain text')).toBe(true);
  });

  it.each([
    ['a cost that is not a power of two', { cost: 1000 }],
    ['a cost below 2', { cost: 1 }],
    ['a zero block size', { blockSize: 0 }],
    ['more than 1 GiB of memory', { cost: 2 ** 20, blockSize: 16 }],
    ['a short salt', { saltLength: 4 }],
  ])('refuses %s', (_name, options) => {
    expect(() => scryptHasher(options)).toThrow(ConfigError);
  });
});
