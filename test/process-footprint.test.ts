/**
 * What a process loads is memory it keeps: the worker SDK with its native core costs a Node
 * process about 50 MiB of RSS, the OpenTelemetry SDK about 20, Stripe's and the providers' SDKs
 * 11 to 18 each (BENCHMARKS.md, what each process loads). The processes that run no worker must
 * not load it through a shared module (the logger, the configuration), no process loads the
 * tracing SDK unless an endpoint is set, a process loads the SDK of a billing kind only when one is
 * configured, and a provider's SDK only at that provider's first call. The worker runs its SQL on
 * `pg` alone (db/sql.ts): Prisma's client, which the API's model queries use, is not in it.
 */
import { inFreshNode } from './support/fresh-node';

const WATCHED = [
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/core-bridge',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
  'stripe',
  'openai',
  '@anthropic-ai/sdk',
  '@prisma/client/runtime/client',
];

/** Which of WATCHED a fresh Node process has loaded (its main module, not just a part) after `script`. */
function loadedAfter(script: string): string[] {
  const report = `process.stdout.write(JSON.stringify(${JSON.stringify(WATCHED)}.filter((name) => require.cache[require.resolve(name)] !== undefined)));`;
  return JSON.parse(inFreshNode(`${script}\n${report}`)) as string[];
}

it.each(['api/service.ts', 'mllp/service.ts'])('requiring %s loads the Temporal client, Prisma\'s client and none of the SDKs it has not been configured for', (module) => {
  expect(loadedAfter(`require('./${module}');`)).toEqual(['@temporalio/client', '@prisma/client/runtime/client']);
});

it("the worker process loads the worker SDK and its core, so the check above can see them, and not Prisma's client", () => {
  const loaded = loadedAfter(`require('./workers/process.ts');`);
  expect(loaded).toEqual(expect.arrayContaining(['@temporalio/worker', '@temporalio/core-bridge']));
  expect(loaded).not.toContain('@prisma/client/runtime/client');
});

const SDKS = ['stripe', 'openai', '@anthropic-ai/sdk'];
const OPENAI_DEFAULTS_WITH_LEDGER = `
    const { loadConfig } = require('./config');
    const { createProviderClients } = require('./providers/registry');
    const { createBilling } = require('./billing/create');
    const config = loadConfig({ NODE_ENV: 'development' });
    if (config.providers.some((p) => p.kind !== 'openai') || config.billing.provider !== 'ledger') throw new Error('the defaults changed: pick settings with one kind');
    const providers = createProviderClients(config.providers, Object.fromEntries(config.providers.map((p) => [p.apiKeyEnv, 'key'])));
    createBilling(config.billing);`;

it('making the clients of OpenAI-kind providers and the ledger loads no SDK: the API has them for a probe it may never run', () => {
  expect(loadedAfter(OPENAI_DEFAULTS_WITH_LEDGER).filter((name) => SDKS.includes(name))).toEqual([]);
});

it("a provider's first call loads its kind's SDK, and only that one", () => {
  // Aborted before it is sent: the call needs no server, only its client.
  const firstCall = `${OPENAI_DEFAULTS_WITH_LEDGER}
    [...providers.values()][0].client.complete({ text: 'x', signal: AbortSignal.abort() }).catch(() => undefined);`;
  expect(loadedAfter(firstCall).filter((name) => SDKS.includes(name))).toEqual(['openai']);
});
