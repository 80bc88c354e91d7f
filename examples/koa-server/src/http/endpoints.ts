/**
 * The API's endpoints as data: method, path, schemas, security, problem statuses and
 * a framework-free handler each. The Koa app and the node:http server route to these
 * same objects, and the OpenAPI document is generated from them, so only routing
 * differs between the two servers.
 *
 * @module
 */

import type {
  AccessTokenClaims,
  PublicUser,
  SessionInfo,
  SettingsView,
  TokenAuth,
  TokenPair,
} from 'token-auth';
import { isTokenAuthError } from 'token-auth';
import type { RequestBodies, RequestSchemaName, ResponseSchemaName } from '../schemas.js';
import { validateRequest } from '../schemas.js';
import { invalidToken } from './bearer.js';
import { HttpProblem } from './problem.js';
import { SETTING_WIRE_NAMES, settingsFromWire, settingsToWire } from './setting-names.js';

/** The HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an endpoint needs besides its input. */
export interface EndpointDeps {
  /** The token-auth core. */
  auth: TokenAuth;
  /** A cheap store round trip; rejects when the store is unusable. */
  checkHealth: () => Promise<void>;
  /** The OpenAPI document served at /api/openapi.json. */
  openApiDocument: () => unknown;
  /** The score demo, when mounted: the score of the seeded match at `offset`. */
  score?: (offset: number) => { home: number; away: number };
}

/** The request, as the framework glue hands it over. */
export interface EndpointInput {
  /** The parsed JSON body, or `undefined` when there was none. */
  body: unknown;
  /** The verified access-token claims (set for `bearer` and `staff` endpoints). */
  claims: AccessTokenClaims | undefined;
  /** Identifies the client for login throttling (its IP address). */
  clientKey: string | undefined;
  /** The client's `User-Agent`, kept with a session it starts. */
  userAgent: string | undefined;
  /** The query string. */
  query: URLSearchParams;
  /** The path parameters, by name (`{id}` in `/api/sessions/{id}/`). */
  params: Readonly<Record<string, string>>;
}

/** An endpoint's success response. */
export interface EndpointResult {
  /** The HTTP status code. */
  status: number;
  /** The JSON body. */
  body: unknown;
}

/** A query parameter, for the OpenAPI document. */
export interface QueryParameter {
  /** Its name. */
  name: string;
  /** Whether it must be sent. */
  required: boolean;
  /** What it means. */
  description: string;
  /** Its JSON Schema. */
  schema: Record<string, unknown>;
}

/** One operation of the API. */
export interface Endpoint {
  /** Unique operation id (also used in the OpenAPI document). */
  readonly operationId: string;
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Path, with its trailing slash; `{name}` marks a path parameter (one segment). */
  readonly path: string;
  /** One-line summary. */
  readonly summary: string;
  /** Longer description (Markdown). */
  readonly description: string;
  /** OpenAPI tag. */
  readonly tag: 'auth' | 'profile' | 'sessions' | 'admin' | 'service' | 'score';
  /** `none`: public; `bearer`: a valid access token; `staff`: a staff user's access token. */
  readonly security: 'none' | 'bearer' | 'staff';
  /** The request body schema, when the endpoint takes a body. */
  readonly requestSchema: RequestSchemaName | undefined;
  /** Query parameters. */
  readonly queryParameters: readonly QueryParameter[];
  /** The success status. */
  readonly successStatus: number;
  /** The success body schema; `undefined` for a response without a body (204). */
  readonly responseSchema: ResponseSchemaName | undefined;
  /** What the success response means. */
  readonly successDescription: string;
  /** Error statuses this operation can answer with (all as problem details). */
  readonly problemStatuses: readonly number[];
  /**
   * Served by the node:http server too: the brief's six endpoints, and PATCH /api/me/ (the
   * partial-update method beside the brief's PUT).
   */
  readonly brief: boolean;
  /**
   * Validates the body (when the endpoint takes one) and runs the operation.
   *
   * @throws token-auth errors and {@link HttpProblem}s, mapped by `problemFromError`.
   */
  run(deps: EndpointDeps, input: EndpointInput): Promise<EndpointResult>;
}

type Definition<N extends RequestSchemaName | undefined> = Omit<
  Endpoint,
  'run' | 'requestSchema' | 'queryParameters'
