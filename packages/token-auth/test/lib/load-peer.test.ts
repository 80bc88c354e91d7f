import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadPeer } from '../../src/lib/load-peer.js';

describe('loadPeer', () => {
  it('returns the module of an installed package', async () => {
    const module = await loadPeer<{ SignJWT: unknown }>('jose', 'token-auth');
    expect(typeof module.SignJWT).toBe('function');
  });

  it('names the package and how to install it when it is missing', async () => {
    const error = await loadPeer('token-auth-no-such-driver', 'token-auth/sql').catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'token-auth/sql needs the package "token-auth-no-such-driver": npm install token-auth-no-such-driver',
    );
  });

  it('lets any other load failure through as it is', async () => {
    const failing = 'data:text/javascript,throw new TypeError("broken driver")';
    await expect(loadPeer(failing, 'token-auth/sql')).rejects.toThrow(TypeError);
  });
});
