/**
 * GET /openapi.json (DESIGN §6) against the app that serves it: every route the Express app has is
 * documented, and every documented operation is served (answered by its route, not by the 404 of
 * an unknown one).
 */
import type { Express } from 'express';
import pino from 'pino';
import { createConfiguredApp } from '../api/app';
import { createProviderClients } from '../providers/registry';
import { call } from './support/accounts';
import { startStack, TEST_SECRETS, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

interface Layer {
  rawPath?: string | string[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every `METHOD /path` the app routes, in OpenAPI's form (`{id}` for `:id`), mounted routers included. */
function routesOf(layers: Layer[], prefix = ''): string[] {
  return layers.flatMap((layer) => {
    if (layer.route) {
      const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
      return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (!layer.handle.stack) return [];
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return routesOf(layer.handle.stack, `${prefix}${mount}`);
  });
}

async function documented(): Promise<{ doc: any; operations: string[] }> {
  const res = await fetch(`${stack.baseUrl}/openapi.json`);
  expect(res.status).toBe(200);
  const doc: any = await res.json();
  const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
  return { doc, operations };
}

it('is OpenAPI 3.1, served without a key, with problem+json for every error answer', async () => {
  const { doc, operations } = await documented();
  expect(doc).toMatchObject({ openapi: '3.1.0', components: { schemas: { Problem: { type: 'object' } } } });
  expect(operations.length).toBeGreaterThan(10);
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, answer] of Object.entries(op.responses as Record<string, any>)) {
        if (Number(status) >= 400 && !(['/readyz', '/health/inference'].includes(path) && status === '503')) {
          expect({ at: `${method} ${path} ${status}`, content: Object.keys(answer.content) }).toEqual({ at: `${method} ${path} ${status}`, content: ['application/problem+json'] });
        }
      }
      if (path.startsWith('/v1/')) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '429']));
    }
  }
  // The request body of POST /v1/records is the contract's schema.
  const body = doc.paths['/v1/records'].post.requestBody.content['application/json'].schema;
  expect(body).toMatchObject({ type: 'object', required: ['id', 'input'], properties: { id: { pattern: '^[A-Za-z0-9._:-]+$', maxLength: 128 } } });
});

it("documents every route of the Express app, and the app serves every documented operation", async () => {
  const app: Express = createConfiguredApp(stack.config, { db: stack.db, temporal: stack.env.client, ingest: stack.ingest, log: pino({ level: 'silent' }), providers: createProviderClients(stack.config.providers, TEST_SECRETS) });
  const routes = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
  const { operations } = await documented();
  expect(routes.length).toBeGreaterThan(10);
  expect(routes.filter((r) => !operations.includes(r))).toEqual([]);
  // The one documented operation that is not a route: the page's static files, from express.static.
  expect(operations.filter((o) => !routes.includes(o))).toEqual(['GET /']);

  const sample = (path: string) => path.replace('{id}', 'nope').replace('{account}', 'default').replace('{keyId}', 'nope');
  for (const operation of operations) {
    const [method, path] = operation.split(' ') as [string, string];
    const answer = await fetch(`${stack.baseUrl}${sample(path)}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiKey}`, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    const text = await answer.text();
    expect({ operation, unknownRoute: answer.status === 404 && text.includes('"no route ') }).toEqual({ operation, unknownRoute: false });
  }
  // And an unknown route is the 404 told apart above.
  expect((await call(stack.baseUrl, 'GET', '/v1/nope', { key: stack.apiKey })).body.detail).toBe('no route GET /v1/nope');
});
