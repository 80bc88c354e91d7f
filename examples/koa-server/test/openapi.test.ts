import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Endpoint, endpoints } from '../src/http/endpoints.js';
import { buildOpenApiDocument } from '../src/openapi.js';
import { requestSchemas, responseSchemas } from '../src/schemas.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
  servers: { url: string }[];
};

let t: TestServer;
let doc: Doc;

beforeAll(async () => {
  t = await startTestServer({ score: true });
  doc = (await t.client.get('/api/openapi.json')).body;
});
afterAll(() => t.close());

/** Every [METHOD, path] the app's API middleware serves (HEAD is implied by GET). */
function servedOperations(): string[] {
  const tables = (t.app?.middleware ?? []).flatMap((m) => {
    const table = (m as { endpoints?: readonly Endpoint[] }).endpoints;
    return table ? [table] : [];
  });
  expect(tables).toHaveLength(1);
  return tables.flatMap((table) => table.map((e) => `${e.method} ${e.path}`)).sort();
}

function documentedOperations(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every operation the app serves, and nothing else', () => {
    const served = servedOperations();
    expect(served.length).toBe(endpoints.length);
    expect(documentedOperations()).toEqual(served);
  });

  it('publishes the very schemas that validate request bodies', () => {
    for (const [name, schema] of Object.entries(requestSchemas)) {
      expect(doc.components.schemas[name]).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });

  it('references a request schema and a success schema on each operation that has them', () => {
    type Media = { content: { 'application/json': { schema: unknown } } };
    const register = doc.paths['/api/register/']?.post as {
      requestBody: Media;
      responses: Record<string, Media>;
    };
    expect(register.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RegisterRequest',
    });
    expect(register.responses['201']?.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RegisterResponse',
    });
    for (const name of Object.keys(responseSchemas)) expect(doc.components.schemas[name]).toBeDefined();
  });

  it('lists a problem response for every error status of every operation', () => {
    for (const endpoint of endpoints) {
      const operation = doc.paths[endpoint.path]?.[endpoint.method.toLowerCase()] as {
        responses: Record<string, unknown>;
      };
      for (const status of [...endpoint.problemStatuses, 500]) {
        expect(operation.responses[String(status)], `${endpoint.operationId} ${status}`).toEqual({
          $ref: `#/components/responses/Problem${status}`,
        });
      }
    }
    expect(doc.components.responses.Problem401).toMatchObject({
      headers: { 'WWW-Authenticate': expect.any(Object) },
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
  });

  it('requires bearerAuth exactly on the protected operations', () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const endpoint of endpoints) {
      const operation = doc.paths[endpoint.path]?.[endpoint.method.toLowerCase()] as { security: unknown[] };
      expect(operation.security).toEqual(endpoint.security === 'none' ? [] : [{ bearerAuth: [] }]);
    }
  });

  it('documents PATCH /api/me/ with the request and response schemas of PUT', () => {
    const me = doc.paths['/api/me/'] as Record<
      string,
      { requestBody: unknown; responses: Record<string, unknown> }
    >;
    expect(me.patch?.requestBody).toEqual(me.put?.requestBody);
    expect(me.patch?.responses).toEqual(me.put?.responses);
  });

  it("keeps the register example to the brief's two fields (username is optional)", () => {
    const register = doc.paths['/api/register/']?.post as {
      requestBody: { content: { 'application/json': { example: unknown } } };
    };
    expect(register.requestBody.content['application/json'].example).toEqual({
      email: 'user@example.com',
      password: 'password',
    });
  });

  it('points "Try it out" at this server with a relative server URL', () => {
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('leaves out the score demo when the app does not mount it', () => {
    const withoutScore = buildOpenApiDocument(endpoints.filter((e) => e.path !== '/api/score/')) as Doc;
    expect(withoutScore.paths['/api/score/']).toBeUndefined();
  });
});
