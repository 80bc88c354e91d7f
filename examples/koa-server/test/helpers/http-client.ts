/** A small JSON client over fetch for the tests: every call is a real HTTP request. */

// biome-ignore lint/suspicious/noExplicitAny: tests assert on response bodies rather than type them.
type Json = any;

/** A response, its body parsed when it is JSON. */
export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  /** Parsed JSON (for JSON and problem+json), else undefined. */
  body: T;
  /** The raw body text. */
  text: string;
}

/** Options of one request. */
export interface RequestOptions {
  /** A JSON body (serialized) or a raw string body. */
  body?: unknown;
  /** The bearer token to send. */
  token?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/** A client bound to a base URL. */
export interface ApiClient {
  request<T = Json>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = Json>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  post<T = Json>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  put<T = Json>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  patch<T = Json>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Registers then logs in; returns the user id and the token pair. */
  signUp(email: string, password?: string): Promise<{ id: number; access: string; refresh: string }>;
  /** Logs in; returns the token pair (asserting a 200). */
  login(email: string, password: string): Promise<{ access: string; refresh: string }>;
}

/** Creates a client for `baseUrl` (e.g. `http://127.0.0.1:34567`). */
export function createClient(baseUrl: string): ApiClient {
  async function request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['Content-Type'] = 'application/json';
    }
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const response = await fetch(new URL(path, baseUrl), { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = /json/.test(type) && text !== '' ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
  const client: ApiClient = {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) => request('POST', path, { ...options, body }),
    put: (path, body, options) => request('PUT', path, { ...options, body }),
    patch: (path, body, options) => request('PATCH', path, { ...options, body }),
    async login(email, password) {
      const response = await request<{ access_token: string; refresh_token: string }>('POST', '/api/login/', {
        body: { email, password },
      });
      if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
      return { access: response.body.access_token, refresh: response.body.refresh_token };
    },
    async signUp(email, password = 'password') {
      const registered = await request<{ id: number }>('POST', '/api/register/', {
        body: { email, password },
      });
      if (registered.status !== 201)
        throw new Error(`register failed: ${registered.status} ${registered.text}`);
      return { id: registered.body.id, ...(await client.login(email, password)) };
    },
  };
  return client;
}

/** The claims of a JWT, decoded without verification (tests only). */
export function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}
