import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ score: true });
});
afterAll(() => t.close());

describe('the admin page', () => {
  it('redirects /admin to /admin/ with a 308', async () => {
    const response = await t.client.get('/admin');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/admin/');
  });

  it('serves its HTML at /admin/', async () => {
    const response = await t.client.get('/admin/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.text).toContain('<form id="sign-in-form"');
  });

  it('serves its script and stylesheet', async () => {
    const script = await t.client.get('/admin/admin.js');
    const style = await t.client.get('/admin/admin.css');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 to a path that climbs out of its folder', async () => {
    const response = await t.client.get('/admin/..%2Fpackage.json');
    expect(response.status).toBe(404);
  });

  it('answers 404 as a problem document for a missing file', async () => {
    const response = await t.client.get('/admin/missing.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('the documentation page', () => {
  it('redirects /api/docs to /api/docs/', async () => {
    const response = await t.client.get('/api/docs');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/api/docs/');
  });

  it('serves its HTML, which loads Swagger UI from this server only', async () => {
    const response = await t.client.get('/api/docs/');
    expect(response.status).toBe(200);
    expect(response.text).toContain('src="./swagger-ui-bundle.js"');
    expect(response.text).not.toMatch(/https?:\/\//);
  });

  it('says that access tokens live 30 seconds by default and that the admin page lengthens them', async () => {
    const text = (await t.client.get('/api/docs/')).text.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');
    expect(text).toContain('Access tokens live 30 seconds by default.');
    expect(text).toContain('a staff user can lengthen the access-token lifetime on the admin page');
  });

  it('serves the Swagger UI bundle from the installed swagger-ui-dist package', async () => {
    const response = await t.client.get('/api/docs/swagger-ui-bundle.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.text.length).toBeGreaterThan(100_000);
  });

  it('does not serve other files of swagger-ui-dist', async () => {
    const response = await t.client.get('/api/docs/swagger-initializer.js');
    expect(response.status).toBe(404);
  });
});

describe('GET /api/score/ (the @game/score demo)', () => {
  it('answers 0:0 at the kick-off', async () => {
    const response = await t.client.get('/api/score/?offset=0');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ offset: 0, home: 0, away: 0 });
  });

  it('answers a score that never decreases along the match', async () => {
    const early = (await t.client.get('/api/score/?offset=10000')).body;
    const late = (await t.client.get('/api/score/?offset=100000')).body;
    expect(late.home).toBeGreaterThanOrEqual(early.home);
    expect(late.away).toBeGreaterThanOrEqual(early.away);
  });

  it('rejects a missing offset, naming it', async () => {
    const response = await t.client.get('/api/score/');
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'offset', message: expect.any(String) }]);
  });

  it('rejects a negative offset', async () => {
    const response = await t.client.get('/api/score/?offset=-1');
    expect(response.status).toBe(400);
  });
});

describe.each([
  ['the Koa app', 'koa'],
  ['the node:http server', 'node'],
] as const)('the bare address on %s', (_label, kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ kind });
  });
  afterAll(() => server.close());

  it('redirects GET / to the documentation with a 302', async () => {
    const response = await server.client.get('/');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/api/docs/');
  });

  it('lands on the documentation page, which loads the OpenAPI document of this server', async () => {
    const page = await server.client.get('/api/docs/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const document = await server.client.get('/api/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toContain('/api/login/');
  });
});

describe('the documentation on the node:http server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ kind: 'node' });
  });
  afterAll(() => server.close());

  it('serves the page with the page Content-Security-Policy and Swagger UI from swagger-ui-dist', async () => {
    const page = await server.client.get('/api/docs/');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const bundle = await server.client.get('/api/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for the admin page, whose API it does not serve', async () => {
    expect((await server.client.get('/admin/')).status).toBe(404);
  });
});
