/**
 * The review console's resend of a decision the workflow did not answer (DESIGN §12, §6): in
 * headless Chromium against the real API and Temporal server, with the stand-in record workflow of
 * test/support/resolve-workflow.ts on a task queue no worker polls until the test starts one. The
 * page sends an Idempotency-Key per decision and the same one when the operator sends that decision
 * again, so the resend hears the outcome of the first instead of a 409 from the record it moved on.
 */
import { Worker } from '@temporalio/worker';
import { chromium, type Browser, type Locator, type Page, type Route } from 'playwright-core';
import { globalIdOf, statusQuery, workflowIdFor } from '../contract';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/browser';
import { payloadDataConverter } from '../temporal/client';
import { createAccount, createKey, uniqueAccount } from './support/accounts';
import { uniqueId } from './support/records';
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

/** A record parked at persist, its stand-in workflow on a queue of its own that no worker polls yet. */
async function parkedRecord(prefix: string) {
  const id = uniqueId(prefix);
  const globalId = globalIdOf(account, id);
  const taskQueue = `${prefix}-${process.pid}`;
  await stack.db.record.create({ data: { id: globalId, accountId: account, recordKey: id, source: 'api', input: { text: 'x' }, inputHash: 'x', status: 'needs_investigation', step: 'persist', reason: 'exhausted' } });
  await stack.env.client.workflow.start('processRecord', { workflowId: workflowIdFor(globalId), taskQueue, args: [{ id: globalId, account }] });
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(globalId));
  await handle.signal('park', { step: 'persist', reason: 'exhausted' });
  const worker = () =>
    Worker.create({
      connection: stack.env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./support/resolve-workflow'),
      dataConverter: payloadDataConverter(testConfig(0, {}).temporal.payloadKeys),
    });
  return { id, handle, worker };
}

/** The record's case open in the console; `keys` collects the Idempotency-Key of every resolve the page sends. */
async function openCase(browser: Browser, id: string) {
  const keys: Array<string | undefined> = [];
  const pageErrors: string[] = [];
  const page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => void (request.url().endsWith('/resolve') && keys.push(request.headers()['idempotency-key'])));
  await page.goto(`${stack.baseUrl}/`);
  await page.fill('#api-key', operator.key);
  await page.dispatchEvent('#api-key', 'change');
  await page.getByRole('button', { name: /^Review queue/ }).click();
  await button(page, `Review record ${id}`).click();
  return { page, message: page.locator('#review-message'), keys, pageErrors };
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
});

it('a decision the workflow did not answer: sent again from the page, it hears the first send’s outcome', async () => {
  const { id, handle, worker } = await parkedRecord('late');
  const { page, message, keys, pageErrors } = await openCase(browser, id);

  await button(page, 'Retry').click();
  expect(await answered(page, message)).toBe(`Record ${id}: retry sent, but the workflow did not answer in time; it may still take effect. Send the same decision again to hear its outcome.`);
  // Another decision is another key; the workflow will take whichever it meets first.
  await button(page, 'Abandon').click();
  await page.fill('#abandon-reason', 'sent while the workflow was not answering');
  await button(page, 'Abandon and refund').click();
  expect(await answered(page, message)).toMatch(/^Record .*: abandon sent, but the workflow did not answer in time/);

  // A worker comes back: the workflow meets the sends in their order, accepts the retry and refuses the abandon.
  await (await worker()).runUntil(async () => {
    await eventually(async () => expect(await handle.query(statusQuery)).toMatchObject({ status: 'completed' }));
    await button(page, 'Retry').click();
    expect(await answered(page, message)).toBe(`Record ${id}: retry accepted; it is now completed.`);
    await handle.result();
  });
  expect(pageErrors).toEqual([]);
  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(keys[1]).toMatch(/^[0-9a-f]{32}$/);
  expect(keys[1]).not.toBe(keys[0]);
  expect(keys[2]).toBe(keys[0]);
});

// Both ways the send and the page's reload of the case after it can fail: no answer at all, and a
// gateway's error page (whose reload error must not replace what the send's answer was).
const lost: Array<[string, (route: Route) => Promise<void>, string]> = [
  ['the API out of reach', (route) => route.abort('internetdisconnected'), 'the API is not reachable; nothing was sent, or the answer was lost.'],
  ['a gateway answering 502', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' }), 'retry sent, but the answer was an error (HTTP 502); it may still take effect.'],
];
it.each(lost)('a send whose answer is lost with %s: the page stays usable and says so, and the same decision goes again with the same key', async (_, lose, said) => {
  const { id, handle, worker } = await parkedRecord('lost');
  const { page, message, keys, pageErrors } = await openCase(browser, id);

  await (await worker()).runUntil(async () => {
    const reloads: string[] = [];
    await page.route('**/v1/**', (route) => {
      if (route.request().method() === 'GET' && route.request().url().endsWith(encodeURIComponent(`/${id}`))) reloads.push(route.request().url());
      return lose(route);
    });
    await button(page, 'Retry').click();
    await eventually(async () => expect(reloads).toHaveLength(1));
    expect(await answered(page, message)).toBe(`Record ${id}: ${said} Send the same decision again to hear its outcome.`);
    await page.unroute('**/v1/**');
    await button(page, 'Retry').click();
    expect(await answered(page, message)).toBe(`Record ${id}: retry accepted; it is now completed.`);
    await handle.result();
  });
  expect(pageErrors).toEqual([]);
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(keys[1]).toBe(keys[0]);
});
