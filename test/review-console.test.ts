/**
 * The review console (DESIGN §12) in headless Chromium against the real stack: records parked by
 * fault plans (a low-confidence answer from the simulator, a persist step that exhausts its
 * retries), then an operator works through the queue in the page — approves, corrects, retries,
 * abandons — and the API afterwards shows each record where it should be, with the operator's key
 * in its events.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/browser';
import { call, createAccount, createKey, uniqueAccount } from './support/accounts';
import { invariantViolations, uniqueId, waitForStatus } from './support/records';
import { eventually } from './support/until';
import { startStack, type Stack } from './support/stack';

const ARTIFACTS = join(__dirname, 'artifacts');
const LOW_CONFIDENCE = { faults: [{ provider: 'primary', kind: 'low_confidence', times: 1 }] };
/** More failures than the retry budget: the first round parks as exhausted; a retry runs without them. */
const PERSIST_EXHAUSTED = { faults: [{ step: 'persist', when: 'before', times: 100 }] };

let stack: Stack;
let account: string;
let operator: { id: string; key: string };
beforeAll(async () => {
  stack = await startStack();
  account = await createAccount(stack, { id: uniqueAccount('console') });
  operator = await createKey(stack, account, 'operate');
});
afterAll(async () => {
  expect(await invariantViolations(stack)).toEqual([]);
  await stack?.stop();
});

const text = (label: string) => `Review note ${label}: potassium 5.9 mmol/L, haemolysed sample suspected.`;

async function parked(label: string, simulate: unknown, reason: string): Promise<string> {
  const id = uniqueId(label);
  const answer = await call(stack.baseUrl, 'POST', '/v1/records', { key: operator.key, body: { id, input: { text: text(label) }, simulate } });
  expect(answer.status).toBe(202);
  expect((await waitForStatus(stack, `${account}/${id}`, 'needs_investigation')).investigation).toMatchObject({ reason });
  return id;
}

/** What these tests read of GET /v1/records/:id. */
interface RecordBody {
  status: string;
  events: Array<{ fromStatus: string | null; toStatus: string; actor: string; detail: Record<string, unknown> | null }>;
}

const record = async (id: string): Promise<RecordBody> => {
  const answer = await call(stack.baseUrl, 'GET', `/v1/records/${id}`, { key: operator.key });
  expect(answer.status).toBe(200);
  return answer.body as RecordBody;
};

