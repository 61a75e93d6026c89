/**
 * POST /v1/records/:id/resolve through the workflow's `resolve` Update (DESIGN §3, §6, §12), and the
 * operator CLI's review commands, against the real API, ingest, PostgreSQL and Temporal server with
 * a stand-in record workflow (test/support/resolve-workflow.ts) that has the Update.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { globalIdOf, statusQuery, workflowIdFor, type RecordStatusView } from '../contract';
import { call, createAccount, createKey, expectProblem, uniqueAccount } from './support/accounts';
import { resolvedByQuery } from './support/resolve-workflow';
import { startResolveStack, type ResolveStack } from './support/resolve-stack';
import { uniqueId } from './support/records';

const UPDATE_TIMEOUT_MS = 1_500;
let stack: ResolveStack;
let account: string;
let operator: { id: string; key: string };
let submitter: { id: string; key: string };
beforeAll(async () => {
  stack = await startResolveStack({ TEMPORAL_UPDATE_TIMEOUT_MS: String(UPDATE_TIMEOUT_MS) });
  account = await createAccount(stack, { id: uniqueAccount('review') });
  [operator, submitter] = await Promise.all([createKey(stack, account, 'operate'), createKey(stack, account, 'submit')]);
});
afterAll(async () => {
  await stack?.stop();
});

const output = { summary: 'Potassium within range.', labels: ['lab'], confidence: 0.93 };
const resolve = (id: string, body: unknown, key = operator.key, headers?: Record<string, string>) =>
  call(stack.baseUrl, 'POST', `/v1/records/${encodeURIComponent(id)}/resolve`, { key, body, headers });
const statusOf = (id: string) => stack.env.client.workflow.getHandle(workflowIdFor(globalIdOf(account, id))).query<RecordStatusView>(statusQuery);

async function submitted(label: string, into = account): Promise<string> {
  const id = uniqueId(label);
  // A record goes to the account of the key that posts it.
  const key = into === account ? submitter.key : (await createKey(stack, into, 'submit')).key;
  const answer = await call(stack.baseUrl, 'POST', '/v1/records', { key, body: { id, input: { text: `Text of ${label}.` } } });
  expect(answer.status).toBe(202);
  return id;
}

async function parked(label: string, step: 'charge' | 'inference' | 'persist', reason: 'exhausted' | 'low_confidence', into = account): Promise<string> {
  const id = await submitted(label, into);
  await stack.park(globalIdOf(into, id), step, reason);
  return id;
}

describe('accepted', () => {
  it("approve of a low-confidence record: 200 with the record's new state, the operator's key passed to the workflow", async () => {
    const id = await parked('approve', 'inference', 'low_confidence');
    const answer = await resolve(id, { action: 'approve' });
    expect(answer).toMatchObject({ status: 200, body: { id, account, workflowId: workflowIdFor(`${account}/${id}`), status: 'completed', step: null, investigation: null } });
    expect(await stack.env.client.workflow.getHandle(workflowIdFor(`${account}/${id}`)).query(resolvedByQuery)).toBe(operator.id);
  });

  it('correct at inference, retry and abandon of an exhausted record', async () => {
    const corrected = await parked('correct', 'inference', 'low_confidence');
    expect(await resolve(corrected, { action: 'correct', output })).toMatchObject({ status: 200, body: { status: 'completed' } });
    const retried = await parked('retry', 'persist', 'exhausted');
    expect(await resolve(retried, { action: 'retry' })).toMatchObject({ status: 200, body: { status: 'completed' } });
    const abandoned = await parked('abandon', 'charge', 'exhausted');
    expect(await resolve(abandoned, { action: 'abandon', reason: 'duplicate order' })).toMatchObject({ status: 200, body: { status: 'failed' } });
  });
});

describe('refused', () => {
  it("by the workflow's validator: 409 with the workflow's own reason, and the record still waits", async () => {
    const lowConfidence = await parked('refused-low', 'inference', 'low_confidence');
    const retry = await resolve(lowConfidence, { action: 'retry' });
    expectProblem(retry, 409, 'conflict');
    expect(retry.body.detail).toBe('retry is refused for a low-confidence output: approve or correct it');
    const exhausted = await parked('refused-exhausted', 'persist', 'exhausted');
    expect((await resolve(exhausted, { action: 'approve' })).body.detail).toBe('approve is only for low_confidence, not exhausted');
    expect((await resolve(exhausted, { action: 'correct', output })).body.detail).toBe('correct is only for a record parked at inference, not persist');
    const running = await submitted('not-parked');
    expect((await resolve(running, { action: 'retry' })).body.detail).toBe('record is processing, not waiting for an operator');
    expect((await statusOf(lowConfidence)).status).toBe('needs_investigation');
    expect((await statusOf(exhausted)).status).toBe('needs_investigation');
  });

  it('a bad body: 400 with the zod issues, and nothing reaches the workflow', async () => {
    const id = await parked('bad-body', 'inference', 'low_confidence');
    for (const body of [{}, { action: 'explode' }, { action: 'abandon' }, { action: 'correct' }, { action: 'correct', output: { ...output, confidence: 2 } }, { action: 'retry', extra: 1 }, '[1,2']) {
      const answer = await resolve(id, body);
      expect(answer.status).toBe(400);
      expectProblem(answer, 400);
    }
    expect((await resolve(id, { action: 'correct', output: { summary: '' } })).body.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['output.summary', 'output.labels', 'output.confidence']),
    );
    expect(await statusOf(id)).toMatchObject({ status: 'needs_investigation' });
  });

  it("by role and by account: a submit key gets 403; another account's record and an unknown one are 404", async () => {
    const id = await parked('scoped', 'inference', 'low_confidence');
    expectProblem(await resolve(id, { action: 'approve' }, submitter.key), 403, 'forbidden');
    const other = await createAccount(stack, { id: uniqueAccount('other') });
    const stranger = await createKey(stack, other, 'operate');
    expectProblem(await resolve(id, { action: 'approve' }, stranger.key), 404, 'not_found');
    expectProblem(await resolve(`${account}/${id}`, { action: 'approve' }, stranger.key), 404, 'not_found');
    expectProblem(await resolve(uniqueId('unknown'), { action: 'approve' }), 404, 'not_found');
    expect(await statusOf(id)).toMatchObject({ status: 'needs_investigation' });
    // An admin key reaches it by its global id.
    expect((await resolve(`${account}/${id}`, { action: 'approve' }, stack.apiKey)).body).toMatchObject({ id, account, status: 'completed' });
  });

  it('a record whose workflow is closed or was never started: 409, it has no running workflow', async () => {
    const done = await parked('closed', 'inference', 'low_confidence');
    expect((await resolve(done, { action: 'approve' })).status).toBe(200);
    await stack.env.client.workflow.getHandle(workflowIdFor(`${account}/${done}`)).result();
    const again = await resolve(done, { action: 'approve' });
    expectProblem(again, 409, 'conflict');
    expect(again.body.detail).toContain('has no running workflow');

    const orphan = uniqueId('orphan');
    await stack.db.record.create({ data: { id: `${account}/${orphan}`, accountId: account, recordKey: orphan, source: 'api', input: { text: 'x' }, inputHash: 'x', status: 'needs_investigation' } });
    const answer = await resolve(orphan, { action: 'retry' });
    expectProblem(answer, 409, 'conflict');
    expect(answer.body.detail).toBe(`record ${orphan} is needs_investigation and has no running workflow to resolve it`);
  });
});

describe('resent with an Idempotency-Key', () => {
  it('the same action with the same key answers as the first did, also once the first has closed the workflow; without the key, or with another action, the record is judged as it is now', async () => {
    const id = await parked('resent', 'persist', 'exhausted');
    const headers = { 'Idempotency-Key': `operator-${id}-1` };
    const first = await resolve(id, { action: 'retry' }, operator.key, headers);
    expect(first).toMatchObject({ status: 200, body: { id, status: 'completed' } });
    await stack.env.client.workflow.getHandle(workflowIdFor(`${account}/${id}`)).result();
    const again = await resolve(id, { action: 'retry' }, operator.key, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await resolve(id, { action: 'retry' })).body.detail).toContain('has no running workflow');
    expect((await resolve(id, { action: 'abandon', reason: 'changed my mind' }, operator.key, headers)).body.detail).toContain('has no running workflow');
  });

  it('a key that is not 1–255 visible ASCII characters: 400 naming the header, and nothing reaches the workflow', async () => {
    const id = await parked('bad-key', 'persist', 'exhausted');
    for (const key of ['', 'two words', 'k'.repeat(256)]) {
      const answer = await resolve(id, { action: 'retry' }, operator.key, { 'Idempotency-Key': key });
      expectProblem(answer, 400, 'invalid_request');
      expect(answer.body.issues.map((i: { path: string[] }) => i.path)).toEqual([['Idempotency-Key']]);
    }
    expect(await statusOf(id)).toMatchObject({ status: 'needs_investigation' });
  });
});

it('a workflow no worker runs: 503 with Retry-After once the deadline passes, not a hang, and advice that fits the request', async () => {
  const id = uniqueId('no-worker');
  const globalId = `${account}/${id}`;
  await stack.db.record.create({ data: { id: globalId, accountId: account, recordKey: id, source: 'api', input: { text: 'x' }, inputHash: 'x', status: 'needs_investigation' } });
  await stack.env.client.workflow.start('processRecord', { workflowId: workflowIdFor(globalId), taskQueue: `nobody-polls-${process.pid}`, args: [{ id: globalId, account }] });
  const started = Date.now();
  const answer = await resolve(id, { action: 'retry' });
  const took = Date.now() - started;
  expectProblem(answer, 503, 'unavailable');
  expect(answer.headers.get('retry-after')).toBe('5');
  expect(took).toBeGreaterThanOrEqual(UPDATE_TIMEOUT_MS - 100);
  expect(took).toBeLessThan(5_000);
  // Without a key a blind resend could act twice, so the caller is told to read first.
  expect(answer.body.detail).toMatch(/read the record before sending it again/);
  const keyed = await resolve(id, { action: 'retry' }, operator.key, { 'Idempotency-Key': 'no-worker-1' });
  expectProblem(keyed, 503, 'unavailable');
  expect(keyed.body.detail).toMatch(/resend it with the same Idempotency-Key/);
  await stack.env.client.workflow.getHandle(workflowIdFor(globalId)).terminate('test over');
});

describe('the operator CLI', () => {
  const OPS = path.resolve(__dirname, '..', 'bin', 'ops.ts');
  const ops = (args: string[], key = operator.key): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', OPS, ...args],
        { cwd: path.resolve(__dirname, '..'), env: { ...process.env, DI_API_URL: stack.baseUrl, DI_API_KEY: key }, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const dir = mkdtempSync(path.join(tmpdir(), 'ops-correct-'));
  const file = (name: string, content: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  };

  it('approve and correct; a correction that is not a valid output is refused before it is sent', async () => {
    const approved = await parked('cli-approve', 'inference', 'low_confidence');
    const run = await ops(['approve', approved]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`approve accepted by ${workflowIdFor(`${account}/${approved}`)}: the record is completed`);

    const corrected = await parked('cli-correct', 'inference', 'low_confidence');
    for (const [name, content, says] of [
      ['missing.json', undefined, 'cannot read'],
      ['text.json', 'not json', 'is not JSON'],
      ['wrong.json', JSON.stringify({ summary: 'x', labels: 'lab', confidence: 7 }), 'labels'],
    ] as const) {
      const at = content === undefined ? path.join(dir, name) : file(name, content);
      const refused = await ops(['correct', corrected, '--output', at]);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(says);
    }
    expect(await statusOf(corrected)).toMatchObject({ status: 'needs_investigation' });
    const sent = await ops(['correct', corrected, '--output', file('good.json', JSON.stringify(output)), '--json']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ id: corrected, account, status: 'completed' });
    // A refused one exits 1 with the workflow's reason.
    const exhausted = await parked('cli-refused', 'persist', 'exhausted');
    const refused = await ops(['approve', exhausted]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toBe('error: approve is only for low_confidence, not exhausted (HTTP 409 conflict)\n');
  });

  it('retry --all-investigating never retries a low-confidence record: it lists it as skipped, for approve or correct', async () => {
    // An account of its own: the stand-in leaves the rows of records it resolved parked, which the real workflow would not.
    const sweep = await createAccount(stack, { id: uniqueAccount('sweep') });
    const sweeper = await createKey(stack, sweep, 'operate');
    const lowConfidence = await parked('cli-low', 'inference', 'low_confidence', sweep);
    const exhausted = await Promise.all([1, 2].map((n) => parked(`cli-exhausted-${n}`, 'persist', 'exhausted', sweep)));
    const run = await ops(['retry', '--all-investigating', '--json'], sweeper.key);
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { retried: string[]; skipped: string[]; failed: unknown[] };
    expect(outcome).toEqual({ retried: expect.arrayContaining(exhausted.map((id) => `${sweep}/${id}`)), skipped: [`${sweep}/${lowConfidence}`], failed: [] });
    expect(outcome.retried).toHaveLength(2);
    const statusIn = (id: string) => stack.env.client.workflow.getHandle(workflowIdFor(`${sweep}/${id}`)).query<RecordStatusView>(statusQuery);
    expect(await statusIn(lowConfidence)).toMatchObject({ status: 'needs_investigation' });
    for (const id of exhausted) expect(await statusIn(id)).toMatchObject({ status: 'completed' });

    const text = await ops(['retry', '--all-investigating'], sweeper.key);
    expect(text.stdout).toMatch(/skipped \d+ low-confidence record\(s\): .*approve <id> or correct <id> --output <file>/s);
  });
});
