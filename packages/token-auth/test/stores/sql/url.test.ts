import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { parseDatabaseUrl, redactDatabaseUrl, secretsOf } from '../../../src/stores/sql/url.js';

describe('parseDatabaseUrl', () => {
  it.each([
    [
      'postgres://app:pw@db:5432/auth',
      { dialect: 'postgres', connectionString: 'postgres://app:pw@db:5432/auth' },
    ],
    ['postgresql://db/auth', { dialect: 'postgres', connectionString: 'postgresql://db/auth' }],
    ['sqlite://./data/auth.sqlite', { dialect: 'sqlite', path: './data/auth.sqlite' }],
    ['sqlite:///var/lib/app/auth.sqlite', { dialect: 'sqlite', path: '/var/lib/app/auth.sqlite' }],
  ])('reads %s', (url, target) => {
    expect(parseDatabaseUrl(url, 'test')).toEqual(target);
  });

  it.each([[''], [42], ['sqlite://'], ['mysql://root:hunter2@db/app']])(
    'refuses %j with a ConfigError that never repeats the URL',
    (url) => {
      const error = (() => {
        try {
          parseDatabaseUrl(url, 'test');
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).not.toContain('hunter2');
    },
  );
});

describe('redactDatabaseUrl', () => {
  it('drops the user name, the password and the query of a server URL', () => {
    expect(redactDatabaseUrl('postgres://app:pw@db:5432/auth?sslmode=require')).toBe(
      'postgres://db:5432/auth',
    );
  });

  it('keeps a sqlite:// URL as it is', () => {
    expect(redactDatabaseUrl('sqlite://./data/auth.sqlite')).toBe('sqlite://./data/auth.sqlite');
  });

  it.each([['p@ss/word'], ['pass?word'], ['pass#word'], ['p:ss/w?rd#x']])(
    'shows no part of a password holding unencoded characters (%s)',
    (password) => {
      expect(redactDatabaseUrl(`postgres://app:${password}@db:5432/auth`)).toBe('postgres://db:5432/auth');
    },
  );
});

describe('secretsOf', () => {
  it('lists the password raw and decoded, user:password, a password parameter and the URL itself', () => {
    const url = 'postgres://app:p%40ss@db/auth?password=other';
    expect(secretsOf(url)).toEqual(expect.arrayContaining([url, 'p%40ss', 'p@ss', 'app:p%40ss', 'other']));
  });

  it('lists only the URL when it has no credentials or cannot be parsed', () => {
    expect(secretsOf('postgres://db/auth')).toEqual(['postgres://db/auth']);
    expect(secretsOf('not a url')).toEqual(['not a url']);
  });
});
