/**
 * The JSON Schemas (2020-12) of every request and response body. The same objects
 * validate request bodies at run time (ajv) and are published in the OpenAPI 3.1
 * document, so the documentation cannot drift from the validation.
 *
 * @module
 */

import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import {
  EMAIL_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  SETTINGS_BOUNDS,
  USERNAME_MAX_LENGTH,
  ValidationError,
} from 'token-auth';
import type { FieldProblem } from './http/problem.js';

// The input limits are the core's own (imported above), so the published schemas and the
// core never disagree.

const email = {
  type: 'string',
  format: 'email',
  maxLength: EMAIL_MAX_LENGTH,
  description:
    'Email address; unique, compared case-insensitively. Surrounding whitespace is trimmed (before validation) and not stored.',
  examples: ['user@example.com'],
} as const;

const username = {
  type: 'string',
  maxLength: USERNAME_MAX_LENGTH,
  description: `Free-text display name, at most ${USERNAME_MAX_LENGTH} characters; may be empty. Surrounding whitespace is trimmed (before validation) and not stored.`,
} as const;

const refreshToken = {
  type: 'string',
  format: 'uuid',
  description: 'The refresh token (a UUID) returned by login or refresh.',
  examples: ['d952527b-caef-452c-8c93-1100214f82e5'],
} as const;

const lifetime = (what: string, bounds: { min: number; max: number }, example: number) =>
  ({
    type: 'integer',
    minimum: bounds.min,
    maximum: bounds.max,
    description: `${what} lifetime in whole seconds, ${bounds.min} to ${bounds.max}.`,
    examples: [example],
  }) as const;

