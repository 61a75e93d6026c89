/**
 * The operator CLI as an operator runs it: a child process with DI_API_URL and DI_API_KEY, talking
 * to the real API over HTTP, with the real workflows, workers and PostgreSQL behind it. A database
 * of its own, because `retry --all-investigating` would otherwise resume other files' parked records.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { workflowIdFor } from '../contract';
import { loadOpsConfig } from '../ops/config';
import { createProgress } from '../ops/progress';
import { migratedDatabase } from './support/database';
import { ledgerOf, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

const REPO = path.resolve(__dirname, '..');
const OPS = path.join(REPO, 'bin', 'ops.ts');
const exhaustPersist = { faults: [{ step: 'persist', when: 'before', times: 50 }] };

let stack: Stack;
let database: Awaited<ReturnType<typeof migratedDatabase>>;

beforeAll(async () => {
  database = await migratedDatabase('ops_test');
  stack = await startStack({ databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await database?.drop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the API answering the CLI runs in this process and must not be blocked. */
function ops(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', OPS, ...args],
      { cwd: REPO, env: { ...process.env, DI_API_URL: stack.baseUrl, DI_API_KEY: stack.apiKey, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function parked(label: string): Promise<string> {
  const id = uniqueId(label);
  await submit(stack, id, `Parked for the operator: ${label}.`, exhaustPersist);
  await waitForStatus(stack, id, 'needs_investigation');
  return id;
}

describe('show, list and retry of an exhausted record', () => {
  it('shows why it is parked, lists it, and a retry completes it', async () => {
    const id = await parked('ops-show');

    const shown = await ops(['show', id]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^status\s+needs_investigation$/m);
    expect(shown.stdout).toMatch(/^step\s+persist$/m);
    expect(shown.stdout).toMatch(/^attempts\s+5$/m);
    expect(shown.stdout).toMatch(/^investigation\s+exhausted at step persist$/m);
    expect(shown.stdout).toMatch(/^last error\s+.*injected error before persist/m);
    expect(shown.stdout).toMatch(/^charge\s+0\.05 USD, charged \(key charge-/m);
    expect(shown.stdout).toMatch(/^PROVIDER\s+MODEL\s+ATTEMPT\s+OUTCOME\s+HTTP\s+LATENCY\s+COST/m);
    expect(shown.stdout).toMatch(/^primary\s+\S+\s+1\s+ok\s+200\s+\d+ ms\s+\d+\.\d{6}/m);
    expect(shown.stdout).toMatch(/^total cost \d+\.\d{6} over 1 call\(s\)$/m);
    expect(shown.stdout).toMatch(/processing → needs_investigation\s+persist\s+system\s+reason=exhausted/);

    const json = await ops(['show', id, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'needs_investigation', step: 'persist', attempts: 5, workflowId: workflowIdFor(id) });

    const listed = await ops(['list', '--status', 'needs_investigation', '--json']);
    expect(listed.code).toBe(0);
    const { records } = JSON.parse(listed.stdout) as { records: Array<{ id: string; status: string }> };
    expect(records.map((r) => r.id)).toContain(id);
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(['needs_investigation']));
    const table = await ops(['list', '--status', 'needs_investigation', '--limit', '5']);
    expect(table.stdout).toMatch(/^ID\s+STATUS\s+STEP\s+REASON\s+ATTEMPTS\s+UPDATED\s+LAST ERROR$/m);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+needs_investigation\\s+persist\\s+exhausted\\s+5\\s`, 'm'));

    const retried = await ops(['retry', id]);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toContain(`retry accepted by ${workflowIdFor(id)}`);
    expect((await result(stack, id)).status).toBe('completed');
    expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
  });
});

describe('abandon', () => {
  it('ends the record failed with its charge refunded, and show says why', async () => {
    const id = await parked('ops-abandon');
    const abandoned = await ops(['abandon', id, '--reason', 'duplicate lab order']);
    expect(abandoned).toMatchObject({ code: 0, stderr: '' });
    expect((await result(stack, id)).status).toBe('failed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.charges[0]).toMatchObject({ status: 'refunded' });
    const shown = await ops(['show', id]);
    expect(shown.stdout).toMatch(/^status\s+failed$/m);
    expect(shown.stdout).toMatch(/^abandoned\s+duplicate lab order$/m);
    expect(shown.stdout).toMatch(/^charge\s+0\.05 USD, refunded/m);
  });
});

describe('retry --all-investigating', () => {
  it('retries every parked record, reporting one that cannot be retried without stopping', async () => {
    const ids = await Promise.all([1, 2, 3].map((n) => parked(`ops-all-${n}`)));
    // Newest first in the listing, so the broken one comes first and the others must still follow.
    const broken = await parked('ops-all-broken');
    await stack.env.client.workflow.getHandle(workflowIdFor(broken)).terminate('gone for the test');

    const run = await ops(['retry', '--all-investigating', '--json']);
    expect(run.code).toBe(1);
    const outcome = JSON.parse(run.stdout) as { retried: string[]; skipped: string[]; failed: Array<{ id: string; status: number }> };
    expect(outcome.retried.sort()).toEqual([...ids].sort());
    expect(outcome.skipped).toEqual([]);
    expect(outcome.failed).toEqual([expect.objectContaining({ id: broken, status: 409 })]);
    expect(run.stderr).toContain(`${broken}: `);
    for (const id of ids) expect((await result(stack, id)).status).toBe('completed');
  });
});

describe('errors', () => {
  it('a usage error exits 2 with the usage text and prints nothing on stdout', async () => {
    const cases = [[], ['frobnicate'], ['show'], ['list', '--status', 'stuck'], ['abandon', 'x'], ['retry', 'x', '--all-investigating']];
    const runs = await Promise.all(cases.map((args) => ops(args)));
    runs.forEach((run, i) => {
      expect({ args: cases[i], code: run.code, stdout: run.stdout }).toEqual({ args: cases[i], code: 2, stdout: '' });
      expect(run.stderr).toMatch(/^error: .+\n\nusage: npm run ops -- <command>/);
    });
    expect(runs[3]?.stderr).toContain('list: --status must be one of received, processing');
  });

  it('an operation the API refuses exits 1 with the API message', async () => {
    const id = uniqueId('ops-done');
    await submit(stack, id, 'Completes without help.');
    expect((await result(stack, id)).status).toBe('completed');
    const retry = await ops(['retry', id]);
    expect(retry).toMatchObject({ code: 1, stdout: '' });
    expect(retry.stderr).toBe(`error: record ${id} is completed and has no running workflow to resolve it (HTTP 409 conflict)\n`);

    const missing = await ops(['show', uniqueId('ops-missing')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no record ops-missing-\w+ \(HTTP 404 not_found\)/);
    const wrongKey = await ops(['list'], { DI_API_KEY: 'wrong' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('(HTTP 401 unauthorized)');
    const down = await ops(['list'], { DI_API_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the API at http://127.0.0.1:9');
  });
});

describe('accounts, keys and usage', () => {
  it('creates, shows, lists and changes an account, makes and revokes a key, and adds up usage', async () => {
    const account = `ops-${Date.now().toString(36)}`;
    const created = await ops(['accounts', 'create', account, '--name', 'Ops Test', '--price-cents', '7', '--budget-cents', '100']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^price\s+0\.07 USD per record$/m);
    expect(created.stdout).toMatch(/^budget\s+1\.00 USD a month; 0\.00 USD reserved in \d{4}-\d{2}, 1\.00 USD left$/m);
    expect((await ops(['accounts', 'list'])).stdout).toMatch(new RegExp(`^${account}\\s+Ops Test\\s+0\\.07 USD\\s+1\\.00 USD\\s+1\\.00 USD\\s+-$`, 'm'));

    const key = JSON.parse((await ops(['keys', 'create', account, '--role', 'submit', '--json'])).stdout) as { id: string; key: string };
    const id = uniqueId('ops-usage');
    const posted = await fetch(`${stack.baseUrl}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, input: { text: 'Counted in usage.' } }),
    });
    expect(posted.status).toBe(202);
    expect((await result(stack, `${account}/${id}`)).status).toBe('completed');
    expect((await ops(['show', `${account}/${id}`])).stdout).toMatch(new RegExp(`^record\\s+${account}/${id}$`, 'm'));
    const usage = JSON.parse((await ops(['usage', '--account', account, '--json'])).stdout) as { accounts: Array<{ account: string; records: Record<string, number> }> };
    expect(usage.accounts).toEqual([expect.objectContaining({ account, records: { completed: 1 } })]);
    expect((await ops(['usage', '--account', account])).stdout).toMatch(/^records\s+1 completed$/m);

    const shown = await ops(['accounts', 'show', account]);
    expect(shown.stdout).toMatch(/^budget\s+1\.00 USD a month; 0\.07 USD reserved in \d{4}-\d{2}, 0\.93 USD left$/m);
    const changed = await ops(['accounts', 'update', account, '--budget-cents', 'none', '--price-cents', 'default', '--name', 'Renamed']);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(/^budget\s+none$/m);
    expect(changed.stdout).toMatch(/^price\s+PRICE_CENTS per record$/m);

    const revoked = await ops(['keys', 'revoke', key.id]);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`key ${key.id} of ${account} revoked`) });
    const refused = await fetch(`${stack.baseUrl}/v1/records`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(refused.status).toBe(401);
    expect(await ops(['keys', 'revoke', key.id])).toMatchObject({ code: 1, stderr: `error: key ${key.id} is already revoked (HTTP 409 conflict)\n` });
  });

  it('refuses bad arguments with exit 2, and an account that does not exist with exit 1', async () => {
    const cases = [
      ['accounts', 'create', 'Bad_Id', '--name', 'x'],
      ['accounts', 'create', 'fine-id'],
      ['accounts', 'create', 'fine-id', '--name', 'x', '--price-cents', '-1'],
      ['accounts', 'update', 'fine-id'],
      ['accounts', 'update', 'fine-id', '--budget-cents', 'lots'],
      ['accounts', 'frobnicate'],
      ['keys', 'create', 'fine-id', '--role', 'root'],
      ['keys', 'revoke'],
      ['usage', '--from', 'yesterday'],
      ['approve'],
      ['correct', 'x'],
    ];
    const runs = await Promise.all(cases.map((args) => ops(args)));
    runs.forEach((run, i) => expect({ args: cases[i], code: run.code, stdout: run.stdout }).toEqual({ args: cases[i], code: 2, stdout: '' }));
    expect(runs[1]?.stderr).toContain('accounts create: --name is required');
    expect(runs[3]?.stderr).toContain('name at least one field to change');
    expect(runs[5]?.stderr).toContain("unknown command 'accounts frobnicate': accounts takes list, show, create, update");
    expect(runs[6]?.stderr).toContain('keys create: --role must be one of submit, operate, admin');
    const missing = await ops(['accounts', 'show', 'no-such-account']);
    expect(missing).toMatchObject({ code: 1, stderr: 'error: no account no-such-account (HTTP 404 not_found)\n' });
  });
});

