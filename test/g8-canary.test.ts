/**
 * G8 (DESIGN §2, §14) proven, not read off the code: records whose text, model output and operator
 * correction carry a unique canary go through every path — success, each provider fault, malformed
 * answers, exhaustion then retry, low confidence then approve or correct, abandon, a worker crash —
 * through the production entry points (API, worker, MLLP listener, each a process of its own).
 * Afterwards the canary is nowhere it must not be: the processes' output, the error columns, the
 * audit trail, error bodies, /metrics, and Temporal's history as the CLI reads it without the codec.
 * Through the codec endpoint the same history shows it: the search would find a leak.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workflowIdFor } from '../contract';
import { createDb, type Db } from '../db/client';
import { malformedVariantOf, MALFORMED_VARIANTS, startSimulator, type MalformedVariant, type Simulator } from '../dev/simulator';
import { RECORD_ID_PREFIX } from '../mllp/hl7';
import { sendOnce, withControlId } from './support/mllp';
import { startProductProcesses, type ProductProcesses } from './support/product-processes';
import { uniqueId } from './support/records';
import { requiredEnv, startTemporal, TEST_API_KEY, TEST_PAYLOAD_KEYS } from './support/stack';

/**
 * Letters only: the simulator's labels are the text's most frequent words of four letters or more.
 * The searches look for the stem, not the whole canary: a quote cut short (V8's JSON errors keep ten
 * characters) leaks the start of a record all the same.
 */
const STEM = 'zzcanary';
const CANARY = `${STEM}${Array.from({ length: 12 }, () => String.fromCharCode(97 + randomInt(26))).join('')}`;
const METRICS_TOKEN = 'g8-metrics-token-0123456789';
const PROVIDER_TIMEOUT_MS = 1_000;

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
let processes: ProductProcesses;

beforeAll(async () => {
  [env, simulator] = await Promise.all([startTemporal(), startSimulator({ port: 0 })]);
  db = createDb(requiredEnv('DATABASE_URL'));
  processes = await startProductProcesses({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'trace',
    API_KEYS: TEST_API_KEY,
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    METRICS_TOKEN,
    TEMPORAL_ADDRESS: env.address,
    WORKFLOW_BUNDLE_PATH: requiredEnv('TEST_WORKFLOW_BUNDLE'),
    WORKER_METRICS_ADDRESS: '',
    SIMULATOR_API_KEY: 'test',
    // The primary speaks OpenAI's wire format and the fallback Anthropic's: both SDKs' errors pass through.
    PROVIDERS: JSON.stringify([
      { name: 'primary', kind: 'openai', baseURL: `${simulator.url}/v1`, model: 'sim-primary-2026-11-01', apiKeyEnv: 'SIMULATOR_API_KEY', timeoutMs: PROVIDER_TIMEOUT_MS },
      { name: 'fallback', kind: 'anthropic', baseURL: simulator.url, model: 'sim-fallback-2026-11-01', apiKeyEnv: 'SIMULATOR_API_KEY', timeoutMs: PROVIDER_TIMEOUT_MS },
    ]),
    BREAKER_FAILURE_THRESHOLD: '1000',
    RETRY_INITIAL_INTERVAL_MS: '20',
    RETRY_MAXIMUM_INTERVAL_MS: '100',
    RETRY_MAXIMUM_ATTEMPTS: '5',
    STEP_TIMEOUT_MS: '3000',
  });
}, 120_000);
afterAll(async () => {
  await processes?.stop();
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
});

// ---------- what the test sends, and every error answer it gets back ----------

const errorAnswers: string[] = [];