/** Request body schemas, by name (the name is also the OpenAPI component name). */
export const requestSchemas = {
  RegisterRequest: {
    type: 'object',
    description: 'A new account: `email` and `password`, and optionally the `username` (empty by default).',
    properties: {
      email,
      password: {
        type: 'string',
        minLength: PASSWORD_MIN_LENGTH,
        maxLength: PASSWORD_MAX_LENGTH,
        writeOnly: true,
        description: `Password, ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
        examples: ['password'],
      },
      username,
    },
    required: ['email', 'password'],
    additionalProperties: false,
  },
  LoginRequest: {
    type: 'object',
    description: 'Credentials.',
    properties: {
      email: {
        type: 'string',
        minLength: 1,
        maxLength: EMAIL_MAX_LENGTH,
        description: 'The email registered (any case; surrounding whitespace is trimmed).',
        examples: ['user@example.com'],
      },
      password: {
        type: 'string',
        minLength: 1,
        maxLength: PASSWORD_MAX_LENGTH,
        writeOnly: true,
        examples: ['password'],
      },
    },
    required: ['email', 'password'],
    additionalProperties: false,
  },
  RefreshRequest: {
    type: 'object',
    description: 'The refresh token to rotate.',
    properties: { refresh_token: refreshToken },
    required: ['refresh_token'],
    additionalProperties: false,
  },
  LogoutRequest: {
    type: 'object',
    description: 'The refresh token to revoke.',
    properties: { refresh_token: refreshToken },
    required: ['refresh_token'],
    additionalProperties: false,
  },
  UpdateMeRequest: {
    type: 'object',
    description: 'A partial profile: `username` and/or `email`. `id` and `password` are read-only here.',
    properties: {
      username: { ...username, examples: ['John Smith'] },
      email: { ...email, examples: ['new@example.com'] },
    },
    minProperties: 1,
    additionalProperties: false,
  },
  ChangePasswordRequest: {
    type: 'object',
    description: 'The password in use now and the new one.',
    properties: {
      current_password: {
        type: 'string',
        minLength: 1,
        maxLength: PASSWORD_MAX_LENGTH,
        writeOnly: true,
        description: 'The password in use now.',
        examples: ['password'],
      },
      new_password: {
        type: 'string',
        minLength: PASSWORD_MIN_LENGTH,
        maxLength: PASSWORD_MAX_LENGTH,
        writeOnly: true,
        description: `The new password, ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`,
        examples: ['correct horse battery staple'],
      },
    },
    required: ['current_password', 'new_password'],
    additionalProperties: false,
  },
  UpdateSettingsRequest: {
    type: 'object',
    description: 'A partial change of the token lifetimes.',
    properties: {
      access_token_lifetime: lifetime('Access-token', SETTINGS_BOUNDS.accessTokenTtlSeconds, 60),
      refresh_token_lifetime: lifetime('Refresh-token', SETTINGS_BOUNDS.refreshTokenTtlSeconds, 2_592_000),
    },
    minProperties: 1,
    additionalProperties: false,
  },
} as const;

const lifetimes = (type: 'integer' | 'boolean') =>
  ({
    type: 'object',
    properties: { access_token_lifetime: { type }, refresh_token_lifetime: { type } },
    required: ['access_token_lifetime', 'refresh_token_lifetime'],
    additionalProperties: false,
  }) as const;

const bound = {
  type: 'object',
  properties: { min: { type: 'integer' }, max: { type: 'integer' } },
  required: ['min', 'max'],
  additionalProperties: false,
} as const;

/** Response body schemas, by name (the name is also the OpenAPI component name). */
export const responseSchemas = {
  RegisterResponse: {
    type: 'object',
    properties: {
      id: { type: 'integer', minimum: 1, examples: [1] },
      email: { type: 'string', examples: ['user@example.com'] },
    },
    required: ['id', 'email'],
    additionalProperties: false,
  },
  TokenPair: {
    type: 'object',
    properties: {
      access_token: {
        type: 'string',
        description: 'A JWT (HS256); send it as `Authorization: Bearer <token>`.',
      },
      refresh_token: {
        type: 'string',
        format: 'uuid',
        description: 'A UUID; use it once with /api/refresh/.',
      },
    },
    required: ['access_token', 'refresh_token'],
    additionalProperties: false,
  },
  LogoutResponse: {
    type: 'object',
    properties: { success: { type: 'string', const: 'User logged out.' } },
    required: ['success'],
    additionalProperties: false,
  },
  LogoutAllResponse: {
    type: 'object',
    properties: {
      success: { type: 'string', const: 'User logged out of every session.' },
      sessions_ended: { type: 'integer', minimum: 0, description: 'How many sessions this call ended.' },
    },
    required: ['success', 'sessions_ended'],
    additionalProperties: false,
  },
  SessionList: {
    type: 'object',
    properties: {
      sessions: {
        type: 'array',
        description: 'The live sessions, oldest first.',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid', description: 'Stable across refreshes; the `sid` claim.' },
            created_at: { type: 'string', format: 'date-time', description: 'The login.' },
            last_used_at: {
              type: 'string',
              format: 'date-time',
              description: 'The login or the last refresh.',
            },
            expires_at: {
              type: 'string',
              format: 'date-time',
              description: 'When the current refresh token expires.',
            },
            user_agent: {
              type: 'string',
              description: 'The `User-Agent` of the login (at most 256 characters).',
            },
            current: { type: 'boolean', description: 'The session of the access token presented.' },
          },
          required: ['id', 'created_at', 'last_used_at', 'expires_at', 'user_agent', 'current'],
          additionalProperties: false,
        },
      },
    },
    required: ['sessions'],
    additionalProperties: false,
  },
  User: {
    type: 'object',
    properties: {
      id: { type: 'integer', minimum: 1, examples: [1] },
      username: { type: 'string', examples: [''] },
      email: { type: 'string', examples: ['user@example.com'] },
    },
    required: ['id', 'username', 'email'],
    additionalProperties: false,
  },
  Settings: {
    type: 'object',
    description:
      'The token lifetimes in force (whole seconds), their defaults, whether each was changed, and bounds.',
    properties: {
      access_token_lifetime: { type: 'integer', examples: [30] },
      refresh_token_lifetime: { type: 'integer', examples: [2_592_000] },
      defaults: lifetimes('integer'),
      changed: lifetimes('boolean'),
      bounds: {
        type: 'object',
        properties: { access_token_lifetime: bound, refresh_token_lifetime: bound },
        required: ['access_token_lifetime', 'refresh_token_lifetime'],
        additionalProperties: false,
      },
    },
    required: ['access_token_lifetime', 'refresh_token_lifetime', 'defaults', 'changed', 'bounds'],
    additionalProperties: false,
  },
  SettingsHistory: {
    type: 'object',
    properties: {
      history: {
        type: 'array',
        description: 'Changes, newest first.',
        items: {
          type: 'object',
          properties: {
            setting: { type: 'string', enum: ['access_token_lifetime', 'refresh_token_lifetime'] },
            old_value: { type: 'integer' },
            new_value: { type: 'integer' },
            changed_at: { type: 'string', format: 'date-time' },
            changed_by: {
              oneOf: [
                {
                  type: 'object',
                  properties: { id: { type: 'integer' }, email: { type: ['string', 'null'] } },
                  required: ['id', 'email'],
                  additionalProperties: false,
                },
                { type: 'null' },
              ],
              description:
                'Who made the change (`null` for a system change); `email` is `null` for a deleted user.',
            },
          },
          required: ['setting', 'old_value', 'new_value', 'changed_at', 'changed_by'],
          additionalProperties: false,
        },
      },
    },
    required: ['history'],
    additionalProperties: false,
  },
  Health: {
    type: 'object',
    properties: { status: { type: 'string', const: 'ok' } },
    required: ['status'],
    additionalProperties: false,
  },
  Score: {
    type: 'object',
    description: 'The score of the demo match at a moment.',
    properties: {
      offset: { type: 'number' },
      home: { type: 'integer' },
      away: { type: 'integer' },
    },
    required: ['offset', 'home', 'away'],
    additionalProperties: false,
  },
  OpenApiDocument: {
    type: 'object',
    description: 'This OpenAPI 3.1 document.',
    properties: { openapi: { type: 'string' } },
    required: ['openapi'],
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details.',
    properties: {
      type: { type: 'string', description: 'Always `about:blank`.' },
      title: { type: 'string', description: 'The HTTP status phrase.' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', description: 'Stable machine-readable code, e.g. `validation_failed`.' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: { field: { type: 'string' }, message: { type: 'string' } },
          required: ['field', 'message'],
          additionalProperties: false,
        },
      },
    },
    required: ['type', 'title', 'status', 'detail', 'code'],
    additionalProperties: false,
  },
} as const;

/** The name of a request body schema. */
export type RequestSchemaName = keyof typeof requestSchemas;
/** The name of a response body schema. */
export type ResponseSchemaName = keyof typeof responseSchemas;

/** The TypeScript type of each request body once validated. */
export interface RequestBodies {
  /** POST /api/register/ */
  RegisterRequest: { email: string; password: string; username?: string };
  /** POST /api/login/ */
  LoginRequest: { email: string; password: string };
  /** POST /api/refresh/ */
  RefreshRequest: { refresh_token: string };
  /** POST /api/logout/ */
  LogoutRequest: { refresh_token: string };
  /** PUT and PATCH /api/me/ */
  UpdateMeRequest: { username?: string; email?: string };
  /** POST /api/me/password/ */
  ChangePasswordRequest: { current_password: string; new_password: string };
  /** PUT /api/admin/settings/ */
  UpdateSettingsRequest: { access_token_lifetime?: number; refresh_token_lifetime?: number };
}

/**
 * Fields clients may send by mistake that exist but cannot be written through a body. A
 * `Map`: the key is a client's field name, which may be `constructor` or `__proto__`.
 */
const READ_ONLY_FIELDS: ReadonlyMap<string, string> = new Map([
  ['id', 'This field is read-only.'],
  ['password', 'The password cannot be changed through this endpoint.'],
]);

const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = (formatsPlugin as unknown as { default: typeof formatsPlugin.default }).default;
addFormats(ajv, ['email', 'uuid', 'date-time']);

const validators = new Map<RequestSchemaName, ValidateFunction>();
function validatorFor(name: RequestSchemaName): ValidateFunction {
  const known = validators.get(name);
  if (known) return known;
  const validate = ajv.compile(requestSchemas[name]);
  validators.set(name, validate);
  return validate;
}

/**
 * String fields whose surrounding whitespace is not part of the value: trimmed before
 * validation, as the core trims them before storing (so `" a@b.com "` is a valid email).
 */
const TRIMMED_FIELDS = ['email', 'username'] as const;

/** The body with its {@link TRIMMED_FIELDS} trimmed: a shallow copy when one changes. */
function trimFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  let copy: Record<string, unknown> | undefined;
  for (const field of TRIMMED_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.trim() !== value) {
      copy ??= { ...(body as Record<string, unknown>) };
      copy[field] = value.trim();
    }
  }
  return copy ?? body;
}

/**
 * Validates a request body against its schema.
 *
 * A missing body counts as `{}` (so every required field is reported). `email` and
 * `username` are trimmed first; the result carries the trimmed values.
 *
 * @param name - The schema to validate against.
 * @param body - The parsed JSON body, or `undefined` when there was none.
 * @returns The body, typed.
 * @throws token-auth's `ValidationError` listing one problem per field (missing,
 *   unknown or read-only fields, wrong types, invalid formats, out-of-range values).
 * @example
 * ```ts
 * const { email, password } = validateRequest('RegisterRequest', ctx.request.body);
 * ```
 */
export function validateRequest<N extends RequestSchemaName>(name: N, body: unknown): RequestBodies[N] {
  const value = body === undefined ? {} : trimFields(body);
  const validate = validatorFor(name);
  if (validate(value)) return value as RequestBodies[N];
  throw new ValidationError(fieldProblems(name, validate.errors ?? []));
}

/** One problem per field, in the order ajv reports them. */
function fieldProblems(name: RequestSchemaName, errors: readonly ErrorObject[]): FieldProblem[] {
  const byField = new Map<string, string>();
  for (const error of errors) {
    const [field, message] = describe(name, error);
    if (!byField.has(field)) byField.set(field, message);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

function describe(name: RequestSchemaName, error: ErrorObject): [field: string, message: string] {
  const path = error.instancePath.split('/').slice(1).join('.');
  const field = path || 'body';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return [String(params.missingProperty), 'This field is required.'];
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys(requestSchemas[name].properties).join(', ');
      return [extra, READ_ONLY_FIELDS.get(extra) ?? `Unknown field; allowed fields: ${allowed}.`];
    }
    case 'minProperties':
      return ['body', `Provide at least one of: ${Object.keys(requestSchemas[name].properties).join(', ')}.`];
    case 'type':
      return [
        field,
        field === 'body' ? 'The body must be a JSON object.' : `Must be ${article(String(params.type))}.`,
      ];
    case 'format':
      return [field, FORMAT_MESSAGES[String(params.format)] ?? `Must be a valid ${String(params.format)}.`];
    case 'minLength':
      return [
        field,
        params.limit === 1
          ? 'This field may not be blank.'
          : `Ensure this field has at least ${String(params.limit)} characters.`,
      ];
    case 'maxLength':
      return [field, `Ensure this field has no more than ${String(params.limit)} characters.`];
    case 'minimum':
      return [field, `Ensure this value is greater than or equal to ${String(params.limit)}.`];
    case 'maximum':
      return [field, `Ensure this value is less than or equal to ${String(params.limit)}.`];
    default:
      return [field, error.message ?? 'Invalid value.'];
  }
}

const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  email: 'Enter a valid email address.',
  uuid: 'Must be a UUID (the refresh_token returned by login or refresh).',
};

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
