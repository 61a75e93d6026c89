/**
 * File uploads (DESIGN §6 POST /v1/uploads and GET /) against the real stack: the page in headless
 * Chromium, line numbers and outcomes for JSON Lines and CSV, the size cap, and an outage mid-file.
 */
import express from 'express';
import { request, type Server } from 'node:http';
import { createServer, connect, type Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { uploadRoutes } from '../api/uploads';
import { workflowIdFor } from '../contract';
import { createDb } from '../db/client';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/browser';
import { migratedDatabase } from './support/database';
import { invariantViolations, result, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';
import { uploadFile } from './support/uploads';
import { createAccount, createKey, uniqueAccount } from './support/accounts';

const ARTIFACTS = join(__dirname, 'artifacts');
const LIMIT_BYTES = 256 * 1024;

let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // "Stores nothing" compares the table total, which records of other test files would move.
  const database = await migratedDatabase(`upload_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url, settings: { UPLOAD_LIMIT_BYTES: String(LIMIT_BYTES) } });
});
afterEach(async () => {
  expect(await invariantViolations(stack)).toEqual([]);
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

const line = (id: string, text: string) => JSON.stringify({ id, input: { text } });
const records = (ids: string[]) => stack.db.record.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, source: true, input: true } });

async function untilCompleted(ids: string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await stack.db.record.count({ where: { id: { in: ids }, status: 'completed' } });
    if (done === ids.length) return;
    if (Date.now() > deadline) {
      const by = await stack.db.record.groupBy({ by: ['status', 'step', 'lastError'], where: { id: { in: ids } }, _count: { _all: true } });
      throw new Error(`${done} of ${ids.length} records completed ${JSON.stringify(by)}`);
    }
    await sleep(250);
  }
}

describe('the upload page', () => {
  it("uploads 200 lines with 3 bad ones and 2 duplicates with an account's key: progress, a table of outcomes, and records that complete", async () => {
    const account = await createAccount(stack, { id: uniqueAccount('page') });
    const { key } = await createKey(stack, account, 'submit');
    const run = uniqueId('page');
    const note = (i: number) => `Sample ${i}: fasting glucose ${(4 + (i % 30) / 10).toFixed(1)} mmol/L, HbA1c ${(5 + (i % 12) / 10).toFixed(1)} %. ${'Patient reports no symptoms; follow-up in three months. '.repeat(3)}`;
    const lines = Array.from({ length: 200 }, (_, i) => line(`${run}-${i + 1}`, note(i + 1)));
    const bad: Record<number, string> = { 17: '{"id": "broken", "input": ', 88: line('bad/id', 'x'), 150: line(`${run}-empty`, '') };
    const duplicates: Record<number, number> = { 60: 10, 199: 100 };
    for (const [at, text] of Object.entries(bad)) lines[Number(at) - 1] = text;
    for (const [at, of] of Object.entries(duplicates)) lines[Number(at) - 1] = lines[of - 1] as string;
    const accepted = lines.map((_, i) => i + 1).filter((n) => !(n in bad) && !(n in duplicates)).map((n) => `${account}/${run}-${n}`);

    const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(message.text())));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${stack.baseUrl}/`);
      await page.fill('#api-key', key);
      await page.dispatchEvent('#api-key', 'change');
      // A slow uplink (about 5 s for this 50 kB file), so the bar is seen part-way, not only at 100 %.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 12 * 1024 });
      await page.setInputFiles('#file', { name: 'records.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(`${lines.join('\n')}\n`) });
      await page.click('#upload-button');

      const progress = new Set<number>();
      await page.locator('#progress').waitFor({ state: 'visible' });
      while ((await page.getAttribute('#progress', 'data-state')) !== 'done') {
        progress.add(Number(await page.getAttribute('#upload-progress', 'value')));
        await sleep(25);
      }
      expect([...progress].some((p) => p > 0 && p < 100)).toBe(true);
      expect(await page.getAttribute('#upload-progress', 'value')).toBe('100');
      // The page's own message first: when the upload did not succeed it says why, the counts cannot.
      expect(await page.textContent('#upload-message')).toMatch(/^200 lines: 195 accepted/);

      const count = (outcome: string) => page.textContent(`#count-${outcome}`);
      expect(await Promise.all(['accepted', 'duplicate', 'conflict', 'invalid', 'unavailable'].map(count))).toEqual(['195', '2', '0', '3', '0']);
      await expect(page.locator('#outcomes tbody tr').count()).resolves.toBe(200);
      const firstCells = (outcome: string) => page.locator(`#outcomes tbody tr.outcome-${outcome} td:first-child`).allTextContents();
      expect(await firstCells('invalid')).toEqual(['17', '88', '150']);
      expect(await firstCells('duplicate')).toEqual(['60', '199']);
      await expect(page.locator('#outcomes tbody tr.outcome-invalid td:nth-child(4)').first().textContent()).resolves.toContain('not valid JSON');

      await untilCompleted(accepted);
      await page.selectOption('#status-filter', 'completed');
      const row = page.locator(`#records tbody tr[data-id^="${run}-"]`).first();
      await row.waitFor({ timeout: 30_000 });
      const shownId = await row.getAttribute('data-id');
      expect(await row.locator('a').getAttribute('href')).toBe(`${stack.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(`record-${account}/${shownId}`)}`);
      expect(await row.locator('td.status').textContent()).toBe('completed');
      await page.check('#problems-only');
      await expect(page.locator('#outcomes tbody tr').count()).resolves.toBe(3);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'upload.png'), fullPage: true });
      // helmet's default Content-Security-Policy would report a blocked script or style here.
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
    expect((await records(accepted)).every((r) => r.source === 'upload')).toBe(true);
  });

  it('keeps a key typed while the page config is still on its way, and uploads with it', async () => {
    const account = await createAccount(stack, { id: uniqueAccount('early') });
    const { key } = await createKey(stack, account, 'submit');
    const id = uniqueId('early');
    const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      // /ui-config held until the key is in: the order a loaded machine sometimes gives the page.
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/ui-config', async (route) => {
        await released;
        await route.continue();
      });
      await page.goto(`${stack.baseUrl}/`);
      await page.fill('#api-key', key);
      await page.dispatchEvent('#api-key', 'change');
      const config = page.waitForResponse('**/ui-config');
      release();
      await config;
      await page.setInputFiles('#file', { name: 'one.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(`${line(id, 'one line')}\n`) });
      await page.click('#upload-button');
      await page.locator('#progress[data-state="done"]').waitFor({ state: 'attached' });
      expect(await page.textContent('#upload-message')).toMatch(/^1 lines: 1 accepted/);
      expect(await page.inputValue('#api-key')).toBe(key);
    } finally {
      await browser.close();
    }
    await untilCompleted([`${account}/${id}`]);
  });

  it('serves the page and its config without a key, and never a key in the config', async () => {
    const page = await fetch(`${stack.baseUrl}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(await (await fetch(`${stack.baseUrl}/ui-config`)).json()).toEqual({
      temporalUiUrl: stack.config.temporal.uiUrl,
      namespace: 'default',
      uploadLimitBytes: LIMIT_BYTES,
    });
  });
});

describe('POST /v1/uploads', () => {
  it('answers one outcome per JSON line, numbered as in the file, blank lines counted', async () => {
    const run = uniqueId('jsonl');
    const file = [
      line(`${run}-a`, 'first'),
      '',
      line(`${run}-b`, 'second'),
      'not json',
      line(`${run}-a`, 'first'),
      line(`${run}-a`, 'changed'),
      JSON.stringify({ id: `${run}-c`, input: { text: 'x', extra: 1 } }),
      '   ',
      line(`${run}-d`, 'last, without a final newline'),
    ].join('\r\n');
    // Line 10 in Latin-1: refused like a POST /v1/records body that is not UTF-8, not stored as U+FFFD.
    const latin1 = Buffer.from(`\r\n${line(`${run}-e`, 'café')}`, 'latin1');
    const answer = await uploadFile(stack, 'lines.jsonl', Buffer.concat([Buffer.from(file), latin1]));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ lines: 8, counts: { accepted: 3, duplicate: 1, conflict: 1, invalid: 3, unavailable: 0 } });
    expect(answer.body.outcomes).toEqual([
      { line: 1, id: `${run}-a`, outcome: 'accepted' },
      { line: 3, id: `${run}-b`, outcome: 'accepted' },
      { line: 4, outcome: 'invalid', reason: expect.stringContaining('not valid JSON') },
      { line: 5, id: `${run}-a`, outcome: 'duplicate' },
      { line: 6, id: `${run}-a`, outcome: 'conflict', reason: expect.stringContaining('different input') },
      { line: 7, id: `${run}-c`, outcome: 'invalid', reason: expect.stringContaining('extra') },
      { line: 9, id: `${run}-d`, outcome: 'accepted' },
      { line: 10, outcome: 'invalid', reason: 'line is not valid UTF-8' },
    ]);
    expect(await result(stack, `${run}-d`)).toMatchObject({ status: 'completed' });
  });

  it('reads CSV by RFC 4180: quoted commas, quotes and line breaks, reported by the line a record starts on', async () => {
    const run = uniqueId('csv');
    const file = [
      'id,text',
      `${run}-1,plain text`,
      `${run}-2,"with, a comma"`,
      `${run}-3,"spans`,
      `two lines with ""quotes"""`,
      '',
      `${run}-4,too,many`,
      `bad id,text`,
      `"${run}-5","quoted id"`,
      `${run}-6,"never closed`,
      `${run}-7,swallowed by the open quote`,
    ].join('\r\n');
    const answer = await uploadFile(stack, 'records.csv', file);
    expect(answer.status).toBe(200);
    expect(answer.body.outcomes).toEqual([
      { line: 2, id: `${run}-1`, outcome: 'accepted' },
      { line: 3, id: `${run}-2`, outcome: 'accepted' },
      { line: 4, id: `${run}-3`, outcome: 'accepted' },
      { line: 7, id: `${run}-4`, outcome: 'invalid', reason: 'expected 2 fields (id,text), found 3' },
      { line: 8, id: 'bad id', outcome: 'invalid', reason: expect.stringContaining('id') },
      { line: 9, id: `${run}-5`, outcome: 'accepted' },
      { line: 10, outcome: 'invalid', reason: 'a quoted field is never closed' },
    ]);
    const stored = await records([`${run}-2`, `${run}-3`]);
    expect(stored.map((r) => [r.id, r.source, (r.input as { text: string }).text]).sort()).toEqual([
      [`${run}-2`, 'upload', 'with, a comma'],
      [`${run}-3`, 'upload', 'spans\ntwo lines with "quotes"'],
    ]);
    await untilCompleted([`${run}-1`, `${run}-2`, `${run}-3`, `${run}-5`]);
  });

  it('refuses without a key, without a file, and a CSV without the id,text header, storing nothing', async () => {
    const run = uniqueId('refused');
    const before = await stack.db.record.count();
    expect((await uploadFile(stack, 'a.jsonl', line(`${run}-1`, 'x'), 'wrong-key')).status).toBe(401);
    const notMultipart = await fetch(`${stack.baseUrl}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' }, body: '{}' });
    expect({ status: notMultipart.status, type: notMultipart.headers.get('content-type'), body: await notMultipart.json() }).toMatchObject({
      status: 400,
      type: expect.stringContaining('application/problem+json'),
      body: { type: expect.stringMatching(/:invalid_upload$/) },
    });
    const form = new FormData();
    form.append('other', 'value');
    const noFile = await fetch(`${stack.baseUrl}/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.apiKey}` }, body: form });
    expect({ status: noFile.status, body: await noFile.json() }).toMatchObject({ status: 400, body: { detail: expect.stringContaining('"file"') } });
    const header = await uploadFile(stack, 'x.csv', `name,body\n${run}-2,x\n`);
    expect(header).toMatchObject({ status: 400, body: { type: expect.stringMatching(/:invalid_upload$/), detail: expect.stringContaining('id,text') } });
    expect(await stack.db.record.count()).toBe(before);
  });

  it('answers 413 for a file over the limit; a streamed one has its lines before the cut ingested and no partial line', async () => {
    const run = uniqueId('big');
    const text = 'x'.repeat(4000);
    const lines = Array.from({ length: 80 }, (_, i) => line(`${run}-${i + 1}`, text));
    const declared = await uploadFile(stack, 'big.jsonl', lines.join('\n'));
    expect(declared).toMatchObject({ status: 413, body: { type: expect.stringMatching(/:payload_too_large$/), status: 413 } });
    expect(await stack.db.record.count({ where: { id: { startsWith: `${run}-` } } })).toBe(0);

    const streamed = streamingUpload(stack, 'big.jsonl');
    for (const l of lines) streamed.write(`${l}\n`);
    const answer = await streamed.end();
    expect(answer).toMatchObject({ status: 413, body: { type: expect.stringMatching(/:payload_too_large$/), status: 413 } });
    const taken: number[] = answer.body.outcomes.map((o: { line: number; outcome: string }) => (o.outcome === 'accepted' ? o.line : -1));
    const complete = Math.floor(LIMIT_BYTES / (lines[0]!.length + 1));
    expect(taken).toEqual(Array.from({ length: complete }, (_, i) => i + 1));
    expect(await stack.db.record.count({ where: { id: { startsWith: `${run}-` } } })).toBe(complete);
    await untilCompleted(taken.map((n) => `${run}-${n}`));
  });
});

describe('an outage mid-file', () => {
  it('reports the lines the pipeline could not take as unavailable, and the same file again completes the upload', async () => {
    const proxy = await tcpProxy(new URL(stack.config.databaseUrl ?? '').port);
    const db = createDb(withPort(stack.config.databaseUrl ?? '', proxy.port));
    const ingest = createIngest(ingestSettings(stack.config, db, stack.env.client));
    // The upload routes alone, behind a stand-in for authentication: what the API's /v1 hands them.
    const asDefaultAdmin: express.RequestHandler = (_req, res, next) => {
      res.locals.auth = { keyId: 'env-1', account: 'default', role: 'admin' };
      next();
    };
    const app = express().use('/v1', asDefaultAdmin, uploadRoutes({ ingest, limitBytes: LIMIT_BYTES, log: pino({ level: 'silent' }) }));
    const server = await listen(app);
    const run = uniqueId('outage');
    // More lines after the cut than the upload has in flight at once, so some are never attempted.
    const lines = Array.from({ length: 15 }, (_, i) => `${line(`${run}-${i + 1}`, `line ${i + 1}`)}\n`);
    try {
      const upload = streamingUpload({ baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, apiKey: '' }, 'six.jsonl');
      lines.slice(0, 3).forEach((l) => upload.write(l));
      await untilStarted([1, 2, 3].map((n) => `${run}-${n}`));
      await proxy.close();
      lines.slice(3).forEach((l) => upload.write(l));
      const answer = await upload.end();
      expect(answer.status).toBe(200);
      expect(answer.body.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual([...Array(3).fill('accepted'), ...Array(12).fill('unavailable')]);
      expect(answer.body.outcomes[3].reason).toContain('database');
      expect(answer.body.outcomes[14].reason).toContain('not attempted');
      expect(answer.body.counts).toMatchObject({ accepted: 3, unavailable: 12 });
    } finally {
      server.close();
      await db.$disconnect();
    }
    const again = await uploadFile(stack, 'six.jsonl', lines.join(''));
    expect(again.body.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual([...Array(3).fill('duplicate'), ...Array(12).fill('accepted')]);
    await untilCompleted(lines.map((_, i) => `${run}-${i + 1}`));
  });
});

/** Starting its workflow is the last thing ingest does for a record: after it, the database may go. */
async function untilStarted(ids: string[]): Promise<void> {
  const started = (id: string) => stack.env.client.workflow.getHandle(workflowIdFor(id)).describe().then(() => true, () => false);
  while (!(await Promise.all(ids.map(started))).every(Boolean)) await sleep(50);
}

/** A multipart upload sent as it is written, without a Content-Length: what a slow or huge client looks like. */
function streamingUpload(target: { baseUrl: string; apiKey: string }, filename: string) {
  const boundary = `----upload${Date.now()}`;
  const url = new URL('/v1/uploads', target.baseUrl);
  const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once('error', reject);
  });
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/x-ndjson\r\n\r\n`);
  return {
    write: (text: string) => void req.write(text),
    end: () => {
      req.end(`\r\n--${boundary}--\r\n`);
      return response;
    },
  };
}

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const withPort = (url: string, port: number): string => Object.assign(new URL(url), { port: String(port) }).toString();

/** A TCP hop in front of PostgreSQL that can be cut: the database "goes away" for whoever uses it. */
async function tcpProxy(targetPort: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        sockets.forEach((s) => s.destroy());
      }),
  };
}