async function untilStatus(id: string, status: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await record(id);
    if (body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`record ${id} is ${body.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const hasText = (locator: Locator, expected: string) => eventually(async () => expect(await locator.textContent()).toBe(expected));
const hasCount = (locator: Locator, expected: number) => eventually(async () => expect(await locator.count()).toBe(expected));
const isFocused = (page: Page, id: string) => eventually(async () => expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe(id));
const hasAttribute = (locator: Locator, name: string, expected: string | RegExp) => eventually(async () => expect(await locator.getAttribute(name)).toMatch(expected));

const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
const queueIds = async (page: Page) => Promise.all((await page.locator('#queue tbody tr').all()).map((row) => row.getAttribute('data-id')));

async function openCase(page: Page, id: string, reason: string, step: string) {
  await button(page, `Review record ${id}`).click();
  await hasText(page.locator('#case-id'), id);
  await hasText(page.locator('#case-status'), 'needs_investigation');
  await hasText(page.locator('#case-reason'), reason);
  await hasText(page.locator('#case-step'), step);
}

/** The outcome the page announces after an action, once the record shows the state it led to. */
async function outcome(page: Page, id: string, status: string): Promise<string> {
  await hasAttribute(page.locator('#review-message'), 'data-outcome', /accepted|refused/);
  await untilStatus(id, status);
  return (await page.textContent('#review-message')) ?? '';
}

it('works through the queue: approve, correct, retry and abandon, each ending as the API then shows', async () => {
  const approve = await parked('approve', LOW_CONFIDENCE, 'low_confidence');
  const correct = await parked('correct', LOW_CONFIDENCE, 'low_confidence');
  const stale = await parked('stale', LOW_CONFIDENCE, 'low_confidence');
  const retry = await parked('retry', PERSIST_EXHAUSTED, 'exhausted');
  const abandon = await parked('abandon', PERSIST_EXHAUSTED, 'exhausted');

  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
  const resolveRequests: string[] = [];
  let corrected: unknown;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const pageErrors: string[] = [];
    // Chromium logs every HTTP error answer; the stale page's 409 below is one the test provokes.
    const expected = (line: string) => line.includes('status of 409 (Conflict)');
    page.on('console', (message) => void (message.type() === 'error' && !expected(message.text()) && pageErrors.push(message.text())));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => void (request.url().endsWith('/resolve') && resolveRequests.push(decodeURIComponent(request.url()))));

    // The key is entered once: it lives in sessionStorage, survives a reload, and is never in a URL.
    await page.goto(`${stack.baseUrl}/`);
    await page.fill('#api-key', operator.key);
    await page.dispatchEvent('#api-key', 'change');
    await page.reload();
    await eventually(async () => expect(await page.locator('#api-key').inputValue()).toBe(operator.key));
    expect(await page.evaluate<string | null>("sessionStorage.getItem('apiKey')")).toBe(operator.key);

    await page.getByRole('button', { name: /^Review queue/ }).click();
    await page.locator('#upload-view').waitFor({ state: 'hidden' });
    await hasCount(page.locator('#queue tbody tr'), 5);
    await hasText(page.locator('#reason-counts li[data-reason="low_confidence"] b'), '3');
    await hasText(page.locator('#reason-counts li[data-reason="exhausted"] b'), '2');
    await page.selectOption('#step-filter', 'persist');
    await hasCount(page.locator('#queue tbody tr'), 2);
    expect((await queueIds(page)).sort()).toEqual([abandon, retry].sort());
    await hasCount(page.locator('#reason-counts li'), 1);
    await page.selectOption('#step-filter', '');
    await page.selectOption('#reason-filter', 'low_confidence');
    await hasCount(page.locator('#queue tbody tr'), 3);
    expect((await queueIds(page)).sort()).toEqual([approve, correct, stale].sort());
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'review-queue.png'), fullPage: true });
    await page.selectOption('#reason-filter', '');

    // Approve: only for low confidence, where Retry is not offered.
    await openCase(page, approve, 'low_confidence', 'inference');
    await hasText(page.locator('#case-input'), text('approve'));
    await hasText(page.locator('#case-confidence'), 'confidence 0.1 from primary');
    expect(JSON.parse((await page.textContent('#case-output')) ?? '')).toMatchObject({ confidence: 0.1 });
    await hasCount(page.locator('#case-calls tbody tr'), 1);
    await hasText(page.locator('#case-calls tbody td').first(), 'primary');
    await eventually(async () => expect(await page.locator('#case-charge').textContent()).toContain('charged'));
    expect(await button(page, 'Retry').isDisabled()).toBe(true);
    await button(page, 'Approve').dblclick();
    expect(await outcome(page, approve, 'completed')).toBe(`Record ${approve}: approve accepted; it is now completed.`);

    // Correct: the editor refuses what the output schema refuses, before anything is sent.
    await openCase(page, correct, 'low_confidence', 'inference');
    await button(page, 'Correct').click();
    await isFocused(page, 'correct-output');
    await page.fill('#correct-output', '{"summary": "x",');
    await button(page, 'Send correction').click();
    await eventually(async () => expect(await page.locator('#correct-issues li').allTextContents()).toEqual(['The correction is not valid JSON.']));
    await page.fill('#correct-output', JSON.stringify({ summary: '', labels: [1], confidence: 2, note: 'x' }));
    await button(page, 'Send correction').click();
    const fields = async () => (await page.locator('#correct-issues li').allTextContents()).map((issue) => issue.split(':')[0]).sort();
    await eventually(async () => expect(await fields()).toEqual(['confidence', 'labels.0', 'output', 'summary']));
    await hasAttribute(page.locator('#correct-output'), 'aria-invalid', 'true');
    await page.screenshot({ path: join(ARTIFACTS, 'review-correct.png'), fullPage: true });
    expect(resolveRequests.filter((url) => url.includes(correct))).toEqual([]);
    corrected = { summary: 'Potassium raised; sample haemolysed, repeat the draw.', labels: ['lab', 'repeat'], confidence: 0.95 };
    await page.fill('#correct-output', JSON.stringify(corrected));
    await button(page, 'Send correction').click();
    expect(await outcome(page, correct, 'completed')).toBe(`Record ${correct}: correct accepted; it is now completed.`);
    await page.locator('#correct-form').waitFor({ state: 'hidden' });

    // A stale page: the record was resolved elsewhere meanwhile; the server's refusal is shown as it gave it.
    await openCase(page, stale, 'low_confidence', 'inference');
    const elsewhere = await call(stack.baseUrl, 'POST', `/v1/records/${stale}/resolve`, { key: operator.key, body: { action: 'approve' } });
    expect(elsewhere.status).toBe(200);
    await button(page, 'Approve').click();
    const refused = await outcome(page, stale, 'completed');
    expect(refused).toMatch(new RegExp(`^Record ${stale}: approve refused\\. record (${account}/${stale} is completed and has no running workflow|is already resolved|is completed, not waiting)`));
    expect(refused).not.toContain('potassium');
    await hasAttribute(page.locator('#review-message'), 'data-outcome', 'refused');

    // Retry of an exhausted record: its fault plan applied to the first round only.
    await openCase(page, retry, 'exhausted', 'persist');
    expect(await button(page, 'Approve').isDisabled()).toBe(true);
    expect(await button(page, 'Correct').isDisabled()).toBe(true);
    expect(await page.locator('#case-last-error').textContent()).not.toBe('—');
    await button(page, 'Retry').click();
    expect(await outcome(page, retry, 'completed')).toMatch(new RegExp(`^Record ${retry}: retry accepted; it is now (processing|completed)\\.$`));

    // Abandon, by keyboard alone: the reason field takes the focus, visibly, and Enter sends it.
    await openCase(page, abandon, 'exhausted', 'persist');
    await button(page, 'Abandon').focus();
    await page.keyboard.press('Enter');
    await isFocused(page, 'abandon-reason');
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineWidth')).toBe('3px');
    await page.keyboard.press('Enter');
    await hasAttribute(page.locator('#abandon-reason'), 'aria-invalid', 'true');
    await page.keyboard.type('duplicate order, cancelled by the ward');
    await page.keyboard.press('Enter');
    expect(await outcome(page, abandon, 'failed')).toBe(`Record ${abandon}: abandon accepted; it is now failed.`);
    await hasText(page.locator('#case-status'), 'failed');
    await eventually(async () => expect(await page.locator('#case-charge').textContent()).toContain('refunded'));
    await hasCount(page.locator('#queue tbody tr'), 0);
    await page.screenshot({ path: join(ARTIFACTS, 'review-done.png'), fullPage: true });

    expect(page.url()).not.toContain(operator.key);
    // helmet's Content-Security-Policy would report a blocked script, style or eval here.
    expect(pageErrors).toEqual([]);
  } finally {
    await browser.close();
  }
  // One resolve per action the page sent: the double click on Approve sent it once.
  expect(resolveRequests.map((url) => url.split('/v1/records/')[1])).toEqual([approve, correct, stale, retry, abandon].map((id) => `${account}/${id}/resolve`));

  // The operator's events, as transitions: an approve or correct is carried out by persist, which moves the record twice.
  const byOperator = (events: RecordBody['events']) =>
    events.filter((e) => e.actor === 'operator').map((e) => ({ change: `${e.fromStatus}→${e.toStatus}`, action: e.detail?.action, keyId: e.detail?.keyId }));
  const carriedOut = (action: string) => [
    { change: 'needs_investigation→processing', action, keyId: operator.id },
    { change: 'processing→completed', action, keyId: operator.id },
  ];
  const approved = await record(approve);
  expect(approved).toMatchObject({ status: 'completed', result: { source: 'model', confidence: 0.1, actorKeyId: operator.id } });
  expect(byOperator(approved.events)).toEqual(carriedOut('approve'));
  const fixed = await record(correct);
  expect(fixed).toMatchObject({ status: 'completed', result: { source: 'operator', output: corrected, actorKeyId: operator.id }, modelOutput: { confidence: 0.1 } });
  expect(byOperator(fixed.events)).toEqual(carriedOut('correct'));
  const retried = await record(retry);
  expect(retried).toMatchObject({ status: 'completed', result: { source: 'model' } });
  expect(byOperator(retried.events)).toEqual([{ change: 'needs_investigation→processing', action: 'retry', keyId: operator.id }]);
  const abandoned = await record(abandon);
  expect(abandoned).toMatchObject({ status: 'failed', result: null, charge: { status: 'refunded' } });
  expect(byOperator(abandoned.events)).toEqual([{ change: 'needs_investigation→failed', action: 'abandon', keyId: operator.id }]);
  expect(abandoned.events.find((e) => e.detail?.action === 'abandon')?.detail?.reason).toBe('duplicate order, cancelled by the ward');
});

it('GET /v1/review/summary counts the parked records of the key\'s account by reason and step, for operate keys only', async () => {
  const other = await createAccount(stack, { id: uniqueAccount('summary') });
  const [own, submitter] = await Promise.all([createKey(stack, other, 'operate'), createKey(stack, other, 'submit')]);
  const id = uniqueId('count');
  await call(stack.baseUrl, 'POST', '/v1/records', { key: own.key, body: { id, input: { text: 'x' }, simulate: PERSIST_EXHAUSTED } });
  await waitForStatus(stack, `${other}/${id}`, 'needs_investigation');
  expect((await call(stack.baseUrl, 'GET', '/v1/review/summary', { key: own.key })).body).toEqual({ parked: 1, groups: [{ reason: 'exhausted', step: 'persist', count: 1 }] });
  expect((await call(stack.baseUrl, 'GET', `/v1/review/summary?account=${other}`, { key: stack.apiKey })).body).toEqual({ parked: 1, groups: [{ reason: 'exhausted', step: 'persist', count: 1 }] });
  expect((await call(stack.baseUrl, 'GET', '/v1/review/summary', { key: submitter.key })).status).toBe(403);
  expect((await call(stack.baseUrl, 'GET', `/v1/review/summary?account=${account}`, { key: own.key })).status).toBe(404);
  expect((await call(stack.baseUrl, 'GET', '/v1/review/summary?status=failed', { key: own.key })).status).toBe(400);
  const listed = await call(stack.baseUrl, 'GET', '/v1/records?status=needs_investigation&step=persist&reason=exhausted', { key: own.key });
  expect(listed.body.records.map((r: { id: string }) => r.id)).toEqual([id]);
  expect((await call(stack.baseUrl, 'GET', '/v1/records?step=nowhere', { key: own.key })).status).toBe(400);
  // Resolved, so the shared stack leaves nothing parked behind.
  expect((await call(stack.baseUrl, 'POST', `/v1/records/${id}/resolve`, { key: own.key, body: { action: 'abandon', reason: 'test over' } })).status).toBe(200);
});