async function call(method: string, path: string, body?: unknown, token = TEST_API_KEY): Promise<{ status: number; text: string }> {
  const res = await fetch(`${processes.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined || body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) errorAnswers.push(`${method} ${path} ${res.status}: ${text}`);
  return { status: res.status, text };
}

/** A multipart body as the upload page sends it. */
function file(name: string, content: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  return form;
}

const textOf = (label: string, nonce = 0) => `${CANARY} reported ${CANARY} for ${label} ${nonce}; ${CANARY} confirmed on repeat.`;

/** A text whose malformed answer is `variant` (the simulator picks it from the text). */
function malformedText(variant: MalformedVariant): string {
  for (let nonce = 0; ; nonce += 1) if (malformedVariantOf(textOf(variant, nonce)) === variant) return textOf(variant, nonce);
}

interface Scenario {
  label: string;
  text?: string;
  /** The `simulate` plan's faults, as a client sends them. */
  faults?: object[];
  /** What an operator does once the record is parked. */
  resolve?: object;
  ends?: 'completed' | 'failed';
}

const primary = (fault: object, times = 1) => ({ provider: 'primary', times, ...fault });
const SCENARIOS: Scenario[] = [
  { label: 'success' },
  { label: 'http-500', faults: [primary({ status: 500 }, 2)] },
  { label: 'http-503', faults: [primary({ status: 503 }, 2)] },
  { label: 'http-429', faults: [primary({ status: 429, retryAfterSeconds: 0 })] },
  { label: 'http-401', faults: [primary({ status: 401 })] },
  // The simulator quotes the refused input in a 400's message, as real providers do.
  { label: 'http-400', faults: [primary({ status: 400 })] },
  { label: 'fallback-503', faults: [primary({ status: 401 }), { provider: 'fallback', status: 503, times: 2 }] },
  { label: 'timeout', faults: [primary({ kind: 'timeout' })] },
  { label: 'almost-json', faults: [primary({ kind: 'almost_json' })] },
  ...MALFORMED_VARIANTS.map((variant) => ({ label: `malformed-${variant}`, text: malformedText(variant), faults: [primary({ kind: 'malformed' }, 5)] })),
  { label: 'fallback-malformed', text: malformedText('prose_after'), faults: [primary({ status: 401 }), { provider: 'fallback', kind: 'malformed', times: 1 }] },
  {
    label: 'exhausted',
    faults: [primary({ status: 503 }, 10), { provider: 'fallback', status: 500, times: 10 }],
    resolve: { action: 'retry' },
  },
  // Every attempt answers unsure: an attempt cut short by the crash scenario's kill is retried.
  { label: 'low-approve', faults: [primary({ kind: 'low_confidence' }, 10)], resolve: { action: 'approve' } },
  {
    label: 'low-correct',
    faults: [primary({ kind: 'low_confidence' }, 10)],
    resolve: { action: 'correct', output: { summary: `Corrected: ${CANARY} within range.`, labels: [CANARY], confidence: 0.97 } },
  },
  { label: 'abandon', faults: [{ step: 'persist', when: 'before', times: 50 }], resolve: { action: 'abandon', reason: 'sample lost in transit' }, ends: 'failed' },
  { label: 'crash', faults: [{ step: 'inference', when: 'after', kind: 'crash', times: 1 }] },
];

// ---------- waiting for states, reading what was kept ----------

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const statusOf = async (id: string) => (await db.record.findUnique({ where: { id }, select: { status: true } }))?.status;
async function reaches(id: string, status: string): Promise<void> {
  await until(`${id} ${status}`, async () => ((await statusOf(id)) === status ? true : undefined)).catch(async (err: Error) => {
    throw new Error(`${err.message} (it is ${await statusOf(id)})`, { cause: err });
  });
}

const run = promisify(execFile);

/** The history as `temporal workflow show` prints it, with or without the API's codec endpoint. */
async function cliHistory(id: string, codec: boolean): Promise<string> {
  const args = ['workflow', 'show', '--workflow-id', workflowIdFor(id), '--address', env.address, '--namespace', 'default', '--output', 'json'];
  if (codec) args.push('--codec-endpoint', `${processes.apiUrl}/codec`, '--codec-auth', `Bearer ${TEST_API_KEY}`);
  const { stdout } = await run(requiredEnv('TEST_TEMPORAL_CLI'), args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** `value` as base64 at each of the three alignments it can have inside a longer payload. */
const base64Forms = (value: string) =>
  [0, 1, 2].map((skip) => {
    const whole = Buffer.from(value).subarray(skip);
    return whole.subarray(0, whole.length - (whole.length % 3)).toString('base64');
  });

/** Where `text` shows `value`, plainly (any case) or as base64: empty when it does not. */
function tracesOf(value: string, text: string): string[] {
  const plain = text.toLowerCase().includes(value) ? ['plain'] : [];
  return [...plain, ...base64Forms(value).filter((b) => text.includes(b)).map((b) => `base64 ${b}`)];
}

/** Each place that shows the stem, with excerpts around it, so a failure says where it leaked. */
function leaks(places: Record<string, string>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [place, text] of Object.entries(places)) {
    const traces = tracesOf(STEM, text);
    if (traces.length === 0) continue;
    const excerpts = [...text.toLowerCase().matchAll(new RegExp(STEM, 'g'))].map((m) => text.slice(Math.max(0, m.index - 160), m.index + 40));
    found[place] = [...traces, ...new Set(excerpts)];
  }
  return found;
}

const hl7 = (controlId: string, note: string) =>
  withControlId(readFileSync(join(__dirname, '..', 'samples', 'hl7', 'oru-r01-chemistry.hl7'), 'utf8'), controlId).replace(/\r?\n/g, '\r').replace(/\r*$/, `\rNTE|3||${note}\r`);

it('keeps the canary out of logs, error columns, the audit trail, error bodies, /metrics and raw history; the codec shows it', async () => {
  const records = SCENARIOS.map((s) => ({ ...s, id: uniqueId(`g8-${s.label}`), text: s.text ?? textOf(s.label) }));
  const submitted = await Promise.all(
    records.map((r) => call('POST', '/v1/records', { id: r.id, input: { text: r.text }, ...(r.faults ? { simulate: { faults: r.faults } } : {}) })),
  );
  expect(submitted.map((s) => s.status)).toEqual(records.map(() => 202));

  const controlId = uniqueId('g8-hl7');
  const hl7Id = `${RECORD_ID_PREFIX}${controlId}`;
  const note = `${CANARY} ${CANARY} ${CANARY} ${CANARY} ${CANARY} noted on review`;
  const acks = [await sendOnce(processes.mllpPort, hl7(controlId, note))];
  // The same control id with another text is a conflict; a message that is not HL7 is refused.
  acks.push(await sendOnce(processes.mllpPort, hl7(controlId, `${note} and amended`)));
  acks.push(await sendOnce(processes.mllpPort, `${CANARY}|not an HL7 message\r`));
  expect(acks.map((a) => a.code)).toEqual(['AA', 'AE', 'AE']);

  await Promise.all([
    ...records.map((r) => reaches(r.id, r.resolve ? 'needs_investigation' : 'completed')),
    reaches(hl7Id, 'completed'),
  ]);
  const resolved = await Promise.all(
    records.filter((r) => r.resolve).map((r) => call('POST', `/v1/records/${r.id}/resolve`, r.resolve)),
  );
  expect(resolved.map((r) => r.status)).toEqual(resolved.map(() => 200));
  await Promise.all(records.map((r) => reaches(r.id, r.ends ?? 'completed')));
  expect(processes.worker.restarts()).toBe(1);

  // Requests refused for their content, each answered with an error body.
  const done = records[0]!;
  const uploads = [
    file('records.jsonl', `{"id":"${uniqueId('g8-upload')}","input":{"text":"${CANARY}"}}\n${CANARY} is not JSON\n`),
    file('records.csv', `${uniqueId('g8-upload')},${CANARY} without a header\n`),
  ];
  const refused = await Promise.all([
    call('POST', '/v1/records', { id: done.id, input: { text: `${done.text} amended` } }),
    call('POST', '/v1/records', { id: uniqueId('g8-long'), input: { text: `${CANARY} `.repeat(6_000) } }),
    call('POST', '/v1/records', { id: uniqueId('g8-meta'), input: { text: CANARY, metadata: { note: [CANARY] } } }),
    call('POST', `/v1/records/${done.id}/resolve`, { action: 'correct', output: { summary: CANARY, labels: [CANARY], confidence: 7 } }),
    call('POST', `/v1/records/${done.id}/resolve`, { action: 'correct', output: { summary: CANARY, labels: [CANARY], confidence: 0.9 } }),
    ...uploads.map((form) => call('POST', '/v1/uploads', form)),
  ]);
  expect(refused.map((r) => r.status)).toEqual([409, 400, 400, 400, 409, 200, 400]);
  // An upload answers 200 with an outcome per line: the bad line's outcome is an error message too.
  errorAnswers.push(refused[5]!.text);

  const metrics = await call('GET', '/metrics', undefined, METRICS_TOKEN);
  expect(metrics.status).toBe(200);

  const ids = [...records.map((r) => r.id), hl7Id];
  const [lastErrors, callErrors, events] = await Promise.all([
    db.record.findMany({ where: { id: { in: ids } }, select: { lastError: true } }),
    db.modelCall.findMany({ where: { recordId: { in: ids } }, select: { error: true } }),
    db.recordEvent.findMany({ where: { recordId: { in: ids } }, select: { detail: true } }),
  ]);
  // The places searched are not empty: the faults above wrote errors into each.
  expect(lastErrors.filter((r) => r.lastError).length).toBeGreaterThan(0);
  expect(callErrors.filter((c) => c.error).length).toBeGreaterThan(0);

  const raw = await Promise.all(ids.map((id) => cliHistory(id, false)));
  const decoded = await Promise.all(ids.map((id) => cliHistory(id, true)));

  const output = processes.output();
  // Every record left its trace in the logs (the worker logs each model call with the record's id).
  expect(ids.filter((id) => !output.includes(id))).toEqual([]);
  expect(
    leaks({
      'process output': output,
      'records.last_error': JSON.stringify(lastErrors),
      'model_calls.error': JSON.stringify(callErrors),
      'record_events.detail': JSON.stringify(events),
      'HTTP error bodies': errorAnswers.join('\n'),
      'MLLP acknowledgements': acks.map((a) => a.text).join('\n'),
      '/metrics': metrics.text,
      ...Object.fromEntries(ids.map((id, i) => [`history of ${id} without the codec`, raw[i]!])),
    }),
  ).toEqual({});
  // Through the codec the model's answer (or the operator's correction) is there: the search works.
  expect(ids.filter((_, i) => tracesOf(CANARY, decoded[i]!).length === 0)).toEqual([]);
}, 300_000);
