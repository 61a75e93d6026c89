/**
 * The API server's timeouts (api/server.ts) with real sockets: a client that sends nothing, or
 * stops halfway through its request head, is closed after HTTP_HEADERS_TIMEOUT_MS; an upload
 * whose body arrives slowly but steadily, for several times that long, completes.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startStack, type Stack } from './support/stack';

const HEADERS_TIMEOUT_MS = 1_000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ settings: { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) } });
});
afterAll(async () => {
  await stack?.stop();
});

const apiPort = (): number => Number(new URL(stack.baseUrl).port);

/** Connects, writes `head` (possibly nothing), and resolves with how long the server kept the socket open and what it sent. */
function silentClient(head: string): Promise<{ openMs: number; received: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    const socket = connect({ port: apiPort(), host: '127.0.0.1' }, () => socket.write(head));
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ openMs: Date.now() - started, received }));
  });
}

it('closes a connection that sends nothing, or half a request head, after the header timeout', async () => {
  const [nothing, halfHead] = await Promise.all([silentClient(''), silentClient('POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n')]);
  for (const { openMs } of [nothing, halfHead]) {
    expect(openMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    // The timeout plus Node's check interval (at most the timeout here), with room for a busy machine.
    expect(openMs).toBeLessThan(2 * HEADERS_TIMEOUT_MS + 2_000);
  }
  expect(halfHead.received).toMatch(/^HTTP\/1\.1 408/);
});

it('lets an upload whose body trickles in for several header timeouts complete', async () => {
  const boundary = `----slow${randomUUID()}`;
  const ids = Array.from({ length: 20 }, (_v, i) => `slow-${randomUUID().slice(0, 8)}-${i}`);
  const pieces = [
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.jsonl"\r\nContent-Type: application/x-ndjson\r\n\r\n`,
    ...ids.map((id) => `${JSON.stringify({ id, input: { text: `Slow line ${id}.` } })}\n`),
    `\r\n--${boundary}--\r\n`,
  ].map((piece) => Buffer.from(piece));
  const gapMs = 250;

  const started = Date.now();
  const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: apiPort(),
        method: 'POST',
        path: '/v1/uploads',
        headers: {
          authorization: `Bearer ${stack.apiKey}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': pieces.reduce((n, p) => n + p.length, 0),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    const send = (i: number): void => {
      if (i === pieces.length) return void req.end();
      req.write(pieces[i]);
      setTimeout(() => send(i + 1), gapMs);
    };
    send(0);
  });
  const elapsedMs = Date.now() - started;

  expect(elapsedMs).toBeGreaterThan(4 * HEADERS_TIMEOUT_MS);
  expect(response.status).toBe(200);
  const { outcomes } = JSON.parse(response.body) as { outcomes: Array<{ id: string; outcome: string }> };
  expect(outcomes.map((o) => [o.id, o.outcome])).toEqual(ids.map((id) => [id, 'accepted']));
});
