/**
 * The HTTP server around the app, with its timeouts chosen rather than inherited:
 * - a client that sends no complete request head within HTTP_HEADERS_TIMEOUT_MS is answered 408 and
 *   closed (idle keep-alive connections likewise after HTTP_KEEP_ALIVE_TIMEOUT_MS);
 * - once the head is in, the body has no deadline: an upload is read only as fast as it is ingested
 *   (api/uploads.ts), so a large file over a busy pipeline legitimately takes minutes, and Node's
 *   default request timeout (300 s) would cut it off halfway. Bodies are bounded by size instead.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AppConfig } from '../config';

export function createHttpServer(app: RequestListener, { headersTimeoutMs, keepAliveTimeoutMs }: AppConfig['http']): Server {
  return createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: keepAliveTimeoutMs,
      // How often Node looks for connections past the header timeout (default 30 s, which would
      // let a silent client stay far longer than the timeout says).
      connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
    },
    app,
  );
}
