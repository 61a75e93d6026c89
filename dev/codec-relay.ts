/**
 * What the dev server's Web UI calls as its codec server under `npm start`. The UI sends no
 * Authorization header to a codec server (only with a login of its own and "pass access token"),
 * and the API's codec endpoint wants a key: this relay forwards the UI's `/decode` and `/encode`
 * (preflights included, Origin and all) to the API's `/codec/...` with the key added, and hands back
 * the API's answer, CORS headers and all. It listens on loopback whatever HOST says: it reads
 * payloads for whoever can reach it, as the unauthenticated dev UI itself shows workflows.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CodecRelay {
  url: string;
  close(): Promise<void>;
}

const ROUTES = new Set(['/decode', '/encode']);
const FORWARDED = ['content-type', 'content-length', 'origin', 'x-namespace', 'access-control-request-method', 'access-control-request-headers'];

const pick = (headers: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(FORWARDED.flatMap((name) => (headers[name] === undefined ? [] : [[name, headers[name]]])));

/** `target`: the API's codec endpoint, e.g. http://127.0.0.1:3000/codec. */
export async function startCodecRelay({ target, authorization }: { target: string; authorization: string }): Promise<CodecRelay> {
  const base = new URL(target);
  const server = createServer((req, res) => {
    const asked = new URL(req.url ?? '/', 'http://relay');
    // Only the two routes: nothing else of the API is reachable with the key this relay holds.
    if (!ROUTES.has(asked.pathname)) return void res.writeHead(404).end();
    const upstream = request(
      new URL(`${base.pathname.replace(/\/$/, '')}${asked.pathname}${asked.search}`, base),
      { method: req.method, headers: { ...pick(req.headers), authorization } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable', message: 'the API is not reachable' }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