> & {
  requestSchema: N;
  queryParameters?: readonly QueryParameter[];
  handle(
    deps: EndpointDeps,
    body: N extends RequestSchemaName ? RequestBodies[N] : undefined,
    input: EndpointInput,
  ): Promise<EndpointResult>;
};

function define<N extends RequestSchemaName | undefined>(definition: Definition<N>): Endpoint {
  const { handle, ...rest } = definition;
  return {
    ...rest,
    // Every authenticated endpoint may answer 400 invalid_request (two Authorization headers).
    problemStatuses:
      rest.security === 'none' || rest.problemStatuses.includes(400)
        ? rest.problemStatuses
        : [400, ...rest.problemStatuses],
    queryParameters: definition.queryParameters ?? [],
    async run(deps, input) {
      const body = (
        definition.requestSchema === undefined
          ? undefined
          : validateRequest(definition.requestSchema, input.body)
      ) as N extends RequestSchemaName ? RequestBodies[N] : undefined;
      return handle(deps, body, input);
    },
  };
}

/** The body of /api/me/: the brief's three fields, nothing else. */
function meBody(user: PublicUser): { id: number; username: string; email: string } {
  return { id: user.id, username: user.username, email: user.email };
}

function tokenPairBody(pair: TokenPair): { access_token: string; refresh_token: string } {
  return { access_token: pair.accessToken, refresh_token: pair.refreshToken };
}

function settingsBody(view: SettingsView) {
  return {
    ...settingsToWire(view.values),
    defaults: settingsToWire(view.defaults),
    changed: settingsToWire(view.changed),
    bounds: settingsToWire(view.bounds, (bounds) => ({ ...bounds })),
  };
}

/** The claims an authenticated endpoint was promised by its glue. */
function requireClaims(input: EndpointInput): AccessTokenClaims {
  if (!input.claims) throw new Error('endpoint reached without authentication');
  return input.claims;
}

/**
 * Runs an operation for the token's user, answering 401 when that user no longer exists or is
 * inactive (the core refuses an inactive user's token itself, as `invalid_token`).
 */
async function asTokenUser<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (isTokenAuthError(error) && error.code === 'user_not_found') {
      throw invalidToken('invalid_token', 'The user of this token no longer exists.', error);
    }
    if (isTokenAuthError(error) && error.code === 'invalid_token') {
      throw invalidToken('invalid_token', 'The user of this token is inactive.', error);
    }
    throw error;
  }
}

/** What a session looks like to its user: times in ISO 8601, never a token or a hash. */
function sessionBody(session: SessionInfo, currentSessionId: string) {
  return {
    id: session.id,
    created_at: new Date(session.createdAt).toISOString(),
    last_used_at: new Date(session.lastUsedAt).toISOString(),
    expires_at: new Date(session.expiresAt).toISOString(),
    user_agent: session.userAgent,
    current: session.id === currentSessionId,
  };
}

/** The per-call context of login and password change: client IP and user agent. */
function contextOf(input: EndpointInput): { clientKey?: string; userAgent?: string } {
  return {
    ...(input.clientKey === undefined ? {} : { clientKey: input.clientKey }),
    ...(input.userAgent === undefined ? {} : { userAgent: input.userAgent }),
  };
}

/** Default and maximum number of history entries per request. */
export const HISTORY_LIMITS = { default: 50, max: 500 } as const;

function parseLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return HISTORY_LIMITS.default;
  const limit = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMITS.max) {
    throw new HttpProblem(400, 'validation_failed', 'The query is invalid.', {
      errors: [{ field: 'limit', message: `Must be an integer from 1 to ${HISTORY_LIMITS.max}.` }],
    });
  }
  return limit;
}

function parseOffset(query: URLSearchParams): number {
  const raw = query.get('offset');
  const offset = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(offset) || offset < 0) {
    throw new HttpProblem(400, 'validation_failed', 'The query is invalid.', {
      errors: [{ field: 'offset', message: 'Must be a finite number greater than or equal to 0.' }],
    });
  }
  return offset;
}

const BODY_PROBLEMS = [400, 413, 415] as const;

