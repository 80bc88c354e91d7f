/**
 * Reading a JSON request body from a node:http request, for both servers (the Koa app reads
 * `ctx.req` with it): 415 for other content types, 413 over the limit, 400 for bytes that are
 * not UTF-8, for malformed JSON or a JSON scalar.
 *
 * @module
 */

import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem.js';
import { assertJsonBody, hasBody } from './request.js';

/** Refuses invalid UTF-8 instead of replacing it with U+FFFD (a password must arrive as sent). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
/** A JSON text whose first value is an object or an array (RFC 8259 whitespace allowed). */
const OBJECT_OR_ARRAY = /^[ \t\n\r]*[[{]/;

/**
 * Reads and parses a JSON body.
 *
 * @param req - The request.
 * @param options - `limitBytes`: the largest body accepted.
 * @returns The parsed body, or `undefined` when there is none.
 * @throws {@link HttpProblem} 415 (not JSON), 413 (too large), 400 (not UTF-8, malformed,
 *   or cut short by the client).
 * @example
 * ```ts
 * const body = await readJsonBody(req, { limitBytes: 16 * 1024 });
 * ```
 */
export async function readJsonBody(req: IncomingMessage, options: { limitBytes: number }): Promise<unknown> {
  const { limitBytes } = options;
  assertJsonBody(req.headers);
  if (!hasBody(req.headers)) return undefined;
  if (req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity') {
    throw new HttpProblem(415, 'unsupported_media_type', 'The body content encoding is not supported.');
  }
  const tooLarge = () =>
    new HttpProblem(413, 'body_too_large', `The request body exceeds the limit of ${limitBytes} bytes.`, {
      headers: { Connection: 'close' },
    });
  if (Number(req.headers['content-length']) > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    throw new HttpProblem(400, 'bad_request', 'The request body was incomplete.', { cause: error });
  }
  const text = decodeUtf8(Buffer.concat(chunks));
  if (!/\S/.test(text)) return undefined;
  if (!OBJECT_OR_ARRAY.test(text)) throw malformed();
  try {
    return JSON.parse(text);
  } catch {
    throw malformed();
  }
}

/**
 * Decodes strictly: a lenient decoder turns invalid bytes into U+FFFD, so that a password
 * sent as bytes \xff\xff would be stored and compared as two replacement characters.
 */
function decodeUtf8(bytes: Buffer): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch (error) {
    throw new HttpProblem(
      400,
      'malformed_json',
      'The request body is not valid UTF-8 (JSON text must be UTF-8).',
      {
        cause: error,
      },
    );
  }
}

function malformed(): HttpProblem {
  return new HttpProblem(
    400,
    'malformed_json',
    'The request body is not valid JSON (expected a JSON object).',
  );
}
