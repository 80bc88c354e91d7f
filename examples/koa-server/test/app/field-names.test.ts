/**
 * Body fields named like Object.prototype members (`constructor`, `__proto__`, `toString`)
 * are ordinary unknown fields: a 400 naming the field with a string message, in a body
 * that matches the published Problem schema, on every JSON endpoint of both servers.
 */

import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseSchemas } from '../../src/schemas.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const validateProblem = new Ajv2020({ strict: false }).compile(responseSchemas.Problem);

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;

/** A JSON object text: `base` plus `"name": 1` as an own key (a literal would set the prototype). */
function bodyWith(base: Record<string, unknown>, name: string): string {
  const json = JSON.stringify(base);
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}${JSON.stringify(name)}:1}`;
}

interface Target {
  method: 'POST' | 'PUT' | 'PATCH';
  path: string;
  body: Record<string, unknown>;
  token?: 'user' | 'staff';
}

/** Every JSON endpoint, each with a body that is valid but for the extra field. */
const TARGETS: readonly Target[] = [
  { method: 'POST', path: '/api/register/', body: { email: 'new@example.com', password: 'password1' } },
  { method: 'POST', path: '/api/login/', body: { email: 'user@example.com', password: 'password' } },
  { method: 'POST', path: '/api/refresh/', body: { refresh_token: 'd952527b-caef-452c-8c93-1100214f82e5' } },
  { method: 'POST', path: '/api/logout/', body: { refresh_token: 'd952527b-caef-452c-8c93-1100214f82e5' } },
  { method: 'PUT', path: '/api/me/', body: { username: 'John' }, token: 'user' },
  { method: 'PATCH', path: '/api/me/', body: { username: 'John' }, token: 'user' },
  { method: 'PUT', path: '/api/admin/settings/', body: { access_token_lifetime: 60 }, token: 'staff' },
];

describe.each([
  { kind: 'koa' as const, targets: TARGETS },
  { kind: 'node' as const, targets: TARGETS.filter((target) => target.token !== 'staff') },
])('the $kind server', ({ kind, targets }) => {
  let t: TestServer;
  const tokens: Record<'user' | 'staff', string> = { user: '', staff: '' };

  beforeAll(async () => {
    t = await startTestServer({ kind });
    tokens.user = (await t.client.signUp('user@example.com')).access;
    if (kind === 'koa') tokens.staff = await t.staffToken();
  });
  afterAll(() => t.close());

  const cases = targets.flatMap((target) => NAMES.map((name) => ({ ...target, name })));

  it.each(cases)('answers $method $path with a field named $name as a 400 naming it', async (target) => {
    const response = await t.client.request(target.method, target.path, {
      body: bodyWith(target.body, target.name),
      ...(target.token ? { token: tokens[target.token] } : {}),
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.errors).toEqual([
      { field: target.name, message: expect.stringMatching(/^Unknown field; allowed fields: /) },
    ]);
    expect(validateProblem(response.body), JSON.stringify(validateProblem.errors)).toBe(true);
  });
});
