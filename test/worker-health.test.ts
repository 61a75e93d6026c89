/** The worker container's healthcheck (bin/worker-health.ts) against a real server and workers. */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { unpolledTaskQueues } from '../workers/health';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

it('is healthy once this host polls every queue, and names the queues another host does not poll', async () => {
  const check = (host: string) => unpolledTaskQueues(stack.env.client, stack.config, host);
  // Workers register as pollers with their first long poll, a moment after they start.
  const deadline = Date.now() + 15_000;
  let missing = await check(os.hostname());
  while (missing.length > 0 && Date.now() < deadline) {
    await sleep(200);
    missing = await check(os.hostname());
  }
  expect(missing).toEqual([]);
  expect(await check('another-host')).toEqual(['records (workflow)', 'provider-primary (activity)', 'provider-fallback (activity)']);
});
