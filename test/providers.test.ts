import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { APIError as OpenAIAPIError } from 'openai';
import { FailureType } from '../contract';
import { createAnthropicClient } from '../providers/anthropic';
import { classifyProviderError, parseModelOutput, providerFailureDetails } from '../providers/errors';
import { createOpenAIClient } from '../providers/openai';
import { createProviderClients } from '../providers/registry';
import { parseProvidersSetting } from '../providers/settings';
import { answerFor, startSimulator, type Simulator } from '../dev/simulator';
import { faultHeader, type SimulatedFault } from '../faults/wire';
import { providerConfigSchema, type ProviderConfig, type ProviderClient } from '../providers/types';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());

type Kind = ProviderConfig['kind'];
const MODEL = 'sim-model-2026-11-01';

function configFor(kind: Kind, overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  // The OpenAI SDK appends /chat/completions, the Anthropic one /v1/messages.
  const baseURL = kind === 'openai' ? `${sim.url}/v1` : sim.url;
  return providerConfigSchema.parse({ name: `sim-${kind}`, kind, baseURL, model: MODEL, apiKeyEnv: 'SIM_KEY', ...overrides });
}

const FACTORIES = { openai: createOpenAIClient, anthropic: createAnthropicClient };
const clientFor = (kind: Kind, overrides: Partial<ProviderConfig> = {}, apiKey = 'test-key'): ProviderClient =>
  FACTORIES[kind](configFor(kind, overrides), apiKey);

