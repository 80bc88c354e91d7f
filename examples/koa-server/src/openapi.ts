/**
 * The OpenAPI 3.1 document, generated from the endpoint table and the very JSON
 * Schemas that validate request bodies (see `schemas.ts`).
 *
 * @module
 */

import type { Endpoint } from './http/endpoints.js';
import { statusTitle } from './http/problem.js';
import { requestSchemas, responseSchemas } from './schemas.js';

/** Extra headers documented on problem responses, by status. */
const PROBLEM_HEADERS: Readonly<
  Record<number, Record<string, { description: string; schema: { type: 'string' } }>>
> = {
  401: {
    'WWW-Authenticate': {
      description:
        'RFC 6750 Bearer challenge: `Bearer realm="api"`, with `error="invalid_token"` when a token was presented.',
      schema: { type: 'string' },
    },
  },
  405: { Allow: { description: 'The methods this path allows.', schema: { type: 'string' } } },
  429: {
    'Retry-After': { description: 'Seconds until another attempt may succeed.', schema: { type: 'string' } },
  },
  503: { 'Retry-After': { description: 'Seconds after which to retry.', schema: { type: 'string' } } },
};

/** What each problem status means in this API. */
const PROBLEM_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input: malformed JSON, or per-field errors in `errors` (missing, unknown or read-only fields, wrong types, invalid values, duplicate email).',
  401: 'Not authenticated: missing or unusable access token, wrong credentials, or an invalid, expired, reused or revoked refresh token.',
  403: 'Authenticated but not allowed (not staff).',
  404: 'No such endpoint.',
  405: 'The path exists but not with this method.',
  413: 'The body is larger than the limit.',
  415: 'The body is not `application/json`.',
  429: 'Too many failed logins; see `Retry-After`.',
  500: 'An unexpected server error (no details are disclosed).',
  503: 'The store is unavailable; retry later.',
};

/** Statuses every operation may answer with besides its own. */
const COMMON_PROBLEMS = [500] as const;

type JsonObject = Record<string, unknown>;

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** The API version shown in the document. */
  version?: string;
}

/**
 * Builds the OpenAPI 3.1 document of the given endpoints.
 *
 * @param table - The endpoints the server mounts.
 * @param options - The version to show.
 * @returns The document (plain JSON).
 * @example
 * ```ts
 * const doc = buildOpenApiDocument(endpoints);
 * doc.paths['/api/login/'].post.operationId; // "login"
 * ```
 */
export function buildOpenApiDocument(table: readonly Endpoint[], options: OpenApiOptions = {}): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const usedStatuses = new Set<number>();
  for (const endpoint of table) {
    const operation = operationOf(endpoint);
    for (const status of [...endpoint.problemStatuses, ...COMMON_PROBLEMS]) usedStatuses.add(status);
    paths[endpoint.path] = { ...paths[endpoint.path], [endpoint.method.toLowerCase()]: operation };
  }
  const responses: Record<string, JsonObject> = {};
  for (const status of [...usedStatuses].sort((a, b) => a - b)) {
    const headers = PROBLEM_HEADERS[status];
    responses[`Problem${status}`] = {
      description: `${statusTitle(status)}. ${PROBLEM_DESCRIPTIONS[status] ?? ''}`.trim(),
      ...(headers ? { headers } : {}),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Token auth API',
      version: options.version ?? '0.1.0',
      description:
        'Registration, login with a short-lived JWT access token and a rotating UUID refresh token, profile, and the runtime token lifetimes (staff only). Errors are RFC 9457 problem details. Paths end with a slash.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'auth', description: 'Register, log in, refresh, log out.' },
      { name: 'profile', description: 'The current user.' },
      { name: 'sessions', description: "The current user's sessions: list, end one, end all." },
      { name: 'admin', description: 'Runtime token lifetimes (staff only).' },
      { name: 'score', description: 'The @game/score demo.' },
      { name: 'service', description: 'Health and this document.' },
    ].filter((tag) => table.some((e) => e.tag === tag.name)),
    paths,
    components: {
      schemas: { ...requestSchemas, ...responseSchemas },
      responses,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The `access_token` returned by /api/login/ or /api/refresh/.',
        },
      },
    },
  };
}

function operationOf(endpoint: Endpoint): JsonObject {
  const responses: Record<string, JsonObject> = {
    [String(endpoint.successStatus)]: {
      description: endpoint.successDescription,
      ...(endpoint.responseSchema === undefined
        ? {}
        : {
            content: {
              'application/json': { schema: { $ref: `#/components/schemas/${endpoint.responseSchema}` } },
            },
          }),
    },
  };
  for (const status of [...endpoint.problemStatuses, ...COMMON_PROBLEMS]) {
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  }
  const operation: JsonObject = {
    operationId: endpoint.operationId,
    summary: endpoint.summary,
    description: endpoint.description,
    tags: [endpoint.tag],
    security: endpoint.security === 'none' ? [] : [{ bearerAuth: [] }],
    responses,
  };
  const pathParameters = [...endpoint.path.matchAll(/\{([a-z]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: 'The session id, as listed by GET /api/sessions/.',
    schema: { type: 'string' },
  }));
  const queryParameters = endpoint.queryParameters.map((p) => ({
    name: p.name,
    in: 'query',
    required: p.required,
    description: p.description,
    schema: p.schema,
  }));
  if (pathParameters.length + queryParameters.length > 0) {
    operation.parameters = [...pathParameters, ...queryParameters];
  }
  if (endpoint.requestSchema) {
    operation.requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${endpoint.requestSchema}` },
          example: exampleOf(requestSchemas[endpoint.requestSchema].properties),
        },
      },
    };
  }
  return operation;
}

/**
 * An example body built from each property's first `examples` entry; a property without
 * examples (an optional extra such as register's `username`) is left out.
 */
function exampleOf(properties: Readonly<Record<string, object>>): JsonObject {
  const example: JsonObject = {};
  for (const [name, schema] of Object.entries(properties)) {
    const examples = (schema as { examples?: readonly unknown[] }).examples;
    if (examples && examples.length > 0) example[name] = examples[0];
  }
  return example;
}