/** POST /api/register/ */
export const register = define({
  operationId: 'register',
  method: 'POST',
  path: '/api/register/',
  summary: 'Register a user',
  description:
    'Creates an account from `email` and `password`, and optionally `username` (the profile display name, empty by default). The response shows `id` and `email` only. A duplicate email (compared case-insensitively) is a 400 with a field error on `email`, as Django REST Framework reports a unique-field conflict. Other fields are a 400 naming them.',
  tag: 'auth',
  security: 'none',
  requestSchema: 'RegisterRequest',
  successStatus: 201,
  responseSchema: 'RegisterResponse',
  successDescription: 'The user was created.',
  problemStatuses: [...BODY_PROBLEMS, 503],
  brief: true,
  async handle({ auth }, body) {
    const user = await auth.register({
      email: body.email,
      password: body.password,
      ...(body.username === undefined ? {} : { username: body.username }),
    });
    return { status: 201, body: { id: user.id, email: user.email } };
  },
});

/** POST /api/login/ */
export const login = define({
  operationId: 'login',
  method: 'POST',
  path: '/api/login/',
  summary: 'Log in: get an access and a refresh token',
  description:
    'Checks the credentials and starts a session. Unknown email and wrong password give the same 401. Repeated failures per account and per client IP are throttled with a 429 and `Retry-After`.',
  tag: 'auth',
  security: 'none',
  requestSchema: 'LoginRequest',
  successStatus: 200,
  responseSchema: 'TokenPair',
  successDescription: 'A new token pair.',
  problemStatuses: [...BODY_PROBLEMS, 401, 429, 503],
  brief: true,
  async handle({ auth }, body, input) {
    const pair = await auth.login({ email: body.email, password: body.password }, contextOf(input));
    return { status: 200, body: tokenPairBody(pair) };
  },
});

/** POST /api/refresh/ */
export const refresh = define({
  operationId: 'refresh',
  method: 'POST',
  path: '/api/refresh/',
  summary: 'Rotate a refresh token: get a new pair',
  description:
    'The refresh token stops working and a new pair is issued in the same session, both lifetimes reset. Presenting an already-rotated token again ends its whole session (reuse detection) and is a 401. When the server allows a grace window (`REFRESH_REUSE_GRACE_MS`), the token a refresh just replaced, presented again within it, gets the same new refresh token (parallel refreshes from several tabs all end with one working token).',
  tag: 'auth',
  security: 'none',
  requestSchema: 'RefreshRequest',
  successStatus: 200,
  responseSchema: 'TokenPair',
  successDescription: 'A new token pair.',
  problemStatuses: [...BODY_PROBLEMS, 401, 503],
  brief: true,
  async handle({ auth }, body) {
    return { status: 200, body: tokenPairBody(await auth.refresh(body.refresh_token)) };
  },
});

/** POST /api/logout/ */
export const logout = define({
  operationId: 'logout',
  method: 'POST',
  path: '/api/logout/',
  summary: 'Log out: end the session of a refresh token',
  description:
    'Ends the session of the refresh token: it stops working. Other sessions of the user stay. Access tokens already issued stay valid until they expire (they are verified without the database).',
  tag: 'auth',
  security: 'none',
  requestSchema: 'LogoutRequest',
  successStatus: 200,
  responseSchema: 'LogoutResponse',
  successDescription: 'The session ended.',
  problemStatuses: [...BODY_PROBLEMS, 401, 503],
  brief: true,
  async handle({ auth }, body) {
    await auth.logout(body.refresh_token);
    return { status: 200, body: { success: 'User logged out.' } };
  },
});

/** GET /api/me/ */
export const getMe = define({
  operationId: 'getMe',
  method: 'GET',
  path: '/api/me/',
  summary: 'Read my profile',
  description:
    'The token is verified without the database; the profile is then read, so a change made with PUT shows at once. A token whose user no longer exists or is inactive is a 401.',
  tag: 'profile',
  security: 'bearer',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'User',
  successDescription: 'The profile.',
  problemStatuses: [401, 503],
  brief: true,
  async handle({ auth }, _body, input) {
    return { status: 200, body: meBody(await asTokenUser(auth.getProfile(requireClaims(input).userId))) };
  },
});

/** PUT /api/me/ and PATCH /api/me/: the same partial update. */
async function updateMe(
  auth: TokenAuth,
  body: RequestBodies['UpdateMeRequest'],
  input: EndpointInput,
): Promise<EndpointResult> {
  // One read and one write: the core checks the user is active and applies the patch.
  const user = await asTokenUser(auth.updateProfile(requireClaims(input).userId, body));
  return { status: 200, body: meBody(user) };
}