/** Runs fn and proves the SDK sent exactly one HTTP request: no hidden SDK retries. */
async function singleRequest<T>(fn: () => Promise<T>): Promise<T> {
  const before = sim.requestCount();
  try {
    return await fn();
  } finally {
    expect(sim.requestCount() - before).toBe(1);
  }
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const callWithFault = (kind: Kind, fault: SimulatedFault, overrides: Partial<ProviderConfig> = {}) =>
  singleRequest(() => failureOf(clientFor(kind, overrides).complete({ text: 'hello world', headers: faultHeader(fault) })));

describe.each<Kind>(['openai', 'anthropic'])('%s adapter against the simulator', (kind) => {
  const provider = `sim-${kind}`;

  it('returns a schema-valid answer derived from the text', async () => {
    const text = 'Patient reports mild headache and fatigue after the night shift.';
    const completion = await singleRequest(() => clientFor(kind).complete({ text }));
    expect(completion.httpStatus).toBe(200);
    expect(completion.requestId).toMatch(/^req_/);
    expect(completion.tokensIn).toBeGreaterThan(0);
    expect(completion.tokensOut).toBeGreaterThan(0);
    const { output, repaired } = parseModelOutput(completion.content);
    expect(output).toEqual(answerFor(text));
    expect(repaired).toBe(false);
    expect(output.confidence).toBeGreaterThanOrEqual(0.6);
    expect(output.confidence).toBeLessThanOrEqual(0.99);
  });

  it('answers confidence 0.1 when the text carries the low-confidence marker', async () => {
    const completion = await clientFor(kind).complete({ text: 'unclear scan [low-confidence]' });
    expect(parseModelOutput(completion.content).output.confidence).toBe(0.1);
  });

  it('serves low_confidence: the right answer with confidence 0.1', async () => {
    const completion = await clientFor(kind).complete({ text: 'clear scan', headers: faultHeader({ kind: 'low_confidence' }) });
    expect(parseModelOutput(completion.content)).toEqual({ output: { ...answerFor('clear scan'), confidence: 0.1 }, repaired: false });
  });

  it('serves almost_json: the right answer with a slip the repair fixes, both kinds of slip', async () => {
    const slips = new Set<string>();
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const completion = await clientFor(kind).complete({ text, headers: faultHeader({ kind: 'almost_json' }) });
      expect(() => JSON.parse(completion.content) as unknown).toThrow();
      expect(parseModelOutput(completion.content)).toEqual({ output: answerFor(text), repaired: true });
      slips.add(completion.content.endsWith(',}') ? 'trailing comma' : 'no closing brace');
    }
    expect(slips).toEqual(new Set(['trailing comma', 'no closing brace']));
  });

  it('classifies 503 as retryable with the status in the details', async () => {
    const failure = await callWithFault(kind, { status: 503 });
    expect(failure.type).toBe(FailureType.ProviderRetryable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain(provider);
    expect(failure.message).toContain('503');
    expect(providerFailureDetails(failure)).toMatchObject({ provider, httpStatus: 503, reason: 'http' });
    expect(providerFailureDetails(failure)?.errorType).toBe(kind === 'openai' ? 'server_error' : 'api_error');
  });

  it('honours Retry-After on 429 as the next retry delay', async () => {
    const failure = await callWithFault(kind, { status: 429, retryAfterSeconds: 2 });
    expect(failure.type).toBe(FailureType.ProviderRetryable);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(providerFailureDetails(failure)).toMatchObject({ httpStatus: 429, retryAfterMs: 2000 });
  });

  it('classifies 401 as non-retryable rejected', async () => {
    const failure = await singleRequest(() =>
      failureOf(clientFor(kind, {}, 'invalid').complete({ text: 'hello' })),
    );
    expect(failure.type).toBe(FailureType.ProviderRejected);
    expect(failure.nonRetryable).toBe(true);
    expect(providerFailureDetails(failure)).toMatchObject({ provider, httpStatus: 401 });
  });

  it('classifies a provider that never answers as a retryable timeout', async () => {
    const started = Date.now();
    const failure = await callWithFault(kind, { kind: 'timeout' }, { timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(failure.type).toBe(FailureType.ProviderRetryable);
    expect(failure.nonRetryable).toBe(false);
    expect(providerFailureDetails(failure)).toMatchObject({ provider, httpStatus: null, reason: 'timeout' });
  });

  it('classifies a caller abort as retryable, not as a rejection', async () => {
    const controller = new AbortController();
    const pending = clientFor(kind).complete({ text: 'hello', headers: faultHeader({ kind: 'timeout' }), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const failure = await failureOf(pending);
    expect(failure.nonRetryable).toBe(false);
    expect(providerFailureDetails(failure)).toMatchObject({ reason: 'aborted' });
  });

  it('serves a slow answer correctly after the delay', async () => {
    const started = Date.now();
    const completion = await clientFor(kind).complete({ text: 'slow one', headers: faultHeader({ kind: 'slow', delayMs: 200 }) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(parseModelOutput(completion.content).output).toEqual(answerFor('slow one'));
  });

  it('turns a malformed answer, broken JSON or schema violation, into ProviderMalformed', async () => {
    const messages: string[] = [];
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const completion = await clientFor(kind).complete({ text, headers: faultHeader({ kind: 'malformed' }) });
      expect(completion.httpStatus).toBe(200);
      const failure = await failureOf(Promise.resolve().then(() => parseModelOutput(completion.content)));
      expect(failure.type).toBe(FailureType.ProviderMalformed);
      expect(failure.nonRetryable).toBe(false);
      messages.push(failure.message);
    }
    expect(messages.some((m) => m.startsWith('answer is not valid JSON'))).toBe(true);
    expect(messages.some((m) => m.startsWith('answer violates the output schema'))).toBe(true);
  });
});

describe('simulator wire format', () => {
  const post = (path: string, headers: Record<string, string>, body: object) =>
    fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi there' }] };

  it('answers 401 in the OpenAI error shape without a bearer token', async () => {
    const res = await post('/v1/chat/completions', {}, chat);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_api_key' } });
  });

  it('answers 401 in the Anthropic error shape without x-api-key or bearer token', async () => {
    const res = await post('/v1/messages', {}, { ...chat, max_tokens: 10 });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('rejects an invalid fault header with 400 and says why', async () => {
    const res = await post('/v1/chat/completions', { authorization: 'Bearer k', 'x-simulate-fault': '{"kind":"explode"}' }, chat);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('x-simulate-fault');
  });

  it('sends Retry-After with every 429', async () => {
    const res = await post('/v1/messages', { 'x-api-key': 'k', 'x-simulate-fault': '{"status":429}' }, { ...chat, max_tokens: 10 });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('applies a per-model latency', async () => {
    const slow = await startSimulator({ port: 0, modelDelayMs: { [MODEL]: 200 } });
    try {
      const started = Date.now();
      const res = await fetch(`${slow.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await slow.close();
    }
  });
});

describe('classifyProviderError', () => {
  const errorsOf = (status: number, headers: Record<string, string> = {}) => [
    OpenAIAPIError.generate(status, { error: { message: 'boom' } }, undefined, new Headers(headers)),
    AnthropicAPIError.generate(status, { type: 'error', error: { type: 'api_error', message: 'boom' } }, undefined, new Headers(headers)),
  ];

  it.each([408, 409, 429, 500, 502, 503, 529])('retries HTTP %i', (status) => {
    for (const err of errorsOf(status)) {
      const failure = classifyProviderError(err, 'p');
      expect([failure.type, failure.nonRetryable]).toEqual([FailureType.ProviderRetryable, false]);
    }
  });

  it.each([400, 401, 403, 404, 422])('rejects HTTP %i for good', (status) => {
    for (const err of errorsOf(status)) {
      const failure = classifyProviderError(err, 'p');
      expect([failure.type, failure.nonRetryable]).toEqual([FailureType.ProviderRejected, true]);
    }
  });

  it('never copies the API message, which may quote the input; names the status, type and code', () => {
    const quoting = "Invalid 'messages[1].content': the text \"Jane Roe, MRN 4471\" is too long";
    const errors = [
      OpenAIAPIError.generate(400, { error: { message: quoting, type: 'invalid_request_error', code: 'string_above_max_length' } }, undefined, new Headers()),
      AnthropicAPIError.generate(400, { type: 'error', error: { type: 'invalid_request_error', message: quoting } }, undefined, new Headers()),
    ];
    const [openai, anthropic] = errors.map((err) => classifyProviderError(err, 'p'));
    expect(openai?.message).toBe('provider p: HTTP 400 (invalid_request_error/string_above_max_length)');
    expect(anthropic?.message).toBe('provider p: HTTP 400 (invalid_request_error)');
    for (const failure of [openai, anthropic]) {
      expect(JSON.stringify(failure)).not.toContain('Jane Roe');
      // The cause chain goes to Temporal's history as it is: the SDK error stays out of it.
      expect(failure?.cause).toBeUndefined();
    }
    const unexpected = classifyProviderError(new SyntaxError('Unexpected token \'J\', "Jane Roe" is not valid JSON'), 'p');
    expect(unexpected.message).toBe('provider p: unexpected error (SyntaxError)');
  });

  it('reads Retry-After as an HTTP date and retry-after-ms', () => {
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString();
    for (const err of errorsOf(429, { 'retry-after': inFiveSeconds })) {
      const delay = classifyProviderError(err, 'p').nextRetryDelay as number;
      expect(delay).toBeGreaterThan(3000);
      expect(delay).toBeLessThanOrEqual(5000);
    }
    for (const err of errorsOf(503, { 'retry-after-ms': '1500', 'retry-after': '9' })) {
      expect(classifyProviderError(err, 'p').nextRetryDelay).toBe(1500);
    }
  });

  it('leaves the backoff to the policy when Retry-After is absent or past', () => {
    for (const err of [...errorsOf(429), ...errorsOf(429, { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' })]) {
      expect(classifyProviderError(err, 'p').nextRetryDelay).toBeUndefined();
    }
  });

  it('passes an ApplicationFailure through and retries unknown errors', () => {
    const malformed = ApplicationFailure.create({ type: FailureType.ProviderMalformed, message: 'x' });
    expect(classifyProviderError(malformed, 'p')).toBe(malformed);
    const unknown = classifyProviderError(new TypeError('socket hang up'), 'p');
    expect([unknown.type, unknown.nonRetryable]).toEqual([FailureType.ProviderRetryable, false]);
    expect(providerFailureDetails(unknown)).toMatchObject({ reason: 'unexpected' });
  });
});

describe('parseModelOutput', () => {
  const failureOfParse = (content: string): ApplicationFailure => {
    try {
      parseModelOutput(content);
    } catch (err) {
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureType.ProviderMalformed);
      return err as ApplicationFailure;
    }
    throw new Error(`expected ${content} to be refused`);
  };

  it('accepts a fenced JSON answer as it is, not as a repair', () => {
    expect(parseModelOutput('```json\n{"summary":"s","labels":[],"confidence":0.7}\n```')).toEqual({
      output: { summary: 's', labels: [], confidence: 0.7 },
      repaired: false,
    });
  });

  it.each([
    ['a trailing comma', '{"summary":"s","labels":["a",],"confidence":0.7,}'],
    ['a missing closing brace', '{"summary":"s","labels":["a"],"confidence":0.7'],
    ['single quotes', "{'summary':'s','labels':['a'],'confidence':0.7}"],
  ])('repairs %s and says so', (_slip, content) => {
    expect(parseModelOutput(content)).toEqual({ output: { summary: 's', labels: ['a'], confidence: 0.7 }, repaired: true });
  });

  it('says where the answer broke and which rule it broke, never what it said', () => {
    const canary = 'zebracanary';
    expect(failureOfParse(`{"summary": "${canary}", "labels": [1], "confidence": 2, "${canary}": 1}`).message).toBe(
      'answer violates the output schema at labels[0]: expected string; ' +
        'answer violates the output schema at confidence: Too big: expected number to be <=1; ' +
        'answer violates the output schema: 1 unexpected key(s)',
    );
    // Prose: V8's own parse error would quote it; a repair that turns it into JSON still fails the schema.
    expect(failureOfParse(`${canary} is what I think`).message).toBe('answer violates the output schema: expected object');
    expect(failureOfParse(`{"summary": "${canary}"} says the model`).message).toBe('answer is not valid JSON at position 27');
    // A cut-off answer repairs into JSON that still breaks the schema, as the simulator's malformed ones do.
    expect(failureOfParse(`{"summary":"${canary}","lab`).message).not.toContain(canary);
  });
});

describe('provider registry', () => {
  const raw = (overrides: object = {}) => ({ name: 'primary', kind: 'openai', baseURL: 'http://127.0.0.1:1/v1', model: MODEL, apiKeyEnv: 'PRIMARY_KEY', ...overrides });

  it('names every missing API key variable', () => {
    const configs = parseProvidersSetting(undefined, [raw(), raw({ name: 'fallback', kind: 'anthropic', apiKeyEnv: 'FALLBACK_KEY' })]);
    expect(() => createProviderClients(configs, {})).toThrow(/PRIMARY_KEY, FALLBACK_KEY/);
  });

  it('builds working clients of both kinds', async () => {
    const configs = [configFor('openai'), configFor('anthropic')];
    const registry = createProviderClients(configs, { SIM_KEY: 'k' });
    for (const { client } of registry.values()) {
      const completion = await client.complete({ text: 'via registry' });
      expect(parseModelOutput(completion.content).output).toEqual(answerFor('via registry'));
    }
  });

  it('applies defaults and reads JSON or a file', () => {
    const [fromDefaults] = parseProvidersSetting('  ', [raw()]);
    expect(fromDefaults).toMatchObject({ timeoutMs: 30_000, maxAttempts: 5, malformedAttempts: 2, maxConcurrent: 10 });
    expect(parseProvidersSetting(JSON.stringify([raw({ timeoutMs: 1000 })]), [])[0]?.timeoutMs).toBe(1000);
    const file = join(mkdtempSync(join(tmpdir(), 'providers-')), 'providers.json');
    writeFileSync(file, JSON.stringify([raw({ name: 'from-file' })]));
    expect(parseProvidersSetting(file, [])[0]?.name).toBe('from-file');
  });

  it.each([
    ['an alias model', [raw({ model: 'gpt-4o' })], /pinned version/],
    ['a -latest model', [raw({ model: 'claude-3-5-sonnet-latest' })], /pinned version/],
    ['duplicate names', [raw(), raw()], /unique/],
    ['an empty list', [], /at least one/],
    ['an unknown field', [raw({ retries: 3 })], /retries/],
    ['a provider past its sunset', [raw({ deprecated: true, replacement: 'fallback', sunset: '2020-01-31' })], /0\.sunset: provider primary was sunset on 2020-01-31: move to fallback/],
    ['a replacement for a provider not deprecated', [raw({ replacement: 'fallback' })], /set deprecated: true/],
    ['a sunset that is not a date', [raw({ deprecated: true, sunset: 'next spring' })], /sunset/],
  ])('rejects %s', (_what, value, message) => {
    expect(() => parseProvidersSetting(JSON.stringify(value), [])).toThrow(message);
  });

  it('serves a deprecated provider through its sunset day (UTC), and refuses it from the next day', () => {
    const setting = JSON.stringify([raw({ deprecated: true, sunset: '2026-03-01' })]);
    expect(parseProvidersSetting(setting, [], new Date('2026-03-01T23:59:59Z'))[0]).toMatchObject({ deprecated: true, sunset: '2026-03-01' });
    expect(() => parseProvidersSetting(setting, [], new Date('2026-03-02T00:00:00Z'))).toThrow(/was sunset on 2026-03-01/);
  });

  it('says when PROVIDERS is neither JSON nor a file', () => {
    expect(() => parseProvidersSetting('/no/such/providers.json', [])).toThrow(/neither JSON nor a readable file/);
  });
});