describe('the progress bar', () => {
  it('redraws one line on a terminal, keeps notes above it, and draws nothing elsewhere', () => {
    const draw = (isTTY: boolean) => {
      let screen = '';
      const progress = createProgress({ isTTY, write: (text: string) => (screen += text) }, 'retrying');
      progress.add(2);
      progress.advance();
      progress.note('r1: refused');
      progress.advance();
      progress.finish();
      return screen;
    };
    const tty = draw(true);
    expect(tty).toContain(`retrying [${'#'.repeat(15)}${'-'.repeat(15)}] 1/2`);
    expect(tty).toContain('\r\x1b[2Kr1: refused\n');
    expect(tty.endsWith(`retrying [${'#'.repeat(30)}] 2/2\n`)).toBe(true);
    expect(draw(false)).toBe('r1: refused\n');
  });
});

describe('where the CLI finds the API', () => {
  it('defaults to the local API and its first key, and prefers DI_API_URL and DI_API_KEY', () => {
    expect(loadOpsConfig({})).toEqual({ apiUrl: 'http://localhost:3000', apiKey: 'dev-key' });
    expect(loadOpsConfig({ PORT: '4000', API_KEYS: ' k1 , k2' })).toEqual({ apiUrl: 'http://localhost:4000', apiKey: 'k1' });
    expect(loadOpsConfig({ DI_API_URL: 'https://di.example/', DI_API_KEY: 'ops', API_KEYS: 'k1' })).toEqual({ apiUrl: 'https://di.example', apiKey: 'ops' });
  });

  it('refuses a URL that is not http(s), and production without a key', () => {
    expect(() => loadOpsConfig({ DI_API_URL: 'localhost:3000' })).toThrow('DI_API_URL: must be an http(s) URL');
    expect(() => loadOpsConfig({ NODE_ENV: 'production' })).toThrow('DI_API_KEY (or API_KEYS) is required');
  });
});