const UPDATE_ME_RULES =
  'Send `username` and/or `email`; fields left out keep their value. Surrounding whitespace is trimmed. Unknown or read-only fields (`id`, `password`) and an empty body are a 400 naming the field. A duplicate email is a 400 on `email`.';

/** What PUT and PATCH /api/me/ share: the same partial update under two methods. */
const UPDATE_ME = {
  path: '/api/me/',
  tag: 'profile',
  security: 'bearer',
  requestSchema: 'UpdateMeRequest',
  successStatus: 200,
  responseSchema: 'User',
  successDescription: 'The updated profile.',
  problemStatuses: [...BODY_PROBLEMS, 401, 503],
  brief: true,
  handle: ({ auth }, body, input) => updateMe(auth, body, input),
} as const satisfies Omit<
  Definition<'UpdateMeRequest'>,
  'operationId' | 'method' | 'summary' | 'description'
>;

/** PUT /api/me/ */
export const putMe = define({
  ...UPDATE_ME,
  operationId: 'updateMe',
  method: 'PUT',
  summary: 'Update my profile',
  description: `A partial update, as the brief specifies it (PATCH does the same). ${UPDATE_ME_RULES}`,
});

/** PATCH /api/me/ */
export const patchMe = define({
  ...UPDATE_ME,
  operationId: 'patchMe',
  method: 'PATCH',
  summary: 'Update part of my profile',
  description: `The partial-update method: the same body rules and response as PUT. ${UPDATE_ME_RULES}`,
});

/** GET /api/sessions/ */
export const listSessions = define({
  operationId: 'listSessions',
  method: 'GET',
  path: '/api/sessions/',
  summary: 'List my sessions',
  description:
    'One entry per live session (a login, kept across refreshes), oldest first: when it started, when it was last refreshed, when its refresh token expires, the user agent of the login, and `current` for the session of the access token presented. No token or hash of one is shown.',
  tag: 'sessions',
  security: 'bearer',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'SessionList',
  successDescription: 'The sessions.',
  problemStatuses: [401, 503],
  brief: false,
  async handle({ auth }, _body, input) {
    const claims = requireClaims(input);
    const sessions = await asTokenUser(auth.listSessions(claims.userId));
    return { status: 200, body: { sessions: sessions.map((session) => sessionBody(session, claims.sid)) } };
  },
});

/** DELETE /api/sessions/{id}/ */
export const deleteSession = define({
  operationId: 'deleteSession',
  method: 'DELETE',
  path: '/api/sessions/{id}/',
  summary: 'End one of my sessions',
  description:
    "Ends the session: its refresh token stops working at once (its access tokens live until they expire). An unknown id, or another user's session, is a 404. Of parallel deletes of one session, one gets the 204 and the others the 404.",
  tag: 'sessions',
  security: 'bearer',
  requestSchema: undefined,
  successStatus: 204,
  responseSchema: undefined,
  successDescription: 'The session ended.',
  problemStatuses: [401, 404, 503],
  brief: false,
  async handle({ auth }, _body, input) {
    await asTokenUser(auth.endSession(requireClaims(input).userId, input.params.id));
    return { status: 204, body: undefined };
  },
});

/** POST /api/logout/all/ */
export const logoutAll = define({
  operationId: 'logoutAll',
  method: 'POST',
  path: '/api/logout/all/',
  summary: 'Log out everywhere: end all my sessions',
  description:
    'Ends every session of the user, the one making the call included. Access tokens already issued live until they expire.',
  tag: 'sessions',
  security: 'bearer',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'LogoutAllResponse',
  successDescription: 'Every session ended.',
  problemStatuses: [401, 503],
  brief: false,
  async handle({ auth }, _body, input) {
    const ended = await asTokenUser(auth.logoutEverywhere(requireClaims(input).userId));
    return { status: 200, body: { success: 'User logged out of every session.', sessions_ended: ended } };
  },
});

