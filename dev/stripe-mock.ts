/**
 * Stripe's own API mock (stripe-mock) on a free loopback port, for tests of the Stripe billing
 * provider. It answers with the real API's shapes and validates requests against Stripe's OpenAPI
 * spec, but keeps no state: dev/stripe-proxy.ts adds what tests need of the real Stripe.
 */
import { freePort, supervise, waitForPort } from './processes';
import { ensureGoTool, provisionOptionsFromEnv, type Log } from './provision';

export interface StripeMock {
  /** For STRIPE_API_BASE. */
  url: string;
  stop(): Promise<void>;
}

export async function startStripeMock(log: Log = (line) => process.stderr.write(`[stripe-mock] ${line}\n`)): Promise<StripeMock> {
  const executable = await ensureGoTool('stripe-mock', log, provisionOptionsFromEnv(process.env));
  const port = await freePort();
  // `-http-addr` alone would still open its HTTPS listener on every interface at a fixed port,
  // where a second instance clashes; port 0 on loopback keeps instances apart.
  const args = ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:0'];
  const child = supervise({ name: 'stripe-mock', command: executable, args, restart: false, quiet: true }, log);
  try {
    await waitForPort(port, '127.0.0.1', 30_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}
