/**
 * The baseline for the server benchmark: a bare node:http server that does only what
 * GET /api/me/ cannot avoid (parse the Bearer header, verify the JWT with jose, using a
 * key imported once) and returns the same JSON. Everything the real server costs above
 * this is routing, middleware, logging, validation and the store read.
 *
 * Usage, from the repository root: PORT=0 JWT_SECRET=... node --import tsx bench/server/baseline.ts
 * (prints "listening <port>"). The tsx loader rather than the tsx command, which would run the
 * server in a child process: the benchmark reads the CPU time of the pid it spawned.
 */
import { createServer } from 'node:http';
import { jwtVerify } from 'jose';

const secret = process.env.JWT_SECRET;
if (!secret) throw new Error('JWT_SECRET is required');
const key = await crypto.subtle.importKey(
  'raw',
  new TextEncoder().encode(secret),
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
);

const server = createServer(async (req, res) => {
  const header = req.headers.authorization ?? '';
  if (req.method !== 'GET' || req.url !== '/api/me/' || !header.startsWith('Bearer ')) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"unauthorized"}');
    return;
  }
  try {
    const { payload } = await jwtVerify(header.slice(7), key, { algorithms: ['HS256'] });
    const body = JSON.stringify({ id: Number(payload.sub), username: '', email: 'bench@example.com' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  } catch {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"invalid token"}');
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