/** POST /api/me/password/ */
export const changePassword = define({
  operationId: 'changePassword',
  method: 'POST',
  path: '/api/me/password/',
  summary: 'Change my password',
  description:
    'Checks `current_password`, sets `new_password`, ends every session of the user (the refresh token of the calling session too) and returns a fresh pair for a new session. A wrong current password is a 400 on `current_password` and changes nothing; a weak new password is a 400 on `new_password`. Throttled like login (429 with `Retry-After`).',
  tag: 'profile',
  security: 'bearer',
  requestSchema: 'ChangePasswordRequest',
  successStatus: 200,
  responseSchema: 'TokenPair',
  successDescription: 'The password changed; a new token pair for the caller.',
  problemStatuses: [...BODY_PROBLEMS, 401, 429, 503],
  brief: false,
  async handle({ auth }, body, input) {
    const pair = await asTokenUser(
      auth.changePassword(
        requireClaims(input).userId,
        body.current_password,
        body.new_password,
        contextOf(input),
      ),
    );
    return { status: 200, body: tokenPairBody(pair) };
  },
});

/** GET /api/admin/settings/ */
export const getSettings = define({
  operationId: 'getSettings',
  method: 'GET',
  path: '/api/admin/settings/',
  summary: 'Read the token lifetimes',
  description:
    'The lifetimes in force, with their defaults, whether each was changed, and the allowed bounds. Staff only.',
  tag: 'admin',
  security: 'staff',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'Settings',
  successDescription: 'The settings.',
  problemStatuses: [401, 403, 503],
  brief: false,
  async handle({ auth }) {
    return { status: 200, body: settingsBody(await auth.getSettings()) };
  },
});

/** PUT /api/admin/settings/ */
export const putSettings = define({
  operationId: 'updateSettings',
  method: 'PUT',
  path: '/api/admin/settings/',
  summary: 'Change the token lifetimes',
  description:
    'A partial update of `access_token_lifetime` and/or `refresh_token_lifetime` (whole seconds, within `bounds`). A change applies to tokens issued after it and is recorded in the history. Staff only.',
  tag: 'admin',
  security: 'staff',
  requestSchema: 'UpdateSettingsRequest',
  successStatus: 200,
  responseSchema: 'Settings',
  successDescription: 'The settings after the change.',
  problemStatuses: [...BODY_PROBLEMS, 401, 403, 503],
  brief: false,
  async handle({ auth }, body, input) {
    const claims = requireClaims(input);
    const patch = settingsFromWire(body);
    return { status: 200, body: settingsBody(await auth.updateSettings(patch, { userId: claims.userId })) };
  },
});

/** GET /api/admin/settings/history/ */
export const getSettingsHistory = define({
  operationId: 'getSettingsHistory',
  method: 'GET',
  path: '/api/admin/settings/history/',
  summary: 'List the changes of the token lifetimes',
  description: 'Who changed which setting, when, from what to what; newest first. Staff only.',
  tag: 'admin',
  security: 'staff',
  requestSchema: undefined,
  queryParameters: [
    {
      name: 'limit',
      required: false,
      description: `How many entries to return (default ${HISTORY_LIMITS.default}).`,
      schema: { type: 'integer', minimum: 1, maximum: HISTORY_LIMITS.max, default: HISTORY_LIMITS.default },
    },
  ],
  successStatus: 200,
  responseSchema: 'SettingsHistory',
  successDescription: 'The history.',
  problemStatuses: [400, 401, 403, 503],
  brief: false,
  async handle({ auth }, _body, input) {
    const changes = await auth.getSettingsHistory(parseLimit(input.query));
    const emails = new Map<number, string | null>();
    for (const id of new Set(changes.flatMap((c) => (c.changedBy === null ? [] : [c.changedBy])))) {
      try {
        // An administrative read: a changer deactivated since is still named.
        emails.set(id, (await auth.getUser(id)).email);
      } catch (error) {
        if (!(isTokenAuthError(error) && error.code === 'user_not_found')) throw error;
        emails.set(id, null);
      }
    }
    const history = changes.map((change) => ({
      setting: SETTING_WIRE_NAMES[change.key],
      old_value: change.oldValue,
      new_value: change.newValue,
      changed_at: new Date(change.changedAt).toISOString(),
      changed_by:
        change.changedBy === null
          ? null
          : { id: change.changedBy, email: emails.get(change.changedBy) ?? null },
    }));
    return { status: 200, body: { history } };
  },
});

