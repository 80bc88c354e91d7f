import { afterAll, beforeAll } from 'vitest';
import { describeContract } from './contract.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let koa: TestServer;
let node: TestServer;

beforeAll(async () => {
  [koa, node] = await Promise.all([startTestServer(), startTestServer({ kind: 'node' })]);
});

afterAll(async () => {
  await Promise.all([koa?.close(), node?.close()]);
});

describeContract('the Koa app', () => koa.url);
describeContract('the plain node:http server', () => node.url);
