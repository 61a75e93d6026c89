/**
 * The review console's resend of a decision the workflow did not answer (DESIGN §12, §6): in
 * headless Chromium against the real API and Temporal server, with the stand-in record workflow of
 * test/support/resolve-workflow.ts on a task queue no worker polls until the test starts one. The
 * page sends an Idempotency-Key per decision and the same one when the operator sends that decision
 * again, so the resend hears the outcome of the first instead of a 409 from the record it moved on.
 */
import { Worker } from '@temporalio/worker';
import { chromium, type Locator, type Page } from 'playwright-core';
import { globalIdOf, workflowIdFor } from '../contract';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/browser';
import { payloadDataConverter } from '../temporal/client';
import { createAccount, createKey, uniqueAccount } from './support/accounts';
import { uniqueId } from './support/records';
import { resolvedByQuery } from './support/resolve-workflow';
import { startResolveStack, type ResolveStack } from './support/resolve-stack';
import { eventually } from './support/until';
import { testConfig } from './support/stack';

const UPDATE_TIMEOUT_MS = 1_500;
let stack: ResolveStack;
let account: string;
let operator: { id: string; key: string };
beforeAll(async () => {
  stack = await startResolveStack({ TEMPORAL_UPDATE_TIMEOUT_MS: String(UPDATE_TIMEOUT_MS) });
  account = await createAccount(stack, { id: uniqueAccount('resend') });
  operator = await createKey(stack, account, 'operate');
});
afterAll(async () => {
  await stack?.stop();
});

const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/** What the page says once a send is answered and the case shown again (the row stays parked: the stand-in does not write it). */
async function answered(page: Page, message: Locator): Promise<string> {
  await eventually(async () => expect(await message.getAttribute('data-outcome')).toMatch(/accepted|refused|unknown/));
  await eventually(async () => expect(await button(page, 'Retry').isEnabled()).toBe(true));
  return (await message.textContent()) ?? '';
}

it('a decision the workflow did not answer: sent again from the page, it hears the first send’s outcome', async () => {
  const id = uniqueId('late');
  const globalId = globalIdOf(account, id);
  const lateQueue = `late-${process.pid}`;
  await stack.db.record.create({ data: { id: globalId, accountId: account, recordKey: id, source: 'api', input: { text: 'x' }, inputHash: 'x', status: 'needs_investigation', step: 'persist', reason: 'exhausted' } });
  // No worker polls this queue yet: the workflow cannot answer, so every send meets the API's deadline.
  await stack.env.client.workflow.start('processRecord', { workflowId: workflowIdFor(globalId), taskQueue: lateQueue, args: [{ id: globalId, account }] });
  await stack.env.client.workflow.getHandle(workflowIdFor(globalId)).signal('park', { step: 'persist', reason: 'exhausted' });

  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  const keys: Array<string | undefined> = [];
  const pageErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => void (request.url().endsWith('/resolve') && keys.push(request.headers()['idempotency-key'])));
    await page.goto(`${stack.baseUrl}/`);
    await page.fill('#api-key', operator.key);
    await page.dispatchEvent('#api-key', 'change');
    await page.getByRole('button', { name: /^Review queue/ }).click();
    await button(page, `Review record ${id}`).click();
    const message = page.locator('#review-message');

    await button(page, 'Retry').click();
    expect(await answered(page, message)).toBe(`Record ${id}: retry sent, but the workflow did not answer in time; it may still take effect. Send the same decision again to hear its outcome.`);
    // Another decision is another key; the workflow will take whichever it meets first.
    await button(page, 'Abandon').click();
    await page.fill('#abandon-reason', 'sent while the workflow was not answering');
    await button(page, 'Abandon and refund').click();
    expect(await answered(page, message)).toMatch(/^Record .*: abandon sent, but the workflow did not answer in time/);

    // A worker comes back: the workflow meets the sends in their order, accepts the retry and refuses the abandon.
    const config = testConfig(0, {});
    const worker = await Worker.create({
      connection: stack.env.nativeConnection,
      taskQueue: lateQueue,
      workflowsPath: require.resolve('./support/resolve-workflow'),
      dataConverter: payloadDataConverter(config.temporal.payloadKeys),
    });
    await worker.runUntil(async () => {
      const handle = stack.env.client.workflow.getHandle(workflowIdFor(globalId));
      await eventually(async () => expect(await handle.query(resolvedByQuery)).toBe(operator.id));
      await button(page, 'Retry').click();
      expect(await answered(page, message)).toBe(`Record ${id}: retry accepted; it is now completed.`);
      await handle.result();
    });
  } finally {
    await browser.close();
  }
  expect(pageErrors).toEqual([]);
  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(keys[1]).toMatch(/^[0-9a-f]{32}$/);
  expect(keys[1]).not.toBe(keys[0]);
  expect(keys[2]).toBe(keys[0]);
});