/** GET /healthz */
export const healthz = define({
  operationId: 'healthz',
  method: 'GET',
  path: '/healthz',
  summary: 'Health check',
  description: 'A cheap store round trip: 200 when the store answers, 503 when it does not.',
  tag: 'service',
  security: 'none',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'Health',
  successDescription: 'The server and its store are up.',
  problemStatuses: [503],
  brief: false,
  async handle({ checkHealth }) {
    try {
      await checkHealth();
    } catch (error) {
      throw new HttpProblem(503, 'store_unavailable', 'The store does not answer.', {
        headers: { 'Retry-After': '5' },
        cause: error,
      });
    }
    return { status: 200, body: { status: 'ok' } };
  },
});

/** GET /api/openapi.json */
export const openApi = define({
  operationId: 'getOpenApiDocument',
  method: 'GET',
  path: '/api/openapi.json',
  summary: 'This API description (OpenAPI 3.1)',
  description: 'The document the documentation page at /api/docs/ renders.',
  tag: 'service',
  security: 'none',
  requestSchema: undefined,
  successStatus: 200,
  responseSchema: 'OpenApiDocument',
  successDescription: 'The OpenAPI document.',
  problemStatuses: [],
  brief: false,
  async handle({ openApiDocument }) {
    return { status: 200, body: openApiDocument() };
  },
});

/** GET /api/score/ (the @game/score demo) */
export const score = define({
  operationId: 'getScore',
  method: 'GET',
  path: '/api/score/',
  summary: 'The score of the demo match at a moment',
  description:
    'A demo of `@game/score`: a match generated once from a fixed seed at start-up; the score at `offset` is the score of the last stamp at or before it (binary search, O(log n)).',
  tag: 'score',
  security: 'none',
  requestSchema: undefined,
  queryParameters: [
    {
      name: 'offset',
      required: true,
      description: 'The moment of the match (≥ 0).',
      schema: { type: 'number', minimum: 0 },
    },
  ],
  successStatus: 200,
  responseSchema: 'Score',
  successDescription: 'The score at that moment.',
  problemStatuses: [400],
  brief: false,
  async handle({ score: scoreAt }, _body, input) {
    const offset = parseOffset(input.query);
    if (!scoreAt) throw new HttpProblem(404, 'not_found', 'The score demo is not mounted.');
    return { status: 200, body: { offset, ...scoreAt(offset) } };
  },
});

/** Every endpoint of the Koa app, in documentation order. */
export const endpoints: readonly Endpoint[] = [
  register,
  login,
  refresh,
  logout,
  getMe,
  putMe,
  patchMe,
  changePassword,
  listSessions,
  deleteSession,
  logoutAll,
  getSettings,
  putSettings,
  getSettingsHistory,
  score,
  healthz,
  openApi,
];

/** The brief's six endpoints and PATCH /api/me/ (what the node:http server serves). */
export const briefEndpoints: readonly Endpoint[] = endpoints.filter((e) => e.brief);

/** The outcome of {@link matchRoute}. */
export type RouteMatch =
  | { kind: 'found'; endpoint: Endpoint; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

const pathPatterns = new Map<string, RegExp>();
/** A path template as a regular expression: `{name}` matches one non-empty segment. */
function pathPattern(template: string): RegExp {
  let pattern = pathPatterns.get(template);
  if (pattern === undefined) {
    const source = template
      .split(/(\{[a-z]+\})/)
      .map((part) =>
        /^\{[a-z]+\}$/.test(part)
          ? `(?<${part.slice(1, -1)}>[^/]+)`
          : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
      )
      .join('');
    pattern = new RegExp(`^${source}$`);
    pathPatterns.set(template, pattern);
  }
  return pattern;
}

/**
 * The parameters of `path` under an endpoint's path template, or `undefined` when it does
 * not match.
 *
 * @param template - An endpoint path such as `/api/sessions/{id}/`.
 * @param path - The request path without its query.
 * @returns The decoded parameters by name (`{}` for a template without any).
 * @example
 * ```ts
 * matchPath('/api/sessions/{id}/', '/api/sessions/abc/'); // { id: 'abc' }
 * ```
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  if (!template.includes('{')) return template === path ? {} : undefined;
  const groups = pathPattern(template).exec(path)?.groups;
  if (groups === undefined) return undefined;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(groups)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return params;
}

/**
 * Finds the endpoint for a method and path; `{name}` segments of a template match any one
 * segment.
 *
 * @param table - The endpoints to search.
 * @param method - The request method (`HEAD` matches `GET`).
 * @param path - The request path without its query.
 * @returns The endpoint and its path parameters, or the allowed methods of a known path, or
 *   not found.
 * @example
 * ```ts
 * matchRoute(briefEndpoints, 'DELETE', '/api/me/'); // { kind: 'method_not_allowed', allow: ['GET', 'HEAD', 'PUT', 'PATCH', 'OPTIONS'] }
 * ```
 */
export function matchRoute(table: readonly Endpoint[], method: string, path: string): RouteMatch {
  const { fixed, templated } = indexOf(table);
  const known = fixed.get(path);
  const { atPath, params } = known ?? endpointsAt(templated, path);
  if (params === undefined) return { kind: 'not_found' };
  const wanted = method === 'HEAD' ? 'GET' : method;
  const endpoint = atPath.find((e) => e.method === wanted);
  if (endpoint) return { kind: 'found', endpoint, params };
  return { kind: 'method_not_allowed', allow: allowedMethods(atPath) };
}

/** The endpoints whose path matches, in table order, and the parameters of the first. */
interface PathMatch {
  atPath: Endpoint[];
  params: Record<string, string> | undefined;
}

function endpointsAt(candidates: readonly Endpoint[], path: string): PathMatch {
  const match: PathMatch = { atPath: [], params: undefined };
  for (const endpoint of candidates) {
    const params = matchPath(endpoint.path, path);
    if (params === undefined) continue;
    match.params ??= params;
    match.atPath.push(endpoint);
  }
  return match;
}

/** A table's answers for its fixed paths, worked out once, and its endpoints with `{parameters}`. */
interface RouteIndex {
  fixed: Map<string, PathMatch>;
  templated: Endpoint[];
}

const routeIndexes = new WeakMap<readonly Endpoint[], RouteIndex>();

/** The index of a table, built on first use (tables are built once, at startup). */
function indexOf(table: readonly Endpoint[]): RouteIndex {
  let index = routeIndexes.get(table);
  if (index === undefined) {
    const fixedPaths = table.map((e) => e.path).filter((path) => !path.includes('{'));
    index = {
      fixed: new Map(fixedPaths.map((path) => [path, endpointsAt(table, path)])),
      templated: table.filter((e) => e.path.includes('{')),
    };
    routeIndexes.set(table, index);
  }
  return index;
}

/**
 * The `Allow` list of a path's endpoints (GET implies HEAD; OPTIONS is always allowed).
 *
 * @param atPath - The endpoints of one path.
 * @returns The methods, e.g. `['GET', 'HEAD', 'PUT', 'PATCH', 'OPTIONS']`.
 * @example
 * ```ts
 * allowedMethods([getMe, putMe, patchMe]); // ['GET', 'HEAD', 'PUT', 'PATCH', 'OPTIONS']
 * ```
 */
export function allowedMethods(atPath: readonly Endpoint[]): string[] {
  const methods = atPath.flatMap((e) => (e.method === 'GET' ? ['GET', 'HEAD'] : [e.method]));
  return [...new Set([...methods, 'OPTIONS'])];
}

/**
 * The 404 problem for a path, with a hint when only the trailing slash is missing.
 *
 * @param table - The known endpoints.
 * @param path - The request path.
 * @returns The error to throw.
 * @example
 * ```ts
 * throw notFound(endpoints, '/api/login'); // detail: "… Did you mean /api/login/? …"
 * ```
 */
export function notFound(table: readonly Endpoint[], path: string): HttpProblem {
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  const withSlash = `${path}/`;
  const hint = table.some((e) => e.path === withSlash)
    ? ` Did you mean ${withSlash}? API paths end with a slash.`
    : '';
  return new HttpProblem(404, 'not_found', `No endpoint at ${shown}.${hint}`);
}

/**
 * The 405 problem for a known path requested with another method.
 *
 * @param method - The request method.
 * @param allow - The methods the path allows.
 * @returns The error to throw (with an `Allow` header).
 * @example
 * ```ts
 * throw methodNotAllowed('DELETE', ['GET', 'HEAD', 'PUT', 'OPTIONS']);
 * ```
 */
export function methodNotAllowed(method: string, allow: readonly string[]): HttpProblem {
  const shown = /^[A-Z]{1,16}$/.test(method) ? method : 'This method';
  return new HttpProblem(
    405,
    'method_not_allowed',
    `${shown} is not allowed here; allowed: ${allow.join(', ')}.`,
    {
      headers: { Allow: allow.join(', ') },
    },
  );
}
